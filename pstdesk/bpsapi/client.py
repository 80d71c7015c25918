"""A small client of the BPS Web API (webapi.bps.go.id/v1/api), the endpoints the console's data panel uses.

Requests follow the published SDKs: the model and its filters as path segments
(`list/model/{model}/lang/{lang}/domain/{domain}/[keyword/{kw}/][page/{n}/]`, `view/model/{model}/…/id/{id}/`,
`list/model/data/…/var/{var}/[th/{th}/]`, `domain/type/{type}/`) and the key as the `key` query parameter (the
Flutter SDK's style), so the one log filter that redacts secret query parameters (`lib.logs.RedactQueryFilter`)
keeps it out of every log line, httpx's own included. Our own lines go through `redact_url` as well.

Answers share one envelope: `{"status": "OK", "data-availability": "available", "data": [paging, items]}` for
lists, `{"status": "OK", "data-availability": "available", "data": {...}}` for one object, `{"status": "Error",
"message": …}` for errors and `data-availability` "list-not-available"/"not-available" when there is nothing.
Every failure becomes one `BpsApiError` with a kind the console turns into a clear message. Successful answers
are cached (Django cache, `BPS_API_CACHE_SECONDS`), keyed by the request without the key.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings
from django.core.cache import cache

from pstdesk.lib.logs import redact_path

log = logging.getLogger("pstdesk.bpsapi")

NOT_AVAILABLE = {"list-not-available", "not-available"}
_PATH_KEY = re.compile(r"/key/[^/?#]*")

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(follow_redirects=False, headers={"Accept": "application/json"})
    return _client


def redact_url(url: str) -> str:
    """`url` without the API key, whether it travels as `?key=` or as a `/key/{K}/` path segment."""
    return redact_path(_PATH_KEY.sub("/key/[redacted]", str(url)))


class BpsApiError(Exception):
    """The Web API could not answer. `kind`: "not_configured", "timeout", "unreachable", "error" (an error answer
    or a malformed one). `message` is the API's own message when it gave one (never containing the key)."""

    def __init__(self, kind: str, message: str = "") -> None:
        self.kind = kind
        self.message = message
        super().__init__(f"{kind}: {message}" if message else kind)


@dataclass(frozen=True)
class Page:
    """One page of a list; `available` is False for `list-not-available` (then `items` is empty)."""

    items: list[dict[str, Any]]
    page: int = 1
    pages: int = 0
    total: int = 0
    available: bool = True


def _segment(value: Any) -> str:
    return quote(str(value), safe="")


