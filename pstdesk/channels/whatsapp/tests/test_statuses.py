"""Status webhooks: stored once per (wamid, status), applied forward only whatever order Meta sends them in."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pstdesk.channels.whatsapp.models import StatusEvent
from pstdesk.channels.whatsapp.simulator import Simulator
from pstdesk.channels.whatsapp.tests.conftest import fixture
from pstdesk.channels.whatsapp.tests.helpers import drive_outbox, start
from pstdesk.consultations.actions import post_reply
from pstdesk.consultations.models import DeliveryStatus

pytestmark = pytest.mark.django_db


def _status(wamid: str, status: str, *, callback: str = "", ts: int = 1700000000) -> dict[str, Any]:
    row: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(ts), "recipient_id": "6281298765432"}
    if callback:
        row["biz_opaque_callback_data"] = callback
    return row


def _post(post_webhook: Any, *rows: dict[str, Any]) -> None:
    body = json.loads(fixture("status_sent.json"))
    body["entry"][0]["changes"][0]["value"]["statuses"] = list(rows)
    assert post_webhook(body).status_code == 200


@pytest.fixture
def sent_message(sim: Simulator, officer_5102: Any) -> Any:
    sim.chaos = False
    sim.auto_read = False
    consultation = start(sim, "5102", "6281298765432")
    drive_outbox(sim)
    message = post_reply(consultation, by=officer_5102, body="jawaban")
    from pstdesk.consultations.tasks import deliver_now

    deliver_now(message.pk)
    sim.queue.clear()  # we send the statuses ourselves below
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    return message


def test_out_of_order_and_duplicated_statuses_end_in_the_right_state(post_webhook: Any, sent_message: Any) -> None:
    wamid = sent_message.external_id
    _post(post_webhook, _status(wamid, "read"), _status(wamid, "delivered"), _status(wamid, "sent"))
    _post(post_webhook, _status(wamid, "delivered"))
    _post(post_webhook, _status(wamid, "read"))
    sent_message.refresh_from_db()
    assert sent_message.delivery_status == DeliveryStatus.READ
    assert StatusEvent.objects.filter(wamid=wamid).count() == 3  # one per (wamid, status)
    # a late failure cannot undo a read message
    _post(post_webhook, _status(wamid, "failed"))
    sent_message.refresh_from_db()
    assert sent_message.delivery_status == DeliveryStatus.READ


def test_read_without_delivered(post_webhook: Any, sent_message: Any) -> None:
    _post(post_webhook, _status(sent_message.external_id, "read"))
    sent_message.refresh_from_db()
    assert sent_message.delivery_status == DeliveryStatus.READ
    assert sent_message.read_at is not None


def test_status_maps_back_by_our_callback_data_before_the_wamid_is_known(post_webhook: Any, sent_message: Any) -> None:
    from pstdesk.consultations.models import Message

    Message.objects.filter(pk=sent_message.pk).update(external_id=None, delivery_status=DeliveryStatus.PENDING)
    _post(post_webhook, _status("wamid.fresh", "delivered", callback=f"pst:{sent_message.pk}"))
    sent_message.refresh_from_db()
    assert sent_message.delivery_status == DeliveryStatus.DELIVERED
    assert sent_message.external_id == "wamid.fresh"


def test_failed_status_from_the_fixture_shows_metas_error(post_webhook: Any, sim: Simulator, officer_5102: Any) -> None:
    sim.chaos = False
    consultation = start(sim, "5102", "6281298765432")
    drive_outbox(sim)
    message = post_reply(consultation, by=officer_5102, body="x")
    from pstdesk.consultations.models import Message

    # the row is still being sent (pending) when Meta's failure arrives, keyed by the fixture's wamid
    Message.objects.filter(pk=message.pk).update(external_id="wamid.xyzxyz")
    assert post_webhook(fixture("status_failed.json")).status_code == 200
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.delivery_error.startswith("130472: User's number is part of an experiment")


def test_unknown_wamid_is_recorded_and_ignored(post_webhook: Any, sim: Simulator) -> None:
    _post(post_webhook, _status("wamid.unknown", "delivered"))
    event = StatusEvent.objects.get(wamid="wamid.unknown")
    assert event.message is None


def test_simulator_chaos_still_ends_read(sim: Simulator, officer_5102: Any) -> None:
    """Duplicates, shuffles, batches and read-without-delivered from the simulator over many messages."""
    consultation = start(sim, "5102", "6281298765433")
    for n in range(15):
        post_reply(consultation, by=officer_5102, body=f"pesan {n}")
    drive_outbox(sim)
    statuses = set(consultation.messages.filter(direction="out").values_list("delivery_status", flat=True))
    assert statuses == {DeliveryStatus.READ}
