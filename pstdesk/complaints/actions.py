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
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.complaints.models import (
    EXTERNAL_SOURCES,
    OPEN_STATUSES,
    Breach,
    BreachKind,
    Compensation,
    CompensationOption,
    CompensationStatus,
    Complaint,
    ComplaintKind,
    ComplaintNote,
    ComplaintSource,
    ComplaintStatus,
    LaporStage,
)
from pstdesk.complaints.policy import (
    EXTERNAL_ID_RE,
    follow_up_due,
    new_tracking_number,
    offered_sources,
    tracking_url,
)
from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.models import Consultation, Direction, Message, MessageKind
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import ChannelActor, SystemActor, is_user
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


def _decision_text(case: Compensation) -> tuple[str, str]:
    subject = _("Keputusan kompensasi K#%(id)s") % {"id": case.pk}
    if case.status == CompensationStatus.GRANTED:
        body = _("%(office)s memberikan kompensasi kepada Anda: %(given)s. Alasan: %(reason)s") % {
            "office": case.office.name,
            "given": case.given,
            "reason": case.decision_reason,
        }
    else:
        body = _("%(office)s memutuskan tidak memberikan kompensasi. Alasan: %(reason)s") % {
            "office": case.office.name,
            "reason": case.decision_reason,
        }
    if case.complaint_id is not None and case.complaint is not None:
        body += "\n\n" + _("Rincian: %(url)s") % {"url": tracking_url(case.complaint.tracking_number)}
    return subject, body


def _tell_visitor_of_decision(case: Compensation, *, by: Any) -> str:
    """Tell the visitor of the decision in their channel: the consultation concerned (the case's, or its
    complaint's), else as the complaint was answered (mail, or the tracking page). "" when nobody can be told (a
    case opened by hand with no consultation or complaint)."""
    subject, body = _decision_text(case)
    complaint = case.complaint
    if complaint is not None:
        if complaint.consultation_id is None and case.consultation_id is not None:
            complaint.consultation_id = case.consultation_id  # told in the consultation the case is about
        return _tell_complainant(complaint, by=by, subject=subject, body=body)
    if case.consultation_id is not None:
        consultation = Consultation.objects.select_related("office").get(pk=case.consultation_id)
        post_automatic_message(consultation, body=body, payload={"compensation": case.pk}, by=by)
        return str(consultation.channel)
    return ""


def decide_compensation(
    case: Compensation,
    *,
    by: Any,
    granted: bool,
    reason: str,
    given: str = "",
    option: CompensationOption | None = None,
) -> Compensation:
    """Decide an open compensation case: granted (one of the office's compensation options, or what was given in
    words) or declined, always with the reason, and tell the visitor in their channel (`visitor_told_at`/`_via`
    say when and how; the tracking page of a complaint shows it as well).

    Only the service manager of the case's office or above (`NotAllowed`); a decided case is final
    (`InvalidTransition`); an empty reason, a grant without what was given, or an option of another office or no
    longer offered is refused (`InvalidInput`).
    """
    if not can_decide_compensation(by, case.office):
        raise NotAllowed(_("Hanya penanggung jawab pelayanan yang dapat memutuskan kompensasi."))
    reason, given = (reason or "").strip(), (given or "").strip()
    if not reason:
        raise InvalidInput(_("Alasan keputusan wajib diisi."))
    if option is not None and (option.office_id != case.office_id or not option.active):
        raise InvalidInput(_("Pilihan kompensasi tidak tersedia di kantor ini."))
    if granted and option is not None:
        given = option.label + (f" ({given})" if given else "")
    if granted and not given:
        raise InvalidInput(_("Pilih kompensasi yang diberikan."))
    with transaction.atomic():
        locked = (
            Compensation.objects.select_for_update()
            .select_related("office", "complaint", "complaint__office", "complaint__visitor")
            .get(pk=case.pk)
        )
        if locked.status != CompensationStatus.OPEN:
            raise InvalidTransition(_("Kasus kompensasi ini sudah diputuskan."))
        locked.status = CompensationStatus.GRANTED if granted else CompensationStatus.DECLINED
        locked.decision_reason = reason
        locked.given = given if granted else ""
        locked.option = option if granted else None
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.visitor_told_via = _tell_visitor_of_decision(locked, by=by)
        locked.visitor_told_at = locked.decided_at if locked.visitor_told_via else None
        locked.save(
            update_fields=[
                "status",
                "decision_reason",
                "given",
                "option",
                "decided_by",
                "decided_at",
                "visitor_told_via",
                "visitor_told_at",
            ]
        )
        record(
            "compensation.decided",
            locked,
            by=by,
            office=locked.office,
            before={"status": CompensationStatus.OPEN},
            after={
                "status": locked.status,
                "reason": reason,
                "given": locked.given,
                "option": option.pk if option and granted else None,
                "told_via": locked.visitor_told_via,
            },
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
    for name in (
        "status",
        "decision_reason",
        "given",
        "option",
        "decided_by",
        "decided_at",
        "visitor_told_via",
        "visitor_told_at",
    ):
        setattr(case, name, getattr(locked, name))
    return case


# --- complaints, suggestions, input ----------------------------------------------------------------------------
#
# Which action may run in which status: the one table (`_check`). Notes and LAPOR! stages may follow the answer.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    "assign": frozenset(OPEN_STATUSES),
    "note": frozenset(ComplaintStatus.values),
    "answer": frozenset(OPEN_STATUSES),
    "lapor_stage": frozenset(ComplaintStatus.values),
}
# A message turned into a complaint keeps its consultation's channel as the source.
_CHANNEL_SOURCES = {"whatsapp": ComplaintSource.WHATSAPP, "email": ComplaintSource.EMAIL}
STAFF_ROLES: set[str] = {Role.OFFICER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}
SUPERVISING_ROLES: set[str] = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


