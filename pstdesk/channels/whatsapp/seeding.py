"""Demo WhatsApp Cloud API ids of the seed offices (the simulator's numbers), set only where empty, and only in
the demo (`settings.SEED_DEMO_CHANNELS`: DEMO, or the test suite): a production database never gets them.

Runs after every migrate (and test flush) through post_migrate, after the offices app loaded its seeds. An id an
administrator has set is never overwritten.
"""

from __future__ import annotations

# office code -> (phone_number_id, whatsapp_business_account_id); the simulator serves the same ids.
DEMO_IDS = {"5102": ("105102", "205102"), "5101": ("105101", "205101")}


def load_demo_whatsapp_ids() -> int:
    """Fill the seed offices' empty WhatsApp ids. Returns how many fields it set."""
    from django.conf import settings
    from django.db.models import Q

    from pstdesk.offices.models import Office

    if not settings.SEED_DEMO_CHANNELS:
        return 0
    changed = 0
    for code, (phone_number_id, waba_id) in DEMO_IDS.items():
        taken = Office.objects.filter(whatsapp_phone_number_id=phone_number_id).exclude(code=code).exists()
        if not taken:
            changed += (
                Office.objects.filter(code=code)
                .filter(Q(whatsapp_phone_number_id__isnull=True) | Q(whatsapp_phone_number_id=""))
                .update(whatsapp_phone_number_id=phone_number_id)
            )
        changed += Office.objects.filter(code=code, whatsapp_business_account_id="").update(
            whatsapp_business_account_id=waba_id
        )
    return changed
