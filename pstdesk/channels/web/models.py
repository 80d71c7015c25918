"""The LiveChat channel's own state: first-party visitor sessions of the widget and the PST From Anywhere page."""

from __future__ import annotations

import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    """The stored form of a session token (tokens are 256-bit random, so a plain SHA-256 is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WidgetSessionQuerySet(models.QuerySet["WidgetSession"]):
    def usable(self) -> WidgetSessionQuerySet:
        """Sessions that are neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class WidgetSession(models.Model):
    """A visitor's first-party chat session with one office (the widget's and the PFA page's resume token).

    The token itself is given to the browser once and never stored: only its SHA-256 is kept, so a copy of the
    database cannot be used to impersonate visitors. A session is bound to one visitor and one office: a token of
    5102 is refused on 5101's socket. It expires (`expires_at`, pushed forward while used) and can be revoked (the
    visitor's "not you?" button, or an administrator), after which the browser must fill the pre-chat again.
    """

    token_hash = models.CharField(_("sidik token"), max_length=64, unique=True)
    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+", verbose_name=_("kantor"))
    visitor = models.ForeignKey(
        "guestbook.Visitor",
        on_delete=models.CASCADE,
        related_name="widget_sessions",
        verbose_name=_("pengguna layanan"),
    )
    language = models.CharField(_("bahasa"), max_length=5, default="id")
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    created_ip = models.GenericIPAddressField(_("alamat IP pembuat"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("terakhir terlihat pada"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kedaluwarsa pada"), db_index=True)
    revoked_at = models.DateTimeField(_("dicabut pada"), null=True, blank=True)

    objects = WidgetSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sesi LiveChat")
        verbose_name_plural = _("sesi LiveChat")

    def __str__(self) -> str:
        return f"widget session {self.pk} ({self.office_id}, visitor {self.visitor_id})"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
