"""Huey's task decorators, typed.

Huey ships no type information, and `mypy --strict` refuses an untyped decorator (it would make every task
function untyped). The decorated object is huey's task wrapper (call it to enqueue, `.schedule()` to delay), so
these say they return `Any`; the function under the decorator keeps its own annotations for the checker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from huey.contrib import djhuey

Decorator = Callable[[Callable[..., Any]], Any]


def db_task(*args: Any, **kwargs: Any) -> Decorator:
    """`huey.contrib.djhuey.db_task`: a task that closes its database connection when done."""
    return cast(Decorator, djhuey.db_task(*args, **kwargs))


def db_periodic_task(*args: Any, **kwargs: Any) -> Decorator:
    """`huey.contrib.djhuey.db_periodic_task`: a periodic task (a `huey.crontab`) that closes its connection."""
    return cast(Decorator, djhuey.db_periodic_task(*args, **kwargs))
