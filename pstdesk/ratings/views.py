"""The rating page linked from e-mails and from WhatsApp (rating templates outside the 24-hour window, the SKM
link after a rating): `/nilai/<signed token>/` (tokens from `ratings.links.rating_url`).

GET only shows the forms and never records anything — mail scanners and link previewers open every link in a
mail. A rating is recorded only by an explicit POST of the form (CSRF-protected), through
`ratings.actions.record_rating`, which checks the office's order (5101: after closing; 5102: before). Once the
consultation is rated the same page offers the SKM questionnaire (optional, once: `ratings.actions.submit_skm`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, OuterRef, Q, Subquery, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import User
from pstdesk.audit.models import trail_of
from pstdesk.consultations.models import Channel, Consultation
from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.offices.models import Office
from pstdesk.ratings.actions import decide_rating_alert, record_rating, submit_skm
from pstdesk.ratings.links import read_rating_token
from pstdesk.ratings.models import AlertStatus, RatingAlert, RatingPolicy, SkmResponse
from pstdesk.ratings.presentation import SUPERVISING_ROLES, hiding_offices, rating_dict
from pstdesk.ratings.queries import RatingFilters, mean_score, ratings_for
from pstdesk.ratings.skm import ELEMENT_IDS, ELEMENTS
from pstdesk.supervision.models import Escalation

LIST_LIMIT = 200


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    consultation = Consultation.objects.select_related("office", "visitor").filter(pk=read_rating_token(token)).first()
    if consultation is None:
        raise Http404("consultation not found")
    context: dict[str, object] = {
        "consultation": consultation,
        "scores": [1, 2, 3, 4, 5],
        "error": "",
        "done": consultation.rated_at is not None,
        "form": request.POST,
        "skm_elements": ELEMENTS,
        "skm_done": SkmResponse.objects.filter(consultation=consultation).exists(),
        "skm_open": consultation.answered_at is not None,
    }
    status = 200
    by = VisitorActor(consultation.visitor_id)
    if request.method == "POST" and request.POST.get("form") == "skm":
        try:
            submit_skm(
                consultation,
                by=by,
                answers={e: request.POST[e] for e in ELEMENT_IDS if request.POST.get(e)},
                channel=consultation.channel,
            )
        except DomainError as exc:
            context["skm_error"] = exc.message
            status = exc.status_code
        else:
            context["skm_done"] = True
            context["skm_thanks"] = True
    elif request.method == "POST" and not context["done"]:
        try:
            score = int(request.POST.get("score", ""))
        except ValueError:
            context["error"] = _("Pilih nilai 1 sampai 5.")
            status = 400
        else:
            try:
                record_rating(
                    consultation,
                    by=by,
                    score=score,
                    feedback=request.POST.get("feedback", ""),
                    gratuity=request.POST.get("gratuity") == "yes",
                    illegal_fee=request.POST.get("illegal_fee") == "yes",
                    channel=consultation.channel,
                )
            except DomainError as exc:
                context["error"] = getattr(exc, "message", str(exc))
                status = 409
            else:
                context["done"] = True
                context["thanks"] = True
    return render(request, "ratings/rate.html", context, status=status)


# --- staff pages: the ratings list and the supervisors' alert queue ---------------------------------------------


def _filters(request: HttpRequest) -> tuple[RatingFilters, dict[str, str]]:
    """Filters from the query string; malformed numbers or dates are ignored (the form shows what applied)."""
    raw = {k: request.GET.get(k, "").strip() for k in ("office", "officer", "channel", "score", "from", "to")}

    def number(text: str) -> int | None:
        return int(text) if text.isdigit() else None

    def day(text: str) -> date | None:
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    return (
        RatingFilters(
            office=raw["office"],
            officer=number(raw["officer"]),
            channel=raw["channel"],
            score=number(raw["score"]),
            start=day(raw["from"]),
            end=day(raw["to"]),
        ),
        raw,
    )


def _supervisor(request: HttpRequest) -> Any:
    user = request.user
    if not (getattr(user, "is_superuser", False) or getattr(user, "role", None) in SUPERVISING_ROLES):
        raise Http404("Not found")
    return user


def _alerts_for(user: Any, offices: Any) -> Any:
    """The alerts of these offices a supervisor may see: all, except the integrity alerts about themselves in an
    office that hides integrity answers from the officer concerned (`RatingPolicy`): they answer 404 like any
    alert outside their reach."""
    about_them = (
        Q(officer_id=user.pk)
        & Q(office__in=RatingPolicy.objects.filter(hide_integrity_from_officers=True).values("office_id"))
        & (Q(rating__gratuity=True) | Q(rating__illegal_fee=True))
    )
    return RatingAlert.objects.filter(office__in=offices).exclude(about_them)


@login_required
@require_GET
def ratings_list(request: HttpRequest) -> HttpResponse:
    """`/penilaian/`: an officer's own ratings and mean; a supervisor's ratings of their offices, with filters."""
    filters, raw = _filters(request)
    rows = ratings_for(request.user, filters)
    mean, count = mean_score(rows)
    hiding = hiding_offices()
    items = [(r, rating_dict(r, viewer=request.user, hiding=hiding)) for r in rows[:LIST_LIMIT]]
    supervising = (
        getattr(request.user, "is_superuser", False) or getattr(request.user, "role", None) in SUPERVISING_ROLES
    )
    context = {
        "items": items,
        "mean": mean,
        "count": count,
        "raw": raw,
        "supervising": supervising,
        "offices": visible_offices(request.user) if supervising else [],
        "officers": User.objects.filter(office__in=visible_offices(request.user), is_active=True).order_by("username")
        if supervising
        else [],
        "channels": Channel.choices,
        "limit": LIST_LIMIT,
    }
    return render(request, "ratings/ratings_list.html", context)


@login_required
@require_GET
def alert_queue(request: HttpRequest) -> HttpResponse:
    """`/pengawasan/penilaian/`: the alerts of the offices the supervisor sees, open ones first."""
    user = _supervisor(request)
    offices = visible_offices(user)
    code = request.GET.get("office", "")
    if code:
        offices = Office.objects.subtree_of(get_office_for(user, code))
    status = request.GET.get("status", "")
    alerts = _alerts_for(user, offices)
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    # the office an alert was escalated to last (supervision's escalation steps), and `?escalated=1` for only those

    alerts = alerts.annotate(
        escalated_to=Subquery(
            Escalation.objects.filter(rating_alert=OuterRef("pk")).order_by("-level").values("to_office")[:1]
        )
    )
    escalated = request.GET.get("escalated", "") == "1"
    if escalated:
        alerts = alerts.filter(escalated_to__isnull=False)
    alerts = alerts.select_related("office", "rating", "officer").order_by(
        Case(When(status=AlertStatus.OPEN, then=0), default=1), "-opened_at", "-id"
    )[:LIST_LIMIT]
    context = {
        "alerts": alerts,
        "offices": visible_offices(user),
        "selected": code,
        "status": status,
        "statuses": AlertStatus.choices,
        "escalated": escalated,
    }
    return render(request, "ratings/alert_queue.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert with its rating, decision trail and the decision form; 404 outside the supervisor's offices."""
    user = _supervisor(request)
    alert = get_object_or_404(
        _alerts_for(user, visible_offices(user)).select_related("office", "rating", "consultation", "officer"),
        pk=pk,
    )
    error = ""
    status = 200
    if request.method == "POST":
        try:
            decide_rating_alert(
                alert, by=user, decision=request.POST.get("decision", ""), text=request.POST.get("text", "")
            )
        except DomainError as exc:
            error = exc.message
            status = exc.status_code
        else:
            messages.success(request, _("Keputusan dicatat."))
            return redirect("ratings:alert", pk=alert.pk)
    context = {
        "alert": alert,
        "rating": rating_dict(alert.rating, viewer=user),
        "decisions": alert.decisions.select_related("decided_by"),
        "choices": [(value, label) for value, label in AlertStatus.choices if value != AlertStatus.OPEN],
        "error": error,
        "form": request.POST,
        "trail": trail_of(alert),
        "escalations": alert.escalations.order_by("level"),
    }
    return render(request, "ratings/alert_detail.html", context, status=status)
