"""Consent to the privacy notice: give, withdraw, and whether the current notice is consented to."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.guestbook.actions._shared import GuestbookError, _lock, _refuse_erased
from pstdesk.guestbook.models import (
    Consent,
    Visitor,
)
from pstdesk.lib.actors import Actor

# The version of the privacy notice shown at /privasi/. Changing the notice means a new version: consents given
# to an older one stay recorded, and `has_current_consent` asks again.
PRIVACY_NOTICE_VERSION = "2025.1"


def has_current_consent(visitor: Visitor) -> bool:
    return visitor.consents.filter(notice_version=PRIVACY_NOTICE_VERSION, withdrawn_at__isnull=True).exists()


def give_consent(visitor: Visitor, *, notice_version: str, channel: str, by: Actor) -> Consent:
    """Record the visitor's consent to the privacy notice `notice_version` (must be the version in force).
    Consenting again to the same version returns the active consent unchanged (no new row, no audit).
    Audit: "consent.given"."""
    if notice_version != PRIVACY_NOTICE_VERSION:
        raise GuestbookError(
            {"consent": _("Versi pemberitahuan privasi tidak berlaku: %(v)s.") % {"v": notice_version}}
        )
    with transaction.atomic():
        visitor = _lock(visitor)
        _refuse_erased(visitor)
        active = visitor.consents.filter(notice_version=notice_version, withdrawn_at__isnull=True).first()
        if active is not None:
            return active
        consent = Consent.objects.create(visitor=visitor, notice_version=notice_version, channel=channel)
        record(
            "consent.given",
            consent,
            by=by,
            after={"visitor": visitor.pk, "notice_version": notice_version, "channel": channel},
        )
        return consent


def withdraw_consent(visitor: Visitor, *, channel: str, by: Actor) -> int:
    """Withdraw every active consent of the visitor (UU 27/2022: processing must then stop). Returns how many
    consents were withdrawn; raises GuestbookError when there is none. Audit: "consent.withdrawn"."""
    with transaction.atomic():
        visitor = _lock(visitor)
        active = list(visitor.consents.filter(withdrawn_at__isnull=True))
        if not active:
            raise GuestbookError({"consent": _("Tidak ada persetujuan aktif untuk ditarik.")})
        now = timezone.now()
        Consent.objects.filter(pk__in=[c.pk for c in active]).update(withdrawn_at=now, withdrawn_channel=channel)
        record(
            "consent.withdrawn",
            visitor,
            by=by,
            after={"consents": [c.pk for c in active], "channel": channel},
        )
        return len(active)
