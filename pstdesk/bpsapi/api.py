"""`/api/v1/bps/{domain}/…`: the console's BPS data panel for API clients (token or session, staff only).

`domain` is a BPS domain the caller's offices may search: an office's own (its code, e.g. 5102), its province's
(5100) or the nation's (0000); any other domain answers 404, like a missing one. The answers are the panel's
(`bpsapi.panel`); a failing, slow or unconfigured Web API answers 502/504/503 with a sentence in `detail`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Router, Schema

from pstdesk.accounts.access import visible_offices
from pstdesk.bpsapi import panel

router = Router(tags=["bps"])

Kind = Literal["statictable", "publication", "pressrelease"]
TABLE_ID = re.compile(r"[0-9A-Za-z_-]{1,40}")


class ErrorOut(Schema):
    detail: str


class BpsItemOut(Schema):
    id: str
    title: str
    date: str
    subject: str
    link: str
    previewable: bool


class BpsSearchOut(Schema):
    domain: str
    available: bool
    message: str
    page: int
    pages: int
    total: int
    items: list[BpsItemOut]


class BpsTableOut(BpsItemOut):
    domain: str
    html: str


ERRORS: dict[int, Any] = {400: ErrorOut, 404: ErrorOut, 502: ErrorOut, 503: ErrorOut, 504: ErrorOut}


def office_scope(user: Any, domain: str) -> tuple[Any, str]:
    """(office, scope) through which `user` may search `domain`; Http404 when none of their offices can."""
    for office in visible_offices(user).order_by("code"):
        for scope in panel.SCOPES:
            if panel.domain_for(str(office.code), scope) == domain:
                return office, scope
    raise Http404("Domain not found")


def _error(exc: panel.PanelError) -> JsonResponse:
    return JsonResponse({"detail": exc.message}, status=exc.status)


@router.get(
    "/{domain}/search", response={200: BpsSearchOut, **ERRORS}, summary="Search BPS tables, publications or releases"
)
def bps_search(request: HttpRequest, domain: str, q: str = "", kind: Kind = "statictable", page: int = 1) -> Any:
    """One page of static tables, publications or press releases of `domain` whose title has the words `q`.
    `available` is false (and `message` says so) when the Web API has nothing for it (`list-not-available`)."""
    office, scope = office_scope(request.user, domain)
    try:
        return panel.search(office, query=q, scope=scope, kind=kind, page=max(1, min(page, 10_000)))
    except panel.PanelError as exc:
        return _error(exc)


@router.get("/{domain}/tables/{table_id}", response={200: BpsTableOut, **ERRORS}, summary="Preview a BPS static table")
def bps_table(request: HttpRequest, domain: str, table_id: str) -> Any:
    """A static table of `domain`: title, date, link and its HTML reduced to table markup; 404 when the Web API
    does not have it (`not-available`) or the id cannot be one."""
    office, scope = office_scope(request.user, domain)
    if not TABLE_ID.fullmatch(table_id):
        raise Http404("Table not found")
    try:
        return panel.preview_table(office, scope=scope, table_id=table_id)
    except panel.PanelError as exc:
        return _error(exc)
