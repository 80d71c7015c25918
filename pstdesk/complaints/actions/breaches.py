"""State changes of SLA breaches.

Breaches are found by `detect_breaches` (the minute task and `pstdesk run_sla_worker`), and each is claimed by
`record_breach` so that any number of workers running at once record it exactly once:

- a resolution breach is claimed by the conditional update
  `Consultation.objects.filter(pk=…, breached_at__isnull=True, <still overdue>).update(breached_at=now)`: only one
  transaction can move `breached_at` from NULL (PostgreSQL re-evaluates the WHERE after the row lock; SQLite
  serialises writers), the others update zero rows and stop. (A `breached_at` older than `sla_started_at`
  belongs to the clock before a reopening and counts as NULL.)
- a first-response breach is claimed by inserting the `Breach` row, unique per consultation;
- a unique constraint on (consultation, due_at) also backs the resolution claim.

A resolution breach (the standard's N working days) opens a compensation case for the service manager. A
first-response breach (an office's own target, not a promise of the standard) is recorded and escalated, but opens
no case; a supervisor can open one by hand (`open_compensation`).
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.complaints.actions._common import (
    DETECT_BATCH,
    SYSTEM_ACTOR,
    _supervisors,
    format_local,
    log,
)
from pstdesk.complaints.actions.compensation import open_compensation
from pstdesk.complaints.models import (
    Breach,
    BreachKind,
)
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import InvalidInput
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.offices.models import Office


def overdue_resolution(now: datetime) -> QuerySet[Consultation]:
    """Consultations whose resolution deadline passed unmet and is not recorded yet: not answered by `due_at`,
    not closed by `due_at`, and `breached_at` empty or older than the current clock (`sla_started_at`: the breach
    of a clock before a reopening). Driven by the `due_at` index."""
    return (
        Consultation.objects.filter(due_at__lt=now)
        # Not recorded for the current clock: never, or only for an earlier clock (before a reopening).
        .filter(Q(breached_at__isnull=True) | Q(breached_at__lt=F("sla_started_at")))
        .exclude(answered_at__lte=F("due_at"))
        .exclude(closed_at__lte=F("due_at"))
    )


def overdue_first_response(now: datetime) -> QuerySet[Consultation]:
    """Consultations whose first-response deadline passed with no officer reply by then, not recorded yet."""
    recorded = Breach.objects.filter(consultation=OuterRef("pk"), kind=BreachKind.FIRST_RESPONSE)
    return (
        Consultation.objects.filter(first_response_due_at__lt=now)
        .exclude(first_response_at__lte=F("first_response_due_at"))
        .exclude(answered_at__lte=F("first_response_due_at"))
        .exclude(closed_at__lte=F("first_response_due_at"))
        .filter(~Exists(recorded))
    )


def detect_breaches(now: datetime | None = None, *, limit: int = DETECT_BATCH) -> int:
    """Record every breach due at `now` (default: now); returns how many this call recorded. Safe to run in any
    number of workers at once: each breach is claimed by exactly one (see the module docstring)."""
    now = now or timezone.now()
    recorded = 0
    for kind, queryset in (
        (BreachKind.RESOLUTION, overdue_resolution(now).order_by("due_at")),
        (BreachKind.FIRST_RESPONSE, overdue_first_response(now).order_by("first_response_due_at")),
    ):
        for pk in list(queryset.values_list("pk", flat=True)[:limit]):
            consultation = Consultation.objects.select_related("office").get(pk=pk)
            if record_breach(consultation, kind=kind, now=now) is not None:
                recorded += 1
    return recorded


def _notify_breach(consultation: Consultation, breach: Breach) -> None:
    """Event to the office's consoles, the assigned officer and the supervisors, after commit. E-mail is not sent
    per breach: the office's supervisors get one daily digest of the new breaches (`send_breach_digests`)."""
    people = _supervisors(consultation.office)
    assigned = consultation.assigned_to  # None without a query when nobody is assigned
    if assigned is not None and assigned not in people:
        people.insert(0, assigned)
    event = {
        "type": "sla.breached",
        "consultation": consultation.pk,
        "office": consultation.office_id,
        "kind": breach.kind,
        "due_at": breach.due_at.isoformat(),
        "breach": breach.pk,
    }
    publish_on_commit([office_group(consultation.office_id), *(user_group(p.pk) for p in people)], event)


