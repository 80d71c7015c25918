"""(1/3) The e-mail `Mailbox` table gives way to the office's `offices.ChannelAccount` of kind "email" (its address as
the key, the servers in its config); `Mailbox` stays as a proxy of it. Intake positions and stored mails follow
their mailbox to its account; reversed, mailboxes are rebuilt from the accounts."""

import django.db.models.deletion
from django.db import migrations, models


def _account(null: bool, related_name: str) -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="offices.channelaccount",
        verbose_name="kotak surat",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("channel_email", "0002_verbose_names"),
        ("offices", "0007_channel_accounts"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="mailboxstate", name="mailboxstate_folder_unique"),
        migrations.RemoveConstraint(model_name="inboundemail", name="inboundemail_dedupe_unique"),
        migrations.AddField(model_name="mailboxstate", name="account", field=_account(True, "+")),
        migrations.AddField(model_name="inboundemail", name="account", field=_account(True, "+")),
        migrations.AlterField(
            model_name="mailboxstate",
            name="mailbox",
            field=models.ForeignKey(
                null=True,
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
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="inbound",
                to="channel_email.mailbox",
                verbose_name="kotak surat",
            ),
        ),
    ]
