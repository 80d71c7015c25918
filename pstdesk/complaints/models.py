"""When the standard is not met: SLA breaches, compensation cases, and the public's complaints, suggestions and
input (pengaduan, saran, masukan)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BreachKind(models.TextChoices):
    RESOLUTION = "resolution", _("Melewati batas waktu penyelesaian")
    FIRST_RESPONSE = "first_response", _("Melewati batas waktu respons pertama")


class Breach(models.Model):
    """A deadline of a consultation that passed unmet, recorded once by the breach worker
    (`complaints.actions.record_breach`): one first-response breach per consultation, one resolution breach per
    SLA clock. Rows are history: a later recomputation of the deadline does not remove them."""

    consultation = models.ForeignKey("consultations.Consultation", on_delete=models.CASCADE, related_name="breaches")
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=BreachKind.choices)
    due_at = models.DateTimeField(_("batas waktu"))
    detected_at = models.DateTimeField(_("terdeteksi"))

    class Meta:
        ordering = ["-detected_at"]
        constraints = [
            # The backstops of the claims in complaints.actions: one first-response breach per consultation, one
            # resolution breach per deadline (a reopened consultation runs a new clock with a new deadline).
            models.UniqueConstraint(
                fields=["consultation"], condition=models.Q(kind="first_response"), name="breach_first_response_once"
            ),
            models.UniqueConstraint(
                fields=["consultation", "due_at"],
                condition=models.Q(kind="resolution"),
                name="breach_resolution_once_per_deadline",
            ),
        ]
        indexes = [models.Index(fields=["office", "-detected_at"], name="breach_office_recent")]
        verbose_name = _("pelanggaran standar")
        verbose_name_plural = _("pelanggaran standar")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PST#{self.consultation_id}"


class CompensationStatus(models.TextChoices):
    OPEN = "open", _("Menunggu keputusan")
    GRANTED = "granted", _("Diberikan")
    DECLINED = "declined", _("Ditolak")


class Compensation(models.Model):
    """A compensation case (kompensasi): opened for a breach of the standard (one per breach) or by hand, decided
    once by the office's service manager (granted with what was given, or declined), always with the reason.

    A decided case is final; the audit trail holds who opened and who decided it.
    """

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="compensations")
    consultation = models.ForeignKey(
        "consultations.Consultation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    breach = models.OneToOneField(Breach, null=True, blank=True, on_delete=models.SET_NULL, related_name="compensation")
    complaint = models.ForeignKey(
        "complaints.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="compensations"
    )
    status = models.CharField(
        max_length=10, choices=CompensationStatus.choices, default=CompensationStatus.OPEN, db_index=True
    )
    reason = models.TextField(_("alasan dibuka"))
    opened_at = models.DateTimeField(auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_by_label = models.CharField(max_length=100, blank=True)  # "system:sla" when the worker opened it
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)
    given = models.TextField(_("kompensasi yang diberikan"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["office", "status", "-opened_at"], name="compensation_queue")]
        verbose_name = _("kompensasi")
        verbose_name_plural = _("kompensasi")

    def __str__(self) -> str:
        return f"K#{self.pk} {self.office_id} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == CompensationStatus.OPEN


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("Pengaduan")
    SUGGESTION = "suggestion", _("Saran")
    INPUT = "input", _("Masukan")


class ComplaintChannel(models.TextChoices):
    ONLINE_FORM = "online_form", _("Formulir daring")
    BOX = "box", _("Kotak saran")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telepon")
    WEBSITE = "website", _("Situs web (SP4N-LAPOR!, webapps BPS)")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Diterima")
    HANDLED = "handled", _("Ditindaklanjuti")


class Complaint(models.Model):
    """A complaint, suggestion or input from the public about an office's service. The contact is optional:
    anonymous complaints are accepted."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="complaints")
    kind = models.CharField(_("jenis"), max_length=12, choices=ComplaintKind.choices)
    channel = models.CharField(max_length=12, choices=ComplaintChannel.choices, default=ComplaintChannel.ONLINE_FORM)
    text = models.TextField(_("isi"))
    contact = models.CharField(_("kontak (opsional)"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED)
    created_at = models.DateTimeField(auto_now_add=True)
    # The follow-up (tindak lanjut): what the office did or answered, and whether the complaint was upheld
    # (the service did not meet the standard; an upheld complaint opens a compensation case).
    response = models.TextField(_("tindak lanjut"), blank=True)
    upheld = models.BooleanField(_("pengaduan beralasan"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["office", "-created_at"], name="complaint_office_recent")]
        verbose_name = _("pengaduan, saran, masukan")
        verbose_name_plural = _("pengaduan, saran, masukan")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.office_id} #{self.pk}"
