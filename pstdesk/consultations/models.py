"""Consultations and their messages: one inbox whatever the channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pstdesk.offices.models import Channel as Channel  # re-exported: a consultation's channel


class Status(models.TextChoices):
    """The procedure's states. Allowed moves are in `consultations.transitions.TRANSITIONS`, nowhere else."""

    NEW = "new", _("Baru")
    AWAITING_REQUIREMENTS = "awaiting_requirements", _("Menunggu persyaratan")
    OPEN = "open", _("Terbuka")
    ANSWERED = "answered", _("Dijawab")
    AWAITING_RATING = "awaiting_rating", _("Menunggu penilaian")
    RATED = "rated", _("Dinilai")
    CLOSED = "closed", _("Ditutup")


class Topic(models.TextChoices):
    DATA = "data", _("Data")
    METADATA = "metadata", _("Metadata")
    CLASSIFICATION = "classification", _("Klasifikasi")


class ConsultationQuerySet(models.QuerySet["Consultation"]):
    def active(self) -> ConsultationQuerySet:
        return self.exclude(status=Status.CLOSED)


class Consultation(models.Model):
    """One consultation of a visitor with an office through one channel.

    The SLA clock starts at `sla_started_at`, the later of the request's arrival (`request_received_at`, or the
    visitor's answer to a clarification question asked in time) and `requirements_complete_at` (docs/sla.md);
    `due_at` and `first_response_due_at` are computed by `consultations.sla` and stored so the breach worker can
    find overdue rows with one indexed query. `last_seq` is the per-consultation message cursor.
    """

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="consultations", verbose_name=_("kantor")
    )
    visitor = models.ForeignKey(
        "guestbook.Visitor", on_delete=models.PROTECT, related_name="consultations", verbose_name=_("pengguna layanan")
    )
    channel = models.CharField(_("kanal"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.NEW, db_index=True)
    topic = models.CharField(_("topik"), max_length=20, choices=Topic.choices, blank=True)
    subject = models.CharField(_("subjek statistik"), max_length=200, blank=True)
    title = models.CharField(_("judul"), max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned",
        verbose_name=_("ditugaskan kepada"),
    )
    guestbook_entry = models.ForeignKey(
        "guestbook.GuestbookEntry",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("isian buku tamu"),
    )
    introduction_given = models.BooleanField(_("perkenalan sudah diberikan"), default=False)

    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)
    request_clear_at = models.DateTimeField(_("permintaan jelas pada"), null=True, blank=True)
    # The visitor's request arrived: the message that opened or reopened the consultation.
    request_received_at = models.DateTimeField(_("permintaan diterima pada"), null=True, blank=True)
    # An officer recorded, within the first-response target, that the request is not yet clear and asked the
    # visitor; the clock then waits for the visitor's next message (`clarification_answered_at`).
    clarification_asked_at = models.DateTimeField(_("klarifikasi ditanyakan pada"), null=True, blank=True)
    clarification_answered_at = models.DateTimeField(_("klarifikasi dijawab pada"), null=True, blank=True)
    requirements_complete_at = models.DateTimeField(_("persyaratan lengkap pada"), null=True, blank=True)
    sla_started_at = models.DateTimeField(_("SLA mulai pada"), null=True, blank=True)
    due_at = models.DateTimeField(_("jatuh tempo"), null=True, blank=True, db_index=True)
    first_response_due_at = models.DateTimeField(_("respons pertama jatuh tempo"), null=True, blank=True, db_index=True)
    first_response_at = models.DateTimeField(_("respons pertama pada"), null=True, blank=True)
    answered_at = models.DateTimeField(_("dijawab pada"), null=True, blank=True)
    rating_requested_at = models.DateTimeField(_("penilaian diminta pada"), null=True, blank=True)
    rated_at = models.DateTimeField(_("dinilai pada"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ditutup pada"), null=True, blank=True)
    breached_at = models.DateTimeField(_("terlambat sejak"), null=True, blank=True, db_index=True)
    last_inbound_at = models.DateTimeField(_("pesan masuk terakhir pada"), null=True, blank=True)
    last_outbound_at = models.DateTimeField(_("pesan keluar terakhir pada"), null=True, blank=True)
    last_auto_reply_at = models.DateTimeField(_("balasan otomatis terakhir pada"), null=True, blank=True)
    last_seq = models.PositiveIntegerField(_("nomor urut terakhir"), default=0)
    reopened_count = models.PositiveSmallIntegerField(_("jumlah dibuka kembali"), default=0)

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["office", "status", "-created_at"], name="consultation_inbox"),
            models.Index(fields=["assigned_to", "status"], name="consultation_mine"),
            # The API's list: an office's consultations newest first, read in index order (no sort of them all).
            models.Index(fields=["office", "-id"], name="consultation_office_newest"),
        ]
        verbose_name = _("konsultasi")
        verbose_name_plural = _("konsultasi")

    def __str__(self) -> str:
        return f"PST#{self.pk}"


class Direction(models.TextChoices):
    IN = "in", _("Masuk")
    OUT = "out", _("Keluar")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Pesan")
    NOTE = "note", _("Catatan internal")
    EVENT = "event", _("Peristiwa")


class DeliveryStatus(models.TextChoices):
    """Outbound delivery, moving forward only: pending < sent < delivered < read; failed is final."""

    NONE = "", _("-")
    PENDING = "pending", _("Menunggu")
    SENT = "sent", _("Terkirim")
    DELIVERED = "delivered", pgettext_lazy("message delivery", "Diterima")
    READ = "read", _("Dibaca")
    FAILED = "failed", _("Gagal")


