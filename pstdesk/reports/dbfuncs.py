"""Database expressions the report queries share: epoch seconds, working minutes and working-day numbers of a
moment (looked up in `WorkingDay`), and percentiles (PostgreSQL `percentile_cont`; elsewhere a window query that
returns only the rows around each percentile). None of them loads the rows being measured into Python."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, Least, RowNumber

from pstdesk.reports.models import WorkingDay


class Epoch(Func):
    """Whole Unix seconds of a datetime column (UTC), the unit of `WorkingDay`'s columns."""

    # bigint like WorkingDay's columns: EXTRACT returns numeric, and comparing an indexed bigint column with a
    # numeric casts the column, which turns every lookup into a scan of the office's calendar.
    output_field = BigIntegerField()
    template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS BIGINT)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # julianday() reads Django's stored text; rounding removes the float noise of the day fraction.
        template = "CAST(ROUND((julianday(%(expressions)s) - 2440587.5) * 86400.0) AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)


class PercentileCont(Aggregate):
    """PostgreSQL's continuous percentile of an ordered set (linear interpolation, like numpy's default)."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def working_minutes_at(field: str) -> Any:
    """The office's service minutes from `calendar.ANCHOR` to the moment in `field` of the outer consultation row
    (which must have `office_id`). The difference of two of these is the working minutes between them."""
    moment = Epoch(OuterRef(field))
    day = (
        WorkingDay.objects.filter(office_id=OuterRef("office_id"), opens_epoch__lte=moment)
        .order_by("-opens_epoch")
        .annotate(
            at=F("minutes_before")
            + Least(moment - F("opens_epoch"), F("closes_epoch") - F("opens_epoch"), output_field=FloatField()) / 60.0
        )
        .values("at")[:1]
    )
    return Coalesce(Subquery(day, output_field=FloatField()), Value(0.0))


def working_day_number(field: str) -> Any:
    """The number of the working day a moment counts for: the day it falls in during service hours, else the next
    working day (the standard's day-0 rule). Differences of two are working days between them."""
    moment = Epoch(OuterRef(field))
    day = (
        WorkingDay.objects.filter(office_id=OuterRef("office_id"), closes_epoch__gt=moment)
        .order_by("closes_epoch")
        .values("ordinal")[:1]
    )
    return Subquery(day, output_field=FloatField())


def in_service_hours(field: str) -> Any:
    """True when the moment in `field` falls inside the office's service hours on a working day."""
    moment = Epoch(OuterRef(field))
    return Exists(
        WorkingDay.objects.filter(office_id=OuterRef("office_id"), opens_epoch__lte=moment, closes_epoch__gt=moment)
    )


def percentiles(
    queryset: QuerySet[Any], value: Expression | str, fractions: Sequence[float], *, group: str | None = None
) -> dict[Any, dict[float, float | None]]:
    """{group value (None without `group`): {fraction: continuous percentile of `value`}} over the rows of
    `queryset` where `value` is not null, in one query whatever the number of rows."""
    qs = queryset.annotate(_pv=value if isinstance(value, Expression) else F(value)).filter(_pv__isnull=False)
    keys = [group] if group else []
    result: dict[Any, dict[float, float | None]] = {}
    if connection.vendor == "postgresql":
        aggregates = {f"p{i}": PercentileCont("_pv", fraction) for i, fraction in enumerate(fractions)}
        if group:
            rows = qs.order_by().values(group).annotate(**aggregates)
        else:
            rows = [qs.order_by().aggregate(**aggregates)]
        for row in rows:
            key = row[group] if group else None
            result[key] = {fraction: _float(row[f"p{i}"]) for i, fraction in enumerate(fractions)}
        return result
    # Elsewhere (SQLite): number the rows of each group in order and keep only the one or two rows around each
    # percentile's position p·(n − 1); interpolate between them here.
    partition = [F(group)] if group else []
    ranked = qs.order_by().annotate(
        _rn=Window(RowNumber(), partition_by=partition or None, order_by=F("_pv").asc()),
        _n=Window(Count("*"), partition_by=partition or None),
    )
    near = Q()
    for fraction in fractions:
        around = (F("_n") - 1) * fraction + 1
        near |= Q(_rn__gt=around - 1, _rn__lt=around + 1)
    rows = ranked.filter(near).values(*keys, "_rn", "_n", "_pv")
    found: dict[Any, dict[int, float]] = {}
    sizes: dict[Any, int] = {}
    for row in rows:
        key = row[group] if group else None
        found.setdefault(key, {})[row["_rn"]] = float(row["_pv"])
        sizes[key] = row["_n"]
    for key, values in found.items():
        n = sizes[key]
        result[key] = {}
        for fraction in fractions:
            position = (n - 1) * fraction
            lo, hi = math.floor(position), math.ceil(position)
            low, high = values[lo + 1], values[hi + 1]
            result[key][fraction] = low + (high - low) * (position - lo)
    return result


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
