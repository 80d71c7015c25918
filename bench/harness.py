"""Shared pieces: a prepared data folder, server processes on free ports, timing helpers, the result table."""

from __future__ import annotations

import asyncio
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
    """SQLite, and PostgreSQL when BENCH_DATABASE_URL's server answers; BENCH_BACKENDS=sqlite|postgresql runs one."""
    only = {name for name in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",") if name}
    found = [Backend("sqlite")] if "sqlite" in only else []
    pg = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pstdesk_bench")
    if "postgresql" in only and _postgres_reachable(pg):
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
    with serve(env, workers=workers, tasks=tasks) as served:
        yield served.base


@dataclass(frozen=True)
class Served:
    base: str
    pid: int


@contextlib.contextmanager
def serve(env: dict[str, str], *, workers: int = 1, tasks: bool = False, app: str = "") -> Iterator[Served]:
    """`pstdesk serve` (or uvicorn serving `app`) in a subprocess, once it answers /healthz: its URL and pid."""
    port = free_port()
    args = [PYTHON, "-m", "pstdesk.cli", "serve", "--port", str(port), "--workers", str(workers)]
    if not tasks:
        args.append("--no-tasks")
    if app:
        args = [PYTHON, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning", "--lifespan", "off"]
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
        yield Served(base, proc.pid)
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its direct children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


async def post_load(
    base: str, path: str, bodies: list[tuple[bytes, str]], *, seconds: float, concurrency: int
) -> tuple[float, int, int]:
    """A raw HTTP/1.1 keep-alive load client (asyncio streams, requests built before the clock starts, so the
    client is not what limits): POSTs `bodies` (each with its X-Hub-Signature-256, or none) over `concurrency`
    connections for `seconds` or until the bodies run out. Returns (answered requests per second, non-200, done)."""
    host, _, port = base.removeprefix("http://").partition(":")
    requests = []
    for body, signature in bodies:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        if signature:
            head += f"X-Hub-Signature-256: {signature}\r\n"
        requests.append(head.encode() + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    done = errors = 0
    cursor = iter(range(len(requests)))
    deadline = time.monotonic() + seconds

    async def connection() -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.monotonic() < deadline:
                index = next(cursor, None)
                if index is None:
                    return
                writer.write(requests[index])
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                if head[9:12] == b"200":
                    done += 1
                else:
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return done / elapsed, errors, done


@dataclass
class Row:
    benchmark: str
    backend: str
    measured: str
    baseline: str
    ratio: str
    target: str
    verdict: str
    # For `--json`: server CPU per message (ms), the figures as numbers where the suite knows them, and the load
    # average (1, 5, 15 min) when the suite started (set by `bench.__main__`).
    cpu_ms_per_msg: float | None = None
    numbers: dict[str, float] = field(default_factory=dict)
    load_avg: tuple[float, float, float] | None = None


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "backend", "measured", "baseline", "ratio", "target", "met"]
    table = [headers] + [[r.benchmark, r.backend, r.measured, r.baseline, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for n, row in enumerate(table):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
