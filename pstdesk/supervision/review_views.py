"""Transcript review pages: the monthly sample of an office (`/pengawasan/tinjauan/<code>/`), the review of one
transcript (`/pengawasan/tinjauan/konsultasi/<pk>/`), and the officer's own reviews with their replies
(`/tinjauan/`). Supervisors of the office review; the inspektorat and managers in scope read; the reviewed officer
reads their own and replies. Anyone else gets 404."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import User
from pstdesk.consultations.models import Consultation, Message, MessageKind
from pstdesk.lib.errors import DomainError
from pstdesk.supervision.actions import can_supervise
from pstdesk.supervision.audit_views import can_read_audit
from pstdesk.supervision.models import TranscriptReview
from pstdesk.supervision.reviews import (
    checklist_for,
    comment_on_review,
    mark_review_read,
    monthly_sample,
    review_transcript,
)


def _month(raw: str) -> date:
    try:
        year, month = (int(part) for part in raw.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
        from datetime import timedelta

        first = timezone.localdate().replace(day=1)
        return (first - timedelta(days=1)).replace(day=1)  # last month: the one to review


@login_required
def sample(request: HttpRequest, code: str) -> HttpResponse:
    """The month's sample per officer, with the reviews done."""
    if not can_read_audit(request.user):
        raise Http404("Not found")
    office = get_office_for(request.user, code)
    month = _month(request.GET.get("month", ""))
    picked = monthly_sample(office, month)
    officers = {u.pk: u for u in User.objects.filter(pk__in=list(picked))}
    reviewed = {r.consultation_id: r for r in TranscriptReview.objects.filter(office=office, month=month)}
    groups = [
        {"officer": officers.get(officer_id), "items": [(c, reviewed.get(c.pk)) for c in items]}
        for officer_id, items in picked.items()
    ]
    return render(
        request,
        "supervision/review_sample.html",
        {
            "office": office,
            "month": month,
            "groups": groups,
            "reviews": sorted(reviewed.values(), key=lambda r: r.pk),
            "can_review": can_supervise(request.user, office),
        },
    )


def _transcript(consultation: Consultation) -> list[Message]:
    return list(
        Message.objects.filter(consultation=consultation, kind__in=[MessageKind.MESSAGE, MessageKind.NOTE])
        .select_related("author")
        .order_by("seq")
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review one closed consultation (supervisors of its office), or read its review (readers in scope)."""
    if not can_read_audit(request.user):
        raise Http404("Not found")
    consultation = (
        Consultation.objects.filter(pk=pk, office__in=visible_offices(request.user))
        .select_related("office", "assigned_to")
        .first()
    )
    if consultation is None:
        raise Http404("Not found")
    existing = TranscriptReview.objects.filter(consultation=consultation).first()
    checklist = checklist_for(consultation.office)
    if request.method == "POST" and existing is None:
        scores = {item["code"]: request.POST.get(f"item_{item['code']}") == "on" for item in checklist}
        try:
            review_transcript(consultation, by=request.user, scores=scores, comment=request.POST.get("comment", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Tinjauan disimpan; petugas dapat membacanya."))
            return redirect("supervision:review", pk=consultation.pk)
    return render(
        request,
        "supervision/review.html",
        {
            "consultation": consultation,
            "review": existing,
            "checklist": checklist,
            "transcript": _transcript(consultation),
            "can_review": existing is None and can_supervise(request.user, consultation.office),
        },
    )


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    """The officer's reviews: read them (marked read on first view) and reply."""
    user: Any = request.user
    if request.method == "POST":
        item = TranscriptReview.objects.filter(pk=request.POST.get("review") or 0, officer=user).first()
        if item is None:
            raise Http404("Not found")
        try:
            comment_on_review(item, by=user, comment=request.POST.get("comment", ""))
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Tanggapan disimpan."))
        return redirect("supervision:my_reviews")
    reviews = list(
        TranscriptReview.objects.filter(officer=user).select_related("consultation", "reviewer").order_by("-pk")[:100]
    )
    for item in reviews:
        mark_review_read(item, by=user)
    return render(request, "supervision/my_reviews.html", {"reviews": reviews})
