"""The lean append of the widget socket does what `receive_message` did for the common case (the same message row,
seq, consultation stamps, audit and events, the same follow-ups), exactly once, gapless, within the socket's
office and visitor — in one statement on PostgreSQL and one transaction on SQLite.

Run against real transactions (`transaction=True`): BEGIN and COMMIT are counted like any statement."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.audit.models import AuditLog
from pstdesk.channels.web import append, chat
from pstdesk.channels.web.actions import open_widget_session
from pstdesk.channels.web.models import WidgetSession
from pstdesk.channels.web.tests.conftest import complete_visitor
from pstdesk.channels.web.writer import writer
from pstdesk.conftest import make_user
from pstdesk.consultations.actions import claim_consultation
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.lib.actors import VisitorActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db(transaction=True)

# Monday 20:00 WITA: Tabanan (5102) is closed.
EVENING = "2026-03-09 12:00:00+00:00"
CHANNEL = "livechat_website"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """Events as `receive_message` publishes them after commit: (groups, event)."""
    seen: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr("pstdesk.lib.events.publish", lambda groups, event: seen.append((list(groups), event)))
    return seen


@pytest.fixture(autouse=True)
def fresh_calendars() -> None:
    append._calendars.clear()


def _conversation(email: str, officer: Any = None) -> tuple[WidgetSession, Consultation]:
    """A visitor with complete requirements, their widget session of 5102 and their consultation (open and
    assigned when `officer` claims it)."""
    visitor = complete_visitor(email=email)
    session, _token = open_widget_session(Office.objects.get(code="5102"), visitor, by=VisitorActor(visitor.pk))
    sent = chat.submit_message(session, channel=CHANNEL, client_id=uuid.uuid4(), body="Halo")
    if officer is not None:
        claim_consultation(sent.consultation, by=officer)
    return session, Consultation.objects.get(pk=sent.consultation.pk)


def _held(session: WidgetSession, consultation: Consultation) -> append.Held:
    return append.Held(consultation.pk, consultation.office_id, session.visitor_id, consultation.channel)


_SAME = ("direction", "kind", "channel", "payload", "author_id", "is_automatic", "delivery_status", "attempts")


def _without_identity(message: dict[str, Any] | None) -> dict[str, Any]:
    assert message is not None
    return {k: v for k, v in message.items() if k not in {"id", "consultation", "seq", "external_id", "created_at"}}


def test_the_lean_append_stores_what_receive_message_stored(officer_5102: Any, published: list[Any]) -> None:
    old_session, old = _conversation("lama@example.test", officer_5102)
    new_session, new = _conversation("baru@example.test", officer_5102)
    audit_before = AuditLog.objects.count()
    published.clear()

    sent = chat.submit_message(old_session, channel=CHANNEL, client_id=uuid.uuid4(), body="Data PDRB?")
    appended = append.append_visitor_message(_held(new_session, new), external_id=str(uuid.uuid4()), body="Data PDRB?")

    assert appended is not None and not append.needs_follow_up(appended)  # open, assigned, in office hours
    stored = Message.objects.get(pk=appended.message.pk)
    reference = Message.objects.get(pk=sent.message.pk)
    assert [getattr(stored, f) for f in _SAME] == [getattr(reference, f) for f in _SAME]
    assert stored.body == reference.body == "Data PDRB?"
    assert stored.external_id == appended.message.external_id
    assert (stored.seq, reference.seq) == (new.last_seq + 1, old.last_seq + 1)
    assert stored.created_at == appended.message.created_at
    for before, message in ((old, reference), (new, stored)):
        after = Consultation.objects.get(pk=before.pk)
        assert after.last_seq == message.seq and after.status == before.status == Status.OPEN
        assert after.assigned_to_id == before.assigned_to_id == officer_5102.pk
        assert after.last_inbound_at is not None and before.last_inbound_at is not None
        assert after.last_inbound_at > before.last_inbound_at
        assert after.updated_at > before.updated_at
    assert AuditLog.objects.count() == audit_before  # an inbound message to an open consultation writes none
    # the same events to the same groups: the staff view to the office, the public view to the consultation
    assert [groups for groups, _e in published] == [["office.5102"], [f"consultation.{old.pk}"]]
    lean = appended.events
    assert [groups for groups, _e in lean] == [["office.5102"], [f"consultation.{new.pk}"]]
    for (_g, theirs), (_h, ours) in zip(published, lean, strict=True):
        assert {k: v for k, v in ours.items() if k not in {"consultation", "seq", "message"}} == {
            k: v for k, v in theirs.items() if k not in {"consultation", "seq", "message"}
        }
        assert (ours["consultation"], ours["seq"]) == (new.pk, stored.seq)
        assert _without_identity(ours["message"]) == _without_identity(theirs["message"])
    # what the widget shows for it, without reading it back
    row = chat.visitor_message(appended.message, new_session)
    assert row == chat.replay(new_session, new.pk, stored.seq - 1)[0]


def test_one_statement_on_postgresql_one_transaction_on_sqlite(officer_5102: Any) -> None:
    session, consultation = _conversation("hemat@example.test", officer_5102)
    held = _held(session, consultation)
    first = append.append_visitor_message(held, external_id=str(uuid.uuid4()), body="pertama")
    assert first is not None and not append.needs_follow_up(first)  # the office calendar is cached from here
    with CaptureQueriesContext(connection) as ctx:
        appended = append.append_visitor_message(held, external_id=str(uuid.uuid4()), body="Data inflasi?")
        assert appended is not None and not append.needs_follow_up(appended)
    statements = [q["sql"].split()[0].upper() for q in ctx.captured_queries]
    if connection.vendor == "postgresql":
        assert statements == ["WITH"]  # the seq and the insert in one autocommitted statement
    else:
        assert statements == ["BEGIN", "UPDATE", "INSERT", "COMMIT"]
    assert appended.message.seq == first.message.seq + 1


def test_a_resent_client_id_stores_nothing_and_leaves_no_gap(officer_5102: Any) -> None:
    session, consultation = _conversation("ulang@example.test", officer_5102)
    held = _held(session, consultation)
    client_id = str(uuid.uuid4())
    first = append.append_visitor_message(held, external_id=client_id, body="Sekali saja")
    assert first is not None
    assert append.append_visitor_message(held, external_id=client_id, body="Sekali saja") is None
    # receive_message (the fallback) returns the stored one
    again = chat.submit_message(session, channel=CHANNEL, client_id=client_id, body="Sekali saja")
    assert not again.created and again.message.pk == first.message.pk
    follower = append.append_visitor_message(held, external_id=str(uuid.uuid4()), body="Berikutnya")
    assert follower is not None and follower.message.seq == first.message.seq + 1
    seqs = list(Message.objects.filter(consultation=consultation).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_only_the_sockets_own_active_consultation_is_appended_to(officer_5102: Any) -> None:
    session, consultation = _conversation("milik@example.test", officer_5102)
    other_session, other = _conversation("lain@example.test", officer_5102)
    before = Consultation.objects.get(pk=other.pk).last_seq
    # another visitor's consultation, or the right one claimed for another office: refused, nothing written
    assert append.append_visitor_message(_held(session, other), external_id=str(uuid.uuid4()), body="x") is None
    wrong_office = append.Held(consultation.pk, "5101", session.visitor_id, CHANNEL)
    assert append.append_visitor_message(wrong_office, external_id=str(uuid.uuid4()), body="x") is None
    assert Consultation.objects.get(pk=other.pk).last_seq == before
    # a closed consultation goes back to receive_message (which reopens it); only the guard matters here, the
    # closing procedure itself is the consultations' tests' business
    Consultation.objects.filter(pk=consultation.pk).update(status=Status.CLOSED)
    last = Consultation.objects.get(pk=consultation.pk).last_seq
    assert append.append_visitor_message(_held(session, consultation), external_id=str(uuid.uuid4()), body="x") is None
    assert Consultation.objects.get(pk=consultation.pk).last_seq == last
    assert other_session.pk != session.pk


def test_follow_ups_run_as_receive_message_ran_them(office_5102: Any) -> None:
    # nobody was on duty for the first message; now an officer is: the next message's consultation is
    # auto-assigned, as receive_message does
    session, consultation = _conversation("baru@example.test")
    assert consultation.assigned_to_id is None
    officer_5102 = make_user("ayu", "5102", on_duty=True)
    appended = append.append_visitor_message(_held(session, consultation), external_id=str(uuid.uuid4()), body="x")
    assert appended is not None and append.needs_follow_up(appended)
    assert append.follow_up(appended) == appended.message.seq
    assert Consultation.objects.get(pk=consultation.pk).assigned_to_id == officer_5102.pk

    # outside service hours: one out-of-hours reply after the message, once a day, as receive_message posts it
    with time_machine.travel(EVENING, tick=True):
        claim_consultation(Consultation.objects.get(pk=consultation.pk), by=officer_5102)
        held = _held(session, Consultation.objects.get(pk=consultation.pk))
        evening = append.append_visitor_message(held, external_id=str(uuid.uuid4()), body="Malam")
        assert evening is not None and append.needs_follow_up(evening)
        assert append.follow_up(evening) == evening.message.seq + 1
        replies = Message.objects.filter(consultation=consultation, payload__out_of_hours=True)
        assert [m.seq for m in replies] == [evening.message.seq + 1]
        later = append.append_visitor_message(held, external_id=str(uuid.uuid4()), body="Masih malam")
        assert later is not None and append.follow_up(later) == later.message.seq
        assert replies.count() == 1


def test_the_writer_stores_concurrent_messages_once_each_in_seq_order(officer_5102: Any) -> None:
    session, consultation = _conversation("serentak@example.test", officer_5102)
    held = _held(session, consultation)
    ids = [str(uuid.uuid4()) for _ in range(8)]

    async def scenario() -> list[Any]:
        # every message at once (they share batches), one of them twice
        return await asyncio.gather(
            *(writer.append(held, client_id, f"pesan {client_id}") for client_id in ids + ids[:1])
        )

    outcomes = async_to_sync(scenario)()
    stored = [outcome[0] for outcome in outcomes if outcome is not None]
    assert len(stored) == len(ids) and sorted(a.message.external_id for a in stored) == sorted(ids)
    seqs = list(Message.objects.filter(consultation=consultation).values_list("seq", flat=True))
    assert seqs == list(range(1, consultation.last_seq + len(ids) + 1))
    assert sorted(a.message.seq for a in stored) == seqs[consultation.last_seq :]
