"""API authentication: a bearer token (`Authorization: Bearer pst_…`) or the session of a logged-in officer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from pstdesk.accounts.models import ApiToken, hash_token


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        row = (
            ApiToken.objects.select_related("user", "user__office")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if row is None:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class StaffSessionAuth(SessionAuth):
    """Session auth (CSRF-checked by django-ninja) for the console's own calls."""


api_auth = [TokenAuth(), StaffSessionAuth()]
