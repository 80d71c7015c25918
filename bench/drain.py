"""The WhatsApp worker: how fast one worker process (`pstdesk worker`) drains a stored backlog of signed webhook
deliveries from many senders, and its CPU per message (target: >= 100 messages/s).

The backlog is stored straight into the deliveries table (the channel's own upsert, as the webhook's POST does;
acknowledging is measured by `bench.whatsapp`). The senders' first messages are drained before timing (their
consultations exist), so the timed backlog is the steady state: messages to open consultations. The office's service
hours are the whole day, so the drain does the same work at any hour (no out-of-hours replies). The greetings the
warm-up queued (sent to a closed port, retried with backoff) are marked sent and the task queue emptied before timing,
so the timed worker's CPU is the drain's (its task consumer idles beside it, as in production).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import harness
from bench.whatsapp import SECRET, SETUP, _drain, _sql, payload

TABLE = "channel_whatsapp_webhookdelivery"
SENDERS = 200

QUIET = """
from huey.contrib.djhuey import HUEY
from pstdesk.consultations.models import Message
Message.objects.filter(direction="out", delivery_status="pending").update(delivery_status="sent")
HUEY.flush()
"""

STORE = """

from pstdesk.channels.whatsapp.webhook import intake
bodies = [line.encode() for line in open({path!r}, encoding="utf-8").read().splitlines()]
for start in range(0, len(bodies), 500):
    intake.store_many(bodies[start:start + 500])
"""


def _store(env: dict[str, str], data: Path, bodies: list[bytes]) -> None:
    path = data / "backlog.jsonl"
    path.write_text("\n".join(body.decode() for body in bodies))
    harness.manage(env, "shell", "-c", STORE.format(path=str(path)))


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    backlog = 6000 if full else 2000
    with harness.data_dir() as data:
        env = harness.bench_env(
            backend, data, WHATSAPP_APP_SECRET=SECRET, WHATSAPP_VERIFY_TOKEN="bench", WHATSAPP_ACCESS_TOKEN="bench"
        )
        # Outbound sends (greetings) go nowhere fast: a closed local port.
        env["WHATSAPP_API_BASE"] = f"http://127.0.0.1:{harness.free_port()}"
        harness.manage(env, "migrate", "--noinput")
        harness.manage(env, "shell", "-c", SETUP)
        _store(env, data, [payload(n, n) for n in range(SENDERS)])
        _drain(env, window=600)
        harness.manage(env, "shell", "-c", QUIET)
        _sql(env, f"DELETE FROM {TABLE}")
        _store(env, data, [payload(n, n % SENDERS) for n in range(SENDERS, SENDERS + backlog)])
        try:
            rate, cpu, drained = _drain(env, window=60 if full else 30)
        except RuntimeError as exc:
            rate, cpu, drained = 0.0, float("nan"), 0
            print(f"whatsapp drain: {exc}", file=sys.stderr)
        states = dict(_sql(env, f"SELECT state, count(*) FROM {TABLE} GROUP BY state"))
    return [
        harness.Row(
            "whatsapp stored backlog drained by 1 worker",
            backend.name,
            f"{rate:.1f} msg/s ({drained:,} of {backlog:,} from {SENDERS} senders; {json.dumps(states)})",
            "",
            "",
            ">= 100 msg/s",
            "yes" if rate >= 100 else "no",
            cpu_ms_per_msg=round(cpu, 3),
            numbers={"measured": round(rate, 2)},
        )
    ]
