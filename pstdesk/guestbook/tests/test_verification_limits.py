"""Issue 11: code guessing and code flooding across fresh identities, through the public guestbook API (what an
attacker can reach). Today's numbers before the fix: ~19 tries a second on one address, a code per fresh visitor
to the victim, and a right guess merged the attacker into the victim with their conversation."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook import throttle
from pstdesk.guestbook.actions import VERIFICATION_CODE_DIGITS
from pstdesk.guestbook.models import EmailVerification, Visitor, VisitorMerge
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib import signing
from pstdesk.lib.actors import VisitorActor
from pstdesk.offices.models import Office
from pstdesk.testing.identities import make_visitor

VICTIM = "korban@example.test"
STEPS = 72  # a day, every 20 minutes
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _post(client: Client, url: str, data: dict[str, Any], ip: str) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip)


def _fresh_visitor(client: Client, ip: str) -> str:
    body = {**guestbook_data(name="Penyerang", email="penyerang@example.test"), "consent": True}
    response = _post(client, "/bukutamu/api/5102/", body, ip)
    assert response.status_code == 201, response.content
    return str(response.json()["visitor_token"])


def _codes_to(address: str) -> list[str]:
    pattern = re.compile(rf"\b(\d{{{VERIFICATION_CODE_DIGITS}}})\b")
    return [pattern.search(str(m.body)).group(1) for m in mail.outbox if m.to == [address]]  # type: ignore[union-attr]


@pytest.fixture
def victim(db: None, office_5102: Office) -> Visitor:
    owner = make_visitor(name="Korban", email=VICTIM, email_verified_at=timezone.now(), wa_id="6281111")
    Consultation.objects.create(office=office_5102, visitor=owner, channel="whatsapp")
    return owner


def test_a_day_of_guessing_from_fresh_visitors_and_addresses_is_hopeless(client: Client, victim: Visitor) -> None:
    """Every 20 minutes for a day, from a new IP each time: a fresh visitor asks a code for the victim's address
    and tries wrong codes until refused."""
    refused = 0
    for step in range(STEPS):
        with time_machine.travel(START + timedelta(minutes=20 * step), tick=False):
            ip = f"198.51.{step // 200}.{step % 200 + 1}"
            token = _fresh_visitor(client, ip)
            url = "/bukutamu/api/5102/verifikasi/"
            sent = _post(client, url, {"visitor_token": token, "action": "send", "email": VICTIM}, ip)
            if sent.status_code == 429:
                refused += 1
                assert "Coba lagi dalam" in sent.json()["errors"]["email"]
                continue
            assert sent.status_code == 200
            right = _codes_to(VICTIM)[-1]
            wrong = f"{(int(right) + 1) % 10**VERIFICATION_CODE_DIGITS:0{VERIFICATION_CODE_DIGITS}d}"
            for _try in range(6):
                answer = _post(client, url, {"visitor_token": token, "action": "verify", "code": wrong}, ip)
                if answer.status_code == 429:
                    break
                assert answer.status_code == 400
    codes = _codes_to(VICTIM)
    compared = AuditLog.objects.filter(verb="email_verification.failed").count()
    # The victim got a handful of codes in a day, not one per fresh visitor.
    assert len(codes) <= 6 and refused >= STEPS - 6
    # At most 20 codes compared in the day: at 10^8 codes a year of this finds one with p < 10^-4.
    assert compared <= 20
    assert sum(EmailVerification.objects.values_list("attempts", flat=True)) == compared
    assert len(codes[0]) == 8
    victim.refresh_from_db()
    assert victim.merged_into_id is None and not VisitorMerge.objects.exists()


def test_quick_guessing_is_stopped_within_the_minute(client: Client, victim: Visitor) -> None:
    """The old rate: fresh visitors in a tight loop. One code reaches the victim; then 429s."""
    statuses = []
    with time_machine.travel(START, tick=False):
        for _n in range(20):
            token = _fresh_visitor(client, "203.0.113.9")
            url = "/bukutamu/api/5102/verifikasi/"
            statuses.append(
                _post(client, url, {"visitor_token": token, "action": "send", "email": VICTIM}, "1").status_code
            )
    assert statuses[0] == 200 and set(statuses[1:]) == {429}
    assert len(_codes_to(VICTIM)) == 1


def test_a_right_code_never_hands_over_the_owners_conversations(
    client: Client, victim: Visitor, office_5102: Office
) -> None:
    """Even with the right code (read here from the mailbox, as a lucky guess would have it), the newcomer stays
    themself: no merge, the owner's consultation stays the owner's, the token names the newcomer."""
    token = _fresh_visitor(client, "203.0.113.9")
    url = "/bukutamu/api/5102/verifikasi/"
    sent = _post(client, url, {"visitor_token": token, "action": "send", "email": VICTIM}, "203.0.113.9")
    assert sent.status_code == 200
    answer = _post(client, url, {"visitor_token": token, "action": "verify", "code": _codes_to(VICTIM)[-1]}, "1")
    assert answer.status_code == 200 and answer.json()["email_verified"] is True
    newcomer = signing.read_visitor_token(answer.json()["visitor_token"])
    assert newcomer != str(victim.public_id)
    assert not VisitorMerge.objects.exists()
    assert Consultation.objects.get().visitor_id == victim.pk
    victim.refresh_from_db()
    assert victim.merged_into_id is None


def test_one_ip_cannot_spray_codes_over_many_addresses(client: Client, office_5102: Office) -> None:
    statuses = []
    with time_machine.travel(START, tick=False):
        for n in range(32):
            token = _fresh_visitor(client, "203.0.113.7")
            data = {"visitor_token": token, "action": "send", "email": f"orang{n}@example.test"}
            statuses.append(_post(client, "/bukutamu/api/5102/verifikasi/", data, "203.0.113.7").status_code)
    assert statuses[:30] == [200] * 30 and statuses[30:] == [429, 429]
    assert len(mail.outbox) == 30


def test_one_ip_cannot_make_endless_fresh_visitors(client: Client, office_5102: Office) -> None:
    with time_machine.travel(START, tick=False):
        for _n in range(throttle.NEW_VISITORS_PER_IP[0][2]):
            _fresh_visitor(client, "203.0.113.8")
        body = {**guestbook_data(), "consent": True}
        refused = _post(client, "/bukutamu/api/5102/", body, "203.0.113.8")
        assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
        assert _post(client, "/bukutamu/api/5102/", body, "203.0.113.99").status_code == 201


def test_office_limit(client: Client, office_5102: Office, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "SEND_LIMITS", (("office", throttle.HOUR, 2),))
    statuses = []
    with time_machine.travel(START, tick=False):
        for n in range(3):
            ip = f"192.0.2.{n + 1}"
            data = {"visitor_token": _fresh_visitor(client, ip), "action": "send", "email": f"o{n}@example.test"}
            statuses.append(_post(client, "/bukutamu/api/5102/verifikasi/", data, ip).status_code)
    assert statuses == [200, 200, 429]


def test_wrong_codes_lock_the_address_with_growing_waits(db: None) -> None:
    with time_machine.travel(START, tick=False) as clock:
        for _n in range(throttle.FREE_FAILURES):
            assert throttle.allow_attempt(VICTIM) is None
            throttle.record_failure(VICTIM)
        first = throttle.allow_attempt(VICTIM)
        assert first is not None and 25 <= first.retry_after <= 31
        clock.shift(31)
        assert throttle.allow_attempt(VICTIM) is None
        throttle.record_failure(VICTIM)
        second = throttle.allow_attempt(VICTIM)
        assert second is not None and 55 <= second.retry_after <= 61
        # Another address is not affected.
        assert throttle.allow_attempt("lain@example.test") is None


def test_the_widget_endpoints_share_the_limits(client: Client, victim: Visitor) -> None:
    """Two widget sessions (two fresh visitors) asking a code for one address: the second is refused with 429."""
    from pstdesk.channels.web.actions import open_widget_session

    statuses = []
    with time_machine.travel(START, tick=False):
        for n in range(2):
            visitor = Visitor.objects.create(name=f"Tamu {n}")
            _session, token = open_widget_session(victim_office(), visitor, by=VisitorActor(visitor.pk))
            response = client.post(
                "/widget/5102/api/verify/start/",
                {"email": VICTIM},
                HTTP_X_WIDGET_TOKEN=token,
                REMOTE_ADDR=f"192.0.2.{n + 10}",
            )
            statuses.append(response.status_code)
    assert statuses == [200, 429]
    assert len(_codes_to(VICTIM)) == 1


def victim_office() -> Office:
    return Office.objects.get(code="5102")
