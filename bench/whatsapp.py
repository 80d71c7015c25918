"""Signed WhatsApp webhooks: how fast POSTs are acknowledged (each after its raw body is committed) and how fast one
worker process drains the stored backlog, with the baselines measured in the same run: a bare Django view that
answers 200, and a raw ASGI app doing the same store with one INSERT (no framework).

The load client is a raw keep-alive HTTP/1.1 client (`harness.post_load`, requests built before timing); server
CPU per request is read from /proc. The office's service hours are set to the whole day first, so the drain does the
same work at any hour (no out-of-hours replies); the senders' first messages are drained before timing (their
consultations exist), so the timed backlog is the steady state: messages to open consultations.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import harness

SECRET = "bench-app-secret"
SENDERS = 50
TABLE = "channel_whatsapp_webhookdelivery"

SETUP = """
from pstdesk.offices.models import Office, ServiceStandard
Office.objects.filter(code="5102").update(whatsapp_phone_number_id="105102")
day = ["00:00", "23:59"]
ServiceStandard.objects.filter(office_id="5102").update(
    service_hours={d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
)
"""


def payload(n: int, sender: int) -> bytes:
    wa_id = f"62812{sender:07d}"
    body = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "5102000",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
                            "contacts": [{"profile": {"name": f"Bench {sender}"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.bench.{uuid.uuid4().hex}",
                                    "timestamp": str(int(time.time())),
                                    "type": "text",
                                    "text": {"body": f"Mohon data penduduk {n}"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(body).encode()


def sign(raw: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def signed(count: int, start: int = 0) -> list[tuple[bytes, str]]:
    bodies = [payload(n, n % SENDERS) for n in range(start, start + count)]
    return [(body, sign(body)) for body in bodies]


def _sql(env: dict[str, str], sql: str) -> list[tuple[Any, ...]]:
    url = env.get("DATABASE_URL", "")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(sql)  # type: ignore[arg-type]
            return cur.fetchall() if cur.description else []
    with contextlib.closing(sqlite3.connect(Path(env["DATA_DIR"]) / "pstdesk.sqlite3", timeout=30)) as conn:
        rows = conn.execute(sql).fetchall()
        conn.commit()
        return rows


def _waiting(env: dict[str, str]) -> int:
    return int(_sql(env, f"SELECT count(*) FROM {TABLE} WHERE state IN ('received', 'processing')")[0][0])


@contextlib.contextmanager
def _worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(
        [harness.PYTHON, "-m", "pstdesk.cli", "worker", "--threads", "1"],
        env=env,
        cwd=harness.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _drain(env: dict[str, str], *, timeout: float) -> tuple[float, float]:
    """Start one worker process on the stored backlog; (deliveries per second, worker CPU ms per delivery), from the
    first processed delivery to the last (the worker's start-up is not counted)."""
    total = _waiting(env)
    with _worker(env) as proc:
        deadline = time.monotonic() + timeout
        cpu_first = None
        while time.monotonic() < deadline:
            left = _waiting(env)
            if cpu_first is None and left < total:
                cpu_first, left_first = harness.cpu_seconds(proc.pid), left
            if left == 0:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"backlog not drained within {timeout:.0f} s ({_waiting(env)} left)")
        cpu_last = harness.cpu_seconds(proc.pid)
    first, last = _sql(env, f"SELECT min(processed_at), max(processed_at) FROM {TABLE} WHERE processed_at IS NOT NULL")[
        0
    ]
    span = (_when(last) - _when(first)).total_seconds()
    rate = (total - 1) / span if span > 0 else float("inf")
    cpu_ms = 1000 * (cpu_last - (cpu_first or 0.0)) / max(1, left_first if cpu_first is not None else total)
    return rate, cpu_ms


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _timed_load(
    served: harness.Served, path: str, bodies: list[tuple[bytes, str]], seconds: float
) -> tuple[float, int, float]:
    """(requests per second answered 200, non-200, server CPU ms per request)."""
    cpu = harness.cpu_seconds(served.pid)
    rate, errors, done = asyncio.run(harness.post_load(served.base, path, bodies, seconds=seconds, concurrency=32))
    return rate, errors, 1000 * (harness.cpu_seconds(served.pid) - cpu) / max(1, done + errors)


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    seconds = 20.0 if full else 6.0
    backlog = 3000 if full else 1000
    hook_path = "/channels/whatsapp/webhook"
    with harness.data_dir() as data:
        env = harness.bench_env(
            backend, data, WHATSAPP_APP_SECRET=SECRET, WHATSAPP_VERIFY_TOKEN="bench", WHATSAPP_ACCESS_TOKEN="bench"
        )
        # Outbound sends (greetings) go nowhere fast: a closed local port.
        env["WHATSAPP_API_BASE"] = f"http://127.0.0.1:{harness.free_port()}"
        harness.manage(env, "migrate", "--noinput")
        harness.manage(env, "shell", "-c", SETUP)
        with harness.serve(env, app="bench.raw_asgi:app") as raw_server:
            _timed_load(raw_server, hook_path, signed(500, 10_000_000), 1.0)  # warm-up
            raw, raw_errors, raw_cpu = _timed_load(
                raw_server, hook_path, signed(int(seconds * 6000), 20_000_000), seconds
            )
        with harness.serve(env) as served:
            bare_request = [(b"{}", "")] * int(seconds * 3000)
            _timed_load(served, "/bench/bare", bare_request[:300], 1.0)  # warm-up
            bare, bare_errors, bare_cpu = _timed_load(served, "/bench/bare", bare_request, seconds)
            _timed_load(served, hook_path, signed(500, 30_000_000), 1.0)  # warm-up
            hook, hook_errors, hook_cpu = _timed_load(
                served, hook_path, signed(int(seconds * 6000), 40_000_000), seconds
            )
            # The backlog: the senders' first messages drained first (their consultations exist), then `backlog`.
            _sql(env, f"DELETE FROM {TABLE}")
            asyncio.run(harness.post_load(served.base, hook_path, signed(SENDERS), seconds=120, concurrency=8))
            _drain(env, timeout=300)
            _sql(env, f"DELETE FROM {TABLE}")
            asyncio.run(
                harness.post_load(served.base, hook_path, signed(backlog, SENDERS), seconds=300, concurrency=16)
            )
        drain, drain_cpu = _drain(env, timeout=600)
    ratio = hook / bare if bare else 0.0
    return [
        harness.Row(
            "whatsapp webhook acknowledged after commit",
            backend.name,
            f"{hook:.0f} req/s ({hook_errors} non-200)",
            f"bare Django view {bare:.0f} req/s ({bare_errors} non-200, {bare_cpu:.2f} ms CPU/req)",
            f"{ratio:.2f}",
            ">= 5.00",
            "yes" if ratio >= 5 and hook_errors == 0 else "no",
            cpu_ms_per_msg=round(hook_cpu, 3),
            numbers={"measured": round(hook, 1), "baseline": round(bare, 1), "ratio": round(ratio, 3)},
        ),
        harness.Row(
            "whatsapp webhook vs raw ASGI insert",
            backend.name,
            f"{hook:.0f} req/s",
            f"raw ASGI insert {raw:.0f} req/s ({raw_errors} non-200, {raw_cpu:.2f} ms CPU/req)",
            f"{hook / raw if raw else 0:.2f}",
            "",
            "",
            cpu_ms_per_msg=round(hook_cpu, 3),
            numbers={
                "measured": round(hook, 1),
                "baseline": round(raw, 1),
                "ratio": round(hook / raw if raw else 0, 3),
            },
        ),
        harness.Row(
            f"whatsapp backlog of {backlog:,} drained by 1 worker",
            backend.name,
            f"{drain:.0f} msg/s",
            "",
            "",
            ">= 100 msg/s",
            "yes" if drain >= 100 else "no",
            cpu_ms_per_msg=round(drain_cpu, 3),
            numbers={"measured": round(drain, 1)},
        ),
    ]
