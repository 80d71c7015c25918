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

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="library_publications")
    title = models.CharField(_("judul"), max_length=300)
    year = models.PositiveSmallIntegerField(_("tahun"))
    subject = models.CharField(_("subjek"), max_length=200, blank=True)
    file = models.FileField(upload_to="library/originals/%Y/")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-year", "title"]
        indexes = [models.Index(fields=["office", "-year"], name="library_pub_office_year")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"


class Delivery(models.Model):
    """One copy of a publication stamped for the visitor of a consultation and sent to them: which file went to
    whom, by whom and when. The copy is served by an expiring signed link until `expires_at`."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="deliveries")
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="library_deliveries")
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.PROTECT, related_name="library_deliveries"
    )
    visitor = models.ForeignKey("guestbook.Visitor", on_delete=models.PROTECT, related_name="library_deliveries")
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    message = models.ForeignKey(
        "consultations.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="library/copies/%Y/%m/")
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["office", "sent_at"], name="library_delivery_office_sent")]

    def __str__(self) -> str:
        return f"{self.publication_id} → PST#{self.consultation_id}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.expires_at
