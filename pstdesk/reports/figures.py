"""The figures of a performance evaluation report, computed as grouped aggregates in the database.

`build_report(office, period, subtree=..., now=...)` returns one JSON-ready dict (its keys are documented in
`docs/reports.md`): the period's figures at the top level, the same figures of the previous period and of the
same period a year earlier under `previous` and `year_earlier`, and for a subtree a table per office. The number
of queries depends on the number of sections (and on nothing else: not on rows, officers or offices), pinned by
`reports/tests/test_figures.py`.

Sections plug in through one list, `SECTIONS` (see `Section`, `Scope` and `register_section` at the end): each
is a key of the figures JSON computed by a function of the `Scope` (offices, period bounds, the report's moment).
The working-time figures (service hours, first response in working minutes, working days to answer, the
officers' table) come from `reports.measures`: set-based joins of the consultations to the calendar table.

Cohorts (the issue leaves them open; the choices are written down in docs/reports.md):
- volume, timeliness, officers and the ratings' response rate count the consultations *opened* (first contact,
  `created_at`) in the period; "closed" counts consultations closed in the period;
- ratings, complaints, breaches and compensation count what was *recorded* in the period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from pstdesk.complaints.models import (
    Breach,
    BreachKind,
    Compensation,
    CompensationStatus,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
)
from pstdesk.consultations.models import Consultation, Topic
from pstdesk.guestbook.models import CodeItem
from pstdesk.offices.models import Channel, Office
from pstdesk.ratings.models import Rating
from pstdesk.ratings.queries import skm_figures_between
from pstdesk.reports import measures
from pstdesk.reports.calendar import ensure_working_days
from pstdesk.reports.dbfuncs import Epoch, percentiles
from pstdesk.reports.measures import Cohort
from pstdesk.reports.periods import Period
from pstdesk.reports.sections_supervision import supervision_section

GUESTBOOK_FIELDS = ("sex", "age_group", "education", "occupation", "institution_category", "purpose")
# Long lists in a report are cut here; the full list is one drill-down link away.
LIST_LIMIT = 50
FEEDBACK_EXCERPTS = 10
EXCERPT_CHARS = 200


def _share(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when there is nothing to divide (an empty period)."""
    return round(part / whole, 4) if whole else None


