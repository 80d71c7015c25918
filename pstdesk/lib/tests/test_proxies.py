"""The client address behind TRUSTED_PROXIES proxies: the hop count from the right of X-Forwarded-For, never an
address the client wrote itself; the same for WebSocket scopes and the LiveChat rate limits."""

from __future__ import annotations

import asyncio

import pytest
from django.test import override_settings

from pstdesk.channels.web import limits
from pstdesk.lib.proxies import TrustedProxyMiddleware, client_ip


def meta(forwarded: str | None, remote: str = "10.0.0.2") -> dict[str, str]:
    values = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        values["HTTP_X_FORWARDED_FOR"] = forwarded
    return values


def scope(forwarded: str | None, remote: str = "10.0.0.2") -> dict:
    headers = [(b"host", b"pst.example")]
    if forwarded is not None:
        headers.append((b"x-forwarded-for", forwarded.encode()))
    return {"type": "websocket", "headers": headers, "client": (remote, 50000)}


@pytest.mark.parametrize("build", [meta, scope])
@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (0, "203.0.113.7", "10.0.0.2"),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.7", "203.0.113.7"),  # one proxy appended the client's address
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client forged a left-most entry
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.1", "203.0.113.7"),  # CDN then load balancer
        (2, "203.0.113.7", "203.0.113.7"),  # fewer entries than proxies: the left-most known
        (1, None, "10.0.0.2"),
    ],
)
def test_client_ip_counts_trusted_hops_from_the_right(build, hops, forwarded, expected) -> None:
    with override_settings(TRUSTED_PROXIES=hops):
        assert client_ip(build(forwarded)) == expected
        assert limits.client_ip(build(forwarded)) == expected


def test_behind_a_proxy_visitors_get_their_own_rate_limit_bucket() -> None:
    with override_settings(TRUSTED_PROXIES=1):
        first = client_ip(meta("198.51.100.1", remote="10.0.0.2"))
        second = client_ip(meta("198.51.100.2", remote="10.0.0.2"))
    assert first != second


@pytest.mark.parametrize(
    ("hops", "kind", "proto", "expected"),
    [
        (0, "http", "https", "http"),  # no proxy trusted: a client's X-Forwarded-Proto means nothing
        (1, "http", "https", "https"),
        (1, "websocket", "https", "wss"),
        (2, "websocket", "https, http", "wss"),  # the outer proxy saw HTTPS, the inner one spoke HTTP to us
        (1, "http", "gopher", "http"),
    ],
)
def test_the_scheme_behind_trusted_proxies(hops, kind, proto, expected) -> None:
    seen: dict = {}

    async def app(scope, receive, send) -> None:
        seen.update(scope)

    scheme = "http" if kind == "http" else "ws"
    scope = {
        "type": kind,
        "scheme": scheme,
        "client": ("10.0.0.2", 4000),
        "headers": [(b"x-forwarded-proto", proto.encode()), (b"x-forwarded-for", b"203.0.113.7")],
    }
    with override_settings(TRUSTED_PROXIES=hops):
        asyncio.run(TrustedProxyMiddleware(app)(scope, None, None))
    assert seen["scheme"] == expected
    assert seen["client"] == ("10.0.0.2", 4000)  # the peer stays; client_ip() counts the hops
