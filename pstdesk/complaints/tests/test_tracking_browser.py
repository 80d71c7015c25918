"""The complainant's side in real headless Chromium: a visitor sends the public form, is shown the tracking number
at once, follows the link to the tracking page (status only); a supervisor answers in their own browser; the
visitor's tracking page then shows the office's answer and nothing else. A guessed number shows nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from pstdesk.complaints.models import Complaint
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def in_service_hours() -> Iterator[None]:
    with time_machine.travel("2026-11-23 02:00:00+00:00", tick=True):  # Monday 10:00 WITA
        yield


def test_the_tracking_page_in_a_real_browser(
    browser_page: Any,  # noqa: F811
    asgi_server: Any,  # noqa: F811
    supervisor_5102: Any,
    settings: Any,
) -> None:
    settings.PUBLIC_URL = asgi_server.url  # links in pages and messages point at the live server
    page = browser_page
    page.goto("/pengaduan/5102/")
    page.get_by_label("Pengaduan", exact=True).check()
    page.locator("textarea[name=text]").fill("Petugas tidak membalas chat RAHASIA-ISI selama dua hari.")
    page.get_by_role("button", name="Kirim").click()
    number = page.locator("#tracking-number").inner_text()
    assert number.startswith("PGD-5102-")
    page.locator("#tracking-link").click()
    expect(page.locator("#track-status")).to_have_text("Diterima")
    page.screenshot(path="/tmp/complaints-track-received.png", full_page=True)

    # The supervisor answers from the complaint page in another browser context.
    staff = page.context.browser.new_context(base_url=asgi_server.url, locale="id-ID")
    staff_page = staff.new_page()
    login(staff_page, asgi_server, supervisor_5102)
    complaint = Complaint.objects.get(tracking_number=number)
    staff_page.goto(f"/pengawasan/pengaduan/{complaint.pk}/")
    staff_page.screenshot(path="/tmp/complaints-detail.png", full_page=True)
    staff_page.locator("#answer-form textarea[name=response]").fill("Mohon maaf; petugas piket sudah kami tambah.")
    staff_page.locator("#answer-form input[name=upheld][value=no]").check()
    staff_page.locator("#answer-form textarea[name=reason]").fill("Pesan dijawab dalam batas 3 hari kerja.")
    staff_page.locator("#answer-form button[type=submit]").click()
    expect(staff_page.locator("#complaint-status")).to_have_text("Dijawab")
    staff_page.goto("/pengawasan/?status=all")
    staff_page.screenshot(path="/tmp/complaints-queue.png", full_page=True)
    staff.close()

    page.reload()
    expect(page.locator("#track-status")).to_have_text("Dijawab")
    expect(page.locator("#track-response")).to_have_text("Mohon maaf; petugas piket sudah kami tambah.")
    expect(page.locator("#track-verdict")).to_contain_text("tidak beralasan")
    assert "RAHASIA-ISI" not in page.content()
    page.screenshot(path="/tmp/complaints-track-answered.png", full_page=True)

    # A guessed number: nothing but "not found".
    guess = number[:-1] + ("Z" if number[-1] != "Z" else "Y")
    answer = page.goto(f"/pengaduan/lacak/{guess}/")
    assert answer is not None and answer.status == 404
    expect(page.locator("#track-error")).to_be_visible()
    assert "RAHASIA" not in page.content() and number not in page.content()
    assert page.js_errors == []


SIZES = [(1280, 800), (768, 1024)]
# What each page must fit: nothing wider than the window (no sideways scrolling of the page itself).
NO_SIDEWAYS = "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
# On a desktop the whole queue is seen without scrolling its box (on a tablet the box may scroll).
QUEUE_FITS = (
    "() => { const box = document.querySelector('.table-scroll'); return box.scrollWidth <= box.clientWidth + 1; }"
)


def test_the_complaint_pages_fit_a_desktop_and_a_tablet(
    browser_page: Any,  # noqa: F811
    asgi_server: Any,  # noqa: F811
    supervisor_5102: Any,
    officer_5102: Any,
) -> None:
    from pstdesk.complaints.actions import add_complaint_note, file_complaint, handle_complaint

    lapor = file_complaint(
        supervisor_5102.office,
        kind="complaint",
        text="Laporan dari SP4N-LAPOR!: data inflasi bulanan tidak tersedia di situs. " * 6,
        source="lapor",
        by=supervisor_5102,
        external_id="LAP-2026-000118",
        contact="pelapor.dengan.alamat.yang.sangat.panjang@universitas-contoh.example.test",
    )
    add_complaint_note(lapor, by=supervisor_5102, body="Sudah dikoordinasikan dengan admin LAPOR! provinsi.")
    answered = file_complaint(supervisor_5102.office, kind="suggestion", text="Tambah kursi", source="box")
    handle_complaint(answered, by=supervisor_5102, response="Kursi sudah ditambah di ruang PST.")
    page = browser_page
    login(page, asgi_server, supervisor_5102)
    pages = {
        "queue": "/pengawasan/?status=all",
        "detail": f"/pengawasan/pengaduan/{lapor.pk}/",
        "record": "/pengawasan/pengaduan/baru/",
        "form": "/pengaduan/5102/",
        "track": f"/pengaduan/lacak/{answered.tracking_number}/",
        "track-lapor": f"/pengaduan/lacak/{lapor.tracking_number}/",
        "lookup": "/pengaduan/lacak/?nomor=PGD-5102",
    }
    overflowing = []
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for name, url in pages.items():
            page.goto(url)
            page.screenshot(path=f"/tmp/complaints-{name}-{width}x{height}.png", full_page=True)
            if not page.evaluate(NO_SIDEWAYS):
                overflowing.append(f"{name} at {width}x{height}")
            if name == "queue" and width >= 1280 and not page.evaluate(QUEUE_FITS):
                overflowing.append(f"the queue's table at {width}x{height}")
    assert overflowing == []
    assert page.js_errors == []
