"""Publishing an office's monthly figures."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.models import Role, User
from pstdesk.audit.actions import record
from pstdesk.lib.errors import InvalidInput, InvalidTransition, NotAllowed
from pstdesk.offices.models import Office
from pstdesk.transparency.figures import compute_month, month_bounds
from pstdesk.transparency.models import PublishedMonth


def can_approve(user: Any, office: Office) -> bool:
    """The office's service manager (penanggung jawab pelayanan), or a superuser."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or (user.role == Role.MANAGER and user.office_id == office.pk))


def approve_month(office: Office, *, by: User, year: int, month: int) -> PublishedMonth:
    """The service manager approves the office's figures of a month that has ended: they are computed now, stored
    and published on `/transparansi/<office>/`, and frozen — a month is approved once, later changes to the records
    do not alter what was published. One audit row with the figures."""
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise InvalidInput(_("Bulan tidak sah."))
    if not can_approve(by, office):
        raise NotAllowed(_("Hanya penanggung jawab pelayanan kantor ini yang dapat menyetujui publikasi."))
    _start, end = month_bounds(office, year, month)
    now = timezone.now()
    if end > now:
        raise InvalidTransition(_("Bulan ini belum selesai; angka dapat disetujui setelah bulan berakhir."))
    with transaction.atomic():
        if PublishedMonth.objects.filter(office=office, year=year, month=month).exists():
            raise InvalidTransition(_("Angka bulan ini sudah disetujui dan dibekukan."))
        figures = compute_month(office, year, month)
        try:
            with transaction.atomic():
                published = PublishedMonth.objects.create(
                    office=office, year=year, month=month, figures=figures, approved_by=by, approved_at=now
                )
        except IntegrityError:  # a concurrent approval won
            raise InvalidTransition(_("Angka bulan ini sudah disetujui dan dibekukan.")) from None
        record(
            "transparency.month_approved",
            published,
            by=by,
            office=office,
            after={"year": year, "month": month, "figures": figures},
        )
    return published
