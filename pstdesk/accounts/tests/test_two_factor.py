"""Two-factor login of staff: enrolment confirmed with a code, a second step after the password (console and
admin), recovery codes used once, wrong codes refused and throttled, switching off only with a current code, and
the office policy that makes it compulsory for admins (sent to enrol before anything else). Every step audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from pstdesk.accounts.actions import set_security_policy
from pstdesk.accounts.tests.totp import key_from_page, totp
from pstdesk.audit.models import AuditLog
from pstdesk.conftest import make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
VERIFY = "/accounts/masuk/kode/"
ENROL = "/accounts/keamanan/aktifkan/"
SECURITY = "/accounts/keamanan/"
T0 = "2026-12-01 02:00:05 +0000"


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> Iterator[None]:
    """A cache of this module's own (the throttle's counters and the policy cache; never the shared Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "2fa"}}
    cache.clear()
    yield
    cache.clear()


def verbs(user: Any) -> list[str]:
    return list(
        AuditLog.objects.filter(subject_type="accounts.user", subject_id=str(user.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def enrol(client: Client) -> tuple[str, list[str]]:
    """Enrol through the pages as the person would; returns the manual key and the recovery codes shown."""
    first = client.get(ENROL)
    assert first.status_code == 200 and "Mulai pendaftaran" in first.content.decode()
    assert client.post(ENROL, {"start": "1"}).status_code == 302
    page = client.get(ENROL).content.decode()
    assert "<svg" in page  # the QR code, inline
    key = key_from_page(page)
    done = client.post(ENROL, {"code": totp(key)})
    assert done.status_code == 200, done.content.decode()[:2000]
    codes = done.context["codes"]
    assert len(codes) == 10 and all(code in done.content.decode() for code in codes)
    return key, codes


def password(client: Client, user: Any, url: str = LOGIN, **extra: Any) -> Any:
    return client.post(url, {"username": user.username, "password": f"pass-{user.username}", **extra})


def test_enrol_then_every_login_needs_a_code(admin_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        assert password(client, admin_5102).status_code == 302  # no authenticator yet: one step
        key, _codes = enrol(client)
        assert verbs(admin_5102)[-2:] == ["two_factor.enrolment_started", "two_factor.enabled"]
        client.post("/accounts/logout/")

        clock.shift(30)
        answer = password(client, admin_5102, next="/console/")
        assert answer.status_code == 302 and answer["Location"] == VERIFY
        assert "_auth_user_id" not in client.session  # the password alone opens no session
        assert client.get("/console/").status_code == 302  # still anonymous: to the login page
        page = client.get(VERIFY)
        assert "Masukkan kode 6 angka" in page.content.decode()
        done = client.post(VERIFY, {"code": totp(key)})
        assert done.status_code == 302 and done["Location"] == "/console/"
        assert client.session["_auth_user_id"] == str(admin_5102.pk)
        assert client.get(SECURITY).status_code == 200
        assert verbs(admin_5102)[-1] == "two_factor.verified"


def test_a_wrong_code_is_refused_and_audited_and_a_used_code_cannot_be_replayed(admin_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        password(client, admin_5102)
        key, _codes = enrol(client)
        client.post("/accounts/logout/")
        clock.shift(30)
        password(client, admin_5102)
        wrong = client.post(VERIFY, {"code": "000000" if totp(key) != "000000" else "111111"})
        assert wrong.status_code == 200 and "Kode salah atau sudah dipakai" in wrong.content.decode()
        assert "_auth_user_id" not in client.session
        assert verbs(admin_5102)[-1] == "two_factor.failed"
        clock.shift(2)  # django-otp's own per-device delay after a failure
        code = totp(key)
        assert client.post(VERIFY, {"code": code}).status_code == 302
        # The same code again, from another browser with the right password: refused (one use per time step).
        other = Client()
        password(other, admin_5102)
        again = other.post(VERIFY, {"code": code})
        assert again.status_code == 200 and "_auth_user_id" not in other.session


def test_recovery_codes_work_once_each(admin_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False):
        password(client, admin_5102)
        _key, codes = enrol(client)
        client.post("/accounts/logout/")
        password(client, admin_5102)
        done = client.post(VERIFY, {"code": codes[0].upper()})
        assert done.status_code == 302 and client.session["_auth_user_id"] == str(admin_5102.pk)
        client.post("/accounts/logout/")
        password(client, admin_5102)
        assert "_auth_user_id" not in client.session
        assert client.post(VERIFY, {"code": codes[0]}).status_code == 200  # used up
    assert AuditLog.objects.filter(verb="two_factor.verified", after__method="recovery").count() == 1


def test_five_wrong_codes_lock_the_second_step_even_for_the_right_code(admin_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        password(client, admin_5102)
        key, _codes = enrol(client)
        client.post("/accounts/logout/")
        clock.shift(30)
        password(client, admin_5102)
        right = totp(key)
        for n in range(5):
            page = client.post(VERIFY, {"code": f"{(int(right) + 1 + n) % 1000000:06d}"})
        assert "Terlalu banyak kode yang salah. Coba lagi dalam 15 menit." in page.content.decode()
        locked = client.post(VERIFY, {"code": right})
        assert "Terlalu banyak kode yang salah" in locked.content.decode()
        assert "_auth_user_id" not in client.session
        client.cookies["django_language"] = "en"
        english = client.post(VERIFY, {"code": right}).content.decode()
        assert "Too many wrong codes. Try again in 15 minutes." in english
        client.cookies["django_language"] = "id"
        clock.shift(15 * 60 + 1)
        password(client, admin_5102)  # the pending login has expired meanwhile
        assert client.post(VERIFY, {"code": totp(key)}).status_code == 302
    assert AuditLog.objects.filter(verb="two_factor.failed", after__locked=True).exists()


def test_switching_off_needs_a_current_code(officer_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        password(client, officer_5102)
        key, _codes = enrol(client)
        assert "Aktif" in client.get(SECURITY).content.decode()
        clock.shift(30)
        refused = client.post(SECURITY, {"disable": "1", "code": "12345"})
        assert refused.status_code == 200 and "Kode salah" in refused.content.decode()
        clock.shift(2)
        assert client.post(SECURITY, {"disable": "1", "code": totp(key)}).status_code == 302
        assert "Belum aktif" in client.get(SECURITY).content.decode()
        client.post("/accounts/logout/")
        assert password(client, officer_5102)["Location"] == "/console/"  # one step again
    assert verbs(officer_5102)[-1] == "two_factor.disabled"


def test_a_get_changes_nothing(officer_5102: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(officer_5102)
    for url in (ENROL, SECURITY, VERIFY):
        client.get(url)
    assert not TOTPDevice.objects.exists()


# --- the office policy -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("login_url", [LOGIN, ADMIN_LOGIN])
def test_required_policy_sends_an_admin_without_device_to_enrol_first(
    login_url: str, admin_5102: Any, office_5102: Any, officer_5102: Any
) -> None:
    set_security_policy(office_5102, require_admin_two_factor=True, by=admin_5102)
    client = Client()
    with time_machine.travel(T0, tick=False):
        answer = password(client, admin_5102, login_url, next="/admin/")
        assert answer.status_code == 302 and answer["Location"] == ENROL
        assert "_auth_user_id" not in client.session
        assert client.get("/admin/").status_code == 302
        assert "mewajibkan verifikasi dua langkah" in client.get(ENROL).content.decode()
        key, _codes = enrol(client)
        assert client.session["_auth_user_id"] == str(admin_5102.pk)
        assert client.get("/admin/").status_code == 200
        # Required: the admin cannot switch it off.
        page = client.get(SECURITY).content.decode()
        assert "tidak dapat dinonaktifkan" in page
    # An officer of the same office is not an admin: one step.
    assert password(Client(), officer_5102)["Location"] == "/console/"


def test_a_session_opened_before_the_policy_owes_the_second_factor(admin_5102: Any, office_5102: Any) -> None:
    client = Client()
    client.force_login(admin_5102)
    assert client.get("/admin/").status_code == 200
    set_security_policy(office_5102, require_admin_two_factor=True, by=admin_5102)
    for url in ("/admin/", "/console/"):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith(ENROL + "?next=")
    assert client.get("/api/v1/offices/mine").status_code == 403
    assert client.get(ENROL).status_code == 200


def test_the_policy_is_edited_in_the_admin_audited_and_scoped(
    admin_5102: Any, admin_5101: Any, office_5102: Any
) -> None:
    from pstdesk.accounts.models import SecurityPolicy

    client = Client()
    client.force_login(admin_5102)
    added = client.post("/admin/accounts/securitypolicy/add/", {"office": "5102", "require_admin_two_factor": "on"})
    assert added.status_code == 302, added.content.decode()[:3000]
    assert SecurityPolicy.objects.get(office=office_5102).require_admin_two_factor
    row = AuditLog.objects.get(verb="security_policy.updated")
    assert (row.actor, row.after) == (admin_5102, {"require_admin_two_factor": True})
    other = Client()
    other.force_login(admin_5101)
    assert other.get("/admin/accounts/securitypolicy/5102/change/").status_code == 404
    refused = other.post("/admin/accounts/securitypolicy/add/", {"office": "5102"})
    assert refused.status_code == 200 and not AuditLog.objects.filter(actor=admin_5101).exists()


def test_an_admin_resets_a_lost_authenticator(admin_5102: Any, officer_5102: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    with time_machine.travel(T0, tick=False):
        password(client, officer_5102)
        enrol(client)
    admin = Client()
    admin.force_login(admin_5102)
    done = admin.post(
        "/admin/accounts/user/", {"action": "reset_two_factor", "_selected_action": [str(officer_5102.pk)]}
    )
    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=officer_5102).exists()
    row = AuditLog.objects.filter(verb="two_factor.disabled").get()
    assert row.actor == admin_5102


# --- probes of the second step (ASVS V3/V4/V5/V8, see docs/security.md) --------------------------------------------
def test_session_key_rotates_twice_and_a_foreign_next_is_not_followed(admin_5102: Any) -> None:
    import json

    from django.conf import settings

    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        password(client, admin_5102)
        key, _codes = enrol(client)
        client.post("/accounts/logout/")
        clock.shift(30)
        client.get(LOGIN)
        planted = (
            client.cookies[settings.SESSION_COOKIE_NAME].value if settings.SESSION_COOKIE_NAME in client.cookies else ""
        )
        password(client, admin_5102, next="https://evil.example/")
        pending_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        assert pending_key != planted
        done = client.post(VERIFY, {"code": totp(key)})
        assert done["Location"] == "/console/"  # not the foreign site
        assert client.cookies[settings.SESSION_COOKIE_NAME].value != pending_key
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # Neither the secret nor a code is ever written to the audit trail.
    trail = json.dumps(list(AuditLog.objects.values("before", "after")))
    assert key.replace(" ", "") not in trail.upper().replace(" ", "") and totp(key) not in trail


def test_pages_are_not_cached_and_posts_need_the_csrf_token(admin_5102: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_5102)
    for url in (ENROL, SECURITY):
        page = client.get(url)
        assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"], url
        assert client.post(url, {"start": "1", "recovery": "1"}).status_code == 403, url


def test_a_pending_login_expires(admin_5102: Any) -> None:
    client = Client()
    with time_machine.travel(T0, tick=False) as clock:
        password(client, admin_5102)
        key, _codes = enrol(client)
        client.post("/accounts/logout/")
        clock.shift(30)
        password(client, admin_5102)
        clock.shift(11 * 60)
        late = client.post(VERIFY, {"code": totp(key)})
        assert late.status_code == 302 and late["Location"] == "/accounts/login/"
        assert "_auth_user_id" not in client.session
