"""The renamed management commands: the operator verb and the old name (kept for one release) both run the same
command, and the old name says on stderr which name replaces it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _run(*args: Any, **options: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_show_sla_due_and_sla_due() -> None:
    when = ["--office", "5102", "--start", "2026-11-23T10:00:00+08:00"]
    new_out, new_err = _run("show_sla_due", *when)
    old_out, old_err = _run("sla", "due", *when)
    assert new_out == old_out == "2026-11-26T16:00:00+08:00\n"
    assert new_err == ""
    assert "`pstdesk sla due` is deprecated" in old_err and "`pstdesk show_sla_due`" in old_err


@pytest.mark.django_db
def test_process_stored_email_and_email_process() -> None:
    new_out, new_err = _run("process_stored_email")
    old_out, old_err = _run("email", "process")
    assert new_out == old_out == "processed 0\n"
    assert new_err == "" and "`pstdesk email process` is deprecated" in old_err
    assert "`pstdesk process_stored_email`" in old_err


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("new", "old", "args", "refusal"),
    [
        ("generate_demo_data", "demo-data", {"consultations": 5, "offices": "9999"}, "no such offices"),
        ("receive_email", "email", {"args": ["ingest", "--office", "9999"]}, "no e-mail mailbox"),
    ],
)
def test_old_name_runs_the_new_command(new: str, old: str, args: dict[str, Any], refusal: str) -> None:
    """Both names reach the same refusal (no data is made); the old name said what replaces it first."""
    positional = args.pop("args", [])
    new_args = [a for a in positional if a != "ingest"]
    with pytest.raises(CommandError, match=refusal):
        _run(new, *new_args, **args)
    err = StringIO()
    with pytest.raises(CommandError, match=refusal):
        call_command(old, *positional, stdout=StringIO(), stderr=err, **args)
    assert f"`pstdesk {new}`" in err.getvalue() and "deprecated" in err.getvalue()


def test_whatsapp_sim_runs_run_whatsapp_simulator(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = ""
    for name in ("run_whatsapp_simulator", "whatsapp-sim"):
        err = StringIO()
        with pytest.raises(CommandError):
            call_command(name, stdout=StringIO(), stderr=err)
        assert ("`pstdesk run_whatsapp_simulator`" in err.getvalue()) == (name == "whatsapp-sim")
