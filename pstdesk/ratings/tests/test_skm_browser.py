"""The SKM questionnaire in the LiveChat, in real headless Chromium: after the visitor rates on /pfa/5102/, the
widget offers the nine questions; the answers are stored keyed by element id, once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from pstdesk.channels.web.tests.test_browser import (
    consultation_of,
    fill_prechat,
    new_page,
    open_pfa,
    send,
    wait_until,
)
from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def in_service_hours() -> Iterator[None]:
    with time_machine.travel("2026-03-10 02:00:00+00:00", tick=True):  # Tuesday 10:00 WITA
        yield


def test_skm_offered_and_answered_in_the_widget_after_the_rating(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
    officer_5102: Any,
) -> None:
    from pstdesk.consultations import actions
    from pstdesk.ratings.models import SkmResponse

    page = new_page(browser_page, asgi_server)
    chat = open_pfa(page)
    email = "putu.skm@example.test"
    fill_prechat(chat, name="Putu Ayu", email=email)
    send(chat, "Saya butuh data IPM Tabanan 2024.")
    chat.locator(".pc-msg[data-seq] .pc-text", has_text="IPM").wait_for()
    consultation = consultation_of(asgi_server, email)

    def answer_and_ask_rating() -> None:
        c = consultation.__class__.objects.get(pk=consultation.pk)
        actions.mark_request_clear(c, by=officer_5102)
        actions.post_reply(c, by=officer_5102, body="IPM Tabanan 2024 ada di tabel 4.1.")
        actions.mark_answered(c, by=officer_5102)
        actions.request_rating(c, by=officer_5102)

    asgi_server.call(answer_and_ask_rating)
    skm = chat.locator("#pc-skm")
    assert skm.is_hidden()
    rating = chat.locator("#pc-rating")
    rating.wait_for(state="visible")
    assert skm.is_hidden()  # the questionnaire comes after the rating
    chat.locator("#pc-rating input[name=score][value='4']").check()
    chat.locator("#grat_no").check()
    chat.locator("#fee_no").check()
    chat.locator("#pc-rating button[type=submit]").click()
    rating.wait_for(state="hidden")

    skm.wait_for(state="visible")
    assert skm.locator("fieldset.skm-element").count() == 9
    # a second tab of the same visitor (same session) shows the questionnaire too, until one of them sends it
    other = page.context.new_page()
    other.on("pageerror", lambda exc: page.js_errors.append(str(exc)))  # type: ignore[attr-defined]
    open_pfa(other)
    other.locator("#pc-skm").wait_for(state="visible")
    for element, value in {"u1": 4, "u2": 3, "u3": 4, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u9": 2}.items():
        chat.locator(f"#skm_{element}_{value}").check()  # u8 left unanswered
    skm.screenshot(path="/tmp/skm-widget.png")
    skm.locator("button[type=submit]").click()
    skm.wait_for(state="hidden")
    chat.locator("#pc-conn", has_text="survei kepuasan").wait_for()

    stored = asgi_server.call(lambda: SkmResponse.objects.get(consultation_id=consultation.pk))
    assert stored.answers == {"u1": 4, "u2": 3, "u3": 4, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u9": 2}
    assert stored.channel == "livechat_pfa" and stored.profile["education"] == "3"
    # the second tab sends other answers: refused with a message, nothing changes
    for element in ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"):
        other.locator(f"#skm_{element}_1").check()
    other.locator("#pc-skm button[type=submit]").click()
    other.locator("#pc-skm", has_text="sudah diisi").wait_for()
    other.locator("#pc-skm").screenshot(path="/tmp/skm-widget-second.png")
    again = asgi_server.call(lambda: list(SkmResponse.objects.filter(consultation_id=consultation.pk)))
    assert len(again) == 1 and again[0].answers == stored.answers and again[0].submitted_at == stored.submitted_at
    other.close()
    # a reload does not offer it again
    page.reload()
    chat.locator("#pc-composer").wait_for()
    wait_until(lambda: chat.locator("#pc-skm").is_hidden())
    assert asgi_server.call(lambda: SkmResponse.objects.count()) == 1
    assert page.js_errors == []  # type: ignore[attr-defined]
    page.context.close()
