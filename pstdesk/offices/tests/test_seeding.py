from __future__ import annotations

import pytest

from pstdesk.offices.models import Office, ServiceStandard
from pstdesk.offices.seeding import load_seed_offices


@pytest.mark.django_db
def test_seed_tree_is_loaded_after_migrate() -> None:
    tabanan = Office.objects.get(code="5102")
    assert tabanan.parent is not None and tabanan.parent.code == "5100"
    assert tabanan.path == "0000/5100/5102/"
    assert set(Office.objects.subtree_of(Office.objects.get(code="5100")).values_list("code", flat=True)) == {
        "5100",
        "5101",
        "5102",
    }


@pytest.mark.django_db
def test_loading_again_changes_nothing() -> None:
    before = ServiceStandard.objects.count()
    assert load_seed_offices() == 0
    assert ServiceStandard.objects.count() == before
