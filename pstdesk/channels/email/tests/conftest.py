from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from pstdesk.channels.email.models import Mailbox, Security
from pstdesk.channels.email.tests.servers import ImapServer, SmtpServer

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str, **replace: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(("{{" + key + "}}").encode(), value.encode())
    return raw


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    server = ImapServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def working_hours() -> Iterator[None]:
    """Monday 3 August 2026, 10:00 WITA: inside Jembrana's service hours (no out-of-hours reply)."""
    with time_machine.travel(datetime(2026, 8, 3, 10, 0, tzinfo=ZoneInfo("Asia/Makassar")), tick=True):
        yield


@pytest.fixture
def mailbox(db: None, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer, working_hours: None) -> Mailbox:
    """5101's seeded mailbox, pointed at the local SMTP server (IMAP is set per test)."""
    monkeypatch.setenv("EMAIL_PASSWORD_5101", "imap-secret")
    box = Mailbox.objects.get(office_id="5101")
    box.smtp_host, box.smtp_port, box.smtp_security, box.smtp_user = "127.0.0.1", smtp_server.port, Security.NONE, ""
    box.save()
    return box


@pytest.fixture
def imap_mailbox(mailbox: Mailbox, imap_server: ImapServer, request: pytest.FixtureRequest) -> Mailbox:
    """The mailbox reading a folder of its own on the IMAP server (one folder per test: no shared state)."""
    folder = "T" + request.node.name.replace("[", "_").replace("]", "_")[:40]
    imap_server.recreate_folder(folder)
    mailbox.imap_host, mailbox.imap_port, mailbox.imap_security = "127.0.0.1", imap_server.port, Security.NONE
    mailbox.imap_user, mailbox.imap_folder = imap_server.user, folder
    mailbox.save()
    return mailbox
