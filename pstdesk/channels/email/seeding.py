"""The demo mailbox: Jembrana (5101) serves consultations by e-mail at bps5101@bps.go.id (its standard). The row
is created once, with hosts on 127.0.0.1, and only in the demo (`settings.SEED_DEMO_CHANNELS`: DEMO, or the test
suite); in production administrators add the mailbox with the real IMAP/SMTP hosts and the password (environment
variable EMAIL_PASSWORD_5101). Never overwrites an existing row."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

SEED = {"5101": {"address": "bps5101@bps.go.id", "display_name": "BPS Kabupaten Jembrana"}}


@transaction.atomic
def load_seed_mailboxes() -> int:
    # models load after the app registry: apps.py imports this module while apps load
    from pstdesk.channels.email.models import Mailbox, validate_account
    from pstdesk.offices.models import Office

    if not settings.SEED_DEMO_CHANNELS:
        return 0
    created = 0
    for code, fields in SEED.items():
        if not Office.objects.filter(code=code).exists() or Mailbox.objects.filter(office_id=code).exists():
            continue
        if Mailbox.objects.filter(external_key=fields["address"]).exists():
            continue
        address, config = validate_account(
            fields["address"], {"display_name": fields["display_name"], "imap_user": fields["address"]}
        )
        Mailbox.objects.create(office_id=code, external_key=address, config=config)
        created += 1
    return created
