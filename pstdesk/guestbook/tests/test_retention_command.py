"""The retention job through its real entry point, the `pstdesk` console script, against the test database (an SQLite
file, or PostgreSQL when DATABASE_URL names it): `pstdesk retention --dry-run`, then `pstdesk retention`, then both
again (the second real run erases nothing and writes no audit row). Generated data, dated from today's clock."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.retention import months_before
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor
from pstdesk.testing.browser import use_file_test_database

use_file_test_database()
pytestmark = pytest.mark.django_db(transaction=True)


def _consultation(at: Any, wa_id: str, text: str, *, close: bool = True) -> Consultation:
    with time_machine.travel(at, tick=False):
        inbound = make_inbound(
            office="5102", sender_wa_id=wa_id, sender_whatsapp="+" + wa_id, sender_name=f"Nama {wa_id}", body=text
        )
        consultation = core.receive_message(inbound).consultation
        core.add_note(consultation, by=SystemActor("test"), body=f"catatan tentang {text}")
        if close:  # generated data: the procedure's own tests cover the way there
            Consultation.objects.filter(pk=consultation.pk).update(status=Status.CLOSED, closed_at=at)
    return consultation


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _pstdesk(tmp_path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
        # The test database has the demo WhatsApp ids: the start-up check (pstdesk.E201) wants the secrets set.
        "WHATSAPP_APP_SECRET": "retention-test",
        "WHATSAPP_ACCESS_TOKEN": "retention-test",
        "WHATSAPP_VERIFY_TOKEN": "retention-test",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("pstdesk")), "retention", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _bodies() -> dict[int, str]:
    return dict(Message.objects.filter(direction="in").values_list("consultation_id", "body"))


def test_console_script_dry_run_then_real_twice(tmp_path: Path) -> None:
    now = timezone.now()
    old, recent = now - timedelta(days=30 * 31), now - timedelta(days=20)
    only_old = _consultation(old, "6281300000001", "data lama pengguna satu")
    mixed_old = _consultation(old, "6281300000002", "data lama pengguna dua")
    mixed_recent = _consultation(recent, "6281300000002", "data baru pengguna dua", close=False)
    recent_one = _consultation(recent, "6281300000003", "data baru pengguna tiga")
    texts = _bodies()
    cutoff = timezone.localtime(months_before(now, 24)).date()

    dry = _pstdesk(tmp_path, "--dry-run")
    assert f"5102: 2 consultation(s) and 1 visitor(s) older than 24 months (before {cutoff})" in dry
    assert f"consultations [{only_old.pk}, {mixed_old.pk}]; visitors [{only_old.visitor_id}]" in dry
    assert "5101: 0 consultation(s) and 0 visitor(s)" in dry
    assert "dry run: 3 item(s) would be erased; nothing was changed" in dry
    assert _bodies() == texts and not AuditLog.objects.filter(verb="retention.erased").exists()

    real = _pstdesk(tmp_path)
    assert "5102: erased 2 consultation(s), 1 visitor(s)" in real and "erased in 1 office(s)" in real
    bodies = _bodies()
    assert bodies[only_old.pk] == bodies[mixed_old.pk] == ""
    assert bodies[mixed_recent.pk] == texts[mixed_recent.pk] and bodies[recent_one.pk] == texts[recent_one.pk]
    assert not Message.objects.filter(consultation__in=[only_old, mixed_old]).exclude(body="").exists()  # notes too
    assert Visitor.objects.get(pk=only_old.visitor_id).erased_at is not None
    assert Visitor.objects.get(pk=mixed_old.visitor_id).erased_at is None  # a recent consultation: kept
    assert Consultation.objects.count() == 4  # the rows the reports count stay
    audit = AuditLog.objects.get(verb="retention.erased")
    assert audit.office_id == "5102" and audit.actor_label == "system:retention"
    assert audit.after["consultations"] == 2 and audit.after["visitors"] == 1
    rows = AuditLog.objects.count()

    again = _pstdesk(tmp_path, "--dry-run")
    assert "5102: 0 consultation(s) and 0 visitor(s)" in again and "dry run: 0 item(s)" in again
    assert _pstdesk(tmp_path).strip() == "nothing to erase"
    assert AuditLog.objects.count() == rows  # the second real run wrote nothing
    assert _bodies() == bodies
