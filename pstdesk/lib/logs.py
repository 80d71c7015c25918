"""Structured (JSON lines) log formatting, chosen with LOG_FORMAT=json; secrets kept out of the access log."""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus, urlsplit

from uvicorn.config import LOGGING_CONFIG


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key.startswith("ctx_"):
                entry[key[4:]] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Query strings that carry a secret: the whole query of these paths (the WhatsApp verification handshake sends
# `hub.verify_token`), and, on any path, the values of parameters with these names (signed links `?t=`, tokens).
SECRET_QUERY_PATHS = ("/channels/whatsapp/webhook",)
SECRET_PARAM = re.compile(r"(^|[._-])(t|token|code|key|secret|signature|password|sig)$|token|secret", re.IGNORECASE)


def redact_path(path: str) -> str:
    """`path?query` with every secret in the query replaced by `[redacted]` (see SECRET_QUERY_PATHS/PARAM)."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    if urlsplit(base).path.rstrip("/") in SECRET_QUERY_PATHS:
        return f"{base}?[redacted]"
    parts = []
    for item in query.split("&"):
        name, eq, _value = item.partition("=")
        parts.append(f"{name}=[redacted]" if eq and SECRET_PARAM.search(unquote_plus(name)) else item)
    return f"{base}?{'&'.join(parts)}"


def _redact_arg(arg: Any) -> Any:
    text = str(arg) if type(arg).__name__ == "URL" else arg  # httpx logs its URL objects
    if isinstance(text, str) and "?" in text and text.startswith(("/", "http://", "https://", "ws://", "wss://")):
        return redact_path(text)
    return arg


class RedactQueryFilter(logging.Filter):
    """A filter for every log handler (uvicorn's access log, the HTTP client's request lines, the app's own): a
    path or URL argument is logged without the secrets of its query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_arg(arg) for arg in record.args)
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up with `RedactQueryFilter` on its access log (HTTP and WebSocket lines)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": "pstdesk.lib.logs.RedactQueryFilter"}
    config["handlers"]["access"]["filters"] = ["redact_query"]
    config["handlers"]["default"]["filters"] = ["redact_query"]
    return config
