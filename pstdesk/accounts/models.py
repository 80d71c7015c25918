"""Officers and their roles, bound to an office; API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICER = "officer", _("Petugas layanan")
    SUPERVISOR = "supervisor", _("Koordinator")
    MANAGER = "manager", _("Penanggung jawab pelayanan")
    ADMIN = "admin", _("Administrator")
    # Read-only oversight (Inspektorat): sees the audit trail, reports and reviews of its subtree, never acts.
    INSPECTORATE = "inspectorate", _("Inspektorat")


class User(AbstractUser):
    """A member of staff. Officers see their own office; supervisors, managers and admins see their office's
    subtree (a province supervisor sees the regencies below). Superusers see everything."""

    office = models.ForeignKey(
        "offices.Office",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name=_("kantor"),
    )
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, default=Role.OFFICER)
    # Assignment: on duty now, and how many open consultations the officer takes at most.
    on_duty = models.BooleanField(_("sedang bertugas"), default=False)
    capacity = models.PositiveSmallIntegerField(_("kapasitas"), default=10)
    last_assigned_at = models.DateTimeField(_("terakhir ditugaskan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    @property
    def sees_subtree(self) -> bool:
        return self.is_superuser or self.role in {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the raw token is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("pengguna"))
    name = models.CharField(_("nama token"), max_length=100, blank=True)
    prefix = models.CharField(_("awalan"), max_length=8, editable=False)
    key_hash = models.CharField(_("sidik kunci"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("terakhir dipakai pada"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate() -> str:
        return "pst_" + secrets.token_urlsafe(32)


class SecurityPolicy(models.Model):
    """An office's security policy for its staff (edited in the admin through `accounts.actions.set_security_policy`,
    audited). An office without a row has the defaults (nothing required)."""

    office = models.OneToOneField(
        "offices.Office",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="security_policy",
        verbose_name=_("kantor"),
    )
    require_admin_two_factor = models.BooleanField(
        _("wajibkan verifikasi dua langkah bagi administrator"),
        default=False,
        help_text=_(
            "Staf dengan akses admin (peran administrator atau akses halaman admin) harus memakai kode dari "
            "aplikasi autentikator saat masuk; yang belum mendaftarkannya diarahkan untuk mendaftar lebih dulu."
        ),
    )
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        verbose_name = _("kebijakan keamanan kantor")
        verbose_name_plural = _("kebijakan keamanan kantor")

    def __str__(self) -> str:
        return str(self.office)
