"""Several breach workers at once, as separate processes on one embedded (file SQLite) database, released at the
same instant over the same overdue consultations: exactly one breach and one compensation case per consultation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

WORKERS = 4
OVERDUE = 40

SETUP = """
from datetime import datetime
from zoneinfo import ZoneInfo
from pstdesk.complaints.tests.factories import make_consultation
start = datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Makassar"))
for i in range({n}):
    make_consultation("5102" if i % 2 else "5101", started=start)
"""

# Each worker imports Django, waits for the common start instant, then runs the same detection as the minute task.
WORKER = """
import os, sys, time, json
import django
django.setup()
from datetime import datetime
from zoneinfo import ZoneInfo
from pstdesk.complaints.actions import detect_breaches
time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
now = datetime(2026, 12, 1, 9, tzinfo=ZoneInfo("Asia/Makassar"))
print(json.dumps({"recorded": detect_breaches(now)}))
"""

REPORT = """
import json
from django.test import Client
from pstdesk.conftest import make_user
from django.db.models import Count
from pstdesk.complaints.models import Breach, Compensation
from pstdesk.consultations.models import Consultation
client = Client()
client.force_login(make_user("koord", "5100", "supervisor"))  # the province sees both regencies
page = client.get("/pengawasan/")
print(json.dumps({
    "consultations": Consultation.objects.count(),
    "breached": Consultation.objects.filter(breached_at__isnull=False).count(),
    "breaches": list(
        Breach.objects.values("consultation_id", "kind").annotate(n=Count("id")).values_list("n", flat=True)
    ),
    "resolution": Breach.objects.filter(kind="resolution").count(),
    "first_response": Breach.objects.filter(kind="first_response").count(),
    "cases": list(Compensation.objects.values("consultation_id").annotate(n=Count("id")).values_list("n", flat=True)),
    "page": page.status_code,
    "shown": page.content.decode().count('class="case"'),
}))
"""


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_concurrent_workers_record_each_breach_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
        "TASKS_IMMEDIATE": "false",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([_bin("pstdesk"), "migrate", "--skip-checks", "-v0"], env=env, check=True, timeout=300)
    subprocess.run([_bin("pstdesk"), "shell", "-c", SETUP.format(n=OVERDUE)], env=env, check=True, timeout=120)

    release = time.time() + 4.0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(release)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1])["recorded"])

    report = subprocess.run(
        [_bin("pstdesk"), "shell", "-c", REPORT], env=env, check=True, timeout=120, capture_output=True, text=True
    )
    state = json.loads(report.stdout.strip().splitlines()[-1])
    assert state["consultations"] == OVERDUE
    assert state["breached"] == OVERDUE
    # One resolution and one first-response breach per consultation, never two of a kind.
    assert state["resolution"] == OVERDUE and state["first_response"] == OVERDUE
    assert set(state["breaches"]) == {1}
    # One compensation case per consultation (for its resolution breach).
    assert len(state["cases"]) == OVERDUE and set(state["cases"]) == {1}
    # The province supervisor's page lists every case, with nobody having acted.
    assert state["page"] == 200 and state["shown"] == OVERDUE
    # Together the workers recorded each breach exactly once.
    assert sum(results) == 2 * OVERDUE
