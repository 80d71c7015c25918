"""The webhook baseline without a framework: a raw ASGI app that checks the signature, stores the raw body with
one INSERT (its own commit, on one writer thread) and answers 200 after that commit. Served by uvicorn as
`bench.raw_asgi:app`; DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite) as for the product."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SECRET = os.environ.get("WHATSAPP_APP_SECRET", "").encode()
URL = os.environ.get("DATABASE_URL", "")
_executor = ThreadPoolExecutor(max_workers=1)  # one connection, one writer: SQLite takes one anyway
_conn: Any = None


def _connect() -> Any:
    if URL.startswith("postgres"):
        import psycopg

        conn = psycopg.connect(URL, autocommit=True)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, received_at timestamptz, body bytea)"
        )
        return conn
    conn = sqlite3.connect(os.path.join(os.environ["DATA_DIR"], "raw.sqlite3"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, received_at TEXT, body BLOB)")
    return conn


def _insert(body: bytes) -> None:
    global _conn
    if _conn is None:
        _conn = _connect()
    if URL.startswith("postgres"):
        _conn.execute("INSERT INTO bench_raw (received_at, body) VALUES (now(), %s)", (body,))
    else:
        _conn.execute("INSERT INTO bench_raw (received_at, body) VALUES (datetime('now'), ?)", (body,))


async def _answer(send: Any, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(text)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["path"] in {"/healthz", "/bench/bare"}:  # the bare answer: the baseline of a bare Django view
        await _answer(send, 200, b"ok")
        return
    signature = dict(scope["headers"]).get(b"x-hub-signature-256", b"").decode()
    expected = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        await _answer(send, 403, b"invalid signature")
        return
    try:
        await asyncio.get_running_loop().run_in_executor(_executor, _insert, body)
    except Exception:
        await _answer(send, 503, b"retry")
        return
    await _answer(send, 200, b"OK")
