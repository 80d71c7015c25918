"""Actions of the WhatsApp channel that the console and commands call.

- `send_template(consultation, by=, name=, language=, params=)`: an approved template (the only thing allowed
  outside the 24-hour window), queued as an outbox row through the core's `post_reply`.
- `window_closes_at(consultation)`: when free-form messages stop being allowed (the console's countdown).
- `mark_read(consultation, by=)`: blue ticks for the visitor when an officer opens the conversation.
- `sync_templates(waba_id)`: the template list from `GET /{waba-id}/message_templates` (all pages).
- `reprocess_delivery(delivery)`: process a stored webhook delivery again (idempotent).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.channels.webhooks import Stored
from pstdesk.channels.whatsapp import accounts, client
from pstdesk.channels.whatsapp.models import ReadMark, TemplateStatus, WebhookDelivery, WhatsAppTemplate
from pstdesk.channels.whatsapp.outbound import window_closes_at, window_open
from pstdesk.channels.whatsapp.webhook import process_delivery
from pstdesk.consultations.access import staff_can_access
from pstdesk.consultations.actions import post_reply
from pstdesk.consultations.models import Direction, Message
from pstdesk.lib.actors import Actor, SystemActor, is_system, is_user
from pstdesk.lib.errors import InvalidInput, NotAllowed

log = logging.getLogger(__name__)

__all__ = [
    "approved_templates",
    "mark_read",
    "reprocess_delivery",
    "send_read_mark",
    "send_template",
    "sync_templates",
    "window_closes_at",
    "window_open",
]


TEMPLATE_SYNC = SystemActor("whatsapp")


def _check_staff(consultation: Any, by: Actor) -> None:

    # Admits the system and a staff user who may see the consultation; never a visitor, a channel or a command.
    if not (is_system(by) or (is_user(by) and staff_can_access(by, consultation))):
        raise NotAllowed(_("Konsultasi tidak ditemukan."))


def approved_templates(consultation: Any) -> list[WhatsAppTemplate]:
    """The templates an officer may send in this consultation (its office's WABA, approved)."""
    waba = accounts.business_account_id(consultation.office_id)
    return list(WhatsAppTemplate.objects.filter(waba_id=waba, status=TemplateStatus.APPROVED))


def send_template(
    consultation: Any, *, by: Actor, name: str, language: str, params: list[str] | tuple[str, ...] = ()
) -> Any:
    """Queue an approved template to the visitor (allowed in and outside the 24-hour window). The body shown in
    the transcript is the template's text with the parameters filled in. Refused with a clear error when the
    consultation is not a WhatsApp one, the template is not approved for the office, or the parameter count is
    wrong. Returns the outbox `Message` (the core's `post_reply` writes the audit row and the event)."""

    _check_staff(consultation, by)
    if consultation.channel != "whatsapp":
        raise InvalidInput(_("Templat WhatsApp hanya untuk konsultasi melalui WhatsApp."))
    template = WhatsAppTemplate.objects.filter(
        waba_id=accounts.business_account_id(consultation.office_id), name=name, language=language
    ).first()
    if template is None or template.status != TemplateStatus.APPROVED:
        raise InvalidInput(
            _("Templat %(name)s (%(language)s) tidak tersedia atau belum disetujui untuk kantor ini.")
            % {"name": name, "language": language}
        )
    params = [" ".join(str(p).split()) for p in params]
    if len(params) != template.body_param_count:
        raise InvalidInput(
            _("Templat %(name)s memerlukan %(n)d parameter, diberikan %(given)d.")
            % {"name": name, "n": template.body_param_count, "given": len(params)}
        )
    if any(not p or len(p) > 1024 for p in params):
        raise InvalidInput(_("Parameter templat tidak boleh kosong atau lebih dari 1024 karakter."))
    text = template.body_text
    for index, value in enumerate(params, start=1):
        text = text.replace("{{" + str(index) + "}}", value)
    return post_reply(
        consultation,
        by=by,
        body=text or name,
        payload={"whatsapp_template": {"name": name, "language": language, "params": params}},
    )


def mark_read(consultation: Any, *, by: Actor) -> bool:
    """Mark the visitor's latest WhatsApp message as read (WhatsApp then shows every earlier one as read too).
    Called by the console when an officer opens the conversation; does nothing if it is already marked. Returns
    whether a mark was sent. A failure of the API is logged and changes nothing (it is a courtesy)."""
    _check_staff(consultation, by)
    return send_read_mark(consultation)


def send_read_mark(consultation: Any) -> bool:
    """`mark_read` without the caller check: what the outbox worker runs (the adapter's `mark_read` capability)
    after the console's read verb, which has already checked the officer."""

    phone_number_id = accounts.phone_number_id(consultation.office_id) if consultation.channel == "whatsapp" else ""
    if not phone_number_id:
        return False
    latest = (
        Message.objects.filter(
            consultation=consultation, direction=Direction.IN, channel="whatsapp", external_id__isnull=False
        )
        .order_by("-seq")
        .values_list("external_id", flat=True)
        .first()
    )
    if not latest:
        return False
    mark = ReadMark.objects.filter(consultation=consultation).first()
    if mark is not None and mark.wamid == latest:
        return False
    try:
        client.mark_read(phone_number_id, latest)
    except client.GraphError as exc:
        log.warning("mark-as-read of %s failed: %s", latest, exc)
        return False
    ReadMark.objects.update_or_create(consultation=consultation, defaults={"wamid": latest})
    return True


def sync_templates(waba_id: str, *, by: Actor = TEMPLATE_SYNC) -> dict[str, int]:
    """Fetch every template of a WABA (following paging) and store them; templates gone from Meta are removed.
    Returns counts. One audit row per sync with the counts."""
    if not waba_id:
        raise InvalidInput(_("Kantor belum punya ID WhatsApp Business Account."))
    rows = list(client.iter_templates(waba_id))
    with transaction.atomic():
        seen: list[int] = []
        created = 0
        for row in rows:
            name, language = str(row.get("name", "")), str(row.get("language", ""))
            if not name or not language:
                continue
            template, made = WhatsAppTemplate.objects.update_or_create(
                waba_id=waba_id,
                name=name,
                language=language,
                defaults={
                    "template_id": str(row.get("id", "")),
                    "status": str(row.get("status", "")).upper(),
                    "category": str(row.get("category", "")),
                    "components": row.get("components") or [],
                },
            )
            created += int(made)
            seen.append(template.pk)
        removed, _counts = WhatsAppTemplate.objects.filter(waba_id=waba_id).exclude(pk__in=seen).delete()
        counts = {"templates": len(seen), "created": created, "removed": removed}
        office = _office_of_waba(waba_id)
        if office is not None:
            record("whatsapp.templates_synced", office, by=by, office=office, after=counts)
    return counts


def _office_of_waba(waba_id: str) -> Any:
    return accounts.office_of_business_account(waba_id)


def reprocess_delivery(delivery: WebhookDelivery) -> str:
    """Process a stored webhook delivery again (after a fix, or when it failed for a reason that passed); returns
    the delivery's new state."""

    WebhookDelivery.objects.filter(pk=delivery.pk).update(attempts=delivery.attempts + 1)
    return process_delivery(Stored(pk=delivery.pk, body=bytes(delivery.body))).state
