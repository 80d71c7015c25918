"""HEAD answers wherever GET does: the test walks every URL pattern of the project (path parameters filled with
the seed offices' codes and with ids that exist or not), anonymous and signed in as a supervisor, and asserts that
HEAD gives GET's status and Content-Type with an empty body. A GET-only view (`require_GET`, `/widget.js`) used to
answer HEAD with 405."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from pstdesk.accounts.models import User

pytestmark = pytest.mark.django_db

# Assets and pages outside the URL patterns (served by WhiteNoise or by django-ninja).
EXTRA = [
    "/static/pstdesk/site.css",
    "/static/pstdesk/favicon.svg",
    "/static/ninja/swagger-ui-bundle.js",
    "/static/offices/admin/structured.js",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/offices/",
    "/api/v1/offices/5102/standard",
    "/api/v1/consultations",
    "/favicon.ico",
    "/no-such-page/",
]
VALUES = {"int": "1", "str": "5102", "slug": "close", "path": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def _paths(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(("admin/", "api/v1/")):
                continue  # the admin and the API are covered by their own entries below and in EXTRA
            yield from _paths(entry, route)
        elif isinstance(entry, URLPattern):
            if route.startswith("^"):
                continue
            yield "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: VALUES.get(m.group(1) or "str", "x"), route)


def _urls() -> list[str]:
    return sorted({*_paths(), *EXTRA, "/admin/", "/admin/offices/servicestandard/", "/admin/login/"})


@pytest.mark.parametrize("who", ["anonymous", "supervisor"])
def test_every_url_answers_head_like_get(who: str, supervisor_5102: User) -> None:
    client = Client()
    if who == "supervisor":
        supervisor_5102.is_staff = True
        supervisor_5102.save(update_fields=["is_staff"])
        client.force_login(supervisor_5102)
    urls = _urls()
    assert "/widget.js" in urls and "/console/" in urls and len(urls) > 60
    mismatched = []
    for url in urls:
        got = client.get(url)
        if got.status_code == 405:
            continue  # POST-only endpoints: HEAD is refused like GET
        head = client.head(url)
        body = b"".join(head.streaming_content) if head.streaming else head.content  # type: ignore[attr-defined]
        if (head.status_code, head.get("Content-Type")) != (got.status_code, got.get("Content-Type")) or body:
            mismatched.append((url, got.status_code, head.status_code, len(body)))
    assert mismatched == []


def test_widget_loader_answers_head_with_get_headers(client: Client) -> None:
    got = client.get("/widget.js")
    head = client.head("/widget.js")
    assert got.status_code == head.status_code == 200
    assert head["Content-Type"] == got["Content-Type"]
    assert head["Content-Length"] == str(len(got.content)) and head.content == b""
