"""Escalation of rating alerts: an alert (low score, gratuity, illegal fee) that no supervisor decides for the
configured working days goes to the parent office's supervisors (then BPS RI), each step exactly once also with two
worker processes racing, audited; the parent's supervisors see it and decide it; a decided alert never escalates;
another office's supervisor never sees it (404)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.conftest import make_user
from pstdesk.lib.actors import VisitorActor
from pstdesk.ratings.actions import decide_rating_alert, open_rating_alert
from pstdesk.ratings.models import AlertStatus, Rating, RatingAlert
from pstdesk.supervision.escalation import escalate_breaches, escalate_rating_alerts
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
from pstdesk.supervision.escalation import escalate_rating_alerts
start = float(sys.argv[3])
while time.time() < start:
    time.sleep(0.005)
print(escalate_rating_alerts(datetime.fromisoformat(sys.argv[2])))
"""


def wita(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WITA)


def _two_workers(now: datetime) -> list[int]:
    """Run `escalate_rating_alerts(now)` in two OS processes that start at the same instant, on the test
    database."""
    db = connection.settings_dict
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


def low_score_alert(officer: Any, *, opened: datetime) -> RatingAlert:
    """A 5102 consultation rated 1, whose alert opened at `opened`."""
    c = make_consultation("5102", started=wita(11, 20, 9), assigned_to=officer)
    with time_machine.travel(opened, tick=False):
        rating = Rating.objects.create(consultation=c, score=1, feedback="lambat", channel="whatsapp")
        return open_rating_alert(rating, by=VisitorActor(c.visitor_id), reasons=["low_score"])


def test_an_undecided_alert_escalates_once_to_the_province_whose_supervisor_decides_it(
    office_5102, officer_5102, supervisor_5100
) -> None:
    alert = low_score_alert(officer_5102, opened=wita(11, 26, 10))  # Thu 26 Nov
    # Two working days (Fri 27, Mon 30) must pass whole: nothing on Monday before closing.
    assert escalate_rating_alerts(wita(11, 30, 15, 59)) == 0
    # Two worker processes race at Monday's closing: the step to 5100 happens exactly once.
    assert sorted(_two_workers(wita(11, 30, 16, 5))) == [0, 1]
    step = Escalation.objects.get(rating_alert=alert)
    assert (step.level, step.to_office_id, step.from_office_id, step.breach_id) == (1, "5100", "5102", None)
    assert step.consultation_id == alert.consultation_id
    audit = AuditLog.objects.get(verb="rating_alert.escalated")
    assert (audit.subject_type, audit.subject_id, audit.actor_label) == (
        "ratings.ratingalert",
        str(alert.pk),
        "system:escalation",
    )
    assert (audit.office_id, audit.after["to_office"], audit.after["level"]) == ("5102", "5100", 1)
    assert escalate_breaches(wita(11, 30, 16, 10)) == 0  # the breach escalation leaves alert rows alone
    assert escalate_rating_alerts(wita(12, 1, 10)) == 0  # no new step until two more working days

    outsider = Client()
    outsider.force_login(make_user("koord5101", "5101", "supervisor"))
    province = Client()
    province.force_login(supervisor_5100)
    with time_machine.travel(wita(12, 1, 10), tick=False):
        # 5100's supervisor sees it escalated to them, in the queues and in the alert queue
        html = province.get("/pengawasan/antrean/").content.decode()
        part = html[html.index('id="escalated-alerts"') : html.index('id="load"')]
        assert f'data-alert="{alert.pk}"' in part
        html = province.get("/pengawasan/penilaian/?escalated=1").content.decode()
        assert f'data-alert="{alert.pk}"' in html and "dieskalasi ke 5100" in html
        # 5101's supervisor never sees it: not in their queues, 404 on the alert, and cannot decide it
        assert f'data-alert="{alert.pk}"' not in outsider.get("/pengawasan/antrean/").content.decode()
        assert f'data-alert="{alert.pk}"' not in outsider.get("/pengawasan/penilaian/").content.decode()
        assert outsider.get(f"/pengawasan/penilaian/{alert.pk}/").status_code == 404
        denied = outsider.post(f"/pengawasan/penilaian/{alert.pk}/", {"decision": "unfounded", "text": "x"})
        assert denied.status_code == 404
        # the province's supervisor opens it (the escalation step is shown) and decides it
        page = province.get(f"/pengawasan/penilaian/{alert.pk}/").content.decode()
        assert 'id="alert-escalations"' in page and "rating_alert.escalated" in page
        done = province.post(
            f"/pengawasan/penilaian/{alert.pk}/", {"decision": "looked_into", "text": "Diperiksa oleh provinsi."}
        )
        assert done.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.LOOKED_INTO
    assert alert.decisions.get().decided_by == supervisor_5100
    # decided: it leaves the "escalated to me" queue and never goes on to BPS RI
    with time_machine.travel(wita(12, 1, 10, 5), tick=False):
        html = province.get("/pengawasan/antrean/").content.decode()
        assert f'data-alert="{alert.pk}"' not in html
    assert escalate_rating_alerts(wita(12, 10, 16, 5)) == 0
    assert list(Escalation.objects.values_list("to_office", flat=True)) == ["5100"]


def test_an_alert_nobody_decides_goes_on_to_bps_ri_and_no_further(office_5102, officer_5102) -> None:
    alert = low_score_alert(officer_5102, opened=wita(11, 26, 10))
    # all steps due at once (two levels after four working days) are taken in one run, each once
    assert escalate_rating_alerts(wita(12, 2, 16, 5)) == 2
    assert escalate_rating_alerts(wita(12, 2, 16, 5)) == 0
    assert escalate_rating_alerts(wita(12, 20, 16, 5)) == 0  # nothing above BPS RI
    steps = Escalation.objects.filter(rating_alert=alert).order_by("level")
    assert [(s.level, s.to_office_id) for s in steps] == [(1, "5100"), (2, "0000")]
    audit = AuditLog.objects.filter(verb="rating_alert.escalated").order_by("id")
    assert [row.after["to_office"] for row in audit] == ["5100", "0000"]


def test_a_decided_alert_never_escalates(office_5102, officer_5102, supervisor_5102) -> None:
    alert = low_score_alert(officer_5102, opened=wita(11, 26, 10))
    with time_machine.travel(wita(11, 26, 11), tick=False):
        decide_rating_alert(alert, by=supervisor_5102, decision="looked_into", text="Sedang diperiksa.")
    assert escalate_rating_alerts(wita(12, 20, 16, 5)) == 0
    assert not Escalation.objects.exists()
    assert not AuditLog.objects.filter(verb="rating_alert.escalated").exists()


def test_the_periodic_task_escalates_under_worker_and_serve(office_5102, officer_5102) -> None:
    """`pstdesk worker` and the embedded consumer of `pstdesk serve` both run huey's periodic tasks of the same
    registry (`runtime.workers`): the task is registered there and takes the step."""
    from huey.contrib.djhuey import HUEY

    from pstdesk.supervision.tasks import escalate_undecided_rating_alerts

    names = {task.name for task in HUEY._registry.periodic_tasks}
    assert escalate_undecided_rating_alerts.task_class().name in names
    alert = low_score_alert(officer_5102, opened=wita(11, 26, 10))
    with time_machine.travel(wita(11, 30, 16, 5), tick=False):
        escalate_undecided_rating_alerts.call_local()
    assert Escalation.objects.get(rating_alert=alert).to_office_id == "5100"
