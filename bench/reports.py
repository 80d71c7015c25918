"""The annual report of one office (`reports.figures.build_report`, with its two comparison periods) over a year of
generated consultations, against the same SQL run raw in the same process: the ORM's and report code's overhead,
and the query count (which must not depend on the data size; `reports/tests/test_figures.py` pins that too)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from bench import harness


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    size = 1_000_000 if full else 100_000
    with harness.data_dir() as data:
        env = harness.bench_env(backend, data)
        harness.manage(env, "migrate", "--noinput")
        harness.manage(env, "demo-data", "--consultations", str(size), "--offices", "5102", "--verbosity", "0")
        out = subprocess.run(
            [sys.executable, "-m", "bench.reports", "--measure"],
            env=env,
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
        )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    ratio = result["report_ms"] / result["raw_ms"]
    return [
        harness.Row(
            f"annual report, 1 office ({size:,} consultations)",
            backend.name,
            f"{result['report_ms']:.0f} ms, {result['queries']} queries",
            f"{result['raw_ms']:.0f} ms raw SQL",
            f"{ratio:.2f}x",
            "≤ 1.5x raw; queries fixed",
            "yes" if ratio <= 1.5 else "no",
        )
    ]


def _measure_here() -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pstdesk.offices.models import Office
    from pstdesk.reports.figures import build_report
    from pstdesk.reports.periods import Period

    office = Office.objects.get(code="5102")
    today = timezone.now().date()
    period = Period(today - timedelta(days=364), today, "range")  # demo-data spreads over the last year
    build_report(office, period)  # builds the working calendar; warms connections
    timings, raw = [], []
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            build_report(office, period)
            timings.append((time.perf_counter() - started) * 1000)
        statements = [query["sql"] for query in queries.captured_queries]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
        raw.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"report_ms": harness.median(timings), "raw_ms": harness.median(raw), "queries": len(statements)}))


if __name__ == "__main__" and "--measure" in sys.argv:
    _measure_here()
