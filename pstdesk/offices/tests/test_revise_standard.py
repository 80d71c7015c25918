from __future__ import annotations

import pytest

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import NotAllowed
from pstdesk.offices.actions import StandardError, revise_standard
from pstdesk.offices.models import Office, ServiceStandard

pytestmark = pytest.mark.django_db


def test_revision_makes_a_new_version_and_keeps_the_old(office_5102: Office, admin_5102: User) -> None:
    old = office_5102.standard
    assert old is not None
    hours = {**old.service_hours, "fri": ["08:00", "16:00"]}

    new = revise_standard(office_5102, by=admin_5102, changes={"service_hours": hours}, note="Jumat dipersingkat")

    assert new.version == old.version + 1
    assert new.service_hours["fri"] == ["08:00", "16:00"]
    assert new.created_by == admin_5102 and new.change_note == "Jumat dipersingkat"
    # everything not changed is copied
    assert new.legal_bases == old.legal_bases and new.closing_order == old.closing_order
    assert office_5102.standard == new
    old.refresh_from_db()
    assert old.service_hours["fri"] == ["08:00", "16:30"]
    audit = AuditLog.objects.get(verb="standard.revised", subject_id=str(new.pk))
    assert audit.actor == admin_5102 and audit.office_id == "5102"
    assert audit.before == {"version": 1, "service_hours": old.service_hours}
    assert audit.after == {"version": 2, "service_hours": hours}


def test_a_province_admin_may_revise_a_regency(office_5102: Office) -> None:
    from pstdesk.conftest import make_user

    prov = make_user("provadmin", "5100", "admin", is_staff=True)
    new = revise_standard(office_5102, by=prov, changes={"sla_working_days": 2}, note="")
    assert new.sla_working_days == 2


@pytest.mark.parametrize("persona", ["officer_5102", "supervisor_5102", "manager_5102", "admin_5101"])
def test_others_are_refused_and_nothing_changes(
    office_5102: Office, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    with pytest.raises(NotAllowed):
        revise_standard(office_5102, by=user, changes={"sla_working_days": 5}, note="")
    assert ServiceStandard.objects.filter(office=office_5102).count() == 1
    assert not AuditLog.objects.filter(verb="standard.revised").exists()


@pytest.mark.parametrize(
    "changes",
    [{"version": 9}, {"no_such_field": 1}, {"sla_working_days": 3}, {"closing_order": "whenever"}],
)
def test_bad_revisions_change_nothing(office_5102: Office, admin_5102: User, changes: dict) -> None:
    with pytest.raises(StandardError):
        revise_standard(office_5102, by=admin_5102, changes=changes, note="")
    assert ServiceStandard.objects.filter(office=office_5102).count() == 1


def test_revision_recomputes_due_dates(office_5102: Office, admin_5102: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from pstdesk.consultations.actions import deadlines

    calls: list[str] = []
    monkeypatch.setattr(deadlines, "recompute_office_due_dates", lambda office, **kw: calls.append(office.code))
    revise_standard(office_5102, by=SystemActor("test"), changes={"sla_working_days": 4}, note="")
    assert calls == ["5102"]
