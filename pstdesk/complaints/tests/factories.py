"""Rows for the SLA and complaints tests, created directly (no actions of other apps needed)."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

from pstdesk.consultations.models import Consultation, Status
from pstdesk.guestbook.models import Visitor
from pstdesk.offices.models import Office

_n = count(1)


def make_visitor(**fields: Any) -> Visitor:
    n = next(_n)
    return Visitor.objects.create(**{"name": f"Pengguna {n}", "email": f"v{n}@example.test", **fields})


def make_consultation(office: Office | str, *, started: datetime | None = None, **fields: Any) -> Consultation:
    """A consultation of `office`; with `started`, request clear and requirements complete at that moment and the
    SLA fields computed by `consultations.sla.sla_fields_for`, as the consultations actions do."""
    from pstdesk.consultations.sla import sla_fields_for

    office_code = office if isinstance(office, str) else office.code
    visitor = fields.pop("visitor", None) or make_visitor()
    consultation = Consultation.objects.create(
        office_id=office_code,
        visitor=visitor,
        channel=fields.pop("channel", "whatsapp"),
        status=fields.pop("status", Status.OPEN if started else Status.NEW),
        **fields,
    )
    if started is not None:
        created_at = fields.get("created_at", started)
        Consultation.objects.filter(pk=consultation.pk).update(created_at=created_at)
        consultation.refresh_from_db()
        consultation.request_clear_at = consultation.requirements_complete_at = started
        sla = sla_fields_for(consultation)
        for name, value in sla.items():
            setattr(consultation, name, value)
        consultation.save()
    return consultation
