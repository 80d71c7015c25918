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

import logging
from collections.abc import Iterable
from typing import Any, Protocol

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pstdesk.audit.actions import record
from pstdesk.audit.models import AuditLog
from pstdesk.guestbook.actions import erase_visitor
from pstdesk.guestbook.models import PrivacyRequest, Visitor, VisitorIdentity, VisitorMerge
from pstdesk.lib.actors import Actor

log = logging.getLogger(__name__)

ERASED = "[dihapus]"
MIN_NEEDLE = 4  # shorter strings ("Ani") would match unrelated text in raw payloads


def visitor_ids_of(visitor: Any) -> list[int]:
    """The visitor and every identity merged into them (transitively)."""

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

    needles: set[str] = set()
    ids = list(visitor_ids)
    for visitor in Visitor.objects.filter(pk__in=ids):
        for text in (visitor.name, visitor.email):
            if text:
                needles.add(str(text))
        if visitor.whatsapp:
            needles |= _number_forms(str(visitor.whatsapp))
    for key in VisitorIdentity.objects.filter(visitor_id__in=ids).values_list("key", flat=True):
        # Any channel key: an address, an id; one of digits is a number, found in its usual spellings too.
        needles.add(key)
        if key.isdigit():
            needles |= _number_forms(key)
    return {n for n in needles if len(n) >= MIN_NEEDLE}


def redact(value: Any, needles: set[str]) -> tuple[Any, bool]:
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
            new, hit = redact(item, needles)
            out.append(new)
            changed = changed or hit
        return out, changed
    if isinstance(value, dict):
        changed = False
        result = {}
        for key, item in value.items():
            new, hit = redact(item, needles)
            result[key] = new
            changed = changed or hit
        return result, changed
    return value, False


# --- the apps that keep a visitor's data ----------------------------------------------------------------------
# The guestbook sits below the consultations, complaints and channels; they register what they keep here (in their
# AppConfig.ready), so erasure reaches their data without the guestbook importing them.


class PersonalDataHolder(Protocol):
    """An app that keeps a visitor's data outside the guestbook. Each method is optional."""

    def consultations_of(self, visitor_ids: list[int]) -> list[int]:
        """The ids of the visitors' consultations."""

    def needles_of(self, consultation_ids: list[int]) -> set[str]:
        """Strings that identify the visitors in these consultations (their own words, to find them quoted in raw
        payloads); gathered from every holder before any erases."""

    def erase_consultations(self, consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
        """Erase the text of these consultations (see the module docstring); counts per kind of row."""

    def erase_visitors(self, visitor_ids: list[int], consultation_ids: list[int], needles: set[str]) -> dict[str, int]:
        """Erase what is kept of these visitors outside their consultations' text; counts per kind of row."""

    def export_visitors(self, visitor_ids: list[int]) -> tuple[dict[str, Any], dict[str, list[Any]]]:
        """The visitors' data for their export (sections of the export) and the audit subjects it covers
        ({"consultations.consultation": [pks]}), for the processing trail."""

    def latest_office(self, visitor_ids: list[int]) -> Any:
        """The office of the visitors' latest contact (which decides their privacy requests), or None."""

    def tell_visitor(self, visitor_ids: list[int], text: str, *, private: bool = False) -> bool:
        """Send `text` to the visitors through a conversation they have (True when it went out); a `private` text
        is for the visitor's eyes only (staff see that it was sent, not what it says)."""

    def visitors_at(self, office_codes: list[str]) -> Any:
        """A `Q` on `Visitor` for the visitors who dealt with these offices (the staff may see them)."""

    def content_exists(self) -> Any:
        """A `Q` on `Consultation` (as `OuterRef("pk")`) for the consultations whose content the holder still
        keeps (the retention job's candidates)."""


HOLDERS: list[Any] = []


def register_holder(holder: Any) -> Any:
    """Add an app's `PersonalDataHolder` (a module or an object) once."""
    if holder not in HOLDERS:
        HOLDERS.append(holder)
    return holder


def holders(method: str) -> list[Any]:
    """The registered holders' `method`, for those that have it (in registration order)."""
    return [getattr(holder, method) for holder in HOLDERS if hasattr(holder, method)]


def consultations_of(visitor_ids: list[int]) -> list[int]:
    return [pk for find in holders("consultations_of") for pk in find(visitor_ids)]


def erase_consultations_content(consultation_ids: list[int], *, needles: set[str] | None = None) -> dict[str, int]:
    """Remove the text of the given consultations everywhere it is kept (see the module docstring), keeping the
    rows the reports count. Idempotent: running it again finds nothing left to erase. Returns counts of changed
    rows. The caller holds the transaction and writes the audit row."""
    counts: dict[str, int] = {}
    if not consultation_ids:
        return counts
    needles = set(needles or ())
    for needles_of in holders("needles_of"):
        needles |= needles_of(consultation_ids)
    for erase in holders("erase_consultations"):
        counts.update(erase(consultation_ids, needles))
    return counts


def redact_records(needles: set[str], visitor_ids: list[int]) -> int:
    """Replace any value naming the visitors in audit rows and merge records (they should hold none)."""

    changed = 0
    if not needles:
        return 0
    query = Q()
    for needle in needles:
        query |= Q(before__icontains=needle) | Q(after__icontains=needle)
    for row in AuditLog.objects.filter(query).only("pk", "before", "after"):
        before, hit_before = redact(row.before, needles)
        after, hit_after = redact(row.after, needles)
        if hit_before or hit_after:
            # Marked redacted: the audit chain (audit/chain.py) keeps verifying on its stored digest.
            AuditLog.objects.filter(pk=row.pk).update(before=before, after=after, redacted_at=timezone.now())
            changed += 1
    for merge in VisitorMerge.objects.filter(Q(target_id__in=visitor_ids) | Q(source_id__in=visitor_ids)):
        moved, hit = redact(merge.moved, needles)
        if hit:
            VisitorMerge.objects.filter(pk=merge.pk).update(moved=moved)
            changed += 1
    return changed


def erase_visitor_data(visitor: Any, *, by: Actor) -> dict[str, int]:
    """Erase everything the desk keeps about `visitor` (the right to deletion, approved by the office's manager,
    or the visitor's own request). One transaction; audit rows "visitor.erased" (identity) and
    "visitor.data_erased" (the counts). Refused (NotAllowed) as `guestbook.actions.erase_visitor` refuses."""

    with transaction.atomic():
        ids = visitor_ids_of(visitor)
        needles = identity_needles(ids)
        consultation_ids = consultations_of(ids)
        erase_visitor(visitor, by=by)  # identity first: it checks who may erase, and refuses a second erasure
        counts = erase_consultations_content(consultation_ids, needles=needles)
        counts["privacy_requests"] = (
            PrivacyRequest.objects.filter(visitor_id__in=ids).exclude(details={}).update(details={})
        )
        for erase in holders("erase_visitors"):
            counts.update(erase(ids, consultation_ids, needles))
        counts["records"] = redact_records(needles, ids)
        record("visitor.data_erased", visitor, by=by, after={"visitors": ids, **counts})
    return counts
