from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from pstdesk.accounts.actions import create_api_token, revoke_api_token
from pstdesk.accounts.models import ApiToken, User, hash_token
from pstdesk.audit.models import AuditLog
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import DomainError, NotAllowed

pytestmark = pytest.mark.django_db


def _get(client: Client, path: str, token: str) -> int:
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_createtoken_prints_one_token_and_stores_only_its_hash(officer_5102: User, client: Client) -> None:
    out = io.StringIO()
    call_command("createtoken", "ayu", "--name", "skrip laporan", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("pst_") and "\n" not in raw
    token = ApiToken.objects.get(user=officer_5102)
    assert token.key_hash == hash_token(raw) and raw not in {token.key_hash, token.prefix}
    assert token.name == "skrip laporan"
    assert AuditLog.objects.filter(verb="token.created", subject_id=str(token.pk)).exists()
    assert _get(client, "/api/v1/offices/5102/staff", raw) == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_createtoken_unknown_user_exits_2(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command("createtoken", "nobody")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == "createtoken: no user named 'nobody'"
    assert not ApiToken.objects.exists()


def test_revoked_unknown_and_missing_tokens_are_401(officer_5102: User, client: Client) -> None:
    token, raw = create_api_token(officer_5102, by=SystemActor("test"))
    assert _get(client, "/api/v1/offices/mine", raw) == 200
    revoke_api_token(token, by=officer_5102)
    assert _get(client, "/api/v1/offices/mine", raw) == 401
    assert AuditLog.objects.filter(verb="token.revoked", subject_id=str(token.pk)).exists()
    assert _get(client, "/api/v1/offices/mine", "pst_not-a-token") == 401
    assert client.get("/api/v1/offices/mine").status_code == 401
    with pytest.raises(DomainError):
        revoke_api_token(token, by=officer_5102)


def test_inactive_users_token_is_401(officer_5102: User, client: Client) -> None:
    _token, raw = create_api_token(officer_5102, by=SystemActor("test"))
    officer_5102.is_active = False
    officer_5102.save()
    assert _get(client, "/api/v1/offices/mine", raw) == 401


def test_token_sees_only_its_offices(officer_5102: User, supervisor_5100: User, client: Client) -> None:
    _t, raw = create_api_token(officer_5102, by=SystemActor("test"))
    codes = [o["code"] for o in client.get("/api/v1/offices/mine", HTTP_AUTHORIZATION=f"Bearer {raw}").json()]
    assert codes == ["5102"]
    assert _get(client, "/api/v1/offices/5101/staff", raw) == 404
    _t, raw = create_api_token(supervisor_5100, by=SystemActor("test"))
    codes = [o["code"] for o in client.get("/api/v1/offices/mine", HTTP_AUTHORIZATION=f"Bearer {raw}").json()]
    assert codes == ["5100", "5101", "5102"]


def test_staffing_counts_officers_on_duty(
    officer_5102: User, officer2_5102: User, supervisor_5102: User, client: Client
) -> None:
    _t, raw = create_api_token(supervisor_5102, by=SystemActor("test"))
    data = client.get("/api/v1/offices/5102/staff", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert data["min_officers"] == 2 and data["on_duty"] == 2
    assert [s["username"] for s in data["staff"]] == ["ayu", "koord", "made"]


def test_only_an_admin_of_the_office_may_issue_tokens_for_others(
    officer_5102: User, officer_5101: User, admin_5101: User, admin_5102: User
) -> None:
    with pytest.raises(NotAllowed):
        create_api_token(officer_5102, by=admin_5101)
    with pytest.raises(NotAllowed):
        create_api_token(officer_5102, by=officer_5101)
    token, _raw = create_api_token(officer_5102, by=admin_5102)
    assert token.user == officer_5102
