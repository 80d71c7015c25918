"""State changes of compensation cases: opened (by the breach worker, an upheld complaint, or by hand) and decided
once by the service manager, who picks one of the office's compensation options or declines; the visitor is told."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.complaints.actions._common import (
    _is_staff_of,
    _tell_complainant,
)
from pstdesk.complaints.models import (
    Breach,
    Compensation,
    CompensationOption,
    CompensationStatus,
    Complaint,
)
from pstdesk.complaints.policy import tracking_url
from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.models import Consultation
from pstdesk.lib.actors import Actor, actor_label, is_system, is_user
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.models import Office


def open_compensation(
    office: Office,
    *,
    by: Actor,
    reason: str,
    consultation: Consultation | None = None,
    breach: Breach | None = None,
    complaint: Complaint | None = None,
) -> Compensation:
    """Open a compensation case for `office`: by the system (the breach worker) or by hand by a supervisor,
    manager or admin who sees the office. The case waits for the service manager's decision.

    Refuses (`NotAllowed`) any other caller, (`InvalidInput`) an empty reason or a consultation/complaint of
    another office.
    """
    if not (is_system(by) or (is_user(by) and _is_staff_of(by, office, {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}))):
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
            opened_by=by if is_user(by) else None,
            opened_by_label=actor_label(by),
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


def _tell_visitor_of_decision(case: Compensation, *, by: Actor) -> str:
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
    by: User,
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
            Compensation.objects.select_for_update(of=("self",))
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
