"""The e-mail channel's own rows: an office's mailbox, the IMAP position per folder, and every raw message taken in.

Exactly-once intake rests on two guards: `MailboxState` (UIDVALIDITY and the last UID taken) advances in the same
transaction that stores the `InboundEmail`, and `InboundEmail` is unique on (mailbox, dedupe_key) — the
Message-ID, or a hash of the raw bytes when the message has none — so a rescan after a UIDVALIDITY change, a
re-fetch after a crash or a message piped twice through `pstdesk email ingest` is stored once.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pstdesk.lib.env import env_secret


class Security(models.TextChoices):
    NONE = "none", _("Tanpa enkripsi (hanya untuk 127.0.0.1)")
    STARTTLS = "starttls", _("STARTTLS")
    TLS = "tls", _("TLS langsung (IMAPS/SMTPS)")


class Mailbox(models.Model):
    """The mailbox an office serves consultations from (e.g. bps5101@bps.go.id).

    Passwords are never stored: they are read at call time from `EMAIL_PASSWORD_<OFFICE CODE>` (or
    `EMAIL_PASSWORD_<OFFICE CODE>_FILE`), IMAP and SMTP alike unless `EMAIL_SMTP_PASSWORD_<CODE>` is set.
    `reply_domain` is the domain of the plus-addressed Reply-To (`bps5101+<token>@reply_domain`) and of our
    Message-IDs; it defaults to the address's domain.
    """

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="mailbox", verbose_name=_("kantor")
    )
    address = models.EmailField(_("alamat"), unique=True)
    display_name = models.CharField(_("nama pengirim"), max_length=200, blank=True)
    reply_domain = models.CharField(_("domain balasan"), max_length=200, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)

    imap_host = models.CharField(_("host IMAP"), max_length=200, default="127.0.0.1")
    imap_port = models.PositiveIntegerField(_("port IMAP"), default=993)
    imap_security = models.CharField(_("keamanan IMAP"), max_length=10, choices=Security.choices, default=Security.TLS)
    imap_user = models.CharField(_("pengguna IMAP"), max_length=200, blank=True)
    imap_folder = models.CharField(_("folder IMAP"), max_length=200, default="INBOX")

    smtp_host = models.CharField(_("host SMTP"), max_length=200, default="127.0.0.1")
    smtp_port = models.PositiveIntegerField(_("port SMTP"), default=587)
    smtp_security = models.CharField(
        _("keamanan SMTP"), max_length=10, choices=Security.choices, default=Security.STARTTLS
    )
    smtp_user = models.CharField(_("pengguna SMTP"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("kotak surat")
        verbose_name_plural = _("kotak surat")

    def __str__(self) -> str:
        return f"{self.office_id} {self.address}"

    def clean(self) -> None:
        # A mailbox only for an office whose service standard offers e-mail (the admin shows the reason).
        from pstdesk.offices.offering import check_offered

        super().clean()
        if self.office_id is not None:
            check_offered(self.office, "email", field="office")

    @property
    def local_part(self) -> str:
        return self.address.rsplit("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.reply_domain or self.address.rsplit("@", 1)[1]

    def imap_password(self) -> str:
        return env_secret(f"EMAIL_PASSWORD_{self.office_id}")

    def smtp_password(self) -> str:
        return env_secret(f"EMAIL_SMTP_PASSWORD_{self.office_id}") or self.imap_password()


class MailboxState(models.Model):
    """Where intake stands in one IMAP folder: "mailbox name, UIDVALIDITY and UID refer to a single immutable
    message on that server forever" (RFC 3501), so (uidvalidity, last_uid) is the cursor. Written only in the
    transaction that stores the message it advances past."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="states", verbose_name=_("kotak surat"))
    folder = models.CharField(_("folder"), max_length=200)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY IMAP"), null=True, blank=True)
    last_uid = models.BigIntegerField(_("UID terakhir"), default=0)
    last_poll_at = models.DateTimeField(_("terakhir diperiksa pada"), null=True, blank=True)
    rescans = models.PositiveIntegerField(_("jumlah pindai ulang"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder"], name="mailboxstate_folder_unique")]
        verbose_name = _("keadaan kotak surat")
        verbose_name_plural = _("keadaan kotak surat")

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.folder} {self.uidvalidity}/{self.last_uid}"


class Intake(models.TextChoices):
    """What became of a stored message."""

    STORED = "stored", _("Disimpan, belum diproses")
    DELIVERED = "delivered", _("Masuk ke konsultasi")
    AUTO = "auto", _("Balasan otomatis / milis (tanpa balasan otomatis)")
    BOUNCE = "bounce", _("Pemberitahuan gagal kirim")
    OWN = "own", _("Surat kita sendiri (diabaikan)")
    FAILED = "failed", _("Gagal diproses")


class InboundEmail(models.Model):
    """One message taken from a mailbox, raw bytes kept forever (the evidence), with what became of it.

    `error` is the reason shown to officers in the intake error list when a message could not be delivered to a
    consultation, or when parts of it were refused (e.g. an oversized attachment).
    """

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.CASCADE, related_name="inbound", verbose_name=_("kotak surat")
    )
    dedupe_key = models.CharField(_("kunci antiduplikat"), max_length=255)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True, db_index=True)
    folder = models.CharField(_("folder"), max_length=200, blank=True)
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY IMAP"), null=True, blank=True)
    uid = models.BigIntegerField(_("UID IMAP"), null=True, blank=True)
    source = models.CharField(_("sumber"), max_length=10, default="imap")  # imap | stdin
    raw = models.BinaryField(_("pesan mentah"))
    size = models.PositiveIntegerField(_("ukuran (bita)"), default=0)
    received_at = models.DateTimeField(_("diterima pada"), auto_now_add=True, db_index=True)

    status = models.CharField(
        _("status pemrosesan"), max_length=10, choices=Intake.choices, default=Intake.STORED, db_index=True
    )
    error = models.TextField(_("kesalahan"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("jumlah percobaan"), default=0)
    processed_at = models.DateTimeField(_("diproses pada"), null=True, blank=True)
    sender = models.CharField(_("pengirim"), max_length=320, blank=True)
    subject = models.CharField(_("perihal"), max_length=500, blank=True)
    consultation = models.ForeignKey(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("konsultasi"),
    )
    desk_message = models.ForeignKey(
        "consultations.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("pesan di PST Desk"),
    )
    thread_key = models.CharField(
        _("kunci utas"), max_length=20, blank=True
    )  # how it was threaded: token|references|subject|new

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["mailbox", "dedupe_key"], name="inboundemail_dedupe_unique")]
        verbose_name = _("e-mail masuk")
        verbose_name_plural = _("e-mail masuk")

    def __str__(self) -> str:
        return f"{self.mailbox_id} {self.message_id or self.dedupe_key[:16]} ({self.status})"


class OutboundEmail(models.Model):
    """The headers of a mail we sent for an outbox message: our Message-ID (also the core Message's external_id)
    and what the thread looked like, so replies to it thread and bounces of it find their consultation."""

    outbox = models.OneToOneField(
        "consultations.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("kotak keluar")
    )
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="+", verbose_name=_("konsultasi")
    )
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    to_address = models.EmailField(_("alamat tujuan"))
    subject = models.CharField(_("perihal"), max_length=500)
    sent_at = models.DateTimeField(_("dikirim pada"), auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail keluar")
        verbose_name_plural = _("e-mail keluar")

    def __str__(self) -> str:
        return self.message_id
