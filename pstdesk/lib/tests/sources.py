"""Reading the project's own source in tests."""

from __future__ import annotations

import ast


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse`, tried again when CPython 3.11 spuriously reports "AST constructor recursion depth mismatch":
    its AST converter keeps one recursion counter for every thread, so a background thread of an earlier test (a
    socket re-check, a worker importing a module) compiling at the same moment upsets it (python/cpython#106905).
    The source itself is fine: a later attempt parses it."""
    for attempt in range(5):
        try:
            return ast.parse(source, filename)
        except SystemError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")
