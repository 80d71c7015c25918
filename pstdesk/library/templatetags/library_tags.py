"""`{% library_panel consultation %}`: send a stamped copy of one of the office's publications to the visitor."""

from __future__ import annotations

from typing import Any

from django import template

from pstdesk.library.models import Publication

register = template.Library()


@register.inclusion_tag("library/_panel.html")
def library_panel(consultation: Any) -> dict[str, Any]:
    publications = Publication.objects.filter(office_id=consultation.office_id, active=True).only(
        "pk", "title", "year", "subject"
    )
    return {"consultation": consultation, "publications": list(publications[:500])}