class BpsClient:
    """Settings are read when the client is made (`BpsClient()` per use: tests change them freely)."""

    def __init__(self, *, base: str | None = None, key: str | None = None, timeout_ms: int | None = None) -> None:
        self.base = (base if base is not None else settings.BPS_API_BASE).rstrip("/")
        self.key = key if key is not None else settings.BPS_API_KEY
        self.timeout = (timeout_ms if timeout_ms is not None else settings.BPS_API_TIMEOUT_MS) / 1000

    # --- the one HTTP seam ---------------------------------------------------------------------------------
    def get(self, path: str) -> dict[str, Any]:
        """The decoded envelope of `GET {base}/{path}?key=…`, from the cache when it was fetched before."""
        if not self.key:
            raise BpsApiError("not_configured")
        cache_key = "bpsapi:" + hashlib.sha256(f"{self.base}/{path}".encode()).hexdigest()
        cached = cache.get(cache_key)
        if cached is not None:
            return dict(cached)
        url = f"{self.base}/{path}"
        started = time.monotonic()
        try:
            response = _shared_client().get(url, params={"key": self.key}, timeout=self.timeout)
        except httpx.TimeoutException:
            log.warning("BPS Web API timed out after %.1fs: %s", self.timeout, redact_url(url))
            raise BpsApiError("timeout") from None
        except httpx.TransportError as exc:
            log.warning("BPS Web API unreachable (%s): %s", type(exc).__name__, redact_url(url))
            raise BpsApiError("unreachable") from None
        elapsed = time.monotonic() - started
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            log.warning("BPS Web API answered HTTP %s without JSON: %s", response.status_code, redact_url(url))
            raise BpsApiError("error")
        if body.get("status") != "OK" or response.status_code >= 400:
            message = str(body.get("message") or "")[:300].replace(self.key, "[redacted]")
            log.warning("BPS Web API error (HTTP %s) %r: %s", response.status_code, message, redact_url(url))
            raise BpsApiError("error", message)
        log.info("BPS Web API %s in %.0f ms", redact_url(url), elapsed * 1000)
        if settings.BPS_API_CACHE_SECONDS:
            cache.set(cache_key, body, settings.BPS_API_CACHE_SECONDS)
        return body

    # --- endpoints -------------------------------------------------------------------------------------------
    def list_model(
        self,
        model: str,
        *,
        domain: str,
        lang: str = "ind",
        page: int = 1,
        keyword: str = "",
        filters: dict[str, Any] | None = None,
    ) -> Page:
        """`list/model/{model}/…`: one page of subjects, static tables, publications, press releases…"""
        path = f"list/model/{_segment(model)}/lang/{_segment(lang)}/domain/{_segment(domain)}/"
        for name, value in (filters or {}).items():
            path += f"{_segment(name)}/{_segment(value)}/"
        if keyword:
            path += f"keyword/{_segment(keyword)}/"
        if page > 1:
            path += f"page/{int(page)}/"
        return _page(self.get(path))

    def view(self, model: str, *, domain: str, id: Any, lang: str = "ind") -> dict[str, Any] | None:  # noqa: A002
        """`view/model/{model}/…/id/{id}/`: one object, or None when the API says it is not available."""
        body = self.get(
            f"view/model/{_segment(model)}/lang/{_segment(lang)}/domain/{_segment(domain)}/id/{_segment(id)}/"
        )
        if body.get("data-availability") in NOT_AVAILABLE or not isinstance(body.get("data"), dict):
            return None
        return dict(body["data"])

    def domains(self, *, type: str = "all", prov: str = "") -> list[dict[str, Any]]:  # noqa: A002
        """`domain/type/{all|prov|kab|kabbyprov}/[prov/{xx00}/]`: {domain_id, domain_name, domain_url} rows."""
        path = f"domain/type/{_segment(type)}/" + (f"prov/{_segment(prov)}/" if prov else "")
        return _page(self.get(path)).items

    def subjects(self, *, domain: str, lang: str = "ind", page: int = 1) -> Page:
        return self.list_model("subject", domain=domain, lang=lang, page=page)

    def static_tables(self, *, domain: str, keyword: str = "", lang: str = "ind", page: int = 1) -> Page:
        return self.list_model("statictable", domain=domain, lang=lang, page=page, keyword=keyword)

    def static_table(self, *, domain: str, table_id: Any, lang: str = "ind") -> dict[str, Any] | None:
        return self.view("statictable", domain=domain, id=table_id, lang=lang)

    def publications(self, *, domain: str, keyword: str = "", lang: str = "ind", page: int = 1) -> Page:
        return self.list_model("publication", domain=domain, lang=lang, page=page, keyword=keyword)

    def press_releases(self, *, domain: str, keyword: str = "", lang: str = "ind", page: int = 1) -> Page:
        return self.list_model("pressrelease", domain=domain, lang=lang, page=page, keyword=keyword)

    def dynamic_data(self, *, domain: str, var: Any, th: Any = None, lang: str = "ind") -> dict[str, Any] | None:
        """`list/model/data/…/var/{var}/[th/{th}/]`: the dynamic table (var, vervar, tahun, datacontent…)."""
        path = f"list/model/data/lang/{_segment(lang)}/domain/{_segment(domain)}/var/{_segment(var)}/"
        if th is not None:
            path += f"th/{_segment(th)}/"
        body = self.get(path)
        if body.get("data-availability") in NOT_AVAILABLE:
            return None
        return {k: v for k, v in body.items() if k not in {"status", "data-availability"}}


def _page(body: dict[str, Any]) -> Page:
    if body.get("data-availability") in NOT_AVAILABLE:
        return Page(items=[], available=False)
    data = body.get("data")
    if not isinstance(data, list) or len(data) != 2 or not isinstance(data[0], dict) or not isinstance(data[1], list):
        raise BpsApiError("error")
    paging = data[0]
    return Page(
        items=[item for item in data[1] if isinstance(item, dict)],
        page=int(paging.get("page") or 1),
        pages=int(paging.get("pages") or 0),
        total=int(paging.get("total") or 0),
    )
