"""Signed, expiring tokens for links sent to visitors (django.core.signing, one salt per purpose).

A token proves that this service issued it and that it is not older than its purpose's max_age; it carries ids,
never personal data. `guestbook_url` is the link the channels send so a visitor can fill the web guestbook: it
identifies the visitor (opening it in a browser that already holds another visitor merges the two, reason
"signed_link").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT_PREFIX = "pstdesk."
# Purpose → how long its tokens stay valid (seconds).
MAX_AGE: dict[str, int] = {
    "guestbook": 30 * 24 * 3600,
    "visitor": 365 * 24 * 3600,
}


class BadToken(Exception):
    """The token is malformed, forged, for another purpose, or expired."""


def sign(purpose: str, value: Any) -> str:
    if purpose not in MAX_AGE:
        raise KeyError(f"unknown signing purpose {purpose!r}")
    return signing.dumps(value, salt=SALT_PREFIX + purpose, compress=True)


def unsign(purpose: str, token: str, *, max_age: int | None = None) -> Any:
    if purpose not in MAX_AGE:
        raise KeyError(f"unknown signing purpose {purpose!r}")
    try:
        return signing.loads(token or "", salt=SALT_PREFIX + purpose, max_age=max_age or MAX_AGE[purpose])
    except signing.SignatureExpired as exc:
        raise BadToken("expired") from exc
    except signing.BadSignature as exc:
        raise BadToken("invalid") from exc


@dataclass(frozen=True)
class GuestbookLink:
    visitor_public_id: str
    office_code: str
    consultation_id: int | None


def guestbook_token(visitor: Any, office: Any, consultation_id: int | None = None) -> str:
    office_code = getattr(office, "code", office)
    return sign("guestbook", {"v": str(visitor.public_id), "o": office_code, "c": consultation_id})


def read_guestbook_token(token: str) -> GuestbookLink:
    data = unsign("guestbook", token)
    if not isinstance(data, dict) or "v" not in data or "o" not in data:
        raise BadToken("invalid")
    return GuestbookLink(visitor_public_id=str(data["v"]), office_code=str(data["o"]), consultation_id=data.get("c"))


def guestbook_url(visitor: Any, office: Any, consultation_id: int | None = None) -> str:
    """The absolute address of the web guestbook of `office` for this visitor (settings.PUBLIC_URL)."""
    office_code = getattr(office, "code", office)
    path = reverse("guestbook:form", kwargs={"office_code": office_code})
    return f"{settings.PUBLIC_URL}{path}?t={guestbook_token(visitor, office_code, consultation_id)}"


def visitor_token(visitor: Any) -> str:
    """A long-lived token naming one visitor, for the widget's JSON guestbook API (header X-Visitor-Token)."""
    return sign("visitor", {"v": str(visitor.public_id)})


def read_visitor_token(token: str) -> str:
    data = unsign("visitor", token)
    if not isinstance(data, dict) or "v" not in data:
        raise BadToken("invalid")
    return str(data["v"])
