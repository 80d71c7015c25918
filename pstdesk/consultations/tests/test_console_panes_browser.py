"""The three-pane console in a real browser (headless Chromium through Playwright): an officer works three
conversations at once. A message in a background conversation raises its unread count and the tab title's count
and asks for a desktop notification; switching keeps each conversation's draft; the keyboard sends; a dropped
connection replays what was missed (the open conversation from its cursor, the list's counts from the database);
search leads into a conversation; the old per-consultation address opens the same three panes.

Set PSTDESK_SCREENSHOTS=<dir> to save the screenshots of the report (1280×800 and 768×1024)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from pstdesk.consultations.actions import receive_message
from pstdesk.consultations.models import ConsolePreference, Consultation, Message, ReadCursor
from pstdesk.consultations.tests.conftest import complete_requirements, make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import VisitorActor
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401
from pstdesk.testing.identities import make_visitor

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [("Putu Ayu", "6281200000001"), ("Made Wira", "6281200000002"), ("Komang Sari", "6281200000003")]

# Records every desktop notification the page creates (the real one still runs).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.__notes = [];
  if (!Real) { return; }
  function Recording(title, options) {
    window.__notes.push({ title: title, body: (options && options.body) || "" });
    return new Real(title, options);
  }
  Object.defineProperty(Recording, "permission", { get: () => Real.permission });
  Recording.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recording;
})();
"""


@pytest.fixture(autouse=True)
def _no_provider(settings):  # noqa: ANN001, ANN202
    """Read receipts go to WhatsApp's API: point it at a closed local port so the refusal is immediate (the
    provider is not what these tests are about; a DNS failure would hold the server's one sync thread)."""
    settings.WHATSAPP_API_BASE = "http://127.0.0.1:9"


def write(server, who: int, body: str) -> int:  # noqa: ANN001
    name, wa_id = PEOPLE[who]
    inbound = make_inbound(office="5102", body=body, sender_name=name, sender_wa_id=wa_id, sender_whatsapp="+" + wa_id)
    return int(server.call(receive_message, inbound).consultation.pk)


def rate(pk: int) -> None:
    from pstdesk.ratings.actions import record_rating

    consultation = Consultation.objects.get(pk=pk)
    record_rating(consultation, by=VisitorActor(consultation.visitor_id), score=5, feedback="", channel="whatsapp")


def row(page, pk: int):  # noqa: ANN001, ANN201
    return page.locator(f'#rows li[data-id="{pk}"]')


