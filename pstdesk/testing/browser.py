"""Browser tests: a live ASGI server (uvicorn, in a thread of the test process) and headless Chromium through
Playwright.

Usage in a test module (see `consultations/tests/test_console_browser.py`)::

    from pstdesk.testing.browser import browser_page, asgi_server, login, use_file_test_database  # noqa: F401

    use_file_test_database()  # at import: the server's threads must share the test database
    pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

    def test_something(asgi_server, browser_page, officer_5102):
        login(browser_page, asgi_server, officer_5102)
        browser_page.goto(asgi_server.url + "/console/")
        asgi_server.call(receive_message, inbound)   # domain calls that publish events: through the server

Why it is built this way:

- SQLite: pytest-django's in-memory test database is private to one connection in practice (shared cache
  answers "table is locked" under concurrent use), so `use_file_test_database()` points the test database at a
  file (WAL mode, from settings) that the server's threads open like a real deployment does. Call it at import of
  the test module, before the database is created; it is a no-op for PostgreSQL.
- The server runs in a thread of the test process so it shares the in-memory channel layer: an event published
  by an action reaches the WebSocket consumers. Actions that publish must run in the server's event loop, so call
  them through `asgi_server.call(fn, *args, **kwargs)`: it runs `fn` with `sync_to_async` on the server's loop and
  returns its result (events are then delivered like in production).
- Playwright's sync API keeps an asyncio loop running in the test's thread. Django refuses ORM calls there
  (SynchronousOnlyOperation) unless DJANGO_ALLOW_ASYNC_UNSAFE is set, so `browser_page` sets it while the browser
  runs and restores it afterwards, and starts/stops Playwright per test so no later test inherits the loop.
- Tests must be `@pytest.mark.django_db(transaction=True)`: the server sees only committed rows.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn
from asgiref.sync import sync_to_async
from django.conf import settings
from django.test import Client
from playwright.sync_api import sync_playwright

T = TypeVar("T")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Default Playwright timeout for waits in browser tests (milliseconds).
TIMEOUT_MS = 15_000


def use_file_test_database() -> None:
    """Point an SQLite test database at a file, so threads of a live server share it with the test.

    Call at import time of a browser test module (collection runs before the test database is created). The whole
    session then uses the file database; pytest-django appends its xdist suffix per worker. No-op for other
    engines, and when a TEST NAME is configured already."""
    db: dict[str, Any] = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return
    test = db.setdefault("TEST", {})
    name = test.get("NAME")
    if name and "memory" not in str(name):
        return
    test["NAME"] = str(Path(tempfile.gettempdir()) / f"pstdesk-test-{os.getpid()}.sqlite3")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """`pstdesk.asgi:application` served by uvicorn on a free 127.0.0.1 port, in a daemon thread."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.host = "127.0.0.1"
        self.url = f"http://{self.host}:{self.port}"
        self.ws_url = f"ws://{self.host}:{self.port}"
        config = uvicorn.Config(
            "pstdesk.asgi:application",
            host=self.host,
            port=self.port,
            log_level="warning",
            lifespan="off",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread = threading.Thread(target=self._run, name="live-asgi-server", daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())
        self.loop.close()

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live ASGI server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a synchronous function (an action, a query) in the server's event loop, as a request would, and
        return its result. Events it publishes reach the server's WebSocket consumers."""
        assert self.loop is not None
        future = asyncio.run_coroutine_threadsafe(sync_to_async(fn, thread_sensitive=True)(*args, **kwargs), self.loop)
        return future.result(timeout=30)


@pytest.fixture(scope="session")
def asgi_server() -> Iterator[LiveServer]:
    """One server for the session; tests using it must be `django_db(transaction=True)`."""
    server = LiveServer().start()
    yield server
    server.stop()


@pytest.fixture
def browser_page(asgi_server: LiveServer) -> Iterator[Any]:
    """A fresh headless Chromium page (its own context: cookies, storage) for one test."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=asgi_server.url, locale="id-ID")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def login(page: Any, server: LiveServer, user: Any) -> None:
    """Log `user` in for the page's browser context: a real session row plus its cookie (no login form)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": server.url, "httpOnly": True}]
    )
