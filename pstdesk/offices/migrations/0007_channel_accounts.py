"""Channel routing leaves `Office`: the WhatsApp Cloud API ids become an `offices.ChannelAccount` of kind "whatsapp"
(phone_number_id as its key, the business account id in its config), and back when reversed. The e-mail
mailboxes move in `channel_email` 0003."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


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
        ('offices', '0006_verbose_names'),
    ]

    operations = [
        migrations.CreateModel(
            name='ChannelAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('whatsapp', 'WhatsApp'), ('livechat_website', 'LiveChat di website kantor'), ('livechat_pfa', 'LiveChat PST From Anywhere'), ('email', 'E-mail')], max_length=20, verbose_name='kanal')),
                ('external_key', models.CharField(help_text='WhatsApp: phone_number_id dari Cloud API. E-mail: alamat kotak surat.', max_length=254, verbose_name='kunci di kanal')),
                ('config', models.JSONField(blank=True, default=dict, help_text='WhatsApp: {"business_account_id": "..."}. E-mail: {"imap_host": "...", "imap_port": 993, "smtp_host": "...", ...}. Kata sandi tidak disimpan di sini.', verbose_name='konfigurasi')),
                ('is_active', models.BooleanField(default=True, verbose_name='aktif')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='dibuat pada')),
                ('office', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='channel_accounts', to='offices.office', verbose_name='kantor')),
            ],
            options={
                'verbose_name': 'akun kanal',
                'verbose_name_plural': 'akun kanal',
                'ordering': ['office', 'kind'],
                'constraints': [models.UniqueConstraint(fields=('kind', 'external_key'), name='channelaccount_key_unique'), models.UniqueConstraint(fields=('office', 'kind'), name='channelaccount_office_kind_unique')],
            },
        ),
        migrations.RunPython(office_columns_to_accounts, accounts_to_office_columns, elidable=False),
        migrations.RemoveField(
            model_name='office',
            name='whatsapp_business_account_id',
        ),
        migrations.RemoveField(
            model_name='office',
            name='whatsapp_phone_number_id',
        ),
    ]
