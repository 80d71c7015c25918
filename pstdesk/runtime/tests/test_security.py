"""Production settings from the environment and what no visitor may see: branded error pages (Indonesian, English
by the language switch) that never show a setting, a Content-Security-Policy on every page, HTTPS-only cookies and
HSTS when asked, secrets kept out of the access log, private files."""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.views.debug import technical_500_response

from pstdesk.conftest import make_user
from pstdesk.lib.logs import RedactQueryFilter, redact_path

PASSWORDS = ("db-pass-4711", "redis-pass-4711")
SECRET_URLS = {
    "DATABASE_URL": f"postgres://pstdesk:{PASSWORDS[0]}@db.internal:5432/pstdesk",
    "REDIS_URL": f"redis://:{PASSWORDS[1]}@cache.internal:6379/0",
}


@pytest.fixture
def anonymous() -> Client:
    return Client(raise_request_exception=False)


# --- error pages ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF="pstdesk.runtime.tests.error_urls", **SECRET_URLS)
def test_500_is_the_branded_page_in_indonesian_and_english(anonymous: Client) -> None:
    response = anonymous.get("/test-boom/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Terjadi kesalahan pada server" in page and 'class="site-header"' in page
    for secret in (*PASSWORDS, "DATABASE_URL", "Traceback", "expected a number"):
        assert secret not in page
    english = anonymous.get("/test-boom/?lang=en").content.decode()
    assert "Something went wrong on our side" in english and "Terjadi kesalahan" not in english


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_404_is_branded_for_the_public_site_and_the_console(anonymous: Client) -> None:
    public = anonymous.get("/tidak-ada/")
    assert public.status_code == 404
    assert "Halaman tidak ditemukan" in public.content.decode()
    assert "URLconf" not in public.content.decode()
    officer = Client(raise_request_exception=False)
    officer.force_login(make_user("petugas404", "5102"))
    console = officer.get("/console/999999999/")
    assert console.status_code == 404
    assert "Halaman tidak ditemukan" in console.content.decode()
    officer.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Page not found" in officer.get("/console/999999999/").content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_403_pages_are_branded() -> None:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Formulir kedaluwarsa" in response.content.decode()
    assert "CSRF" not in response.content.decode()


@pytest.mark.django_db
@override_settings(DEBUG=True, **SECRET_URLS)
def test_even_the_debug_page_hides_connection_urls(rf) -> None:
    request = rf.get("/x", HTTP_X_API="1")
    try:
        raise ValueError("boom")
    except ValueError:
        page = technical_500_response(request, *sys.exc_info()).content.decode()
    assert "ValueError" in page  # it is the debug page
    # (The page quotes this test's source lines around the raise: the passwords are named only at the top.)
    assert not [password for password in PASSWORDS if password in page]


def test_make_run_serves_the_demo_without_django_debug() -> None:
    makefile = (Path(settings.PACKAGE_DIR).parent / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "DEMO=true" in recipe and "DEBUG=true" not in recipe


# --- headers ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_has_a_content_security_policy(anonymous: Client) -> None:
    officer = Client()
    officer.force_login(make_user("admin-csp", "0000", "admin", is_staff=True, is_superuser=True))
    for client, path in [
        (anonymous, "/"),
        (anonymous, "/accounts/login/"),
        (anonymous, "/tidak-ada/"),
        (officer, "/console/"),
        (officer, "/admin/"),
    ]:
        response = client.get(path)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], path
        assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp, path


@pytest.mark.django_db
@override_settings(SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True, SECURE_HSTS_SECONDS=31536000)
def test_secure_cookies_and_hsts() -> None:
    make_user("aman", "5102")
    client = Client()
    page = client.get("/accounts/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")
    done = client.post("/accounts/login/", {"username": "aman", "password": "pass-aman"}, secure=True, follow=False)
    assert done.status_code == 302
    assert done.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True


def _settings_value(tmp_path: Path, code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in {"SECURE_COOKIES", "HSTS_SECONDS"}}
    environment.update({"DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "pstdesk.settings", **env})
    done = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings as s; print(({code},))"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_security_settings_come_from_the_environment(tmp_path: Path) -> None:
    code = "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.TRUSTED_PROXIES"
    assert _settings_value(tmp_path, code) == "(False, False, 0, 0)"
    on = _settings_value(tmp_path, code, SECURE_COOKIES="true", HSTS_SECONDS="63072000", TRUSTED_PROXIES="2")
    assert on == "(True, True, 63072000, 2)"


# --- logs and files ---------------------------------------------------------------------------------------------


def test_the_access_log_never_shows_the_verify_token_or_a_signed_link() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "10.0.0.9:5000",
            "GET",
            "/channels/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=s3cr3t-verify&hub.challenge=42",
            "1.1",
            200,
        ),
        None,
    )
    RedactQueryFilter().filter(record)
    line = record.getMessage()
    assert "s3cr3t-verify" not in line and "/channels/whatsapp/webhook?[redacted]" in line
    assert redact_path("/bukutamu/5102/?t=abc.def&lang=en") == "/bukutamu/5102/?t=[redacted]&lang=en"
    assert redact_path("/standar/5102/?lang=en") == "/standar/5102/?lang=en"


def test_the_app_log_never_shows_a_verify_token_in_a_url(caplog) -> None:
    """The HTTP client logs each request's URL (the demo's simulator calls the webhook with the token)."""
    import httpx

    url = httpx.URL("http://127.0.0.1:8000/channels/whatsapp/webhook?hub.verify_token=s3cr3t-verify&hub.challenge=1")
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(RedactQueryFilter())
    logger = logging.getLogger("httpx.redaction-test")
    logger.addHandler(handler)
    try:
        logger.warning('HTTP Request: %s %s "%s %d %s"', "GET", url, "HTTP/1.1", 200, "OK")
    finally:
        logger.removeHandler(handler)
    line = handler.stream.getvalue()
    assert "webhook?[redacted]" in line and "s3cr3t-verify" not in line
    assert any(isinstance(f, RedactQueryFilter) for h in logging.getLogger().handlers for f in h.filters)


def test_files_under_data_dir_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "pstdesk.settings"})
    upload = (
        "from django.core.files.base import ContentFile; from django.core.files.storage import default_storage;"
        "print(default_storage.save('attachments/2026/12/a.pdf', ContentFile(b'%PDF-1.4')))"
    )
    old = os.umask(0o022)  # a usual login umask: the service must not rely on it
    try:
        for args in (["migrate", "-v0"], ["shell", "-c", upload]):
            done = subprocess.run(
                [sys.executable, "-m", "pstdesk.cli", *args], env=env, capture_output=True, timeout=300
            )
            assert done.returncode == 0, done.stderr.decode()[-2000:]
    finally:
        os.umask(old)
    created = [data, data / "pstdesk.sqlite3", data / "secret_key", data / "media" / "attachments" / "2026" / "12"]
    created.append(data / "media" / "attachments" / "2026" / "12" / "a.pdf")
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"
