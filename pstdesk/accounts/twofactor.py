"""Two-factor authentication of staff: a TOTP authenticator app (django-otp's TOTP plugin) and one-time recovery
codes (django-otp's static tokens).

How a login goes (`accounts.views.TwoStepLoginView`, also behind the admin's login page):
- a right password for an account with a confirmed authenticator does *not* log in: the session only remembers a
  pending login (user, backend, where to go next, for PENDING_SECONDS), and the second step asks for a code; the
  account is logged in (and the session marked verified by django-otp) only once a code is right;
- an account that must use two factors (`required_for`: admin access in an office whose `SecurityPolicy` says so)
  and has no authenticator yet is sent, pending in the same way, to enrol before anything else;
- a session that is logged in but not verified while two factors are required (the policy was switched on, or
  the device enrolled from another browser) is sent to the second step or to enrolment by
  `accounts.middleware.TwoFactorMiddleware`, for the console, the admin and the API alike.

Codes are guessable secrets: every check goes through the login throttle (`accounts.throttle`, per account and per
client address) before django-otp sees the code, and a right TOTP code cannot be used twice (django-otp keeps the
last time step used).
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth import login as auth_login
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from pstdesk.accounts import throttle
from pstdesk.accounts.models import Role, SecurityPolicy, User

PENDING = "pstdesk_2fa_pending"
PENDING_SECONDS = 10 * 60
RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator"
RECOVERY = "recovery"
POLICY_CACHE_SECONDS = 60


# --- who must use it ----------------------------------------------------------------------------------------------
def has_admin_access(user: Any) -> bool:
    """Staff who can reach the admin (or administer an office): the people an office's policy is about."""
    return bool(getattr(user, "is_active", False) and (user.is_superuser or user.is_staff or user.role == Role.ADMIN))


def _policy_key(office_id: str) -> str:
    return f"secpolicy:2fa:{office_id}"


def office_requires(office_id: str | None) -> bool:
    """Whether the office requires two factors of its admins (cached for a minute; `forget_policy` on change)."""
    if not office_id:
        return False
    key = _policy_key(office_id)
    try:
        cached = cache.get(key)
    except Exception:  # the cache (Redis) is down: ask the database
        cached = None
    if cached is not None:
        return bool(cached)
    value = SecurityPolicy.objects.filter(office_id=office_id, require_admin_two_factor=True).exists()
    try:
        cache.set(key, value, POLICY_CACHE_SECONDS)
    except Exception:
        pass
    return value


def forget_policy(office_id: str) -> None:
    try:
        cache.delete(_policy_key(office_id))
    except Exception:
        pass


def required_for(user: Any) -> bool:
    return has_admin_access(user) and office_requires(user.office_id)


# --- devices --------------------------------------------------------------------------------------------------------
def authenticator(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def enabled_for(user: Any) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def recovery_codes_left(user: Any) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def manual_key(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it by hand: base32, in groups of four."""
    raw = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The enrolment QR code (the otpauth:// URL) as inline SVG; drawn by `qrcode` from our own URL only."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    svg: str = image.to_string(encoding="unicode")
    return mark_safe(svg)  # noqa: S308 - generated SVG paths, no user text


def normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:32]


# --- checking a code (throttled) ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """The outcome of one code: the device it matched (None: wrong), or the lock that refused it unchecked."""

    device: Device | None
    lock: throttle.Lock | None = None

    @property
    def recovery(self) -> bool:
        return isinstance(self.device, StaticDevice)


def _subject(user: Any) -> str:
    return f"2fa:{user.pk}"


def check_code(request: HttpRequest, user: Any, code: str, *, device: TOTPDevice | None = None) -> Check:
    """Check a code of `user` (against `device`, an authenticator being enrolled; else their confirmed
    authenticator or, for a longer code, their recovery codes, each usable once). Locked accounts and addresses
    are refused before any device sees the code; each wrong code counts a failure."""
    subject = _subject(user)
    lock = throttle.current_lock(request, subject)
    if lock is not None:
        return Check(None, lock)
    code = normalise(code)
    matched: Device | None = None
    if code:
        if device is not None:
            candidates: list[Device] = [device] if code.isdigit() else []
        elif code.isdigit() and len(code) == 6:
            candidates = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        else:
            candidates = list(StaticDevice.objects.filter(user=user, confirmed=True))
        for candidate in candidates:
            if candidate.verify_token(code):
                matched = candidate
                break
    if matched is None:
        throttle.record_failure(request, subject)
        return Check(None, throttle.current_lock(request, subject))
    throttle.record_success(subject)
    return Check(matched)


# --- the pending login --------------------------------------------------------------------------------------------
def begin_pending(request: HttpRequest, user: Any, next_url: str) -> None:
    """Remember a login whose password was right and whose second step (code or enrolment) is still due. A new
    session key, so a key planted before the password cannot ride on it."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
        "at": time.time(),
        "next": next_url,
    }


def pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at") or 0) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    user_id = data.get("user")
    if not isinstance(user_id, int):
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=user_id, is_active=True).select_related("office").first()
    if user is None:
        request.session.pop(PENDING, None)
        return None
    return user, data


def complete_login(request: HttpRequest, user: Any, device: Device) -> str:
    """Log the pending user in (or mark a logged-in session verified) with the device just checked; returns where
    the login was going."""
    data = request.session.get(PENDING) or {}
    if not getattr(request.user, "is_authenticated", False) or request.user.pk != user.pk:
        auth_login(request, user, backend=data.get("backend") or settings.AUTHENTICATION_BACKENDS[0])
    otp_login(request, device)
    request.session.pop(PENDING, None)
    return str(data.get("next") or "")
