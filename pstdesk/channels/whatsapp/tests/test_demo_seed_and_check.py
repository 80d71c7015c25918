"""Demo data stays in demo (issue 12, item 7): the simulator's ids and the 127.0.0.1 mailbox are seeded only when
DEMO is set, and a start with an office that has a WhatsApp account but no WHATSAPP_* secrets fails a check."""

from __future__ import annotations

from typing import Any

import pytest

from pstdesk.channels.email.models import Mailbox
from pstdesk.channels.email.seeding import load_seed_mailboxes
from pstdesk.channels.whatsapp.checks import whatsapp_secrets_present
from pstdesk.channels.whatsapp.seeding import load_demo_whatsapp_ids
from pstdesk.offices.models import ChannelAccount, Office
from pstdesk.testing.identities import set_whatsapp_account, whatsapp_ids

pytestmark = pytest.mark.django_db


def _clear() -> None:
    Mailbox.objects.all().delete()
    ChannelAccount.objects.filter(kind="whatsapp").delete()


def test_production_gets_no_demo_ids_and_no_local_mailbox(settings: Any) -> None:
    _clear()
    settings.SEED_DEMO_CHANNELS = False
    assert load_demo_whatsapp_ids() == 0 and load_seed_mailboxes() == 0
    assert not ChannelAccount.objects.filter(kind="whatsapp").exists()
    assert not Mailbox.objects.exists()


def test_demo_gets_them(settings: Any) -> None:
    _clear()
    settings.SEED_DEMO_CHANNELS = True
    assert load_demo_whatsapp_ids() > 0 and load_seed_mailboxes() == 1
    assert whatsapp_ids("5102")[0] == "105102"
    assert Mailbox.objects.get(office_id="5101").imap_host == "127.0.0.1"


def test_check_fails_for_an_office_with_whatsapp_but_no_secrets(settings: Any) -> None:
    settings.WHATSAPP_APP_SECRET = ""
    settings.WHATSAPP_ACCESS_TOKEN = "token"
    settings.WHATSAPP_VERIFY_TOKEN = "verify"
    set_whatsapp_account("5102", "105102")
    errors = whatsapp_secrets_present()
    assert [e.id for e in errors] == ["pstdesk.E201"]
    assert "5102" in errors[0].msg and "WHATSAPP_APP_SECRET" in errors[0].msg
    settings.WHATSAPP_APP_SECRET = "secret"
    assert whatsapp_secrets_present() == []
    settings.WHATSAPP_APP_SECRET = ""
    ChannelAccount.objects.filter(kind="whatsapp").delete()
    assert whatsapp_secrets_present() == []  # no WhatsApp account: nothing to check
