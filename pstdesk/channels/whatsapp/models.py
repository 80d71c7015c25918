"""WhatsApp Cloud API bookkeeping: raw webhook deliveries, status events, sends, templates and the rating dialog.

Messages themselves live in `consultations.Message`; these tables hold what only this channel needs.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    RECEIVED = "received", _("Diterima")
    PROCESSING = "processing", _("Sedang diproses")
    PROCESSED = "processed", _("Diproses")
    PARTIAL = "partial", _("Sebagian gagal")
    UNROUTED = "unrouted", _("Nomor tidak dikenal")
    INVALID = "invalid", _("Tidak valid")


class WebhookDelivery(models.Model):
    """One signed POST from Meta, stored raw (bytes exactly as received) before anything is processed.

    The POST is answered once this row is stored; a worker processes it later (`channels.webhooks`). If processing
    an item fails, the error is kept here and the delivery can be processed again (`webhook.process_delivery` is
    idempotent on wamid and on (wamid, status)).

    A redelivery of the same POST (byte for byte; Meta signs the body, so the same body has the same signature)
    finds its row by `body_sha256` and counts another attempt instead of adding a row.
    """

    received_at = models.DateTimeField(_("diterima pada"), auto_now_add=True, db_index=True)
    body = models.BinaryField(_("isi kiriman"))
    state = models.CharField(
        _("keadaan pemrosesan"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.RECEIVED
    )
    items = models.PositiveIntegerField(_("butir"), default=0)
    failed_items = models.PositiveIntegerField(_("butir gagal"), default=0)
    error = models.TextField(_("kesalahan"), blank=True)
    processed_at = models.DateTimeField(_("diproses pada"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("jumlah percobaan"), default=0)
    # SHA-256 of the body as received (null on rows stored before redeliveries were folded into one row).
    body_sha256 = models.CharField(
        _("sidik SHA-256 isi"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    # When a worker may take it: a processing lease's end, or a retry's moment (null: now). See channels.webhooks.
    available_at = models.DateTimeField(_("boleh diambil pada"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The workers' claim reads only what is waiting: a small partial index, however long the history.
            models.Index(
                fields=["state", "available_at"],
                name="wa_delivery_waiting",
                condition=models.Q(state__in=["received", "processing"]),
            )
        ]
        verbose_name = _("kiriman webhook WhatsApp")
        verbose_name_plural = _("kiriman webhook WhatsApp")

    def __str__(self) -> str:
        return f"webhook {self.pk} {self.state}"


class StatusEvent(models.Model):
    """One status of an outbound message as Meta reported it. Unique on (wamid, status): a redelivered status is
    stored once and applied once. `message` is null when no outbox row matches (kept for the record)."""

    wamid = models.CharField(_("ID pesan WhatsApp"), max_length=255)
    status = models.CharField(_("status pesan"), max_length=20)
    timestamp = models.DateTimeField(_("waktu"), null=True, blank=True)
    recipient_id = models.CharField(_("ID penerima"), max_length=64, blank=True)
    message = models.ForeignKey(
        "consultations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pesan"),
    )
    errors = models.JSONField(_("kesalahan"), default=list, blank=True)
    delivery = models.ForeignKey(
        WebhookDelivery,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_events",
        verbose_name=_("kiriman webhook"),
    )
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["wamid", "status"], name="wa_status_unique")]
        verbose_name = _("status pesan WhatsApp")
        verbose_name_plural = _("status pesan WhatsApp")

    def __str__(self) -> str:
        return f"{self.wamid} {self.status}"


class OutboundSend(models.Model):
    """The wamid Meta gave for one part of an outbox row (an attachment, then the text), written the moment Meta
    accepts it: a later attempt for the same row skips the parts already accepted instead of sending them twice."""

    message = models.ForeignKey(
        "consultations.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("pesan")
    )
    part = models.PositiveSmallIntegerField(_("bagian"), default=0)
    wamid = models.CharField(_("ID pesan WhatsApp"), max_length=255, unique=True)
    phone_number_id = models.CharField(_("ID nomor telepon"), max_length=40)
    recipient = models.CharField(_("nomor penerima"), max_length=64)
    sent_at = models.DateTimeField(_("dikirim pada"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "part"], name="wa_send_part_unique")]
        verbose_name = _("kiriman WhatsApp keluar")
        verbose_name_plural = _("kiriman WhatsApp keluar")

    def __str__(self) -> str:
        return self.wamid


class TemplateStatus(models.TextChoices):
    APPROVED = "APPROVED", _("Disetujui")
    PENDING = "PENDING", _("Menunggu")
    REJECTED = "REJECTED", _("Ditolak")
    PAUSED = "PAUSED", _("Dijeda")
    DISABLED = "DISABLED", _("Dinonaktifkan")


class WhatsAppTemplate(models.Model):
    """A message template of a WhatsApp Business Account, as synced from `GET /{waba-id}/message_templates`.
    Only approved templates may be sent, and only templates may be sent outside the 24-hour window."""

    waba_id = models.CharField(_("ID akun bisnis WhatsApp"), max_length=40)
    template_id = models.CharField(_("ID templat"), max_length=64, blank=True)
    name = models.CharField(_("nama templat"), max_length=512)
    language = models.CharField(_("bahasa"), max_length=15)
    status = models.CharField(_("status persetujuan"), max_length=20)
    category = models.CharField(_("kategori templat"), max_length=30, blank=True)
    components = models.JSONField(_("komponen"), default=list, blank=True)
    synced_at = models.DateTimeField(_("disinkronkan pada"), auto_now=True)

    class Meta:
        ordering = ["waba_id", "name", "language"]
        constraints = [models.UniqueConstraint(fields=["waba_id", "name", "language"], name="wa_template_unique")]
        verbose_name = _("templat WhatsApp")
        verbose_name_plural = _("templat WhatsApp")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def body_text(self) -> str:
        for component in self.components:
            if str(component.get("type", "")).upper() == "BODY":
                return str(component.get("text", ""))
        return ""

    @property
    def body_param_count(self) -> int:
        text = self.body_text
        return len({part.split("}}")[0] for part in text.split("{{")[1:]})


class RatingStep(models.TextChoices):
    SCORE = "score", _("Nilai")
    GRATUITY = "gratuity", _("Imbalan")
    ILLEGAL_FEE = "illegal_fee", _("Pungutan liar")
    FEEDBACK = "feedback", _("Umpan balik")
    DONE = "done", _("Selesai")


class RatingDialog(models.Model):
    """The rating conversation in WhatsApp: score (list), two integrity questions (yes/no buttons), feedback
    (free text, or skip). Answers are kept here and recorded as one `Rating` when the dialog ends."""

    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        related_name="whatsapp_rating",
        verbose_name=_("konsultasi"),
    )
    step = models.CharField(_("langkah dialog"), max_length=12, choices=RatingStep.choices, default=RatingStep.SCORE)
    score = models.PositiveSmallIntegerField(_("nilai"), null=True, blank=True)
    gratuity = models.BooleanField(_("imbalan"), null=True, blank=True)
    illegal_fee = models.BooleanField(_("pungutan liar"), null=True, blank=True)
    feedback = models.TextField(_("umpan balik"), blank=True)
    started_at = models.DateTimeField(_("dimulai pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        verbose_name = _("dialog penilaian WhatsApp")
        verbose_name_plural = _("dialog penilaian WhatsApp")

    def __str__(self) -> str:
        return f"rating dialog PST#{self.consultation_id} {self.step}"


class ReadMark(models.Model):
    """The last inbound message of a consultation we marked as read on WhatsApp (blue ticks for the visitor)."""

    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        related_name="whatsapp_read_mark",
        verbose_name=_("konsultasi"),
    )
    wamid = models.CharField(_("ID pesan WhatsApp"), max_length=255)
    marked_at = models.DateTimeField(_("ditandai pada"), auto_now=True)

    class Meta:
        verbose_name = _("tanda baca WhatsApp")
        verbose_name_plural = _("tanda baca WhatsApp")

    def __str__(self) -> str:
        return f"PST#{self.consultation_id} read up to {self.wamid}"
