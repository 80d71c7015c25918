"""Reads of the published figures for the public page and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pstdesk.offices.models import Office
from pstdesk.transparency.figures import combine, public_view
from pstdesk.transparency.models import PublishedMonth


@dataclass(frozen=True)
class MonthRow:
    year: int
    month: int
    approved_at: Any
    figures: dict[str, Any]


def published_months(office: Office, year: int) -> list[MonthRow]:
    rows = PublishedMonth.objects.filter(office=office, year=year).order_by("month")
    return [MonthRow(r.year, r.month, r.approved_at, public_view(r.figures)) for r in rows]


def year_total(office: Office, year: int) -> dict[str, Any] | None:
    months = list(PublishedMonth.objects.filter(office=office, year=year).values_list("figures", flat=True))
    total = combine(months)
    return public_view(total) if total else None


def published_years(office: Office) -> list[int]:
    return sorted(set(PublishedMonth.objects.filter(office=office).values_list("year", flat=True)), reverse=True)


def month_figures(office: Office, year: int, month: int) -> tuple[dict[str, Any], Any] | None:
    row = PublishedMonth.objects.filter(office=office, year=year, month=month).first()
    return (public_view(row.figures), row.approved_at) if row else None


def subtree_total(office: Office, year: int) -> dict[str, Any] | None:
    """The office's and all offices' below it approved months of the year, summed (a province's total)."""
    months = list(
        PublishedMonth.objects.filter(office__in=Office.objects.subtree_of(office), year=year).values_list(
            "figures", flat=True
        )
    )
    total = combine(months)
    return public_view(total) if total else None
