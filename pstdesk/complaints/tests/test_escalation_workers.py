"""Two deadline workers at once (`pstdesk run_sla_worker --once`), as separate processes on one database, released
together over the same overdue complaints: each complaint is escalated to the province exactly once. On the embedded
file SQLite always; on PostgreSQL too when the suite runs with a postgres `DATABASE_URL` (in a scratch database made
for the test)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

WORKERS = 2
OVERDUE = 30

SETUP = """
from datetime import datetime
from zoneinfo import ZoneInfo
import time_machine
from pstdesk.complaints.actions import file_complaint
from pstdesk.offices.models import Office
tabanan, jembrana = Office.objects.get(code="5102"), Office.objects.get(code="5101")
with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=ZoneInfo("Asia/Makassar")), tick=False):
    for i in range({n}):
        file_complaint(tabanan if i % 2 else jembrana, kind="complaint", text=f"Keluhan {{i}}", source="phone")
"""

# Each worker is the operator's deadline worker, `pstdesk run_sla_worker --once` (pstdesk.cli.main), with its clock
# frozen on Tuesday 1 December 2026 09.00 WITA by time-machine in the worker process itself (the complaints, filed
# on Monday 23 November, were due on Monday 30 November 16.00). Django is set up first; each worker then says it is
# ready (a file) and waits for the go file, so the two claims race however slow the start.
WORKER = """
import os, sys, time
from pathlib import Path
import django
django.setup()
import time_machine
from pstdesk.cli import main
barrier = Path(sys.argv[1])
(barrier / f"ready-{os.getpid()}").touch()
deadline = time.monotonic() + 240
while not (barrier / "go").exists() and time.monotonic() < deadline:
    time.sleep(0.01)
time_machine.travel("2026-12-01T09:00:00+08:00", tick=False).start()
sys.argv = ["pstdesk", "run_sla_worker", "--once"]
main()
"""

REPORT = """
import json
from django.db.models import Count
from pstdesk.audit.models import AuditLog
from pstdesk.complaints.models import Complaint
print(json.dumps({
    "complaints": Complaint.objects.count(),
    "escalated": Complaint.objects.filter(escalated_at__isnull=False, escalated_to_id="5100").count(),
    "rows_per_complaint": list(
        AuditLog.objects.filter(verb="complaint.escalated").values("subject_id").annotate(n=Count("id"))
        .values_list("n", flat=True)
    ),
}))
"""


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


# PostgreSQL joins when the suite runs on it (CI's second run); on SQLite only the embedded database is raced.
@pytest.fixture(params=["sqlite", "postgres"] if _postgres_url() else ["sqlite"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for the embedded SQLite; for PostgreSQL a scratch database beside the configured one, dropped after."""
    if request.param == "sqlite":
        yield None
        return
    base = _postgres_url()
    assert base is not None
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/')}_esc_{uuid.uuid4().hex[:8]}"
    admin = urlunsplit(parts._replace(path="/postgres", query=""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_two_workers_escalate_each_overdue_complaint_once(tmp_path: Path, database_url: str | None) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
        "TASKS_IMMEDIATE": "false",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([_bin("pstdesk"), "migrate", "--skip-checks", "-v0"], env=env, check=True, timeout=300)
    subprocess.run([_bin("pstdesk"), "shell", "-c", SETUP.format(n=OVERDUE)], env=env, check=True, timeout=120)

    barrier = tmp_path / "barrier"
    barrier.mkdir()
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(barrier)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(WORKERS)
    ]
    deadline = time.monotonic() + 240
    while len(list(barrier.glob("ready-*"))) < WORKERS and time.monotonic() < deadline:
        assert all(worker.poll() is None for worker in workers), "a worker ended before it was ready"
        time.sleep(0.05)
    (barrier / "go").touch()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
        found = re.search(r"escalated (\d+) complaint", out)
        assert found, out + err
        results.append(int(found.group(1)))

    report = subprocess.run(
        [_bin("pstdesk"), "shell", "-c", REPORT], env=env, check=True, timeout=120, capture_output=True, text=True
    )
    state = json.loads(report.stdout.strip().splitlines()[-1])
    assert state["complaints"] == OVERDUE
    assert state["escalated"] == OVERDUE  # all of them, to the province above both regencies
    assert len(state["rows_per_complaint"]) == OVERDUE and set(state["rows_per_complaint"]) == {1}
    assert sum(results) == OVERDUE  # together the two workers escalated each complaint exactly once
