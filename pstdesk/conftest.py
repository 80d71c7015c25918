"""Test personas shared by every app: offices from the seeds, an officer of 5102, a supervisor of 5102, a
province supervisor (5100), a manager of 5102, and an officer of 5101 who must be refused 5102's data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pstdesk.accounts.models import Role, User
from pstdesk.offices.models import Office


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate limits and caches must not leak from one test (or one run, on Redis) to the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (Indonesian): one that activated English must not leak into the
    messages the next test asserts."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def make_user(username: str, office: str | None, role: str = Role.OFFICER, **extra: Any) -> User:
    return User.objects.create_user(
        username=username,
        password="pass-" + username,
        office_id=office,
        role=role,
        email=f"{username}@example.test",
        **extra,
    )


@pytest.fixture
def office_5102(db: None) -> Office:
    return Office.objects.get(code="5102")


@pytest.fixture
def office_5101(db: None) -> Office:
    return Office.objects.get(code="5101")


@pytest.fixture
def officer_5102(db: None) -> User:
    return make_user("ayu", "5102", on_duty=True)


@pytest.fixture
def officer2_5102(db: None) -> User:
    return make_user("made", "5102", on_duty=True)


@pytest.fixture
def supervisor_5102(db: None) -> User:
    return make_user("koord", "5102", Role.SUPERVISOR)


@pytest.fixture
def manager_5102(db: None) -> User:
    return make_user("pj", "5102", Role.MANAGER)


@pytest.fixture
def supervisor_5100(db: None) -> User:
    return make_user("prov", "5100", Role.SUPERVISOR)


@pytest.fixture
def officer_5101(db: None) -> User:
    """The outsider: an officer of Jembrana, who must never see Tabanan's data."""
    return make_user("komang", "5101", on_duty=True)


@pytest.fixture
def admin_5102(db: None) -> User:
    """An office administrator of Tabanan (staff: may use /admin/ within 5102)."""
    return make_user("admin5102", "5102", Role.ADMIN, is_staff=True)


@pytest.fixture
def admin_5101(db: None) -> User:
    """An office administrator of Jembrana, who must never see or change Tabanan's configuration."""
    return make_user("admin5101", "5101", Role.ADMIN, is_staff=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Personas are created in nearly every test; the production hasher's cost buys nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
