"""The admin is scoped by office and by role; a standard saved in the admin becomes a new version."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import models
from django.test import Client

from pstdesk.accounts.models import ApiToken, Role, User
from pstdesk.audit.models import AuditLog
from pstdesk.conftest import make_user
from pstdesk.offices.actions import STANDARD_FIELDS
from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.offices.tests.test_admin_structured import form_values

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _standard_form(client: Client, std: ServiceStandard, **overrides: Any) -> dict[str, Any]:
    """The admin's standard form as rendered for `std` (structured rows, no JSON boxes), with `overrides`."""
    html = client.get(f"/admin/offices/servicestandard/{std.pk}/change/").content.decode()
    data = form_values(html, "servicestandard_form")
    data.update({name: str(value) for name, value in overrides.items()})
    data["change_note"] = str(overrides.get("change_note", ""))
    return data


def test_office_admin_sees_only_their_subtree(admin_5102: User) -> None:
    client = _client(admin_5102)
    assert client.get("/admin/").status_code == 200
    body = client.get("/admin/offices/office/").content.decode()
    assert "BPS Kabupaten Tabanan" in body and "BPS Kabupaten Jembrana" not in body
    std_5101 = Office.objects.get(code="5101").standard
    assert std_5101 is not None
    assert client.get(f"/admin/offices/servicestandard/{std_5101.pk}/change/").status_code == 404
    assert client.get("/admin/offices/office/5101/change/").status_code == 404
    assert client.get("/admin/offices/office/5101/delete/").status_code == 404
    assert client.get("/admin/offices/office/5101/history/").status_code == 404
    assert client.get("/admin/offices/office/9999/change/").status_code == 404


def test_office_choices_are_limited(admin_5102: User) -> None:
    body = _client(admin_5102).get("/admin/accounts/user/add/").content.decode()
    assert 'value="5102"' in body and 'value="5101"' not in body


def test_officers_have_no_admin(officer_5102: User) -> None:
    officer_5102.is_staff = True
    officer_5102.save()
    client = _client(officer_5102)
    assert client.get("/admin/offices/servicestandard/").status_code == 403
    assert client.get("/admin/accounts/user/").status_code == 403


def test_supervisors_read_only(supervisor_5100: User) -> None:
    supervisor_5100.is_staff = True
    supervisor_5100.save()
    client = _client(supervisor_5100)
    std = Office.objects.get(code="5102").standard
    assert std is not None
    page = client.get(f"/admin/offices/servicestandard/{std.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(f"/admin/offices/servicestandard/{std.pk}/change/", _standard_form(client, std))
    assert response.status_code == 403
    assert ServiceStandard.objects.filter(office_id="5102").count() == 1


def test_saving_a_standard_in_the_admin_publishes_a_new_version(admin_5102: User) -> None:
    client = _client(admin_5102)
    std = Office.objects.get(code="5102").standard
    assert std is not None
    url = f"/admin/offices/servicestandard/{std.pk}/change/"
    # nothing changed: refused with a message, nothing saved
    response = client.post(url, _standard_form(client, std, change_note="tidak ada"))
    assert response.status_code == 200 and "Tidak ada perubahan" in response.content.decode()
    # no note: refused
    response = client.post(url, _standard_form(client, std, sla_working_days=2))
    assert response.status_code == 200
    assert ServiceStandard.objects.filter(office_id="5102").count() == 1

    response = client.post(url, _standard_form(client, std, sla_working_days=2, change_note="SLA dipercepat"))
    assert response.status_code == 302, response.content.decode()[:2000]
    versions = list(ServiceStandard.objects.filter(office_id="5102").order_by("version"))
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].sla_working_days == 3 and versions[1].sla_working_days == 2
    assert versions[1].change_note == "SLA dipercepat" and versions[1].created_by == admin_5102
    assert versions[1].legal_bases == versions[0].legal_bases
    assert AuditLog.objects.filter(verb="standard.revised", actor=admin_5102).count() == 1
    # the old version stays, read-only
    page = client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(url, _standard_form(client, versions[0], sla_working_days=5, change_note="x")).status_code == 403
    assert client.get(f"/admin/offices/servicestandard/{versions[1].pk}/delete/").status_code == 403


def test_admin_creates_a_user_of_their_office_with_audit(admin_5102: User) -> None:
    client = _client(admin_5102)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "baru",
            "password1": "a-long-Passw0rd!",
            "password2": "a-long-Passw0rd!",
            "office": "5102",
            "role": Role.OFFICER,
            "email": "baru@example.test",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="baru")
    assert user.office_id == "5102" and not user.is_superuser
    assert AuditLog.objects.filter(verb="user.created", subject_id=str(user.pk), actor=admin_5102).exists()
    # another office is not a valid choice
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "lain",
            "password1": "a-long-Passw0rd!",
            "password2": "a-long-Passw0rd!",
            "office": "5101",
            "role": Role.OFFICER,
        },
    )
    assert response.status_code == 200 and not User.objects.filter(username="lain").exists()


def test_office_admin_cannot_grant_superuser(admin_5102: User, officer_5102: User) -> None:
    client = _client(admin_5102)
    page = client.get(f"/admin/accounts/user/{officer_5102.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page


def test_users_and_tokens_of_other_offices_are_404(admin_5101: User, officer_5102: User) -> None:
    token = ApiToken.objects.create(user=officer_5102, prefix="pst_abcd", key_hash="x" * 64)
    client = _client(admin_5101)
    assert client.get(f"/admin/accounts/user/{officer_5102.pk}/change/").status_code == 404
    assert client.get(f"/admin/accounts/apitoken/{token.pk}/change/").status_code == 404
    assert "ayu" not in client.get("/admin/accounts/user/").content.decode()


def test_token_added_in_the_admin_is_shown_once(admin_5102: User, officer_5102: User) -> None:
    client = _client(admin_5102)
    response = client.post("/admin/accounts/apitoken/add/", {"user": officer_5102.pk, "name": "uji"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(user=officer_5102)
    shown = [str(m) for m in response.context["messages"]]
    assert any("pst_" in m for m in shown)
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_province_admin_manages_regencies() -> None:
    prov = make_user("provadm", "5100", Role.ADMIN, is_staff=True)
    body = _client(prov).get("/admin/offices/office/").content.decode()
    assert "BPS Kabupaten Tabanan" in body and "BPS Kabupaten Jembrana" in body
    assert "/admin/offices/office/0000/change/" not in body
