"""The dependency direction, checked on the source (standard library `ast`, no import is executed).

The layers, lowest first; an app may import its own layer and the layers below, never above:
1. `lib` (model-free helpers) and `audit`;
2. `accounts`, `offices`, `guestbook`: the people and places everything else refers to;
3. the core above them: `consultations`, then `ratings`, `complaints`, `supervision`, `reports`, ... .
Channels plug into the core from outside: `channels.base` is the interface anyone may import, a channel package
(`channels.whatsapp`, `channels.email`, `channels.web`, any later one) is imported by nobody in layers 1–2 nor by
`consultations`; the core reaches a channel only through `channels.base.REGISTRY` and its capabilities.

Imports under `if TYPE_CHECKING:` are for type checkers only and are not counted. Tests and migrations are not
checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from pstdesk.lib.tests.sources import parse

ROOT = Path(__file__).resolve().parents[2]  # the pstdesk package

LOWER = {"lib", "audit", "accounts", "offices", "guestbook"}
# What the lower layers may not import: the consultation core and every app built on it.
ABOVE_LOWER = {"consultations", "ratings", "complaints", "supervision", "reports", "library", "knowledge"}
# The apps that reach channels only through `channels.base`.
CHANNEL_FREE = LOWER | {"consultations"}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(dotted module, line) of every import, nested ones included, except under `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            # `from pstdesk.channels import whatsapp` imports the package `pstdesk.channels.whatsapp`.
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names)
        stack.extend(ast.iter_child_nodes(node))


def _app(dotted: str) -> str | None:
    """The app a `pstdesk.…` module belongs to: "consultations", "channels.whatsapp", "channels.base", ..."""
    parts = dotted.split(".")
    if parts[0] != "pstdesk" or len(parts) < 2:
        return None
    if parts[1] == "channels":
        return "channels." + parts[2] if len(parts) > 2 else "channels"
    return parts[1]


def _is_channel_package(app: str) -> bool:
    return app.startswith("channels.") and app != "channels.base"


def edges() -> Iterator[tuple[str, str, str]]:
    """(importing app, imported app, "file:line") for every import between two different apps."""
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        if {"tests", "migrations"} & set(relative.parts):
            continue
        source = _app(".".join(relative.with_suffix("").parts))
        if source is None:
            continue
        for dotted, line in _imports(parse(path.read_text(encoding="utf-8"), str(path))):
            target = _app(dotted)
            if target is not None and target != source:
                yield source, target, f"{relative}:{line}"


def violations() -> list[str]:
    found = []
    for source, target, where in edges():
        if source in CHANNEL_FREE and _is_channel_package(target):
            found.append(f"{where}: {source} imports the channel package {target} (use channels.base)")
        if source in LOWER and target in ABOVE_LOWER:
            found.append(f"{where}: {source} (a lower app) imports {target}")
    return sorted(set(found))


def test_no_core_app_imports_a_channel_and_no_lower_app_imports_the_core() -> None:
    assert violations() == []


def test_the_walk_sees_nested_imports_and_skips_type_checking_blocks() -> None:
    """The guard can fail: a function-local import counts, a TYPE_CHECKING one does not."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from pstdesk.consultations.models import Consultation\n"
        "def f():\n"
        "    from pstdesk.channels import whatsapp\n"
    )
    found = [(_app(dotted), line) for dotted, line in _imports(parse(source))]
    assert ("channels.whatsapp", 5) in found
    assert all(app != "consultations" for app, _line in found)
    assert _is_channel_package("channels.whatsapp") and not _is_channel_package("channels.base")
    assert list(edges())  # the walk found the package's files
