"""Plain HTTP through `pstdesk serve`: what a request costs before any application work, measured against a raw ASGI
answer in the same run.

Rows: a bare Django view (every middleware, no work) against the raw ASGI app's answer; an officer's console page
(a real session cookie) and a static file against the bare Django view; the signed WhatsApp webhook (answered
before Django) against the bare Django view. Each with the server's CPU per request, read from /proc. The load
client is `harness.load`: raw keep-alive HTTP/1.1, requests built before timing, warmed up first.
"""

from __future__ import annotations

import json
import subprocess

from bench import harness, whatsapp

OFFICER = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from pstdesk.accounts.models import Role, User
from pstdesk.offices.models import Office
officer = User(username="bench-http", office=Office.objects.get(code="5102"), role=Role.OFFICER, on_duty=True)
officer.set_unusable_password()
officer.save()
store = SessionStore()
store[SESSION_KEY] = str(officer.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = officer.get_session_auth_hash()
store.create()
print(json.dumps({"cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}"}))
"""


def _officer_cookie(env: dict[str, str]) -> str:
    out = subprocess.run(
        [harness.PYTHON, "-m", "pstdesk.cli", "shell", "-c", OFFICER],
        env=env,
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(out.stdout.strip().splitlines()[-1])["cookie"])


def _figures(seen: harness.Load, cpu: float) -> str:
    return f"{seen.rate:.0f} req/s ({seen.errors} other, {cpu:.2f} ms CPU/req)"


def _row(
    name: str, backend: str, measured: tuple[harness.Load, float], label: str, baseline: tuple[harness.Load, float]
) -> harness.Row:
    (seen, cpu), (base, base_cpu) = measured, baseline
    ratio = seen.rate / base.rate if base.rate else 0.0
    return harness.Row(
        name,
        backend,
        _figures(seen, cpu),
        f"{label} {_figures(base, base_cpu)}",
        f"{ratio:.2f}",
        "",
        "",
        cpu_ms_per_msg=round(cpu, 3),
        numbers={"measured": round(seen.rate, 1), "baseline": round(base.rate, 1), "ratio": round(ratio, 3)},
    )


def webhooks(base: str, count: int, start: int) -> list[bytes]:
    """Signed WhatsApp deliveries, each with its own wamid, over the bench senders."""
    headers = {"Content-Type": "application/json"}
    return [
        harness.request_bytes(
            "POST", "/channels/whatsapp/webhook", base, body=body, headers={**headers, "X-Hub-Signature-256": signature}
        )
        for body, signature in whatsapp.signed(count, start)
    ]


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    seconds = 15.0 if full else 5.0
    count = int(seconds * 5000)  # more than any server here answers in `seconds`
    with harness.data_dir() as data:
        env = harness.bench_env(
            backend, data, WHATSAPP_APP_SECRET=whatsapp.SECRET, WHATSAPP_VERIFY_TOKEN="bench", WHATSAPP_ACCESS_TOKEN="x"
        )
        env["WHATSAPP_API_BASE"] = f"http://127.0.0.1:{harness.free_port()}"  # outbound sends go nowhere fast
        harness.manage(env, "migrate", "--noinput")
        harness.manage(env, "shell", "-c", whatsapp.SETUP)
        harness.pin_service_hours(env)
        cookie = _officer_cookie(env)
        with harness.serve(env, app="bench.raw_asgi:app") as raw_server:
            raw = harness.timed_load(
                raw_server, [harness.request_bytes("GET", "/bench/bare", raw_server.base)] * count, seconds=seconds
            )
        with harness.serve(env) as served:
            base = served.base
            bare = harness.timed_load(
                served, [harness.request_bytes("GET", "/bench/bare", base)] * count, seconds=seconds
            )
            page = harness.request_bytes("GET", "/console/", base, headers={"Cookie": cookie})
            console = harness.timed_load(served, [page] * count, seconds=seconds)
            css = harness.request_bytes("GET", "/static/pstdesk/site.css", base)
            static = harness.timed_load(served, [css] * count, seconds=seconds)
            hook = harness.timed_load(served, webhooks(base, count, 50_000_000), seconds=seconds)
        redis = harness.redis_url() if backend.name == "postgresql" else ""
        if redis:  # the scale-out profile: two web processes sharing Redis
            with harness.serve({**env, "REDIS_URL": redis}, workers=2) as pair:
                bare_request = harness.request_bytes("GET", "/bench/bare", pair.base)
                bare2 = harness.timed_load(pair, [bare_request] * count, seconds=seconds)
                hook2 = harness.timed_load(pair, webhooks(pair.base, count, 60_000_000), seconds=seconds)
    rows = [
        _row("http bare Django view", backend.name, bare, "raw ASGI answer", raw),
        _row("http console page (officer)", backend.name, console, "bare Django view", bare),
        _row("http static file", backend.name, static, "bare Django view", bare),
        _row("http signed WhatsApp webhook", backend.name, hook, "bare Django view", bare),
    ]
    if redis:
        pair_label = f"{backend.name} 2 proc + Redis"
        rows.append(_row("http bare Django view", pair_label, bare2, "raw ASGI answer", raw))
        rows.append(_row("http signed WhatsApp webhook", pair_label, hook2, "bare Django view (2 proc)", bare2))
    return rows
