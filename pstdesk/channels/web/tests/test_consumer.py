"""The widget socket: origin and token checks, idempotent resend, replay after the cursor, limits."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import override_settings

from pstdesk.channels.web.actions import open_widget_session, revoke_widget_session
from pstdesk.channels.web.tests.conftest import communicator, complete_visitor, drain, new_id, receive_until
from pstdesk.consultations.models import Consultation, DeliveryStatus, Message
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db(transaction=True)


def hello(token: str, *, channel: str = "livechat_website", consultation: int | None = None, cursor: int = 0) -> dict:
    return {"type": "hello", "token": token, "channel": channel, "consultation": consultation, "cursor": cursor}


def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
    async def main() -> Any:
        return await fn(*args, **kwargs)

    return async_to_sync(main)()


def test_foreign_origin_is_refused(widget_session: Any) -> None:
    async def scenario() -> tuple[bool, bool]:
        evil = communicator(origin="https://evil.example")
        refused, _ = await evil.connect()
        missing = communicator(origin=None)
        refused_missing, _ = await missing.connect()
        return refused, refused_missing

    assert run(scenario) == (False, False)


def test_own_and_office_origins_are_accepted(widget_session: Any) -> None:
    async def scenario() -> tuple[bool, bool]:
        own = communicator(origin="http://testserver")
        ok_own, _ = await own.connect()
        await own.disconnect()
        site = communicator(origin="https://tabanankab.bps.go.id")
        ok_site, _ = await site.connect()
        await site.disconnect()
        return ok_own, ok_site

    assert run(scenario) == (True, True)


def test_office_website_of_another_office_is_refused(widget_session: Any) -> None:
    async def scenario() -> bool:
        comm = communicator("5102", origin="https://jembranakab.bps.go.id")
        connected, _ = await comm.connect()
        return connected

    assert run(scenario) is False


def test_token_of_another_office_is_refused(widget_session: Any) -> None:
    _session, token = widget_session
    _give_jembrana_livechat()

    async def scenario() -> tuple[dict, Any]:
        comm = communicator("5101", origin="http://testserver")
        connected, _ = await comm.connect()
        assert connected
        await comm.send_json_to(hello(token))
        frame = await comm.receive_json_from()
        closed = await comm.receive_output()
        return frame, closed

    frame, closed = run(scenario)
    assert frame["code"] == "unauthorized"
    assert closed == {"type": "websocket.close", "code": 4401}


def test_revoked_or_unknown_token_is_refused(widget_session: Any) -> None:
    session, token = widget_session
    revoke_widget_session(session, by=VisitorActor(session.visitor_id))

    async def scenario() -> list[int]:
        codes = []
        for value in (token, "not-a-token"):
            comm = communicator()
            await comm.connect()
            await comm.send_json_to(hello(value))
            await comm.receive_json_from()
            codes.append((await comm.receive_output())["code"])
        return codes

    assert run(scenario) == [4401, 4401]


def test_messages_before_hello_are_refused(widget_session: Any) -> None:
    async def scenario() -> dict:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to({"type": "message", "client_id": new_id(), "body": "hai"})
        return await comm.receive_json_from()

    assert run(scenario)["code"] == "unauthorized"
    assert Message.objects.count() == 0


def test_message_opens_consultation_and_resend_is_idempotent(widget_session: Any) -> None:
    session, token = widget_session
    client_id = new_id()

    async def scenario() -> tuple[list[dict], list[dict]]:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await comm.send_json_to({"type": "message", "client_id": client_id, "body": "Data kemiskinan Tabanan 2024"})
        first = await receive_until(comm, "ack")
        await comm.send_json_to({"type": "message", "client_id": client_id, "body": "Data kemiskinan Tabanan 2024"})
        second = await receive_until(comm, "ack")
        await comm.disconnect()
        return first, second

    first, second = run(scenario)
    stored = Message.objects.filter(external_id=client_id)
    assert stored.count() == 1
    message = stored.get()
    consultation = message.consultation
    assert consultation.channel == "livechat_website"
    assert consultation.visitor_id == session.visitor_id
    mine = [f for f in first if f["type"] == "message" and f["message"]["client_id"] == client_id]
    assert len(mine) == 1 and mine[0]["message"]["seq"] == message.seq
    assert mine[0]["message"]["body"] == "Data kemiskinan Tabanan 2024"
    assert first[-1] == {"type": "ack", "client_id": client_id, "seq": message.seq}
    # the resend is acknowledged with the same seq and sends no second copy
    assert second[-1] == {"type": "ack", "client_id": client_id, "seq": message.seq}
    assert not [f for f in second if f["type"] == "message" and f["message"]["seq"] == message.seq]


def test_resend_on_a_new_socket_is_idempotent(widget_session: Any) -> None:
    _session, token = widget_session
    client_id = new_id()

    async def scenario() -> None:
        for _ in range(2):
            comm = communicator()
            await comm.connect()
            await comm.send_json_to(hello(token))
            await receive_until(comm, "ready")
            await comm.send_json_to({"type": "message", "client_id": client_id, "body": "halo"})
            await receive_until(comm, "ack")
            await comm.disconnect()

    run(scenario)
    assert Message.objects.filter(external_id=client_id).count() == 1
    assert Consultation.objects.count() == 1


def test_replay_after_cursor_skips_notes_and_seen_messages(widget_session: Any, officer_5102: Any) -> None:
    from pstdesk.consultations.actions import add_note, post_reply

    session, token = widget_session
    client_id = new_id()

    async def first_visit() -> None:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await comm.send_json_to({"type": "message", "client_id": client_id, "body": "pertanyaan"})
        await receive_until(comm, "ack")
        await comm.disconnect()

    run(first_visit)
    consultation = Consultation.objects.get()
    first_seq = Message.objects.get(external_id=client_id).seq
    add_note(consultation, by=officer_5102, body="catatan internal: jangan kirim")
    reply = post_reply(consultation, by=officer_5102, body="Datanya ada di tabel 3.1")

    async def second_visit() -> list[dict]:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token, consultation=consultation.pk, cursor=first_seq))
        frames = await receive_until(comm, "ready")
        frames += await drain(comm)
        await comm.disconnect()
        return frames

    frames = run(second_visit)
    bodies = [f["message"]["body"] for f in frames if f["type"] == "message"]
    visible = Message.objects.filter(consultation=consultation, seq__gt=first_seq, kind="message").order_by("seq")
    assert bodies == [m.body for m in visible]
    assert "Datanya ada di tabel 3.1" in bodies
    assert all("catatan internal" not in body for body in bodies)
    assert "pertanyaan" not in bodies  # before the cursor
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT  # the web adapter "sends" at once


def test_reload_without_cursor_replays_everything_in_order(widget_session: Any, officer_5102: Any) -> None:
    from pstdesk.consultations.actions import post_reply

    _session, token = widget_session

    async def visit(body: str | None, cursor: int = 0, consultation: int | None = None) -> list[dict]:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token, cursor=cursor, consultation=consultation))
        frames = await receive_until(comm, "ready")
        frames += await drain(comm)
        if body:
            await comm.send_json_to({"type": "message", "client_id": new_id(), "body": body})
            frames += await receive_until(comm, "ack")
        await comm.disconnect()
        return frames

    run(visit, "satu")
    consultation = Consultation.objects.get()
    post_reply(consultation, by=officer_5102, body="dua")
    run(visit, "tiga", cursor=99, consultation=consultation.pk)
    frames = run(visit, None)
    seqs = [f["message"]["seq"] for f in frames if f["type"] == "message"]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    bodies = [f["message"]["body"] for f in frames if f["type"] == "message"]
    assert [b for b in bodies if b in {"satu", "dua", "tiga"}] == ["satu", "dua", "tiga"]


def test_live_reply_reaches_the_socket(widget_session: Any, officer_5102: Any) -> None:
    from pstdesk.consultations.actions import post_reply

    _session, token = widget_session

    async def scenario() -> list[dict]:
        from channels.db import database_sync_to_async

        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await comm.send_json_to({"type": "message", "client_id": new_id(), "body": "halo"})
        await receive_until(comm, "ack")
        await drain(comm)
        consultation = await database_sync_to_async(Consultation.objects.get)()
        await database_sync_to_async(post_reply)(
            consultation, by=officer_5102, body="Selamat pagi, ada yang bisa dibantu?"
        )
        frames = await drain(comm, timeout=1)
        await comm.disconnect()
        return frames

    frames = run(scenario)
    bodies = [f["message"]["body"] for f in frames if f["type"] == "message"]
    assert "Selamat pagi, ada yang bisa dibantu?" in bodies


def test_oversized_and_empty_messages_are_refused(widget_session: Any, settings: Any) -> None:
    _session, token = widget_session
    settings.MESSAGE_MAX_CHARS = 100

    async def scenario() -> list[dict]:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        answers = []
        for body in ("x" * 101, "   ", 42):
            client_id = new_id()
            await comm.send_json_to({"type": "message", "client_id": client_id, "body": body})
            answers.append(await receive_until(comm, "error"))
        await comm.send_json_to({"type": "message", "client_id": "not-a-uuid", "body": "hai"})
        answers.append(await receive_until(comm, "error"))
        await comm.disconnect()
        return answers

    answers = run(scenario)
    assert [a[-1]["code"] for a in answers] == ["too_long", "empty", "bad_body", "bad_id"]
    assert Message.objects.count() == 0


@override_settings(WIDGET_MESSAGES_PER_MINUTE=3)
def test_rate_limit_per_visitor(widget_session: Any) -> None:
    _session, token = widget_session

    async def scenario() -> list[str]:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        outcomes = []
        for n in range(5):
            await comm.send_json_to({"type": "message", "client_id": new_id(), "body": f"pesan {n}"})
            frames = await drain(comm, timeout=0.5)
            outcomes.append(frames[-1]["type"] if frames[-1]["type"] != "error" else frames[-1]["code"])
        await comm.disconnect()
        return outcomes

    assert run(scenario) == ["ack", "ack", "ack", "rate_limited", "rate_limited"]
    assert Message.objects.filter(direction="in").count() == 3


@override_settings(WIDGET_MESSAGES_PER_MINUTE_PER_IP=2)
def test_rate_limit_per_address_across_visitors(db: None) -> None:
    office = Office.objects.get(code="5102")
    tokens = [
        open_widget_session(office, complete_visitor(email=f"v{n}@example.test"), by=SystemActor("test"))[1]
        for n in range(2)
    ]

    async def scenario() -> list[str]:
        outcomes = []
        for token in tokens:
            comm = communicator()
            await comm.connect()
            await comm.send_json_to(hello(token))
            await receive_until(comm, "ready")
            for n in range(2):
                await comm.send_json_to({"type": "message", "client_id": new_id(), "body": f"pesan {n}"})
                # The answer always comes (an ack or a refusal): wait for it however loaded the machine is.
                frames = [await comm.receive_json_from(timeout=10), *await drain(comm, timeout=0.5)]
                outcomes.append(frames[-1]["type"] if frames[-1]["type"] != "error" else frames[-1]["code"])
            await comm.disconnect()
        return outcomes

    assert run(scenario) == ["ack", "ack", "rate_limited", "rate_limited"]


def test_typing_is_relayed_to_the_consultation_group(widget_session: Any) -> None:
    from channels.layers import get_channel_layer

    _session, token = widget_session

    async def scenario() -> dict:
        layer = get_channel_layer()
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await comm.send_json_to({"type": "message", "client_id": new_id(), "body": "halo"})
        await receive_until(comm, "ack")
        from channels.db import database_sync_to_async

        consultation = await database_sync_to_async(Consultation.objects.get)()
        listener = await layer.new_channel()
        await layer.group_add(f"consultation.{consultation.pk}", listener)
        await comm.send_json_to({"type": "typing", "on": True})
        event = await layer.receive(listener)
        # the officer's typing comes back to the visitor; the visitor's own echo does not
        await layer.group_send(
            f"consultation.{consultation.pk}",
            {
                "type": "desk.event",
                "event": {"type": "typing", "consultation": consultation.pk, "side": "staff", "on": True},
            },
        )
        frames = await drain(comm)
        await comm.disconnect()
        return {"event": event["event"], "frames": frames}

    result = run(scenario)
    assert result["event"]["actor"] == "visitor" and result["event"]["on"] is True
    assert [f for f in result["frames"] if f["type"] == "typing"] == [{"type": "typing", "on": True}]


def test_read_ack_marks_office_messages_read(widget_session: Any, officer_5102: Any) -> None:
    from pstdesk.consultations.actions import post_reply

    _session, token = widget_session

    async def send_first() -> None:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await comm.send_json_to({"type": "message", "client_id": new_id(), "body": "halo"})
        await receive_until(comm, "ack")
        await comm.disconnect()

    run(send_first)
    consultation = Consultation.objects.get()
    reply = post_reply(consultation, by=officer_5102, body="jawaban")

    async def read() -> None:
        comm = communicator()
        await comm.connect()
        await comm.send_json_to(hello(token))
        await receive_until(comm, "ready")
        await drain(comm)
        await comm.send_json_to({"type": "read", "seq": reply.seq})
        await drain(comm)
        await comm.send_json_to({"type": "delivered", "seq": reply.seq})  # late, backwards: ignored
        await drain(comm)
        await comm.disconnect()

    run(read)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.READ and reply.read_at is not None


def _give_jembrana_livechat() -> None:
    # Jembrana's standard offers no LiveChat (issue 12); these tests need a second office that does.
    from pstdesk.offices.actions import revise_standard
    from pstdesk.offices.models import Office

    office = Office.objects.get(code="5101")
    channels = ["whatsapp", "email", "livechat_website"]
    revise_standard(office, by=SystemActor("test"), changes={"channels": channels}, note="test")
