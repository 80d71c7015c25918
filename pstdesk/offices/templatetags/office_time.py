"""`{{ moment|office_time:office }}`: a stored (UTC) moment shown in an office's zone, in the active language's date
style with the zone's name: "4 Des 2026 16.00 WITA" (Indonesian), "4 Dec 2026 16.00 WITA" (English).

`office` may be an Office, an office code (the zone is read once per code and request) or a zone name; without
one, the deployment's zone (TIME_ZONE) is used. Staff pages list several offices at once, so the zone is chosen
per value, never activated for the whole page.
"""

from __future__ import annotations

import time
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import formats, timezone

from pstdesk.offices.models import Office
from pstdesk.offices.presentation import zone_abbreviation

register = template.Library()
FORMAT = "j M Y H.i"


@lru_cache(maxsize=256)
def _zone_of_code(code: str, minute: int) -> str:
    """An office's zone by code, read at most once a minute (a page lists many rows of the same offices)."""
    return Office.objects.filter(pk=code).values_list("timezone", flat=True).first() or str(settings.TIME_ZONE)


def zone_name(office: Any) -> str:
    if office is None or office == "":
        return str(settings.TIME_ZONE)
    zone = getattr(office, "timezone", None)
    if isinstance(zone, str):
        return zone
    text = str(office)
    if text.isdigit():
        return _zone_of_code(text, int(time.monotonic() // 60))
    return text


def in_office_time(moment: datetime | None, office: Any = None, fmt: str = FORMAT) -> str:
    if not isinstance(moment, datetime):
        return "—" if moment in (None, "") else str(moment)
    name = zone_name(office)
    local = timezone.localtime(moment, ZoneInfo(name)) if timezone.is_aware(moment) else moment
    return f"{formats.date_format(local, fmt)} {zone_abbreviation(name)}"


@register.filter
def office_time(moment: datetime | None, office: Any = None) -> str:
    return in_office_time(moment, office)


@register.filter
def office_date(moment: datetime | None, office: Any = None) -> str:
    """The day only ("4 Des 2026"), in the office's zone."""
    if not isinstance(moment, datetime):
        return "—" if moment in (None, "") else str(moment)
    local = timezone.localtime(moment, ZoneInfo(zone_name(office))) if timezone.is_aware(moment) else moment
    return formats.date_format(local, "j M Y")
