"""The out-of-hours automatic reply: when it is due, and what it says."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from pstdesk.complaints.tests.factories import make_consultation, make_visitor
from pstdesk.consultations.out_of_hours import format_hours, out_of_hours_reply
from pstdesk.lib.tests.calendars import seed_calendar

if TYPE_CHECKING:
    from pstdesk.consultations.models import Consultation

WITA = ZoneInfo("Asia/Makassar")
CAL = seed_calendar("5102")


def wita(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WITA)


def consultation(language: str = "id", **fields: object) -> SimpleNamespace:
    """The fields the rule reads, without the database."""
    base = {"last_auto_reply_at": None, "last_outbound_at": None, "visitor": SimpleNamespace(language=language)}
    return SimpleNamespace(**{**base, **fields})


def reply(c: SimpleNamespace, now: datetime, auto_submitted: bool = False) -> str | None:
    return out_of_hours_reply(c, now=now, auto_submitted=auto_submitted, cal=CAL)  # type: ignore[arg-type]


def test_no_reply_while_open() -> None:
    assert reply(consultation(), wita(2026, 11, 23, 10)) is None
    assert reply(consultation(), wita(2026, 11, 27, 16, 15)) is None  # Friday until 16:30


def test_reply_after_hours_names_the_hours_and_the_next_opening() -> None:
    text = reply(consultation(), wita(2026, 11, 27, 17))
    assert text is not None
    assert "Senin–Kamis 08.00–16.00 WITA; Jumat 08.00–16.30 WITA" in text
    assert "Senin, 30 November 2026 pukul 08.00 WITA" in text


def test_reply_on_a_holiday_points_past_cuti_bersama() -> None:
    text = reply(consultation(), wita(2026, 12, 24, 10))  # cuti bersama Natal, a Thursday
    assert text is not None and "Senin, 28 Desember 2026 pukul 08.00 WITA" in text


def test_english_for_english_visitors() -> None:
    text = reply(consultation("en"), datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("UTC")))
    assert text is not None
    assert text.startswith("Thank you")
    assert "Monday–Thursday 08:00–16:00 WITA; Friday 08:00–16:30 WITA" in text
    assert "Monday, 30 November 2026 at 08:00 WITA" in text


def test_never_to_auto_submitted_messages() -> None:
    assert reply(consultation(), wita(2026, 11, 27, 17), auto_submitted=True) is None


def test_at_most_once_per_office_day() -> None:
    # Already answered automatically at 17:00 this (office-local) day: not again at 22:00.
    assert reply(consultation(last_auto_reply_at=wita(2026, 11, 27, 17)), wita(2026, 11, 27, 22)) is None
    # The office-local day decides, not UTC: 23:30 WITA on the 26th is 15:30 UTC the same day; the reply at
    # 07:00 WITA on the 27th (23:00 UTC on the 26th) is a new office day.
    assert reply(consultation(last_auto_reply_at=wita(2026, 11, 26, 23, 30)), wita(2026, 11, 27, 7)) is not None
    # Yesterday's automatic reply does not block today's.
    assert reply(consultation(last_auto_reply_at=wita(2026, 11, 27, 17)), wita(2026, 11, 28, 9)) is not None


def test_not_when_an_officer_just_replied() -> None:
    now = wita(2026, 11, 23, 16, 5)
    assert reply(consultation(last_outbound_at=now - timedelta(minutes=3)), now) is None
    assert reply(consultation(last_outbound_at=now - timedelta(minutes=10)), now) is not None


def test_format_hours_of_jembrana() -> None:
    assert format_hours(seed_calendar("5101"), "id") == "Senin–Jumat 08.00–15.30 WITA"


@pytest.mark.django_db
def test_with_a_real_consultation_and_office_calendar(office_5101: object) -> None:
    c = make_consultation("5101", visitor=make_visitor(language="en"))
    text = out_of_hours_reply(c, now=wita(2026, 11, 27, 15, 30), auto_submitted=False)
    assert text is not None and "Monday–Friday 08:00–15:30 WITA" in text
    assert out_of_hours_reply(c, now=wita(2026, 11, 27, 15, 29), auto_submitted=False) is None


def _message(c: Consultation, at: datetime, *, automatic: bool, payload: dict | None = None) -> None:
    from pstdesk.consultations.models import Message

    seq = Message.objects.filter(consultation=c).count() + 1
    m = Message.objects.create(
        consultation=c,
        seq=seq,
        direction="out",
        channel="whatsapp",
        body="x",
        is_automatic=automatic,
        payload=payload or {},
    )
    Message.objects.filter(pk=m.pk).update(created_at=at)


@pytest.mark.django_db
def test_other_automatic_messages_do_not_count(office_5102: object) -> None:
    """A guestbook prompt stamps last_auto_reply_at and last_outbound_at too: it must not block the reply."""
    now = wita(2026, 11, 27, 22)
    c = make_consultation(
        "5102", last_auto_reply_at=now - timedelta(minutes=1), last_outbound_at=now - timedelta(minutes=1)
    )
    _message(c, now - timedelta(minutes=1), automatic=True, payload={"guestbook_prompt": True})
    assert out_of_hours_reply(c, now=now, auto_submitted=False) is not None
    # An out-of-hours reply earlier the same office day does block it.
    _message(c, wita(2026, 11, 27, 17), automatic=True, payload={"out_of_hours": True})
    assert out_of_hours_reply(c, now=now, auto_submitted=False) is None


@pytest.mark.django_db
def test_an_officers_recent_message_blocks_the_reply(office_5102: object) -> None:
    now = wita(2026, 11, 23, 16, 5)
    c = make_consultation("5102", last_outbound_at=now - timedelta(minutes=2))
    _message(c, now - timedelta(minutes=2), automatic=False)
    assert out_of_hours_reply(c, now=now, auto_submitted=False) is None
