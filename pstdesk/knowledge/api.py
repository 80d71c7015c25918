"""`GET /api/v1/kbli2020?q=…` (public: KBLI is a published classification) and
`GET /api/v1/knowledge/consultations/{id}/suggestions` (staff: articles, canned replies and similar past
consultations for the visitor's last message; 404 outside the caller's offices)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import Router, Schema, Status

from pstdesk.consultations.access import get_consultation_for
from pstdesk.knowledge import classification
from pstdesk.knowledge.models import ClassificationVersion
from pstdesk.knowledge.queries import suggestions_for
from pstdesk.lib.errors import InvalidInput

kbli_router = Router(tags=["knowledge"])
router = Router(tags=["knowledge"])


class ErrorOut(Schema):
    detail: str


class NodeOut(Schema):
    code: str
    level: str
    title: str


class EntryOut(Schema):
    code: str
    level: str
    title: str
    summary: str
    description: str
    url: str
    path: list[NodeOut]
    children: list[NodeOut]


class SearchOut(Schema):
    version: str
    query: str
    kind: str
    count: int
    message: str
    results: list[EntryOut]


def search_payload(version: ClassificationVersion | str, q: str, limit: int) -> dict[str, Any]:
    """The JSON of a search of a version (or its slug); InvalidInput for an over-long query."""
    slug = version if isinstance(version, str) else version.slug
    found = classification.search(version, q, limit=max(1, min(limit, 50)))
    return {
        "version": slug,
        "query": found.query,
        "kind": found.kind,
        "count": len(found.hits),
        "message": found.message,
        "results": [
            {
                "code": h.code,
                "level": h.level,
                "title": h.title,
                "summary": h.summary,
                "description": h.description,
                "url": f"/klasifikasi/{slug}/{h.code}/",
                "path": h.path,
                "children": h.children,
            }
            for h in found.hits
        ],
    }


@kbli_router.get(
    "",
    response={200: SearchOut, 400: ErrorOut, 503: ErrorOut},
    auth=None,
    summary="Search KBLI 2020 by code prefix or words (with path and children)",
)
def search_kbli2020(request: HttpRequest, q: str = "", limit: int = 20) -> Any:
    """`q` is a code prefix ("0111", "A") or words of the title and description ("padi"), accents and case
    ignored. An empty `q` answers no results and a message; more than 200 characters answer 400."""
    try:
        # By slug: the version is looked up inside the search's one statement. Built in the declared shape and
        # answered as is, without ninja validating a hundred nested nodes again (that doubled the answer time).
        payload = search_payload("kbli2020", q, limit)
    except InvalidInput as exc:
        return JsonResponse({"detail": exc.message}, status=400)
    if not payload["results"] and not ClassificationVersion.objects.filter(slug="kbli2020").exists():
        return JsonResponse({"detail": "KBLI 2020 is not loaded (run `pstdesk migrate`)."}, status=503)
    return JsonResponse(payload)


class ArticleOut(Schema):
    title: str
    summary: str
    url: str
    office: str


class CannedOut(Schema):
    id: int
    title: str


class SimilarOut(Schema):
    id: int
    title: str
    closed_at: str | None
    url: str


class SuggestionsOut(Schema):
    query: str
    articles: list[ArticleOut]
    canned: list[CannedOut]
    similar: list[SimilarOut]


@router.get(
    "/consultations/{consultation_id}/suggestions",
    response={200: SuggestionsOut, 404: ErrorOut},
    summary="Articles, canned replies and similar past consultations for a consultation",
)
def consultation_suggestions(request: HttpRequest, consultation_id: int) -> Any:
    consultation = get_consultation_for(request.user, consultation_id)
    found = suggestions_for(consultation)
    return Status(
        200, {"query": found.query, "articles": found.articles, "canned": found.canned, "similar": found.similar}
    )
