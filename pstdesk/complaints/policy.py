"""Facts about an office's complaint handling that change nothing: which sources it offers (from its standard),
its follow-up deadline in working days, the public tracking number's shape and how one is drawn."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse

from pstdesk.complaints.models import DEFAULT_FOLLOW_UP_DAYS, ComplaintPolicy, ComplaintSource
from pstdesk.lib import workdays
from pstdesk.offices.calendar import CalendarNotConfigured, calendar_for, years_for
from pstdesk.offices.models import Office

# No 0/O, 1/I: a number read out over the telephone must not be misheard. 32 symbols, 6 of them: 2^30 numbers per
# office, so a guess hits one of a few thousand complaints about once in 300,000 tries.
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACKING_LENGTH = 6
TRACKING_RE = re.compile(rf"^PGD-(\d{{4}})-[{TRACKING_ALPHABET}]{{{TRACKING_LENGTH}}}$")
# LAPOR! and the BPS complaint site give numeric or alphanumeric ids; anything else is a typing mistake.
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{2,39}$")

# How a standard's complaint channel (`ServiceStandard.complaint_channels[].kind`, plus the address for websites)
# maps to our sources. The box is the "direct" channel: whoever brings a complaint to the PST room in person is
# received there too.
_KIND_SOURCES = {
    "box": (ComplaintSource.BOX, ComplaintSource.IN_PERSON),
    "online_form": (ComplaintSource.ONLINE_FORM,),
    "whatsapp": (ComplaintSource.WHATSAPP,),
    "phone": (ComplaintSource.PHONE,),
    "email": (ComplaintSource.EMAIL,),
}


def _website_source(address: str) -> str | None:
    address = address.lower()
    if "lapor.go.id" in address:
        return ComplaintSource.LAPOR
    if "bps.go.id" in address:
        return ComplaintSource.BPS_SITE
    return None


def offered_sources(office: Office) -> list[str]:
    """The sources `office` receives complaints through, in `ComplaintSource` order, read from its standard in
    force (none without a standard)."""
    found: set[str] = set()
    for item in office.policy.complaint_channels:
        if not isinstance(item, dict):
            continue
        kind = str(item.get("kind", ""))
        if kind == "website":
            source = _website_source(str(item.get("address", "")))
            if source:
                found.add(source)
        else:
            found.update(_KIND_SOURCES.get(kind, ()))
    return [value for value in ComplaintSource.values if value in found]


def follow_up_days(office: Office) -> int:
    policy = ComplaintPolicy.objects.filter(office=office).only("follow_up_working_days").first()
    return policy.follow_up_working_days if policy is not None else DEFAULT_FOLLOW_UP_DAYS


def follow_up_due(office: Office, received: datetime, days: int | None = None) -> datetime:
    """The follow-up deadline of a complaint received at `received`: the close of service on the N-th working day
    after the day it is received (a complaint received outside service hours counts from the next opening), in the
    office's calendar. An office without service hours counts calendar days."""
    days = follow_up_days(office) if days is None else days
    try:
        cal = calendar_for(office, years=years_for(received))
    except CalendarNotConfigured:
        return received + timedelta(days=days)
    start = workdays.next_opening(cal, received)
    return workdays.closing_time(cal, workdays.add_working_days(cal, start.date(), days))


def new_tracking_number(office_code: str) -> str:
    suffix = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))
    return f"PGD-{office_code}-{suffix}"


def normalize_tracking_number(raw: Any) -> str | None:
    """The tracking number in canonical form, or None when it does not have the shape of one."""
    value = str(raw or "").strip().upper()
    return value if TRACKING_RE.match(value) else None


def tracking_url(number: str) -> str:
    return settings.PUBLIC_URL + reverse("complaints:track", args=[number])
