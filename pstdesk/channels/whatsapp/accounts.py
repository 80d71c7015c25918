"""An office's WhatsApp Cloud API account (`offices.ChannelAccount` of kind "whatsapp"): its `external_key` is the
phone_number_id that webhooks name in `metadata` and that sends go from; `config["business_account_id"]` (WABA)
is where templates are synced from."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pstdesk.offices.models import ChannelAccount, Office

KIND = "whatsapp"
WABA = "business_account_id"


def validate_account(external_key: str, config: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The phone_number_id and the business account id are Meta's numeric ids; nothing else belongs in config."""
    key = (external_key or "").strip()
    if not key.isdigit() or len(key) > 40:
        raise ValidationError({"external_key": _("phone_number_id WhatsApp berupa angka (paling banyak 40 digit).")})
    if not isinstance(config, dict):
        raise ValidationError({"config": _("Konfigurasi harus berupa objek JSON.")})
    unknown = sorted(set(config) - {WABA})
    if unknown:
        raise ValidationError(
            {"config": _("Kunci konfigurasi WhatsApp tidak dikenal: %(keys)s.") % {"keys": ", ".join(unknown)}}
        )
    waba = str(config.get(WABA, "")).strip()
    if waba and (not waba.isdigit() or len(waba) > 40):
        raise ValidationError({"config": _("business_account_id WhatsApp berupa angka (paling banyak 40 digit).")})
    return key, ({WABA: waba} if waba else {})


def accounts() -> QuerySet[ChannelAccount]:
    return ChannelAccount.objects.filter(kind=KIND, is_active=True)


def account_of(office: Office | str) -> ChannelAccount | None:
    code = office.code if isinstance(office, Office) else office
    return accounts().filter(office_id=code).first()


def phone_number_id(office: Office | str) -> str:
    """The office's phone_number_id ("" when it has no active WhatsApp account)."""
    account = account_of(office)
    return account.external_key if account else ""


def business_account_id(office: Office | str) -> str:
    account = account_of(office)
    return str(account.config.get(WABA, "")) if account else ""


def offices_by_phone_number_id(phone_number_ids: list[str]) -> dict[str, str]:
    """phone_number_id -> office code, for the ids given (one query: webhook routing)."""
    return dict(accounts().filter(external_key__in=phone_number_ids).values_list("external_key", "office_id"))


def office_of_business_account(waba_id: str) -> Office | None:
    account = accounts().filter(**{f"config__{WABA}": waba_id}).select_related("office").first()
    return account.office if account else None


def business_account_ids() -> list[str]:
    return sorted({str(c.get(WABA, "")) for c in accounts().values_list("config", flat=True)} - {""})
