"""Pages of the knowledge app.

Public: the classification search `/klasifikasi/<version>/` and an entry `/klasifikasi/<version>/<code>/`; the
office's knowledge base `/pfa/<office>/artikel/` (list and search) and `/pfa/<office>/artikel/<slug>/` (published
articles only: the office's own and the shared ones of the offices above it); the widget's article search
`/widget/<office>/artikel/?q=` (JSON). Staff: the console's suggestions `/console/pengetahuan/<pk>/` (JSON, 404
outside the officer's offices, like every console URL)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pstdesk.channels.web.views import pick_language
from pstdesk.consultations.access import get_consultation_for
from pstdesk.consultations.actions import render_canned_reply
from pstdesk.consultations.models import CannedReply
from pstdesk.knowledge import classification, queries
from pstdesk.knowledge.models import ClassificationVersion
from pstdesk.knowledge.text import MAX_QUERY, check_length, render_body, short
from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office


def _version(slug: str) -> ClassificationVersion:
    return get_object_or_404(ClassificationVersion.objects.select_related("classification"), slug=slug)


@require_GET
def classification_search(request: HttpRequest, version: str) -> HttpResponse:
    """The search page: a form, the hits with their path and children; a bad query gets a message (status 400
    for an over-long one) and the form keeps what was typed."""
    current = _version(version)
    query = request.GET.get("q", "")
    status = 200
    error = ""
    result = None
    try:
        result = classification.search(current, query, limit=30)
    except InvalidInput as exc:
        error, status = exc.message, 400
    context = {
        "version": current,
        "query": query[: MAX_QUERY * 5],
        "result": result,
        "error": error,
        "max_query": MAX_QUERY,
        "level_label": classification.level_label,
    }
    return render(request, "knowledge/classification_search.html", context, status=status)


@require_GET
def classification_entry(request: HttpRequest, version: str, code: str) -> HttpResponse:
    current = _version(version)
    hit = classification.entry_detail(current, code)
    if hit is None:
        raise Http404
    return render(request, "knowledge/classification_entry.html", {"version": current, "entry": hit})


def _office_lang(request: HttpRequest, office_code: str) -> tuple[Office, str]:
    return get_object_or_404(Office, code=office_code), pick_language(request)


@require_GET
def article_list(request: HttpRequest, office_code: str) -> HttpResponse:
    office, lang = _office_lang(request, office_code)
    query = request.GET.get("q", "")
    error = ""
    with translation.override(lang):
        try:
            check_length(query)
            articles = queries.search_articles(office, query, limit=20) if query.strip() else None
        except InvalidInput as exc:
            error, articles = exc.message, []
        context: dict[str, Any] = {
            "office": office,
            "lang": lang,
            "query": query[: MAX_QUERY * 5],
            "error": error,
            "found": articles,
            "articles": list(queries.articles_for(office).order_by("title")),
            "links": queries.portal_links(office),
            "max_query": MAX_QUERY,
        }
        return render(request, "knowledge/article_list.html", context, status=400 if error else 200)


@require_GET
def article_page(request: HttpRequest, office_code: str, slug: str) -> HttpResponse:
    office, lang = _office_lang(request, office_code)
    article = queries.article_for(office, slug)
    if article is None:
        raise Http404
    with translation.override(lang):
        context = {
            "office": office,
            "lang": lang,
            "article": article,
            "body": render_body(article.body),
            "links": queries.portal_links(office),
        }
        return render(request, "knowledge/article.html", context)


@require_GET
def widget_articles(request: HttpRequest, office_code: str) -> JsonResponse:
    """The widget's "maybe this answers your question": up to three articles for the typed words (JSON)."""
    office, lang = _office_lang(request, office_code)
    query = request.GET.get("q", "")
    with translation.override(lang):
        try:
            check_length(query)
        except InvalidInput as exc:
            return JsonResponse({"detail": exc.message, "articles": []}, status=400)
        found = queries.search_articles(office, query, limit=3) if query.strip() else []
        return JsonResponse(
            {
                "articles": [
                    {
                        "title": a.title,
                        "summary": a.summary or short(a.body, 140),
                        "url": queries.article_url(office, a) + f"?lang={lang}",
                    }
                    for a in found
                ]
            }
        )


@login_required
@require_GET
def console_suggestions(request: HttpRequest, pk: int) -> JsonResponse:
    """Suggestions for the officer of consultation `pk` (404 outside their offices): articles, canned replies
    (filled in for this consultation, ready to insert) and similar past closed consultations of the office."""
    consultation = get_consultation_for(request.user, pk)
    query = request.GET.get("q")
    try:
        if query is not None:
            check_length(query)
        found = queries.suggestions_for(consultation, query=query)
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    bodies = {
        c.pk: render_canned_reply(c, consultation, officer=request.user)
        for c in CannedReply.objects.filter(pk__in=[c["id"] for c in found.canned], office=consultation.office)
    }
    return JsonResponse(
        {
            "query": found.query,
            "articles": found.articles,
            "canned": [{**c, "body": bodies.get(c["id"], "")} for c in found.canned],
            "similar": found.similar,
            "empty": _("Belum ada saran untuk pesan terakhir pengguna."),
        }
    )
