"""State changes of the complaint register (complaints, suggestions and input from every published source):
filed, assigned, noted, answered through the complainant's channel, escalated when overdue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.complaints.actions._common import (
    COMPLAINT_MAX_CHARS,
    DETECT_BATCH,
    STAFF_ROLES,
    SUPERVISING_ROLES,
    _is_staff_of,
    _supervisors,
    _tell_complainant,
    _validate_text,
    format_local,
    log,
)
from pstdesk.complaints.actions.compensation import open_compensation
from pstdesk.complaints.models import (
    EXTERNAL_SOURCES,
    OPEN_STATUSES,
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
from pstdesk.consultations.models import Consultation, Direction, Message, MessageKind
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import Actor, ChannelActor, SystemActor, is_channel, is_system, is_user, is_visitor
from pstdesk.lib.errors import DomainError, InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit, user_group
from pstdesk.offices.models import Office

# Which action may run in which status: the one table (`_check`). Notes and LAPOR! stages may follow the answer.
COMPLAINT_TRANSITIONS: dict[str, frozenset[str]] = {
    "assign": frozenset(OPEN_STATUSES),
    "note": frozenset(ComplaintStatus.values),
    "answer": frozenset(OPEN_STATUSES),
    "lapor_stage": frozenset(ComplaintStatus.values),
}
# A message turned into a complaint keeps its consultation's channel as the source.
_CHANNEL_SOURCES = {"whatsapp": ComplaintSource.WHATSAPP, "email": ComplaintSource.EMAIL}


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


def file_complaint(
    office: Office,
    *,
    kind: str,
    text: str,
    by: Actor | None = None,
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
    # Admits a channel (the public form), a visitor, the system, and staff of the office; never a command.
    if not (
        is_channel(by) or is_visitor(by) or is_system(by) or (is_user(by) and _is_staff_of(by, office, STAFF_ROLES))
    ):
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


def file_complaint_from_message(message: Message, *, by: User, kind: str = ComplaintKind.COMPLAINT) -> Complaint:
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


def assign_complaint(complaint: Complaint, *, by: User, to: User | None) -> Complaint:
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


def add_complaint_note(complaint: Complaint, *, by: User, body: str) -> ComplaintNote:
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


def set_lapor_stage(complaint: Complaint, *, by: User, stage: str) -> Complaint:
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
    complaint: Complaint, *, by: User, response: str, upheld: bool | None = None, reason: str = ""
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
        locked = (
            Complaint.objects.select_for_update(of=("self",)).select_related("office", "visitor").get(pk=complaint.pk)
        )
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
