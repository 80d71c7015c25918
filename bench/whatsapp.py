"""Signed WhatsApp webhooks: how fast POSTs are acknowledged (each after its raw body is committed), with the
baselines measured in the same run: a bare Django view that answers 200, and a raw ASGI app doing the same store with
one INSERT (no framework). How fast one worker drains the stored backlog: `bench.drain` (its helpers are here).

The load client is a raw keep-alive HTTP/1.1 client (`harness.post_load`, requests built before timing); server
CPU per request is read from /proc.
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


def _drain(env: dict[str, str], *, window: float, timeout: float = 120.0) -> tuple[float, float, int]:
    """Start one worker process on the stored backlog and watch it for `window` seconds from its first processed
    delivery (its start-up is not counted), or until the backlog is empty: (deliveries per second, worker CPU ms
    per delivery, deliveries processed in the window)."""
    total = _waiting(env)
    with _worker(env) as proc:
        deadline = time.monotonic() + timeout
        while (left := _waiting(env)) == total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the worker processed nothing within {timeout:.0f} s")
            time.sleep(0.05)
        started, cpu_started, left_started = time.monotonic(), harness.cpu_seconds(proc.pid), left
        while left and time.monotonic() - started < window:
            time.sleep(0.05)
            left = _waiting(env)
        elapsed, cpu = time.monotonic() - started, harness.cpu_seconds(proc.pid) - cpu_started
    done = left_started - left
    return done / elapsed, 1000 * cpu / max(1, done), done


def _timed_load(
    served: harness.Served, path: str, bodies: list[tuple[bytes, str]], seconds: float
) -> tuple[float, int, float]:
    """(requests per second answered 200, non-200, server CPU ms per request)."""
    cpu = harness.cpu_seconds(served.pid)
    rate, errors, done = asyncio.run(harness.post_load(served.base, path, bodies, seconds=seconds, concurrency=32))
    return rate, errors, 1000 * (harness.cpu_seconds(served.pid) - cpu) / max(1, done + errors)


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    seconds = 20.0 if full else 6.0
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
    ]
