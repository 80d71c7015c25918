"""An office's policy: what its service standard in force decides, with the desk's defaults where the office has no
standard yet. One object instead of `standard.X if standard is not None else DEFAULT` at every call site.

`office.policy` reads the standard once (`Office.standard`: once per `standard_pinned()` block) and answers from
the frozen `OfficePolicy`; `OfficePolicy.of(standard)` builds one from a standard already at hand (or None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pstdesk.offices.models import ServiceStandard


class ClosingOrder(models.TextChoices):
    RATE_THEN_CLOSE = "rate_then_close", _("Penilaian, lalu penutupan")
    CLOSE_THEN_RATE = "close_then_rate", _("Penutupan, lalu penilaian")


# The defaults of an office without a service standard (they match the model fields' defaults where one exists).
DEFAULT_REOPEN_DAYS = 7  # a message within a week of closing reopens the consultation
DEFAULT_CLOSING_ORDER = ClosingOrder.RATE_THEN_CLOSE  # the visitor rates, then the consultation closes (5102)
DEFAULT_OFFICERS_MINIMUM = 1  # a silent standard: warn only when nobody is on duty, and name no number


@dataclass(frozen=True)
class OfficePolicy:
    """The office's rules in force. `standard` is the standard they come from (None: the defaults apply, no channel
    is offered, no SLA is promised: `sla_working_days` and `first_response_minutes` are None)."""

    standard: ServiceStandard | None = None
    reopen_days: int = DEFAULT_REOPEN_DAYS
    closing_order: str = DEFAULT_CLOSING_ORDER
    officers_minimum: int = DEFAULT_OFFICERS_MINIMUM
    states_officers_minimum: bool = False
    channels: tuple[str, ...] = ()
    complaint_channels: tuple[Any, ...] = ()
    sla_working_days: int | None = None
    first_response_minutes: int | None = None

    @classmethod
    def of(cls, standard: ServiceStandard | None) -> OfficePolicy:
        if standard is None:
            return cls()
        return cls(
            standard=standard,
            reopen_days=standard.reopen_days,
            closing_order=standard.closing_order or DEFAULT_CLOSING_ORDER,
            officers_minimum=standard.officers_minimum,
            states_officers_minimum=standard.states_officers_minimum,
            channels=tuple(str(channel) for channel in standard.channels or ()),
            complaint_channels=tuple(standard.complaint_channels or ()),
            sla_working_days=standard.sla_working_days,
            first_response_minutes=standard.first_response_minutes,
        )

    @property
    def closes_before_rating(self) -> bool:
        return self.closing_order == ClosingOrder.CLOSE_THEN_RATE
