"""When the standard is not met: SLA breaches, compensation cases, and the public's complaints, suggestions and
input (pengaduan, saran, masukan)."""

from __future__ import annotations

from typing import Any

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

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="breaches", verbose_name=_("konsultasi")
    )
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("kantor"))
    kind = models.CharField(_("jenis pelanggaran"), max_length=20, choices=BreachKind.choices)
    due_at = models.DateTimeField(_("batas waktu"))
    detected_at = models.DateTimeField(_("terdeteksi"))
    # When the office's daily breach digest (complaints.actions.send_breach_digests) claimed this breach; NULL until
    # then. One e-mail a day per office lists the new breaches, instead of one e-mail per breach.
    digested_at = models.DateTimeField(_("masuk ringkasan harian"), null=True, blank=True, editable=False)

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

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="compensations", verbose_name=_("kantor")
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("konsultasi"),
    )
    breach = models.OneToOneField(
        Breach,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compensation",
        verbose_name=_("pelanggaran"),
    )
    complaint = models.ForeignKey(
        "complaints.Complaint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compensations",
        verbose_name=_("pengaduan"),
    )
    status = models.CharField(
        _("status kompensasi"),
        max_length=10,
        choices=CompensationStatus.choices,
        default=CompensationStatus.OPEN,
        db_index=True,
    )
    reason = models.TextField(_("alasan dibuka"))
    opened_at = models.DateTimeField(_("dibuka pada"), auto_now_add=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dibuka oleh"),
    )
    opened_by_label = models.CharField(
        _("dibuka oleh (nama)"), max_length=100, blank=True
    )  # "system:sla" when the worker opened it
    decision_reason = models.TextField(_("alasan keputusan"), blank=True)
    given = models.TextField(_("kompensasi yang diberikan"), blank=True)
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("diputuskan oleh"),
    )
    # The option of the office's list the manager picked (its label is copied into `given`, so a later edit of
    # the list does not rewrite a decision).
    option = models.ForeignKey(
        "complaints.CompensationOption",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pilihan kompensasi"),
    )
    # When and how the visitor was told of the decision ("whatsapp", "email", "web", "tracking"); empty until told.
    visitor_told_at = models.DateTimeField(_("pengguna diberi tahu"), null=True, blank=True)
    visitor_told_via = models.CharField(_("pengguna diberi tahu lewat"), max_length=20, blank=True)

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


class CompensationOption(models.Model):
    """One compensation the office can give (from its standard's service guarantee, edited in the admin). The
    manager's decision on a case picks one of the office's active options, or declines."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="compensation_options", verbose_name=_("kantor")
    )
    label = models.CharField(_("kompensasi"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    position = models.PositiveSmallIntegerField(_("urutan"), default=0)
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        ordering = ["office", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["office", "label"], name="compensation_option_unique_label")]
        verbose_name = _("pilihan kompensasi")
        verbose_name_plural = _("pilihan kompensasi")

    def __str__(self) -> str:
        return self.label


class ComplaintPolicy(models.Model):
    """An office's complaint policy (edited in the admin): the follow-up deadline in working days. An office
    without a row follows the default (`DEFAULT_FOLLOW_UP_DAYS`)."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="complaint_policy", verbose_name=_("kantor")
    )
    follow_up_working_days = models.PositiveSmallIntegerField(_("batas tindak lanjut (hari kerja)"), default=5)

    class Meta:
        verbose_name = _("kebijakan pengaduan")
        verbose_name_plural = _("kebijakan pengaduan")

    def __str__(self) -> str:
        return f"{self.office_id}: {self.follow_up_working_days}"


DEFAULT_FOLLOW_UP_DAYS = 5


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("Pengaduan")
    SUGGESTION = "suggestion", _("Saran")
    INPUT = "input", _("Masukan")


class ComplaintSource(models.TextChoices):
    """Where a complaint came in: the complaint channels an office publishes in its standard, and in person."""

    BOX = "box", _("Kotak saran dan pengaduan")
    IN_PERSON = "in_person", _("Langsung (tatap muka)")
    LAPOR = "lapor", _("SP4N-LAPOR!")
    BPS_SITE = "bps_site", _("Situs pengaduan BPS")
    ONLINE_FORM = "online_form", _("Formulir daring")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("Telepon")
    EMAIL = "email", _("E-mail")


# Sources that carry the tracking id of another system (LAPOR!, the BPS complaint site).
EXTERNAL_SOURCES = frozenset({ComplaintSource.LAPOR, ComplaintSource.BPS_SITE})


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Diterima")
    IN_PROGRESS = "in_progress", _("Sedang ditindaklanjuti")
    ANSWERED = "answered", _("Dijawab")


OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.IN_PROGRESS)


class LaporStage(models.TextChoices):
    """The stages of a SP4N-LAPOR! report as the office sees them (the LAPOR! admin verifies and forwards within
    3 working days; the agency follows up within 5)."""

    FORWARDED = "forwarded", _("Diteruskan ke instansi")
    IN_PROGRESS = "in_progress", _("Ditindaklanjuti instansi")
    FOLLOW_UP_POSTED = "follow_up_posted", _("Tindak lanjut diunggah ke LAPOR!")
    CLOSED = "closed", _("Selesai di LAPOR!")


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def open(self) -> ComplaintQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: Any) -> ComplaintQuerySet:
        """Open complaints past their follow-up deadline and not escalated yet (the escalation worker's claim)."""
        return self.open().filter(due_at__lt=now, escalated_at__isnull=True)


class Complaint(models.Model):
    """A complaint, suggestion or input (`kind`) from the public about an office's service, from one of the
    office's published sources. It has a public tracking number (`PGD-<office>-XXXXXX`, random), the complainant
    (a visitor, a free-text contact, or nobody: anonymous), the consultation concerned if any, an assignee, a
    working-day follow-up deadline (`due_at`, per the office's policy) and, once answered, the office's answer and
    (for a complaint) whether it is upheld and why. The answer goes back through the channel the complaint came in
    (`reply_via`) and is always shown on the public tracking page."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="complaints", verbose_name=_("kantor")
    )
    tracking_number = models.CharField(_("nomor pelacakan"), max_length=24, unique=True)
    kind = models.CharField(_("jenis"), max_length=12, choices=ComplaintKind.choices)
    source = models.CharField(
        _("sumber"), max_length=12, choices=ComplaintSource.choices, default=ComplaintSource.ONLINE_FORM
    )
    external_id = models.CharField(_("nomor pelacakan eksternal"), max_length=64, blank=True)
    lapor_stage = models.CharField(_("tahap LAPOR!"), max_length=20, choices=LaporStage.choices, blank=True)
    text = models.TextField(_("isi"))
    contact = models.CharField(_("kontak (opsional)"), max_length=200, blank=True)
    visitor = models.ForeignKey(
        "guestbook.Visitor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("pengguna layanan"),
    )
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("konsultasi"),
    )
    message = models.ForeignKey(
        "consultations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("isi pengaduan"),
    )
    status = models.CharField(
        _("status pengaduan"), max_length=12, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ditugaskan kepada"),
    )
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    due_at = models.DateTimeField(_("batas tindak lanjut"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("dieskalasi pada"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        "offices.Office",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_complaints",
        verbose_name=_("dieskalasi ke"),
    )
    # The answer (tindak lanjut): what the office did or answered, and for a complaint whether it is upheld (the
    # service did not meet the standard; an upheld complaint opens a compensation case) and why.
    response = models.TextField(_("tindak lanjut"), blank=True)
    upheld = models.BooleanField(_("pengaduan beralasan"), null=True, blank=True)
    decision_reason = models.TextField(_("alasan"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ditangani oleh"),
    )
    handled_at = models.DateTimeField(_("ditangani pada"), null=True, blank=True)
    reply_via = models.CharField(
        _("dibalas lewat"), max_length=20, blank=True
    )  # "whatsapp", "email", "web" or "tracking"
    reply_sent_at = models.DateTimeField(_("balasan dikirim pada"), null=True, blank=True)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One complaint per message turned into one (the backstop of `file_complaint_from_message`).
            models.UniqueConstraint(fields=["message"], name="complaint_one_per_message"),
        ]
        indexes = [
            models.Index(fields=["office", "-created_at"], name="complaint_office_recent"),
            models.Index(fields=["status", "due_at"], name="complaint_open_due"),
        ]
        verbose_name = _("pengaduan, saran, masukan")
        verbose_name_plural = _("pengaduan, saran, masukan")

    def __str__(self) -> str:
        return self.tracking_number or f"{self.get_kind_display()} {self.office_id} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ComplaintNote(models.Model):
    """A follow-up note on a complaint (internal: never shown to the complainant)."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="notes", verbose_name=_("pengaduan")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("penulis")
    )
    body = models.TextField(_("catatan"))
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("catatan tindak lanjut")
        verbose_name_plural = _("catatan tindak lanjut")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.body[:40]}"
