"""Reads of the SKM index for an office or its subtree over a period (used by the `skm` command, the reports and
the transparency figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pstdesk.offices.models import Office
from pstdesk.ratings import skm
from pstdesk.ratings.models import SkmResponse


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
    from pstdesk.consultations.models import Consultation

    offices = Office.objects.subtree_of(office) if subtree else Office.objects.filter(pk=office.pk)
    low, high = period_bounds(office, start, end)
    answers = SkmResponse.objects.filter(office__in=offices, submitted_at__gte=low, submitted_at__lt=high).values_list(
        "answers", flat=True
    )
    result = skm.compute_ikm(answers)
    population = Consultation.objects.filter(office__in=offices, answered_at__gte=low, answered_at__lt=high).count()
    return SkmFigures(result=result, population=population, minimum_sample=skm.krejcie_morgan(population))
