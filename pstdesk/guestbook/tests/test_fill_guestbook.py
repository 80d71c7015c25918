from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from pstdesk.audit.models import AuditLog
from pstdesk.guestbook.actions import (
    PRIVACY_NOTICE_VERSION,
    GuestbookError,
    fill_guestbook,
    give_consent,
    has_current_consent,
    withdraw_consent,
)
from pstdesk.guestbook.models import Consent, GuestbookEntry, Visitor
from pstdesk.guestbook.tests.factories import guestbook_data, make_visitor
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.lib.errors import DomainError
from pstdesk.offices.models import Office


def test_fill_stores_codes_versions_and_normalised_contact(office_5102: Office) -> None:
    visitor = make_visitor(wa_id="6281234567890")
    entry = fill_guestbook(visitor, office=office_5102, channel="whatsapp", data=guestbook_data(), by=VisitorActor(1))
    visitor.refresh_from_db()
    assert (visitor.name, visitor.email, visitor.whatsapp) == ("Putu Ayu", "putu@example.test", "+6281234567890")
    assert entry.office == office_5102
    assert (entry.sex, entry.occupation, entry.institution_category, entry.purpose) == ("2", "1", "6", "1")
    assert entry.code_list_versions == {
        "sex": 1,
        "age_group": 1,
        "education": 1,
        "occupation": 1,
        "institution_category": 1,
        "purpose": 1,
        "disability_kind": 1,
    }
    row = AuditLog.objects.get(verb="guestbook.filled")
    assert row.subject_id == str(entry.pk) and row.office_id == "5102" and row.actor_label == "visitor:1"
    assert row.after["codes"]["sex"] == "2"
    assert "Putu" not in str(row.after) and "putu@" not in str(row.after)


def test_lainnya_requires_text_and_keeps_it(office_5102: Office) -> None:
    visitor = make_visitor()
    data = guestbook_data(occupation="7", occupation_other="Petani", purpose="5", purpose_other="Skripsi teman")
    entry = fill_guestbook(visitor, office=office_5102, channel="web", data=data, by=SystemActor("x"))
    assert (entry.occupation_other, entry.purpose_other) == ("Petani", "Skripsi teman")
    # Text given for a code that is not "Lainnya" is dropped, not stored.
    entry2 = fill_guestbook(
        visitor, office=office_5102, channel="web", data=guestbook_data(occupation_other="x"), by=SystemActor("x")
    )
    assert entry2.occupation_other == ""


def test_disability_kinds_are_checked(office_5102: Office) -> None:
    visitor = make_visitor()
    entry = fill_guestbook(
        visitor,
        office=office_5102,
        channel="web",
        data=guestbook_data(disability=True, disability_kinds=["4", "1"]),
        by=SystemActor("x"),
    )
    assert entry.disability is True and entry.disability_kinds == ["1", "4"]


@pytest.mark.parametrize(
    ("override", "fields"),
    [
        ({"sex": "3"}, {"sex"}),
        ({"age_group": ""}, {"age_group"}),
        ({"occupation": "7"}, {"occupation_other"}),
        ({"institution_category": "9", "institution_category_other": "  "}, {"institution_category_other"}),
        ({"purpose": "5"}, {"purpose_other"}),
        ({"email": "putu@@example"}, {"email"}),
        ({"whatsapp": "0812"}, {"whatsapp"}),
        ({"institution_name": ""}, {"institution_name"}),
        ({"disability": True, "disability_kinds": []}, {"disability_kinds"}),
        ({"disability": True, "disability_kinds": ["9"]}, {"disability_kinds"}),
        ({"disability": "maybe"}, {"disability"}),
        ({"name": "x" * 201}, {"name"}),
        ({"sex": "9", "education": "0", "whatsapp": "abc"}, {"sex", "education", "whatsapp"}),
    ],
)
def test_invalid_input_gives_per_field_errors_and_changes_nothing(
    office_5102: Office, override: dict[str, Any], fields: set[str]
) -> None:
    visitor = make_visitor(name="Lama", email="lama@example.test", email_verified_at=timezone.now())
    with pytest.raises(GuestbookError) as info:
        fill_guestbook(visitor, office=office_5102, channel="web", data=guestbook_data(**override), by=SystemActor("x"))
    assert set(info.value.errors) == fields
    assert all(info.value.errors.values())
    assert isinstance(info.value, DomainError) and info.value.message
    assert GuestbookEntry.objects.count() == 0
    assert AuditLog.objects.count() == 0
    visitor.refresh_from_db()
    assert (visitor.name, visitor.email, visitor.whatsapp) == ("Lama", "lama@example.test", "")
    assert visitor.email_verified_at is not None


