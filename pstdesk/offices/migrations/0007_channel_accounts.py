"""Channel routing leaves `Office` (1/3): the `ChannelAccount` table. The WhatsApp ids move in 0008, the old
columns go in 0009 (separate migrations: PostgreSQL never alters a table with pending constraint checks)."""

import django.db.models.deletion
from django.db import migrations, models


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
    ]
