"""Shared pieces: a prepared data folder, server processes on free ports, timing helpers, the result table."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Backend:
    """A database (and optionally Redis) to run one series of benchmarks against."""

    name: str
    env: dict[str, str] = field(default_factory=dict)


def backends() -> list[Backend]:
    found = [Backend("sqlite")]
    pg = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pstdesk_bench")
    if _postgres_reachable(pg):
        found.append(Backend("postgresql", {"DATABASE_URL": pg}))
    return found


def _postgres_reachable(url: str) -> bool:
    try:
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(base + "/postgres", connect_timeout=2, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists:
                conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except Exception:
        return False


@contextlib.contextmanager
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pstdesk-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def bench_env(backend: Backend, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DATA_DIR": str(data),
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "PYTHONPATH": str(ROOT),
            "TASKS_IMMEDIATE": "false",
            "LOG_LEVEL": "WARNING",
            **backend.env,
            **extra,
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "-m", "pstdesk.cli", *args], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def server(env: dict[str, str], *, workers: int = 1, tasks: bool = False) -> Iterator[str]:
    """`pstdesk serve` in a subprocess; yields its base URL once it answers /healthz."""
    port = free_port()
    args = [PYTHON, "-m", "pstdesk.cli", "serve", "--port", str(port), "--workers", str(workers)]
    if not tasks:
        args.append("--no-tasks")
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("server did not start within 60 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Row:
    benchmark: str
    backend: str
    measured: str
    baseline: str
    ratio: str
    target: str
    verdict: str


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "backend", "measured", "baseline", "ratio", "target", "met"]
    table = [headers] + [[r.benchmark, r.backend, r.measured, r.baseline, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for n, row in enumerate(table):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
