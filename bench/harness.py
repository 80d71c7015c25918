"""Shared pieces: a prepared data folder, server processes on free ports, timing helpers, the result table."""

from __future__ import annotations

import asyncio
import contextlib
import json
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
from typing import Any

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


def redis_url() -> str:
    """BENCH_REDIS_URL (default db 3 on the local server) when it answers, else "": the rows of two web processes
    sharing Redis run only then."""
    url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    host, _, port = url.removeprefix("redis://").split("/", 1)[0].rpartition("@")[2].partition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=1):
            return url
    except OSError:
        return ""


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


def request_bytes(
    method: str, path: str, base: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """One raw HTTP/1.1 keep-alive request, built before the clock starts."""
    host = base.removeprefix("http://")
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    if body or method not in {"GET", "HEAD"}:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@dataclass(frozen=True)
class Load:
    """What a load run saw: requests per second answered with `ok_status`, the other answers, all answers."""

    rate: float
    errors: int
    done: int


async def _read_response(reader: asyncio.StreamReader, method: bytes) -> bytes:
    """Reads one response (Content-Length or chunked body) and returns its status code."""
    head = await reader.readuntil(b"\r\n\r\n")
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if method == b"HEAD":
        return head[9:12]
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF (the last, empty one: just the CRLF)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return head[9:12]


async def load(base: str, requests: list[bytes], *, seconds: float, concurrency: int, ok_status: int = 200) -> Load:
    """A raw HTTP/1.1 keep-alive load client: asyncio streams, one request in flight per connection, requests built
    before the clock starts (`request_bytes`), so the client is not what limits (it parses only the status line and
    the body's length). Sends `requests` in order over `concurrency` connections for `seconds` or until they run
    out."""
    host, _, port = base.removeprefix("http://").partition(":")
    ok = str(ok_status).encode()
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
                status = await _read_response(reader, requests[index].split(b" ", 1)[0])
                if status == ok:
                    done += 1
                else:
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return Load(done / elapsed, errors, done + errors)


async def post_load(
    base: str, path: str, bodies: list[tuple[bytes, str]], *, seconds: float, concurrency: int
) -> tuple[float, int, int]:
    """`load` of JSON POSTs to `path`, each body with its X-Hub-Signature-256 (or none). Returns (answered 200 per
    second, non-200, answered 200)."""
    requests = []
    for body, signature in bodies:
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["X-Hub-Signature-256"] = signature
        requests.append(request_bytes("POST", path, base, body=body, headers=headers))
    seen = await load(base, requests, seconds=seconds, concurrency=concurrency)
    return seen.rate, seen.errors, seen.done - seen.errors


WARM_UP = 200


def timed_load(served: Served, requests: list[bytes], *, seconds: float, concurrency: int = 32) -> tuple[Load, float]:
    """`load` against a server started by `serve`, after a warm-up of the first WARM_UP requests (connections, caches,
    lazy imports): what it saw and the server's CPU milliseconds per answered request."""
    asyncio.run(load(served.base, requests[:WARM_UP], seconds=5, concurrency=min(concurrency, 8)))
    cpu = cpu_seconds(served.pid)
    seen = asyncio.run(load(served.base, requests[WARM_UP:], seconds=seconds, concurrency=concurrency))
    return seen, 1000 * (cpu_seconds(served.pid) - cpu) / max(1, seen.done)


# Every office open all day, every day: a suite that runs this before timing does the same work at any hour of
# the run (no out-of-hours replies, no timers of the next opening): the clock pinned inside service hours.
ALWAYS_OPEN = """
from pstdesk.offices.models import ServiceStandard
day = ["00:00", "23:59"]
ServiceStandard.objects.update(service_hours={d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
"""


def pin_service_hours(env: dict[str, str]) -> None:
    manage(env, "shell", "-c", ALWAYS_OPEN)


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


def as_json(row: Row) -> dict[str, Any]:
    """One row as `--json` writes it: `name`, `backend`, `measured`, `baseline`, `ratio` (numbers where the suite
    gives them, else the table's text), `target`, `met` (true/false, null without a target), `cpu_ms_per_msg`,
    `load_avg` (1/5/15 min at the start of the suite) and `detail` (the table's text)."""
    text = {"measured": row.measured, "baseline": row.baseline, "ratio": row.ratio}
    return {
        "name": row.benchmark,
        "backend": row.backend,
        **{key: row.numbers.get(key, value) for key, value in text.items()},
        "target": row.target,
        "met": {"yes": True, "no": False}.get(row.verdict),
        "cpu_ms_per_msg": row.cpu_ms_per_msg,
        "load_avg": list(row.load_avg) if row.load_avg else None,
        "detail": text,
    }


def write_json(path: str | Path, rows: list[Row]) -> None:
    Path(path).write_text(json.dumps([as_json(r) for r in rows], indent=2) + "\n")


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "backend", "measured", "baseline", "ratio", "target", "met"]
    table = [headers] + [[r.benchmark, r.backend, r.measured, r.baseline, r.ratio, r.target, r.verdict] for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(headers))]
    for n, row in enumerate(table):
        print("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
