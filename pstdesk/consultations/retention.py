"""The retention job: what the privacy notice promises ("at most N months after your last consultation"), done.

For each office, with its period (`Office.retention_months`, default 24):
- a consultation of the office that ended (closed) before the cutoff has its content erased
  (`guestbook.erasure.erase_consultations_content`: messages' text, attachments, raw e-mails and WhatsApp payloads, sent
  addresses, feedback), keeping the rows the reports count;
- a visitor whose every consultation and guestbook entry is older than the cutoff of its office (nothing recent
  anywhere) is erased altogether (`guestbook.erasure.erase_visitor_data`).

It lives with the consultations because it is planned by them (closed before the cutoff, the visitor's latest
office); the guestbook below only erases what it is given.

`plan_retention` only reads (the dry run prints it); `run_retention` erases and writes one audit row per office
("retention.erased") plus the erasure's own rows. Idempotent: a consultation already emptied and a visitor
already erased are not candidates, so a second run erases nothing and writes nothing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.consultations.models import Consultation, Status
from pstdesk.guestbook.erasure import erase_consultations_content, erase_visitor_data, holders, identity_needles
from pstdesk.guestbook.models import GuestbookEntry, Visitor
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office

BY = SystemActor("retention")


def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(moment.month - 1 - months, 12)
    year += moment.year
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class OfficePlan:
    office: str
    months: int
    cutoff: datetime
    consultations: list[int] = field(default_factory=list)
    visitors: list[int] = field(default_factory=list)


def _has_content() -> Q:
    """Consultations that still hold something to erase, in any app or channel."""
    query = Q()
    for content_exists in holders("content_exists"):
        query |= content_exists()
    return query


def plan_retention(now: datetime | None = None) -> list[OfficePlan]:
    """What a run would erase now, per office (a read)."""
    now = now or timezone.now()
    plans = []
    cutoffs: dict[str, datetime] = {}
    for office in Office.objects.order_by("code"):
        cutoff = months_before(now, office.retention_months)
        cutoffs[office.code] = cutoff
        ids = list(
            Consultation.objects.filter(office=office, status=Status.CLOSED, closed_at__lt=cutoff)
            .filter(_has_content())
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        plans.append(OfficePlan(office=office.code, months=office.retention_months, cutoff=cutoff, consultations=ids))
    # Visitors with nothing recent anywhere: every consultation closed and every guestbook entry filled before
    # the cutoff of its office, and at least one of them (a visitor with no record at all is not ours to judge).
    recent = Q()
    for code, cutoff in cutoffs.items():
        recent |= Q(office_id=code) & (~Q(status=Status.CLOSED) | Q(closed_at__gte=cutoff))
    recent_entry = Q()
    for code, cutoff in cutoffs.items():
        recent_entry |= Q(office_id=code, filled_at__gte=cutoff)
    live = Visitor.objects.filter(erased_at__isnull=True, merged_into__isnull=True)
    candidates = live.filter(
        Q(Exists(Consultation.objects.filter(visitor=OuterRef("pk"))))
        | Q(Exists(GuestbookEntry.objects.filter(visitor=OuterRef("pk"))))
    ).exclude(Exists(Consultation.objects.filter(recent, visitor=OuterRef("pk"))))
    candidates = candidates.exclude(Exists(GuestbookEntry.objects.filter(recent_entry, visitor=OuterRef("pk"))))
    by_office: dict[str, list[int]] = {}
    for visitor_id, office_id in _latest_office(list(candidates.values_list("pk", flat=True))):
        by_office.setdefault(office_id, []).append(visitor_id)
    for plan in plans:
        plan.visitors = sorted(by_office.get(plan.office, []))
    return plans


def _latest_office(visitor_ids: list[int]) -> list[tuple[int, str]]:
    """(visitor, office of their latest consultation or guestbook entry): the office whose run erases them."""
    out = []
    for visitor_id in visitor_ids:
        latest = Consultation.objects.filter(visitor_id=visitor_id).order_by("-created_at").first()
        if latest is not None:
            out.append((visitor_id, latest.office_id))
            continue
        entry = GuestbookEntry.objects.filter(visitor_id=visitor_id).order_by("-filled_at").first()
        if entry is not None:
            out.append((visitor_id, entry.office_id))
    return out


def run_retention(now: datetime | None = None) -> list[dict[str, Any]]:
    """Erase what `plan_retention` lists, office by office (one transaction and one audit row each). Returns the
    per-office counts; offices with nothing to erase are left out and get no audit row."""
    results = []
    for plan in plan_retention(now):
        if not plan.consultations and not plan.visitors:
            continue
        with transaction.atomic():
            visitor_ids = set(
                Consultation.objects.filter(pk__in=plan.consultations).values_list("visitor_id", flat=True)
            )
            counts = erase_consultations_content(plan.consultations, needles=identity_needles(visitor_ids))
            erased = 0
            for visitor in Visitor.objects.filter(pk__in=plan.visitors, erased_at__isnull=True):
                erase_visitor_data(visitor, by=BY)
                erased += 1
            office = Office.objects.get(pk=plan.office)
            summary = {
                "office": plan.office,
                "months": plan.months,
                "cutoff": plan.cutoff.isoformat(),
                "consultations": len(plan.consultations),
                "visitors": erased,
                **{f"rows_{k}": v for k, v in counts.items()},
            }
            record("retention.erased", office, by=BY, office=office, after=summary)
            results.append(summary)
    return results
