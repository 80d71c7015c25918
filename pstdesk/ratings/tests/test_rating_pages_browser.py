"""The rating link page and the supervisors' queue in real headless Chromium: a visitor rates 1 with an illegal
fee on /nilai/<token>/, answers the SKM on the same page; the supervisor finds the item in /pengawasan/penilaian/
and records a decision."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from pstdesk.consultations.tests.conftest import complete_requirements, fake_adapter, make_inbound  # noqa: F401
from pstdesk.lib.actors import SystemActor
from pstdesk.testing.browser import asgi_server, browser_page, login, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_rating_page_skm_and_the_alert_queue(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    officer_5102: Any,
    supervisor_5102: Any,
    fake_adapter: Any,  # noqa: F811
) -> None:
    from pstdesk.consultations import actions
    from pstdesk.ratings.links import rating_url
    from pstdesk.ratings.models import RatingAlert, SkmResponse

    def answered() -> Any:
        c = actions.receive_message(make_inbound(office="5102")).consultation
        complete_requirements(c.visitor, "5102")
        actions.refresh_requirements(c, by=SystemActor("test"))
        actions.assign_consultation(c, to=officer_5102, by=SystemActor("test"))
        actions.mark_request_clear(c, by=officer_5102)
        actions.mark_answered(c, by=officer_5102)
        actions.request_rating(c, by=officer_5102)
        return c

    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):
        consultation = asgi_server.call(answered)
        page = browser_page
        page.goto("/nilai/" + rating_url(consultation).split("/nilai/", 1)[1])  # the path of the e-mailed link
        page.locator("input[name=score][value='1']").check()
        page.locator("#feedback").fill("Diminta uang fotokopi.")
        page.locator("input[name=illegal_fee][value='yes']").check()
        page.get_by_role("button", name="Kirim penilaian").click()
        page.get_by_text("penilaian Anda telah kami terima").wait_for()
        form = page.locator("#skm-form")
        form.wait_for()
        assert form.locator("fieldset.skm-element").count() == 9
        for element in ("u1", "u2", "u3", "u5", "u6", "u7", "u8", "u9"):
            page.locator(f"#skm_{element}_2").check()
        page.locator("#skm_u4_1").check()  # "Sangat mahal": they were charged
        page.screenshot(path="/tmp/rating-page-skm.png", full_page=True)
        form.get_by_role("button", name="Kirim survei").click()
        page.get_by_text("survei kepuasan Anda telah kami terima").wait_for()
        stored = asgi_server.call(lambda: SkmResponse.objects.get(consultation_id=consultation.pk))
        assert stored.answers["u4"] == 1 and stored.answers["u1"] == 2

        alert = asgi_server.call(lambda: RatingAlert.objects.get(consultation_id=consultation.pk))
        assert alert.reasons == ["low_score", "illegal_fee"]
        login(page, asgi_server, supervisor_5102)
        page.goto("/pengawasan/")
        page.locator("#rating-alerts-link").click()
        page.locator(f"tr[data-alert='{alert.pk}'] a[href*='/pengawasan/penilaian/']").click()
        page.locator("#alert-reasons", has_text="pungutan liar").wait_for()
        page.locator("input[name=decision][value='looked_into']").check()
        page.locator("#decision-text").fill("Transkrip dibaca; petugas dipanggil.")
        page.get_by_role("button", name="Catat keputusan").click()
        page.locator("#decision-trail", has_text="petugas dipanggil").wait_for()
        assert page.locator("#alert-status").inner_text() == "sedang diperiksa"
        page.screenshot(path="/tmp/rating-alert.png", full_page=True)
        assert page.js_errors == []  # type: ignore[attr-defined]
