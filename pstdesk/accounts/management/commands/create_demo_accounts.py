"""`pstdesk create_demo_accounts`: demo staff for 5101, 5102 and the province, only when DEMO is on.

`make run` calls it after `migrate`. Passwords are random and printed once, in a table, when the accounts are
created; a second run creates nothing and says so. Production (DEMO unset) refuses with exit status 2.
"""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from pstdesk.accounts.actions import save_staff_user
from pstdesk.accounts.models import Role, User
from pstdesk.lib.actors import CommandActor

# username, office, role, on duty, staff (admin site), superuser
DEMO_ACCOUNTS: list[tuple[str, str | None, str, bool, bool, bool]] = [
    ("petugas1.5102", "5102", Role.OFFICER, True, False, False),
    ("petugas2.5102", "5102", Role.OFFICER, True, False, False),
    ("koordinator.5102", "5102", Role.SUPERVISOR, False, True, False),
    ("pj.5102", "5102", Role.MANAGER, False, True, False),
    ("petugas1.5101", "5101", Role.OFFICER, True, False, False),
    ("petugas2.5101", "5101", Role.OFFICER, True, False, False),
    ("koordinator.5101", "5101", Role.SUPERVISOR, False, True, False),
    ("pj.5101", "5101", Role.MANAGER, False, True, False),
    ("koordinator.5100", "5100", Role.SUPERVISOR, False, True, False),
    ("admin", "0000", Role.ADMIN, False, True, True),
]


def _valid_password(user: User) -> str:
    """A random password that passes AUTH_PASSWORD_VALIDATORS (the same rules as any staff password)."""
    while True:
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


class Command(BaseCommand):
    help = "Create demo staff accounts (DEMO=true only) and print their passwords once."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            self.stderr.write(
                "create_demo_accounts: refused: DEMO is not enabled (demo accounts never exist in production)"
            )
            sys.exit(2)
        created: list[tuple[str, str, str, str]] = []
        for username, office, role, on_duty, staff, superuser in DEMO_ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            user = User(
                username=username,
                office_id=office,
                role=role,
                on_duty=on_duty,
                is_staff=staff,
                is_superuser=superuser,
                email=f"{username}@demo.invalid",
            )
            password = _valid_password(user)
            user.set_password(password)
            save_staff_user(user, by=CommandActor("create_demo_accounts"), created=True)
            created.append((username, office or "-", str(Role(role).label), password))
        if not created:
            self.stdout.write("Demo accounts already exist; nothing created (their passwords were shown when created).")
            return
        self.stdout.write("Demo accounts created. The passwords are shown only now:")
        widths = [max(len(row[i]) for row in [("username", "office", "role", "password"), *created]) for i in range(4)]
        header = ("username", "office", "role", "password")
        for row in [header, tuple("-" * w for w in widths), *created]:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
