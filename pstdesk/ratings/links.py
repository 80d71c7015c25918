"""Signed links to the rating page, for channels that cannot collect a rating inside the conversation (e-mail,
WhatsApp outside the 24-hour window)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.urls import reverse

SALT = "pstdesk.ratings.link"
MAX_AGE = 60 * 24 * 3600  # a rating link stays valid for 60 days


def rating_token(consultation_id: int) -> str:
    return signing.dumps({"c": consultation_id}, salt=SALT, compress=True)


def read_rating_token(token: str) -> int:
    """The consultation id of a token; Http404 when it is forged, malformed or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        raise Http404("rating link invalid or expired") from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise Http404("rating link invalid")
    return int(data["c"])


def rating_url(consultation: Any) -> str:
    """The absolute URL of the rating page of a consultation (or of a consultation id)."""
    pk = consultation if isinstance(consultation, int) else consultation.pk
    return settings.PUBLIC_URL + reverse("ratings:rate", kwargs={"token": rating_token(pk)})
