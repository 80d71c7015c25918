"""State changes of breaches, compensation cases and complaints (the only place they happen).

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

import logging
from datetime import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.complaints.models import (
    Breach,
    BreachKind,
    Compensation,
    CompensationStatus,
    Complaint,
    ComplaintChannel,
    ComplaintKind,
    ComplaintStatus,
)
from pstdesk.consultations.models import Consultation
from pstdesk.lib.errors import DomainError, InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.offices.models import Office

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:sla"
COMPLAINT_MAX_CHARS = 5000
DETECT_BATCH = 500


# --- finding overdue consultations ----------------------------------------------------------------------------
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


# --- breaches --------------------------------------------------------------------------------------------------
def _supervisors(office: Office) -> list[User]:
    return list(
        User.objects.filter(office=office, is_active=True, role__in=[Role.SUPERVISOR, Role.MANAGER]).order_by("pk")
    )


def _notify_breach(consultation: Consultation, breach: Breach) -> None:
    """Event to the office's consoles, the assigned officer and the supervisors; an e-mail to those with an
    address, after commit (a mail failure never undoes the recorded breach)."""
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
    recipients = [p.email for p in people if p.email]
    if not recipients:
        return
    subject = _("Batas waktu terlewati: PST#%(id)s (%(office)s)") % {
        "id": consultation.pk,
        "office": consultation.office_id,
    }
    body = _("%(kind)s pada konsultasi PST#%(id)s. Batas waktu: %(due)s. Mohon segera ditindaklanjuti.") % {
        "kind": breach.get_kind_display(),
        "id": consultation.pk,
        "due": breach.due_at.isoformat(),
    }

    def send() -> None:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:  # mail is a courtesy: the event and the supervisor's view carry the breach
            log.warning("breach mail for PST#%s failed", consultation.pk, exc_info=True)

    transaction.on_commit(send)


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
                % {"id": fresh.pk, "due": due.isoformat()},
                consultation=fresh,
                breach=breach,
            )
    consultation.breached_at = fresh.breached_at
    return breach


# --- compensation ----------------------------------------------------------------------------------------------
def _is_staff_of(user: Any, office: Office, roles: set[str]) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in roles and visible_offices(user).filter(pk=office.pk).exists()


def open_compensation(
    office: Office,
    *,
    by: Any,
    reason: str,
    consultation: Consultation | None = None,
    breach: Breach | None = None,
    complaint: Complaint | None = None,
) -> Compensation:
    """Open a compensation case for `office`: by the breach worker (`by="system:…"`) or by hand by a supervisor,
    manager or admin who sees the office. The case waits for the service manager's decision.

    Refuses (`NotAllowed`) any other caller, (`InvalidInput`) an empty reason or a consultation/complaint of
    another office.
    """
    if not isinstance(by, str) and not _is_staff_of(by, office, {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}):
        raise NotAllowed(_("Hanya koordinator atau penanggung jawab pelayanan yang dapat membuka kasus kompensasi."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Alasan wajib diisi."))
    for related in (consultation, breach, complaint):
        if related is not None and related.office_id != office.pk:
            raise InvalidInput(_("Data yang dirujuk bukan milik kantor ini."))
    with transaction.atomic():
        case = Compensation.objects.create(
            office=office,
            consultation=consultation,
            breach=breach,
            complaint=complaint,
            reason=reason,
            opened_by=None if isinstance(by, str) else by,
            opened_by_label=by if isinstance(by, str) else "",
        )
        record(
            "compensation.opened",
            case,
            by=by,
            office=office,
            after={
                "status": case.status,
                "reason": reason,
                "consultation": consultation.pk if consultation else None,
                "breach": breach.pk if breach else None,
                "complaint": complaint.pk if complaint else None,
            },
        )
        publish_on_commit(
            [office_group(office.pk)],
            {"type": "compensation.updated", "office": office.pk, "compensation": case.pk, "status": case.status},
        )
    return case


def can_decide_compensation(user: Any, office: Office) -> bool:
    """The service manager of the office, or of an office above it, or a superuser."""
    return _is_staff_of(user, office, {Role.MANAGER})


def decide_compensation(case: Compensation, *, by: Any, granted: bool, reason: str, given: str = "") -> Compensation:
    """Decide an open compensation case: granted (with what was given) or declined, always with the reason.

    Only the service manager of the case's office or above (`NotAllowed`); a decided case is final
    (`InvalidTransition`); an empty reason, or a grant without what was given, is refused (`InvalidInput`).
    """
    if not can_decide_compensation(by, case.office):
        raise NotAllowed(_("Hanya penanggung jawab pelayanan yang dapat memutuskan kompensasi."))
    reason, given = (reason or "").strip(), (given or "").strip()
    if not reason:
        raise InvalidInput(_("Alasan keputusan wajib diisi."))
    if granted and not given:
        raise InvalidInput(_("Sebutkan kompensasi yang diberikan."))
    with transaction.atomic():
        locked = Compensation.objects.select_for_update().get(pk=case.pk)
        if locked.status != CompensationStatus.OPEN:
            raise InvalidTransition(_("Kasus kompensasi ini sudah diputuskan."))
        locked.status = CompensationStatus.GRANTED if granted else CompensationStatus.DECLINED
        locked.decision_reason = reason
        locked.given = given if granted else ""
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "decision_reason", "given", "decided_by", "decided_at"])
        record(
            "compensation.decided",
            locked,
            by=by,
            office=locked.office,
            before={"status": CompensationStatus.OPEN},
            after={"status": locked.status, "reason": reason, "given": locked.given},
        )
        publish_on_commit(
            [office_group(locked.office_id)],
            {
                "type": "compensation.updated",
                "office": locked.office_id,
                "compensation": locked.pk,
                "status": locked.status,
            },
        )
    for name in ("status", "decision_reason", "given", "decided_by", "decided_at"):
        setattr(case, name, getattr(locked, name))
    return case


# --- complaints, suggestions, input ----------------------------------------------------------------------------
def file_complaint(
    office: Office,
    *,
    kind: str,
    text: str,
    contact: str = "",
    channel: str = ComplaintChannel.ONLINE_FORM,
    by: Any = "public",
) -> Complaint:
    """Store a complaint, suggestion or input for `office` and tell its consoles. The contact may be empty
    (anonymous). Bad input raises `InvalidInput` and stores nothing."""
    text, contact = (text or "").strip(), (contact or "").strip()
    if kind not in ComplaintKind.values:
        raise InvalidInput(_("Pilih jenis: pengaduan, saran atau masukan."))
    if channel not in ComplaintChannel.values:
        raise InvalidInput(_("Saluran tidak dikenal."))
    if not text:
        raise InvalidInput(_("Isi pengaduan wajib diisi."))
    if len(text) > COMPLAINT_MAX_CHARS:
        raise InvalidInput(_("Isi terlalu panjang (paling banyak %(n)s karakter).") % {"n": COMPLAINT_MAX_CHARS})
    if len(contact) > 200:
        raise InvalidInput(_("Kontak terlalu panjang."))
    with transaction.atomic():
        complaint = Complaint.objects.create(office=office, kind=kind, text=text, contact=contact, channel=channel)
        record("complaint.filed", complaint, by=by, office=office, after={"kind": kind, "channel": channel})
        publish_on_commit(
            [office_group(office.pk)],
            {"type": "complaint.created", "office": office.pk, "complaint": complaint.pk, "kind": kind},
        )
    return complaint


def handle_complaint(complaint: Complaint, *, by: Any, response: str, upheld: bool) -> Complaint:
    """Record the office's follow-up of a complaint, suggestion or input: what was done or answered, and whether
    a complaint is upheld. An upheld complaint means the service did not meet the standard, so a compensation
    case is opened for the service manager in the same transaction.

    Only a supervisor, manager or admin who sees the office (`NotAllowed`); once handled it is final
    (`InvalidTransition`); an empty response, or upholding something that is not a complaint, is refused
    (`InvalidInput`)."""
    office = complaint.office
    if not _is_staff_of(by, office, {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}):
        raise NotAllowed(_("Hanya koordinator atau penanggung jawab pelayanan yang dapat menindaklanjuti pengaduan."))
    response = (response or "").strip()
    if not response:
        raise InvalidInput(_("Tuliskan tindak lanjutnya."))
    if upheld and complaint.kind != ComplaintKind.COMPLAINT:
        raise InvalidInput(_("Hanya pengaduan yang dapat dinyatakan beralasan."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if locked.status != ComplaintStatus.RECEIVED:
            raise InvalidTransition(_("Pengaduan ini sudah ditindaklanjuti."))
        locked.status = ComplaintStatus.HANDLED
        locked.response = response
        locked.upheld = upheld if locked.kind == ComplaintKind.COMPLAINT else None
        locked.handled_by = by
        locked.handled_at = timezone.now()
        locked.save(update_fields=["status", "response", "upheld", "handled_by", "handled_at"])
        record(
            "complaint.handled",
            locked,
            by=by,
            office=office,
            before={"status": ComplaintStatus.RECEIVED},
            after={"status": locked.status, "upheld": locked.upheld},
        )
        if locked.upheld:
            open_compensation(
                office,
                by=by,
                reason=_("Pengaduan #%(id)s dinyatakan beralasan: %(response)s")
                % {"id": locked.pk, "response": response},
                complaint=locked,
            )
        publish_on_commit(
            [office_group(office.pk)],
            {"type": "complaint.updated", "office": office.pk, "complaint": locked.pk, "status": locked.status},
        )
    for name in ("status", "response", "upheld", "handled_by", "handled_at"):
        setattr(complaint, name, getattr(locked, name))
    return complaint


__all__ = [
    "DomainError",
    "can_decide_compensation",
    "decide_compensation",
    "detect_breaches",
    "file_complaint",
    "handle_complaint",
    "open_compensation",
    "overdue_first_response",
    "overdue_resolution",
    "record_breach",
]
