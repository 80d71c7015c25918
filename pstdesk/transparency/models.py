"""Published monthly figures of an office (the public transparency page, `/transparansi/<office>/`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PublishedMonth(models.Model):
    """One office's figures for one month, computed and frozen when the service manager approved them
    (`transparency.actions.approve_month`). `figures` holds counts and indices only — never a name, an address, a
    number or any other personal data — so the page shows exactly what was approved, whatever changes later."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="published_months", verbose_name=_("kantor")
    )
    year = models.PositiveSmallIntegerField(_("tahun"))
    month = models.PositiveSmallIntegerField(_("bulan"))
    figures = models.JSONField(_("angka yang diterbitkan"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("disetujui oleh")
    )
    approved_at = models.DateTimeField(_("disetujui pada"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "month"], name="published_month_once"),
            models.CheckConstraint(condition=models.Q(month__gte=1, month__lte=12), name="published_month_range"),
        ]
        ordering = ["office", "year", "month"]
        verbose_name = _("bulan terpublikasi")
        verbose_name_plural = _("bulan terpublikasi")

    def __str__(self) -> str:
        return f"{self.office_id} {self.year}-{self.month:02d}"
