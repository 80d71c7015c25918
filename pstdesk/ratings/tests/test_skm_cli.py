"""`pstdesk skm import` and `pstdesk skm ikm` through the console script, as an office runs them: paper
questionnaires of a hand-computed example go in, the index comes out as JSON numbers; a bad row stores nothing; an
empty period prints `"ikm": null` (exit 0); a bad office or date exits 2 with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from pstdesk.ratings.models import SkmResponse
from pstdesk.testing.browser import use_file_test_database

use_file_test_database()  # the console script opens the same (file) test database
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "submitted_at,u1,u2,u3,u4,u5,u6,u7,u8,u9\n"
# By hand: u1, u3, u5, u7 = (4+3+4)/3 = 11/3; u2, u4, u6, u8 = (4+3+3)/3 = 10/3; u9 = (4+2)/2 = 3 (the second
# form left it empty: two answers, not three). Sum of the NRR = 4×11/3 + 4×10/3 + 3 = 31; IKM = 31/9 × 25 =
# 775/9 = 86,111… → 86,11, mutu B.
PAPER = HEADER + "2026-11-03,4,4,4,4,4,4,4,4,4\n2026-11-04,3,3,3,3,3,3,3,3,\n2026-11-05,4,3,4,3,4,3,4,3,2\n"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def pstdesk(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": _database_url(), "DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "pstdesk.cli", "skm", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_then_ikm_through_the_console_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(PAPER + "2026-11-06,4,4,4,4,4,4,4,4,5\n", encoding="utf-8")
    refused = pstdesk(tmp_path, "import", "--office", "5102", str(bad))
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0
    assert "line 5:" in refused.stderr and "nothing imported" in refused.stderr
    assert SkmResponse.objects.count() == 0

    good = tmp_path / "kertas.csv"
    good.write_text(PAPER, encoding="utf-8")
    imported = pstdesk(tmp_path, "import", "--office", "5102", str(good))
    assert imported.returncode == 0 and "imported 3" in imported.stdout, imported.stderr
    assert SkmResponse.objects.filter(office_id="5102", source="paper").count() == 3

    shown = pstdesk(tmp_path, "ikm", "--office", "5102", "--from", "2026-11-01", "--to", "2026-11-30", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["ikm"] == 86.11 and data["mutu"] == "B" and data["n"] == 3
    assert data["nrr"] == {
        "u1": 3.6667,
        "u2": 3.3333,
        "u3": 3.6667,
        "u4": 3.3333,
        "u5": 3.6667,
        "u6": 3.3333,
        "u7": 3.6667,
        "u8": 3.3333,
        "u9": 3.0,
    }
    assert data["answered"]["u9"] == 2 and data["answered"]["u1"] == 3

    empty = pstdesk(tmp_path, "ikm", "--office", "5102", "--from", "2026-10-01", "--to", "2026-10-31", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout)["ikm"] is None and json.loads(empty.stdout)["n"] == 0

    for args in (
        ("--office", "9999", "--from", "2026-11-01", "--to", "2026-11-30"),
        ("--office", "5102", "--from", "2026-11-31", "--to", "2026-11-30"),
    ):
        failed = pstdesk(tmp_path, "ikm", *args, "--json")
        assert failed.returncode == 2 and failed.stdout == "" and failed.stderr.strip().count("\n") == 0, failed
