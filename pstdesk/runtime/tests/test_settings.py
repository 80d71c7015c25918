"""A malformed setting stops start-up with a one-line message that names it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATA_DIR": str(tmp_path), **env}
    return subprocess.run(
        [sys.executable, "-m", "pstdesk.cli", "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("DEBUG", "yes", "DEBUG"),
        ("DATABASE_URL", "mysql://root@localhost/x", "DATABASE_URL"),
        ("DATABASE_URL", "postgres://", "DATABASE_URL"),
        ("REDIS_URL", "localhost:6379", "REDIS_URL"),
        ("ATTACHMENT_MAX_BYTES", "ten", "ATTACHMENT_MAX_BYTES"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
    ],
)
def test_malformed_setting_is_named(tmp_path: Path, name: str, value: str, named: str) -> None:
    result = run_check(tmp_path, **{name: value})
    assert result.returncode == 2
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_defaults_start(tmp_path: Path) -> None:
    result = run_check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
