"""Transcript review pages: the monthly sample of an office (`/pengawasan/tinjauan/<code>/`), the review of one
transcript (`/pengawasan/tinjauan/konsultasi/<pk>/`), and the officer's own reviews with their replies
(`/tinjauan/`). Supervisors of the office review; the inspektorat and managers in scope read; the reviewed officer
reads their own and replies. Anyone else gets 404."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pstdesk.accounts.access import acting_user, get_office_for, visible_offices
from pstdesk.accounts.models import User
from pstdesk.consultations.models import Consultation, Message, MessageKind
from pstdesk.consultations.serializers import staff_body
from pstdesk.lib.errors import DomainError
from pstdesk.supervision.actions import can_supervise
from pstdesk.supervision.audit_views import can_read_audit
from pstdesk.supervision.models import Answer, TranscriptReview
from pstdesk.supervision.reviews import (
    checklist_for,
    comment_on_review,
    mark_review_read,
    monthly_sample,
    review_transcript,
    update_review,
)

LIST_LIMIT = 200


def _month(raw: str) -> date:
    try:
        year, month = (int(part) for part in raw.split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError):
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
    """The messages and notes as staff read them (`staff_body`: never a text private to the visitor)."""
    messages = list(
        Message.objects.filter(consultation=consultation, kind__in=[MessageKind.MESSAGE, MessageKind.NOTE])
        .select_related("author")
        .order_by("seq")
    )
    for message in messages:
        message.staff_text = staff_body(message)  # type: ignore[attr-defined]  # read by the template only
    return messages


def _form_values(request: HttpRequest, checklist: list[dict[str, str]]) -> tuple[dict[str, str], dict[str, str]]:
    answers = {item["code"]: request.POST.get(f"answer_{item['code']}", "") for item in checklist}
    notes = {item["code"]: request.POST.get(f"note_{item['code']}", "") for item in checklist}
    return answers, notes


def _rows(checklist: list[dict[str, str]], answers: dict[str, str], notes: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "code": item["code"],
            "label": item["label"],
            "answer": answers.get(item["code"], ""),
            "note": notes.get(item["code"], ""),
        }
        for item in checklist
    ]


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review one closed consultation on the checklist (supervisors of its office), correct an existing review
    (same), or read it (readers in scope). A refused form is shown again with what was entered."""
    if not can_read_audit(request.user):
        raise Http404("Not found")
    consultation = (
        Consultation.objects.filter(pk=pk, office__in=visible_offices(request.user))
        .select_related("office", "assigned_to")
        .first()
    )
    if consultation is None:
        raise Http404("Not found")
    existing = TranscriptReview.objects.filter(consultation=consultation).select_related("reviewer").first()
    checklist = existing.checklist if existing is not None else checklist_for(consultation.office)
    may_edit = can_supervise(request.user, consultation.office)
    if existing is not None:
        answers = {item["code"]: existing.answer(item["code"]) for item in checklist}
        notes, comment = dict(existing.notes), existing.comment
    else:
        answers, notes, comment = {}, {}, ""
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise Http404("Not found")
        answers, notes = _form_values(request, checklist)
        comment = request.POST.get("comment", "")
        try:
            if existing is None:
                review_transcript(consultation, by=acting_user(request), scores=answers, notes=notes, comment=comment)
            else:
                update_review(existing, by=acting_user(request), scores=answers, notes=notes, comment=comment)
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 400
        else:
            messages.success(request, _("Tinjauan disimpan; petugas dapat membacanya."))
            return redirect("supervision:review", pk=consultation.pk)
    return render(
        request,
        "supervision/review.html",
        {
            "consultation": consultation,
            "review": existing,
            "rows": _rows(checklist, answers, notes),
            "comment": comment,
            "answer_choices": Answer.choices,
            "transcript": _transcript(consultation),
            "can_review": may_edit,
            "editing": existing is not None and (request.GET.get("edit") == "1" or status == 400),
        },
        status=status,
    )


@login_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    """The reviews in the reader's scope, newest first, with filters: office, month, officer, outcome (with
    findings / without), the officer's reply (replied / unread)."""
    if not can_read_audit(request.user):
        raise Http404("Not found")
    offices = list(visible_offices(request.user).order_by("path"))
    keys = ("office", "month", "officer", "outcome", "reply")
    params = {key: request.GET.get(key, "").strip() for key in keys}
    qs = TranscriptReview.objects.filter(office__in=[o.code for o in offices])
    if params["office"]:
        qs = qs.filter(office_id=params["office"])
    if params["month"]:
        month = _month(params["month"])
        params["month"] = f"{month:%Y-%m}"
        qs = qs.filter(month=month)
    if params["officer"].isdigit():
        qs = qs.filter(officer_id=int(params["officer"]))
    if params["reply"] == "replied":
        qs = qs.exclude(officer_comment="")
    elif params["reply"] == "unread":
        qs = qs.filter(officer_read_at__isnull=True)
    if params["outcome"] == "findings":  # an item answered "no" is exactly a score below 100
        qs = qs.filter(score__lt=100)
    elif params["outcome"] == "clean":
        qs = qs.filter(Q(score__gte=100) | Q(score__isnull=True))
    rows = list(qs.select_related("officer", "reviewer", "consultation").order_by("-reviewed_at", "-pk")[:LIST_LIMIT])
    officers = User.objects.filter(office__in=[o.code for o in offices]).order_by("username")
    return render(
        request,
        "supervision/review_list.html",
        {
            "rows": rows,
            "params": params,
            "offices": offices,
            "officers": officers,
            "limit": LIST_LIMIT,
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
