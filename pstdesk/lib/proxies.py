"""The client's address behind TRUSTED_PROXIES reverse proxies: the one place every rate limit takes it from.

Each proxy appends the address it received the request from to X-Forwarded-For, so with N trusted proxies in front
of the server the client is the N-th address from the right of `X-Forwarded-For + [REMOTE_ADDR]`; everything left
of it was written by the client and is never trusted. With TRUSTED_PROXIES=0 (the default) the header is ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings


def _forwarded_client(forwarded_for: str, remote: str, hops: int) -> str:
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()] + [remote]
    # Fewer addresses than proxies: the request did not come through all of them; take the left-most one known.
    return chain[-(hops + 1)] if len(chain) > hops else chain[0]


def client_ip(meta_or_scope: Mapping[str, Any]) -> str:
    """The client address of a Django request's META or of an ASGI scope (WebSockets)."""
    hops = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
    if "type" in meta_or_scope and "headers" in meta_or_scope:
        client = meta_or_scope.get("client") or ("", 0)
        remote = str(client[0] or "unknown")
        headers: Iterable[tuple[bytes, bytes]] = meta_or_scope.get("headers") or []
        forwarded = ",".join(v.decode("latin-1") for k, v in headers if k.lower() == b"x-forwarded-for")
    else:
        remote = str(meta_or_scope.get("REMOTE_ADDR") or "unknown")
        forwarded = str(meta_or_scope.get("HTTP_X_FORWARDED_FOR") or "")
    if hops <= 0 or not forwarded:
        return remote
    return _forwarded_client(forwarded, remote, hops)


def _forwarded_proto(headers: Iterable[tuple[bytes, bytes]], hops: int) -> str:
    values = ",".join(v.decode("latin-1") for k, v in headers if k.lower() == b"x-forwarded-proto")
    chain = [part.strip().lower() for part in values.split(",") if part.strip()]
    if not chain:
        return ""
    return chain[-hops] if len(chain) >= hops else chain[0]


class TrustedProxyMiddleware:
    """ASGI middleware of `pstdesk serve` (which turns uvicorn's own proxy-header handling off, as that trusts only
    127.0.0.1 and rewrites the client address): with TRUSTED_PROXIES set, the scheme the outermost trusted proxy saw
    (X-Forwarded-Proto) becomes the scope's scheme, so HTTPS and WSS are recognised behind a TLS-terminating proxy
    on any host. The client address is left as the connecting peer: `client_ip` counts the hops."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        hops = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
        if hops > 0 and scope.get("type") in ("http", "websocket"):
            proto = _forwarded_proto(scope.get("headers") or [], hops)
            if proto in ("http", "https"):
                scheme = proto if scope["type"] == "http" else {"http": "ws", "https": "wss"}[proto]
                scope = {**scope, "scheme": scheme}
        await self.app(scope, receive, send)
