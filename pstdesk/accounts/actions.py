"""State changes of staff accounts and API tokens (the admin, commands and the API call these)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import ApiToken, Role, User, hash_token
from pstdesk.audit.actions import record
from pstdesk.lib.errors import DomainError, NotAllowed

# Fields of a user worth an audit trail (never the password hash).
AUDITED_USER_FIELDS = (
    "username",
    "email",
    "first_name",
    "last_name",
    "office_id",
    "role",
    "is_active",
    "is_staff",
    "is_superuser",
    "on_duty",
    "capacity",
)


def _user_snapshot(user: User) -> dict[str, Any]:
    return {name: getattr(user, name) for name in AUDITED_USER_FIELDS}


def _check_may_manage(by: Any, user: User) -> None:
    """A superuser manages anyone; an office admin manages non-superusers of offices in their subtree."""
    if isinstance(by, str):  # a command or the system
        return
    if getattr(by, "is_superuser", False):
        return
    allowed = (
        getattr(by, "is_authenticated", False)
        and by.is_active
        and by.role == Role.ADMIN
        and not user.is_superuser
        and user.office_id is not None
        and visible_offices(by).filter(pk=user.office_id).exists()
    )
    if not allowed:
        raise NotAllowed(_("Anda tidak berwenang mengelola akun ini."))


def save_staff_user(user: User, *, by: Any, created: bool, before: dict[str, Any] | None = None) -> User:
    """Save a staff account edited by an administrator (or a command) and audit it.

    Guarantees: the actor may manage the account before *and* after the edit (an office admin cannot move a user
    into an office outside their subtree, nor grant superuser); one audit row `user.created` / `user.updated`
    with the fields before and after (never the password).
    """
    if not isinstance(by, str) and not getattr(by, "is_superuser", False) and user.is_superuser:
        raise NotAllowed(_("Hanya superuser yang dapat memberi hak superuser."))
    _check_may_manage(by, user)
    with transaction.atomic():
        user.save()
        after = _user_snapshot(user)
        changed_before = {k: v for k, v in (before or {}).items() if after.get(k) != v}
        record(
            "user.created" if created else "user.updated",
            user,
            by=by,
            office=user.office,
            before=changed_before,
            after={k: v for k, v in after.items() if created or k in changed_before},
        )
    return user


def snapshot_user(user: User) -> dict[str, Any]:
    """The audited fields as they are now (take it before changing a user, pass it as `before=`)."""
    return _user_snapshot(user)


def create_api_token(user: User, *, by: Any, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`. Returns the row and the raw token, which is shown once and never stored (only
    its SHA-256). One audit row `token.created`."""
    if not user.is_active:
        raise DomainError(_("Akun %(username)s tidak aktif.") % {"username": user.username})
    if not isinstance(by, str) and by != user:
        _check_may_manage(by, user)
    raw = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:8], key_hash=hash_token(raw))
        record("token.created", token, by=by, office=user.office, after={"user": user.username, "name": name})
    return token, raw


def revoke_api_token(token: ApiToken, *, by: Any) -> ApiToken:
    """Revoke a token: from now on it answers 401. Revoking twice is refused (nothing changes)."""
    if token.revoked_at is not None:
        raise DomainError(_("Token ini sudah dicabut."))
    if not isinstance(by, str) and by != token.user:
        _check_may_manage(by, token.user)
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoked", token, by=by, office=token.user.office, after={"revoked_at": str(token.revoked_at)})
    return token
