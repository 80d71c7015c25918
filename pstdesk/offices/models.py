"""Offices (the BPS office tree) and their published service standards, versioned."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pstdesk.channels.base import capability
from pstdesk.offices.policy import ClosingOrder, OfficePolicy


class Channel(models.TextChoices):
    """The consultation channels a standard can offer. Shared by every app."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    LIVECHAT_WEBSITE = "livechat_website", _("LiveChat di website kantor")
    LIVECHAT_PFA = "livechat_pfa", _("LiveChat PST From Anywhere")
    EMAIL = "email", _("E-mail")


class OfficeKind(models.TextChoices):
    NATIONAL = "national", _("BPS RI")
    PROVINCE = "province", _("Provinsi")
    REGENCY = "regency", _("Kabupaten/Kota")


# `Office.standard_pinned()`: the instance attribute holding the pinned standard, and its two markers.
_PINNED = "_pinned_standard"
_UNPINNED = object()
_NOT_READ = object()


class OfficeQuerySet(models.QuerySet["Office"]):
    def subtree_of(self, office: Office) -> OfficeQuerySet:
        """The office and every office below it."""
        return self.filter(path__startswith=office.path)


class Office(models.Model):
    """A BPS office, identified by its four-digit domain code, in a tree (0000 → 5100 → 5101, 5102).

    `path` is the materialised path of codes ("0000/5100/5102/"), so a subtree is one indexed prefix query.
    """

    code = models.CharField(_("kode"), max_length=4, primary_key=True)
    name = models.CharField(_("nama"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=20, choices=OfficeKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("induk")
    )
    path = models.CharField(_("jalur"), max_length=100, db_index=True, editable=False)
    timezone = models.CharField(_("zona waktu"), max_length=50, default="Asia/Makassar")
    website = models.URLField(_("situs web"), blank=True)
    # Origins allowed to embed the LiveChat widget, e.g. ["https://tabanankab.bps.go.id"].
    website_origins = models.JSONField(_("asal situs yang boleh memasang widget"), default=list, blank=True)
    pfa_url = models.CharField(_("tautan PST From Anywhere"), max_length=200, blank=True)
    # Consultation contacts: office settings shown on the public pages, separate from the complaint contacts the
    # standard lists (`ServiceStandard.complaint_channels`), which only a new version of the standard changes.
    email = models.EmailField(
        _("e-mail konsultasi"), blank=True, help_text=_("Pengaturan kantor; bukan kontak pengaduan.")
    )
    phone = models.CharField(_("telepon konsultasi"), max_length=40, blank=True, help_text=_("Pengaturan kantor."))
    whatsapp_number = models.CharField(
        _("nomor WhatsApp konsultasi"), max_length=40, blank=True, help_text=_("Pengaturan kantor.")
    )
    address = models.TextField(_("alamat"), blank=True)
    # How long personal data is kept after a consultation ends (the privacy notice's period); the retention job
    # (`pstdesk retention`) erases what is older.
    retention_months = models.PositiveSmallIntegerField(
        _("masa simpan data pribadi (bulan)"),
        default=24,
        help_text=_("Setelah masa ini, isi konsultasi dan identitas pengguna layanan dihapus (angka statistik tetap)."),
    )

    objects = OfficeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("kantor")
        verbose_name_plural = _("kantor")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.path = (self.parent.path if self.parent else "") + f"{self.code}/"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A WhatsApp number only for an office whose standard offers WhatsApp: the admin refuses it with the
        reason (which channels the standard in force offers). Channel accounts check the same (`ChannelAccount`)."""

        # cycle: offices.offering imports this module (the office and its standard)
        from pstdesk.offices.offering import not_offered_reason

        super().clean()
        reason = not_offered_reason(self, Channel.WHATSAPP) if self.whatsapp_number else None
        if reason:
            raise ValidationError({"whatsapp_number": reason}, code="channel_not_offered")

    @property
    def standard(self) -> ServiceStandard | None:
        """The version of the service standard in force (the newest): read on every use, except inside
        `with office.standard_pinned():`, where it is read at most once."""
        pinned = self.__dict__.get(_PINNED, _UNPINNED)
        if pinned is _UNPINNED:
            return self.standards.order_by("-version").first()
        if pinned is _NOT_READ:
            pinned = self.__dict__[_PINNED] = self.standards.order_by("-version").first()
        return pinned  # type: ignore[no-any-return]

    @property
    def policy(self) -> OfficePolicy:
        """The rules of the standard in force, with the defaults where the office has none (`offices.policy`)."""
        return OfficePolicy.of(self.standard)

    @contextmanager
    def standard_pinned(self) -> Iterator[None]:
        """Within the block, `standard` is read from the database at most once (when first used) and every use
        sees that version: one inbound message's intake consults it several times (threading, requirements, the
        calendar). Outside any block a long-lived instance never holds on to an old version."""
        if _PINNED in self.__dict__:  # nested: the outer block decides
            yield
            return
        self.__dict__[_PINNED] = _NOT_READ
        try:
            yield
        finally:
            self.__dict__.pop(_PINNED, None)


class ServiceStandard(models.Model):
    """One version of an office's published service standard (Standar Pelayanan, PermenPAN-RB 15/2014).

    Rows are immutable: an edit creates version + 1 (see `offices.actions.revise_standard`), and old versions are
    kept. Text is bilingual: {"id": "...", "en": "..."}; lists are lists of such texts or of small records:

    - requirements: [{"code": "active_email"|"whatsapp_account"|"guestbook"|"request_via_channel"|"introduction",
      "text": {...}}]
    - procedures: {channel: [{"actor": "visitor"|"officer", "action": "contact"|"guestbook"|"introduce"|"consult"|
      "answer"|"rate"|"close", "text": {...}}]}
    - service_hours: {"mon": ["08:00", "16:00"], ..., "sat": null, "sun": null} (office time zone)
    - complaint_channels: [{"kind": "box"|"website"|"online_form"|"whatsapp"|"phone"|"email", "address": "...",
      "label": {...}}]
    - legal_bases: [{"kind": "UU"|"PP"|"Perpres"|"PermenPANRB"|"PerBPS", "number": "16", "year": 1997,
      "title": {...}, "gazette": "..."}]
    - facilities, competences: [{...}]; evaluation_cadences: ["monthly", "yearly", "ad_hoc"]
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="standards", verbose_name=_("kantor"))
    version = models.PositiveIntegerField(_("versi"))
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dibuat oleh"),
    )
    change_note = models.CharField(_("catatan perubahan"), max_length=300, blank=True)

    title = models.JSONField(_("nama pelayanan"), default=dict)
    # "Berlaku sejak": the date the office's standard takes effect, as the published document states it (editable);
    # None where the document gives none. Never the day the row was loaded.
    effective_date = models.DateField(_("berlaku sejak"), null=True, blank=True)
    channels = models.JSONField(_("kanal pelayanan"), default=list)
    # Per channel, what the standard states for that channel alone: {"email": {"sla_stated": true,
    # "service_hours": {...}}}. A channel without `sla_stated` has no deadline in the standard; `sla_working_days`
    # then applies as the office's own target, and is shown as such (see `offices.offering.channel_terms`).
    channel_terms = models.JSONField(_("ketentuan per kanal"), default=dict, blank=True)
    requirements = models.JSONField(_("persyaratan"), default=list)
    procedures = models.JSONField(_("sistem, mekanisme dan prosedur"), default=dict)
    closing_order = models.CharField(_("urutan penutupan"), max_length=20, choices=ClosingOrder.choices)
    service_hours = models.JSONField(_("jam pelayanan"), default=dict)
    service_hours_text = models.JSONField(_("teks jam pelayanan"), default=dict)
    sla_working_days = models.PositiveSmallIntegerField(
        _("jangka waktu penyelesaian (hari kerja)"),
        default=3,
        help_text=_(
            "Hari kerja penyelesaian. Berlaku sebagai janji standar untuk kanal yang disebut di channel_terms; "
            "untuk kanal lain sebagai target kantor."
        ),
    )
    first_response_minutes = models.PositiveIntegerField(
        _("target respons pertama (menit kerja)"),
        default=120,
        help_text=_("Target respons pertama, dalam menit kerja (kebijakan kantor)."),
    )
    reopen_days = models.PositiveSmallIntegerField(
        _("batas buka kembali (hari)"),
        default=7,
        help_text=_("Pesan baru setelah ditutup membuka kembali konsultasi dalam jumlah hari ini."),
    )
    cost = models.JSONField(_("biaya/tarif"), default=dict)
    is_free = models.BooleanField(_("tanpa biaya"), default=True)
    product = models.JSONField(_("produk pelayanan"), default=dict)
    topics = models.JSONField(_("topik konsultasi"), default=list)
    complaint_channels = models.JSONField(_("penanganan pengaduan, saran dan masukan"), default=list)
    legal_bases = models.JSONField(_("dasar hukum"), default=list, blank=True)
    facilities = models.JSONField(_("sarana dan prasarana"), default=list, blank=True)
    competences = models.JSONField(_("kompetensi pelaksana"), default=list, blank=True)
    supervision = models.JSONField(_("pengawasan internal"), default=dict, blank=True)
    supervision_tiered = models.BooleanField(_("pengawasan berjenjang"), default=False)
    min_officers = models.PositiveSmallIntegerField(_("jumlah petugas minimal"), null=True, blank=True)
    service_guarantee = models.JSONField(_("jaminan pelayanan"), default=dict, blank=True)
    compensation = models.JSONField(_("kompensasi"), default=dict, blank=True)
    security = models.JSONField(_("jaminan keamanan dan keselamatan"), default=dict, blank=True)
    evaluation = models.JSONField(_("evaluasi kinerja pelaksana"), default=dict, blank=True)
    evaluation_cadences = models.JSONField(_("jadwal evaluasi"), default=list, blank=True)

    class Meta:
        ordering = ["office", "-version"]
        constraints = [models.UniqueConstraint(fields=["office", "version"], name="standard_version_unique")]
        verbose_name = _("standar pelayanan")
        verbose_name_plural = _("standar pelayanan")

    def __str__(self) -> str:
        return f"{self.office_id} v{self.version}"

    @property
    def officers_minimum(self) -> int:
        """How many officers must be on duty before the desk warns: the standard's minimum where it states one
        (Tabanan: 2), else one, so an office whose standard is silent (Jembrana) is only warned when nobody is on
        duty, and never told its standard requires a number it does not state (`states_officers_minimum`)."""
        return self.min_officers or 1

    @property
    def states_officers_minimum(self) -> bool:
        return bool(self.min_officers)


