"""Two-factor login in real headless Chromium: an administrator of an office that requires it logs in with the
password, is sent to enrol, scans (reads) the key, confirms with a code computed here from that key, keeps the
recovery codes, reaches the admin; the next login asks for a code after the password. Screenshots at 1280x800 and
768x1024 in /tmp."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from pstdesk.accounts.tests.totp import totp
from pstdesk.conftest import make_user
from pstdesk.testing.browser import asgi_server, browser_page, use_file_test_database  # noqa: F401

use_file_test_database()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1280, 800), "tablet": (768, 1024)}


def shots(page: Any, name: str) -> None:
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=f"/tmp/two-factor-{name}-{label}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})


def log_in_with_password(page: Any, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("#id_username").fill("admin5102")
    page.locator("#id_password").fill("pass-admin5102")
    page.get_by_role("button", name="Masuk").click()


def test_enrol_when_the_office_requires_it_then_log_in_with_a_code(
    asgi_server: Any,  # noqa: F811
    browser_page: Any,  # noqa: F811
) -> None:
    from pstdesk.accounts.actions import set_security_policy
    from pstdesk.offices.models import Office

    admin = make_user("admin5102", "5102", "admin", is_staff=True, first_name="Komang")
    set_security_policy(Office.objects.get(code="5102"), require_admin_two_factor=True, by=admin)
    page = browser_page
    with time_machine.travel("2026-12-01 02:00:05 +0000", tick=True) as clock:
        log_in_with_password(page, "/admin/")
        page.get_by_text("Kantor Anda mewajibkan verifikasi dua langkah").wait_for()
        assert page.url.endswith("/accounts/keamanan/aktifkan/")
        page.get_by_role("button", name="Mulai pendaftaran").click()
        page.locator("figure.qr svg").wait_for()
        key = page.get_by_test_id("manual-key").inner_text()
        shots(page, "enrol")
        page.locator("#id_code").fill("000000" if totp(key) != "000000" else "111111")
        page.get_by_role("button", name="Konfirmasi dan aktifkan").click()
        page.get_by_text("Kode salah. Periksa jam ponsel Anda.").wait_for()
        clock.shift(2)  # past django-otp's one-second delay after a failure
        page.locator("#id_code").fill(totp(key))
        page.get_by_role("button", name="Konfirmasi dan aktifkan").click()
        codes = page.get_by_test_id("recovery-codes").locator("code")
        codes.first.wait_for()
        assert codes.count() == 10
        shots(page, "recovery-codes")
        page.get_by_role("link", name="Saya sudah menyimpannya, lanjutkan").click()
        page.wait_for_url("**/admin/")
        assert page.locator("#site-name, #header").count() >= 1 and "/accounts/" not in page.url

        # The next login: the password alone opens nothing, the code does.
        page.context.clear_cookies()
        clock.shift(30)
        log_in_with_password(page, "/admin/")
        page.get_by_text("Masukkan kode 6 angka dari aplikasi autentikator").wait_for()
        assert page.url.endswith("/accounts/masuk/kode/")
        shots(page, "verify")
        page.locator("#id_code").fill(totp(key))
        page.get_by_role("button", name="Verifikasi").click()
        page.wait_for_url("**/admin/")
    assert page.js_errors == []
