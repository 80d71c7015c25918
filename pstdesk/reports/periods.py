"""Report periods: a month (`2026-11`), a year (`2026`) or a range of days (`2026-11-03..2026-11-20`), always in
the office's time zone, with the previous period and the same period a year earlier."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.lib.errors import InvalidInput

if TYPE_CHECKING:
    from pstdesk.offices.models import Office

MONTH_NAMES_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


@dataclass(frozen=True)
class Period:
    """Days `first`..`last` (inclusive); `kind` is "month", "year" or "range"."""

    first: date
    last: date
    kind: str

    @property
    def key(self) -> str:
        if self.kind == "month":
            return f"{self.first:%Y-%m}"
        if self.kind == "year":
            return f"{self.first:%Y}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def label(self) -> str:
        """Indonesian label: "November 2026", "Tahun 2026", "3 November 2026 – 20 November 2026"."""
        if self.kind == "month":
            return f"{MONTH_NAMES_ID[self.first.month - 1]} {self.first.year}"
        if self.kind == "year":
            return f"Tahun {self.first.year}"
        return f"{format_date_id(self.first)} – {format_date_id(self.last)}"

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnight of the first day to local midnight after the last."""
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)
        return start, end

    def previous(self) -> Period:
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return Period(last.replace(day=1), last, "month")
        if self.kind == "year":
            return Period(date(self.first.year - 1, 1, 1), date(self.first.year - 1, 12, 31), "year")
        length = (self.last - self.first).days + 1
        return Period(self.first - timedelta(days=length), self.first - timedelta(days=1), "range")

    def year_earlier(self) -> Period:
        return Period(_minus_year(self.first), _minus_year(self.last), self.kind)


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def month(year: int, month_number: int) -> Period:
    last = calendar.monthrange(year, month_number)[1]
    return Period(date(year, month_number, 1), date(year, month_number, last), "month")


def year(year_number: int) -> Period:
    return Period(date(year_number, 1, 1), date(year_number, 12, 31), "year")


def parse_period(text: str) -> Period:
    """`YYYY-MM`, `YYYY` or `YYYY-MM-DD..YYYY-MM-DD`; InvalidInput otherwise."""
    text = (text or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text):
            y, m = (int(part) for part in text.split("-"))
            return month(y, m)
        if re.fullmatch(r"\d{4}", text):
            return year(int(text))
        match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text)
        if match:
            first, last = date.fromisoformat(match.group(1)), date.fromisoformat(match.group(2))
            if last < first:
                raise ValueError("end before start")
            if (last - first).days > 3 * 366:
                raise ValueError("range too long")
            return Period(first, last, "range")
    except ValueError:
        pass
    raise InvalidInput(
        _("Periode tidak dikenal: %(text)s (YYYY-MM, YYYY, atau YYYY-MM-DD..YYYY-MM-DD).") % {"text": text}
    )


def format_date_id(day: date) -> str:
    return f"{day.day} {MONTH_NAMES_ID[day.month - 1]} {day.year}"


def format_number_id(value: float | int | None, decimals: int = 0) -> str:
    """Indonesian number format: 1.234,5 (dot for thousands, comma for decimals); "–" for no value."""
    if value is None:
        return "–"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def default_period(office: Office) -> Period:
    """The previous month in the office's time zone: what a service manager reads most."""
    today = timezone.now().astimezone(ZoneInfo(office.timezone)).date()
    last = today.replace(day=1) - timedelta(days=1)
    return month(last.year, last.month)
