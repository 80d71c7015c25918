"""Signed WhatsApp webhook ingestion (each request acknowledged only after its message is committed) against a
bare Django view that answers 200, on the same server, in the same run."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
import uuid

import httpx

from bench import harness

SECRET = "bench-app-secret"


def payload(n: int) -> bytes:
    wamid = f"wamid.bench.{uuid.uuid4().hex}"
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
                            "contacts": [{"profile": {"name": f"Bench {n % 200}"}, "wa_id": f"62812{n % 200:07d}"}],
                            "messages": [
                                {
                                    "from": f"62812{n % 200:07d}",
                                    "id": wamid,
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


async def load(url: str, *, seconds: float, concurrency: int, signed: bool) -> tuple[float, int]:
    """Requests per second over `seconds`, and the number of non-200 answers."""
    done = 0
    errors = 0
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            nonlocal done, errors
            n = k
            while time.monotonic() < deadline:
                raw = payload(n)
                headers = {"Content-Type": "application/json"}
                if signed:
                    headers["X-Hub-Signature-256"] = sign(raw)
                response = await client.post(url, content=raw, headers=headers)
                if response.status_code == 200:
                    done += 1
                else:
                    errors += 1
                n += concurrency

        started = time.monotonic()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        elapsed = time.monotonic() - started
    return done / elapsed, errors


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    seconds = 20.0 if full else 6.0
    with harness.data_dir() as data:
        env = harness.bench_env(backend, data, WHATSAPP_APP_SECRET=SECRET, WHATSAPP_VERIFY_TOKEN="bench")
        harness.manage(env, "migrate", "--noinput")
        with harness.server(env) as base:
            asyncio.run(load(base + "/bench/bare", seconds=1, concurrency=8, signed=False))  # warm-up
            bare, bare_errors = asyncio.run(load(base + "/bench/bare", seconds=seconds, concurrency=32, signed=False))
            hook, hook_errors = asyncio.run(
                load(base + "/channels/whatsapp/webhook", seconds=seconds, concurrency=32, signed=True)
            )
    ratio = hook / bare if bare else 0.0
    return [
        harness.Row(
            "whatsapp webhook ingestion",
            backend.name,
            f"{hook:.0f} msg/s ({hook_errors} non-200)",
            f"bare view {bare:.0f} req/s ({bare_errors} non-200)",
            f"{ratio:.2f}",
            ">= 0.50",
            "yes" if ratio >= 0.5 and hook_errors == 0 else "no",
        )
    ]
