"""The outbox: delivery through the channel adapter with retries, backoff, per-consultation order, and forward-only
delivery statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions, tasks
from pstdesk.consultations.models import Message
from pstdesk.consultations.tests.conftest import make_inbound

pytestmark = pytest.mark.django_db

START = "2026-03-10 02:00:00+00:00"


@pytest.fixture
def consultation(officer_5102):
    with time_machine.travel(START, tick=False):
        return actions.receive_message(make_inbound()).consultation


def reply(consultation, officer, body):
    # outside a commit: the row stays pending and the test drives the worker itself
    return actions.post_reply(consultation, by=officer, body=body)


def test_reply_after_commit_is_sent_with_the_provider_id(consultation, officer_5102, fake_adapter, commit):
    message = commit(actions.post_reply, consultation, by=officer_5102, body="Halo")
    message.refresh_from_db()
    assert message.delivery_status == "sent" and message.sent_at and message.attempts == 1
    assert fake_adapter.sent[0].recipient.phone == "+6281234567890"
    assert fake_adapter.sent[0].body == "Halo"


def test_transient_errors_back_off_then_fail_after_max_attempts(consultation, officer_5102, fake_adapter, events):
    with time_machine.travel(START, tick=False) as clock:
        message = reply(consultation, officer_5102, "Halo")
        fake_adapter.script = ["retry"] * tasks.MAX_ATTEMPTS
        waits = []
        for attempt in range(1, tasks.MAX_ATTEMPTS + 1):
            assert tasks.deliver_now(message.pk) == ("retry" if attempt < tasks.MAX_ATTEMPTS else "failed")
            message.refresh_from_db()
            assert message.attempts == attempt
            if attempt < tasks.MAX_ATTEMPTS:
                assert message.delivery_status == "pending" and message.delivery_error == "provider busy (429)"
                wait = message.next_attempt_at - timezone.now()
                waits.append(wait)
                assert tasks.deliver_now(message.pk) == "not_due"  # not before its time
                clock.shift(wait)
        assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
        assert message.delivery_status == "failed" and "429" in message.delivery_error
        assert AuditLog.objects.filter(verb="message.failed", subject_id=str(message.pk)).exists()


def test_permanent_error_fails_at_once_with_the_provider_text(consultation, officer_5102, fake_adapter, commit, events):
    fake_adapter.script = ["permanent"]
    message = commit(actions.post_reply, consultation, by=officer_5102, body="Halo")
    message.refresh_from_db()
    assert message.delivery_status == "failed" and message.delivery_error.startswith("131047")
    updated = [e for _g, e in events if e["type"] == "message.updated" and e["message"]["id"] == message.pk]
    assert updated and updated[-1]["message"]["delivery_status"] == "failed"


def test_order_within_a_consultation_is_kept(consultation, officer_5102, fake_adapter):
    with time_machine.travel(START, tick=False) as clock:
        first = reply(consultation, officer_5102, "satu")
        second = reply(consultation, officer_5102, "dua")
        fake_adapter.script = ["retry"]
        assert tasks.deliver_now(first.pk) == "retry"
        assert tasks.deliver_now(second.pk) == "waiting"  # never before the first one
        assert fake_adapter.sent == []
        clock.shift(timedelta(seconds=31))
        assert tasks.sweep_outbox.call_local() == 1  # only the head of the consultation
        assert [m.body for m in fake_adapter.sent] == ["satu", "dua"]  # sending one sends the next
        assert set(Message.objects.filter(pk__in=[first.pk, second.pk]).values_list("delivery_status", flat=True)) == {
            "sent"
        }


def test_channel_without_adapter_stays_pending(consultation, officer_5102, no_adapter, commit):
    message = commit(actions.post_reply, consultation, by=officer_5102, body="Halo")
    message.refresh_from_db()
    assert message.delivery_status == "pending" and message.attempts == 0
    assert tasks.deliver_now(message.pk) == "no_adapter"


def test_sweep_picks_up_rows_whose_task_was_lost(consultation, officer_5102, fake_adapter):
    message = reply(consultation, officer_5102, "Halo")  # never committed: the task was never enqueued
    assert tasks.sweep_outbox.call_local() == 1
    message.refresh_from_db()
    assert message.delivery_status == "sent"


def test_two_workers_claim_a_row_once(consultation, officer_5102, fake_adapter):
    message = reply(consultation, officer_5102, "Halo")
    assert tasks.deliver_now(message.pk) == "sent"
    assert tasks.deliver_now(message.pk) == "skipped"
    assert len(fake_adapter.sent) == 1


def test_delivery_status_moves_forward_only(consultation, officer_5102, fake_adapter):
    message = reply(consultation, officer_5102, "Halo")
    tasks.deliver_now(message.pk)
    assert actions.update_delivery_status(message, status="read") is True  # read may skip delivered
    assert actions.update_delivery_status(message, status="delivered") is False  # backwards: no-op
    assert actions.update_delivery_status(message, status="read") is False  # duplicate: no-op
    assert actions.update_delivery_status(message, status="failed", error="late") is False  # read is past failing
    message.refresh_from_db()
    assert message.delivery_status == "read" and message.read_at and message.delivery_error == ""


def test_failed_is_final(consultation, officer_5102, fake_adapter):
    message = reply(consultation, officer_5102, "Halo")
    assert actions.update_delivery_status(message, status="failed", error="131026 undeliverable") is True
    assert actions.update_delivery_status(message, status="sent", external_id="wamid.late") is False
    message.refresh_from_db()
    assert message.delivery_status == "failed" and message.external_id is None
