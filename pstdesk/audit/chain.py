"""The audit rows of each office form a hash chain, so a row edited or deleted afterwards is detectable.

Writing a row stays one INSERT (the actions' cost is unchanged). A sealer (`seal_chains`, the periodic task
`audit.tasks.seal_audit_chains`, every minute) then takes each office's unsealed rows in id order and gives them
the next `chain_seq`, `prev_hash` (the hash of the office's previous sealed row) and `hash` = SHA-256 of the row's
canonical content with its `chain_seq` and `prev_hash`. The office's `ChainHead` row is locked while sealing, so
several sealers never fork a chain. `verify_chain(office)` walks the chain in `chain_seq` order and reports the
first row whose content no longer matches its hash (edited) or whose `prev_hash`/`chain_seq` does not follow its
predecessor (a row deleted or inserted). The chain hashes a digest of each row's `before`/`after` values
(`payload_hash`), so an erasure may redact personal data in them (marking `redacted_at`) and the chain still
verifies; any other change of the values is reported. Rows written in the last minute are not sealed yet: they
are counted, and covered at the next seal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from pstdesk.audit.models import AuditLog, ChainHead

SEAL_BATCH = 5000


def payload_digest(row: AuditLog) -> str:
    """The SHA-256 of the row's `before` and `after` values."""
    canonical = json.dumps(
        {"before": row.before, "after": row.after},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def row_digest(row: AuditLog, *, chain_seq: int, prev_hash: str) -> str:
    """The SHA-256 of the row's content (its values through `payload_hash`), its place in the chain and its
    predecessor's hash."""
    content = {
        "id": row.pk,
        "created_at": row.created_at.isoformat(),
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "office": row.office_id or "",
        "verb": row.verb,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "payload": row.payload_hash,
        "chain_seq": chain_seq,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _office_filter(key: str) -> Q:
    return Q(office__isnull=True) if key == "" else Q(office_id=key)


def seal_office(key: str) -> int:
    """Seal the office's unsealed rows (at most `SEAL_BATCH`); returns how many."""
    with transaction.atomic():
        ChainHead.objects.get_or_create(office_key=key)
        head = ChainHead.objects.select_for_update().get(office_key=key)
        rows = list(AuditLog.objects.filter(_office_filter(key), chain_seq__isnull=True).order_by("id")[:SEAL_BATCH])
        seq, prev = head.last_seq, head.last_hash
        for row in rows:
            seq += 1
            row.chain_seq, row.prev_hash = seq, prev
            row.payload_hash = payload_digest(row)
            row.hash = prev = row_digest(row, chain_seq=seq, prev_hash=row.prev_hash)
        if rows:
            AuditLog.objects.bulk_update(rows, ["chain_seq", "prev_hash", "payload_hash", "hash"], batch_size=500)
            head.last_seq, head.last_hash = seq, prev
            head.save(update_fields=["last_seq", "last_hash"])
    return len(rows)


def seal_chains() -> int:
    """Seal the unsealed rows of every office. Returns how many rows were sealed."""
    unsealed = AuditLog.objects.filter(chain_seq__isnull=True).order_by().values_list("office", flat=True)
    keys = {office or "" for office in unsealed.distinct()}
    return sum(seal_office(key) for key in sorted(keys))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    unsealed: int
    broken_at: int | None = None  # the audit row id where the chain breaks
    seq: int | None = None
    reason: str = ""


def verify_chain(key: str) -> Verdict:
    """Walk the office's chain from its first row and say where it breaks, if it does."""
    unsealed = AuditLog.objects.filter(_office_filter(key), chain_seq__isnull=True).count()
    head = ChainHead.objects.filter(office_key=key).first()
    expected_seq, prev = 1, ""
    checked = 0
    rows = AuditLog.objects.filter(_office_filter(key), chain_seq__isnull=False).order_by("chain_seq")
    for row in rows.iterator(chunk_size=2000):
        assert row.chain_seq is not None
        if row.chain_seq != expected_seq or row.prev_hash != prev:
            missing = row.chain_seq != expected_seq
            return Verdict(
                False,
                checked,
                unsealed,
                row.pk,
                row.chain_seq,
                f"row(s) before seq {row.chain_seq} missing (expected seq {expected_seq})"
                if missing
                else "predecessor changed (its hash differs from this row's prev_hash)",
            )
        if row_digest(row, chain_seq=row.chain_seq, prev_hash=row.prev_hash) != row.hash:
            return Verdict(False, checked, unsealed, row.pk, row.chain_seq, "row edited (content does not match hash)")
        if row.redacted_at is None and payload_digest(row) != row.payload_hash:
            return Verdict(False, checked, unsealed, row.pk, row.chain_seq, "row edited (values do not match hash)")
        prev = row.hash
        expected_seq += 1
        checked += 1
    if head is not None and head.last_seq != checked:
        return Verdict(
            False, checked, unsealed, None, checked + 1, f"last row(s) deleted: chain head is at seq {head.last_seq}"
        )
    return Verdict(True, checked, unsealed)
