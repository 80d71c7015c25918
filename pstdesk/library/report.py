"""The library's section of the office reports: the most requested publications of a period (`reports` may call
`section` for any office and period; it reads, never writes)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from pstdesk.library.queries import most_requested_publications


def section(office: Any, *, first_day: date, last_day: date, limit: int = 10) -> dict[str, Any]:
    """{"title", "rows"} for the days first_day…last_day in the office's time zone (rows as
    `most_requested_publications`, with dates as ISO strings so the section is JSON-ready)."""
    zone = ZoneInfo(office.timezone)
    start = datetime.combine(first_day, time.min, tzinfo=zone)
    end = datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)
    rows = most_requested_publications(office, start=start, end=end, limit=limit)
    for row in rows:
        row["last_sent"] = row["last_sent"].astimezone(zone).isoformat() if row["last_sent"] else None
    return {"title": _("Publikasi paling banyak diminta"), "rows": rows}
