from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import override_settings

from pstdesk.accounts.models import Role, User
from pstdesk.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@override_settings(DEMO=False)
def test_refused_without_demo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command("create_demo_accounts")
    assert exit_info.value.code == 2
    assert "DEMO" in capsys.readouterr().err
    assert not User.objects.exists()


@override_settings(DEMO=True)
def test_creates_once_and_prints_passwords_once() -> None:
    out = io.StringIO()
    call_command("create_demo_accounts", stdout=out)
    text = out.getvalue()
    users = {u.username: u for u in User.objects.all()}
    for office in ("5101", "5102"):
        officers = [u for u in users.values() if u.office_id == office and u.role == Role.OFFICER]
        assert len(officers) == 2 and all(u.on_duty for u in officers)
        assert {u.role for u in users.values() if u.office_id == office} == {
            Role.OFFICER,
            Role.SUPERVISOR,
            Role.MANAGER,
        }
    assert users["koordinator.5100"].role == Role.SUPERVISOR and users["koordinator.5100"].office_id == "5100"
    assert users["admin"].is_superuser and users["admin"].is_staff
    # every account's password is in the table, and it works
    for line in text.splitlines()[3:]:
        username, *_rest, password = line.split()
        assert users[username].check_password(password)
    assert AuditLog.objects.filter(verb="user.created").count() == len(users) == 10

    again = io.StringIO()
    call_command("create_demo_accounts", stdout=again)
    assert "already exist" in again.getvalue()
    assert User.objects.count() == 10
    for line in text.splitlines()[3:]:
        assert line.split()[-1] not in again.getvalue()
