"""(1/3) The e-mail `Mailbox` table gives way to the office's `offices.ChannelAccount` of kind "email" (its address as
the key, the servers in its config); `Mailbox` stays as a proxy of it. Intake positions and stored mails follow
their mailbox to its account; reversed, mailboxes are rebuilt from the accounts."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

SERVER_FIELDS = (
    "display_name",
    "reply_domain",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_user",
    "imap_folder",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_user",
)
FOLLOWERS = ("MailboxState", "InboundEmail")


def mailboxes_to_accounts(apps: Any, schema_editor: Any) -> None:
    Mailbox = apps.get_model("channel_email", "Mailbox")
    ChannelAccount = apps.get_model("offices", "ChannelAccount")
    for mailbox in Mailbox.objects.order_by("pk"):
        account = ChannelAccount.objects.create(
            office_id=mailbox.office_id,
            kind="email",
            external_key=mailbox.address,
            config={name: getattr(mailbox, name) for name in SERVER_FIELDS},
            is_active=mailbox.is_active,
        )
        for name in FOLLOWERS:
            apps.get_model("channel_email", name).objects.filter(mailbox_id=mailbox.pk).update(account=account)


def accounts_to_mailboxes(apps: Any, schema_editor: Any) -> None:
    Mailbox = apps.get_model("channel_email", "Mailbox")
    ChannelAccount = apps.get_model("offices", "ChannelAccount")
    for account in ChannelAccount.objects.filter(kind="email").order_by("pk"):
        config = account.config or {}
        mailbox = Mailbox.objects.create(
            office_id=account.office_id,
            address=account.external_key,
            is_active=account.is_active,
            **{name: config[name] for name in SERVER_FIELDS if name in config},
        )
        for name in FOLLOWERS:
            apps.get_model("channel_email", name).objects.filter(account_id=account.pk).update(
                mailbox=mailbox, account=None
            )
    ChannelAccount.objects.filter(kind="email").delete()


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
