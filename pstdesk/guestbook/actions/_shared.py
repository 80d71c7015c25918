"""The guestbook actions' shared parts: their error type and the helpers every action uses."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from pstdesk.guestbook.models import (
    Visitor,
)
from pstdesk.lib.actors import VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.lib.phones import normalize_whatsapp

TEXT_MAX = 200  # the longest free text a visitor may give (a name, an institution, an "other" answer)


class GuestbookError(DomainError):
    """Refused guestbook input. `errors` maps a field name to a message for the visitor ("__all__" for the
    whole form); `message` joins them."""

    def __init__(self, errors: dict[str, str] | str) -> None:
        self.errors: dict[str, str] = {"__all__": str(errors)} if isinstance(errors, str) else dict(errors)
        super().__init__(" ".join(f"{v}" for v in self.errors.values()))


def visitor_actor(visitor: Visitor) -> VisitorActor:
    """The `by=` of a visitor acting for themself (audit label "visitor:<pk>")."""
    return VisitorActor(visitor.pk)


def _clean_email(raw: str, field: str = "email") -> str:
    value = (raw or "").strip()
    if not value:
        return ""
    if len(value) > 254:
        raise GuestbookError({field: _("Alamat e-mail terlalu panjang.")})
    try:
        validate_email(value)
    except ValidationError:
        raise GuestbookError({field: _("Alamat e-mail tidak valid: %(email)s") % {"email": value}}) from None
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_whatsapp(raw: str, field: str = "whatsapp") -> str:
    if not (raw or "").strip():
        return ""
    try:
        return normalize_whatsapp(raw)
    except ValueError as exc:
        raise GuestbookError({field: str(exc)}) from None


def _lock(visitor: Visitor) -> Visitor:
    """The surviving identity of `visitor`, re-read under a row lock."""
    survivor = Visitor.objects.get(pk=visitor.pk).resolve()
    return Visitor.objects.select_for_update().get(pk=survivor.pk)


def _refuse_erased(visitor: Visitor) -> None:
    if visitor.erased_at is not None:
        raise GuestbookError(_("Data pengguna layanan ini sudah dihapus."))
