"""(3/3) The e-mail `Mailbox` table gives way to the office's `offices.ChannelAccount` of kind "email" (its address as
the key, the servers in its config); `Mailbox` stays as a proxy of it. Intake positions and stored mails follow
their mailbox to its account; reversed, mailboxes are rebuilt from the accounts."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("channel_email", "0004_mailbox_becomes_channel_account_data"),
    ]

    operations = [
        migrations.RemoveField(model_name="mailboxstate", name="mailbox"),
        migrations.RemoveField(model_name="inboundemail", name="mailbox"),
        migrations.DeleteModel(name="Mailbox"),
        migrations.CreateModel(
            name="Mailbox",
            fields=[],
            options={"verbose_name": "kotak surat", "verbose_name_plural": "kotak surat", "proxy": True},
            bases=("offices.channelaccount",),
        ),
        migrations.RenameField(model_name="mailboxstate", old_name="account", new_name="mailbox"),
        migrations.RenameField(model_name="inboundemail", old_name="account", new_name="mailbox"),
        migrations.AlterField(
            model_name="mailboxstate",
            name="mailbox",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="states",
                to="channel_email.mailbox",
                verbose_name="kotak surat",
            ),
        ),
        migrations.AlterField(
            model_name="inboundemail",
            name="mailbox",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="inbound",
                to="channel_email.mailbox",
                verbose_name="kotak surat",
            ),
        ),
        migrations.AddConstraint(
            model_name="mailboxstate",
            constraint=models.UniqueConstraint(fields=("mailbox", "folder"), name="mailboxstate_folder_unique"),
        ),
        migrations.AddConstraint(
            model_name="inboundemail",
            constraint=models.UniqueConstraint(fields=("mailbox", "dedupe_key"), name="inboundemail_dedupe_unique"),
        ),
    ]
