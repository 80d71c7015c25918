"""The poller process killed with SIGKILL in the middle of intake, then restarted: every mail is stored exactly
once and becomes exactly one message (a real `pstdesk run_email_poller` process against the real IMAP server,
on a database of its own)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from pstdesk.channels.email.tests.helpers import visitor_mail
from pstdesk.channels.email.tests.servers import ImapServer

MAILS = 60
FOLDER = "KILLTEST"


def pstdesk(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pstdesk.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def counts(db: Path) -> tuple[int, int, int, int]:
    """(stored mails, distinct Message-IDs, e-mail messages in consultations, distinct external ids)."""
    with sqlite3.connect(db, timeout=30) as conn:
        stored, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT message_id) FROM channel_email_inboundemail"
        ).fetchone()
        messages, external = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM consultations_message "
            "WHERE channel = 'email' AND direction = 'in'"
        ).fetchone()
    return int(stored), int(distinct), int(messages), int(external)


def test_killed_poller_restarts_and_stores_every_mail_exactly_once(imap_server: ImapServer, tmp_path: Path) -> None:
    imap_server.recreate_folder(FOLDER)
    client = imap_server.client()
    try:
        for n in range(MAILS):
            sender = f"Pengguna {n} <pengguna{n}@student.unud.ac.id>"
            body = f"Nama saya Pengguna {n}, mahasiswa Universitas Udayana. Mohon data penduduk tahun {2000 + n}."
            client.append(FOLDER, visitor_mail(body=body, subject=f"Permintaan data {n}", sender=sender))
    finally:
        client.logout()

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DATA_DIR=str(tmp_path), EMAIL_PASSWORD_5101=imap_server.password, TASKS_IMMEDIATE="false")
    # The seeded 127.0.0.1 mailbox, as in the demo; the demo WhatsApp ids come with it, so the secrets the system
    # check asks for (pstdesk.E201) are set too.
    env.update(SEED_DEMO_CHANNELS="true", WHATSAPP_APP_SECRET="s", WHATSAPP_ACCESS_TOKEN="t", WHATSAPP_VERIFY_TOKEN="v")
    assert pstdesk(env, "migrate", "--noinput").returncode == 0
    configure = (
        "from pstdesk.channels.email.models import Mailbox; "
        "box = Mailbox.objects.get(office_id='5101'); "
        f"box.config = dict(box.config, imap_host='127.0.0.1', imap_port={imap_server.port}, "
        f"imap_security='none', imap_user='{imap_server.user}', imap_folder='{FOLDER}'); box.save()"
    )
    assert pstdesk(env, "shell", "-c", configure).returncode == 0
    db = tmp_path / "pstdesk.sqlite3"

    poller = subprocess.Popen(
        [sys.executable, "-m", "pstdesk.cli", "run_email_poller", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while counts(db)[0] < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(poller.pid, signal.SIGKILL)  # no cleanup, no commit of what was in flight
    finally:
        poller.wait(10)
    at_kill = counts(db)
    assert 0 < at_kill[0] < MAILS, f"the kill must land mid-intake, it landed at {at_kill}"

    for _attempt in range(3):
        result = pstdesk(env, "run_email_poller", "--once", timeout=300)
        assert result.returncode == 0, result.stderr
        if counts(db)[0] == MAILS:
            break
    stored, distinct, messages, external = counts(db)
    assert (stored, distinct) == (MAILS, MAILS)
    assert (messages, external) == (MAILS, MAILS)