class OfficeClosure(models.Model):
    """A day an office does not serve, besides weekends and national holidays (added by admins or iCal import)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="closures", verbose_name=_("kantor"))
    date = models.DateField(_("tanggal"))
    reason = models.CharField(_("alasan"), max_length=200)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="closure_unique_per_day")]
        verbose_name = _("hari libur kantor")
        verbose_name_plural = _("hari libur kantor")

    def __str__(self) -> str:
        return f"{self.office_id} {self.date} {self.reason}"


class HolidayDecision(models.TextChoices):
    CONFIRMED = "confirmed", _("Dikonfirmasi")
    MOVED = "moved", _("Dipindah")
    REMOVED = "removed", _("Dihapus")


class HolidayOverride(models.Model):
    """An administrator's decision on a national holiday or cuti bersama of the `holidays` library for one office:
    confirm it (an estimated date, e.g. Idul Fitri, turned out right), move it to the date the government set, or
    remove it (the office serves that day). The calendar applies it (`offices.calendar.calendar_for`)."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="holiday_overrides", verbose_name=_("kantor")
    )
    date = models.DateField(_("tanggal menurut kalender nasional"))
    decision = models.CharField(_("keputusan"), max_length=10, choices=HolidayDecision.choices)
    moved_to = models.DateField(_("dipindah ke"), null=True, blank=True)
    name = models.CharField(_("nama hari libur"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="holiday_override_unique")]
        verbose_name = _("keputusan hari libur nasional")
        verbose_name_plural = _("keputusan hari libur nasional")

    def __str__(self) -> str:
        return f"{self.office_id} {self.date} {self.decision}"


