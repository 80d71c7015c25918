"""The dependency direction, checked on the source (standard library `ast`, no import is executed).

The layers, lowest first; an app may import its own layer and the layers below, never above:
1. `lib` (model-free helpers) and `audit`;
2. `accounts`, `offices`, `guestbook`: the people and places everything else refers to;
3. the core above them: `consultations`, then `ratings`, `complaints`, `supervision`, `reports`, ... .
Channels plug into the core from outside: `channels.base` is the interface anyone may import, a channel package
(`channels.whatsapp`, `channels.email`, `channels.web`, any later one) is imported by nobody in layers 1–2 nor by
`consultations`; the core reaches a channel only through `channels.base.REGISTRY` and its capabilities.

Developer tools ship in the package but stay out of production's import graph: `pstdesk.testing` (test helpers),
`pstdesk.devtools` (what the demo starts) and the simulator modules are imported only by tests, by each other and
by the commands that run a simulator; `serve` looks the demo services up by name when DEMO is set.

Imports under `if TYPE_CHECKING:` are for type checkers only and are not counted. Tests and migrations are not
checked.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.utils.module_loading import import_string

from pstdesk.lib.tests.sources import parse
from pstdesk.runtime.management.commands.serve import DEMO_SERVICES

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


def _is_dev_only(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] == "pstdesk" and (parts[1:2] in (["testing"], ["devtools"]) or parts[-1] == "simulator")


# Production modules allowed to import dev tools: the commands whose whole job is to run a simulator.
DEV_COMMANDS = {
    "pstdesk/channels/whatsapp/management/commands/run_whatsapp_simulator.py",
    "pstdesk/channels/whatsapp/management/commands/whatsapp-sim.py",
}


def dev_imports() -> list[str]:
    """ "file:line imports module" for every import of a dev-only module from production code."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent)
        dotted = ".".join(relative.with_suffix("").parts)
        if {"tests", "migrations"} & set(relative.parts) or _is_dev_only(dotted) or str(relative) in DEV_COMMANDS:
            continue
        for imported, line in _imports(parse(path.read_text(encoding="utf-8"), str(path))):
            if _is_dev_only(imported):
                found.append(f"{relative}:{line} imports {imported}")
    return sorted(set(found))


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


def test_dev_tools_stay_out_of_the_production_import_graph() -> None:
    assert dev_imports() == []
    assert _is_dev_only("pstdesk.testing.browser") and _is_dev_only("pstdesk.channels.whatsapp.simulator")
    assert _is_dev_only("pstdesk.devtools.demo") and not _is_dev_only("pstdesk.runtime.workers")


def test_serve_finds_the_demo_services_by_name() -> None:
    """The one way production reaches a dev tool, by a dotted name the import graph cannot see: it must resolve."""
    assert _is_dev_only(DEMO_SERVICES) and callable(import_string(DEMO_SERVICES))
