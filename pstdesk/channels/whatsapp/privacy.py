"""What the WhatsApp channel keeps of a visitor, and how erasure removes it (registered with `guestbook.erasure` in
this app's `ready`): the raw webhook bodies that mention them (every string naming them or quoting their messages
is replaced; a body that is not JSON is emptied), the recipient of sends and status events, and the rating
dialog's feedback text."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.db.models import Min

from pstdesk.channels.whatsapp.models import OutboundSend, RatingDialog, StatusEvent, WebhookDelivery
from pstdesk.consultations.models import Consultation, Message
from pstdesk.guestbook.erasure import redact


def redact_webhooks(needles: set[str], since: datetime | None) -> int:
    """Rewrite the raw WhatsApp webhook bodies received since `since` that mention a needle."""
    if not needles:
        return 0
    changed = 0
    qs = WebhookDelivery.objects.all()
    if since is not None:
        # The delivery is stored before the consultation it opens; a day's margin covers clocks and retries.
        qs = qs.filter(received_at__gte=since - timedelta(days=1))
    lowered = [n.lower().encode() for n in needles]
    for pk, body in qs.values_list("pk", "body").iterator(chunk_size=500):
        raw = bytes(body)
        if not any(n in raw.lower() for n in lowered):
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            new_body = b""
        else:
            redacted, _hit = redact(data, needles)
            new_body = json.dumps(redacted, ensure_ascii=False).encode()
        WebhookDelivery.objects.filter(pk=pk).update(body=new_body)
        changed += 1
    return changed


def erase_consultations(consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
    message_ids = list(Message.objects.filter(consultation_id__in=consultation_ids).values_list("pk", flat=True))
    since = Consultation.objects.filter(pk__in=consultation_ids).aggregate(first=Min("created_at"))["first"]
    RatingDialog.objects.filter(consultation_id__in=consultation_ids).exclude(feedback="").update(feedback="")
    OutboundSend.objects.filter(message_id__in=message_ids).exclude(recipient="").update(recipient="")
    StatusEvent.objects.filter(message_id__in=message_ids).exclude(recipient_id="").update(recipient_id="", errors=[])
    return {"webhooks": redact_webhooks(needles, since)}
