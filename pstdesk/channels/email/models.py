"""The e-mail channel's own rows: an office's mailbox (its `offices.ChannelAccount`), the IMAP position per
folder, and every raw message taken in.

Exactly-once intake rests on two guards: `MailboxState` (UIDVALIDITY and the last UID taken) advances in the same
transaction that stores the `InboundEmail`, and `InboundEmail` is unique on (mailbox, dedupe_key) — the
Message-ID, or a hash of the raw bytes when the message has none — so a rescan after a UIDVALIDITY change, a
re-fetch after a crash or a message piped twice through `pstdesk email ingest` is stored once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from pstdesk.lib.env import env_secret
from pstdesk.offices.models import ChannelAccount

KIND = "email"


class Security(models.TextChoices):
    NONE = "none", _("Tanpa enkripsi (hanya untuk 127.0.0.1)")
    STARTTLS = "starttls", _("STARTTLS")
    TLS = "tls", _("TLS langsung (IMAPS/SMTPS)")


# What an e-mail account's config may hold, with its defaults (`offices.ChannelAccount.config`).
CONFIG_DEFAULTS: dict[str, Any] = {
    "display_name": "",
    "reply_domain": "",
    "imap_host": "127.0.0.1",
    "imap_port": 993,
    "imap_security": Security.TLS.value,
    "imap_user": "",
    "imap_folder": "INBOX",
    "smtp_host": "127.0.0.1",
    "smtp_port": 587,
    "smtp_security": Security.STARTTLS.value,
    "smtp_user": "",
}
PORTS = ("imap_port", "smtp_port")
SECURITIES = ("imap_security", "smtp_security")


def validate_account(external_key: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The mailbox address is the key; config holds the servers (`CONFIG_DEFAULTS` fills what is missing). Errors
    name the field and the key, for the admin."""
    address = (external_key or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError({"external_key": _("Alamat kotak surat tidak valid: %(a)s") % {"a": address}}) from None
    if not isinstance(config, dict):
        raise ValidationError({"config": _("Konfigurasi harus berupa objek JSON.")})
    unknown = sorted(set(config) - set(CONFIG_DEFAULTS))
    if unknown:
        raise ValidationError(
            {"config": _("Kunci konfigurasi e-mail tidak dikenal: %(keys)s.") % {"keys": ", ".join(unknown)}}
        )
    clean = {**CONFIG_DEFAULTS, **config}
    for name in PORTS:
        port = clean[name]
        if isinstance(port, str) and port.isdigit():
            port = int(port)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValidationError({"config": _("%(key)s harus nomor port 1–65535.") % {"key": name}})
        clean[name] = port
    for name in SECURITIES:
        if clean[name] not in Security.values:
            raise ValidationError(
                {
                    "config": _("%(key)s harus salah satu dari: %(values)s.")
                    % {"key": name, "values": ", ".join(Security.values)}
                }
            )
    for name, default in CONFIG_DEFAULTS.items():
        if isinstance(default, str):
            clean[name] = str(clean[name]).strip()
    return address, clean


def _config_property(name: str) -> Any:
    """A name of the mailbox's config read (with its default) and written like a field."""

    def read(self: ChannelAccount) -> Any:
        return (self.config or {}).get(name, CONFIG_DEFAULTS[name])

    def write(self: ChannelAccount, value: Any) -> None:
        self.config = {**(self.config or {}), name: value}

    return property(read, write)


class MailboxManager(models.Manager["Mailbox"]):
    def get_queryset(self) -> models.QuerySet[Mailbox]:
        return super().get_queryset().filter(kind=KIND)


class Mailbox(ChannelAccount):
    """The mailbox an office serves consultations from (e.g. bps5101@bps.go.id): its `offices.ChannelAccount` of
    kind "email", read through typed names (`address` is the account's key; the servers are its config).

    Passwords are never stored: they are read at call time from `EMAIL_PASSWORD_<OFFICE CODE>` (or
    `EMAIL_PASSWORD_<OFFICE CODE>_FILE`), IMAP and SMTP alike unless `EMAIL_SMTP_PASSWORD_<CODE>` is set.
    `reply_domain` is the domain of the plus-addressed Reply-To (`bps5101+<token>@reply_domain`) and of our
    Message-IDs; it defaults to the address's domain.
    """

    objects = MailboxManager()  # type: ignore[misc]  # the e-mail accounts only

    class Meta:
        proxy = True
        verbose_name = _("kotak surat")
        verbose_name_plural = _("kotak surat")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.kind = KIND
        super().save(*args, **kwargs)

    @property
    def address(self) -> str:
        return self.external_key

    display_name = _config_property("display_name")
    reply_domain = _config_property("reply_domain")
    imap_host = _config_property("imap_host")
    imap_port = _config_property("imap_port")
    imap_security = _config_property("imap_security")
    imap_user = _config_property("imap_user")
    imap_folder = _config_property("imap_folder")
    smtp_host = _config_property("smtp_host")
    smtp_port = _config_property("smtp_port")
    smtp_security = _config_property("smtp_security")
    smtp_user = _config_property("smtp_user")

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
