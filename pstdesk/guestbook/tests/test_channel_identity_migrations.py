"""The migrations that move channel identity and routing out of the core carry a database filled by the old code
over, and back: guestbook 0005–0007 (visitor columns → `VisitorIdentity`), offices 0007–0009 (office WhatsApp
ids → `ChannelAccount`), channel_email 0003–0005 (`Mailbox` rows → `ChannelAccount`, with their intake positions
and stored mails). Runs on whichever database the suite runs on (SQLite and PostgreSQL in CI); only these nine
migrations are unapplied, so it stays quick."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

OLD = [("guestbook", "0004_verbose_names"), ("offices", "0006_verbose_names"), ("channel_email", "0002_verbose_names")]
NEW = [
    ("guestbook", "0007_visitor_identity_columns_removed"),
    ("offices", "0009_office_whatsapp_columns_removed"),
    ("channel_email", "0005_mailbox_becomes_channel_account_proxy"),
]
PROVEN = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _fill_the_old_way(apps: Any) -> dict[str, int]:
    Visitor = apps.get_model("guestbook", "Visitor")
    Office = apps.get_model("offices", "Office")
    Mailbox = apps.get_model("channel_email", "Mailbox")
    assert "channelaccount" not in {m._meta.model_name for m in apps.get_app_config("offices").get_models()}
    wa = Visitor.objects.create(
        name="Putu", whatsapp="+6281234567890", whatsapp_verified_at=PROVEN, wa_id="6281234567890", wa_user_id="US.1"
    )
    bsuid_only = Visitor.objects.create(name="Made", whatsapp="+6281300000001", whatsapp_verified_at=PROVEN)
    sender = Visitor.objects.create(name="Budi", email="Budi@example.test", email_channel_address="Budi@example.test")
    claimant = Visitor.objects.create(name="Komang", whatsapp="+6281399999999")  # typed into a form: no proof
    Office.objects.filter(code="5102").update(whatsapp_phone_number_id="555102", whatsapp_business_account_id="655102")
    Office.objects.filter(code="5101").update(whatsapp_phone_number_id=None, whatsapp_business_account_id="")
    Mailbox.objects.all().delete()
    mailbox = Mailbox.objects.create(
        office_id="5101",
        address="bps5101@bps.go.id",
        display_name="BPS Jembrana",
        imap_host="imap.bps.go.id",
        imap_port=993,
        imap_user="bps5101",
        smtp_host="smtp.bps.go.id",
        smtp_port=587,
        is_active=True,
    )
    apps.get_model("channel_email", "MailboxState").objects.create(mailbox=mailbox, folder="INBOX", last_uid=42)
    apps.get_model("channel_email", "InboundEmail").objects.create(mailbox=mailbox, dedupe_key="k1", raw=b"x")
    return {"wa": wa.pk, "bsuid_only": bsuid_only.pk, "sender": sender.pk, "claimant": claimant.pk}


def test_old_rows_become_identities_and_accounts_and_come_back() -> None:
    try:
        ids = _fill_the_old_way(_migrate(OLD))
        new = _migrate(NEW)

        identities = {
            (row.visitor_id, row.kind, row.key): row.verified_at
            for row in new.get_model("guestbook", "VisitorIdentity").objects.all()
        }
        assert identities == {
            (ids["wa"], "whatsapp", "6281234567890"): PROVEN,
            (ids["wa"], "whatsapp_user", "US.1"): PROVEN,
            (ids["bsuid_only"], "whatsapp", "6281300000001"): PROVEN,  # a proven number keeps its proof
            (ids["sender"], "email", "budi@example.test"): None,  # unproven, matched lower-case
        }
        accounts = {
            (a.office_id, a.kind): (a.external_key, a.config, a.is_active)
            for a in new.get_model("offices", "ChannelAccount").objects.all()
        }
        assert accounts[("5102", "whatsapp")] == ("555102", {"business_account_id": "655102"}, True)
        assert ("5101", "whatsapp") not in accounts
        key, config, active = accounts[("5101", "email")]
        assert key == "bps5101@bps.go.id" and active
        assert config["imap_host"] == "imap.bps.go.id" and config["smtp_port"] == 587
        assert config["display_name"] == "BPS Jembrana" and config["imap_user"] == "bps5101"
        mailbox = new.get_model("offices", "ChannelAccount").objects.get(kind="email")
        state = new.get_model("channel_email", "MailboxState").objects.get()
        stored = new.get_model("channel_email", "InboundEmail").objects.get()
        assert state.mailbox_id == mailbox.pk and state.last_uid == 42 and stored.mailbox_id == mailbox.pk

        old = _migrate(OLD)  # and back
        Visitor = old.get_model("guestbook", "Visitor")
        wa = Visitor.objects.get(pk=ids["wa"])
        assert (wa.wa_id, wa.wa_user_id, wa.whatsapp_verified_at) == ("6281234567890", "US.1", PROVEN)
        assert Visitor.objects.get(pk=ids["bsuid_only"]).whatsapp_verified_at == PROVEN
        assert Visitor.objects.get(pk=ids["sender"]).email_channel_address == "budi@example.test"
        claimant = Visitor.objects.get(pk=ids["claimant"])
        assert (claimant.wa_id, claimant.whatsapp_verified_at) == (None, None)
        tabanan = old.get_model("offices", "Office").objects.get(code="5102")
        assert (tabanan.whatsapp_phone_number_id, tabanan.whatsapp_business_account_id) == ("555102", "655102")
        box = old.get_model("channel_email", "Mailbox").objects.get()
        assert (box.office_id, box.address, box.imap_host, box.smtp_port) == (
            "5101",
            "bps5101@bps.go.id",
            "imap.bps.go.id",
            587,
        )
        assert old.get_model("channel_email", "MailboxState").objects.get().mailbox_id == box.pk
        assert old.get_model("channel_email", "InboundEmail").objects.get().mailbox_id == box.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
