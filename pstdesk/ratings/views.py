"""The rating page linked from e-mails and from WhatsApp (rating templates outside the 24-hour window, the SKM
link after a rating): `/nilai/<signed token>/` (tokens from `ratings.links.rating_url`).

GET only shows the forms and never records anything — mail scanners and link previewers open every link in a
mail. A rating is recorded only by an explicit POST of the form (CSRF-protected), through
`ratings.actions.record_rating`, which checks the office's order (5101: after closing; 5102: before). Once the
consultation is rated the same page offers the SKM questionnaire (optional, once: `ratings.actions.submit_skm`).
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.ratings.links import read_rating_token
from pstdesk.ratings.skm import ELEMENT_IDS, ELEMENTS


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    from pstdesk.consultations.models import Consultation
    from pstdesk.ratings.actions import record_rating, submit_skm
    from pstdesk.ratings.models import SkmResponse

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
