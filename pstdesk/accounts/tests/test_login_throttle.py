"""Login throttling of the console and the admin (per user name and per client address, Indonesian lockout
messages, English by the language switch) and Django's password validators on staff passwords."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from pstdesk.conftest import make_user

CONSOLE = "/accounts/login/"
ADMIN = "/admin/login/"


@pytest.fixture(autouse=True)
def fresh_counters(settings) -> Iterator[None]:
    """A cache of this module's own (never clearing the Redis cache other tests share on the PostgreSQL run)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "login-throttle-tests"}
    }
    cache.clear()
    yield
    cache.clear()


def login(client: Client, url: str, username: str, password: str, ip: str = "198.51.100.10"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
def test_an_account_is_locked_after_five_wrong_passwords_even_for_the_right_one(url: str) -> None:
    make_user("koordinator", "5102", "supervisor", is_staff=True)
    client = Client()
    with time_machine.travel("2026-12-01 09:00 +0000", tick=False) as clock:
        for attempt in range(5):
            page = login(client, url, "koordinator", f"salah-{attempt}", ip=f"198.51.100.{attempt}")
            assert page.status_code == 200
        text = page.content.decode()
        assert "Terlalu banyak percobaan masuk yang gagal untuk akun ini" in text and "15 menit" in text
        # The right password from another address is refused while the lock lasts.
        right = login(client, url, "koordinator", "pass-koordinator", ip="203.0.113.99")
        assert right.status_code == 200 and "Coba lagi dalam 15 menit" in right.content.decode()
        assert "_auth_user_id" not in client.session
        # English through the language switch.
        client.cookies["django_language"] = "en"
        english = login(client, url, "koordinator", "pass-koordinator", ip="203.0.113.99").content.decode()
        assert "Too many failed login attempts for this account. Try again in 15 minutes." in english
        client.cookies["django_language"] = "id"
        clock.shift(10 * 60)
        assert "Coba lagi dalam 5 menit" in login(client, url, "koordinator", "pass-koordinator").content.decode()
        clock.shift(5 * 60 + 1)
        done = login(client, url, "koordinator", "pass-koordinator")
    assert done.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_one_address_guessing_many_accounts_is_locked() -> None:
    for n in range(3):
        make_user(f"petugas{n}", "5102")
    client = Client()
    for n in range(20):
        login(client, CONSOLE, f"petugas{n % 3}-{n}", "tebakan", ip="192.0.2.7")
    page = login(client, CONSOLE, "petugas0", "pass-petugas0", ip="192.0.2.7")
    assert "dari alamat jaringan Anda" in page.content.decode()
    # Another address is not affected.
    assert login(Client(), CONSOLE, "petugas0", "pass-petugas0", ip="192.0.2.8").status_code == 302


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=1)
def test_behind_a_proxy_the_address_is_the_forwarded_client() -> None:
    make_user("petugas", "5102")
    client = Client()
    for n in range(20):
        client.post(
            CONSOLE,
            {"username": f"x{n}", "password": "y"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="192.0.2.50",
        )
    # Another visitor behind the same proxy still logs in.
    other = Client().post(
        CONSOLE,
        {"username": "petugas", "password": "pass-petugas"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.51",
    )
    assert other.status_code == 302


@pytest.mark.django_db
def test_a_success_clears_the_account_counter() -> None:
    make_user("petugas", "5102")
    for _ in range(2):
        for n in range(4):
            login(Client(), CONSOLE, "petugas", f"salah{n}")
        assert login(Client(), CONSOLE, "petugas", "pass-petugas").status_code == 302


@pytest.mark.django_db
def test_password_validators_refuse_weak_staff_passwords() -> None:
    user = make_user("petugas.tabanan", "5102")
    for weak in ("a", "12345678901", "password123", "petugas.tabanan1"):
        with pytest.raises(ValidationError):
            validate_password(weak, user)
    validate_password("Kopi-Bali-di-Tabanan-2026", user)


@pytest.mark.django_db
def test_the_admin_refuses_a_one_character_password() -> None:
    admin = make_user("admin", "0000", "admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.post(
        "/admin/accounts/user/add/",
        {"username": "baru", "password1": "x", "password2": "x", "office": "5102", "role": "officer"},
    )
    assert page.status_code == 200
    assert "terlalu pendek" in page.content.decode()
