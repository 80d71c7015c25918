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
