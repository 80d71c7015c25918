"""Who may see which library rows: staff of the office (or above it); everything else is 404, like a missing row."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from pstdesk.accounts.access import visible_offices
from pstdesk.library.models import Delivery, Publication


def publications_for(user: Any) -> QuerySet[Publication]:
    return Publication.objects.filter(office__in=visible_offices(user))


def deliveries_for(user: Any) -> QuerySet[Delivery]:
    return Delivery.objects.filter(office__in=visible_offices(user))


def get_publication_for(user: Any, pk: Any) -> Publication:
    row = publications_for(user).select_related("office").filter(pk=pk).first()
    if row is None:
        raise Http404("Publication not found")
    return row


def get_delivery_for(user: Any, pk: Any) -> Delivery:
    row = deliveries_for(user).select_related("publication", "office").filter(pk=pk).first()
    if row is None:
        raise Http404("Copy not found")
    return row
