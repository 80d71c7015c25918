"""Exactly-once intake: the poller killed between fetching and committing, a changed UIDVALIDITY, the same mail
piped twice, a processing crash — every mail stored once and delivered once."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from pstdesk.channels.email import intake
from pstdesk.channels.email.models import InboundEmail, Intake, MailboxState
from pstdesk.channels.email.poller import poll_once
from pstdesk.channels.email.tests.helpers import visitor_mail
from pstdesk.consultations.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def _mails(n: int, start: int = 0) -> list[bytes]:
    return [
        visitor_mail(
            subject=f"Permintaan {i}",
            body=f"Saya Budi dari Universitas Udayana, pertanyaan {i}.",
            sender=f"Pengguna {i} <user{i}@example.id>",
        )
        for i in range(start, start + n)
    ]


def test_poller_killed_between_fetch_and_commit_stores_every_mail_once(imap_mailbox, imap_server, monkeypatch):
    for raw in _mails(4):
        imap_server.append(raw, imap_mailbox.imap_folder)
    real_advance = intake._advance_state
    calls = {"n": 0}

    def dies_on_the_third(state, uid):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed after fetching, before the commit")
        real_advance(state, uid)

    monkeypatch.setattr(intake, "_advance_state", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        poll_once(imap_mailbox)
    # The third mail's row rolled back with the cursor: two stored, the cursor after the second.
    assert InboundEmail.objects.count() == 2
    state = MailboxState.objects.get(mailbox=imap_mailbox)
    uids = sorted(InboundEmail.objects.values_list("uid", flat=True))
    assert state.last_uid == uids[-1]

    monkeypatch.setattr(intake, "_advance_state", real_advance)
    result = poll_once(imap_mailbox)  # restarted
    assert result.stored == 2 and result.duplicates == 0
    assert InboundEmail.objects.count() == 4
    assert Message.objects.filter(direction="in", channel="email").count() == 4
    assert set(InboundEmail.objects.values_list("status", flat=True)) == {Intake.DELIVERED}
    assert poll_once(imap_mailbox).fetched == 0  # nothing new, nothing doubled


def test_crash_after_commit_before_processing_is_processed_on_restart(imap_mailbox, imap_server, monkeypatch):
    imap_server.append(_mails(1)[0], imap_mailbox.imap_folder)
    with monkeypatch.context() as crash:
        crash.setattr(intake, "process_pending", lambda mailbox, limit=500: 0)
        poll_once(imap_mailbox)
    assert InboundEmail.objects.get().status == Intake.STORED
    assert not Message.objects.filter(direction="in").exists()
    result = poll_once(imap_mailbox)
    assert (result.fetched, result.processed) == (0, 1)
    assert InboundEmail.objects.get().status == Intake.DELIVERED
    assert Message.objects.filter(direction="in").count() == 1


def test_changed_uidvalidity_rescans_without_duplicates(imap_mailbox, imap_server):
    first = _mails(2)
    for raw in first:
        imap_server.append(raw, imap_mailbox.imap_folder)
    poll_once(imap_mailbox)
    before = MailboxState.objects.get(mailbox=imap_mailbox).uidvalidity
    # The server rebuilt the folder: new UIDVALIDITY, the same two mails plus one new one.
    imap_server.recreate_folder(imap_mailbox.imap_folder)
    for raw in [*first, *_mails(1, start=2)]:
        imap_server.append(raw, imap_mailbox.imap_folder)
    result = poll_once(imap_mailbox)
    state = MailboxState.objects.get(mailbox=imap_mailbox)
    assert result.rescanned and state.uidvalidity != before and state.rescans == 1
    assert (result.fetched, result.stored, result.duplicates) == (3, 1, 2)
    assert InboundEmail.objects.count() == 3
    assert Message.objects.filter(direction="in").count() == 3


def test_processing_failure_is_recorded_and_retried_never_blocking(mailbox, monkeypatch):
    calls = {"n": 0}
    core = intake  # the intake module calls receive_message by the name it imported

    real = core.receive_message

    def flaky(inbound):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(inbound)

    monkeypatch.setattr(core, "receive_message", flaky)
    email = intake.ingest(mailbox, _mails(1)[0])
    assert email.status == Intake.STORED and "database went away" in email.error and email.attempts == 1
    assert intake.process_pending(mailbox) == 1
    email.refresh_from_db()
    assert email.status == Intake.DELIVERED and email.desk_message is not None


def test_ingest_command_reads_stdin_through_the_same_path(mailbox, monkeypatch):
    raw = _mails(1)[0]
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("receive_email", "--office", "5101", stdout=out)
    assert out.getvalue().startswith("delivered inbound_email=")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(raw)))
    call_command("email", "ingest", "--office", "5101", stdout=io.StringIO())  # piped twice, by the old name
    assert InboundEmail.objects.count() == 1
    assert InboundEmail.objects.get().source == "stdin"
    assert Message.objects.filter(direction="in").count() == 1
    with pytest.raises(CommandError, match="no e-mail mailbox"):
        call_command("receive_email", "--office", "5102")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(CommandError, match="empty"):
        call_command("email", "ingest", "--office", "5101")


def test_run_email_poller_once(imap_mailbox, imap_server):
    imap_server.append(_mails(1)[0], imap_mailbox.imap_folder)
    out = io.StringIO()
    call_command("run_email_poller", "--once", stdout=out)
    assert "5101: fetched=1 stored=1 duplicates=0 processed=1" in out.getvalue()


def test_idle_wakes_the_poller(imap_mailbox, imap_server):
    import threading
    import time

    from pstdesk.channels.email.poller import run_mailbox

    stop = threading.Event()
    thread = threading.Thread(target=run_mailbox, args=(imap_mailbox.pk, stop), kwargs={"interval": 30.0})
    thread.start()
    try:
        time.sleep(1.0)  # the poller is in IDLE now (interval 30 s: only IDLE can wake it in time)
        imap_server.append(_mails(1)[0], imap_mailbox.imap_folder)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not InboundEmail.objects.exists():
            time.sleep(0.2)
        assert InboundEmail.objects.count() == 1
    finally:
        stop.set()
        thread.join(40)
