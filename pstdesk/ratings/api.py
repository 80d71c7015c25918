"""`GET /api/v1/ratings`: ratings the caller may see, with filters and the mean score.

Officers list the ratings of consultations assigned to them (their own mean); supervisors, managers and
administrators those of their visible offices. Filters: `office` (a visible office, with its subtree; another
office answers 404), `officer` (user id), `channel`, `score` (1–5), `from`/`to` (days, inclusive). Pages by
`cursor` (the `next_cursor` of the previous page) and `limit` (at most 200)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router

from pstdesk.api_contract import IsoDate
from pstdesk.ratings.presentation import hiding_offices, rating_dict
from pstdesk.ratings.queries import RatingFilters, mean_score, ratings_for

router = Router(tags=["ratings"])
MAX_LIMIT = 200


@router.get("", summary="List ratings with filters and the mean score")
def list_ratings(
    request: HttpRequest,
    office: str | None = None,
    officer: int | None = None,
    channel: str | None = None,
    score: int | None = None,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> Any:
    """`{items, count, mean, next_cursor}`: `mean` (two decimals, a number) and `count` cover every rating the
    filters match, not just the page. Use `start`/`end` (YYYY-MM-DD) for the period."""
    if score is not None and not 1 <= score <= 5:
        return JsonResponse({"detail": _("Nilai harus bilangan bulat 1 sampai 5.")}, status=400)
    limit = max(1, min(int(limit), MAX_LIMIT))
    viewer = request.user
    rows = ratings_for(
        viewer,
        RatingFilters(office=office or "", officer=officer, channel=channel or "", score=score, start=start, end=end),
    )
    mean, count = mean_score(rows)
    if cursor is not None:
        rows = rows.filter(pk__lt=cursor)
    page = list(rows.order_by("-pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    hiding = hiding_offices()
    return {
        "items": [rating_dict(r, viewer=viewer, hiding=hiding) for r in page],
        "count": count,
        "mean": float(mean) if mean is not None else None,
        "next_cursor": page[-1].pk if more and page else None,
    }
