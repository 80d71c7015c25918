"""`{% rating_panel consultation %}`: the rating of a consultation in the console, as the viewer may see it."""

from __future__ import annotations

from typing import Any

from django import template

from pstdesk.consultations.models import Channel
from pstdesk.ratings.presentation import rating_dict, rating_of

register = template.Library()


@register.inclusion_tag("ratings/_rating_panel.html", takes_context=True)
def rating_panel(context: dict[str, Any], consultation: Any) -> dict[str, Any]:
    viewer = context["request"].user
    return {"rating": rating_dict(rating_of(consultation), viewer=viewer)}


@register.filter
def channel_label(value: str) -> str:
    """A channel's name as the visitor knows it ("WhatsApp", "E-mail"), the stored code when unknown."""
    try:
        return str(Channel(value).label)
    except ValueError:
        return value
