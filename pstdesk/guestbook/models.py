"""Visitor identity and the electronic guestbook. All personal data of visitors lives in this app."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodeList(models.Model):
    """A versioned reference list (SKD-style codes: sex, age group, education, ...). Answers store codes, and the
    guestbook entry records which version of each list it was answered against."""

    name = models.CharField(_("nama daftar"), max_length=40)
    version = models.PositiveSmallIntegerField(_("versi"))
    effective_from = models.DateField(_("berlaku mulai"))
    source = models.CharField(_("sumber"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="codelist_version_unique")]
        ordering = ["name", "-version"]
        verbose_name = _("daftar kode")
        verbose_name_plural = _("daftar kode")

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class CodeItem(models.Model):
    """One code of a list; `requires_text` marks "Lainnya" (the answer must then carry a free text)."""

    code_list = models.ForeignKey(
        CodeList, on_delete=models.CASCADE, related_name="items", verbose_name=_("daftar kode")
    )
    code = models.CharField(_("kode"), max_length=10)
    label = models.JSONField(_("label"), default=dict)  # {"id": "...", "en": "..."}
    requires_text = models.BooleanField(_("perlu isian teks"), default=False)
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code_list", "code"], name="codeitem_unique")]
        ordering = ["code_list", "order"]
        verbose_name = _("butir daftar kode")
        verbose_name_plural = _("butir daftar kode")

    def __str__(self) -> str:
        return f"{self.code_list.name}:{self.code}"


class Visitor(models.Model):
    """One person across channels. Matched by a channel identity (`VisitorIdentity`), a verified e-mail or a signed
    link; merging moves everything to one row and leaves `merged_into` on the other (see
    `guestbook.actions.merge_visitors`). `email` and `whatsapp` are contact details (claims unless verified); how a
    channel recognises the person is in `identities`."""

    public_id = models.UUIDField(_("ID publik"), default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nama"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    email_verified_at = models.DateTimeField(_("e-mail terverifikasi pada"), null=True, blank=True)
    email_failing_at = models.DateTimeField(
        _("e-mail gagal sejak"), null=True, blank=True
    )  # set by delivery-status bounces
    whatsapp = models.CharField(_("nomor WhatsApp"), max_length=20, blank=True, db_index=True)  # E.164
    language = models.CharField(_("bahasa pilihan"), max_length=5, default="id")
    created_at = models.DateTimeField(_("pertama tercatat pada"), auto_now_add=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("digabung ke")
    )
    erased_at = models.DateTimeField(_("dihapus pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengguna layanan")
        verbose_name_plural = _("pengguna layanan")

    def __str__(self) -> str:
        return self.name or self.email or self.whatsapp or f"visitor {self.pk}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def identity(self, kind: str) -> str | None:
        """The key of this visitor's (first) identity of `kind` ("whatsapp", "email", ...), or None. One query: for
        readers and tests; hot paths filter `VisitorIdentity` themselves."""
        row = self.identities.filter(kind=kind).order_by("pk").first()
        return row.key if row else None

    @property
    def whatsapp_proven(self) -> bool:
        """The contact number is one a channel proved (the key of a verified identity, e.g. WhatsApp's wa_id), not
        a number typed into a form."""
        digits = "".join(ch for ch in self.whatsapp if ch.isdigit())
        return bool(digits) and self.identities.filter(key=digits, verified_at__isnull=False).exists()

    def resolve(self) -> Visitor:
        """The surviving identity: this row, or the end of its `merged_into` chain."""
        visitor = self
        seen = {visitor.pk}
        while visitor.merged_into_id is not None and visitor.merged_into_id not in seen:
            seen.add(visitor.merged_into_id)
            visitor = Visitor.objects.get(pk=visitor.merged_into_id)
        return visitor


# The identity kind keyed by an e-mail address (the e-mail channel's sender): verifying that address by a code proves
# the same mailbox, so `guestbook.actions.confirm_email_verification` joins such identities.
EMAIL_IDENTITY = "email"


class VisitorIdentity(models.Model):
    """How a channel recognises a visitor: one `key` of one `kind` ("whatsapp": the wa_id; "whatsapp_user": the
    business-scoped user id; "email": the From address of the e-mail channel), owned by one visitor at most
    (unique on kind + key). `verified_at` is set when the provider proved the key (WhatsApp), empty when it is
    only claimed (an e-mail header can be forged: such a key never attaches a sender to another person). Merging
    moves identities to the survivor; erasure deletes them. The core never interprets a kind: the channel that
    creates the identity does (`channels.base.Sender`)."""

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="identities", verbose_name=_("pengguna layanan")
    )
    kind = models.CharField(_("jenis identitas"), max_length=20)
    key = models.CharField(_("kunci"), max_length=254)
    verified_at = models.DateTimeField(_("terverifikasi pada"), null=True, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="visitoridentity_kind_key_unique")]
        ordering = ["visitor", "pk"]
        verbose_name = _("identitas kanal")
        verbose_name_plural = _("identitas kanal")

    def __str__(self) -> str:
        return f"{self.kind} visitor {self.visitor_id}"


class GuestbookEntry(models.Model):
    """A filled electronic guestbook (buku tamu elektronik) for one office. Codes refer to the code list versions
    recorded in `code_list_versions`; `*_other` carries the text of a "Lainnya" answer."""

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="guestbook_entries", verbose_name=_("pengguna layanan")
    )
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("kantor"))
    filled_at = models.DateTimeField(_("diisi pada"), auto_now_add=True)
    channel = models.CharField(_("kanal"), max_length=20, blank=True)
    sex = models.CharField(_("jenis kelamin"), max_length=10)
    age_group = models.CharField(_("kelompok umur"), max_length=10)
    education = models.CharField(_("pendidikan"), max_length=10)
    occupation = models.CharField(_("pekerjaan"), max_length=10)
    occupation_other = models.CharField(_("pekerjaan lainnya"), max_length=200, blank=True)
    institution_category = models.CharField(_("kategori instansi"), max_length=10)
    institution_category_other = models.CharField(_("kategori instansi lainnya"), max_length=200, blank=True)
    institution_name = models.CharField(_("nama instansi"), max_length=200)
    purpose = models.CharField(_("tujuan penggunaan data"), max_length=10)
    purpose_other = models.CharField(_("tujuan lainnya"), max_length=200, blank=True)
    disability = models.BooleanField(_("disabilitas"), default=False)
    disability_kinds = models.JSONField(_("jenis disabilitas"), default=list, blank=True)
    code_list_versions = models.JSONField(_("versi daftar kode"), default=dict)

    class Meta:
        ordering = ["-filled_at"]
        verbose_name = _("buku tamu")
        verbose_name_plural = _("buku tamu")

    def __str__(self) -> str:
        return f"{self.office_id} {self.filled_at:%Y-%m-%d} visitor {self.visitor_id}"


class Consent(models.Model):
    """Consent to a version of the privacy notice (UU 27/2022), with its time; withdrawal is recorded, not
    deleted."""

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="consents", verbose_name=_("pengguna layanan")
    )
    notice_version = models.CharField(_("versi pemberitahuan privasi"), max_length=20)
    given_at = models.DateTimeField(_("diberikan pada"), auto_now_add=True)
    channel = models.CharField(_("kanal persetujuan"), max_length=20, blank=True)
    withdrawn_at = models.DateTimeField(_("ditarik pada"), null=True, blank=True)
    withdrawn_channel = models.CharField(_("kanal penarikan"), max_length=20, blank=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("persetujuan")
        verbose_name_plural = _("persetujuan")

    def __str__(self) -> str:
        return f"consent {self.notice_version} visitor {self.visitor_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


class EmailVerification(models.Model):
    """A code sent to an address to prove the visitor reads it. Only a hash of the code is stored."""

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("pengguna layanan")
    )
    email = models.EmailField(_("e-mail yang diverifikasi"))
    code_hash = models.CharField(_("sidik kode"), max_length=64)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    expires_at = models.DateTimeField(_("kedaluwarsa pada"))
    verified_at = models.DateTimeField(_("terverifikasi pada"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("jumlah percobaan"), default=0)
    # Set when a newer code replaces this one or the attempts run out: the code can no longer be used.
    closed_at = models.DateTimeField(_("ditutup pada"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["visitor", "-created_at"], name="verification_latest")]
        verbose_name = _("verifikasi e-mail")
        verbose_name_plural = _("verifikasi e-mail")

    def __str__(self) -> str:
        return f"verification {self.pk} visitor {self.visitor_id}"


class VisitorMerge(models.Model):
    """The record of one merge of two visitor identities."""

    class Reason(models.TextChoices):
        VERIFIED_EMAIL = "verified_email", _("E-mail terverifikasi")
        WHATSAPP_ID = "whatsapp_id", _("ID WhatsApp")
        SIGNED_LINK = "signed_link", _("Tautan bertanda tangan")
        MANUAL = "manual", _("Penggabungan oleh petugas")

    source_id = models.BigIntegerField(_("ID pengguna yang digabung"))
    target = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="merges", verbose_name=_("digabung ke pengguna")
    )
    reason = models.CharField(_("alasan"), max_length=20, choices=Reason.choices)
    merged_at = models.DateTimeField(_("digabung pada"), auto_now_add=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("digabung oleh"),
    )
    merged_by_label = models.CharField(
        _("digabung oleh (nama)"), max_length=100, blank=True
    )  # "visitor:12", "channel:whatsapp", ...
    # What moved: {"consultations": n, "guestbook_entries": n, "consents": n, "identifiers": [...]}
    moved = models.JSONField(_("yang dipindahkan"), default=dict, blank=True)

    class Meta:
        ordering = ["-merged_at", "-id"]
        verbose_name = _("penggabungan pengguna layanan")
        verbose_name_plural = _("penggabungan pengguna layanan")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id} ({self.reason})"


class PrivacyRequestKind(models.TextChoices):
    CORRECT = "correct", _("Perbaikan data buku tamu")
    WITHDRAW = "withdraw", _("Penarikan persetujuan")
    DELETE = "delete", _("Penghapusan data")


class PrivacyRequestStatus(models.TextChoices):
    PENDING = "pending", _("Menunggu keputusan")
    APPROVED = "approved", _("Disetujui dan dilaksanakan")
    REFUSED = "refused", _("Ditolak")


class PrivacyRequest(models.Model):
    """A visitor's request under UU 27/2022 (correct their data, withdraw consent, delete their data), made from
    the signed link sent to their verified address. Each waits in the queue of the office's manager with a
    3×24-hour clock (`due_at`); the manager approves (the change is carried out) or refuses with a reason, and the
    visitor is told the outcome. See `guestbook.rights`."""

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="privacy_requests", verbose_name=_("pengguna layanan")
    )
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("kantor"))
    kind = models.CharField(_("jenis permintaan"), max_length=10, choices=PrivacyRequestKind.choices)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PrivacyRequestStatus.choices,
        default=PrivacyRequestStatus.PENDING,
        db_index=True,
    )
    # For a correction: {"guestbook_entry": id, "changes": {field: new value}}. Blanked when the data is erased.
    details = models.JSONField(_("rincian"), default=dict, blank=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    due_at = models.DateTimeField(_("jatuh tempo"), db_index=True)
    warned_at = models.DateTimeField(_("diperingatkan pada"), null=True, blank=True)
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("diputuskan oleh"),
    )
    reason = models.TextField(_("alasan"), blank=True)
    notified_at = models.DateTimeField(_("diberi tahu pada"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("permintaan hak subjek data")
        verbose_name_plural = _("permintaan hak subjek data")

    def __str__(self) -> str:
        return f"{self.kind} visitor {self.visitor_id} ({self.status})"
