"""Audit rows are hash-chained per office: an edited or deleted row is found by `pstdesk audit verify`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pstdesk.audit.actions import record
from pstdesk.audit.chain import seal_chains, verify_chain
from pstdesk.audit.models import AuditLog
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db


def _rows(office: Office, n: int) -> list[AuditLog]:
    return [record("test.step", office, by=SystemActor("test"), office=office, after={"n": i}) for i in range(n)]


def verify(code: str) -> str:
    out = StringIO()
    call_command("audit", "verify", "--office", code, stdout=out)
    return out.getvalue()


def test_a_whole_chain_verifies_and_new_rows_extend_it(office_5102: Office, office_5101: Office) -> None:
    AuditLog.objects.all().delete()  # start from nothing (seeding writes rows)
    _rows(office_5102, 5)
    _rows(office_5101, 3)
    assert seal_chains() == 8
    assert "OK: office 5102: 5 rows chained, 0 not sealed yet" in verify("5102")
    _rows(office_5102, 2)
    assert "5 rows chained, 2 not sealed yet" in verify("5102")
    assert seal_chains() == 2 and seal_chains() == 0
    rows = list(AuditLog.objects.filter(office=office_5102).order_by("chain_seq"))
    assert [r.chain_seq for r in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert all(r.prev_hash == p.hash for p, r in zip(rows, rows[1:], strict=False))
    assert verify_chain("5101").checked == 3  # each office its own chain


def test_an_edited_row_is_found(office_5102: Office) -> None:
    AuditLog.objects.all().delete()
    rows = _rows(office_5102, 6)
    seal_chains()
    AuditLog.objects.filter(pk=rows[3].pk).update(after={"n": 99})
    with pytest.raises(CommandError) as failure:
        verify("5102")
    assert failure.value.returncode == 1
    assert f"seq 4 (row {rows[3].pk}): row edited" in str(failure.value)


def test_a_deleted_row_is_found(office_5102: Office) -> None:
    AuditLog.objects.all().delete()
    rows = _rows(office_5102, 6)
    seal_chains()
    AuditLog.objects.filter(pk=rows[2].pk).delete()
    verdict = verify_chain("5102")
    assert not verdict.ok and verdict.broken_at == rows[3].pk and verdict.checked == 2
    assert "missing" in verdict.reason
    AuditLog.objects.filter(pk=rows[5].pk).delete()  # and the last one alone
    AuditLog.objects.filter(pk__in=[r.pk for r in rows[3:5]]).delete()
    assert "deleted" in verify_chain("5102").reason


def test_unknown_office_is_exit_status_two(db: None) -> None:
    with pytest.raises(CommandError) as failure:
        verify("9999")
    assert failure.value.returncode == 2


def test_a_redaction_by_erasure_keeps_the_chain_and_other_edits_are_still_found(office_5102: Office) -> None:
    """Erasure (UU 27/2022) replaces personal data in audit values and marks the row redacted: the chain still
    verifies on the stored digest. The same change without the mark, or a forged digest, is found."""
    from pstdesk.guestbook.erasure import redact_records

    AuditLog.objects.all().delete()
    rows = _rows(office_5102, 3)
    named = record("test.named", office_5102, by=SystemActor("test"), office=office_5102, after={"email": "ani@x.test"})
    _rows(office_5102, 2)
    seal_chains()
    assert redact_records({"ani@x.test"}, []) == 1
    named.refresh_from_db()
    assert "ani@x.test" not in str(named.after) and named.redacted_at is not None
    assert verify_chain("5102").ok

    AuditLog.objects.filter(pk=rows[1].pk).update(after={"n": 42})  # an edit that is not a redaction
    verdict = verify_chain("5102")
    assert not verdict.ok and verdict.broken_at == rows[1].pk and "values do not match" in verdict.reason
    AuditLog.objects.filter(pk=rows[1].pk).update(after={"n": 1})
    assert verify_chain("5102").ok
    AuditLog.objects.filter(pk=rows[1].pk).update(payload_hash="0" * 64)  # a forged digest breaks the row's hash
    assert not verify_chain("5102").ok
