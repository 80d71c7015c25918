"""The soft-copy library: an office's publications and the stamped copies sent to visitors."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Publication(models.Model):
    """A publication (PDF) of one office. The original file is kept for stamping and is never served: visitors
    and staff only ever get stamped copies (`Delivery`). Checked at upload: a PDF, readable, not encrypted, within
    LIBRARY_MAX_BYTES and LIBRARY_MAX_PAGES."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="library_publications", verbose_name=_("kantor")
    )
    title = models.CharField(_("judul"), max_length=300)
    year = models.PositiveSmallIntegerField(_("tahun"))
    subject = models.CharField(_("subjek"), max_length=200, blank=True)
    file = models.FileField(_("berkas PDF"), upload_to="library/originals/%Y/")
    filename = models.CharField(_("nama berkas"), max_length=255)
    size = models.PositiveBigIntegerField(_("ukuran (bita)"))
    pages = models.PositiveIntegerField(_("jumlah halaman"))
    sha256 = models.CharField(_("sidik SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("diunggah oleh"),
    )
    uploaded_at = models.DateTimeField(_("diunggah pada"), default=timezone.now)
    active = models.BooleanField(_("dapat dikirim"), default=True)

    class Meta:
        ordering = ["-year", "title"]
        indexes = [models.Index(fields=["office", "-year"], name="library_pub_office_year")]
        verbose_name = _("publikasi")
        verbose_name_plural = _("publikasi")

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class Delivery(models.Model):
    """One copy of a publication stamped for the visitor of a consultation and sent to them: which file went to
    whom, by whom and when. The copy is served by an expiring signed link until `expires_at`."""

    publication = models.ForeignKey(
        Publication, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("publikasi")
    )
    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="library_deliveries", verbose_name=_("kantor")
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        on_delete=models.PROTECT,
        related_name="library_deliveries",
        verbose_name=_("konsultasi"),
    )
    visitor = models.ForeignKey(
        "guestbook.Visitor",
        on_delete=models.PROTECT,
        related_name="library_deliveries",
        verbose_name=_("pengguna layanan"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dikirim oleh"),
    )
    sent_at = models.DateTimeField(_("dikirim pada"), default=timezone.now, db_index=True)
    message = models.ForeignKey(
        "consultations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pesan"),
    )
    file = models.FileField(_("berkas"), upload_to="library/copies/%Y/%m/")
    size = models.PositiveBigIntegerField(_("ukuran (bita)"))
    sha256 = models.CharField(_("sidik SHA-256"), max_length=64)
    expires_at = models.DateTimeField(_("kedaluwarsa pada"))

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["office", "sent_at"], name="library_delivery_office_sent")]
        verbose_name = _("pengiriman publikasi")
        verbose_name_plural = _("pengiriman publikasi")

    def __str__(self) -> str:
        return f"{self.publication_id} → PST#{self.consultation_id}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
