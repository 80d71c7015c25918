"""The multi-process test runs only where a scale-out deployment can be built: DATABASE_URL and REDIS_URL are set
(as on CI's PostgreSQL run) and both servers answer. Elsewhere the module is not collected at all."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlsplit


def _answers(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def scale_out_available() -> bool:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    return (
        database_url.startswith(("postgres://", "postgresql://"))
        and redis_url.startswith("redis://")
        and _answers(database_url, 5432)
        and _answers(redis_url, 6379)
    )


def postgres_available() -> bool:
    database_url = os.environ.get("DATABASE_URL", "")
    return database_url.startswith(("postgres://", "postgresql://")) and _answers(database_url, 5432)


collect_ignore = [] if scale_out_available() else ["test_multiprocess.py"]
# Connections cut under load: PostgreSQL only (Redis not needed, the server runs the embedded profile).
if not postgres_available():
    collect_ignore.append("test_pg_restart.py")