def _check(complaint: Complaint, action: str) -> None:
    if complaint.status not in COMPLAINT_TRANSITIONS[action]:
        raise InvalidTransition(_("Pengaduan ini sudah dijawab."))


def _publish_complaint(complaint: Complaint, event_type: str) -> None:
    publish_on_commit(
        [office_group(complaint.office_id)],
        {
            "type": event_type,
            "office": complaint.office_id,
            "complaint": complaint.pk,
            "status": complaint.status,
            "kind": complaint.kind,
        },
    )


def _email_of(complaint: Complaint) -> str:
    """The complainant's e-mail address when they gave one (the contact of a form complaint, or their visitor's)."""
    contact = complaint.contact.strip()
    try:
        validate_email(contact)
    except ValidationError:
        contact = ""
    if not contact and complaint.visitor_id is not None and complaint.visitor is not None:
        contact = complaint.visitor.email or ""
    return contact


def _tell_complainant(complaint: Complaint, *, by: Any, subject: str, body: str) -> str:
    """Send `body` to the complainant through the channel the complaint came in, inside the caller's transaction,
    and say how ("whatsapp", "email", "web": the consultation's channel; "email" for a mail; "tracking" when there
    is no way to reach them: the tracking page shows it).

    A complaint about a consultation is answered in that consultation (an outbox row, sent by the outbox worker
    with its retries). Otherwise a complainant who left an e-mail address gets a mail after commit; a failed mail
    is logged and leaves `reply_sent_at` empty (the tracking page still shows the answer)."""
    if complaint.consultation_id is not None:
        consultation = Consultation.objects.select_related("office").get(pk=complaint.consultation_id)
        post_automatic_message(
            consultation, body=body, payload={"complaint": complaint.tracking_number, "subject": subject}, by=by
        )
        return str(consultation.channel)
    address = _email_of(complaint)
    if not address:
        return "tracking"

    def send() -> None:
        try:
            send_mail(subject, body, None, [address])
        except Exception:  # the answer stays on the tracking page; an operator sees the empty reply_sent_at
            log.warning("complaint mail for %s failed", complaint.tracking_number, exc_info=True)
            return
        Complaint.objects.filter(pk=complaint.pk, reply_sent_at__isnull=True, reply_via="email").update(
            reply_sent_at=timezone.now()
        )

    transaction.on_commit(send)
    return "email"


def _receipt_text(complaint: Complaint) -> tuple[str, str]:
    subject = _("Nomor pelacakan %(number)s") % {"number": complaint.tracking_number}
    body = _(
        "%(kind)s Anda untuk %(office)s telah kami terima dengan nomor %(number)s. Tindak lanjut paling lambat "
        "%(due)s. Pantau statusnya di %(url)s"
    ) % {
        "kind": complaint.get_kind_display(),
        "office": complaint.office.name,
        "number": complaint.tracking_number,
        "due": format_local(complaint.due_at, complaint.office),
        "url": tracking_url(complaint.tracking_number),
    }
    return subject, body


