"""After an approved erasure, the database's own dump tool finds nothing of the visitor (issue 12, Must show): the
`sqlite3` shell's `.dump` of the SQLite file, or `pg_dump` of the PostgreSQL database, searched for their name,
e-mail, number (in its usual spellings) and message text, binary columns decoded; the other visitor is still in
it, and the month's report figures are unchanged. Committed data (a transactional test), so the tool sees it."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from pstdesk.accounts.models import Role, User
from pstdesk.conftest import make_user
from pstdesk.consultations.tests.conftest import fake_adapter  # noqa: F401  (the fixture)
from pstdesk.guestbook import rights
from pstdesk.guestbook.tests.test_rights_and_erasure import (
    KOMANG,
    RINI,
    WAYAN,
    _email_visitor,
    _figures,
    _visitor_with_everything,
)
from pstdesk.lib.actors import VisitorActor
from pstdesk.offices.models import Office
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import month
from pstdesk.testing.browser import use_file_test_database

use_file_test_database()
pytestmark = pytest.mark.django_db(transaction=True)


def _database_dump() -> str:
    """The dump the engine's own tool writes, with hex-encoded binary values (raw e-mails, webhook bodies) decoded
    and appended, lower-cased for the search."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        command = ["sqlite3", str(db["NAME"]), ".dump"]
        env = dict(os.environ)
        blobs = r"X'([0-9a-fA-F]+)'"
    else:
        command = [
            "pg_dump",
            "--data-only",
            "--no-owner",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            str(db["NAME"]),
        ]
        env = {**os.environ, "PGPASSWORD": str(db.get("PASSWORD") or "")}
        blobs = r"\\\\x([0-9a-fA-F]+)"
    text = subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=300).stdout
    assert "guestbook_visitor" in text  # the tool dumped the database, not nothing
    decoded = [bytes.fromhex(h).decode("utf-8", "replace") for h in re.findall(blobs, text) if len(h) % 2 == 0]
    return "\n".join([text, *decoded]).lower()


def _report_numbers(value: Any, path: str = "") -> dict[str, Any]:
    """Every number of the monthly reports of both offices (the figures; texts such as excerpts left out)."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _report_numbers(item, f"{path}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _report_numbers(item, f"{path}/{i}").items()}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {}
    return {path: value}


def _month_reports(now: Any) -> dict[str, Any]:
    period = month(timezone.localtime(now).year, timezone.localtime(now).month)
    reports = {code: build_report(Office.objects.get(code=code), period, now=now) for code in ("5101", "5102")}
    return _report_numbers(reports)


def test_dump_of_the_database_holds_nothing_of_an_erased_visitor(
    client: Client,
    settings: Any,
    officer_5102: User,
    manager_5102: User,
    fake_adapter: Any,  # noqa: F811
) -> None:
    wayan = _visitor_with_everything(client, settings, officer_5102, WAYAN, 1)
    _visitor_with_everything(client, settings, officer_5102, KOMANG, 2)
    rini = _email_visitor(settings)
    manager_5101 = make_user("pj5101", "5101", Role.MANAGER)
    before = _figures()
    now = timezone.now()
    report = _month_reports(now)
    assert sum(v for k, v in report.items() if k.startswith("/5102/consultations/")) > 0  # they count
    numbers = ["+" + WAYAN["wa_id"], "0" + WAYAN["wa_id"][2:]]
    dump = _database_dump()
    for secret in [*WAYAN.values(), numbers[0], RINI["name"], RINI["email"], RINI["text"], *KOMANG.values()]:
        assert secret.lower() in dump, secret  # the search finds them before

    for visitor, manager in ((wayan, manager_5102), (rini, manager_5101)):
        req = rights.request_privacy_action(visitor, kind="delete", by=VisitorActor(visitor.pk))
        rights.decide_privacy_request(req, approve=True, by=manager)

    dump = _database_dump()
    for secret in [*WAYAN.values(), *numbers, *RINI.values()]:
        assert secret.lower() not in dump, secret
    for secret in KOMANG.values():
        assert secret.lower() in dump, secret  # the other visitor is untouched
    assert _figures() == before
    assert _month_reports(now) == report  # the month's report figures unchanged
