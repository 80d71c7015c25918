from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def month_name(month: int) -> str:
    """The month's name in the active language (Januari … Desember)."""
    return formats.date_format(datetime.date(2000, int(month), 1), "F")
