"""Demo WhatsApp Cloud API accounts of the seed offices (the simulator's numbers), created only where the office
has none, and only in the demo (`settings.SEED_DEMO_CHANNELS`: DEMO, or the test suite): a production database
never gets them.

Runs after every migrate (and test flush) through post_migrate, after the offices app loaded its seeds. An account
an administrator has set is never overwritten.
"""

from __future__ import annotations

from django.conf import settings

from pstdesk.channels.whatsapp.accounts import KIND, WABA
from pstdesk.offices.models import ChannelAccount, Office

# office code -> (phone_number_id, whatsapp_business_account_id); the simulator serves the same ids.
DEMO_IDS = {"5102": ("105102", "205102"), "5101": ("105101", "205101")}


def load_demo_whatsapp_ids() -> int:
    """Give the seed offices without a WhatsApp account the demo one. Returns how many accounts it created."""
    if not settings.SEED_DEMO_CHANNELS:
        return 0
    created = 0
    for code, (phone_number_id, waba_id) in DEMO_IDS.items():
        if not Office.objects.filter(code=code).exists():
            continue
        if ChannelAccount.objects.filter(kind=KIND).filter(office_id=code).exists():
            continue
        if ChannelAccount.objects.filter(kind=KIND, external_key=phone_number_id).exists():
            continue
        ChannelAccount.objects.create(office_id=code, kind=KIND, external_key=phone_number_id, config={WABA: waba_id})
        created += 1
    return created
