"""Calendars of the two seed offices built without the database, from the hours their published standards state
(seeds/README.md) and the `holidays` package: the fixtures of the pure SLA tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from zoneinfo import ZoneInfo

import holidays

from pstdesk.lib.workdays import WorkCalendar

WITA = ZoneInfo("Asia/Makassar")
YEARS = (2025, 2026, 2027, 2028)

# Tabanan: Monday–Thursday 08.00–16.00, Friday 08.00–16.30. Jembrana: Monday–Friday 08.00–15.30. WITA.
HOURS = {
    "5102": {
        0: (time(8), time(16)),
        1: (time(8), time(16)),
        2: (time(8), time(16)),
        3: (time(8), time(16)),
        4: (time(8), time(16, 30)),
        5: None,
        6: None,
    },
    "5101": {**{d: (time(8), time(15, 30)) for d in range(5)}, 5: None, 6: None},
}


def national_days(years: Iterable[int] = YEARS) -> frozenset[date]:
    table = holidays.country_holidays("ID", years=tuple(years), categories=(holidays.PUBLIC, holidays.GOVERNMENT))
    return frozenset(table)


def seed_calendar(code: str, closures: Iterable[date] = ()) -> WorkCalendar:
    return WorkCalendar(
        zone=WITA, hours=HOURS[code], holidays=national_days() | frozenset(closures), years=frozenset(YEARS)
    )
