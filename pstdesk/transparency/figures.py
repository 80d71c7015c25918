"""The public figures of an office for a month (its own consultations: a province's regencies publish their own),
computed from the records, and the sums of several months (a year, or a province with its regencies) from those
frozen figures.

A month's figures: consultations served (answered in the month) by channel; the share answered within the standard
(answered by the due time, among those with a due time); the median first response in minutes (first response in
the month); the SKM index with n and the per-element sums and counts (so a year's IKM is computed exactly from the
approved months); complaints received in the month and how many of them were followed up; compensation given
(granted in the month). Counts only: nothing that names or reaches a person.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, time
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from pstdesk.complaints.models import Compensation, CompensationStatus, Complaint, ComplaintKind, ComplaintStatus
from pstdesk.consultations.models import Consultation
from pstdesk.offices.models import Channel, Office
from pstdesk.ratings import skm
from pstdesk.ratings.models import SkmResponse

FIGURES_VERSION = 1


def month_bounds(office: Office, year: int, month: int) -> tuple[datetime, datetime]:
    zone = ZoneInfo(office.timezone)
    start = datetime.combine(date(year, month, 1), time.min, tzinfo=zone)
    end_day = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return start, datetime.combine(end_day, time.min, tzinfo=zone)


def compute_month(office: Office, year: int, month: int) -> dict[str, Any]:
    """The figures of the office itself for one month, from the records as they are now (each office approves
    its own; a province's total is the sum of its own and its regencies' approved figures, see `combine`)."""
    offices = Office.objects.filter(pk=office.pk)
    low, high = month_bounds(office, year, month)
    served = Consultation.objects.filter(office__in=offices, answered_at__gte=low, answered_at__lt=high)
    by_channel = dict.fromkeys(Channel.values, 0)
    within = with_due = 0
    for channel, answered_at, due_at in served.values_list("channel", "answered_at", "due_at"):
        by_channel[channel] = by_channel.get(channel, 0) + 1
        if due_at is not None and answered_at is not None:
            with_due += 1
            within += answered_at <= due_at
    waits = [
        (first - created).total_seconds() / 60
        for created, first in Consultation.objects.filter(
            office__in=offices, first_response_at__gte=low, first_response_at__lt=high
        ).values_list("created_at", "first_response_at")
        if first is not None
    ]
    answers = SkmResponse.objects.filter(office__in=offices, submitted_at__gte=low, submitted_at__lt=high)
    index = skm.compute_ikm(answers.values_list("answers", flat=True))
    complaints = Complaint.objects.filter(
        office__in=offices, kind=ComplaintKind.COMPLAINT, created_at__gte=low, created_at__lt=high
    )
    return {
        "version": FIGURES_VERSION,
        "served": sum(by_channel.values()),
        "served_by_channel": by_channel,
        "with_due": with_due,
        "within_standard": within,
        "first_responses": len(waits),
        "median_first_response_minutes": round(statistics.median(waits), 1) if waits else None,
        "skm_n": index.n,
        "skm_sums": {e: int((index.nrr[e] or 0) * index.answered[e]) for e in skm.ELEMENT_IDS},
        "skm_counts": index.answered,
        "ikm": float(index.ikm) if index.ikm is not None else None,
        "mutu": index.mutu,
        "complaints_received": complaints.count(),
        "complaints_followed_up": complaints.filter(status=ComplaintStatus.ANSWERED).count(),
        "compensation_given": Compensation.objects.filter(
            office__in=offices, status=CompensationStatus.GRANTED, decided_at__gte=low, decided_at__lt=high
        ).count(),
    }


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None for an empty whole."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")))


def ikm_of(sums: dict[str, int], counts: dict[str, int]) -> tuple[float | None, str | None]:
    """The IKM and grade from per-element sums and counts (exact, like `ratings.skm.compute_ikm`)."""
    if any(not counts.get(e) for e in skm.ELEMENT_IDS):
        return None, None
    exact = sum((Fraction(sums[e], counts[e]) for e in skm.ELEMENT_IDS), Fraction(0)) / len(skm.ELEMENT_IDS) * 25
    rounded = skm.exact_round2(exact)
    return float(rounded), skm.grade(rounded)


def combine(months: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The sum of several months' frozen figures (a year). The median first response cannot be summed: it is the
    median of the monthly medians, said so on the page."""
    if not months:
        return None
    by_channel: dict[str, int] = {}
    for m in months:
        for channel, n in m["served_by_channel"].items():
            by_channel[channel] = by_channel.get(channel, 0) + n
    sums = {e: sum(m["skm_sums"][e] for m in months) for e in skm.ELEMENT_IDS}
    counts = {e: sum(m["skm_counts"][e] for m in months) for e in skm.ELEMENT_IDS}
    ikm, mutu = ikm_of(sums, counts)
    medians = [m["median_first_response_minutes"] for m in months if m["median_first_response_minutes"] is not None]
    total: dict[str, Any] = {
        "served": sum(m["served"] for m in months),
        "served_by_channel": by_channel,
        "with_due": sum(m["with_due"] for m in months),
        "within_standard": sum(m["within_standard"] for m in months),
        "first_responses": sum(m["first_responses"] for m in months),
        "median_first_response_minutes": round(statistics.median(medians), 1) if medians else None,
        "skm_n": sum(m["skm_n"] for m in months),
        "skm_sums": sums,
        "skm_counts": counts,
        "ikm": ikm,
        "mutu": mutu,
        "complaints_received": sum(m["complaints_received"] for m in months),
        "complaints_followed_up": sum(m["complaints_followed_up"] for m in months),
        "compensation_given": sum(m["compensation_given"] for m in months),
    }
    return total


def public_view(figures: dict[str, Any]) -> dict[str, Any]:
    """What the page and the API show of a month's (or a year's) figures."""
    return {
        "served": figures["served"],
        "served_by_channel": figures["served_by_channel"],
        "within_standard_percent": share(figures["within_standard"], figures["with_due"]),
        "median_first_response_minutes": figures["median_first_response_minutes"],
        "ikm": figures["ikm"],
        "mutu": figures["mutu"],
        "skm_n": figures["skm_n"],
        "complaints_received": figures["complaints_received"],
        "complaints_followed_up": figures["complaints_followed_up"],
        "compensation_given": figures["compensation_given"],
    }
