"""Public API of offices and their service standards (published documents: no authentication)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from pstdesk.accounts.access import get_office_for, visible_offices
from pstdesk.accounts.models import Role
from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.offices.presentation import hours_rows, zone_abbreviation

router = Router(tags=["offices"])


class OfficeOut(Schema):
    code: str
    name: str
    kind: str
    parent: str | None
    timezone: str
    zone: str
    website: str
    pfa_url: str
    email: str
    phone: str
    whatsapp_number: str
    channels: list[str]
    standard_version: int | None
    standard_url: str


class HoursRowOut(Schema):
    days: str
    first_day: str
    last_day: str
    opens: str | None
    closes: str | None
    text: str


class StandardOut(Schema):
    """Every component of the standard; bilingual texts are {"id": ..., "en": ...}. Empty values mean the
    published standard does not state that component."""

    office: str
    version: int
    is_current: bool
    created_at: datetime
    change_note: str
    timezone: str
    zone: str
    title: dict[str, str]
    channels: list[str]
    requirements: list[dict[str, Any]]
    procedures: dict[str, list[dict[str, Any]]]
    closing_order: str
    service_hours: dict[str, list[str] | None]
    service_hours_rows: list[HoursRowOut]
    service_hours_text: dict[str, str]
    sla_working_days: int
    first_response_minutes: int
    reopen_days: int
    cost: dict[str, str]
    is_free: bool
    product: dict[str, str]
    topics: list[str]
    complaint_channels: list[dict[str, Any]]
    legal_bases: list[dict[str, Any]]
    facilities: list[dict[str, Any]]
    competences: list[dict[str, Any]]
    supervision: dict[str, str]
    supervision_tiered: bool
    min_officers: int | None
    service_guarantee: dict[str, str]
    compensation: dict[str, str]
    security: dict[str, str]
    evaluation: dict[str, str]
    evaluation_cadences: list[str]


class ErrorOut(Schema):
    detail: str


def _office_out(office: Office) -> dict[str, Any]:
    versions = sorted(office.standards.all(), key=lambda s: s.version)
    current = versions[-1] if versions else None
    return {
        "code": office.code,
        "name": office.name,
        "kind": office.kind,
        "parent": office.parent_id,
        "timezone": office.timezone,
        "zone": zone_abbreviation(office.timezone),
        "website": office.website,
        "pfa_url": office.pfa_url,
        "email": office.email,
        "phone": office.phone,
        "whatsapp_number": office.whatsapp_number,
        "channels": current.channels if current else [],
        "standard_version": current.version if current else None,
        "standard_url": f"/standar/{office.code}/" if current else "",
    }


@router.get("/", response=list[OfficeOut], auth=None, summary="List offices")
def list_offices(request: HttpRequest) -> list[dict[str, Any]]:
    """Every office with its contacts and the channels of its current service standard."""
    return [_office_out(o) for o in Office.objects.prefetch_related("standards")]


@router.get(
    "/{code}/standard",
    response={200: StandardOut, 404: ErrorOut},
    auth=None,
    summary="An office's service standard",
)
def get_standard(request: HttpRequest, code: str, version: int | None = None) -> Any:
    """The standard in force, or an earlier version with `?version=N`."""
    office = Office.objects.filter(code=code).first()
    if office is None:
        raise Http404("Office not found")
    newest = office.standards.order_by("-version").first()
    std = newest if version is None else office.standards.filter(version=version).first()
    if std is None or newest is None:
        raise Http404("Standard not found")
    data = {f.name: getattr(std, f.name) for f in ServiceStandard._meta.concrete_fields}
    data.update(
        office=office.code,
        is_current=std.version == newest.version,
        timezone=office.timezone,
        zone=zone_abbreviation(office.timezone),
        service_hours_rows=[row.__dict__ for row in hours_rows(std.service_hours, office.timezone)],
        created_by=None,
    )
    return data


class StaffOut(Schema):
    username: str
    full_name: str
    role: str
    on_duty: bool
    capacity: int


class StaffingOut(Schema):
    office: str
    min_officers: int
    on_duty: int
    staff: list[StaffOut]


@router.get("/mine", response=list[OfficeOut], summary="Offices the caller may see (staff)")
def my_offices(request: HttpRequest) -> list[dict[str, Any]]:
    """The offices the authenticated caller may see: their own, and for supervisors and above its subtree."""
    return [_office_out(o) for o in visible_offices(request.user).prefetch_related("standards")]


@router.get("/{code}/staff", response={200: StaffingOut, 404: ErrorOut}, summary="An office's staff (staff)")
def office_staff(request: HttpRequest, code: str) -> dict[str, Any]:
    """Active staff of a visible office and how many officers are on duty against the standard's minimum.
    404 for an office the caller may not see, exactly as for one that does not exist."""
    office = get_office_for(request.user, code)
    users = list(office.staff.filter(is_active=True).order_by("username"))
    return {
        "office": office.code,
        "min_officers": office.policy.officers_minimum,
        "on_duty": sum(1 for u in users if u.on_duty and u.role == Role.OFFICER),
        "staff": [
            {
                "username": u.username,
                "full_name": u.get_full_name(),
                "role": u.role,
                "on_duty": u.on_duty,
                "capacity": u.capacity,
            }
            for u in users
        ],
    }
