from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.actions import fill_guestbook
from pstdesk.guestbook.admin import visitors_visible_to
from pstdesk.guestbook.models import Visitor
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office


def _staff(user: User) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="guestbook", codename__in=["view_visitor", "change_visitor"])
    )
    client = Client()
    client.force_login(user)
    return client


def _visitors(office_5102: Office, office_5101: Office) -> tuple[Visitor, Visitor, Visitor]:
    by_consultation = Visitor.objects.create(name="Konsultasi Tabanan")
    Consultation.objects.create(office=office_5102, visitor=by_consultation, channel="whatsapp")
    by_guestbook = Visitor.objects.create(name="Bukutamu Tabanan")
    fill_guestbook(
        by_guestbook,
        office=office_5102,
        channel="web",
        data=guestbook_data(name="Bukutamu Tabanan"),
        by=SystemActor("x"),
    )
    jembrana = Visitor.objects.create(name="Jembrana")
    Consultation.objects.create(office=office_5101, visitor=jembrana, channel="email")
    return by_consultation, by_guestbook, jembrana


def test_scoping_by_consultations_and_guestbook_entries(
    office_5102: Office, office_5101: Office, officer_5102: User, officer_5101: User, supervisor_5100: User
) -> None:
    a, b, c = _visitors(office_5102, office_5101)
    assert set(visitors_visible_to(officer_5102)) == {a, b}
    assert set(visitors_visible_to(officer_5101)) == {c}
    assert set(visitors_visible_to(supervisor_5100)) == {a, b, c}


def test_the_outsider_cannot_see_a_5102_visitor_in_the_admin(
    office_5102: Office, office_5101: Office, officer_5102: User, officer_5101: User
) -> None:
    a, b, c = _visitors(office_5102, office_5101)
    insider = _staff(officer_5102)
    page = insider.get("/admin/guestbook/visitor/").content.decode()
    assert "Konsultasi Tabanan" in page and "Bukutamu Tabanan" in page and "Jembrana" not in page
    assert insider.get(f"/admin/guestbook/visitor/{a.pk}/change/").status_code == 200

    outsider = _staff(officer_5101)
    page = outsider.get("/admin/guestbook/visitor/").content.decode()
    assert "Tabanan" not in page and "Jembrana" in page
    response = outsider.get(f"/admin/guestbook/visitor/{a.pk}/change/")
    assert response.status_code == 404  # exactly the answer for a missing object
    assert "Konsultasi Tabanan" not in response.content.decode()
    assert outsider.get("/admin/guestbook/visitor/999999/change/").status_code == 404


def test_erase_admin_action_goes_through_the_action(
    office_5102: Office, office_5101: Office, manager_5102: User, officer_5102: User
) -> None:
    a, b, _c = _visitors(office_5102, office_5101)
    officer = _staff(officer_5102)
    officer.post("/admin/guestbook/visitor/", {"action": "erase_selected", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.erased_at is None and a.name  # refused: officers may not erase
    manager = _staff(manager_5102)
    manager.post("/admin/guestbook/visitor/", {"action": "erase_selected", "_selected_action": [a.pk]})
    a.refresh_from_db()
    assert a.erased_at is not None and a.name == ""
    assert AuditLog.objects.get(verb="visitor.erased").actor == manager_5102
