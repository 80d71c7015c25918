"""The monthly report on schedule through the real entry point, as `make run` starts it: `pstdesk serve` with
DEMO=true, SQLite in DATA_DIR and the task consumer embedded, its clock moved to 08.00 WITA on Tuesday
1 December 2026 (the first working day) by time-machine in the server process itself. Nobody calls anything: the
periodic task sends the November report of each office with a service manager, once, into the file outbox that
`make run` uses (no EMAIL_HOST).

TASK_PERIODIC_SECONDS=2 makes the scheduler look every 2 s (several looks in the same minute: still one report
each); the clock stands still at 08.00 so the on-the-hour crontab stays due however slow the start. Every wait is
bounded.
"""

from __future__ import annotations

import email
import email.policy
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

from pstdesk.runtime.tests.test_embedded import _pstdesk, _shell, _wait_ready, demo_env  # noqa: F401

REPORT_SECONDS = 180

# `pstdesk serve` (pstdesk.cli.main) with the clock frozen at the first working day of December, 08.00 WITA.
SERVE_AT_EIGHT = (
    "import sys, time_machine\n"
    "time_machine.travel('2026-12-01T08:00:00+08:00', tick=False).start()\n"
    "from pstdesk.cli import main\n"
    "sys.argv = ['pstdesk', *sys.argv[1:]]\n"
    "main()\n"
)

STATE = """
import json
from pstdesk.reports.models import ReportDelivery, ReportSnapshot
print(json.dumps({
    "snapshots": sorted(
        [s.office_id, s.kind, str(s.period_start), str(s.period_end), s.version, s.created_by_label]
        for s in ReportSnapshot.objects.all()
    ),
    "deliveries": sorted(
        [d.snapshot.office_id, d.email] for d in ReportDelivery.objects.select_related("snapshot")
    ),
}))
"""


def _report_mails(env: dict[str, str]) -> list[EmailMessage]:
    """The November reports in the file outbox of `make run` (no EMAIL_HOST): one file per connection, messages
    separated by a line of dashes."""
    mails = [
        email.message_from_string(text, policy=email.policy.default)
        for path in (Path(env["DATA_DIR"]) / "outbox-mail").glob("*.log")
        for text in path.read_text(errors="replace").split("-" * 79)
        if text.strip()
    ]
    return [mail for mail in mails if "November 2026 (versi 1)" in str(mail["Subject"])]  # type: ignore[misc]


def test_serve_sends_the_monthly_reports_at_eight_on_the_first_working_day(demo_env, tmp_path: Path) -> None:
    env = demo_env
    _pstdesk(env, "migrate", "--noinput")
    _pstdesk(env, "create_demo_accounts")
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE_AT_EIGHT, "serve", "--port", env["PORT"]],
            # time-machine imports pytest, which settings take for a test run (immediate tasks): say it is not.
            env={**env, "TASKS_IMMEDIATE": "false"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(proc, env["PORT"], log_path)
        deadline = time.monotonic() + REPORT_SECONDS
        while len(_report_mails(env)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # more looks of the scheduler in the same minute: nothing more may be sent
        state = _shell(env, STATE)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    output = log_path.read_text(errors="replace")
    monthly = [s for s in state["snapshots"] if s[1] == "monthly"]
    assert [s[0] for s in monthly] == sorted({s[0] for s in monthly}), output[-3000:]  # one version per office
    assert ["5101", "monthly", "2026-11-01", "2026-11-30", 1, "system:reports"] in monthly, output[-3000:]
    assert ["5102", "monthly", "2026-11-01", "2026-11-30", 1, "system:reports"] in monthly, output[-3000:]
    assert state["deliveries"] == [["5101", "pj.5101@demo.invalid"], ["5102", "pj.5102@demo.invalid"]]
    # The e-mails went to the file outbox of `make run`, the PDF attached.
    reports = _report_mails(env)
    assert sorted(str(mail["To"]) for mail in reports) == ["pj.5101@demo.invalid", "pj.5102@demo.invalid"]
    for mail in reports:
        assert "application/pdf" in [part.get_content_type() for part in mail.walk()]
