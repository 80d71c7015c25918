"""Escalation up the tree: a resolution breach left open for the configured working days goes to the parent
office's supervisors, then to BPS RI; each step exactly once, also with two worker processes racing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import detect_breaches
from pstdesk.complaints.models import Breach, BreachKind
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.supervision.escalation import escalate_breaches
from pstdesk.supervision.models import Escalation
from pstdesk.testing.browser import use_file_test_database

use_file_test_database()  # the worker processes open the same (file) test database
pytestmark = pytest.mark.django_db(transaction=True)

WITA = ZoneInfo("Asia/Makassar")
ROOT = Path(__file__).resolve().parents[3]

WORKER = """
import os, sys, time
import django
os.environ["DJANGO_SETTINGS_MODULE"] = "pstdesk.settings"
django.setup()
from django.conf import settings
settings.DATABASES["default"]["NAME"] = sys.argv[1]
from datetime import datetime
from pstdesk.supervision.escalation import escalate_breaches
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.005)
print(escalate_breaches(datetime.fromisoformat(sys.argv[2])))
"""


def wita(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def _two_workers(now: datetime) -> list[int]:
    """Run `escalate_breaches(now)` in two OS processes that start at the same instant, on the test database (the
    child inherits DATABASE_URL, and its database name is pointed at the test database's)."""
    import time

    db = connection.settings_dict  # the test database: a file (SQLite) or test_<name> (PostgreSQL)
    start = str(time.time() + 4)
    env = {**os.environ, "DATA_DIR": os.environ.get("DATA_DIR", str(ROOT / "data"))}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(db["NAME"]), now.isoformat(), start],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(int(out.strip().splitlines()[-1]))
    return results


def test_a_breach_left_open_escalates_once_per_level(office_5102, officer_5102, supervisor_5100) -> None:
    c = make_consultation("5102", started=wita(11, 23, 10), assigned_to=officer_5102)  # due Thu 26 Nov 16:00
    detect_breaches(wita(11, 26, 16, 1))
    breach = Breach.objects.get(consultation=c, kind=BreachKind.RESOLUTION)
    # Two working days (Fri 27, Mon 30) must pass whole: nothing on Monday before closing.
    assert escalate_breaches(wita(11, 30, 15, 59)) == 0
    # Two worker processes race at Monday's closing: the step to 5100 happens exactly once.
    assert sorted(_two_workers(wita(11, 30, 16, 5))) == [0, 1]
    step = Escalation.objects.get(breach=breach)
    assert (step.level, step.to_office_id, step.from_office_id) == (1, "5100", "5102")
    assert AuditLog.objects.filter(verb="breach.escalated", subject_id=str(c.pk)).count() == 1
    assert escalate_breaches(wita(12, 1, 10)) == 0  # no new step until two more working days
    # Four working days after the breach (Tue 1, Wed 2 Dec): BPS RI.
    assert escalate_breaches(wita(12, 2, 16, 5)) == 1
    assert list(Escalation.objects.filter(breach=breach).order_by("level").values_list("to_office", flat=True)) == [
        "5100",
        "0000",
    ]
    assert escalate_breaches(wita(12, 10, 16, 5)) == 0  # nothing above BPS RI
    audit = AuditLog.objects.filter(verb="breach.escalated").order_by("id")
    assert [row.after["to_office"] for row in audit] == ["5100", "0000"]
    assert all(row.actor_label == "system:escalation" for row in audit)

    # 5100's supervisor sees it among the consultations escalated to them; 5101's supervisor does not.
    with time_machine.travel(wita(12, 2, 16, 10), tick=False):
        client = Client()
        client.force_login(supervisor_5100)
        html = client.get("/pengawasan/antrean/").content.decode()
        part = html[html.index('id="escalated"') : html.index('id="at-risk"')]
        assert f'data-consultation="{c.pk}"' in part
        outsider = Client()
        outsider.force_login(make_user("koord5101", "5101", "supervisor"))
        assert f'data-consultation="{c.pk}"' not in outsider.get("/pengawasan/antrean/").content.decode()


def test_an_answered_breach_does_not_escalate(office_5102, officer_5102) -> None:
    c = make_consultation("5102", started=wita(11, 23, 10), assigned_to=officer_5102)
    detect_breaches(wita(11, 26, 16, 1))
    type(c).objects.filter(pk=c.pk).update(answered_at=wita(11, 27, 9))
    assert escalate_breaches(wita(12, 10, 16, 5)) == 0
    assert not Escalation.objects.exists()
