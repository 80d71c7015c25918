"""A WhatsApp consultation from the first message to rating and closing, through the simulator, in both offices'
orders: Tabanan (5102) rates then closes, Jembrana (5101) closes then rates."""

from __future__ import annotations

from typing import Any

import pytest

from pstdesk.channels.whatsapp.models import RatingDialog, RatingStep
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.helpers import PNID, accepted_for, drive_outbox, outbound, start
from pstdesk.consultations import actions
from pstdesk.consultations.models import DeliveryStatus, Direction, Status
from pstdesk.consultations.tests.conftest import complete_requirements
from pstdesk.lib.actors import VisitorActor
from pstdesk.ratings.models import Rating

pytestmark = pytest.mark.django_db


def press(sim: Simulator, office: str, user: str, reply_id_prefix: str) -> None:
    """The user presses the button / list row whose id starts with the prefix, on the latest message that has it."""
    for row in reversed(accepted_for(sim, user)):
        interactive = row["body"].get("interactive") or {}
        action = interactive.get("action") or {}
        options = [(b["reply"]["id"], b["reply"]["title"], "button_reply") for b in action.get("buttons", [])]
        options += [(r["id"], r["title"], "list_reply") for s in action.get("sections", []) for r in s["rows"]]
        for rid, title, kind in options:
            if rid.startswith(reply_id_prefix):
                sim.user_chooses(PNID[office], user, rid, title, kind=kind, context=row["wamid"])
                drive_outbox(sim)
                return
    raise AssertionError(f"no option {reply_id_prefix} was sent to {user}")


def consult_until_answered(sim: Simulator, office: str, user: str, officer: Any) -> Any:
    consultation = start(sim, office, user)
    drive_outbox(sim)
    first = outbound(consultation)
    assert first[0].payload.get("guestbook_prompt") and "?t=" in first[0].body  # signed guestbook link
    assert consultation.status == Status.AWAITING_REQUIREMENTS
    # the visitor fills the web guestbook (the guestbook app's form), which refreshes the requirements
    complete_requirements(consultation.visitor, office)
    actions.refresh_requirements(consultation, by=VisitorActor(consultation.visitor_id))
    press(sim, office, user, f"pst:topic:{consultation.pk}:data")
    actions.claim_consultation(consultation, by=officer)
    consultation.refresh_from_db()
    assert consultation.status == Status.OPEN
    assert consultation.topic == "data"
    actions.post_reply(consultation, by=officer, body="Data kemiskinan Tabanan 2024: https://tabanankab.bps.go.id/")
    drive_outbox(sim)
    actions.mark_answered(consultation, by=officer)
    return consultation


def rate_in_chat(sim: Simulator, office: str, user: str, consultation: Any, *, score: int, gratuity: str) -> None:
    press(sim, office, user, f"pst:score:{consultation.pk}:{score}")
    press(sim, office, user, f"pst:gratuity:{consultation.pk}:{gratuity}")
    press(sim, office, user, f"pst:fee:{consultation.pk}:no")
    sim.user_says(PNID[office], user, "Pelayanan cepat, terima kasih")
    sim.pump()
    drive_outbox(sim)


def assert_everything_delivered(consultation: Any) -> None:
    statuses = {m.delivery_status for m in outbound(consultation)}
    assert statuses <= {DeliveryStatus.READ, DeliveryStatus.DELIVERED}, statuses


def test_tabanan_rate_then_close(sim: Simulator, officer_5102: Any) -> None:
    user = "6281298760001"
    consultation = consult_until_answered(sim, "5102", user, officer_5102)
    actions.request_rating(consultation, by=officer_5102)
    drive_outbox(sim)
    rating_request = outbound(consultation)[-1]
    assert rating_request.payload.get("rating_request")
    assert accepted_for(sim, user)[-1]["body"]["interactive"]["type"] == "list"
    rate_in_chat(sim, "5102", user, consultation, score=5, gratuity="no")
    consultation.refresh_from_db()
    assert consultation.status == Status.RATED
    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.gratuity, rating.illegal_fee, rating.channel) == (5, False, False, "whatsapp")
    assert rating.feedback == "Pelayanan cepat, terima kasih"
    # the answers are part of the transcript (the consultation was open while rating)
    inbound_bodies = list(consultation.messages.filter(direction=Direction.IN).values_list("body", flat=True))
    assert "Pelayanan cepat, terima kasih" in inbound_bodies
    actions.close_consultation(consultation, by=officer_5102)
    drive_outbox(sim)
    consultation.refresh_from_db()
    assert consultation.status == Status.CLOSED
    assert outbound(consultation)[-1].body.startswith("Terima kasih atas penilaian")
    assert_everything_delivered(consultation)


def test_jembrana_close_then_rate(sim: Simulator, officer_5101: Any) -> None:
    user = "6281298760002"
    consultation = consult_until_answered(sim, "5101", user, officer_5101)
    actions.close_consultation(consultation, by=officer_5101)  # closing asks for the rating
    drive_outbox(sim)
    assert accepted_for(sim, user)[-1]["body"]["interactive"]["type"] == "list"
    rate_in_chat(sim, "5101", user, consultation, score=4, gratuity="yes")
    consultation.refresh_from_db()
    assert consultation.status == Status.CLOSED  # the rating answers did not reopen it
    assert consultation.reopened_count == 0
    assert consultation.rated_at is not None
    rating = Rating.objects.get(consultation=consultation)
    assert (rating.score, rating.gratuity, rating.illegal_fee) == (4, True, False)
    assert rating.feedback == "Pelayanan cepat, terima kasih"
    assert RatingDialog.objects.get(consultation=consultation).step == RatingStep.DONE
    assert_everything_delivered(consultation)
    # a later message is a new request: it reopens (within reopen_days), the rating stays
    sim.user_says("105101", user, "Saya ada pertanyaan lain")
    sim.pump()
    consultation.refresh_from_db()
    assert consultation.status == Status.NEW and consultation.reopened_count == 1


def test_rating_outside_the_window_is_a_template_with_a_link(sim: Simulator, officer_5101: Any) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    user = "6281298760003"
    consultation = consult_until_answered(sim, "5101", user, officer_5101)
    with time_machine.travel(timezone.now() + timedelta(hours=26), tick=False):
        actions.close_consultation(consultation, by=officer_5101)
        drive_outbox(sim)
    row = accepted_for(sim, user)[-1]
    assert row["type"] == "template"
    assert row["body"]["template"]["name"] == "pst_penilaian"
    assert "http" in row["text"]
    assert outbound(consultation)[-1].delivery_status in {DeliveryStatus.DELIVERED, DeliveryStatus.READ}
