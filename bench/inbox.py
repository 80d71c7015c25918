"""The inbox's first page and a consultation view with 10,000 open consultations: time and query count,
compared with the same pages at 10 consultations (the query count must not grow)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench import harness

PAGES = {
    "console inbox": "/console/",
    "console consultation": "/console/{id}/",
    "api list": "/api/v1/consultations?limit=50",
    "api detail": "/api/v1/consultations/{id}",
}


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    big = 100_000 if full else 10_000
    with harness.data_dir() as data:
        env = harness.bench_env(backend, data)
        harness.manage(env, "migrate", "--noinput")
        small = _measure(env, 10)
        large = _measure(env, big - 10)
    rows = []
    for page in PAGES:
        s, b = small.get(page), large.get(page)
        if not s or not b or "error" in s or "error" in b:
            rows.append(
                harness.Row(
                    f"{page} ({big:,} open)", backend.name, f"error: {(b or s or {}).get('error')}", "", "", "", "no"
                )
            )
            continue
        same = s["queries"] == b["queries"]
        target_ms = 50.0
        fast = b["p50_ms"] < target_ms or backend.name != "postgresql"
        rows.append(
            harness.Row(
                f"{page} ({big:,} open)",
                backend.name,
                f"{b['p50_ms']:.1f} ms p50, {b['queries']} queries",
                f"{s['p50_ms']:.1f} ms, {s['queries']} queries at 10",
                f"{b['p50_ms'] / s['p50_ms']:.2f}x time",
                "same queries; < 50 ms on PostgreSQL",
                "yes" if same and fast else "no",
            )
        )
    return rows


def _measure(env: dict[str, str], add: int) -> dict[str, dict[str, float]]:
    """Add `add` open consultations, then time each page in a fresh process."""
    harness.manage(
        env, "generate_demo_data", "--consultations", str(add), "--open", "--offices", "5102", "--verbosity", "0"
    )
    out = subprocess.run(
        [sys.executable, "-m", "bench.inbox", "--measure"], env=env, cwd=harness.ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure_here() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from pstdesk.accounts.models import User
    from pstdesk.consultations.models import Consultation

    officer, _ = User.objects.get_or_create(username="bench-officer", defaults={"office_id": "5102", "role": "officer"})
    client = Client()
    client.force_login(officer)
    # The same kind of consultation at both sizes (a WhatsApp one: its view also lists the office's templates), so
    # the query counts compare like with like.
    newest = Consultation.objects.filter(office_id="5102", channel="whatsapp").order_by("-created_at").first()
    results: dict[str, dict[str, float]] = {}
    for page, template in PAGES.items():
        url = template.format(id=newest.pk if newest else 0)
        try:
            client.get(url)  # warm caches and connections
            timings = []
            for _ in range(15):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
            results[page] = {"p50_ms": harness.median(timings), "queries": len(queries)}
        except Exception as exc:
            results[page] = {"error": str(exc)[:200]}  # type: ignore[dict-item]
    print(json.dumps(results))


if __name__ == "__main__" and "--measure" in sys.argv:
    _measure_here()