def _round(value: float | None, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def _counts(rows: QuerySet[Any], key: str, keys: list[str], *, blank: str | None = None) -> dict[str, int]:
    """{key: count} over `keys` (zeros included), from rows of (key, n)."""
    result = dict.fromkeys(keys, 0)
    for row in rows:
        name = str(row[key]) if row[key] not in ("", None) else (blank or "")
        result[name] = result.get(name, 0) + row["n"]
    return result


def build_report(
    office: Office, period: Period, *, subtree: bool = False, now: datetime | None = None
) -> dict[str, Any]:
    """The report of `office` (with `subtree`: the office and every office below it, summed) for `period` in the
    office's time zone, beside the previous period and the same period a year earlier."""
    now = now or timezone.now()
    offices = list(Office.objects.subtree_of(office)) if subtree else [office]
    codes = [o.code for o in offices]
    zone = ZoneInfo(office.timezone)
    ensure_working_days(offices, max(period.last.year, now.year))
    policy = office.policy
    report: dict[str, Any] = {
        "office": {"code": office.code, "name": office.name, "timezone": office.timezone},
        "subtree": subtree,
        "offices": codes,
        "standard": {
            "sla_working_days": policy.sla_working_days,
            "first_response_minutes": policy.first_response_minutes,
        },
        "generated_at": now.isoformat(),
    }
    report.update(period_figures(codes, period, zone, now=now))
    report["previous"] = period_figures(codes, period.previous(), zone, now=now, brief=True)
    report["year_earlier"] = period_figures(codes, period.year_earlier(), zone, now=now, brief=True)
    if subtree:
        report["by_office"] = by_office(offices, period, zone, now=now)
    return report


@dataclass(frozen=True)
class Scope:
    """What a section computes its figures over: the offices, one period (bounds in the report's zone), the
    consultations opened in it, the report's moment, and whether it is a comparison period (`brief`)."""

    codes: list[str]
    period: Period
    zone: ZoneInfo
    start: datetime
    end: datetime
    now: datetime
    brief: bool

    @property
    def opened(self) -> QuerySet[Consultation]:
        return Consultation.objects.filter(
            office_id__in=self.codes, created_at__gte=self.start, created_at__lt=self.end
        )

    @property
    def cohort(self) -> Cohort:
        return Cohort(self.codes, self.start, self.end)

    @cached_property
    def timeliness(self) -> dict[str, Any]:
        """`measures.timeliness` of the period, shared by the sections that read it (computed once)."""
        return measures.timeliness(self.cohort, now=self.now)


@dataclass(frozen=True)
class Section:
    """One section of the report: `key` in the figures JSON, `compute(scope)` its JSON-ready value.
    `comparisons=False` computes it for the report's own period only (not beside the previous period and the
    same period a year earlier)."""

    key: str
    compute: Callable[[Scope], Any]
    comparisons: bool = True


def period_figures(
    codes: list[str], period: Period, zone: ZoneInfo, *, now: datetime, brief: bool = False
) -> dict[str, Any]:
    """Every section of `SECTIONS` for one period. `brief` (the comparison periods) computes only the sections
    with `comparisons=True`, and those leave out their lists (feedback excerpts, breach and integrity cases)."""
    start, end = period.bounds(zone)
    scope = Scope(codes=codes, period=period, zone=zone, start=start, end=end, now=now, brief=brief)
    figures: dict[str, Any] = {
        "period": {
            "key": period.key,
            "kind": period.kind,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "label": period.label(),
        }
    }
    for section in SECTIONS:
        if section.comparisons or not brief:
            figures[section.key] = section.compute(scope)
    return figures


def consultation_figures(scope: Scope) -> dict[str, Any]:
    codes, opened, start, end, zone = scope.codes, scope.opened, scope.start, scope.end, scope.zone
    totals = scope.timeliness
    closed = Consultation.objects.filter(office_id__in=codes, closed_at__gte=start, closed_at__lt=end).count()
    by_channel = _counts(
        opened.order_by().values("channel").annotate(n=Count("id")), "channel", [c.value for c in Channel]
    )
    by_topic = _counts(
        opened.order_by().values("topic").annotate(n=Count("id")),
        "topic",
        [t.value for t in Topic] + ["none"],
        blank="none",
    )
    # Weekday × hour in one grouped query; the two margins are summed from it (≤ 168 rows whatever the volume).
    grid = (
        opened.order_by()
        .annotate(weekday=ExtractIsoWeekDay("created_at", tzinfo=zone), hour=ExtractHour("created_at", tzinfo=zone))
        .values("weekday", "hour")
        .annotate(n=Count("id"))
    )
    by_weekday = {str(day): 0 for day in range(1, 8)}
    by_hour = {str(hour): 0 for hour in range(24)}
    for row in grid:
        by_weekday[str(row["weekday"])] += row["n"]
        by_hour[str(row["hour"])] += row["n"]
    earlier = Consultation.objects.filter(office_id__in=codes, visitor_id=OuterRef("visitor_id"), created_at__lt=start)
    visitors = opened.order_by().values("visitor_id").distinct().count()
    returning = opened.filter(Exists(earlier)).order_by().values("visitor_id").distinct().count()
    return {
        "opened": totals["opened"],
        "closed": closed,
        "by_channel": by_channel,
        "by_topic": by_topic,
        "by_weekday": by_weekday,
        "by_hour": by_hour,
        "inside_service_hours": totals["inside"],
        "outside_service_hours": totals["opened"] - totals["inside"],
        "visitors": visitors,
        "new_visitors": visitors - returning,
        "returning_visitors": returning,
    }


def visitor_figures(scope: Scope) -> dict[str, Any]:
    """Who consulted, from the guestbook: each visitor once per period, by the newest guestbook entry among
    their consultations of the period; visitors with no entry are counted as `unknown`."""
    opened = scope.opened
    visitors = opened.order_by().values("visitor_id").distinct().count()
    counted = measures.guestbook_counts(scope.cohort, GUESTBOOK_FIELDS)
    result: dict[str, Any] = {"count": visitors}
    known = 0
    for field in GUESTBOOK_FIELDS:
        counts = counted[field]
        known = sum(counts.values())
        result[field] = {code: {"count": n, "share": _share(n, visitors)} for code, n in sorted(counts.items())}
    disabled = counted["disability"].get("yes", 0)
    result["disability"] = {
        "yes": {"count": disabled, "share": _share(disabled, visitors)},
        "no": {"count": known - disabled, "share": _share(known - disabled, visitors)},
    }
    result["unknown"] = visitors - known
    return result


def sla_figures(scope: Scope) -> dict[str, Any]:
    t = scope.timeliness
    distribution: dict[str, int] = {}
    for days, n in sorted(t["days_distribution"].items()):
        key = str(max(days, 0))
        distribution[key] = distribution.get(key, 0) + n
    breaches = Breach.objects.filter(office_id__in=scope.codes, detected_at__gte=scope.start, detected_at__lt=scope.end)
    by_kind = _counts(breaches.order_by().values("kind").annotate(n=Count("id")), "kind", [k.value for k in BreachKind])
    section: dict[str, Any] = {
        "first_response": {
            "count": t["fr_count"],
            "without_response": t["without_response"],
            "mean_minutes": _round(t["fr_mean"], 1),
            "median_minutes": _round(t["fr_p50"], 1),
            "p90_minutes": _round(t["fr_p90"], 1),
            "within_target": t["fr_within"],
            "within_target_share": _share(t["fr_within"], t["fr_count"]),
        },
        "days_to_answer": {
            "count": t["days_count"],
            "mean": _round(t["days_mean"]),
            "median": _round(t["days_p50"], 1),
            "distribution": dict(sorted(distribution.items(), key=lambda item: int(item[0]))),
        },
        "started": t["started"],
        "answered": t["answered"],
        "decided": t["decided"],
        "pending": t["started"] - t["decided"],
        "within_standard": t["within_standard"],
        "within_standard_share": _share(t["within_standard"], t["decided"]),
        "breaches": {"total": sum(by_kind.values()), **by_kind},
    }
    if not scope.brief:
        section["breaches"]["consultations"] = list(
            breaches.order_by("consultation_id").values_list("consultation_id", flat=True).distinct()[:LIST_LIMIT]
        )
    return section


def rating_figures(scope: Scope) -> dict[str, Any]:
    codes, opened, start, end, brief = scope.codes, scope.opened, scope.start, scope.end, scope.brief
    ratings = Rating.objects.filter(consultation__office_id__in=codes, created_at__gte=start, created_at__lt=end)
    totals = ratings.aggregate(
        count=Count("id"),
        mean=Avg("score"),
        gratuity_n=Count("id", filter=Q(gratuity=True)),
        illegal_fee_n=Count("id", filter=Q(illegal_fee=True)),
        with_feedback=Count("id", filter=~Q(feedback="")),
    )
    distribution = _counts(
        ratings.order_by().values("score").annotate(n=Count("id")), "score", ["1", "2", "3", "4", "5"]
    )
    # Response rate: of the consultations opened in the period and answered, how many were rated (ever).
    answered = opened.filter(answered_at__isnull=False)
    per_channel: dict[str, dict[str, Any]] = {
        c.value: {"answered": 0, "rated": 0, "response_rate": None} for c in Channel
    }
    for row in answered.order_by().values("channel").annotate(n=Count("id"), rated=Count("rating")):
        per_channel[row["channel"]] = {
            "answered": row["n"],
            "rated": row["rated"],
            "response_rate": _share(row["rated"], row["n"]),
        }
    all_answered = sum(row["answered"] for row in per_channel.values())
    all_rated = sum(row["rated"] for row in per_channel.values())
    section: dict[str, Any] = {
        "count": totals["count"],
        "mean": _round(totals["mean"]),
        "distribution": distribution,
        "response_rate": _share(all_rated, all_answered),
        "by_channel": per_channel,
        "with_feedback": totals["with_feedback"],
        "integrity": {"gratuity": totals["gratuity_n"], "illegal_fee": totals["illegal_fee_n"]},
    }
    if not brief:
        section["feedback"] = [
            {"consultation": row["consultation_id"], "score": row["score"], "text": _excerpt(row["feedback"])}
            for row in ratings.exclude(feedback="")
            .order_by("-created_at", "-id")
            .values("consultation_id", "score", "feedback")[:FEEDBACK_EXCERPTS]
        ]
        # What was done about each integrity answer: the compensation case of that consultation, if any.
        case = Compensation.objects.filter(consultation_id=OuterRef("consultation_id")).order_by("-opened_at")
        section["integrity"]["cases"] = [
            {
                "consultation": row["consultation_id"],
                "gratuity": row["gratuity"],
                "illegal_fee": row["illegal_fee"],
                "compensation": row["compensation"] or "",
            }
            for row in ratings.filter(Q(gratuity=True) | Q(illegal_fee=True))
            .annotate(compensation=Subquery(case.values("status")[:1]))
            .order_by("consultation_id")
            .values("consultation_id", "gratuity", "illegal_fee", "compensation")[:LIST_LIMIT]
        ]
    return section


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def complaint_figures(scope: Scope) -> dict[str, Any]:
    codes, start, end = scope.codes, scope.start, scope.end
    complaints = Complaint.objects.filter(office_id__in=codes, created_at__gte=start, created_at__lt=end)
    totals = complaints.aggregate(
        received=Count("id"),
        upheld_n=Count("id", filter=Q(upheld=True)),
        not_upheld_n=Count("id", filter=Q(upheld=False)),
    )
    follow_up = complaints.filter(handled_at__isnull=False)
    hours = (Epoch("handled_at") - Epoch("created_at")) / 3600.0
    follow_p = percentiles(follow_up, hours, (0.5,)).get(None, {})
    opened = Compensation.objects.filter(office_id__in=codes, opened_at__gte=start, opened_at__lt=end).count()
    decided = Compensation.objects.filter(office_id__in=codes, decided_at__gte=start, decided_at__lt=end).aggregate(
        decided=Count("id"),
        granted=Count("id", filter=Q(status=CompensationStatus.GRANTED)),
        declined=Count("id", filter=Q(status=CompensationStatus.DECLINED)),
    )
    return {
        "received": totals["received"],
        "by_kind": _counts(
            complaints.order_by().values("kind").annotate(n=Count("id")), "kind", list(ComplaintKind.values)
        ),
        "by_source": _counts(
            complaints.order_by().values("source").annotate(n=Count("id")), "source", list(ComplaintSource.values)
        ),
        "by_status": _counts(
            complaints.order_by().values("status").annotate(n=Count("id")), "status", list(ComplaintStatus.values)
        ),
        "upheld": totals["upheld_n"],
        "not_upheld": totals["not_upheld_n"],
        "median_follow_up_hours": _round(follow_p.get(0.5), 1),
        "compensation": {
            "opened": opened,
            "decided": decided["decided"],
            "granted": decided["granted"],
            "declined": decided["declined"],
        },
    }


def officer_figures(scope: Scope) -> list[dict[str, Any]]:
    """Per officer who held the consultation when it was answered (`measures.officers`: the assignment history):
    consultations handled, median first response in working minutes, share answered within the standard (of
    those decided), mean rating."""
    result = []
    for row in measures.officers(scope.cohort, now=scope.now):
        username = row["username"] or str(row["officer"])
        name = f"{row['first_name'] or ''} {row['last_name'] or ''}".strip()
        result.append(
            {
                "id": row["officer"],
                "username": username,
                "name": name or username,
                "handled": row["handled"],
                "median_first_response_minutes": _round(row["fr_p50"], 1),
                "decided": row["decided"],
                "on_time": row["on_time"],
                "on_time_share": _share(row["on_time"], row["decided"]),
                "ratings": row["ratings"],
                "rating_mean": _round(row["rating_mean"]),
            }
        )
    result.sort(key=lambda item: (-item["handled"], item["username"]))
    return result


def by_office(offices: list[Office], period: Period, zone: ZoneInfo, *, now: datetime) -> list[dict[str, Any]]:
    """One row of headline figures per office of a subtree, from grouped queries (one per table, not per office)."""
    start, end = period.bounds(zone)
    codes = [o.code for o in offices]
    opened = Consultation.objects.filter(office_id__in=codes, created_at__gte=start, created_at__lt=end)
    rows: dict[str, dict[str, Any]] = {
        o.code: {"code": o.code, "name": o.name, "opened": 0, "closed": 0, "decided": 0, "within_standard": 0}
        for o in offices
    }
    for grouped in (
        opened.order_by()
        .values("office_id")
        .annotate(
            opened=Count("id"),
            decided=Count("id", filter=Q(due_at__isnull=False) & (Q(answered_at__isnull=False) | Q(due_at__lt=now))),
            within_standard=Count("id", filter=Q(due_at__isnull=False, answered_at__lte=F("due_at"))),
        )
    ):
        rows[grouped["office_id"]].update(
            opened=grouped["opened"], decided=grouped["decided"], within_standard=grouped["within_standard"]
        )
    closed = Consultation.objects.filter(office_id__in=codes, closed_at__gte=start, closed_at__lt=end)
    for count in closed.order_by().values("office_id").annotate(n=Count("id")):
        rows[count["office_id"]]["closed"] = count["n"]
    ratings = Rating.objects.filter(consultation__office_id__in=codes, created_at__gte=start, created_at__lt=end)
    rating_rows = {
        row["consultation__office_id"]: row
        for row in ratings.order_by().values("consultation__office_id").annotate(n=Count("id"), mean=Avg("score"))
    }
    complaints = Complaint.objects.filter(office_id__in=codes, created_at__gte=start, created_at__lt=end)
    complaint_rows = {
        row["office_id"]: row["n"] for row in complaints.order_by().values("office_id").annotate(n=Count("id"))
    }
    result: list[dict[str, Any]] = []
    for code, row in rows.items():
        rating = rating_rows.get(code)
        row["within_standard_share"] = _share(row["within_standard"], row["decided"])
        row["ratings"] = rating["n"] if rating else 0
        row["rating_mean"] = _round(rating["mean"]) if rating else None
        row["complaints"] = complaint_rows.get(code, 0)
        result.append(row)
    return result


def code_labels(language: str = "id") -> dict[str, dict[str, str]]:
    """{list name: {code: label}} of the newest version of each guestbook code list (one query)."""
    labels: dict[str, dict[str, str]] = {}
    seen_version: dict[str, int] = {}
    for item in CodeItem.objects.select_related("code_list").order_by(
        "code_list__name", "-code_list__version", "order"
    ):
        name = item.code_list.name
        if seen_version.setdefault(name, item.code_list.version) != item.code_list.version:
            continue
        labels.setdefault(name, {})[item.code] = item.label.get(language) or item.label.get("id") or item.code
    return labels


def skm_section(scope: Scope) -> dict[str, Any]:
    """The SKM/IKM section (PermenPAN-RB 14/2017): the index of the questionnaires submitted in the period, with
    n against the Krejcie–Morgan minimum (`ratings.queries.skm_figures_between`, the same figures as
    `pstdesk skm ikm`)."""
    return skm_figures_between(scope.codes, scope.start, scope.end).as_json()


def supervision_of(scope: Scope) -> dict[str, Any]:
    """Staffing per day and the transcript reviews of the period (`reports.sections_supervision`)."""
    offices = list(Office.objects.filter(code__in=scope.codes).order_by("code"))
    return supervision_section(offices, scope.period, scope.zone)


# The report's sections in order. Another module adds its own with `SECTIONS.append(Section(...))` (or
# `register_section`) at import, e.g. from its AppConfig.ready(); each becomes a key of the figures JSON.
SECTIONS: list[Section] = [
    Section("consultations", consultation_figures),
    Section("visitors", visitor_figures),
    Section("sla", sla_figures),
    Section("ratings", rating_figures),
    Section("complaints", complaint_figures),
    Section("officers", officer_figures, comparisons=False),
    Section("skm", skm_section, comparisons=False),
    Section("supervision", supervision_of, comparisons=False),
]


def register_section(section: Section, *, after: str | None = None) -> None:
    """Add a section (once per key), at the end or after the section named `after`."""
    if any(existing.key == section.key for existing in SECTIONS):
        return
    keys = [existing.key for existing in SECTIONS]
    SECTIONS.insert(keys.index(after) + 1 if after in keys else len(SECTIONS), section)
