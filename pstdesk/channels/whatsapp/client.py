"""A thin client of Meta's Graph API for WhatsApp (Cloud API), following pywa's payload shapes.

Every request goes through `http_request`, the one HTTP seam: tests point `WHATSAPP_API_BASE` at the local
simulator (`channels/whatsapp/simulator.py`) and nothing else changes. Settings are read at call time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
from django.conf import settings

# Meta's error codes that mean "try again later" (throughput, pair rate, spam rate, maintenance, app rate limits).
RETRYABLE_CODES = {4, 80007, 130429, 131048, 131056, 131057, 1, 2}
OUTSIDE_WINDOW = 131047

_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _shared_client() -> httpx.Client:
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0), follow_redirects=False)
    return _client


def http_request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """The one HTTP seam of this channel (a pooled httpx client)."""
    return _shared_client().request(method, url, **kwargs)


class GraphError(Exception):
    """An error answer of the Graph API (`{"error": {"message", "type", "code", "error_subcode", ...}}`), or a
    transport failure (`http_status` 0)."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int = 0,
        code: int | None = None,
        subcode: int | None = None,
        details: str = "",
        retry_after: float | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.subcode = subcode
        self.details = details
        self.retry_after = retry_after
        # True when the request may have reached Meta (a read timeout): a blind retry could send twice.
        self.ambiguous = ambiguous

    @property
    def retryable(self) -> bool:
        if self.http_status == 0 or self.http_status >= 500 or self.http_status == 429:
            return True
        return self.code in RETRYABLE_CODES

    def __str__(self) -> str:
        code = f"({self.code}) " if self.code is not None else ""
        return f"{code}{self.message}" + (f": {self.details}" if self.details else "")


def api_url(path: str) -> str:
    return f"{settings.WHATSAPP_API_BASE.rstrip('/')}/v{settings.WHATSAPP_API_VERSION}/{path.lstrip('/')}"


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"}


def _call(method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = http_request(method, url, headers=_headers(), **kwargs)
    except httpx.ConnectError as exc:
        raise GraphError(f"cannot connect to the WhatsApp API: {exc}") from exc
    except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError) as exc:
        raise GraphError(f"no answer from the WhatsApp API: {exc}", ambiguous=True) from exc
    except httpx.HTTPError as exc:
        raise GraphError(f"WhatsApp API request failed: {exc}") from exc
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code >= 400 or "error" in data:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        retry_after = response.headers.get("Retry-After")
        raise GraphError(
            str(error.get("message") or f"HTTP {response.status_code}"),
            http_status=response.status_code,
            code=error.get("code"),
            subcode=error.get("error_subcode"),
            details=str((error.get("error_data") or {}).get("details", "")),
            retry_after=float(retry_after) if retry_after and retry_after.isdigit() else None,
        )
    return data if isinstance(data, dict) else {}


def send_message(phone_number_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /{phone-number-id}/messages; returns Meta's answer (with `messages[0].id`, the wamid)."""
    return _call("POST", api_url(f"{phone_number_id}/messages"), json={"messaging_product": "whatsapp", **body})


def mark_read(phone_number_id: str, wamid: str) -> bool:
    data = _call(
        "POST",
        api_url(f"{phone_number_id}/messages"),
        json={"messaging_product": "whatsapp", "status": "read", "message_id": wamid},
    )
    return bool(data.get("success"))


def get_media(media_id: str) -> dict[str, Any]:
    """GET /{media-id}: `{url, mime_type, sha256, file_size, id}`; the url is valid for a few minutes."""
    return _call("GET", api_url(media_id))


def download_media(url: str, *, max_bytes: int) -> bytes:
    """Download a media url with the same Bearer token, refusing more than `max_bytes`."""
    try:
        with _shared_client().stream("GET", url, headers=_headers()) as response:
            if response.status_code >= 400:
                raise GraphError(
                    f"media download failed: HTTP {response.status_code}", http_status=response.status_code
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise GraphError("media too large", http_status=413)
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as exc:
        raise GraphError(f"media download failed: {exc}") from exc


def upload_media(phone_number_id: str, *, content: bytes, content_type: str, filename: str) -> str:
    data = _call(
        "POST",
        api_url(f"{phone_number_id}/media"),
        data={"messaging_product": "whatsapp", "type": content_type},
        files={"file": (filename, content, content_type)},
    )
    return str(data["id"])


def iter_templates(waba_id: str, *, limit: int = 100) -> Iterator[dict[str, Any]]:
    """Every template of a WABA, following `paging.next` to the end."""
    url: str | None = api_url(f"{waba_id}/message_templates")
    params: dict[str, Any] | None = {"limit": limit}
    seen: set[str] = set()
    while url and url not in seen:
        seen.add(url)
        data = _call("GET", url, params=params)
        params = None  # the next url carries its own query
        yield from data.get("data", [])
        url = (data.get("paging") or {}).get("next")
