"""Load the seed offices and the first version of their service standards, idempotently.

Runs after every `migrate` (and after test flushes) through post_migrate, and by `pstdesk load_offices`.
It creates what is missing and never overwrites: once an office has a standard, edits make new versions.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from django.db import transaction

from pstdesk.offices.models import Office, ServiceStandard

SEED_PACKAGE = "pstdesk.offices.seeds"
STANDARD_FILES = ["standard_5102.json", "standard_5101.json"]


def _read(name: str) -> Any:
    return json.loads(resources.files(SEED_PACKAGE).joinpath(name).read_text(encoding="utf-8"))


@transaction.atomic
def load_seed_offices() -> int:
    """Create the seed offices and version 1 of their standards where missing. Returns how many rows it made."""
    created = 0
    for row in _read("offices.json"):
        fields = {k: v for k, v in row.items() if k not in {"code", "parent"}}
        if not Office.objects.filter(code=row["code"]).exists():
            parent = Office.objects.get(code=row["parent"]) if row["parent"] else None
            Office.objects.create(code=row["code"], parent=parent, **fields)
            created += 1
    for name in STANDARD_FILES:
        data = _read(name)
        office_code = data.pop("office")
        if not ServiceStandard.objects.filter(office_id=office_code).exists():
            ServiceStandard.objects.create(office_id=office_code, version=1, change_note="seed", **data)
            created += 1
    return created
