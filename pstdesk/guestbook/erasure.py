"""Erasure that erases (UU 27/2022): a visitor's personal data is removed from every place the desk keeps it, while
the rows the reports count stay (consultation, office, channel, dates, status, topic, rating score, the coded
guestbook answers).

What is removed or anonymised, for the visitor and every identity merged into them:
- identity: name, e-mail, WhatsApp number and ids, the e-mail channel's sender address (`guestbook.actions.
  erase_visitor`), pending verification codes, widget sessions, the details of their privacy requests;
- consultations: the title (the first message's text); every message's text, payload (sender address, subject)
  and delivery error, in both directions and notes too (an officer's reply quotes and names the visitor);
  attachments (rows and files);
- the rating's feedback text, replaced by the erasure mark (the score, the integrity answers and the fact that
  feedback was given stay: the report counts ratings with feedback), and the WhatsApp rating dialog's text;
- e-mail: the raw stored messages, their sender and subject; the addresses and subjects of mails sent to them;
- WhatsApp: the raw webhook bodies that mention them (every string naming them or quoting their messages is
  replaced; a body that is not JSON is emptied), the recipient of sends and status events;
- audit rows and merge records: any value naming them is replaced (by design they hold none).

`erase_consultations_content` is also what the retention job (`pstdesk retention`) applies to old consultations.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

log = logging.getLogger(__name__)

ERASED = "[dihapus]"
MIN_NEEDLE = 4  # shorter strings ("Ani") would match unrelated text in raw payloads


def visitor_ids_of(visitor: Any) -> list[int]:
    """The visitor and every identity merged into them (transitively)."""
    from pstdesk.guestbook.models import Visitor

    ids = [visitor.pk]
    frontier = [visitor.pk]
    while frontier:
        frontier = list(Visitor.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


def _number_forms(number: str) -> set[str]:
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 6:
        return set()
    forms = {number, digits, "+" + digits}
    if digits.startswith("62"):
        forms.add("0" + digits[2:])
    return {f for f in forms if f}


def identity_needles(visitor_ids: Iterable[int]) -> set[str]:
    """The strings that identify the visitors: names, addresses, numbers in their usual spellings, WhatsApp ids."""
    from pstdesk.guestbook.models import Visitor

    needles: set[str] = set()
    for visitor in Visitor.objects.filter(pk__in=list(visitor_ids)):
        for text in (visitor.name, visitor.email, visitor.email_channel_address, visitor.wa_user_id):
            if text:
                needles.add(str(text))
        for number in (visitor.whatsapp, visitor.wa_id):
            if number:
                needles |= _number_forms(str(number))
    return {n for n in needles if len(n) >= MIN_NEEDLE}


def _redact(value: Any, needles: set[str]) -> tuple[Any, bool]:
    """`value` (decoded JSON) with every string that contains a needle replaced; and whether anything changed."""
    if isinstance(value, str):
        lowered = value.lower()
        if any(n.lower() in lowered for n in needles):
            return ERASED, True
        return value, False
    if isinstance(value, list):
        changed = False
        out = []
        for item in value:
            new, hit = _redact(item, needles)
            out.append(new)
            changed = changed or hit
        return out, changed
    if isinstance(value, dict):
        changed = False
        result = {}
        for key, item in value.items():
            new, hit = _redact(item, needles)
            result[key] = new
            changed = changed or hit
        return result, changed
    return value, False


def _redact_webhooks(needles: set[str], since: Any) -> int:
    """Rewrite the raw WhatsApp webhook bodies received since `since` that mention a needle."""
    try:
        from pstdesk.channels.whatsapp.models import WebhookDelivery
    except ImportError:  # pragma: no cover - the channel app is always installed in this project
        return 0
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
            redacted, _hit = _redact(data, needles)
            new_body = json.dumps(redacted, ensure_ascii=False).encode()
        WebhookDelivery.objects.filter(pk=pk).update(body=new_body)
        changed += 1
    return changed


def erase_consultations_content(consultation_ids: list[int], *, needles: set[str] | None = None) -> dict[str, int]:
    """Remove the text of the given consultations everywhere it is kept (see the module docstring), keeping the
    rows the reports count. Idempotent: running it again finds nothing left to erase. Returns counts of changed
    rows. The caller holds the transaction and writes the audit row."""
    from pstdesk.channels.email.models import InboundEmail, OutboundEmail
    from pstdesk.channels.whatsapp.models import OutboundSend, RatingDialog, StatusEvent
    from pstdesk.consultations.models import Attachment, Consultation, Message
    from pstdesk.ratings.models import Rating

    counts: dict[str, int] = {}
    if not consultation_ids:
        return counts
    needles = set(needles or ())
    messages = Message.objects.filter(consultation_id__in=consultation_ids)
    # The visitor's own words, to find them quoted in raw WhatsApp payloads.
    needles |= {
        body
        for body in messages.filter(direction="in").exclude(body="").values_list("body", flat=True)
        if len(body) >= MIN_NEEDLE
    }
    since = Consultation.objects.filter(pk__in=consultation_ids).aggregate(first=Min("created_at"))["first"]

    counts["consultations"] = Consultation.objects.filter(pk__in=consultation_ids).exclude(title="").update(title="")
    counts["messages"] = messages.filter(~Q(body="") | ~Q(payload={}) | ~Q(delivery_error="")).update(
        body="", payload={}, delivery_error=""
    )
    attachments = Attachment.objects.filter(message__consultation_id__in=consultation_ids)
    counts["attachments"] = 0
    for attachment in attachments:
        name = attachment.file.name or ""
        storage = attachment.file.storage
        # Delete the file after the rows are gone for good (a rollback must not lose a file still referenced).
        transaction.on_commit(functools.partial(_delete_file, storage, name))
        counts["attachments"] += 1
    attachments.delete()
    # The feedback's words go; that there was feedback stays (the report counts ratings with feedback).
    counts["ratings"] = (
        Rating.objects.filter(consultation_id__in=consultation_ids)
        .exclude(feedback__in=["", ERASED])
        .update(feedback=ERASED)
    )
    RatingDialog.objects.filter(consultation_id__in=consultation_ids).exclude(feedback="").update(feedback="")
    inbound = InboundEmail.objects.filter(consultation_id__in=consultation_ids)
    counts["raw_emails"] = inbound.filter(~Q(raw=b"") | ~Q(sender="") | ~Q(subject="")).update(
        raw=b"", sender="", subject="", error=""
    )
    counts["sent_emails"] = (
        OutboundEmail.objects.filter(consultation_id__in=consultation_ids)
        .filter(~Q(to_address="") | ~Q(subject=""))
        .update(to_address="", subject="")
    )
    message_ids = list(messages.values_list("pk", flat=True))
    OutboundSend.objects.filter(message_id__in=message_ids).exclude(recipient="").update(recipient="")
    StatusEvent.objects.filter(message_id__in=message_ids).exclude(recipient_id="").update(recipient_id="", errors=[])
    counts["webhooks"] = _redact_webhooks(needles, since)
    return counts


def _delete_file(storage: Any, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:  # already gone: the goal is reached
        log.info("attachment file %s already removed", name)


def redact_records(needles: set[str], visitor_ids: list[int]) -> int:
    """Replace any value naming the visitors in audit rows and merge records (they should hold none)."""
    from pstdesk.audit.models import AuditLog
    from pstdesk.guestbook.models import VisitorMerge

    changed = 0
    if not needles:
        return 0
    query = Q()
    for needle in needles:
        query |= Q(before__icontains=needle) | Q(after__icontains=needle)
    for row in AuditLog.objects.filter(query).only("pk", "before", "after"):
        before, hit_before = _redact(row.before, needles)
        after, hit_after = _redact(row.after, needles)
        if hit_before or hit_after:
            # Marked redacted: the audit chain (audit/chain.py) keeps verifying on its stored digest.
            AuditLog.objects.filter(pk=row.pk).update(before=before, after=after, redacted_at=timezone.now())
            changed += 1
    for merge in VisitorMerge.objects.filter(Q(target_id__in=visitor_ids) | Q(source_id__in=visitor_ids)):
        moved, hit = _redact(merge.moved, needles)
        if hit:
            VisitorMerge.objects.filter(pk=merge.pk).update(moved=moved)
            changed += 1
    return changed


def erase_complaints_content(visitor_ids: list[int], consultation_ids: list[int], needles: set[str]) -> int:
    """Complaints the visitors made (linked to them or their consultations, or naming their address or number as
    the contact): the text and the contact are erased, the notes and the office's answer redacted; kind, source,
    status, dates and verdict stay for the reports."""
    from pstdesk.complaints.models import Complaint, ComplaintNote

    query = Q(visitor_id__in=visitor_ids) | Q(consultation_id__in=consultation_ids)
    for needle in needles:
        query |= Q(contact__iexact=needle)
    complaints = list(Complaint.objects.filter(query).only("pk", "response"))
    for complaint in complaints:
        response, _hit = _redact(complaint.response, needles)
        Complaint.objects.filter(pk=complaint.pk).update(text=ERASED, contact="", response=response)
    for note in ComplaintNote.objects.filter(complaint__in=[c.pk for c in complaints]).only("pk", "body"):
        body, hit = _redact(note.body, needles)
        if hit:
            ComplaintNote.objects.filter(pk=note.pk).update(body=body)
    return len(complaints)


def erase_visitor_data(visitor: Any, *, by: Any) -> dict[str, int]:
    """Erase everything the desk keeps about `visitor` (the right to deletion, approved by the office's manager,
    or the visitor's own request). One transaction; audit rows "visitor.erased" (identity) and
    "visitor.data_erased" (the counts). Refused (NotAllowed) as `guestbook.actions.erase_visitor` refuses."""
    from pstdesk.audit.actions import record
    from pstdesk.channels.web.models import WidgetSession
    from pstdesk.consultations.models import Consultation
    from pstdesk.guestbook.actions import erase_visitor
    from pstdesk.guestbook.models import PrivacyRequest

    with transaction.atomic():
        ids = visitor_ids_of(visitor)
        needles = identity_needles(ids)
        consultation_ids = list(Consultation.objects.filter(visitor_id__in=ids).values_list("pk", flat=True))
        erase_visitor(visitor, by=by)  # identity first: it checks who may erase, and refuses a second erasure
        counts = erase_consultations_content(consultation_ids, needles=needles)
        counts["widget_sessions"] = WidgetSession.objects.filter(visitor_id__in=ids).delete()[0]
        counts["privacy_requests"] = (
            PrivacyRequest.objects.filter(visitor_id__in=ids).exclude(details={}).update(details={})
        )
        counts["complaints"] = erase_complaints_content(ids, consultation_ids, needles)
        counts["records"] = redact_records(needles, ids)
        record("visitor.data_erased", visitor, by=by, after={"visitors": ids, **counts})
    return counts
