from __future__ import annotations

from typing import Any

import pytest

from pstdesk.consultations.tests.conftest import fake_adapter, no_adapter

__all__ = ["events", "fake_adapter", "no_adapter"]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """Events handed to `publish_on_commit` (the tests run inside one transaction that never commits), in order:
    (groups, event)."""
    seen: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr("pstdesk.lib.events.publish", lambda groups, event: seen.append((list(groups), event)))

    def publish_now(groups: Any, event: dict[str, Any]) -> None:
        seen.append((list(groups), event))

    for module in ("pstdesk.lib.events", "pstdesk.supervision.actions"):
        monkeypatch.setattr(f"{module}.publish_on_commit", publish_now)
    return seen