def digest_cutoff(office: Office, now: datetime) -> datetime | None:
    """The moment up to which breaches go into today's digest of `office`: today's BREACH_DIGEST_HOUR in the
    office's zone, once that hour has come (None before it: today's digest is not due yet)."""
    zone = ZoneInfo(office.timezone)
    local = timezone.localtime(now, zone)
    cutoff = local.replace(hour=settings.BREACH_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return cutoff if local >= cutoff else None


def send_breach_digests(now: datetime | None = None) -> int:
    """Send each office's supervisors one e-mail listing the breaches recorded before today's digest hour and not
    yet digested; returns how many e-mails went out.

    Guarantees: a breach is in exactly one digest, however many workers run this at once (each claims its rows
    with a conditional update of `digested_at`); an office without new breaches gets no e-mail; the digest is
    claimed even when the office has no supervisor with an address (the supervision page lists every breach).
    Times are written in the office's zone, Indonesian style, each breach with a link to its consultation.
    """
    now = now or timezone.now()
    sent = 0
    pending = Breach.objects.filter(digested_at__isnull=True).values_list("office_id", flat=True).distinct()
    for office in Office.objects.filter(pk__in=list(pending)).order_by("code"):
        cutoff = digest_cutoff(office, now)
        if cutoff is None:
            continue
        with transaction.atomic():
            ids = list(
                Breach.objects.filter(office=office, digested_at__isnull=True, detected_at__lt=cutoff)
                .order_by("detected_at", "pk")
                .values_list("pk", flat=True)[:DETECT_BATCH]
            )
            claimed = Breach.objects.filter(pk__in=ids, digested_at__isnull=True).update(digested_at=now)
            if not claimed:
                continue
            breaches = list(
                Breach.objects.filter(pk__in=ids, digested_at=now)
                .select_related("consultation", "consultation__assigned_to")
                .order_by("detected_at", "pk")
            )
            recipients = [p.email for p in _supervisors(office) if p.email]
            record(
                "breach.digested",
                office,
                by=SYSTEM_ACTOR,
                office=office,
                after={"breaches": [b.pk for b in breaches], "recipients": len(recipients)},
            )
            if not recipients:
                continue
            message = _digest_message(office, breaches)
            transaction.on_commit(functools.partial(_send_digest, message, recipients))
            sent += 1
    return sent


def _digest_message(office: Office, breaches: list[Breach]) -> tuple[str, str]:
    subject = _("Ringkasan harian pelanggaran batas waktu %(office)s: %(n)s baru") % {
        "office": office.code,
        "n": len(breaches),
    }
    lines = [
        _("Pelanggaran batas waktu baru di %(office)s sejak ringkasan terakhir:") % {"office": f"{office}"},
        "",
    ]
    for breach in breaches:
        consultation = breach.consultation
        officer = consultation.assigned_to
        lines.append(
            _("- PST#%(id)s · %(kind)s · batas waktu %(due)s · terdeteksi %(detected)s · petugas: %(officer)s")
            % {
                "id": consultation.pk,
                "kind": breach.get_kind_display(),
                "due": format_local(breach.due_at, office),
                "detected": format_local(breach.detected_at, office),
                "officer": (officer.get_full_name() or officer.get_username()) if officer else "—",
            }
        )
        lines.append("  " + settings.PUBLIC_URL + reverse("console:consultation", args=[consultation.pk]))
    lines += ["", _("Semua pelanggaran: %(link)s") % {"link": settings.PUBLIC_URL + reverse("complaints:supervision")}]
    return subject, "\n".join(lines)


def _send_digest(message: tuple[str, str], recipients: list[str]) -> None:
    try:
        send_mail(message[0], message[1], None, recipients)
    except Exception:  # mail is a courtesy: the supervision page lists every breach
        log.warning("breach digest mail to %s recipients failed", len(recipients), exc_info=True)


def record_breach(consultation: Consultation, *, kind: str, now: datetime) -> Breach | None:
    """Record that `consultation` missed its `kind` deadline, once.

    Guarantees: exactly one caller among concurrent ones records the breach (conditional update for a resolution
    breach, unique constraint for both kinds); the rest get None and change nothing. A consultation that is no
    longer overdue at `now` (answered, closed, or its deadline moved) is not recorded (None). The winner writes the
    `Breach`, one audit row `consultation.breached`, notifies (event + e-mail after commit) and, for a resolution
    breach, opens a compensation case.
    """
    if kind not in BreachKind.values:
        raise InvalidInput(_("Jenis pelanggaran tidak dikenal: %(kind)s") % {"kind": kind})
    with transaction.atomic():
        if kind == BreachKind.RESOLUTION:
            claimed = overdue_resolution(now).filter(pk=consultation.pk).update(breached_at=now)
            if not claimed:
                return None
        elif not overdue_first_response(now).filter(pk=consultation.pk).exists():
            return None
        fresh = Consultation.objects.select_related("office", "assigned_to").get(pk=consultation.pk)
        due = fresh.due_at if kind == BreachKind.RESOLUTION else fresh.first_response_due_at
        assert due is not None
        try:
            with transaction.atomic():
                breach = Breach.objects.create(
                    consultation=fresh, office=fresh.office, kind=kind, due_at=due, detected_at=now
                )
        except IntegrityError:
            # Another worker recorded it first. For a resolution breach this only happens if the claim above
            # was bypassed; rolling back our savepoint leaves that worker's row as the one record.
            transaction.set_rollback(True)
            return None
        record(
            "consultation.breached",
            fresh,
            by=SYSTEM_ACTOR,
            office=fresh.office,
            before={"breached_at": None} if kind == BreachKind.RESOLUTION else {},
            after={"kind": kind, "due_at": due.isoformat(), "detected_at": now.isoformat(), "breach": breach.pk},
        )
        _notify_breach(fresh, breach)
        if kind == BreachKind.RESOLUTION:
            open_compensation(
                fresh.office,
                by=SYSTEM_ACTOR,
                reason=_("Konsultasi PST#%(id)s tidak diselesaikan sesuai standar (batas waktu %(due)s).")
                % {"id": fresh.pk, "due": format_local(due, fresh.office)},
                consultation=fresh,
                breach=breach,
            )
    consultation.breached_at = fresh.breached_at
    return breach
