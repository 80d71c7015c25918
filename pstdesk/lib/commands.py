"""Old management-command names kept for one release after a rename to an operator verb.

An alias module is `class Command(DeprecatedAlias, NewCommand)` with `replacement` (and `old_usage` where the old
name took a subcommand): it runs the new command unchanged and says once, on stderr, which name to use instead, so
scripts keep working and their logs show what to change before the alias goes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class DeprecatedAlias(BaseCommand):
    replacement: str = ""  # the new name, e.g. "generate_demo_data"
    old_usage: str = ""  # how the old name was called, when it differs from the module's name ("sla due")

    def deprecation_note(self) -> str:
        old = self.old_usage or type(self).__module__.rpartition(".")[2]
        return f"`pstdesk {old}` is deprecated and goes in the next release: use `pstdesk {self.replacement}`."

    def handle(self, *args: Any, **options: Any) -> Any:
        self.stderr.write(self.deprecation_note())
        return super().handle(*args, **options)
