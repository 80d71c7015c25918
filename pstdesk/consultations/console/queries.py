"""Reads of the officer console: the queues, one consultation's view, the guestbook with its labels.

Every function answers in a constant number of queries whatever the number of consultations or messages (the
console's query-count tests assert it at 10 and 10,000 rows)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pstdesk.channels import base as channel_base
from pstdesk.consultations import transitions
from pstdesk.consultations.access import consultations_for
from pstdesk.consultations.console.slatext import SlaText, sla_text
from pstdesk.consultations.models import (
    Consultation,
    ConsultationQuerySet,
    Direction,
    Message,
    MessageKind,
    ReadCursor,
    Status,
    Topic,
)
from pstdesk.consultations.serializers import consultation_dict, user_display
from pstdesk.guestbook.models import CodeItem, GuestbookEntry
from pstdesk.guestbook.requirements import missing_requirements, required_items
from pstdesk.lib.workdays import WorkCalendar
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for
from pstdesk.offices.models import Channel

QUEUES = ("unassigned", "mine", "office")
# The list's orders: urgency (overdue first, then the nearest deadline) is the default.
ORDERS = ("urgency", "newest", "oldest", "activity")
PREVIEW_CHARS = 120
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
    order: str = "urgency"

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        queue = params.get("queue", "")
        channel = params.get("channel", "")
        status = params.get("status", "")
        topic = params.get("topic", "")
        order = params.get("order", "")
        return cls(
            queue=queue if queue in QUEUES else cls.queue,
            channel=channel if channel in Channel.values else "",
            status=status if status in Status.values else "",
            topic=topic if topic in Topic.values else "",
            order=order if order in ORDERS else cls.order,
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "queue": self.queue,
            "channel": self.channel,
            "status": self.status,
            "topic": self.topic,
            "order": self.order,
        }


def _queue_filter(queue: str, user: Any) -> Q:
    if queue == "unassigned":
        return Q(assigned_to__isnull=True)
    if queue == "mine":
        return Q(assigned_to=user)
    return Q()


def _ordering(order: str) -> list[Any]:
    if order == "newest":
        return ["-created_at", "-pk"]
    if order == "oldest":
        return ["created_at", "pk"]
    if order == "activity":
        return ["-updated_at", "-pk"]
    # Urgency: the earliest deadline first, so overdue rows (deadlines in the past) lead, then the nearest; rows
    # whose clock has not started follow by their first-response deadline.
    return [
        F("due_at").asc(nulls_last=True),
        F("first_response_due_at").asc(nulls_last=True),
        "created_at",
        "pk",
    ]


def with_list_facts(qs: ConsultationQuerySet, user: Any) -> ConsultationQuerySet:
    """Annotate what a list row shows beyond the consultation's own columns, as subqueries of the same query: the
    last message written by a person (not a note, not automatic) as preview, and how many of the visitor's
    messages came after `user`'s read cursor."""
    visible = (
        Message.objects.filter(consultation=OuterRef("pk"), is_automatic=False)
        .exclude(kind=MessageKind.NOTE)
        .order_by("-seq")
    )
    cursor = ReadCursor.objects.filter(user=user, consultation=OuterRef("consultation")).values("seq")[:1]
    unread = (
        Message.objects.filter(
            consultation=OuterRef("pk"),
            direction=Direction.IN,
            seq__gt=Coalesce(Subquery(cursor, output_field=IntegerField()), 0),
        )
        .exclude(kind=MessageKind.NOTE)
        .order_by()
        .values("consultation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        preview=Subquery(visible.values("body")[:1]),
        preview_direction=Subquery(visible.values("direction")[:1]),
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), 0),
    )


def inbox_queryset(user: Any, filters: Filters) -> ConsultationQuerySet:
    """The consultations of one queue, filtered, in the chosen order, with what a row shows selected."""
    qs = consultations_for(user).filter(_queue_filter(filters.queue, user))
    if filters.status:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.active()
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.topic:
        qs = qs.filter(topic=filters.topic)
    qs = qs.select_related("office", "visitor", "assigned_to").order_by(*_ordering(filters.order))
    return with_list_facts(qs, user)


def queue_counts(user: Any) -> dict[str, int]:
    """How many active consultations each queue holds (one query)."""

    qs = consultations_for(user).active()
    counts = qs.aggregate(
        office=Count("pk"),
        unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
        mine=Count("pk", filter=Q(assigned_to=user)),
    )
    return {key: int(counts[key] or 0) for key in QUEUES}


