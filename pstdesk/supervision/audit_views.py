"""The audit viewer (`/pengawasan/audit/`): the audit trail of the offices in the user's scope, filtered by
office, subject (a consultation, a visitor, an officer, an office), verb, actor and period, as a page or a CSV
file. For supervisors, managers, admins and the read-only inspektorat; 404 for anyone else and for an office
outside the scope. One query for the rows whatever the number of offices."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import Role
from pstdesk.audit.models import AuditLog

AUDIT_ROLES = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN, Role.INSPECTORATE}
PAGE_ROWS = 200
CSV_ROWS = 50_000
SUBJECTS = {
    "consultation": "consultations.consultation",
    "visitor": "guestbook.visitor",
    "officer": "accounts.user",
    "office": "offices.office",
}


def can_read_audit(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in AUDIT_ROLES)


def _filtered(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    user = request.user
    if not can_read_audit(user):
        raise Http404("Not found")
    keys = ("office", "subject", "id", "verb", "actor", "start", "end")
    params = {key: request.GET.get(key, "").strip() for key in keys}
    scope = visible_offices(user)
    if params["office"]:
        scope = scope.filter(code=get_office_for(user, params["office"]).code)
    rows = AuditLog.objects.filter(office__in=scope)
    if params["subject"] in SUBJECTS:
        rows = rows.filter(subject_type=SUBJECTS[params["subject"]])
        if params["id"]:
            rows = rows.filter(subject_id=params["id"])
    if params["verb"]:
        rows = rows.filter(verb__startswith=params["verb"])
    if params["actor"]:
        rows = rows.filter(Q(actor__username=params["actor"]) | Q(actor_label=params["actor"]))
    zone = timezone.get_current_timezone()
    start, end = parse_date(params["start"] or ""), parse_date(params["end"] or "")
    if start:
        rows = rows.filter(created_at__gte=datetime.combine(start, time.min, tzinfo=zone))
    if end:
        rows = rows.filter(created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone))
    return rows.select_related("actor").order_by("-id"), params


def _actor(row: AuditLog) -> str:
    return row.actor.username if row.actor is not None else row.actor_label


@login_required
def audit_log(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    rows, params = _filtered(request)
    if request.GET.get("format") == "csv":
        return _csv(rows)
    return render(
        request,
        "supervision/audit.html",
        {"rows": list(rows[:PAGE_ROWS]), "params": params, "subjects": list(SUBJECTS), "limit": PAGE_ROWS},
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv(rows: Any) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            ["id", "created_at", "office", "actor", "verb", "subject_type", "subject_id", "before", "after", "hash"]
        )
        for row in rows[:CSV_ROWS].iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    row.pk,
                    row.created_at.isoformat(),
                    row.office_id or "",
                    _actor(row),
                    row.verb,
                    row.subject_type,
                    row.subject_id,
                    row.before,
                    row.after,
                    row.hash,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    return response