def eventually(check, seconds: float = 10) -> None:  # noqa: ANN001
    """Wait for a server-side fact the page causes (its POST lands after the screen changed)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def title_count(page) -> int:  # noqa: ANN001
    match = re.match(r"^\((\d+)\) ", page.title())
    return int(match.group(1)) if match else 0


def shoot(page, name: str) -> None:  # noqa: ANN001
    folder = os.environ.get("PSTDESK_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=f"{folder}/{name}-{width}x{height}.png")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_officer_works_three_conversations(asgi_server, browser_page, officer_5102, fake_adapter):  # noqa: F811
    page, server = browser_page, asgi_server
    for name, wa_id in PEOPLE:
        complete_requirements(make_visitor(name=name, wa_id=wa_id, whatsapp="+" + wa_id), "5102")
    a = write(server, 0, "Saya perlu data IPM Tabanan")
    b = write(server, 1, "Mohon tabel PDRB kabupaten")
    c = write(server, 2, "Berapa jumlah penduduk miskin?")
    page.context.grant_permissions(["notifications"], origin=server.url)
    page.add_init_script(RECORD_NOTIFICATIONS)
    page.set_viewport_size({"width": 1280, "height": 800})
    login(page, server, officer_5102)

    page.goto("/console/?queue=office")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    for pk in (a, b, c):
        expect(row(page, pk).locator(".unread")).to_have_text("1")
    expect(row(page, a)).to_contain_text("Saya perlu data IPM Tabanan")  # the last message's preview
    assert title_count(page) == 3
    # a GET marked nothing read
    assert not server.call(lambda: ReadCursor.objects.filter(user=officer_5102).exists())

    # open A: its count clears by a POST (the read cursor), the title follows; a draft stays when switching
    row(page, a).locator("a").click()
    page.wait_for_url(f"**/console/{a}/?queue=office")
    expect(page.locator("#transcript li.msg-in", has_text="IPM Tabanan")).to_have_count(1)
    expect(row(page, a).locator(".unread")).to_have_attribute("data-unread", "0")
    expect(page).to_have_title(re.compile(rf"^\(2\) PST#{a}"))
    cursor = ReadCursor.objects.filter(user=officer_5102, consultation_id=a)
    eventually(lambda: server.call(lambda: list(cursor.values_list("seq", flat=True))) == [1])
    page.fill("#reply-body", "Draf untuk Putu, belum selesai")

    row(page, b).locator("a").click()
    expect(page.locator("#transcript li.msg-in", has_text="PDRB")).to_have_count(1)
    expect(page.locator("#reply-body")).to_have_value("")
    page.fill("#reply-body", "Draf untuk Made")
    expect(page).to_have_title(re.compile(r"^\(1\) "))

    # a message in background conversation C: its count and the title's rise, a notification is asked for
    write(server, 2, "Sekalian data tahun 2024 ya")
    expect(row(page, c).locator(".unread")).to_have_text("2")
    expect(row(page, c)).to_contain_text("Sekalian data tahun 2024")
    expect(page).to_have_title(re.compile(r"^\(2\) "))
    eventually(lambda: len(page.evaluate("window.__notes")) >= 1)
    notes = page.evaluate("window.__notes")
    assert any("Komang Sari" in n["title"] and "2024" in n["body"] for n in notes), notes
    assert page.evaluate("window.pstConsole.stats.sounds") >= 1

    # back to A with the keyboard (K = previous in the list), its draft is there
    page.locator("#reply-body").blur()
    order = page.evaluate("Array.from(document.querySelectorAll('#rows li')).map(li => Number(li.dataset.id))")
    target = order[order.index(b) - 1] if order.index(b) > 0 else order[order.index(b) + 1]
    page.keyboard.press("k" if order.index(b) > 0 else "j")
    page.wait_for_url(f"**/console/{target}/?queue=office")
    expect(page.locator("#consultation")).to_have_attribute("data-id", str(target))
    row(page, a).locator("a").click()
    page.wait_for_url(f"**/console/{a}/?queue=office")
    expect(page.locator("#consultation")).to_have_attribute("data-id", str(a))
    expect(page.locator("#reply-body")).to_have_value("Draf untuk Putu, belum selesai")

    # Enter sends (the default); the composer empties and the reply is in the transcript
    page.fill("#reply-body", "Data IPM ada di tabel 4.1.")
    page.locator("#reply-body").press("Enter")
    expect(page.locator("#transcript li.msg-out", has_text="tabel 4.1")).to_have_count(1)
    expect(page.locator("#reply-body")).to_have_value("")
    # switched to Ctrl+Enter in the shortcut list: Enter is a new line, Ctrl+Enter sends
    page.locator("#reply-body").blur()
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    expect(page.locator("#shortcuts")).to_contain_text("Konsultasi berikutnya")
    page.select_option("#send-key", "ctrl_enter")
    expect(page.locator("#send-hint")).to_have_text(re.compile("^Ctrl"))
    page.keyboard.press("Escape")
    page.locator("#reply-body").fill("Baris satu")
    page.locator("#reply-body").press("Enter")
    page.locator("#reply-body").type("baris dua")
    expect(page.locator("#reply-body")).to_have_value("Baris satu\nbaris dua")
    page.locator("#reply-body").press("Control+Enter")
    expect(page.locator("#transcript li.msg-out", has_text="baris dua")).to_have_count(1)

    shoot(page, "console-three-panes")

    # the socket dies; A (open) and B (background) get messages meanwhile; reconnecting replays A from its
    # cursor and B's count comes from the database
    # (offline emulation does not stop a loopback socket: the backoff is set to its fourth step, 3-5 s, so the
    # socket stays down while the two messages are written; coming back online reconnects at once)
    page.context.set_offline(True)
    page.evaluate("window.pstConsole.socket.attempt = 3; window.pstConsole.socket.ws.close()")
    expect(page.locator("#connection")).not_to_have_attribute("data-state", "online", timeout=15_000)
    write(server, 0, "Terima kasih, satu lagi: IPM 2023?")
    write(server, 1, "Halo, masih ada orang?")
    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_attribute("data-state", "online", timeout=15_000)
    expect(page.locator("#transcript li.msg-in", has_text="IPM 2023")).to_have_count(1)
    expect(row(page, b).locator(".unread")).to_have_text("1")
    stored = server.call(lambda: list(Message.objects.filter(consultation_id=a).values_list("seq", flat=True)))
    assert page.evaluate("window.pstConsole.seqs()") == sorted(stored)
    expect(page).to_have_title(re.compile(r"^\(3\) "))  # B 1 + C 2; A is on screen

    # B's draft survived all of it
    row(page, b).locator("a").click()
    expect(page.locator("#reply-body")).to_have_value("Draf untuk Made")

    # search: a word of C's message leads into C, at that message
    page.fill("#search-q", "penduduk miskin")
    hit = page.locator(f'#search-hits li[data-consultation="{c}"]').first
    expect(hit).to_contain_text("Komang Sari")
    hit.locator("a").click()
    page.wait_for_url(re.compile(rf"/console/{c}/.*#m1$"))
    expect(page.locator("#transcript li.msg-in.found", has_text="penduduk miskin")).to_have_count(1)
    shoot(page, "console-search")

    # muted (a stored preference): new work still counts, but makes no sound and no notification
    page.click("#mute-toggle")
    expect(page.locator("#mute-toggle")).to_have_attribute("aria-pressed", "true")
    assert server.call(lambda: ConsolePreference.objects.get(user=officer_5102).muted)
    notes, sounds = len(page.evaluate("window.__notes")), page.evaluate("window.pstConsole.stats.sounds")
    write(server, 0, "Pesan saat bisu")
    expect(row(page, a).locator(".unread")).to_have_text("1", timeout=15_000)  # A was read while open
    assert len(page.evaluate("window.__notes")) == notes
    assert page.evaluate("window.pstConsole.stats.sounds") == sounds
    assert page.js_errors == []


def test_old_address_opens_three_panes_and_close_asks_first(asgi_server, browser_page, officer_5102, fake_adapter):  # noqa: F811
    page, server = browser_page, asgi_server
    name, wa_id = PEOPLE[0]
    complete_requirements(make_visitor(name=name, wa_id=wa_id, whatsapp="+" + wa_id), "5102")
    pk = write(server, 0, "Mohon data inflasi")
    login(page, server, officer_5102)
    page.goto(f"/console/{pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#pane-list #rows")).to_be_attached()  # the list pane is there (queue "mine": empty)
    expect(page.locator("#consultation")).to_have_attribute("data-id", str(pk))
    expect(page.locator("#transcript li.msg-in", has_text="inflasi")).to_have_count(1)
    expect(page.locator("#state-sla")).to_have_text(re.compile(r"jatuh tempo|lewat|belum berjalan"))

    # the topic comes first: "reply and mark answered" without one is refused and nothing is sent
    page.click('#verbs button[data-verb="clear"]')
    expect(page.locator("#consultation")).to_have_attribute("data-status", "open")
    page.fill("#reply-body", "Inflasi ada di BRS bulanan.")
    page.click("#send-answer")
    expect(page.locator("#action-error")).to_contain_text("topik")
    expect(page.locator("#reply-body")).to_have_value("Inflasi ada di BRS bulanan.")
    page.select_option("#topic", "data")
    page.click('#topic-form button[type="submit"]')
    expect(page.locator("#state-topic")).to_contain_text("Data")
    # files: one chosen, one pasted (previewed with its thumbnail, then removed), sent with the reply
    page.set_input_files("#reply-files", files=[{"name": "tabel.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}])
    page.evaluate(
        """() => {
          const data = new DataTransfer();
          const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);
          data.items.add(new File([png], "grafik.png", {type: "image/png"}));
          document.getElementById("reply-body").dispatchEvent(new ClipboardEvent("paste", {clipboardData: data}));
        }"""
    )
    expect(page.locator("#file-previews li")).to_have_count(2)
    expect(page.locator('#file-previews li[data-name="grafik.png"] img')).to_have_count(1)
    page.locator('#file-previews li[data-name="grafik.png"] button').click()
    expect(page.locator("#file-previews li")).to_have_count(1)
    page.click("#send-answer")
    expect(page.locator("#consultation")).to_have_attribute("data-status", "answered")
    expect(page.locator("#transcript li.msg-out .attachments a", has_text="tabel.csv")).to_have_count(1)
    expect(page.locator("#file-previews li")).to_have_count(0)
    expect(page.locator("#transcript li.msg-out", has_text="BRS bulanan")).to_have_count(1)
    expect(page.locator("#state-sla")).to_have_attribute("data-level", re.compile("met|late"))
    shoot(page, "console-answered")

    # 5102 closes after the visitor's rating; closing asks first, and a closed consultation can be reopened
    server.call(rate, pk)
    expect(page.locator("#consultation")).to_have_attribute("data-status", "rated")
    page.click('#verbs button[data-requires="close"]')
    expect(page.locator("#confirm")).to_be_visible()
    page.click("#confirm-no")
    expect(page.locator("#consultation")).to_have_attribute("data-status", "rated")
    page.click('#verbs button[data-requires="close"]')
    page.click("#confirm-yes")
    expect(page.locator("#consultation")).to_have_attribute("data-status", "closed")
    page.click('#verbs button[data-verb="reopen"]')
    page.click("#confirm-yes")
    expect(page.locator("#consultation")).to_have_attribute("data-status", "new")
    assert page.js_errors == []
