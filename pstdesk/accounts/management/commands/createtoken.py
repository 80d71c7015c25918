"""`pstdesk createtoken <username> [--name N]`: print one new API token for a staff account."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pstdesk.accounts.actions import create_api_token
from pstdesk.accounts.models import User
from pstdesk.lib.actors import CommandActor
from pstdesk.lib.errors import DomainError


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for, e.g. 'reporting script'")

    def handle(self, *args: Any, **options: Any) -> None:
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            self.stderr.write(f"createtoken: no user named {username!r}")
            sys.exit(2)
        try:
            _token, raw = create_api_token(user, by=CommandActor("createtoken"), name=options["name"])
        except DomainError as exc:
            self.stderr.write(f"createtoken: {exc.message}")
            sys.exit(2)
        self.stdout.write(raw)
