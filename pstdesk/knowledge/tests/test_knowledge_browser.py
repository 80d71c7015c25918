"""The knowledge features in real headless Chromium: a visitor on /pfa/5102/ is shown a knowledge-base article
while typing a question, before writing to anyone (the guestbook is not even filled); the officer's console panel
suggests that article from the visitor's last message and inserts a KBLI entry into the reply box; the public KBLI
and article pages at 1280x800 and 768x1024 (screenshots in /tmp/kn-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from playwright.sync_api import expect

from pstdesk.lib.actors import SystemActor
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA, within Tabanan's hours
SIZES = {"wide": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}


@pytest.fixture(autouse=True)
def knowledge() -> Iterator[None]:
    from pstdesk.knowledge.actions import save_article
    from pstdesk.knowledge.classification import ensure_kbli2020
    from pstdesk.knowledge.models import Article, ArticleStatus

    ensure_kbli2020()  # a flush of an earlier transactional test removed it
    body = (
        "## Baris dan kolom\n\nSetiap tabel BPS punya judul, satuan dan catatan kaki.\n\n"
        "- Baca satuan di judul\n- Lihat sumber di bawah tabel\n\nPublikasi lengkap: https://tabanankab.bps.go.id"
    )
    save_article(
        Article(
            office_id="5102",
            title="Cara membaca tabel statistik",
            summary="Judul, satuan, catatan kaki.",
            body=body,
            status=ArticleStatus.PUBLISHED,
        ),
        by=SystemActor("test"),
        created=True,
    )
    save_article(
        Article(
            office_id="5100",
            title="Di mana angka kemiskinan Bali diterbitkan",
            body="Publikasi kemiskinan.",
            shared=True,
            status=ArticleStatus.PUBLISHED,
        ),
        by=SystemActor("test"),
        created=True,
    )
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def test_an_article_is_suggested_in_the_widget_before_the_visitor_writes(
    asgi_server: Any,
    browser_page: Any,  # noqa: F811
) -> None:
    page = browser_page
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto("/pfa/5102/")
        page.locator("#pc-prechat").wait_for()  # the guestbook: the visitor has written nothing yet
        page.locator("#pc-kb-q").fill("bagaimana cara membaca tabel")
        link = page.locator("#pc-kb-list li a").first
        link.wait_for()
        assert link.inner_text() == "Cara membaca tabel statistik"
        assert link.get_attribute("href").startswith("/pfa/5102/artikel/cara-membaca-tabel-statistik/")
        assert "Mungkin ini menjawab pertanyaan Anda" in page.locator("#pc-kb-results").inner_text()
        links = page.locator("#pc-kb .pc-kb-links a")
        assert "https://pst.bps.go.id" in [links.nth(i).get_attribute("href") for i in range(links.count())]
        page.screenshot(path=f"/tmp/kn-widget-{name}.png", full_page=True)
    with page.context.expect_page() as opened:
        page.locator("#pc-kb-list li a").first.click()
    article = opened.value
    article.wait_for_load_state()
    assert article.locator("h1").inner_text() == "Cara membaca tabel statistik"
    assert article.locator("#kn-body ul li").count() == 2
    for name, size in SIZES.items():
        article.set_viewport_size(size)
        article.screenshot(path=f"/tmp/kn-article-{name}.png", full_page=True)
    article.goto("/pfa/5102/artikel/")
    assert article.locator("#kn-all li").count() == 2  # its own and the province's shared article
    for name, size in SIZES.items():
        article.set_viewport_size(size)
        article.screenshot(path=f"/tmp/kn-articles-{name}.png", full_page=True)
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_console_panel_suggests_and_inserts_a_kbli_entry(
    asgi_server: Any,
    browser_page: Any,
    officer_5102: Any,  # noqa: F811
) -> None:
    from pstdesk.consultations.models import Consultation, Message
    from pstdesk.guestbook.models import Visitor

    visitor = Visitor.objects.create(name="Putu", email="putu@example.test")
    row = Consultation.objects.create(office_id="5102", visitor=visitor, channel="whatsapp", title="Tabel")
    Message.objects.create(
        consultation=row, seq=1, direction="in", channel="whatsapp", body="Bagaimana cara membaca tabel penduduk?"
    )
    other = Consultation.objects.create(office_id="5102", visitor=visitor, channel="whatsapp", title="Salam")
    Message.objects.create(consultation=other, seq=1, direction="in", channel="whatsapp", body="Selamat pagi")
    page = browser_page
    login(page, asgi_server, officer_5102)
    page.set_viewport_size(SIZES["wide"])
    # Opened on another conversation, then switched in the three-pane console without a reload: the panel's
    # script runs again for the new pane.
    page.goto(f"/console/{other.pk}/?queue=office")
    page.locator("#kn-suggest-status").wait_for()
    expect(page.locator("#kn-suggest-status")).not_to_contain_text("Memuat")
    assert page.locator("#kn-suggest-articles li").count() == 0
    page.locator(f'#rows li[data-id="{row.pk}"] a').click()
    page.wait_for_url(f"**/console/{row.pk}/?queue=office")
    suggestion = page.locator("#kn-suggest-articles li a").first
    suggestion.wait_for()
    assert suggestion.inner_text() == "Cara membaca tabel statistik"
    page.locator("#kn-kbli-q").fill("padi")
    page.locator("#kn-kbli-form button").click()
    hit = page.locator('#kn-kbli-results li[data-code="01121"]')
    hit.wait_for()
    assert "0112" in hit.inner_text()  # its path up the tree
    page.locator("#reply-body").fill("Halo Putu.")
    hit.locator("button.kn-insert").click()
    reply = page.locator("#reply-body").input_value()
    assert reply.startswith("Halo Putu.\n\nKBLI 2020 01121 – Pertanian Padi Hibrida: Kelompok ini mencakup")
    page.locator("#kn-kbli-q").fill("0111")
    page.locator("#kn-kbli-form button").click()
    page.locator('#kn-kbli-results li[data-code="01111"]').wait_for()
    assert page.locator("#kn-kbli-results li").first.get_attribute("data-code") == "0111"
    page.screenshot(path="/tmp/kn-console-wide.png", full_page=True)
    page.set_viewport_size(SIZES["tablet"])
    page.screenshot(path="/tmp/kn-console-tablet.png", full_page=True)
    page.locator("#kn-kbli-q").fill("")
    page.locator("#kn-kbli-form button").click()
    expect(page.locator("#kn-kbli-status")).to_contain_text("kode KBLI")
    assert page.locator("#kn-kbli-results li").count() == 0
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_the_public_kbli_pages(asgi_server: Any, browser_page: Any) -> None:  # noqa: F811
    page = browser_page
    for name, size in SIZES.items():
        page.set_viewport_size(size)
        page.goto("/klasifikasi/kbli2020/")
        page.locator("#kn-q").fill("padi")
        page.locator("#kn-q").press("Enter")
        page.locator('#kn-hits li[data-code="01121"]').wait_for()
        page.screenshot(path=f"/tmp/kn-kbli-search-{name}.png", full_page=False)
        page.locator('#kn-hits li[data-code="0112"] h2 a').click()
        page.locator("#kn-children").wait_for()
        assert page.locator("h1").inner_text().startswith("0112")
        assert page.locator("#kn-path li").count() == 3
        page.screenshot(path=f"/tmp/kn-kbli-entry-{name}.png", full_page=True)
    page.goto("/klasifikasi/kbli2020/?q=" + "padi+" * 200)
    assert "terlalu panjang" in page.locator("#kn-error").inner_text()
    assert page.js_errors == []  # type: ignore[attr-defined]
