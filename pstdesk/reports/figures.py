"""The figures of a performance evaluation report, computed as grouped aggregates in the database.

`build_report(office, period, subtree=..., now=...)` returns one JSON-ready dict (its keys are documented in
`docs/reports.md`): the period's figures at the top level, the same figures of the previous period and of the
same period a year earlier under `previous` and `year_earlier`, and for a subtree a table per office. The number
of queries depends on the number of sections (and on nothing else: not on rows, officers or offices), pinned by
`reports/tests/test_figures.py`.

Cohorts (the issue leaves them open; the choices are written down in docs/reports.md):
- volume, timeliness, officers and the ratings' response rate count the consultations *opened* (first contact,
  `created_at`) in the period; "closed" counts consultations closed in the period;
- ratings, complaints, breaches and compensation count what was *recorded* in the period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Exists, F, Max, OuterRef, Q, QuerySet, Subquery
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
from pstdesk.guestbook.models import CodeItem, GuestbookEntry
from pstdesk.offices.models import Channel, Office
from pstdesk.ratings.models import Rating
from pstdesk.ratings.queries import skm_figures_between
from pstdesk.reports.calendar import ensure_working_days
from pstdesk.reports.dbfuncs import Epoch, in_service_hours, percentiles, working_day_number, working_minutes_at
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
    standard = office.standard
    report: dict[str, Any] = {
        "office": {"code": office.code, "name": office.name, "timezone": office.timezone},
        "subtree": subtree,
        "offices": codes,
        "standard": {
            "sla_working_days": standard.sla_working_days if standard else None,
            "first_response_minutes": standard.first_response_minutes if standard else None,
        },
        "generated_at": now.isoformat(),
    }
    report.update(period_figures(codes, period, zone, now=now))
    report["previous"] = period_figures(codes, period.previous(), zone, now=now, brief=True)
    report["year_earlier"] = period_figures(codes, period.year_earlier(), zone, now=now, brief=True)
    if subtree:
        report["by_office"] = by_office(offices, period, zone, now=now)
    report["skm"] = skm_section(codes, period, zone)
    report["supervision"] = supervision_section(offices, period, zone)
    return report


def period_figures(
    codes: list[str], period: Period, zone: ZoneInfo, *, now: datetime, brief: bool = False
) -> dict[str, Any]:
    """Every section for one period. `brief` (the comparison periods) leaves out the lists (feedback excerpts,
    breach and integrity cases) and the officers' table, which are read for the report's own period only."""
    start, end = period.bounds(zone)
    opened = Consultation.objects.filter(office_id__in=codes, created_at__gte=start, created_at__lt=end)
    figures: dict[str, Any] = {
        "period": {
            "key": period.key,
            "kind": period.kind,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "label": period.label(),
        },
        "consultations": consultation_figures(codes, opened, start, end, zone),
        "visitors": visitor_figures(opened),
        "sla": sla_figures(codes, opened, start, end, now=now, brief=brief),
        "ratings": rating_figures(codes, opened, start, end, brief=brief),
        "complaints": complaint_figures(codes, start, end),
    }
    if not brief:
        figures["officers"] = officer_figures(opened, now=now)
    return figures


def consultation_figures(
    codes: list[str], opened: QuerySet[Consultation], start: datetime, end: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    totals = opened.aggregate(opened=Count("id"), inside=Count("id", filter=Q(in_service_hours("created_at"))))
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


def visitor_figures(opened: QuerySet[Consultation]) -> dict[str, Any]:
    """Who consulted, from the guestbook: each visitor once per period, by the newest guestbook entry among
    their consultations of the period; visitors with no entry are counted as `unknown`."""
    visitors = opened.order_by().values("visitor_id").distinct().count()
    newest = (
        opened.filter(guestbook_entry__isnull=False)
        .order_by()
        .values("visitor_id")
        .annotate(entry=Max("guestbook_entry_id"))
        .values("entry")
    )
    entries = GuestbookEntry.objects.filter(pk__in=Subquery(newest))
    result: dict[str, Any] = {"count": visitors}
    known = 0
    for field in GUESTBOOK_FIELDS:
        rows = entries.order_by().values(field).annotate(n=Count("id"))
        counts = {str(row[field]): row["n"] for row in rows}
        known = sum(counts.values())
        result[field] = {code: {"count": n, "share": _share(n, visitors)} for code, n in sorted(counts.items())}
    disabled = entries.filter(disability=True).count()
    result["disability"] = {
        "yes": {"count": disabled, "share": _share(disabled, visitors)},
        "no": {"count": known - disabled, "share": _share(known - disabled, visitors)},
    }
    result["unknown"] = visitors - known
    return result


def sla_figures(
    codes: list[str], opened: QuerySet[Consultation], start: datetime, end: datetime, *, now: datetime, brief: bool
) -> dict[str, Any]:
    first = opened.filter(first_response_at__isnull=False).annotate(
        minutes=working_minutes_at("first_response_at") - working_minutes_at("created_at")
    )
    fr = first.aggregate(
        count=Count("id"),
        mean=Avg("minutes"),
        within=Count(
            "id", filter=Q(first_response_due_at__isnull=False, first_response_at__lte=F("first_response_due_at"))
        ),
    )
    fr_p = percentiles(first, "minutes", (0.5, 0.9)).get(None, {})
    answered = opened.filter(answered_at__isnull=False, sla_started_at__isnull=False).annotate(
        days=working_day_number("answered_at") - working_day_number("sla_started_at")
    )
    days_rows = answered.order_by().values("days").annotate(n=Count("id"))
    distribution: dict[str, int] = {}
    for row in days_rows:
        if row["days"] is not None:
            key = str(max(int(row["days"]), 0))
            distribution[key] = distribution.get(key, 0) + row["n"]
    days = answered.aggregate(count=Count("id"), mean=Avg("days"))
    days_p = percentiles(answered, "days", (0.5,)).get(None, {})
    cohort = opened.filter(due_at__isnull=False).aggregate(
        started=Count("id"),
        answered=Count("id", filter=Q(answered_at__isnull=False)),
        within=Count("id", filter=Q(answered_at__lte=F("due_at"))),
        decided=Count("id", filter=Q(answered_at__isnull=False) | Q(due_at__lt=now)),
    )
    breaches = Breach.objects.filter(office_id__in=codes, detected_at__gte=start, detected_at__lt=end)
    by_kind = _counts(breaches.order_by().values("kind").annotate(n=Count("id")), "kind", [k.value for k in BreachKind])
    section: dict[str, Any] = {
        "first_response": {
            "count": fr["count"],
            "without_response": opened.filter(first_response_at__isnull=True).count(),
            "mean_minutes": _round(fr["mean"], 1),
            "median_minutes": _round(fr_p.get(0.5), 1),
            "p90_minutes": _round(fr_p.get(0.9), 1),
            "within_target": fr["within"],
            "within_target_share": _share(fr["within"], fr["count"]),
        },
        "days_to_answer": {
            "count": days["count"],
            "mean": _round(days["mean"]),
            "median": _round(days_p.get(0.5), 1),
            "distribution": dict(sorted(distribution.items(), key=lambda item: int(item[0]))),
        },
        "started": cohort["started"],
        "answered": cohort["answered"],
        "decided": cohort["decided"],
        "pending": cohort["started"] - cohort["decided"],
        "within_standard": cohort["within"],
        "within_standard_share": _share(cohort["within"], cohort["decided"]),
        "breaches": {"total": sum(by_kind.values()), **by_kind},
    }
    if not brief:
        section["breaches"]["consultations"] = list(
            breaches.order_by("consultation_id").values_list("consultation_id", flat=True).distinct()[:LIST_LIMIT]
        )
    return section


def rating_figures(
    codes: list[str], opened: QuerySet[Consultation], start: datetime, end: datetime, *, brief: bool
) -> dict[str, Any]:
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


def complaint_figures(codes: list[str], start: datetime, end: datetime) -> dict[str, Any]:
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


def officer_figures(opened: QuerySet[Consultation], *, now: datetime) -> list[dict[str, Any]]:
    """Per officer (the consultation's assignee): consultations handled, median first response in working
    minutes, share answered within the standard (of those decided), mean rating."""
    mine = opened.filter(assigned_to__isnull=False)
    rows = (
        mine.order_by()
        .values("assigned_to", "assigned_to__username", "assigned_to__first_name", "assigned_to__last_name")
        .annotate(
            handled=Count("id"),
            decided=Count("id", filter=Q(due_at__isnull=False) & (Q(answered_at__isnull=False) | Q(due_at__lt=now))),
            on_time=Count("id", filter=Q(due_at__isnull=False, answered_at__lte=F("due_at"))),
            ratings=Count("rating"),
            rating_mean=Avg("rating__score"),
        )
    )
    first = mine.filter(first_response_at__isnull=False).annotate(
        minutes=working_minutes_at("first_response_at") - working_minutes_at("created_at")
    )
    medians = percentiles(first, "minutes", (0.5,), group="assigned_to")
    result = []
    for row in rows:
        name = f"{row['assigned_to__first_name']} {row['assigned_to__last_name']}".strip()
        result.append(
            {
                "id": row["assigned_to"],
                "username": row["assigned_to__username"],
                "name": name or row["assigned_to__username"],
                "handled": row["handled"],
                "median_first_response_minutes": _round(medians.get(row["assigned_to"], {}).get(0.5), 1),
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


def skm_section(codes: list[str], period: Period, zone: ZoneInfo) -> dict[str, Any]:
    """The SKM/IKM section (PermenPAN-RB 14/2017): the index of the questionnaires submitted in the period, with
    n against the Krejcie–Morgan minimum (`ratings.queries.skm_figures_between`, the same figures as
    `pstdesk skm ikm`)."""
    start, end = period.bounds(zone)
    return skm_figures_between(codes, start, end).as_json()
