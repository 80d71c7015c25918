"""Helpers for the guestbook tests: a complete, valid guestbook answer and a visitor."""

from __future__ import annotations

from typing import Any

from pstdesk.guestbook.models import Visitor
from pstdesk.testing import identities


def guestbook_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Putu Ayu",
        "email": "putu@example.test",
        "whatsapp": "0812-3456-7890",
        "sex": "2",
        "age_group": "2",
        "education": "3",
        "occupation": "1",
        "institution_category": "6",
        "institution_name": "Universitas Udayana",
        "purpose": "1",
        "disability": False,
        "disability_kinds": [],
    }
    data.update(overrides)
    return data


def make_visitor(**fields: Any) -> Visitor:
    return identities.make_visitor(**fields)
