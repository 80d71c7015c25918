"""Reads of the officer console: the queues, one consultation's view, the guestbook with its labels.

Every function answers in a constant number of queries whatever the number of consultations or messages (the
console's query-count tests assert it at 10 and 1,000 rows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy

from pstdesk.consultations import transitions
from pstdesk.consultations.access import consultations_for
from pstdesk.consultations.models import Consultation, ConsultationQuerySet, Status, Topic
from pstdesk.consultations.serializers import consultation_dict, user_display
from pstdesk.guestbook.models import CodeItem, GuestbookEntry
from pstdesk.offices.models import Channel

QUEUES = ("unassigned", "mine", "office")
# One page of a queue: the console shows the most recent rows; filters narrow it down.
PAGE_SIZE = 100

# Guestbook fields answered from a code list: field -> list name (see guestbook/seeding.py).
CODED_FIELDS = {
    "sex": "sex",
    "age_group": "age_group",
    "education": "education",
    "occupation": "occupation",
    "institution_category": "institution_category",
    "purpose": "purpose",
}


@dataclass(frozen=True)
class Filters:
    """The queue and the filters of the inbox, validated: unknown values fall back to "no filter"."""

    # Consultations are assigned round-robin as they arrive, so an officer's work is "mine" by default.
    queue: str = "mine"
    channel: str = ""
    status: str = ""
    topic: str = ""

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        queue = params.get("queue", "")
        channel = params.get("channel", "")
        status = params.get("status", "")
        topic = params.get("topic", "")
        return cls(
            queue=queue if queue in QUEUES else cls.queue,
            channel=channel if channel in Channel.values else "",
            status=status if status in Status.values else "",
            topic=topic if topic in Topic.values else "",
        )

    def as_dict(self) -> dict[str, str]:
        return {"queue": self.queue, "channel": self.channel, "status": self.status, "topic": self.topic}


def _queue_filter(queue: str, user: Any) -> Q:
    if queue == "unassigned":
        return Q(assigned_to__isnull=True)
    if queue == "mine":
        return Q(assigned_to=user)
    return Q()


def inbox_queryset(user: Any, filters: Filters) -> ConsultationQuerySet:
    """The consultations of one queue, filtered, newest first, with what a row shows selected."""
    qs = consultations_for(user).filter(_queue_filter(filters.queue, user))
    if filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.active()
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.topic:
        qs = qs.filter(topic=filters.topic)
    return qs.select_related("office", "visitor", "assigned_to").order_by("-created_at", "-pk")


def queue_counts(user: Any) -> dict[str, int]:
    """How many active consultations each queue holds (one query)."""
    from django.db.models import Count

    qs = consultations_for(user).active()
    counts = qs.aggregate(
        office=Count("pk"),
        unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
        mine=Count("pk", filter=Q(assigned_to=user)),
    )
    return {key: int(counts[key] or 0) for key in QUEUES}


def row_dict(c: Consultation) -> dict[str, Any]:
    """One inbox row: `consultation_dict` plus display labels and the last message time."""
    data = consultation_dict(c)
    last = max((t for t in (c.last_inbound_at, c.last_outbound_at) if t is not None), default=None)
    data.update(
        {
            "visitor_name": str(c.visitor),
            "channel_label": str(c.get_channel_display()),
            "topic_label": str(c.get_topic_display()) if c.topic else "",
            "assigned_name": user_display(c.assigned_to) if c.assigned_to_id else "",
            "last_message_at": last.isoformat() if last else None,
            "url": f"/console/{c.pk}/",
            "timezone": c.office.timezone,
        }
    )
    return data


def state_dict(consultation: Consultation) -> dict[str, Any]:
    """The header of the consultation view: the row, the office's closing order and the actions the transition
    table allows now (the console shows only those buttons)."""
    order = transitions.closing_order_of(consultation)
    data = row_dict(consultation)
    data["closing_order"] = order
    data["allowed"] = transitions.allowed_actions(consultation.status, order)
    data["whatsapp_window_closes_at"] = None
    if consultation.channel == "whatsapp":
        from pstdesk.channels.whatsapp.actions import window_closes_at

        closes = window_closes_at(consultation)
        data["whatsapp_window_closes_at"] = closes.isoformat() if closes else None
    return data


def inbox_rows(user: Any, filters: Filters) -> list[dict[str, Any]]:
    return [row_dict(c) for c in inbox_queryset(user, filters)[:PAGE_SIZE]]


def latest_guestbook(consultation: Consultation) -> GuestbookEntry | None:
    """The guestbook the consultation points at, else the visitor's latest for that office."""
    if consultation.guestbook_entry_id:
        return consultation.guestbook_entry
    return (
        GuestbookEntry.objects.filter(visitor_id=consultation.visitor_id, office_id=consultation.office_id)
        .order_by("-filled_at", "-pk")
        .first()
    )


def _label(label: Any, language: str) -> str:
    if isinstance(label, dict):
        return str(label.get(language) or label.get("id") or next(iter(label.values()), ""))
    return str(label)


def guestbook_rows(entry: GuestbookEntry | None) -> list[tuple[str, str]]:
    """(field label, answer label) pairs of a guestbook entry, labelled from the code list version it was
    answered against (one query for every list)."""
    if entry is None:
        return []
    from django.utils.translation import gettext as _

    language = (translation.get_language() or "id")[:2]
    versions = entry.code_list_versions or {}
    wanted = Q(pk__in=[])
    for field, list_name in CODED_FIELDS.items():
        code = getattr(entry, field, "")
        if not code:
            continue
        cond = Q(code_list__name=list_name, code=code)
        if list_name in versions:
            cond &= Q(code_list__version=versions[list_name])
        wanted |= cond
    labels: dict[tuple[str, str], str] = {}
    for item in CodeItem.objects.filter(wanted).select_related("code_list").order_by("code_list__version"):
        labels[(item.code_list.name, item.code)] = _label(item.label, language)

    def answer(field: str) -> str:
        code = getattr(entry, field, "")
        text = labels.get((CODED_FIELDS[field], code), code)
        other = getattr(entry, f"{field}_other", "")
        return f"{text}: {other}" if other else text

    rows = [
        (_("Jenis kelamin"), answer("sex")),
        (_("Kelompok umur"), answer("age_group")),
        (_("Pendidikan"), answer("education")),
        (_("Pekerjaan"), answer("occupation")),
        (_("Kategori instansi"), answer("institution_category")),
        (_("Nama instansi"), entry.institution_name),
        (_("Tujuan penggunaan"), answer("purpose")),
        (_("Disabilitas"), _("Ya") if entry.disability else _("Tidak")),
    ]
    return rows


REQUIREMENT_LABELS = {
    "guestbook": gettext_lazy("Buku tamu elektronik dan persetujuan privasi"),
    "verified_email": gettext_lazy("E-mail aktif terverifikasi"),
    "whatsapp_number": gettext_lazy("Nomor WhatsApp"),
    "introduction": gettext_lazy("Perkenalan (nama dan instansi)"),
}


def requirement_status(consultation: Consultation) -> list[dict[str, Any]]:
    """Each requirement the office's standard asks on this channel, and whether it is met
    (`guestbook.requirements`)."""
    from pstdesk.guestbook.requirements import missing_requirements, required_items

    missing = set(missing_requirements(consultation))
    return [
        {"code": code, "label": str(REQUIREMENT_LABELS.get(code, code)), "done": code not in missing}
        for code in required_items(consultation.office.standard, consultation.channel)
    ]
