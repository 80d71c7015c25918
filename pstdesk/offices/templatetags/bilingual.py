"""`{{ value|tr }}`: a bilingual {"id": ..., "en": ...} text in the active language (Indonesian fallback)."""

from __future__ import annotations

from typing import Any

from django import template

from pstdesk.offices.presentation import text_in

register = template.Library()


@register.filter
def tr(value: Any) -> str:
    return text_in(value)
