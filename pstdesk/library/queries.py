"""Reads of the soft-copy library for pages and reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Max

from pstdesk.library.models import Delivery


def most_requested_publications(
    offices: Any, *, start: datetime | None = None, end: datetime | None = None, limit: int = 10
) -> list[dict[str, Any]]:
    """The publications sent most often by `offices` (an office, a queryset or a list of offices/codes) in
    [start, end): id, title, year, copies sent, distinct visitors and the last sending, most sent first (ties: the
    most recently sent first). One query."""
    if hasattr(offices, "pk"):
        offices = [offices.pk]
    rows = Delivery.objects.filter(office__in=offices)
    if start is not None:
        rows = rows.filter(sent_at__gte=start)
    if end is not None:
        rows = rows.filter(sent_at__lt=end)
    grouped = (
        rows.values("publication_id", "publication__title", "publication__year", "office_id")
        .annotate(copies=Count("id"), visitors=Count("visitor_id", distinct=True), last_sent=Max("sent_at"))
        .order_by("-copies", "-last_sent", "publication_id")[: max(1, limit)]
    )
    return [
        {
            "publication": row["publication_id"],
            "title": row["publication__title"],
            "year": row["publication__year"],
            "office": row["office_id"],
            "copies": row["copies"],
            "visitors": row["visitors"],
            "last_sent": row["last_sent"],
        }
        for row in grouped
    ]