def test_changing_the_email_clears_its_verification(office_5102: Office) -> None:
    visitor = make_visitor(email="putu@example.test", email_verified_at=timezone.now())
    fill_guestbook(visitor, office=office_5102, channel="web", data=guestbook_data(), by=SystemActor("x"))
    visitor.refresh_from_db()
    assert visitor.email_verified_at is not None  # same address: still verified
    fill_guestbook(
        visitor, office=office_5102, channel="web", data=guestbook_data(email="baru@example.test"), by=SystemActor("x")
    )
    visitor.refresh_from_db()
    assert visitor.email == "baru@example.test" and visitor.email_verified_at is None
    assert AuditLog.objects.filter(verb="guestbook.filled").first().after["visitor_fields_changed"] == [
        "email",
        "email_verified_at",
    ]


def test_known_contact_may_be_left_blank(office_5102: Office) -> None:
    visitor = make_visitor(email="a@example.test", whatsapp="+6281234567890", name="Ani")
    fill_guestbook(
        visitor,
        office=office_5102,
        channel="web",
        data=guestbook_data(email="", whatsapp="", name=""),
        by=SystemActor("x"),
    )
    visitor.refresh_from_db()
    assert (visitor.name, visitor.email, visitor.whatsapp) == ("Ani", "a@example.test", "+6281234567890")


def test_erased_or_merged_visitors(office_5102: Office) -> None:
    target = make_visitor()
    source = make_visitor(merged_into=target)
    entry = fill_guestbook(source, office=office_5102, channel="web", data=guestbook_data(), by=SystemActor("x"))
    assert entry.visitor_id == target.pk  # a merged identity fills for its survivor
    gone = make_visitor(erased_at=timezone.now())
    with pytest.raises(GuestbookError):
        fill_guestbook(gone, office=office_5102, channel="web", data=guestbook_data(), by=SystemActor("x"))


def test_consent_given_once_per_version_and_withdrawn(db: None) -> None:
    visitor = make_visitor()
    consent = give_consent(visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="web", by=VisitorActor(1))
    assert (
        give_consent(visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="whatsapp", by=SystemActor("x")).pk
        == consent.pk
    )
    assert Consent.objects.count() == 1
    assert has_current_consent(visitor)
    audit = AuditLog.objects.get(verb="consent.given")
    assert audit.after["notice_version"] == PRIVACY_NOTICE_VERSION

    assert withdraw_consent(visitor, channel="web", by=VisitorActor(1)) == 1
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_channel == "web"
    assert not has_current_consent(visitor)
    assert AuditLog.objects.filter(verb="consent.withdrawn").count() == 1
    with pytest.raises(GuestbookError):
        withdraw_consent(visitor, channel="web", by=VisitorActor(1))
    # Consenting again after a withdrawal is a new, recorded consent.
    give_consent(visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="web", by=SystemActor("x"))
    assert Consent.objects.count() == 2


def test_consent_to_an_unknown_notice_version_is_refused(db: None) -> None:
    visitor = make_visitor()
    with pytest.raises(GuestbookError) as info:
        give_consent(visitor, notice_version="0.9", channel="web", by=SystemActor("x"))
    assert "consent" in info.value.errors
    assert not Consent.objects.exists() and not AuditLog.objects.exists()
    assert Visitor.objects.count() == 1
