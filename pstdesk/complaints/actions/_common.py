"""What the complaint, compensation and breach actions share: who may act, who is told, and how."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import Role, User
from pstdesk.complaints.models import Complaint
from pstdesk.consultations.actions import post_automatic_message
from pstdesk.consultations.models import Consultation
from pstdesk.lib.actors import Actor, SystemActor
from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office

log = logging.getLogger("pstdesk.complaints.actions")

SYSTEM_ACTOR = SystemActor("sla")
COMPLAINT_MAX_CHARS = 5000
DETECT_BATCH = 500
STAFF_ROLES: set[str] = {Role.OFFICER, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}
SUPERVISING_ROLES: set[str] = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


def _supervisors(office: Office) -> list[User]:
    return list(
        User.objects.filter(office=office, is_active=True, role__in=[Role.SUPERVISOR, Role.MANAGER]).order_by("pk")
    )


def _is_staff_of(user: Any, office: Office, roles: set[str]) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in roles and visible_offices(user).filter(pk=office.pk).exists()


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


def _tell_complainant(complaint: Complaint, *, by: Actor, subject: str, body: str) -> str:
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