class ChannelAccount(models.Model):
    """An office's account on one channel (at most one per office and kind): `external_key` is how the channel's
    inbound traffic names it (WhatsApp's phone_number_id, a mailbox address; unique per kind), `config` what the
    channel needs to use it (WhatsApp's business account id; a mailbox's IMAP and SMTP servers). What `config` may
    hold is the channel's business: `clean()` asks the channel's `validate_account` capability
    (`channels.base.capability`), so this app never imports a channel package. Secrets never go here: channels
    read them from the environment."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="channel_accounts", verbose_name=_("kantor")
    )
    kind = models.CharField(_("kanal"), max_length=20, choices=Channel.choices)
    external_key = models.CharField(
        _("kunci di kanal"),
        max_length=254,
        help_text=_("WhatsApp: phone_number_id dari Cloud API. E-mail: alamat kotak surat."),
    )
    config = models.JSONField(
        _("konfigurasi"),
        default=dict,
        blank=True,
        help_text=_(
            'WhatsApp: {"business_account_id": "..."}. E-mail: {"imap_host": "...", "imap_port": 993, '
            '"smtp_host": "...", ...}. Kata sandi tidak disimpan di sini.'
        ),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        ordering = ["office", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "external_key"], name="channelaccount_key_unique"),
            models.UniqueConstraint(fields=["office", "kind"], name="channelaccount_office_kind_unique"),
        ]
        verbose_name = _("akun kanal")
        verbose_name_plural = _("akun kanal")

    def __str__(self) -> str:
        return f"{self.office_id} {self.kind} {self.external_key}"

    def clean(self) -> None:
        """Only for a channel the office's standard offers; the key and `config` as the channel requires (its
        errors are shown on those fields, the config normalised with its defaults)."""

        # cycle: offices.offering imports this module (the office and its standard)
        from pstdesk.offices.offering import not_offered_reason

        super().clean()
        if self.office_id is not None and self.kind:
            reason = not_offered_reason(self.office, self.kind)
            if reason:
                raise ValidationError({"office": reason}, code="channel_not_offered")
        validate = capability(self.kind, "validate_account")
        if validate is not None:
            self.external_key, self.config = validate(self.external_key, self.config or {})
