"""N concurrent LiveChat conversations against the officer console, and the same load against a bare relay.

Each conversation is a visitor's widget socket (`ws/widget/<office>/`, a real session token) and an officer's
console socket (`ws/console/`, a real session cookie) subscribed to that consultation. The visitors, sessions,
consultations and officers are made through the real actions by `python -m bench.chat --setup N` in a subprocess.
The conversations are spread over bench offices, PER_OFFICE to an office (1,000 conversations over 500 offices:
one deployment serving every BPS office); each office has one officer per conversation, so every message also
reaches the office's other console (the `office.<code>` group), and the relay fans out the same way.

Two phases per size, run against `pstdesk serve` and then against `python -m bench.relay` with the same client:
- saturation: every visitor keeps one message in flight (the next one leaves when the officer has the previous
  one); messages/s delivered to the officers, and the latency under that load;
- paced: every visitor writes at the widget's own limit (20 messages a minute, open loop, random phase);
  p50/p99 visitor→officer latency. The latency is taken from a monotonic timestamp inside the message body.

Each conversation is one in progress: the visitor's requirements are complete and the office's officer has
accepted the consultation (open, assigned), and the bench offices serve around the clock (service hours
00:00–23:59 every day), so the clock is inside service hours whenever the benchmark runs. The first message of a
conversation, a new or unassigned consultation and the out-of-hours reply take the full intake, measured by the
hot-path tests, not here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench import harness

PER_OFFICE = 2
PACED_INTERVAL = 3.0  # seconds between two messages of one visitor: the widget's limit, 20 a minute
CONNECT_CONCURRENCY = 32
GRACE = 15.0  # seconds to wait for messages still in flight after a phase (an overloaded server queues them)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")


# --- setup (runs in a subprocess with the benchmark's environment) ---------------------------------------------


def _setup_here(count: int, per_office: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from pstdesk.accounts.models import Role, User
    from pstdesk.channels.web import chat
    from pstdesk.channels.web.actions import open_widget_session
    from pstdesk.consultations.actions import claim_consultation, refresh_requirements
    from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION, identify_visitor
    from pstdesk.guestbook.models import Consent, GuestbookEntry
    from pstdesk.lib.workdays import WEEKDAY_KEYS
    from pstdesk.offices.actions import save_office
    from pstdesk.offices.models import Channel, Office

    template = Office.objects.get(code="5102")
    standard = template.standard
    province = Office.objects.get(code="5100")
    conversations = []
    for index in range(count):
        number, slot = divmod(index, per_office)
        code = f"{6000 + number:04d}"
        office = Office.objects.filter(code=code).first()
        if office is None:
            office = save_office(
                Office(code=code, name=f"BPS Bench {code}", kind="regency", parent=province, timezone="Asia/Makassar"),
                by="system:bench",
                created=True,
            )
            if standard is not None:
                copy = type(standard).objects.get(pk=standard.pk)
                copy.pk = None
                copy.office = office
                copy.version = 1
                copy.service_hours = {day: ["00:00", "23:59"] for day in WEEKDAY_KEYS}  # always in hours
                copy.save()
        officer = User(username=f"bench-{code}-{slot}", office=office, role=Role.OFFICER, on_duty=True)
        officer.set_unusable_password()
        officer.save()
        store = SessionStore()
        store[SESSION_KEY] = str(officer.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = officer.get_session_auth_hash()
        store.create()
        visitor = identify_visitor(name=f"Pengunjung {index}", email=f"bench{index}@demo.invalid", by="channel:bench")
        GuestbookEntry.objects.create(
            visitor=visitor,
            office=office,
            sex="2",
            age_group="2",
            education="3",
            occupation="1",
            institution_category="6",
            institution_name="Universitas Udayana",
            purpose="1",
        )
        Consent.objects.create(visitor=visitor, notice_version=PRIVACY_NOTICE_VERSION)
        visitor.email_verified_at = timezone.now()
        visitor.whatsapp = f"+62812{index:08d}"
        visitor.save(update_fields=["email_verified_at", "whatsapp"])
        session, token = open_widget_session(office, visitor, by=f"visitor:{visitor.pk}", ip="127.0.0.1")
        sent = chat.submit_message(
            session, channel=Channel.LIVECHAT_WEBSITE, client_id=uuid.uuid4(), body="Mohon data penduduk."
        )
        refresh_requirements(sent.consultation, by="system:bench")
        claim_consultation(sent.consultation, by=officer)  # accepted: open, assigned, the SLA clock running
        sent.consultation.refresh_from_db(fields=["last_seq"])
        conversations.append(
            {
                "index": index,
                "office": code,
                "token": token,
                "consultation": sent.consultation.pk,
                "cursor": sent.consultation.last_seq,
                "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}",
            }
        )
    print(json.dumps(conversations))


def setup(env: dict[str, str], count: int, per_office: int = PER_OFFICE) -> list[Conversation]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.chat", "--setup", str(count), "--per-office", str(per_office)],
        env=env,
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return [Conversation(**row) for row in json.loads(out.stdout.strip().splitlines()[-1])]


# --- the load (runs in the benchmark's process) -----------------------------------------------------------------


@dataclass
class Conversation:
    index: int
    office: str
    token: str
    consultation: int
    cursor: int
    cookie: str


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    started: float = 0.0
    ended: float = 0.0
    cpu_s: float = 0.0  # the server's CPU seconds (all its processes) during the phase, when its pid is known

    @property
    def cpu_ms_per_msg(self) -> float | None:
        return self.cpu_s * 1000 / len(self.latencies) if self.latencies and self.cpu_s else None

    @property
    def rate(self) -> float:
        elapsed = self.ended - self.started
        return len(self.latencies) / elapsed if elapsed > 0 else 0.0


@dataclass
class Flow:
    """The client side of one conversation."""

    conversation: Conversation
    visitor: Any = None
    officer: Any = None
    expect: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    counter: int = 0


def connect_budget(count: int) -> float:
    """Seconds allowed to open every socket (a console login and a widget hello each cost database reads)."""
    return 60 + 0.3 * count


class Target:
    """Where the load goes: how to connect, how to frame a message, how to read one on the officer side."""

    name = ""

    def __init__(self, host: str) -> None:
        self.host = host
        self.origin = f"http://{host}"

    async def open_visitor(self, flow: Flow) -> Any:
        raise NotImplementedError

    async def open_officer(self, flow: Flow) -> Any:
        raise NotImplementedError

    def officer_body(self, frame: Any) -> str | None:
        raise NotImplementedError


def _connect(url: str, **kwargs: Any) -> Any:
    from websockets.asyncio.client import connect

    return connect(url, compression=None, max_size=None, open_timeout=30, ping_interval=None, **kwargs)


async def _until(ws: Any, predicate: Any, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame  # type: ignore[no-any-return]


class Desk(Target):
    name = "desk"

    async def open_visitor(self, flow: Flow) -> Any:
        c = flow.conversation
        ws = await _connect(f"ws://{self.host}/ws/widget/{c.office}/", origin=self.origin)
        await ws.send(
            json.dumps(
                {
                    "type": "hello",
                    "token": c.token,
                    "channel": "livechat_website",
                    "consultation": c.consultation,
                    "cursor": c.cursor,
                }
            )
        )
        await _until(ws, lambda f: f.get("type") == "ready" or _refused(f))
        return ws

    async def open_officer(self, flow: Flow) -> Any:
        c = flow.conversation
        ws = await _connect(
            f"ws://{self.host}/ws/console/", origin=self.origin, additional_headers={"Cookie": c.cookie}
        )
        await _until(ws, lambda f: f.get("type") == "hello" or _refused(f))
        await ws.send(json.dumps({"type": "subscribe", "consultation": c.consultation, "after": c.cursor}))
        await _until(ws, lambda f: (f.get("type") == "replay" and f.get("done")) or _refused(f))
        return ws

    def officer_body(self, frame: Any) -> str | None:
        event = frame.get("event") if frame.get("type") == "event" else None
        if not event or event.get("type") != "message.created":
            return None
        message = event.get("message") or {}
        return str(message.get("body", "")) if message.get("direction") == "in" else None


class Relay(Target):
    name = "relay"

    async def open_visitor(self, flow: Flow) -> Any:
        return await _connect(f"ws://{self.host}/v/{flow.conversation.office}", origin=self.origin)

    async def open_officer(self, flow: Flow) -> Any:
        return await _connect(f"ws://{self.host}/o/{flow.conversation.office}", origin=self.origin)

    def officer_body(self, frame: Any) -> str | None:
        return str(frame.get("body", "")) if frame.get("type") == "message" else None


def _refused(frame: dict[str, Any]) -> bool:
    if frame.get("type") == "error":
        raise RuntimeError(f"refused: {frame}")
    return False


class Load:
    """Every flow of one target, the readers that time deliveries, and the two phases."""

    def __init__(self, target: Target, conversations: list[Conversation], pid: int | None = None) -> None:
        self.target = target
        self.pid = pid
        self.flows = [Flow(c) for c in conversations]
        self.by_index = {flow.conversation.index: flow for flow in self.flows}
        self.phase: Phase | None = None
        self.errors: Counter[str] = Counter()
        self.readers: list[asyncio.Task[None]] = []

    async def connect(self) -> None:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(flow: Flow) -> None:
            async with gate:
                flow.officer = await self.target.open_officer(flow)
                flow.visitor = await self.target.open_visitor(flow)

        async with asyncio.timeout(connect_budget(len(self.flows))):
            await asyncio.gather(*(one(flow) for flow in self.flows))
        for flow in self.flows:
            self.readers.append(asyncio.create_task(self._read_officer(flow)))
            self.readers.append(asyncio.create_task(self._read_visitor(flow)))

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        for flow in self.flows:
            for ws in (flow.visitor, flow.officer):
                if ws is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(ws.close(), 2)

    async def _read_officer(self, flow: Flow) -> None:
        with contextlib.suppress(Exception):
            async for raw in flow.officer:
                now = time.perf_counter()
                body = self.target.officer_body(json.loads(raw))
                if not body or not body.startswith("bench "):
                    continue
                _, index, number, sent_at = body.split()
                if int(index) != flow.conversation.index:
                    continue  # another conversation of the same office: that officer's console shows it too
                if self.phase is not None and float(sent_at) >= self.phase.started:
                    self.phase.latencies.append(now - float(sent_at))
                if int(number) == flow.expect:
                    flow.arrived.set()
        self.errors["officer socket closed"] += 1

    async def _read_visitor(self, flow: Flow) -> None:
        with contextlib.suppress(Exception):
            async for raw in flow.visitor:
                frame = json.loads(raw)
                if frame.get("type") == "error":
                    self.errors[f"visitor error {frame.get('code')}"] += 1
        self.errors["visitor socket closed"] += 1

    async def _send(self, flow: Flow) -> int:
        flow.counter += 1
        body = f"bench {flow.conversation.index} {flow.counter} {time.perf_counter():.6f}"
        await flow.visitor.send(json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "body": body}))
        return flow.counter

    async def closed_loop(self, seconds: float, *, record: bool = True) -> Phase:
        """One message in flight per conversation for `seconds`."""
        cpu_before = harness.cpu_seconds(self.pid) if self.pid else 0.0
        phase = Phase(started=time.perf_counter())
        self.phase = phase if record else None
        stop = phase.started + seconds

        async def visitor(flow: Flow) -> None:
            while time.perf_counter() < stop:
                flow.arrived.clear()
                flow.expect = await self._send(flow)
                phase.sent += 1
                try:
                    await asyncio.wait_for(flow.arrived.wait(), max(0.05, stop + 2 * GRACE - time.perf_counter()))
                except TimeoutError:
                    self.errors["not delivered in time"] += 1
                    return

        await asyncio.gather(*(visitor(flow) for flow in self.flows))
        phase.ended = time.perf_counter()
        if self.pid:
            phase.cpu_s = harness.cpu_seconds(self.pid) - cpu_before
        self.phase = None
        return phase

    async def paced(self, seconds: float, interval: float) -> Phase:
        """Every visitor sends every `interval` seconds (open loop) for `seconds`; then in-flight messages land."""
        phase = Phase(started=time.perf_counter())
        self.phase = phase
        stop = phase.started + seconds
        rng = random.Random(8)

        async def visitor(flow: Flow) -> None:
            next_at = phase.started + rng.uniform(0, interval)
            while next_at < stop:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                await self._send(flow)
                phase.sent += 1
                next_at += interval

        await asyncio.gather(*(visitor(flow) for flow in self.flows))
        deadline = time.perf_counter() + GRACE
        while len(phase.latencies) < phase.sent and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        phase.ended = stop
        self.phase = None
        return phase


@dataclass
class Result:
    connected_s: float
    saturated: Phase
    paced: Phase
    errors: Counter[str]


async def _measure(target: Target, conversations: list[Conversation], seconds: float, pid: int | None) -> Result:
    load = Load(target, conversations, pid)
    started = time.perf_counter()
    try:
        await load.connect()
        connected = time.perf_counter() - started
        await load.closed_loop(min(2.0, seconds / 4), record=False)  # warm up: connections, caches, JIT of plans
        saturated = await load.closed_loop(seconds)
        paced = await load.paced(seconds, PACED_INTERVAL)
    finally:
        await load.close()
    return Result(connected, saturated, paced, load.errors)


def measure(target: Target, conversations: list[Conversation], seconds: float, pid: int | None = None) -> Result:
    """The load against `target`; with `pid`, the CPU that process (and its children) spent per message."""

    async def bounded() -> Result:
        async with asyncio.timeout(connect_budget(len(conversations)) + 3 * seconds + 6 * GRACE):
            return await _measure(target, conversations, seconds, pid)

    try:
        import uvloop

        return uvloop.run(bounded())
    except ImportError:
        return asyncio.run(bounded())


# --- the rows ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def relay() -> Any:
    port = harness.free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.relay", str(port)], cwd=harness.ROOT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            time.sleep(0.1)
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def _lat(phase: Phase) -> str:
    return f"p50 {_ms(harness.percentile(phase.latencies, 50))} / p99 {_ms(harness.percentile(phase.latencies, 99))} ms"


def _flush_redis() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()


def _variants(backend: harness.Backend) -> list[tuple[str, dict[str, str], int]]:
    """(label, extra environment, web processes) to run on this backend."""
    variants = [(backend.name, {}, 1)]
    if backend.name == "postgresql" and os.environ.get("BENCH_CHAT_REDIS", "1") != "0":
        with contextlib.suppress(Exception):
            _flush_redis()
            variants.append((f"{backend.name}+redis, 2 procs", {"REDIS_URL": REDIS_URL}, 2))
    return variants


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    sizes = [100, 1000] if full else [100]
    seconds = 15.0 if full else 6.0
    rows: list[harness.Row] = []
    with harness.data_dir() as data:
        env = harness.bench_env(backend, data, DJANGO_SETTINGS_MODULE="bench.chat_settings")
        harness.manage(env, "migrate", "--noinput")
        conversations = setup(env, max(sizes))
        baselines = {}
        with relay() as (address, relay_pid):
            for n in sizes:
                baselines[n] = measure(Relay(address), conversations[:n], seconds, relay_pid)
        for label, extra, workers in _variants(backend):
            if "REDIS_URL" in extra:
                _flush_redis()
            with harness.serve({**env, **extra}, workers=workers, tasks=workers == 1) as served:
                for n in sizes:
                    print(
                        f"#   chat {n} conversations, {label}: load average {os.getloadavg()[0]:.1f}",
                        file=sys.stderr,
                        flush=True,
                    )
                    try:
                        desk = measure(
                            Desk(served.base.removeprefix("http://")), conversations[:n], seconds, served.pid
                        )
                    except Exception as exc:  # one size failing must not hide the others
                        rows.append(harness.Row(f"chat {n:,} conv", label, f"error: {exc!r}"[:200], "", "", "", "no"))
                        continue
                    rows.extend(_rows(n, label, desk, baselines[n]))
    return rows


# The targets: the share of the bare relay's rate at 100 conversations (0.30 on SQLite, 0.20 on
# PostgreSQL) and the server's CPU per message.
RATIO_TARGET = {"sqlite": 0.30, "postgresql": 0.20}
CPU_TARGET_MS = 2.0


def _rows(n: int, label: str, desk: Result, base: Result) -> list[harness.Row]:
    target = RATIO_TARGET.get(label.split("+")[0], 0.30)
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(desk.errors.items()))
    ratio = desk.saturated.rate / base.saturated.rate if base.saturated.rate else 0.0
    lost = desk.paced.sent - len(desk.paced.latencies)
    p99 = harness.percentile(desk.paced.latencies, 99)
    cpu = desk.saturated.cpu_ms_per_msg
    relay_cpu = base.saturated.cpu_ms_per_msg
    cpu_text = f", {cpu:.2f} ms CPU/msg" if cpu is not None else ""
    relay_cpu_text = f", {relay_cpu:.2f} ms CPU/msg" if relay_cpu is not None else ""
    return [
        harness.Row(
            f"chat {n:,} conv: msg/s, 1 in flight each",
            label,
            f"{desk.saturated.rate:,.0f} msg/s ({_lat(desk.saturated)}{cpu_text})" + (f" [{errors}]" if errors else ""),
            f"relay {base.saturated.rate:,.0f} msg/s ({_lat(base.saturated)}{relay_cpu_text})",
            f"{ratio:.4f}",
            f">= {target:.2f} of relay, <= {CPU_TARGET_MS:g} ms CPU/msg",
            "yes" if ratio >= target and cpu is not None and cpu <= CPU_TARGET_MS else "no",
            cpu_ms_per_msg=round(cpu, 3) if cpu is not None else None,
            numbers={
                "measured": round(desk.saturated.rate, 1),
                "baseline": round(base.saturated.rate, 1),
                "ratio": round(ratio, 4),
            },
        ),
        harness.Row(
            f"chat {n:,} conv: latency at 20 msg/min each",
            label,
            f"{_lat(desk.paced)} ({desk.paced.rate:,.0f} msg/s" + (f", {lost} late > {GRACE:.0f} s)" if lost else ")"),
            f"relay {_lat(base.paced)}",
            f"{p99 / harness.percentile(base.paced.latencies, 99):.1f}x p99",
            "p99 <= 100 ms",
            "yes" if p99 <= 0.100 and lost == 0 else "no",
        ),
    ]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="bench.chat")
    parser.add_argument("--setup", type=int, required=True, help="conversations to create; prints them as JSON")
    parser.add_argument("--per-office", type=int, default=PER_OFFICE)
    args = parser.parse_args()
    _setup_here(args.setup, args.per_office)


if __name__ == "__main__":
    main()
