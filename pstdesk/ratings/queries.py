"""Reads of the SKM index for an office or its subtree over a period (used by the `skm` command, the reports and
the transparency figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Sum

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import Role
from pstdesk.consultations.models import Consultation
from pstdesk.offices.models import Office
from pstdesk.ratings import skm
from pstdesk.ratings.models import Rating, SkmResponse


def period_bounds(office: Office, start: date, end: date) -> tuple[datetime, datetime]:
    """The half-open UTC-aware range [start 00:00, the day after end 00:00) in the office's time zone."""
    zone = ZoneInfo(office.timezone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


@dataclass(frozen=True)
class SkmFigures:
    """The index of a period with its sample: respondents n against the Krejcie–Morgan minimum for the
    population (consultations served = answered in the period)."""

    result: skm.IkmResult
    population: int
    minimum_sample: int

    @property
    def sample_sufficient(self) -> bool:
        return self.result.n >= self.minimum_sample

    def as_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "ikm": float(r.ikm) if r.ikm is not None else None,
            "mutu": r.mutu,
            "n": r.n,
            "nrr": r.nrr_rounded(),
            "answered": r.answered,
            "population": self.population,
            "minimum_sample": self.minimum_sample,
            "sample_sufficient": self.sample_sufficient,
        }


def skm_figures(office: Office, start: date, end: date, *, subtree: bool = True) -> SkmFigures:
    """The SKM index of an office (with its subtree, by default) for the days start..end inclusive."""
    offices = Office.objects.subtree_of(office) if subtree else Office.objects.filter(pk=office.pk)
    low, high = period_bounds(office, start, end)
    return skm_figures_between(list(offices.values_list("pk", flat=True)), low, high)


def skm_figures_between(office_codes: list[str], low: datetime, high: datetime) -> SkmFigures:
    """The SKM index of the responses submitted in [low, high) to these offices, with the period's population
    (consultations answered then) and its Krejcie–Morgan minimum. Two queries; the evaluation reports use it as
    their `skm` section."""
    answers = SkmResponse.objects.filter(
        office__in=office_codes, submitted_at__gte=low, submitted_at__lt=high
    ).values_list("answers", flat=True)
    result = skm.compute_ikm(answers)
    population = Consultation.objects.filter(
        office__in=office_codes, answered_at__gte=low, answered_at__lt=high
    ).count()
    return SkmFigures(result=result, population=population, minimum_sample=skm.krejcie_morgan(population))


@dataclass(frozen=True)
class RatingFilters:
    """The filters of the ratings lists (page and API): office code, officer id, channel, score, and a period of
    days (inclusive, in the viewer's office time zone)."""

    office: str = ""
    officer: int | None = None
    channel: str = ""
    score: int | None = None
    start: date | None = None
    end: date | None = None


def ratings_for(viewer: Any, filters: RatingFilters) -> Any:
    """The ratings the viewer may list: an officer only those of consultations assigned to them; supervisors,
    managers and administrators those of their visible offices. Filters narrow it; an office outside the viewer's
    reach raises Http404 (same as missing)."""
    offices = visible_offices(viewer)
    if filters.office:
        offices = Office.objects.subtree_of(get_office_for(viewer, filters.office))
    rows = Rating.objects.filter(consultation__office__in=offices)
    if not getattr(viewer, "is_superuser", False) and getattr(viewer, "role", None) == Role.OFFICER:
        rows = rows.filter(consultation__assigned_to=viewer)
    if filters.officer is not None:
        rows = rows.filter(consultation__assigned_to_id=filters.officer)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.score is not None:
        rows = rows.filter(score=filters.score)
    zone = ZoneInfo(getattr(getattr(viewer, "office", None), "timezone", None) or "Asia/Makassar")
    if filters.start is not None:
        rows = rows.filter(created_at__gte=datetime.combine(filters.start, time.min, tzinfo=zone))
    if filters.end is not None:
        rows = rows.filter(created_at__lt=datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=zone))
    return rows.select_related("consultation", "consultation__assigned_to").order_by("-created_at", "-id")


def mean_score(rows: Any) -> tuple[Decimal | None, int]:
    """The mean score (two decimals) and the count of a ratings queryset."""
    agg = rows.order_by().aggregate(total=Sum("score"), n=Count("id"))
    if not agg["n"]:
        return None, 0
    return (Decimal(agg["total"]) / Decimal(agg["n"])).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), agg["n"]
