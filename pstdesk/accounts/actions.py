"""State changes of staff accounts and API tokens (the admin, commands and the API call these)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pstdesk.accounts.access import can_administer, visible_offices
from pstdesk.accounts.models import ApiToken, Role, SecurityPolicy, User, hash_token
from pstdesk.accounts.twofactor import AUTHENTICATOR, RECOVERY, RECOVERY_CODES, enabled_for, forget_policy, required_for
from pstdesk.audit.actions import record
from pstdesk.lib.actors import Actor, is_command, is_system, is_user
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


def _check_may_manage(by: Actor, user: User) -> None:
    """A superuser manages anyone; an office admin manages non-superusers of offices in their subtree. Admits an
    operator's command and the system too; never a visitor or a channel."""
    if is_command(by) or is_system(by):
        return
    if not is_user(by):
        raise NotAllowed(_("Anda tidak berwenang mengelola akun ini."))
    if by.is_superuser:
        return
    allowed = (
        by.is_authenticated
        and by.is_active
        and by.role == Role.ADMIN
        and not user.is_superuser
        and user.office_id is not None
        and visible_offices(by).filter(pk=user.office_id).exists()
    )
    if not allowed:
        raise NotAllowed(_("Anda tidak berwenang mengelola akun ini."))


def save_staff_user(user: User, *, by: Actor, created: bool, before: dict[str, Any] | None = None) -> User:
    """Save a staff account edited by an administrator (or a command) and audit it.

    Guarantees: the actor may manage the account before *and* after the edit (an office admin cannot move a user
    into an office outside their subtree, nor grant superuser); one audit row `user.created` / `user.updated`
    with the fields before and after (never the password).
    """
    if user.is_superuser and not (is_command(by) or is_system(by) or (is_user(by) and by.is_superuser)):
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


def create_api_token(user: User, *, by: Actor, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for `user`. Returns the row and the raw token, which is shown once and never stored (only
    its SHA-256). One audit row `token.created`."""
    if not user.is_active:
        raise DomainError(_("Akun %(username)s tidak aktif.") % {"username": user.username})
    if not (is_user(by) and by.pk == user.pk):  # the user themself, else as `_check_may_manage` admits
        _check_may_manage(by, user)
    raw = ApiToken.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], prefix=raw[:8], key_hash=hash_token(raw))
        record("token.created", token, by=by, office=user.office, after={"user": user.username, "name": name})
    return token, raw


def revoke_api_token(token: ApiToken, *, by: Actor) -> ApiToken:
    """Revoke a token: from now on it answers 401. Revoking twice is refused (nothing changes)."""
    if token.revoked_at is not None:
        raise DomainError(_("Token ini sudah dicabut."))
    if not (is_user(by) and by.pk == token.user_id):  # the token's user, else as `_check_may_manage` admits
        _check_may_manage(by, token.user)
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record("token.revoked", token, by=by, office=token.user.office, after={"revoked_at": str(token.revoked_at)})
    return token


# --- two-factor authentication (accounts.twofactor) ---------------------------------------------------------------
def start_two_factor_enrolment(user: User, *, by: Actor) -> Any:
    """A new, unconfirmed authenticator for `user` (any earlier unconfirmed one is dropped): its secret is shown
    to the user once as a QR code and a key; nothing changes at login until it is confirmed with a code. Audited
    `two_factor.enrolment_started`."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)
        record("two_factor.enrolment_started", user, by=by, office=user.office, after={"device": device.pk})
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def confirm_two_factor(user: User, *, device: Any, by: Actor) -> list[str]:
    """Make the authenticator `device` (whose code the caller has just checked) the user's one authenticator, with
    a fresh set of recovery codes, returned to be shown once (only django-otp's rows keep them). Audited
    `two_factor.enabled`."""
    if device.user_id != user.pk:
        raise NotAllowed(_("Perangkat ini bukan milik akun Anda."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        record("two_factor.enabled", user, by=by, office=user.office, after={"recovery_codes": len(codes)})
    return codes


def regenerate_recovery_codes(user: User, *, by: Actor) -> list[str]:
    """New recovery codes for a user with an authenticator; the old ones stop working. Audited."""
    if not enabled_for(user):
        raise DomainError(_("Verifikasi dua langkah belum aktif untuk akun ini."))
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        record("two_factor.recovery_codes_renewed", user, by=by, office=user.office, after={"count": len(codes)})
    return codes


def disable_two_factor(user: User, *, by: Actor) -> None:
    """Remove the user's authenticator and recovery codes. The user themself (after a current code, checked by the
    caller) when their office does not require it; an administrator who may manage the account (a lost phone)
    at any time, after which a required user enrols again at the next login. Audited `two_factor.disabled`."""
    if is_user(by) and by.pk == user.pk:
        if required_for(user):
            raise NotAllowed(_("Kantor Anda mewajibkan verifikasi dua langkah untuk akun ini."))
    else:
        _check_may_manage(by, user)
    with transaction.atomic():
        removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
        record("two_factor.disabled", user, by=by, office=user.office, after={"devices_removed": removed})


def record_two_factor_attempt(user: User, *, ok: bool, method: str, locked: bool = False) -> None:
    """Audit one second-step attempt of a login (`two_factor.verified` / `two_factor.failed`)."""
    after: dict[str, Any] = {"method": method}
    if locked:
        after["locked"] = True
    record("two_factor.verified" if ok else "two_factor.failed", user, by=user, office=user.office, after=after)


def set_security_policy(office: Any, *, require_admin_two_factor: bool, by: Actor) -> Any:
    """Set an office's security policy (admins of the office or above, and superusers). Audited
    `security_policy.updated` with the value before and after."""
    # Admits an operator's command, the system, and a user who administers the office.
    if not (is_command(by) or is_system(by) or (is_user(by) and can_administer(by, office))):
        raise NotAllowed(_("Anda tidak berwenang mengubah kebijakan keamanan kantor ini."))
    with transaction.atomic():
        policy, _created = SecurityPolicy.objects.select_for_update().get_or_create(office=office)
        before = policy.require_admin_two_factor
        policy.require_admin_two_factor = require_admin_two_factor
        policy.save()
        record(
            "security_policy.updated",
            policy,
            by=by,
            office=office,
            before={"require_admin_two_factor": before},
            after={"require_admin_two_factor": require_admin_two_factor},
        )
        # Forgotten now (this process reads its own write) and again after commit (a reader in between may have
        # cached the old value).
        forget_policy(office.pk)
        transaction.on_commit(lambda: forget_policy(office.pk))
    return policy