def format_local(moment: datetime | None, office: Office) -> str:
    """`moment` in the office's zone, Indonesian style (25-11-2026 16.00 WITA)."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment, ZoneInfo(office.timezone))
    return local.strftime("%d-%m-%Y %H.%M ") + (local.tzname() or "")


def _validate_text(value: str, *, label: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(label)s wajib diisi.") % {"label": label})
    if len(value) > limit:
        raise InvalidInput(
            _("%(label)s terlalu panjang (%(n)s karakter; paling banyak %(max)s).")
            % {"label": label, "n": len(value), "max": limit}
        )
    return value


def file_complaint(
    office: Office,
    *,
    kind: str,
    text: str,
    by: Any = None,
    source: str = ComplaintSource.ONLINE_FORM,
    contact: str = "",
    visitor: Visitor | None = None,
    consultation: Consultation | None = None,
    message: Message | None = None,
    external_id: str = "",
) -> Complaint:
    """Register a complaint, suggestion or input for `office` from one of the sources its standard publishes, with
    a fresh random tracking number and its follow-up deadline (the office's policy, in working days), and give the
    complainant the number at once in the channel used (the consultation, or a mail to the address given; the
    page or the officer shows it otherwise).

    `by` is the public form's `ChannelActor`, a visitor, or a staff user of the office (who records a complaint
    received by telephone, from the box, in person, or from LAPOR! / the BPS complaint site with its external
    id). Bad input raises `InvalidInput` and stores nothing: an unknown kind, a source the office does not
    offer, empty or oversized text, an external id missing or of the wrong shape, a visitor's consultation of
    another office."""
    by = by if by is not None else ChannelActor("complaint_form")
    if is_user(by) and not _is_staff_of(by, office, STAFF_ROLES):
        raise NotAllowed(_("Hanya petugas kantor ini yang dapat mencatat pengaduan."))
    if kind not in ComplaintKind.values:
        raise InvalidInput(_("Pilih jenis: pengaduan, saran atau masukan."))
    if source not in offered_sources(office):
        raise InvalidInput(
            _("%(office)s tidak menerima pengaduan melalui sumber ini (%(source)s).")
            % {"office": office.name, "source": source}
        )
    text = _validate_text(text, label=_("Isi pengaduan"), limit=COMPLAINT_MAX_CHARS, required=True)
    contact = _validate_text(contact, label=_("Kontak"), limit=200, required=False)
    external_id = (external_id or "").strip()
    if source in EXTERNAL_SOURCES:
        if not EXTERNAL_ID_RE.match(external_id):
            raise InvalidInput(
                _("Nomor pelacakan %(source)s wajib diisi: 3–40 huruf, angka atau tanda hubung.")
                % {"source": ComplaintSource(source).label}
            )
    elif external_id:
        raise InvalidInput(_("Nomor pelacakan eksternal hanya untuk SP4N-LAPOR! dan situs pengaduan BPS."))
    if consultation is not None and consultation.office_id != office.pk:
        raise InvalidInput(_("Data yang dirujuk bukan milik kantor ini."))
    if visitor is None and consultation is not None:
        visitor = consultation.visitor
    now = timezone.now()
    due = follow_up_due(office, now)
    with transaction.atomic():
        for _attempt in range(5):  # a collision of two random numbers is rare; retry with a fresh one
            try:
                with transaction.atomic():
                    complaint = Complaint.objects.create(
                        office=office,
                        tracking_number=new_tracking_number(office.code),
                        kind=kind,
                        source=source,
                        external_id=external_id,
                        lapor_stage=LaporStage.FORWARDED if source == ComplaintSource.LAPOR else "",
                        text=text,
                        contact=contact,
                        visitor=visitor,
                        consultation=consultation,
                        message=message,
                        due_at=due,
                    )
                break
            except IntegrityError:
                if message is not None and Complaint.objects.filter(message=message).exists():
                    raise InvalidInput(_("Pesan ini sudah dijadikan pengaduan.")) from None
                continue
        else:  # pragma: no cover - 5 collisions in a row means the generator is broken
            raise DomainError(_("Nomor pelacakan tidak dapat dibuat; coba lagi."))
        record(
            "complaint.filed",
            complaint,
            by=by,
            office=office,
            after={
                "kind": kind,
                "source": source,
                "tracking_number": complaint.tracking_number,
                "external_id": external_id,
                "consultation": consultation.pk if consultation else None,
                "message": message.pk if message else None,
                "due_at": due.isoformat(),
            },
        )
        subject, body = _receipt_text(complaint)
        _tell_complainant(complaint, by=by, subject=subject, body=body)
        _publish_complaint(complaint, "complaint.created")
    return complaint


def file_complaint_from_message(message: Message, *, by: Any, kind: str = ComplaintKind.COMPLAINT) -> Complaint:
    """Turn a visitor's message of a consultation into a complaint of that office, keeping the link to the message
    and its consultation: an officer does it from the console, a supervisor marks a WhatsApp or e-mail message so.
    The source is the consultation's channel (WhatsApp, e-mail; a web chat counts as the online form). One
    complaint per message."""
    consultation = message.consultation
    office = consultation.office
    if not _is_staff_of(by, office, STAFF_ROLES):
        raise NotAllowed(_("Hanya petugas kantor ini yang dapat menjadikan pesan sebagai pengaduan."))
    if message.direction != Direction.IN or message.kind != MessageKind.MESSAGE:
        raise InvalidInput(_("Hanya pesan dari pengguna layanan yang dapat dijadikan pengaduan."))
    if Complaint.objects.filter(message=message).exists():
        raise InvalidInput(_("Pesan ini sudah dijadikan pengaduan."))
    source = _CHANNEL_SOURCES.get(str(consultation.channel), ComplaintSource.ONLINE_FORM)
    return file_complaint(
        office,
        kind=kind,
        text=message.body or _("(pesan tanpa teks)"),
        by=by,
        source=source,
        consultation=consultation,
        message=message,
    )


def assign_complaint(complaint: Complaint, *, by: Any, to: User | None) -> Complaint:
    """Give a complaint to a staff member of its office (or take it back with `to=None`); a received complaint is
    then in progress. Supervisors, managers and admins who see the office."""
    if not _is_staff_of(by, complaint.office, SUPERVISING_ROLES):
        raise NotAllowed(_("Hanya koordinator atau penanggung jawab pelayanan yang dapat menugaskan pengaduan."))
    if to is not None and (to.office_id != complaint.office_id or not to.is_active):
        raise InvalidInput(_("Petugas tidak ditemukan di kantor ini."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        _check(locked, "assign")
        before = {"assigned_to": locked.assigned_to_id, "status": locked.status}
        locked.assigned_to = to
        if to is not None:
            locked.status = ComplaintStatus.IN_PROGRESS
        locked.save(update_fields=["assigned_to", "status"])
        record(
            "complaint.assigned",
            locked,
            by=by,
            office=locked.office,
            before=before,
            after={"assigned_to": to.pk if to else None, "status": locked.status},
        )
        _publish_complaint(locked, "complaint.updated")
    complaint.assigned_to, complaint.status = locked.assigned_to, locked.status
    return complaint


def _may_work(user: Any, complaint: Complaint) -> bool:
    """Supervisors of the office, or the staff member it is assigned to."""
    if _is_staff_of(user, complaint.office, SUPERVISING_ROLES):
        return True
    return is_user(user) and complaint.assigned_to_id == user.pk and _is_staff_of(user, complaint.office, STAFF_ROLES)


def add_complaint_note(complaint: Complaint, *, by: Any, body: str) -> ComplaintNote:
    """A follow-up note (internal). A received complaint is then in progress."""
    if not _may_work(by, complaint):
        raise NotAllowed(_("Anda tidak menangani pengaduan ini."))
    body = _validate_text(body, label=_("Catatan"), limit=COMPLAINT_MAX_CHARS, required=True)
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        _check(locked, "note")
        note = ComplaintNote.objects.create(complaint=locked, author=by, body=body)
        before = locked.status
        if locked.status == ComplaintStatus.RECEIVED:
            locked.status = ComplaintStatus.IN_PROGRESS
            locked.save(update_fields=["status"])
        record(
            "complaint.noted",
            locked,
            by=by,
            office=locked.office,
            before={"status": before},
            after={"status": locked.status, "note": note.pk},
        )
        _publish_complaint(locked, "complaint.updated")
    complaint.status = locked.status
    return note


def set_lapor_stage(complaint: Complaint, *, by: Any, stage: str) -> Complaint:
    """Record the stage a LAPOR! report has reached there (staff mirror LAPOR!'s own status by hand)."""
    if not _may_work(by, complaint):
        raise NotAllowed(_("Anda tidak menangani pengaduan ini."))
    if complaint.source != ComplaintSource.LAPOR:
        raise InvalidInput(_("Tahap LAPOR! hanya untuk pengaduan dari SP4N-LAPOR!."))
    if stage not in LaporStage.values:
        raise InvalidInput(_("Tahap LAPOR! tidak dikenal."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
        _check(locked, "lapor_stage")
        before = locked.lapor_stage
        locked.lapor_stage = stage
        locked.save(update_fields=["lapor_stage"])
        record(
            "complaint.lapor_stage",
            locked,
            by=by,
            office=locked.office,
            before={"stage": before},
            after={"stage": stage},
        )
        _publish_complaint(locked, "complaint.updated")
    complaint.lapor_stage = stage
    return complaint


def _answer_text(complaint: Complaint) -> tuple[str, str]:
    subject = _("Tanggapan atas %(number)s") % {"number": complaint.tracking_number}
    lines = [
        _("Tanggapan %(office)s atas %(kind)s nomor %(number)s:")
        % {
            "office": complaint.office.name,
            "kind": complaint.get_kind_display().lower(),
            "number": complaint.tracking_number,
        },
        complaint.response,
    ]
    if complaint.upheld is not None:
        verdict = (
            _("Pengaduan Anda dinyatakan beralasan.")
            if complaint.upheld
            else _("Pengaduan Anda dinyatakan tidak beralasan.")
        )
        lines.append(f"{verdict} {complaint.decision_reason}".strip())
    lines.append(_("Rincian: %(url)s") % {"url": tracking_url(complaint.tracking_number)})
    return subject, "\n\n".join(lines)


def handle_complaint(
    complaint: Complaint, *, by: Any, response: str, upheld: bool | None = None, reason: str = ""
) -> Complaint:
    """Answer a complaint, suggestion or input: what the office did or answers, and for a complaint whether it is
    upheld (the service did not meet the standard) or not, with the reason. The answer is sent through the channel
    the complaint came in (see `_tell_complainant`) and shown on the tracking page. An upheld complaint opens a
    compensation case for the service manager in the same transaction.

    Supervisors, managers and admins who see the office, or the assignee (`NotAllowed`); once answered it is
    final (`InvalidTransition`); an empty answer, a complaint without a verdict and reason, or a verdict on a
    suggestion are refused (`InvalidInput`)."""
    office = complaint.office
    if not _may_work(by, complaint):
        raise NotAllowed(_("Hanya koordinator atau penanggung jawab pelayanan yang dapat menindaklanjuti pengaduan."))
    response = _validate_text(response, label=_("Tanggapan"), limit=COMPLAINT_MAX_CHARS, required=True)
    reason = _validate_text(reason, label=_("Alasan"), limit=COMPLAINT_MAX_CHARS, required=False)
    if complaint.kind == ComplaintKind.COMPLAINT:
        if upheld is None:
            raise InvalidInput(_("Nyatakan apakah pengaduan beralasan atau tidak."))
        if not reason:
            raise InvalidInput(_("Alasan wajib diisi."))
    elif upheld:
        raise InvalidInput(_("Hanya pengaduan yang dapat dinyatakan beralasan."))
    with transaction.atomic():
        locked = Complaint.objects.select_for_update().select_related("office", "visitor").get(pk=complaint.pk)
        _check(locked, "answer")
        before = {"status": locked.status}
        now = timezone.now()
        locked.status = ComplaintStatus.ANSWERED
        locked.response = response
        locked.upheld = upheld if locked.kind == ComplaintKind.COMPLAINT else None
        locked.decision_reason = reason
        locked.handled_by = by
        locked.handled_at = now
        subject, body = _answer_text(locked)
        locked.reply_via = _tell_complainant(locked, by=by, subject=subject, body=body)
        # A consultation's outbox row is written now; a mail is marked sent by its on-commit sender.
        locked.reply_sent_at = now if locked.reply_via not in ("email", "tracking") else None
        locked.save(
            update_fields=[
                "status",
                "response",
                "upheld",
                "decision_reason",
                "handled_by",
                "handled_at",
                "reply_via",
                "reply_sent_at",
            ]
        )
        record(
            "complaint.handled",
            locked,
            by=by,
            office=office,
            before=before,
            after={"status": locked.status, "upheld": locked.upheld, "reply_via": locked.reply_via},
        )
        if locked.upheld:
            open_compensation(
                office,
                by=by,
                reason=_("Pengaduan %(number)s dinyatakan beralasan: %(reason)s")
                % {"number": locked.tracking_number, "reason": reason},
                complaint=locked,
                consultation=locked.consultation,
            )
        _publish_complaint(locked, "complaint.updated")
    for name in (
        "status",
        "response",
        "upheld",
        "decision_reason",
        "handled_by",
        "handled_at",
        "reply_via",
        "reply_sent_at",
    ):
        setattr(complaint, name, getattr(locked, name))
    return complaint


# --- escalation of overdue complaints ----------------------------------------------------------------------------
def escalate_complaint(complaint: Complaint, *, now: datetime) -> bool:
    """Escalate an overdue open complaint to the office above (the province), once.

    The claim is the conditional update `overdue(now).filter(pk=…).update(escalated_at=now, …)`: among workers
    running at once exactly one moves `escalated_at` from NULL (PostgreSQL re-checks the WHERE after the row lock;
    SQLite serialises writers); the others update nothing and return False. The winner writes the audit row and
    tells the province's supervisors and managers (event, and e-mail after commit)."""
    office = complaint.office
    parent = office.parent
    with transaction.atomic():
        claimed = Complaint.objects.overdue(now).filter(pk=complaint.pk).update(escalated_at=now, escalated_to=parent)
        if not claimed:
            return False
        record(
            "complaint.escalated",
            complaint,
            by=SystemActor("complaints"),
            office=office,
            before={"escalated_at": None},
            after={
                "escalated_to": parent.pk if parent else None,
                "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
            },
        )
        people = _supervisors(parent) if parent is not None else []
        groups = [office_group(office.pk)] + ([office_group(parent.pk)] if parent is not None else [])
        publish_on_commit(
            groups + [user_group(p.pk) for p in people],
            {
                "type": "complaint.escalated",
                "office": office.pk,
                "complaint": complaint.pk,
                "to": parent.pk if parent else None,
            },
        )
        recipients = [p.email for p in people if p.email]
        if recipients:
            subject = _("Pengaduan melewati batas waktu: %(number)s (%(office)s)") % {
                "number": complaint.tracking_number,
                "office": office.name,
            }
            body = _("Pengaduan %(number)s belum ditindaklanjuti sampai batas waktu %(due)s.") % {
                "number": complaint.tracking_number,
                "due": format_local(complaint.due_at, office),
            }

            def send() -> None:
                try:
                    send_mail(subject, body, None, recipients)
                except Exception:  # the event and the province's queue carry the escalation
                    log.warning("escalation mail for %s failed", complaint.tracking_number, exc_info=True)

            transaction.on_commit(send)
    complaint.escalated_at, complaint.escalated_to = now, parent
    return True


def escalate_overdue_complaints(now: datetime | None = None, *, limit: int = DETECT_BATCH) -> int:
    """Escalate every open complaint past its deadline; returns how many this call escalated. Safe in any number
    of workers at once (each is claimed once, see `escalate_complaint`)."""
    now = now or timezone.now()
    escalated = 0
    for complaint in list(
        Complaint.objects.overdue(now).select_related("office", "office__parent").order_by("due_at")[:limit]
    ):
        if escalate_complaint(complaint, now=now):
            escalated += 1
    return escalated


__all__ = [
    "DomainError",
    "add_complaint_note",
    "assign_complaint",
    "can_decide_compensation",
    "decide_compensation",
    "detect_breaches",
    "escalate_complaint",
    "escalate_overdue_complaints",
    "file_complaint",
    "file_complaint_from_message",
    "handle_complaint",
    "open_compensation",
    "overdue_first_response",
    "overdue_resolution",
    "record_breach",
    "set_lapor_stage",
]
