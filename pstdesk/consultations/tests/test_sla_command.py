"""`pstdesk show_sla_due --office CODE --start ISO8601` (old name: `sla due`): in-process (call_command) and as the
console script."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pstdesk.offices.models import OfficeClosure

pytestmark = pytest.mark.django_db


def due(office: str, start: str) -> str:
    out = StringIO()
    call_command("show_sla_due", "--office", office, "--start", start, stdout=out)
    return out.getvalue()


def test_the_old_name_is_an_alias() -> None:
    out = StringIO()
    call_command("sla", "due", "--office", "5102", "--start", "2026-11-23T10:00:00+08:00", stdout=out)
    assert out.getvalue() == due("5102", "2026-11-23T10:00:00+08:00") == "2026-11-26T16:00:00+08:00\n"


@pytest.mark.parametrize(
    ("office", "start", "expected"),
    [
        ("5102", "2026-11-23T10:00:00+08:00", "2026-11-26T16:00:00+08:00"),
        ("5102", "2026-11-23T02:00:00Z", "2026-11-26T16:00:00+08:00"),
        ("5102", "2026-11-23T02:00:00+00:00", "2026-11-26T16:00:00+08:00"),
        ("5102", "2026-11-23T09:00:00+07:00", "2026-11-26T16:00:00+08:00"),  # WIB
        ("5102", "2026-11-23T10:00:00+0800", "2026-11-26T16:00:00+08:00"),  # basic-format offset
        ("5102", "2026-11-23T08:00:00Z", "2026-11-27T16:30:00+08:00"),  # 16:00 WITA: closed → Tue d0
        ("5102", "2026-11-23T10:00:00.123456+08:00", "2026-11-26T16:00:00+08:00"),
        ("5102", "2026-11-23T10:00", "2026-11-26T16:00:00+08:00"),  # no offset: the office's zone
        ("5101", "2026-11-24T10:00:00+08:00", "2026-11-27T15:30:00+08:00"),
        ("5102", "2026-12-23T10:00:00+08:00", "2026-12-30T16:00:00+08:00"),  # Christmas + cuti bersama
        ("5102", "2026-03-17T10:00:00+08:00", "2026-03-27T16:30:00+08:00"),  # Nyepi + Idul Fitri 2026
    ],
)
def test_due_prints_only_the_deadline(office: str, start: str, expected: str) -> None:
    assert due(office, start) == expected + "\n"


def test_due_sees_office_closures() -> None:
    OfficeClosure.objects.create(office_id="5102", date="2026-11-25", reason="Rapat kerja")
    assert due("5102", "2026-11-23T10:00:00+08:00") == "2026-11-27T16:30:00+08:00\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--office", "9999", "--start", "2026-11-23T10:00:00Z"], "unknown office"),
        (["--office", "5102", "--start", "kemarin"], "cannot parse"),
        (["--office", "5102", "--start", "2026-13-40T10:00:00Z"], "cannot parse"),
        (["--office", "5102", "--start", ""], "cannot parse"),
    ],
)
def test_bad_input_is_exit_status_2(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as info:
        call_command("show_sla_due", *args)
    assert info.value.returncode == 2


def _script() -> str:
    return str(Path(sys.executable).with_name("pstdesk"))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated embedded database in its own folder, as an operator's machine has."""
    folder = tmp_path_factory.mktemp("sla-cli")
    env = {**os.environ, "DATA_DIR": str(folder), "DJANGO_SETTINGS_MODULE": "pstdesk.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([_script(), "migrate", "--skip-checks", "-v0"], env=env, check=True, timeout=300)
    return env


def test_console_script_prints_the_deadline(data_dir: dict[str, str]) -> None:
    done = subprocess.run(
        [_script(), "show_sla_due", "--office", "5102", "--start", "2026-11-23T10:00:00+08:00"],
        env=data_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "2026-11-26T16:00:00+08:00\n"


@pytest.mark.parametrize(
    "args",
    [
        ["--office", "0404", "--start", "2026-11-23T10:00:00Z"],
        ["--office", "5102", "--start", "not-a-time"],
    ],
)
def test_console_script_bad_input(data_dir: dict[str, str], args: list[str]) -> None:
    done = subprocess.run([_script(), "show_sla_due", *args], env=data_dir, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
