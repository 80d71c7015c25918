"""The retention job (issue 12, item 6): dry run and real run on generated data, twice in a row."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from pstdesk.audit.models import AuditLog
from pstdesk.consultations import actions as core
from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.consultations.retention import months_before
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db

OLD = datetime(2024, 1, 15, 2, 0, tzinfo=UTC)
RECENT = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def _consultation(at: datetime, wa_id: str, text: str, *, close: bool = True) -> Consultation:
    with time_machine.travel(at, tick=False):
        inbound = make_inbound(
            office="5102", sender_wa_id=wa_id, sender_whatsapp="+" + wa_id, sender_name=f"Nama {wa_id}", body=text
        )
        consultation = core.receive_message(inbound).consultation
        core.add_note(consultation, by=SystemActor("test"), body=f"catatan tentang {text}")
        if close:  # generated data: the procedure's own tests cover the way there
            Consultation.objects.filter(pk=consultation.pk).update(status=Status.CLOSED, closed_at=at)
    return consultation


def _run(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_months_before_keeps_the_calendar() -> None:
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 1, tzinfo=UTC), 24) == datetime(2024, 3, 1, tzinfo=UTC)


def test_dry_run_then_real_run_then_nothing_left() -> None:
    only_old = _consultation(OLD, "6281200000001", "data lama pengguna satu")
    mixed_old = _consultation(OLD, "6281200000002", "data lama pengguna dua")
    mixed_recent = _consultation(RECENT, "6281200000002", "data baru pengguna dua", close=False)
    recent = _consultation(RECENT, "6281200000003", "data baru pengguna tiga")
    Office.objects.filter(code="5101").update(retention_months=6)  # per office; 5101 has nothing here
    texts = dict(Message.objects.filter(direction="in").values_list("consultation_id", "body"))

    dry = _run("--dry-run")
    assert "5102: 2 consultation(s) and 1 visitor(s) older than 24 months (before 2024-03-01)" in dry
    assert f"consultations [{only_old.pk}, {mixed_old.pk}]" in dry and "5101: 0 consultation(s)" in dry
    assert "would be erased; nothing was changed" in dry
    assert dict(Message.objects.filter(direction="in").values_list("consultation_id", "body")) == texts
    assert not AuditLog.objects.filter(verb="retention.erased").exists()

    real = _run()
    assert "5102: erased 2 consultation(s), 1 visitor(s)" in real
    bodies = dict(Message.objects.filter(direction="in").values_list("consultation_id", "body"))
    assert bodies[only_old.pk] == "" and bodies[mixed_old.pk] == ""
    assert bodies[mixed_recent.pk] == texts[mixed_recent.pk] and bodies[recent.pk] == texts[recent.pk]
    assert not Message.objects.filter(consultation__in=[only_old, mixed_old]).exclude(body="").exists()  # notes too
    assert Visitor.objects.get(pk=only_old.visitor_id).erased_at is not None
    assert Visitor.objects.get(pk=only_old.visitor_id).identity("whatsapp") is None
    assert Visitor.objects.get(pk=mixed_old.visitor_id).erased_at is None  # a recent consultation: kept
    assert Consultation.objects.count() == 4  # the counts stay
    audit = AuditLog.objects.get(verb="retention.erased")
    assert audit.office_id == "5102" and audit.after["consultations"] == 2 and audit.actor_label == "system:retention"
    rows = AuditLog.objects.count()

    assert "0 consultation(s) and 0 visitor(s)" in _run("--dry-run")
    assert "nothing to erase" in _run()
    assert AuditLog.objects.count() == rows  # the second run wrote nothing


def test_the_privacy_notice_states_the_office_retention_period(client) -> None:
    """The notice promises what `pstdesk retention` does: the office's period when opened from its pages, the
    longest of all offices otherwise."""
    from pstdesk.offices.models import Office

    Office.objects.filter(code="5102").update(retention_months=12)
    Office.objects.filter(code="5101").update(retention_months=36)
    assert "paling lama 12 bulan" in client.get("/privasi/?kantor=5102").content.decode()
    assert "paling lama 36 bulan" in client.get("/privasi/?kantor=5101").content.decode()
    assert "paling lama 36 bulan" in client.get("/privasi/").content.decode()
    assert "at most 12 months" in client.get("/privasi/?kantor=5102&lang=en").content.decode()
    page = client.get("/pfa/5102/").content.decode()
    assert "kantor=5102" in page  # the chat's consent links to the office's own notice