class Message(models.Model):
    """A message of a consultation, in order of `seq` (the cursor clients replay from).

    Inbound messages are unique on (channel, external_id): the provider's id (wamid, Message-ID) or the widget's
    client-generated id, so a retried delivery is stored once. Outbound messages are the outbox: written with
    delivery_status=pending, then sent by a channel worker that records the provider's id and status.
    """

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="messages", verbose_name=_("konsultasi")
    )
    seq = models.PositiveIntegerField(_("nomor urut"))
    direction = models.CharField(_("arah"), max_length=3, choices=Direction.choices)
    kind = models.CharField(_("jenis pesan"), max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    channel = models.CharField(_("kanal"), max_length=20, choices=Channel.choices)
    body = models.TextField(_("isi pesan"), blank=True)
    # Structured content for a channel: interactive buttons, a template, an e-mail subject and headers.
    payload = models.JSONField(_("data tambahan"), default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("penulis (petugas)"),
    )
    external_id = models.CharField(_("ID eksternal"), max_length=255, null=True, blank=True)
    is_automatic = models.BooleanField(_("otomatis"), default=False)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    delivery_status = models.CharField(
        _("status pengiriman"), max_length=10, choices=DeliveryStatus.choices, blank=True, db_index=True
    )
    delivery_error = models.TextField(_("kesalahan pengiriman"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("jumlah percobaan"), default=0)
    next_attempt_at = models.DateTimeField(_("percobaan berikutnya pada"), null=True, blank=True)
    sent_at = models.DateTimeField(_("dikirim pada"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("terkirim pada"), null=True, blank=True)
    read_at = models.DateTimeField(_("dibaca pada"), null=True, blank=True)

    class Meta:
        ordering = ["consultation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="message_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["delivery_status", "next_attempt_at"], name="message_outbox")]
        verbose_name = _("pesan")
        verbose_name_plural = _("pesan")

    def __str__(self) -> str:
        return f"PST#{self.consultation_id}/{self.seq}"


class Attachment(models.Model):
    """A file sent with a message, served only to the consultation's visitor and its office's staff."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("pesan"))
    file = models.FileField(_("berkas"), upload_to="attachments/%Y/%m/")
    filename = models.CharField(_("nama berkas"), max_length=255)
    content_type = models.CharField(_("jenis konten"), max_length=100)
    size = models.PositiveIntegerField(_("ukuran (bita)"))
    sha256 = models.CharField(_("sidik SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("lampiran")
        verbose_name_plural = _("lampiran")

    def __str__(self) -> str:
        return self.filename


class CannedReply(models.Model):
    """A prepared answer an office's officers insert into a reply."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="canned_replies", verbose_name=_("kantor")
    )
    title = models.CharField(_("judul"), max_length=100)
    body = models.TextField(_("isi balasan"))
    language = models.CharField(_("bahasa"), max_length=5, default="id")

    class Meta:
        ordering = ["office", "title"]
        verbose_name = _("balasan siap pakai")
        verbose_name_plural = _("balasan siap pakai")

    def __str__(self) -> str:
        return self.title


class ReadCursor(models.Model):
    """How far one officer has read one consultation: every message with `seq` ≤ this was on their screen.

    The console's unread counts are the visitor's messages after it. Moved only forward, only by a POST when the
    officer views the conversation (`console.actions.mark_seen`), never by a GET."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("petugas")
    )
    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="read_cursors", verbose_name=_("konsultasi")
    )
    seq = models.PositiveIntegerField(_("nomor urut"), default=0)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "consultation"], name="readcursor_unique")]
        verbose_name = _("penanda baca petugas")
        verbose_name_plural = _("penanda baca petugas")

    def __str__(self) -> str:
        return f"{self.user_id}@PST#{self.consultation_id}:{self.seq}"


class SendKey(models.TextChoices):
    ENTER = "enter", _("Enter mengirim (Shift+Enter baris baru)")
    CTRL_ENTER = "ctrl_enter", _("Ctrl+Enter mengirim (Enter baris baru)")


class ConsolePreference(models.Model):
    """One officer's console settings: whether new work makes a sound and a desktop notification, and which key
    sends a reply. A missing row means the defaults (notify, Enter sends)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="console_preference", verbose_name=_("petugas")
    )
    muted = models.BooleanField(_("bisukan suara dan notifikasi"), default=False)
    send_key = models.CharField(_("tombol kirim"), max_length=12, choices=SendKey.choices, default=SendKey.ENTER)

    class Meta:
        verbose_name = _("preferensi konsol")
        verbose_name_plural = _("preferensi konsol")

    def __str__(self) -> str:
        return f"console preference of {self.user_id}"


class Assignment(models.Model):
    """One stretch of time an officer held a consultation: opened by every change of assignee
    (`consultations.actions.assignment._set_assignee`, the one place an assignee changes) and ended by the next one.
    Reports credit a consultation to the officer who held it when it was answered, not to whoever holds it now.
    Rows from before this table existed were rebuilt from the audit log (migration 0006)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("konsultasi")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("petugas")
    )
    started_at = models.DateTimeField(_("dimulai pada"))
    ended_at = models.DateTimeField(_("berakhir pada"), null=True, blank=True)

    class Meta:
        ordering = ["consultation", "started_at"]
        indexes = [models.Index(fields=["consultation", "started_at"], name="assignment_history")]
        verbose_name = _("riwayat penugasan")
        verbose_name_plural = _("riwayat penugasan")

    def __str__(self) -> str:
        return f"PST#{self.consultation_id} → {self.officer_id} from {self.started_at:%Y-%m-%d %H:%M}"
