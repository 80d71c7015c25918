"""(2/3, data) The e-mail `Mailbox` table gives way to the office's `offices.ChannelAccount` of kind "email" (its address as
the key, the servers in its config); `Mailbox` stays as a proxy of it. Intake positions and stored mails follow
their mailbox to its account; reversed, mailboxes are rebuilt from the accounts."""

from typing import Any

from django.db import migrations

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


class Migration(migrations.Migration):
    dependencies = [
        ("channel_email", "0003_mailbox_becomes_channel_account"),
    ]

    operations = [
        migrations.RunPython(mailboxes_to_accounts, accounts_to_mailboxes, elidable=False),
    ]
