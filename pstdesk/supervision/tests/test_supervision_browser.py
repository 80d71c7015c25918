"""The supervision pages in a real browser (headless Chromium through Playwright): a supervisor edits the duty
roster and sees the coverage change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from pstdesk.conftest import make_user
from pstdesk.supervision.models import RosterShift
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_edits_the_roster(asgi_server, browser_page, officer_5102, supervisor_5102):  # noqa: F811
    page = browser_page
    login(page, asgi_server, supervisor_5102)
    page.goto("/pengawasan/jadwal/")
    page.wait_for_url("**/pengawasan/jadwal/5102/")
    expect(page.locator("#minimum")).to_contain_text("2")
    # With nobody rostered every service hour of a working day is below the minimum.
    assert page.locator("#coverage td.below").count() > 0
    before = page.locator("#coverage td.below").count()
    for weekday in ("0", "1", "2", "3", "4"):
        page.select_option("#shift-form select[name=user]", str(officer_5102.pk))
        page.select_option("#shift-form select[name=weekday]", weekday)
        page.fill("#shift-form input[name=starts]", "08:00")
        page.fill("#shift-form input[name=ends]", "16:00")
        page.click("#shift-form button[type=submit]")
        expect(page.locator(".messages")).to_be_visible()
    assert RosterShift.objects.filter(office_id="5102", user=officer_5102).count() == 5
    expect(page.locator("#shifts tbody tr")).to_have_count(5)
    # one officer is still below Tabanan's two, but the cells now count one
    assert page.locator("#coverage td.below").count() == before
    expect(page.locator("#coverage td.below").first).to_contain_text("1")
    page.screenshot(path="/tmp/sup_roster.png", full_page=True)
    # a second officer on Mondays lifts Monday's hours to the minimum
    other = make_user("wayan", "5102")
    page.reload()
    page.select_option("#shift-form select[name=user]", str(other.pk))
    page.select_option("#shift-form select[name=weekday]", "0")
    page.fill("#shift-form input[name=starts]", "08:00")
    page.fill("#shift-form input[name=ends]", "16:00")
    page.click("#shift-form button[type=submit]")
    expect(page.locator("#shifts tbody tr")).to_have_count(6)
    assert page.locator("#coverage td.below").count() < before


def test_supervisor_reviews_a_transcript_and_the_officer_reads_it(
    asgi_server,
    browser_page,
    officer_5102,
    supervisor_5102,  # noqa: F811
):
    from django.utils import timezone

    from pstdesk.consultations.actions import receive_message
    from pstdesk.consultations.models import Consultation, Status
    from pstdesk.consultations.tests.conftest import make_inbound

    received = receive_message(make_inbound(body="Data kemiskinan Tabanan 2025, mohon tabelnya"))
    now = timezone.now()
    Consultation.objects.filter(pk=received.consultation.pk).update(
        status=Status.CLOSED, closed_at=now, answered_at=now, assigned_to=officer_5102
    )
    pk = received.consultation.pk
    page = browser_page
    login(page, asgi_server, supervisor_5102)
    page.goto("/pengawasan/")
    page.click("text=Tinjauan transkrip")
    page.goto(f"/pengawasan/tinjauan/5102/?month={now:%Y-%m}")
    page.click(f'tr[data-consultation="{pk}"] >> text=Tinjau')
    page.wait_for_url(f"**/pengawasan/tinjauan/konsultasi/{pk}/")
    expect(page.locator("#transcript")).to_contain_text("Data kemiskinan Tabanan 2025")
    form = page.locator("#review-form")
    for code in ("greeting", "answer", "courtesy"):
        form.locator(f'input[name="answer_{code}"][value="yes"]').check()
    form.locator('input[name="answer_guestbook"][value="no"]').check()
    form.locator('input[name="note_guestbook"]').fill("Buku tamu tidak ditanyakan")
    form.locator('input[name="answer_closing"][value="na"]').check()
    page.fill("#comment", "Cantumkan sumber tabel pada jawaban.")
    for size in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=f"/tmp/sup_review_form_{size[0]}.png", full_page=True)
    page.click("#review-form button[type=submit]")
    # one item left unanswered: refused, and everything entered is still there
    expect(page.locator(".messages")).to_contain_text("Dijawab dalam batas waktu")
    expect(page.locator('input[name="note_guestbook"]')).to_have_value("Buku tamu tidak ditanyakan")
    expect(page.locator("#comment")).to_have_value("Cantumkan sumber tabel pada jawaban.")
    page.locator('input[name="answer_sla"][value="no"]').check()
    page.click("#review-form button[type=submit]")
    expect(page.locator("#review-comment")).to_contain_text("Cantumkan sumber tabel")
    expect(page.locator("#review-score")).to_have_text("60")
    expect(page.locator('tr[data-item="guestbook"]')).to_contain_text("Buku tamu tidak ditanyakan")
    for size in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=f"/tmp/sup_review_{size[0]}.png", full_page=True)
    # corrected: the answer was within the standard's time after all
    page.click("#edit-review")
    page.locator('input[name="answer_sla"][value="yes"]').check()
    page.click("#review-form button[type=submit]")
    expect(page.locator("#review-score")).to_have_text("80")
    # the list of reviews, filtered to those with findings
    page.goto("/pengawasan/tinjauan/")
    page.select_option('select[name="outcome"]', "findings")
    page.click("#review-filter button[type=submit]")
    expect(page.locator("#review-rows tr[data-review]")).to_have_count(1)
    expect(page.locator("#review-rows")).to_contain_text("Buku tamu tidak ditanyakan")
    for size in ((1280, 800), (768, 1024)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.screenshot(path=f"/tmp/sup_review_list_{size[0]}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})

    page.context.clear_cookies()
    login(page, asgi_server, officer_5102)
    page.goto("/console/")
    page.click("a.console-reviews")
    page.wait_for_url("**/tinjauan/")
    review = page.locator(".my-review")
    expect(review).to_contain_text("Cantumkan sumber tabel")
    expect(review).to_contain_text("Skor 80 (")
    expect(review).to_contain_text("Buku tamu tidak ditanyakan")
    review.locator("textarea").fill("Baik, akan saya cantumkan.")
    review.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_be_visible()
    page.screenshot(path="/tmp/sup_my_reviews.png", full_page=True)
    from pstdesk.supervision.models import TranscriptReview

    stored = TranscriptReview.objects.get(consultation_id=pk)
    assert stored.officer_comment == "Baik, akan saya cantumkan." and stored.officer_read_at is not None


def test_the_officer_sees_a_deadline_warning_live(asgi_server, browser_page, officer_5102):  # noqa: F811
    from datetime import timedelta

    from pstdesk.complaints.tests.factories import make_consultation
    from pstdesk.consultations.models import Consultation
    from pstdesk.offices.calendar import next_office_opening
    from pstdesk.offices.models import Office
    from pstdesk.supervision.actions import warn_deadlines

    page = browser_page
    login(page, asgi_server, officer_5102)
    page.goto("/console/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    expect(page.locator("#deadlines")).to_be_hidden()
    from django.utils import timezone

    c = make_consultation("5102", started=timezone.now() - timedelta(days=1), assigned_to=officer_5102)
    # due one working hour from now (or from the next opening while the office is closed)
    due = next_office_opening(Office.objects.get(code="5102")) + timedelta(hours=1)
    Consultation.objects.filter(pk=c.pk).update(due_at=due, breached_at=None)
    assert asgi_server.call(warn_deadlines) == 1
    line = page.locator(f'#deadlines p[data-consultation="{c.pk}"]')
    expect(line).to_have_attribute("data-level", "hours")
    expect(line).to_contain_text(f"PST#{c.pk}")
    page.screenshot(path="/tmp/sup_deadline.png")
