"""Canned replies in the admin: office-scoped CRUD through audited actions."""

from __future__ import annotations

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.conftest import make_user
from pstdesk.consultations.models import CannedReply

pytestmark = pytest.mark.django_db


def test_supervisor_creates_and_deletes_a_canned_reply(client):
    supervisor = make_user("koordadmin", "5102", "supervisor", is_staff=True)
    client.force_login(supervisor)
    r = client.post(
        "/admin/consultations/cannedreply/add/",
        {"office": "5102", "title": "Salam", "body": "Halo {visitor_name}", "language": "id"},
    )
    assert r.status_code == 302, r.content[:2000]
    reply = CannedReply.objects.get()
    assert AuditLog.objects.filter(verb="canned_reply.created", subject_id=str(reply.pk)).exists()
    r = client.post(f"/admin/consultations/cannedreply/{reply.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not CannedReply.objects.exists()
    assert AuditLog.objects.get(verb="canned_reply.deleted").before["body"] == "Halo {visitor_name}"


def test_other_offices_canned_replies_are_404(client):
    reply = CannedReply.objects.create(office_id="5102", title="Salam", body="Halo")
    outsider = make_user("koord5101", "5101", "supervisor", is_staff=True)
    client.force_login(outsider)
    assert client.get(f"/admin/consultations/cannedreply/{reply.pk}/change/").status_code == 404
    assert "Salam" not in client.get("/admin/consultations/cannedreply/").content.decode()
