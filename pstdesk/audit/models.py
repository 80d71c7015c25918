"""The audit trail: one row per state change, written by the action that made it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditLog(models.Model):
    """Who did what to which object, with the fields before and after. Rows are never updated or deleted."""

    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pelaku"),
    )
    # For actors that are not users: "visitor:12", "channel:whatsapp", "system:sla".
    actor_label = models.CharField(_("pelaku (nama)"), max_length=100, blank=True)
    office = models.ForeignKey(
        "offices.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("kantor")
    )
    verb = models.CharField(_("tindakan"), max_length=60, db_index=True)
    subject_type = models.CharField(_("jenis objek"), max_length=60)
    subject_id = models.CharField(_("ID objek"), max_length=64)
    before = models.JSONField(_("sebelum"), default=dict, blank=True)
    after = models.JSONField(_("sesudah"), default=dict, blank=True)
    # The hash chain of the office's rows (audit/chain.py): set when the row is sealed, shortly after it is
    # written, in sealing order. `prev_hash` is the hash of the office's previous sealed row.
    chain_seq = models.PositiveBigIntegerField(_("nomor urut rantai"), null=True, blank=True)
    prev_hash = models.CharField(_("sidik baris sebelumnya"), max_length=64, blank=True)
    hash = models.CharField(_("sidik"), max_length=64, blank=True)
    # SHA-256 of `before` and `after` at sealing time. The chain hashes this digest rather than the values, so an
    # erasure under UU 27/2022 may redact personal data in `before`/`after` (setting `redacted_at`, itself recorded
    # by the erasure's own audit row) without breaking the chain; every other change of the values is detected.
    payload_hash = models.CharField(_("sidik isi"), max_length=64, blank=True)
    redacted_at = models.DateTimeField(_("disamarkan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("catatan audit")
        verbose_name_plural = _("catatan audit")
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["office", "chain_seq"], name="audit_office_chain"),
            models.Index(fields=["office", "-id"], name="audit_office_newest"),
        ]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.subject_type}:{self.subject_id}"


class ChainHead(models.Model):
    """The end of one office's audit chain (`office_key` is the office code, "" for rows without an office):
    locked while sealing, so two sealers never fork a chain."""

    office_key = models.CharField(_("kunci kantor"), max_length=4, primary_key=True)
    last_seq = models.PositiveBigIntegerField(_("nomor urut terakhir"), default=0)
    last_hash = models.CharField(_("sidik terakhir"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("kepala rantai audit")
        verbose_name_plural = _("kepala rantai audit")

    def __str__(self) -> str:
        return f"{self.office_key or '-'}: {self.last_seq}"


def trail_of(subject: models.Model) -> models.QuerySet[AuditLog]:
    """The audit rows of one object, oldest first (for the pages that show an object's trail)."""
    return (
        AuditLog.objects.filter(subject_type=subject._meta.label_lower, subject_id=str(subject.pk))
        .select_related("actor")
        .order_by("id")
    )
