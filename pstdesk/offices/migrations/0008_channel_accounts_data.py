"""Channel routing leaves `Office` (2/3): the WhatsApp Cloud API ids become an `offices.ChannelAccount` of kind "whatsapp"
(phone_number_id as its key, the business account id in its config), and back when reversed. The e-mail
mailboxes move in `channel_email` 0003."""

from typing import Any

from django.db import migrations


def office_columns_to_accounts(apps: Any, schema_editor: Any) -> None:
    Office = apps.get_model("offices", "Office")
    ChannelAccount = apps.get_model("offices", "ChannelAccount")
    rows = []
    for office in Office.objects.order_by("code"):
        key = (office.whatsapp_phone_number_id or "").strip()
        waba = (office.whatsapp_business_account_id or "").strip()
        if key or waba:
            # An office with only a business account id (templates, no number yet) keeps it on an inactive account
            # keyed by its code, so nothing routes to it.
            rows.append(
                ChannelAccount(
                    office=office,
                    kind="whatsapp",
                    external_key=key or f"unset-{office.code}",
                    config={"business_account_id": waba} if waba else {},
                    is_active=bool(key),
                )
            )
    ChannelAccount.objects.bulk_create(rows)


def accounts_to_office_columns(apps: Any, schema_editor: Any) -> None:
    Office = apps.get_model("offices", "Office")
    ChannelAccount = apps.get_model("offices", "ChannelAccount")
    for account in ChannelAccount.objects.filter(kind="whatsapp"):
        key = account.external_key if account.is_active and not account.external_key.startswith("unset-") else None
        Office.objects.filter(code=account.office_id).update(
            whatsapp_phone_number_id=key,
            whatsapp_business_account_id=str((account.config or {}).get("business_account_id", "")),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0007_channel_accounts"),
    ]

    operations = [
        migrations.RunPython(office_columns_to_accounts, accounts_to_office_columns, elidable=False),
    ]
