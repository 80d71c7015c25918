"""Which channels an office serves, and on what terms: read from the office's service standard in force.

Every entry point asks here instead of assuming: the LiveChat widget and the PST From Anywhere page (404 for an
office whose standard does not offer them), the admin (a WhatsApp number or mailbox for an office that does not
offer that channel is refused with the reason), and the public pages (the channels listed are exactly the offered
ones, each with its hours and whether its deadline is the standard's promise or an office target).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from pstdesk.offices.models import Channel, Office, ServiceStandard
from pstdesk.offices.policy import OfficePolicy

LIVECHAT_CHANNELS: frozenset[str] = frozenset({Channel.LIVECHAT_WEBSITE, Channel.LIVECHAT_PFA})


def offered_channels(office: Office, standard: ServiceStandard | None = None) -> list[str]:
    """The channels of the standard in force (or of `standard`), in the standard's order; none without one."""
    policy = OfficePolicy.of(standard) if standard is not None else office.policy
    return list(policy.channels)


def offers(office: Office, channel: str, standard: ServiceStandard | None = None) -> bool:
    return channel in offered_channels(office, standard)


def require_offered(office: Office, *channels: str) -> None:
    """404 unless the office's standard offers at least one of `channels`: a channel the office does not offer
    does not exist for the public, exactly like an unknown office."""
    offered = offered_channels(office)
    if not any(channel in offered for channel in channels):
        raise Http404("Channel not offered by this office's service standard")


def not_offered_reason(office: Office, channel: str, standard: ServiceStandard | None = None) -> str | None:
    """Why `channel` cannot be configured for `office` (None when it can): the sentence shown in the admin."""
    standard = standard if standard is not None else office.standard
    if standard is None:
        return _("%(office)s belum memiliki standar pelayanan, sehingga belum menawarkan kanal %(channel)s.") % {
            "office": office.name,
            "channel": Channel(channel).label,
        }
    if channel in standard.channels:
        return None
    offered = ", ".join(str(Channel(c).label) for c in standard.channels if c in Channel.values) or "—"
    return _(
        "Standar pelayanan %(office)s (versi %(version)d) tidak menawarkan kanal %(channel)s; kanal yang "
        "ditawarkan: %(offered)s. Ubah standar pelayanan terlebih dahulu bila kantor memang melayani kanal ini."
    ) % {"office": office.name, "version": standard.version, "channel": Channel(channel).label, "offered": offered}


def check_offered(office: Office, channel: str, *, field: str | None = None) -> None:
    """Raise a `ValidationError` (on `field` when given) when the office's standard does not offer `channel`."""
    reason = not_offered_reason(office, channel)
    if reason is not None:
        raise ValidationError({field: reason} if field else reason, code="channel_not_offered")


# --- terms per channel ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelTerms:
    """What an office promises on one channel.

    `sla_stated` says whether the standard itself ties the working-day deadline to this channel (Tabanan: every
    channel; Jembrana: e-mail only). Where it does not, `sla_working_days` is the office's own target (an office
    setting) and is shown as such, never as the standard's promise."""

    channel: str
    service_hours: dict[str, Any]
    sla_working_days: int
    sla_stated: bool


def channel_terms(standard: ServiceStandard, channel: str) -> ChannelTerms:
    """The hours and deadline of `channel` under `standard`: the channel's own hours where
    `standard.channel_terms[channel]["service_hours"]` states them, else the general ones; the deadline is the
    standard's promise where `channel_terms[channel]["sla_stated"]`, else the office's target."""
    terms = (standard.channel_terms or {}).get(channel) or {}
    hours = terms.get("service_hours") or standard.service_hours
    # One number of working days for every channel (the SLA engine uses `sla_working_days`); what differs per
    # channel is whether the standard promises it.
    return ChannelTerms(
        channel=channel,
        service_hours=hours,
        sla_working_days=standard.sla_working_days,
        sla_stated=bool(terms.get("sla_stated")),
    )


def published_requirements(standard: ServiceStandard) -> list[dict[str, Any]]:
    """The requirements exactly as the standard's "Persyaratan" component lists them. Items derived from a
    procedure step (Jembrana's e-mail introduction) are enforced by the desk but are not requirements the
    standard publishes, so they are not listed as such."""
    return [r for r in standard.requirements if isinstance(r, dict) and not r.get("source")]
