"""Public pages: the list of offices and their channels, and each office's service standard.

Both are public (the standard is a published document). The standard page renders in Indonesian unless the visitor
chose English (`?lang=en`, or the language switch which sets Django's language cookie).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from pstdesk.channels import base as channel_base
from pstdesk.offices.models import Channel, Office, OfficeKind, ServiceStandard
from pstdesk.offices.offering import channel_terms, published_requirements
from pstdesk.offices.presentation import (
    complaint_link,
    display_address,
    hours_rows,
    text_in,
    zone_abbreviation,
)

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}

EVALUATION_CADENCES = {
    "monthly": _("setiap bulan"),
    "yearly": _("setiap tahun"),
    "ad_hoc": _("sewaktu-waktu apabila diperlukan"),
}
ACTORS = {"visitor": _("Pengguna layanan"), "officer": _("Petugas layanan")}


def page_language(request: HttpRequest) -> str:
    """The language of a public page: `?lang=`, else the visitor's choice (the language cookie set by the
    switch), else Indonesian. The browser's Accept-Language is deliberately ignored: the standard is published
    in Indonesian, and English is a reading the visitor asks for."""
    for lang in (request.GET.get("lang", ""), request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")):
        if lang in LANGUAGE_CODES:
            return lang
    return settings.LANGUAGE_CODE


def _channel_rows(office: Office, standard: ServiceStandard | None) -> list[dict[str, Any]]:
    """The ways to reach the office: exactly the channels the current standard offers, each with the office's
    consultation contact (an office setting, not the complaint contacts the standard lists) and its deadline,
    marked as the standard's promise or as the office's own target."""
    rows: list[dict[str, Any]] = []
    channels = standard.channels if standard else []
    labels = dict(Channel.choices)
    for channel in channels:
        terms = channel_terms(standard, channel) if standard else None
        row: dict[str, Any] = {
            "code": channel,
            "label": str(labels.get(channel, channel)),
            "href": "",
            "detail": "",
            "sla_days": terms.sla_working_days if terms else None,
            "sla_stated": terms.sla_stated if terms else False,
        }
        # Each channel says how the public reaches the office through it (`channels.base.HasPublicContact`).
        public_contact = channel_base.capability(channel, "public_contact")
        contact = public_contact(office, channel) if public_contact is not None else None
        if contact is not None:
            row.update(href=contact[0], detail=contact[1])
        rows.append(row)
    return rows


def home(request: HttpRequest) -> HttpResponse:
    """Every office that publishes a standard, with its channels and contacts."""
    with translation.override(page_language(request)):
        return _render_home(request)


def _render_home(request: HttpRequest) -> HttpResponse:
    offices = list(Office.objects.select_related("parent").prefetch_related("standards"))
    cards = []
    for office in offices:
        versions = sorted(office.standards.all(), key=lambda s: s.version)
        standard = versions[-1] if versions else None
        if standard is None and office.kind != OfficeKind.REGENCY:
            continue
        cards.append(
            {
                "office": office,
                "standard": standard,
                "channels": _channel_rows(office, standard),
                "hours": hours_rows(standard.service_hours, office.timezone) if standard else [],
            }
        )
    return render(request, "offices/home.html", {"cards": cards})


def standard(request: HttpRequest, code: str) -> HttpResponse:
    """The office's service standard, every component, generated from the data (`?version=N` for an old one)."""
    lang = page_language(request)
    with translation.override(lang):
        response = _render_standard(request, code)
    response["Content-Language"] = lang
    return response


def _render_standard(request: HttpRequest, code: str) -> HttpResponse:
    office = get_object_or_404(Office, code=code)
    versions = list(office.standards.order_by("-version").only("id", "version", "created_at", "change_note"))
    if not versions:
        raise Http404("No service standard")
    wanted = request.GET.get("version")
    if wanted:
        if not wanted.isdigit():
            raise Http404("No such version")
        std = get_object_or_404(ServiceStandard, office=office, version=int(wanted))
    else:
        std = office.standards.order_by("-version")[0]
    context = {
        "office": office,
        "std": std,
        "is_current": std.version == versions[0].version,
        "versions": versions,
        "zone": zone_abbreviation(office.timezone),
        "hours": hours_rows(std.service_hours, office.timezone),
        "procedures": _procedures(std),
        "requirements": _requirements(std),
        "channel_terms": _channel_terms_rows(std),
        "complaints": [
            {
                "heading": text_in(c.get("heading")),
                "label": text_in(c.get("label")),
                "address": display_address(c),
                "href": complaint_link(c),
                "kind": c.get("kind", ""),
            }
            for c in std.complaint_channels
        ],
        "cadences": [str(EVALUATION_CADENCES.get(c, c)) for c in std.evaluation_cadences],
        "lang": translation.get_language(),
    }
    return render(request, "offices/standard.html", context)


def _channel_terms_rows(std: ServiceStandard) -> list[dict[str, Any]]:
    """Per offered channel: its hours and its deadline, saying whether the standard states the deadline for that
    channel or it is the office's own target."""
    labels = dict(Channel.choices)
    rows = []
    for channel in std.channels:
        terms = channel_terms(std, channel)
        rows.append(
            {
                "code": channel,
                "label": str(labels.get(channel, channel)),
                "hours": hours_rows(terms.service_hours, std.office.timezone),
                "sla_days": terms.sla_working_days,
                "sla_stated": terms.sla_stated,
            }
        )
    return rows


def _requirements(std: ServiceStandard) -> list[dict[str, Any]]:
    """The "Persyaratan" component exactly as the standard lists it (`offering.published_requirements`)."""
    labels = dict(Channel.choices)
    rows = []
    for req in published_requirements(std):
        source = req.get("source") or {}
        rows.append(
            {
                "code": req.get("code", ""),
                "text": text_in(req.get("text")),
                "channels": [str(labels.get(c, c)) for c in req.get("channels", [])],
                "source_channel": str(labels.get(str(source.get("procedure")), "")) if source else "",
                "source_step": source.get("step"),
            }
        )
    return rows


def _procedures(std: ServiceStandard) -> list[dict[str, Any]]:
    labels = dict(Channel.choices)
    return [
        {
            "channel": channel,
            "label": str(labels.get(channel, channel)),
            "steps": [
                {
                    "actor": step.get("actor", ""),
                    "actor_label": str(ACTORS.get(step.get("actor", ""), "")),
                    "action": step.get("action", ""),
                    "text": text_in(step.get("text")),
                }
                for step in steps
            ],
        }
        for channel, steps in std.procedures.items()
    ]
