"""Channel routing leaves `Office` (3/3): the WhatsApp columns, now copied to `ChannelAccount` (0008)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0008_channel_accounts_data"),
    ]

    operations = [
        migrations.RemoveField(
            model_name='office',
            name='whatsapp_business_account_id',
        ),
        migrations.RemoveField(
            model_name='office',
            name='whatsapp_phone_number_id',
        ),
    ]
