"""Which consultation an incoming mail continues, by three keys in order:

1. a signed reply address: our Reply-To is `bps5101+c<id>-<mac>@domain`; the MAC is an HMAC (Django's
   `salted_hmac`, the primitive under `django.core.signing`) in lower-case hex, because some mail servers fold the
   local part's case, which would break a base64 signature;
2. Message-ID / In-Reply-To / References against the ids we stored — our own outgoing ids (`OutboundEmail`, the
   outbox `Message.external_id`) and the visitor's earlier ones (`InboundEmail`, inbound `Message.external_id`) —
   accepted only from the consultation's own visitor address: a Message-ID is no secret (anyone copied on a
   thread, or any mail server on the way, knows it), so it must not let a stranger post into a consultation;
3. a subject tag `[PST#<id>]`, accepted only from the consultation's own visitor (a tag is guessable).

Only the signed reply address (1) threads mail from another address (the visitor writing from a second one).

None of them: a new consultation. Every key is limited to the mailbox's office. Clients that rewrite the subject
still match by 1 or 2; clients that drop References still match by 1, In-Reply-To, or 3.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

from pstdesk.channels.email.models import InboundEmail, Mailbox, OutboundEmail
from pstdesk.channels.email.parsing import ParsedEmail
from pstdesk.consultations.models import Consultation, Message

_SALT = "pstdesk.email.reply-address"
_TOKEN = re.compile(r"^c(\d{1,12})-([0-9a-f]{20})$")
_TAG = re.compile(r"\[PST#(\d{1,12})\]", re.IGNORECASE)


def _mac(office_code: str, consultation_id: int) -> str:
    return salted_hmac(_SALT, f"{office_code}:{consultation_id}", algorithm="sha256").hexdigest()[:20]


def reply_token(office_code: str, consultation_id: int) -> str:
    return f"c{consultation_id}-{_mac(office_code, consultation_id)}"


def reply_address(mailbox: Mailbox, consultation_id: int) -> str:
    """The signed plus-address replies to this consultation go to."""
    return f"{mailbox.local_part}+{reply_token(mailbox.office_id, consultation_id)}@{mailbox.domain}"


_BOUNCE_SALT = "pstdesk.email.bounce-address"
_BOUNCE_TOKEN = re.compile(r"^b(\d{1,12})-([0-9a-f]{20})$")


def _bounce_mac(office_code: str, outbox_id: int) -> str:
    return salted_hmac(_BOUNCE_SALT, f"{office_code}:{outbox_id}", algorithm="sha256").hexdigest()[:20]


def bounce_address(mailbox: Mailbox, outbox_id: int) -> str:
    """The envelope sender (VERP) of one outbox mail: `bps5101+b<outbox id>-<mac>@domain`. A bounce comes back to
    it, naming the mail it returns by a signature nobody else can make."""
    return f"{mailbox.local_part}+b{outbox_id}-{_bounce_mac(mailbox.office_id, outbox_id)}@{mailbox.domain}"


def read_bounce_address(mailbox: Mailbox, address: str) -> int | None:
    """The outbox id of a VERP address of this mailbox, or None (not ours, or a forged signature)."""
    local, _sep, domain = address.strip().lower().rpartition("@")
    prefix = mailbox.local_part.lower() + "+"
    if domain != mailbox.domain.lower() or not local.startswith(prefix):
        return None
    found = _BOUNCE_TOKEN.match(local[len(prefix) :])
    if not found:
        return None
    outbox_id = int(found.group(1))
    if not hmac.compare_digest(found.group(2), _bounce_mac(mailbox.office_id, outbox_id)):
        return None
    return outbox_id


def read_reply_token(office_code: str, token: str) -> int | None:
    found = _TOKEN.match(token.strip().lower())
    if not found:
        return None
    consultation_id = int(found.group(1))
    if not hmac.compare_digest(found.group(2), _mac(office_code, consultation_id)):
        return None
    return consultation_id


@dataclass(frozen=True)
class Thread:
    consultation_id: int | None
    key: str  # token | references | subject | new
    refused: str = ""  # why a key that matched was not trusted (shown to officers with the mail)


def _by_token(mailbox: Mailbox, parsed: ParsedEmail) -> int | None:
    prefix = mailbox.local_part.lower() + "+"
    for address in parsed.recipients:
        local = address.rsplit("@", 1)[0]
        if local.startswith(prefix):
            found = read_reply_token(mailbox.office_id, local[len(prefix) :])
            if found is not None:
                return found
    return None


def _by_references(mailbox: Mailbox, parsed: ParsedEmail) -> int | None:

    ids = [mid for mid in parsed.thread_ids if mid != parsed.message_id][:50]
    if not ids:
        return None
    found: dict[str, int] = {}
    for mid, cid in OutboundEmail.objects.filter(
        message_id__in=ids, consultation__office_id=mailbox.office_id
    ).values_list("message_id", "consultation_id"):
        found.setdefault(mid, cid)
    for mid, cid in InboundEmail.objects.filter(
        mailbox=mailbox, message_id__in=ids, consultation__isnull=False
    ).values_list("message_id", "consultation_id"):
        found.setdefault(mid, cid)
    for external_id, cid in Message.objects.filter(
        channel="email", external_id__in=ids, consultation__office_id=mailbox.office_id
    ).values_list("external_id", "consultation_id"):
        if external_id is not None:  # always set here (filtered by external_id__in); the column is nullable
            found.setdefault(external_id, cid)
    for mid in ids:  # the most recent reference that we know wins
        if mid in found:
            return found[mid]
    return None


def _from_visitor(mailbox: Mailbox, consultation_id: int, parsed: ParsedEmail) -> bool:
    """Whether the mail comes from the address of the consultation's own visitor (of this office)."""

    if not parsed.from_address:
        return False
    consultation = (
        Consultation.objects.filter(pk=consultation_id, office_id=mailbox.office_id).select_related("visitor").first()
    )
    if consultation is None:
        return False
    visitor = consultation.visitor
    addresses = {(visitor.email or "").lower(), (visitor.identity("email") or "").lower()} - {""}
    return parsed.from_address in addresses


def _by_subject(mailbox: Mailbox, parsed: ParsedEmail) -> int | None:
    for match in _TAG.finditer(parsed.subject):
        if _from_visitor(mailbox, int(match.group(1)), parsed):
            return int(match.group(1))
    return None


def find_thread(mailbox: Mailbox, parsed: ParsedEmail) -> Thread:

    refused = ""
    for key, finder in (("token", _by_token), ("references", _by_references), ("subject", _by_subject)):
        consultation_id = finder(mailbox, parsed)
        if consultation_id is None:
            continue
        if key == "references" and not _from_visitor(mailbox, consultation_id, parsed):
            refused = f"references PST#{consultation_id}, but {parsed.from_address or '?'} is not its visitor's address"
            continue
        if Consultation.objects.filter(pk=consultation_id, office_id=mailbox.office_id).exists():
            return Thread(consultation_id, key)
    return Thread(None, "new", refused)
