"""The working-time figures of a report, set-based: the consultations opened in a period are joined to the
office's calendar (`reports.WorkingDay`, one row per calendar day) on (office, local date) of each moment, which
the database does as one join over the whole set (a hash join on PostgreSQL), not as a lookup per consultation.
The formulas are those of `reports.calendar`. Percentiles are PostgreSQL's `percentile_cont` in the same query;
elsewhere (SQLite) a window query returns only the rows around each percentile.

The queries are raw SQL because the ORM cannot join a table on a computed value (the local date of a moment);
the vendor-specific pieces are the three small functions below.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from pstdesk.accounts.models import User
from pstdesk.consultations.models import Assignment, Consultation
from pstdesk.guestbook.models import GuestbookEntry
from pstdesk.offices.models import Office
from pstdesk.ratings.models import Rating
from pstdesk.reports.models import WorkingDay


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _epoch(column: str) -> str:
    """Whole Unix seconds of a datetime column (the unit of `WorkingDay`'s columns)."""
    if _pg():
        return f"FLOOR(DATE_PART('epoch', {column}))"
    return f"CAST(STRFTIME('%%s', {column}) AS INTEGER)"


def _local_date(column: str, zone: str) -> str:
    """The date of a moment in the time zone named by the SQL expression `zone` (the office's)."""
    if _pg():
        return f"CAST(({column} AT TIME ZONE {zone}) AS date)"
    # Django's SQLite backend registers this function (the one behind TruncDate); datetimes are stored in UTC.
    return f"django_datetime_cast_date({column}, {zone}, 'UTC')"


def _clamp(value: str, high: str) -> str:
    """max(0, min(value, high)); both SQL functions return NULL when an argument is NULL on SQLite, and PostgreSQL's
    ignore NULLs, but a missing calendar row makes the whole sum NULL either way."""
    if _pg():
        return f"GREATEST(0, LEAST({value}, {high}))"
    return f"MAX(0, MIN({value}, {high}))"


def _minutes(day: str, moment: str) -> str:
    """Working minutes from the calendar's anchor to `moment`, through the calendar row `day` of its date."""
    span = f"{day}.closes_epoch - {day}.opens_epoch"
    return f"COALESCE({day}.minutes_before + {_clamp(f'{moment} - {day}.opens_epoch', span)} / 60.0, 0)"


def _day_number(day: str, moment: str) -> str:
    """The working day `moment` counts for: its own in service hours, else the next working day."""
    return f"({day}.ordinal + CASE WHEN {moment} >= {day}.closes_epoch THEN 1 ELSE 0 END)"


@dataclass(frozen=True)
class Cohort:
    """The consultations of some offices opened in [start, end)."""

    codes: Sequence[str]
    start: datetime
    end: datetime


def measured(cohort: Cohort, *, minutes: bool = True, days: bool = True) -> tuple[str, list[Any]]:
    """SQL of one row per consultation of the cohort with its measures: `inside` (1 when opened in service hours),
    `fr_minutes` (working minutes to the first response), `days` (working days from the SLA start to the answer),
    and the consultation's own columns the figures need."""
    c, w, o = Consultation._meta.db_table, WorkingDay._meta.db_table, Office._meta.db_table
    joins = [f"JOIN {o} o ON o.code = c.office_id"]
    columns = [
        "c.id",
        "c.office_id",
        "c.channel",
        "c.assigned_to_id",
        "c.first_response_at",
        "c.first_response_due_at",
        "c.answered_at",
        "c.sla_started_at",
        "c.due_at",
    ]

    def day(alias: str, column: str) -> str:
        joins.append(
            f"LEFT JOIN {w} {alias} ON {alias}.office_id = c.office_id AND "
            f"{alias}.date = {_local_date(column, 'o.timezone')}"
        )
        return _epoch(column)

    opened = day("wc", "c.created_at")
    columns.append(f"CASE WHEN wc.opens_epoch <= {opened} AND {opened} < wc.closes_epoch THEN 1 ELSE 0 END AS inside")
    if minutes:
        first = day("wf", "c.first_response_at")
        columns.append(
            "CASE WHEN c.first_response_at IS NOT NULL THEN "
            f"{_minutes('wf', first)} - {_minutes('wc', opened)} END AS fr_minutes"
        )
    if days:
        answered, started = day("wa", "c.answered_at"), day("ws", "c.sla_started_at")
        columns.append(
            "CASE WHEN c.answered_at IS NOT NULL AND c.sla_started_at IS NOT NULL THEN "
            f"{_day_number('wa', answered)} - {_day_number('ws', started)} END AS days"
        )
    marks = ", ".join(["%s"] * len(cohort.codes))
    sql = (
        f"SELECT {', '.join(columns)} FROM {c} c {' '.join(joins)} "
        f"WHERE c.office_id IN ({marks}) AND c.created_at >= %s AND c.created_at < %s"
    )
    return sql, [*cohort.codes, cohort.start, cohort.end]


def _one(sql: str, params: list[Any]) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def _all(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _count(condition: str) -> str:
    return f"COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


def _percentile(column: str, fraction: float) -> str:
    return f"PERCENTILE_CONT({float(fraction)}) WITHIN GROUP (ORDER BY {column})"


def timeliness(cohort: Cohort, *, now: datetime) -> dict[str, Any]:
    """Service hours, first response, days to answer and the standard's cohort of `cohort`, in one pass over the
    joined rows (plus the days' distribution, and on SQLite the percentiles' window queries)."""
    sql, params = measured(cohort)
    percentiles = (
        f", {_percentile('fr_minutes', 0.5)} AS fr_p50, {_percentile('fr_minutes', 0.9)} AS fr_p90, "
        f"{_percentile('days', 0.5)} AS days_p50"
        if _pg()
        else ""
    )
    totals = _one(
        "SELECT COUNT(*) AS opened, "
        f"{_count('inside = 1')} AS inside, "
        "COUNT(fr_minutes) AS fr_count, AVG(fr_minutes) AS fr_mean, "
        f"{_count('first_response_due_at IS NOT NULL AND first_response_at <= first_response_due_at')} AS fr_within, "
        f"{_count('first_response_at IS NULL')} AS without_response, "
        f"{_count('answered_at IS NOT NULL AND sla_started_at IS NOT NULL')} AS days_count, AVG(days) AS days_mean, "
        f"{_count('due_at IS NOT NULL')} AS started, "
        f"{_count('due_at IS NOT NULL AND answered_at IS NOT NULL')} AS answered, "
        f"{_count('due_at IS NOT NULL AND answered_at <= due_at')} AS within_standard, "
        f"{_count('due_at IS NOT NULL AND (answered_at IS NOT NULL OR due_at < %s)')} AS decided"
        f"{percentiles} FROM ({sql}) m",
        [now, *params],
    )
    days_sql, days_params = measured(cohort, minutes=False)
    totals["days_distribution"] = {
        int(row["days"]): row["n"]
        for row in _all(
            f"SELECT days, COUNT(*) AS n FROM ({days_sql}) m WHERE days IS NOT NULL GROUP BY days", days_params
        )
    }
    if not _pg():
        first = window_percentiles(sql, params, "fr_minutes", (0.5, 0.9)).get(None, {})
        totals["fr_p50"], totals["fr_p90"] = first.get(0.5), first.get(0.9)
        totals["days_p50"] = window_percentiles(days_sql, days_params, "days", (0.5,)).get(None, {}).get(0.5)
    return totals


def officers(cohort: Cohort, *, now: datetime) -> list[dict[str, Any]]:
    """Per officer who held a consultation of the cohort when it was answered (by the assignment history; for an
    unanswered one, who holds it now; a consultation without history: its current assignee): handled, decided,
    on time, ratings and their mean, median working minutes to the first response; with the officer's names."""
    sql, params = measured(cohort, days=False)
    a, r = Assignment._meta.db_table, Rating._meta.db_table
    moment = "COALESCE(m.answered_at, %s)"
    held = (
        f"SELECT m.*, COALESCE(h.officer_id, m.assigned_to_id) AS officer FROM ({sql}) m "
        f"LEFT JOIN {a} h ON h.consultation_id = m.id AND h.started_at <= {moment} "
        f"AND (h.ended_at IS NULL OR h.ended_at > {moment})"
    )
    held_params = [*params, now, now]
    median = f", {_percentile('m.fr_minutes', 0.5)} AS fr_p50" if _pg() else ""
    u = User._meta.db_table
    rows = _all(
        "SELECT agg.*, u.username, u.first_name, u.last_name FROM ("
        "SELECT m.officer, COUNT(*) AS handled, "
        f"{_count('m.due_at IS NOT NULL AND (m.answered_at IS NOT NULL OR m.due_at < %s)')} AS decided, "
        f"{_count('m.due_at IS NOT NULL AND m.answered_at <= m.due_at')} AS on_time, "
        f"COUNT(r.id) AS ratings, AVG(r.score) AS rating_mean{median} "
        f"FROM ({held}) m LEFT JOIN {r} r ON r.consultation_id = m.id "
        f"WHERE m.officer IS NOT NULL GROUP BY m.officer) agg LEFT JOIN {u} u ON u.id = agg.officer",
        [now, *held_params],
    )
    if not _pg():
        medians = window_percentiles(held, held_params, "fr_minutes", (0.5,), group="officer")
        for row in rows:
            row["fr_p50"] = medians.get(row["officer"], {}).get(0.5)
    return rows


def window_percentiles(
    sql: str, params: list[Any], column: str, fractions: Sequence[float], *, group: str | None = None
) -> dict[Any, dict[float, float | None]]:
    """{group value (None without `group`): {fraction: continuous percentile of `column`}} of the rows of `sql`,
    for databases without `percentile_cont`: number the rows of each group in order and keep only the one or two
    rows around each percentile's position p·(n − 1); interpolate between them here."""
    key = group or "NULL"
    partition = f"PARTITION BY {group}" if group else ""
    near = " OR ".join(f"(rn > (n - 1) * {float(f)} AND rn < (n - 1) * {float(f)} + 2)" for f in fractions)
    rows = _all(
        f"SELECT g, rn, n, v FROM (SELECT {key} AS g, {column} AS v, "
        f"ROW_NUMBER() OVER ({partition} ORDER BY {column}) AS rn, COUNT(*) OVER ({partition}) AS n "
        f"FROM ({sql}) p WHERE {column} IS NOT NULL) ranked WHERE {near}",
        params,
    )
    found: dict[Any, dict[int, float]] = {}
    sizes: dict[Any, int] = {}
    for row in rows:
        found.setdefault(row["g"], {})[row["rn"]] = float(row["v"])
        sizes[row["g"]] = row["n"]
    result: dict[Any, dict[float, float | None]] = {}
    for name, values in found.items():
        n = sizes[name]
        result[name] = {}
        for fraction in fractions:
            position = (n - 1) * fraction
            lo, hi = math.floor(position), math.ceil(position)
            low, high = values[lo + 1], values[hi + 1]
            result[name][fraction] = low + (high - low) * (position - lo)
    return result


def guestbook_counts(cohort: Cohort, fields: Sequence[str]) -> dict[str, dict[str, int]]:
    """{field: {code: visitors}} over each visitor's newest guestbook entry among their consultations of the
    cohort, and `disability` as {"yes"|"no": visitors}: one query (the newest entries are found once)."""
    c, g = Consultation._meta.db_table, GuestbookEntry._meta.db_table
    marks = ", ".join(["%s"] * len(cohort.codes))
    branches = [
        f"SELECT '{field}' AS f, CAST(g.{field} AS TEXT) AS code, COUNT(*) AS n FROM g GROUP BY g.{field}"
        for field in fields
    ]
    branches.append(
        "SELECT 'disability' AS f, CASE WHEN g.disability THEN 'yes' ELSE 'no' END AS code, COUNT(*) AS n "
        "FROM g GROUP BY CASE WHEN g.disability THEN 'yes' ELSE 'no' END"
    )
    rows = _all(
        f"WITH newest AS (SELECT MAX(c.guestbook_entry_id) AS entry FROM {c} c WHERE c.office_id IN ({marks}) "
        "AND c.created_at >= %s AND c.created_at < %s AND c.guestbook_entry_id IS NOT NULL GROUP BY c.visitor_id), "
        f"g AS (SELECT e.* FROM {g} e JOIN newest ON e.id = newest.entry) " + " UNION ALL ".join(branches),
        [*cohort.codes, cohort.start, cohort.end],
    )
    result: dict[str, dict[str, int]] = {field: {} for field in (*fields, "disability")}
    for row in rows:
        result[row["f"]][str(row["code"])] = row["n"]
    return result
