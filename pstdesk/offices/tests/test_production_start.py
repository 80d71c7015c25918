"""Demo data stays in demo (issue 12, item 7), through the real entry points: `pstdesk migrate` of a production
database (no DEMO) writes no simulator WhatsApp ids and no 127.0.0.1 mailbox, with DEMO it does; `pstdesk check`
and `pstdesk serve` refuse to start with an office that has a WhatsApp account but no WHATSAPP_* secrets, naming
the office and the settings (check pstdesk.E201)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

_VARIABLES = ("DATABASE_URL", "REDIS_URL", "DEMO", "SEED_DEMO_CHANNELS", "PORT")
_SECRETS = ("WHATSAPP_APP_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_VERIFY_TOKEN")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _VARIABLES and not k.startswith("WHATSAPP_")}
    return {**env, "DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "pstdesk.settings", **extra}


def _pstdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    script = str(Path(sys.executable).with_name("pstdesk"))
    return subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)


def _query(data_dir: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data_dir / "pstdesk.sqlite3") as db:
        return db.execute(sql).fetchall()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_production_database_gets_no_demo_channels_and_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    env = _env(tmp_path)
    migrated = _pstdesk(env, "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    assert _query(tmp_path, "SELECT count(*) >= 2 FROM offices_office") == [(1,)]  # the seed offices are there
    assert _query(tmp_path, "SELECT count(*) FROM offices_channelaccount WHERE kind = 'whatsapp'") == [(0,)]
    assert _query(tmp_path, "SELECT count(*) FROM offices_channelaccount WHERE kind = 'email'") == [(0,)]
    assert _pstdesk(env, "check").returncode == 0  # no WhatsApp account: nothing to check

    with sqlite3.connect(tmp_path / "pstdesk.sqlite3") as db:  # the operator enters Tabanan's Cloud API id
        db.execute(
            "INSERT INTO offices_channelaccount (office_id, kind, external_key, config, is_active, created_at) "
            "VALUES ('5102', 'whatsapp', '900000000005102', '{}', 1, '2026-12-01 00:00:00')"
        )
    for args in (["check"], ["serve", "--no-tasks", "--port", str(_free_port())]):
        refused = _pstdesk(env, *args)
        assert refused.returncode != 0, args
        assert "pstdesk.E201" in refused.stderr and "5102" in refused.stderr, refused.stderr
        assert all(name in refused.stderr for name in _SECRETS)
        assert "PST Desk on http" not in refused.stdout  # it never started serving

    secrets = _env(tmp_path, **dict.fromkeys(_SECRETS, "set-by-the-operator"))
    assert _pstdesk(secrets, "check").returncode == 0


def test_demo_database_gets_the_simulator_ids_and_the_local_mailbox(tmp_path: Path) -> None:
    migrated = _pstdesk(_env(tmp_path, DEMO="true"), "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    ids = _query(tmp_path, "SELECT office_id FROM offices_channelaccount WHERE kind = 'whatsapp' ORDER BY office_id")
    assert ("5102",) in ids and ("5101",) in ids
    mailboxes = "SELECT office_id, json_extract(config, '$.imap_host') FROM offices_channelaccount WHERE kind = 'email'"
    assert _query(tmp_path, mailboxes) == [("5101", "127.0.0.1")]