@dataclass
class Calendars:
    """Office calendars built once per request (a calendar costs a query or two; a list shows few offices)."""

    now: datetime = dataclass_field(default_factory=timezone.now)
    by_office: dict[str, Any] = dataclass_field(default_factory=dict)

    def sla(self, c: Consultation) -> SlaText:

        cal = self.by_office.get(c.office_id)
        if cal is None:
            try:
                cal = calendar_for(c.office)
            except CalendarNotConfigured:
                cal = WorkCalendar(zone=ZoneInfo(c.office.timezone), hours={d: None for d in range(7)})
            self.by_office[c.office_id] = cal
        return sla_text(due_at=c.due_at, answered_at=c.answered_at, closed_at=c.closed_at, now=self.now, cal=cal)


def waiting_since(c: Consultation) -> datetime | None:
    """Since when the visitor waits for the office: their last message when no person answered after it (an
    automatic reply does not end the wait)."""
    if c.status == Status.CLOSED or c.last_inbound_at is None:
        return None
    last_person = getattr(c, "preview_direction", None)
    if last_person is not None:
        return c.last_inbound_at if last_person == Direction.IN else None
    if c.last_outbound_at is not None and c.last_outbound_at >= c.last_inbound_at:
        return None
    return c.last_inbound_at


def row_dict(c: Consultation, calendars: Calendars | None = None) -> dict[str, Any]:
    """One inbox row: `consultation_dict` plus display labels, the last message, the unread count of the viewing
    officer (when the row was read with `with_list_facts`) and the SLA in words."""
    data = consultation_dict(c)
    last = max((t for t in (c.last_inbound_at, c.last_outbound_at) if t is not None), default=None)
    sla = (calendars or Calendars()).sla(c)
    preview = getattr(c, "preview", None) or ""
    waiting = waiting_since(c)
    data.update(
        {
            "preview": preview[:PREVIEW_CHARS],
            "preview_direction": getattr(c, "preview_direction", None) or "",
            "unread": int(getattr(c, "unread", 0) or 0),
            "waiting_since": waiting.isoformat() if waiting else None,
            "sla_text": sla.text,
            "sla_level": sla.level,
            "sla_due": sla.due,
        }
    )
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


def state_dict(consultation: Consultation, calendars: Calendars | None = None) -> dict[str, Any]:
    """The header of the consultation view: the row, the office's closing order and the actions the transition
    table allows now (the console shows only those buttons)."""
    order = transitions.closing_order_of(consultation)
    data = row_dict(consultation, calendars)
    data["closing_order"] = order
    data["allowed"] = transitions.allowed_actions(consultation.status, order)
    # The reply window of channels that have one (WhatsApp's 24 hours; the key keeps the name the script reads).
    window_closes_at = channel_base.capability(consultation.channel, "reply_window_closes_at")
    closes = window_closes_at(consultation) if window_closes_at is not None else None
    data["whatsapp_window_closes_at"] = closes.isoformat() if closes else None
    return data


def inbox_rows(user: Any, filters: Filters) -> list[dict[str, Any]]:
    calendars = Calendars()
    return [row_dict(c, calendars) for c in inbox_queryset(user, filters)[:PAGE_SIZE]]


def earlier_consultations(user: Any, consultation: Consultation, limit: int = 10) -> list[dict[str, Any]]:
    """The visitor's other consultations the officer may see, on any channel: the same visitor record, or another
    record with the same verified-or-not e-mail or WhatsApp number (a visitor who wrote by e-mail and by WhatsApp
    has two records until they are merged). Newest first, one query."""

    visitor = consultation.visitor
    same = Q(visitor_id=consultation.visitor_id)
    if visitor.email:
        same |= Q(visitor__email__iexact=visitor.email)
    if visitor.whatsapp:
        same |= Q(visitor__whatsapp=visitor.whatsapp)
    rows = (
        consultations_for(user)
        .filter(same)
        .exclude(pk=consultation.pk)
        .order_by("-created_at", "-pk")
        .values("pk", "channel", "status", "topic", "subject", "created_at")[:limit]
    )
    channels, statuses = dict(Channel.choices), dict(Status.choices)
    return [
        {
            "id": r["pk"],
            "channel": r["channel"],
            "channel_label": str(channels.get(r["channel"], r["channel"])),
            "status_label": str(statuses.get(r["status"], r["status"])),
            "subject": r["subject"],
            "created_at": r["created_at"],
            "url": f"/console/{r['pk']}/",
        }
        for r in rows
    ]


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

    missing = set(missing_requirements(consultation))
    return [
        {"code": code, "label": str(REQUIREMENT_LABELS.get(code, code)), "done": code not in missing}
        for code in required_items(consultation.office.standard, consultation.channel)
    ]
