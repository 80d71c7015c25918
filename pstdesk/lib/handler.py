"""Django's ASGI handler without a new thread per request.

Django runs each request's synchronous code (the view, the request signals) in a thread of its own: a new
single-thread executor per request, shut down at its end by yet another thread (asgiref's `ThreadSensitiveContext`).
Starting and joining two threads cost more CPU than the rest of a bare view's plumbing. This handler gives each
request a single-thread executor from a pool instead, the way a WSGI server reuses its threads: still one thread per
request at a time (thread-local state such as the database connection stays the request's own, and is closed at
its end by `close_old_connections` as before), just not a new one.

An executor goes back to the pool when its request ends; by then every call queued on it has finished (Django awaits
the request's tasks and its `request_finished` receivers, which queue behind any work of a cancelled view).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext
from django.core.handlers import asgi

IDLE_MAX = 64  # idle threads kept; more concurrent requests get fresh ones, shut down when they end


class ThreadPool:
    def __init__(self) -> None:
        self.idle: list[ThreadPoolExecutor] = []

    def take(self) -> ThreadPoolExecutor:
        return self.idle.pop() if self.idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < IDLE_MAX:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class ASGIHandler(asgi.ASGIHandler):
    def __init__(self) -> None:
        super().__init__()
        self.threads = ThreadPool()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = self.threads.take()
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            self.threads.give_back(executor)
