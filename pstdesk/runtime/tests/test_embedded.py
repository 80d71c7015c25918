"""The embedded profile as `make run` starts it: `pstdesk serve` with DEMO=true, SQLite in DATA_DIR and the task
consumer inside the web process. Its consumer knows every app's tasks: the SLA breach check runs by itself (at start
and every period after), and a task queued while no server ran is executed, not dropped as unknown. The demo runs
without Django debug (branded error pages) and keeps the WhatsApp verify token out of the access log.

TASK_PERIODIC_SECONDS=2 makes the scheduler enqueue the periodic tasks every 2 s instead of every minute, so the
test waits seconds. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 60
BREACH_SECONDS = 30

# An overdue consultation (its SLA clock started long ago, nobody answered) and an outbox task queued while no
# server runs (the message id does not exist: the task answers "skipped" once a consumer runs it).
BEFORE_START = """
import json
from datetime import timedelta
from django.utils import timezone
from pstdesk.complaints.tests.factories import make_consultation
from pstdesk.consultations.tasks import deliver_message
overdue = make_consultation("5102", started=timezone.now() - timedelta(days=30))
queued = deliver_message(987654321)
# A breach recorded yesterday, before today's digest hour: the office's supervisors (the coordinator, given an
# address here, and the manager) get it in one daily digest.
from pstdesk.accounts.models import User
from pstdesk.complaints.actions import record_breach
User.objects.filter(username="koordinator.5102").update(email="koordinator.5102@example.test")
late = make_consultation("5102", started=timezone.now() - timedelta(days=30))
record_breach(late, kind="resolution", now=timezone.now() - timedelta(days=1))
print(json.dumps({"overdue": overdue.pk, "task": queued.id, "digested": late.pk}))
"""

AFTER_START = """
import json
from datetime import timedelta
from django.utils import timezone
from pstdesk.complaints.tests.factories import make_consultation
print(json.dumps({"overdue": make_consultation("5101", started=timezone.now() - timedelta(days=30)).pk}))
"""

STATE = """
import email, email.policy, json
from pathlib import Path
from django.conf import settings
from huey.contrib.djhuey import HUEY
from pstdesk.complaints.models import Breach
from pstdesk.consultations.models import Consultation
print(json.dumps({
    "breached": sorted(Consultation.objects.filter(pk__in=ids, breached_at__isnull=False).values_list("pk", flat=True)),
    "breaches": Breach.objects.filter(consultation_id__in=ids).count(),
    "result": HUEY.result(task, preserve=True),
    # Every mail but the scheduled reports (multipart, with the PDF): run at minute 0 of an hour after the first
    # working day's 08.00, the reports' hourly task rightly catches up last month's report (test_schedule_serve.py).
    "mails": [
        {"to": m["To"], "subject": m["Subject"], "body": m.get_body(preferencelist=("plain",)).get_content()}
        for f in sorted(Path(settings.EMAIL_FILE_PATH).glob("*"))
        for part in f.read_bytes().split(b"-" * 79)
        if part.strip()
        for m in [email.message_from_bytes(part.strip(), policy=email.policy.default)]
        if not m.is_multipart()
    ],
}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pstdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pstdesk.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _shell(env: dict[str, str], code: str, **values: object) -> dict:
    """Run `code` in `pstdesk shell` with `values` bound as names; its last output line is JSON."""
    script = "".join(f"{name} = {value!r}\n" for name, value in values.items()) + code
    return json.loads(_pstdesk(env, "shell", "-c", script).strip().splitlines()[-1])


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """The environment `make run` gives its commands (DEMO=true, nothing else), in a fresh DATA_DIR on free ports."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "PYTEST", "DEMO", "DEBUG", "DATABASE_URL", "REDIS_URL", "TASKS_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "pstdesk.settings",
            "DEMO": "true",
            "DATA_DIR": str(tmp_path / "data"),
            "PORT": str(port),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "WHATSAPP_SIMULATOR_PORT": str(_free_port()),
            "BPS_API_SIMULATOR_PORT": str(_free_port()),
            "TASK_PERIODIC_SECONDS": "2",
            "BREACH_DIGEST_HOUR": "0",  # today's digest is due at once, whatever the hour the test runs
            "LOG_LEVEL": "INFO",
        }
    )
    return env


def _wait_ready(proc: subprocess.Popen[bytes], port: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"serve exited:\n{log.read_text(errors='replace')[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve not ready within {STARTUP_SECONDS} s:\n{log.read_text(errors='replace')[-3000:]}")


def test_serve_embedded_consumer_records_breaches_and_runs_tasks_queued_before_start(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    env = demo_env
    _pstdesk(env, "migrate", "--noinput")
    _pstdesk(env, "create_demo_accounts")
    before = _shell(env, BEFORE_START)

    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pstdesk.cli", "serve", "--port", env["PORT"]],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(proc, env["PORT"], log_path)
        base = f"http://127.0.0.1:{env['PORT']}"
        # Without Django debug: the branded page, no URLconf listing, no settings.
        missing = httpx.get(f"{base}/konsultasi/tidak-ada/", timeout=10)
        # Static files, answered in front of Django (pstdesk.lib.static): caching headers and the security headers.
        css = httpx.get(f"{base}/static/pstdesk/site.css", timeout=10)
        css_again = httpx.get(
            f"{base}/static/pstdesk/site.css", headers={"If-None-Match": css.headers["etag"]}, timeout=10
        )
        no_file = httpx.get(f"{base}/static/pstdesk/no-such-file.css", timeout=10)
        verify = httpx.get(
            f"{base}/channels/whatsapp/webhook",
            params={"hub.mode": "subscribe", "hub.verify_token": "demo-verify-token", "hub.challenge": "4711"},
            timeout=10,
        )
        # The BPS Web API simulator came up with the server, answering the demo key (sent as ?key=, never logged).
        bps = httpx.get(
            f"http://127.0.0.1:{env['BPS_API_SIMULATOR_PORT']}/v1/api/list/model/statictable/lang/ind/domain/5102/"
            "keyword/padi/",
            params={"key": "demo-bps-key"},
            timeout=10,
        ).json()
        after = _shell(env, AFTER_START)
        ids = [before["overdue"], after["overdue"]]
        deadline = time.monotonic() + BREACH_SECONDS
        state = _shell(env, STATE, ids=ids, task=before["task"])
        while (
            state["breached"] != sorted(ids) or state["result"] is None or not state["mails"]
        ) and time.monotonic() < deadline:
            time.sleep(0.5)
            state = _shell(env, STATE, ids=ids, task=before["task"])
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    output = log_path.read_text(errors="replace")
    assert missing.status_code == 404 and "Halaman tidak ditemukan" in missing.text
    assert "URLconf" not in missing.text and "DEBUG" not in missing.text
    assert "content-security-policy" in missing.headers
    assert (
        css.status_code == 200 and "@media print" in css.text and css.headers["cache-control"] == "max-age=60, public"
    )
    assert "default-src 'self'" in css.headers["content-security-policy"]
    assert css.headers["x-content-type-options"] == "nosniff" and css.headers["content-type"].startswith("text/css")
    assert css_again.status_code == 304
    assert no_file.status_code == 404 and "Halaman tidak ditemukan" in no_file.text
    # The webhook handshake answered, and its verify token never reached the access log.
    assert verify.status_code == 200 and verify.text == "4711"
    assert "/channels/whatsapp/webhook?[redacted]" in output
    assert "demo-verify-token" not in output
    assert bps["status"] == "OK" and bps["data-availability"] == "available"
    assert "BPS Web API simulator: http://127.0.0.1:" in output and "demo-bps-key" not in output
    # Both overdue consultations got their breach with nobody running anything: the one overdue before the server
    # started and the one that became overdue while it ran (a later periodic run).
    assert state["breached"] == sorted(ids), output[-3000:]
    # A resolution and a first-response breach each.
    assert state["breaches"] == 4
    # The task queued before the start ran through the consultations' task module.
    assert state["result"] == "skipped", output[-3000:]
    assert "not found in TaskRegistry" not in output
    # One digest e-mail of yesterday's breach, from the periodic task, to 5102's supervisor with an address; the
    # breaches recorded while the server ran are for tomorrow's digest, and no breach got an e-mail of its own.
    assert [(m["to"], m["subject"]) for m in state["mails"]] == [
        ("koordinator.5102@example.test, pj.5102@demo.invalid", "Ringkasan harian pelanggaran batas waktu 5102: 1 baru")
    ], output[-3000:]
    assert f"PST#{before['digested']}" in state["mails"][0]["body"]
    assert f"/console/{before['digested']}/" in state["mails"][0]["body"]
    assert "WITA" in state["mails"][0]["body"]
