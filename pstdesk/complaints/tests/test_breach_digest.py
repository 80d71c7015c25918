"""The daily breach digest: one e-mail per office listing the breaches recorded before today's digest hour (office
time), each breach in exactly one digest, times in the office's zone, a link per consultation; no e-mail before
the hour, none for an office without new breaches. (Through `pstdesk serve`: runtime/tests/test_embedded.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.complaints.actions import record_breach, send_breach_digests
from pstdesk.complaints.models import Breach, BreachKind
from pstdesk.complaints.tests.factories import make_consultation

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 23, 10, tzinfo=WITA)  # due Thu 2026-11-26 16:00 WITA
DETECTED = datetime(2026, 11, 26, 16, 1, tzinfo=WITA)


def test_one_digest_per_office_with_every_new_breach(
    officer_5102: User,
    supervisor_5102: User,
    manager_5102: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    first = make_consultation("5102", started=START, assigned_to=officer_5102)
    second = make_consultation("5102", started=START)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for c in (first, second):
            record_breach(c, kind=BreachKind.RESOLUTION, now=DETECTED)
    assert mail.outbox == []  # no e-mail per breach

    # 06:59 the next morning: the digest hour (07.00 office time) has not come.
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert send_breach_digests(datetime(2026, 11, 27, 6, 59, tzinfo=WITA)) == 0
    assert mail.outbox == []

    at_seven = datetime(2026, 11, 27, 7, 0, tzinfo=WITA)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert send_breach_digests(at_seven) == 1
    [message] = mail.outbox
    assert set(message.to) == {"koord@example.test", "pj@example.test"}
    assert message.subject == "Ringkasan harian pelanggaran batas waktu 5102: 2 baru"
    for c in (first, second):
        assert f"PST#{c.pk}" in message.body and f"/console/{c.pk}/" in message.body
    assert "batas waktu 26-11-2026 16.00 WITA" in message.body and "terdeteksi 26-11-2026 16.01 WITA" in message.body
    assert "T08:00" not in message.body  # no raw UTC
    assert Breach.objects.filter(digested_at=at_seven).count() == 2
    assert AuditLog.objects.get(verb="breach.digested").after["breaches"] == sorted(
        Breach.objects.values_list("pk", flat=True)
    )

    # Later runs that day (every minute, any number of workers) find nothing new.
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert send_breach_digests(at_seven + timedelta(hours=3)) == 0
    assert len(mail.outbox) == 1


def test_a_breach_after_the_digest_hour_waits_for_the_next_day(
    supervisor_5102: User, django_capture_on_commit_callbacks: object
) -> None:
    c = make_consultation("5102", started=START)
    record_breach(c, kind=BreachKind.RESOLUTION, now=datetime(2026, 11, 27, 9, tzinfo=WITA))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert send_breach_digests(datetime(2026, 11, 27, 10, tzinfo=WITA)) == 0
        assert send_breach_digests(datetime(2026, 11, 28, 7, 5, tzinfo=WITA)) == 1
    assert [m.subject for m in mail.outbox] == ["Ringkasan harian pelanggaran batas waktu 5102: 1 baru"]


def test_an_office_without_supervisor_address_is_claimed_without_mail(office_5101: object) -> None:
    c = make_consultation("5101", started=START)
    record_breach(c, kind=BreachKind.RESOLUTION, now=DETECTED)
    assert send_breach_digests(datetime(2026, 11, 27, 8, tzinfo=WITA)) == 0
    assert mail.outbox == [] and not Breach.objects.filter(digested_at__isnull=True).exists()
