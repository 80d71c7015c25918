"""What other apps do when an office's calendar changes (its standard, closures or holiday decisions).

The offices sit below the consultations: the consultation core registers its due-date recomputation here (in its
AppConfig.ready), so an office change moves the deadlines of its open consultations without `offices` importing
`consultations`. Listeners run synchronously, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pstdesk.lib.actors import Actor

_LISTENERS: list[Callable[..., Any]] = []


def on_calendar_changed(listener: Callable[..., Any]) -> Callable[..., Any]:
    """Register `listener(office, *, reason=, by=, announce=)` once."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def calendar_changed(office: Any, *, reason: str, by: Actor, announce: bool = False) -> None:
    """The office's calendar changed for `reason`. With `announce`, the listeners also tell the open consoles
    about every consultation whose clock runs (a holiday decision does; closures and standards do not)."""
    for listener in _LISTENERS:
        listener(office, reason=reason, by=by, announce=announce)
