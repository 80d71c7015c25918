"""The set-based figures against a simple reference computed here, row by row, with the pure calendar functions
of `lib.workdays`, over a seeded random month (moments at any hour, weekends, an office closure, handed-over
consultations): the working-time figures and the officers' table must be the same on every database."""

from __future__ import annotations

import random
import statistics
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pstdesk.complaints.tests.factories import make_consultation, make_visitor
from pstdesk.conftest import make_user
from pstdesk.consultations.models import Assignment, Consultation
from pstdesk.lib import workdays
from pstdesk.offices.calendar import calendar_for
from pstdesk.offices.models import Office, OfficeClosure
from pstdesk.ratings.models import Rating
from pstdesk.reports.figures import build_report
from pstdesk.reports.periods import parse_period

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
START = datetime(2026, 11, 1, tzinfo=WITA)
NOW = datetime(2026, 12, 20, 9, 0, tzinfo=WITA)


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def counted_day(cal: workdays.WorkCalendar, moment: datetime) -> date:
    """The working day a moment counts for: its own in service hours, else the next working day."""
    day = moment.astimezone(cal.zone).date()
    if workdays.is_working_day(cal, day) and moment < workdays.closing_time(cal, day):
        return day
    return workdays.add_working_days(cal, day, 1)


def r(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


@pytest.fixture
def random_month() -> dict[str, Any]:
    rng = random.Random(14)
    OfficeClosure.objects.create(office_id="5102", date=date(2026, 11, 18), reason="Rapat kerja")
    officers = [make_user(f"p{i}", "5102") for i in range(3)]
    rows = []
    for i in range(40):
        created = START + timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        c = make_consultation("5102", started=created, visitor=make_visitor(), created_at=created)
        first = created + timedelta(minutes=rng.randrange(1, 4 * 24 * 60)) if i % 7 else None
        answered = first + timedelta(minutes=rng.randrange(0, 6 * 24 * 60)) if first and i % 5 else None
        officer = officers[i % 3]
        Consultation.objects.filter(pk=c.pk).update(
            first_response_at=first, answered_at=answered, assigned_to=officer if i % 11 else None
        )
        if i % 11 and i % 4 == 0 and answered:
            # Handed over before the answer (the second holder answered), and again after it: the report must
            # credit the second holder, not the current assignee.
            middle, after = created + (answered - created) / 2, answered + timedelta(hours=1)
            first_holder, later_holder = officers[(i + 1) % 3], officers[(i + 2) % 3]
            Assignment.objects.create(consultation=c, officer=first_holder, started_at=created, ended_at=middle)
            Assignment.objects.create(consultation=c, officer=officer, started_at=middle, ended_at=after)
            Assignment.objects.create(consultation=c, officer=later_holder, started_at=after)
            Consultation.objects.filter(pk=c.pk).update(assigned_to=later_holder)
        if answered and i % 2:
            Rating.objects.create(consultation=c, score=1 + i % 5, channel=c.channel)
        c.refresh_from_db()
        rows.append(c)
    return {"rows": rows, "officers": officers}


def test_working_time_figures_match_a_row_by_row_reference(random_month):
    office = Office.objects.get(code="5102")
    cal = calendar_for(office, years=range(2026, 2028))
    data = build_report(office, parse_period("2026-11"), now=NOW)
    rows: list[Consultation] = random_month["rows"]
    minutes = [
        workdays.working_minutes_between(cal, c.created_at, c.first_response_at) for c in rows if c.first_response_at
    ]
    days = [
        workdays.working_days_between(cal, counted_day(cal, c.sla_started_at), counted_day(cal, c.answered_at))
        for c in rows
        if c.answered_at and c.sla_started_at
    ]
    assert data["consultations"]["opened"] == len(rows)
    assert data["consultations"]["inside_service_hours"] == sum(1 for c in rows if workdays.is_open(cal, c.created_at))
    first = data["sla"]["first_response"]
    assert first["count"] == len(minutes)
    assert first["without_response"] == len(rows) - len(minutes)
    assert first["mean_minutes"] == r(statistics.mean(minutes), 1)
    assert first["median_minutes"] == r(percentile(minutes, 0.5), 1)
    assert first["p90_minutes"] == r(percentile(minutes, 0.9), 1)
    assert first["within_target"] == sum(
        1
        for c in rows
        if c.first_response_at and c.first_response_due_at and c.first_response_at <= c.first_response_due_at
    )
    answer = data["sla"]["days_to_answer"]
    assert answer["count"] == len(days)
    assert answer["mean"] == r(statistics.mean(days), 2)
    assert answer["median"] == r(percentile([float(d) for d in days], 0.5), 1)
    distribution: dict[str, int] = {}
    for d in sorted(days):
        distribution[str(max(d, 0))] = distribution.get(str(max(d, 0)), 0) + 1
    assert answer["distribution"] == distribution
    decided = [c for c in rows if c.due_at and (c.answered_at or c.due_at < NOW)]
    assert data["sla"]["decided"] == len(decided)
    assert data["sla"]["within_standard"] == sum(
        1 for c in rows if c.due_at and c.answered_at and c.answered_at <= c.due_at
    )


def test_officers_match_a_row_by_row_reference(random_month):
    office = Office.objects.get(code="5102")
    cal = calendar_for(office, years=range(2026, 2028))
    data = build_report(office, parse_period("2026-11"), now=NOW)
    expected: dict[int, dict[str, Any]] = {}
    for c in random_month["rows"]:
        moment = c.answered_at or NOW
        held = [
            a.officer_id
            for a in Assignment.objects.filter(consultation=c)
            if a.started_at <= moment and (a.ended_at is None or a.ended_at > moment)
        ]
        officer = held[0] if held else c.assigned_to_id
        if officer is None:
            continue
        row = expected.setdefault(officer, {"handled": 0, "decided": 0, "on_time": 0, "minutes": [], "scores": []})
        row["handled"] += 1
        row["decided"] += bool(c.due_at and (c.answered_at or c.due_at < NOW))
        row["on_time"] += bool(c.due_at and c.answered_at and c.answered_at <= c.due_at)
        if c.first_response_at:
            row["minutes"].append(workdays.working_minutes_between(cal, c.created_at, c.first_response_at))
        rating = Rating.objects.filter(consultation=c).first()
        if rating:
            row["scores"].append(rating.score)
    got = {
        row["id"]: (
            row["handled"],
            row["decided"],
            row["on_time"],
            row["median_first_response_minutes"],
            row["ratings"],
            row["rating_mean"],
        )
        for row in data["officers"]
    }
    assert got == {
        officer: (
            row["handled"],
            row["decided"],
            row["on_time"],
            r(percentile(row["minutes"], 0.5), 1),
            len(row["scores"]),
            r(statistics.mean(row["scores"]), 2) if row["scores"] else None,
        )
        for officer, row in expected.items()
    }
