from __future__ import annotations

import pytest

from pstdesk.audit.models import AuditLog
from pstdesk.guestbook.actions import GuestbookError, identify_visitor
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import ChannelActor
from pstdesk.testing.identities import identify, inbound_message, make_visitor


def test_whatsapp_channel_creates_then_finds_by_wa_id(db: None) -> None:
    first = identify(wa_id="6281234567890", name="Putu", by=ChannelActor("whatsapp"))
    assert first.whatsapp == "+6281234567890"
    assert first.whatsapp_proven
    assert first.name == "Putu"
    again = identify(wa_id="6281234567890", whatsapp="+6281234567890", by=ChannelActor("whatsapp"))
    assert again.pk == first.pk
    assert Visitor.objects.count() == 1
    assert AuditLog.objects.filter(verb="visitor.created", subject_id=str(first.pk)).count() == 1


def test_wa_user_id_first_then_added_to_the_known_identity(db: None) -> None:
    known = identify(wa_id="6281234567890", by=ChannelActor("whatsapp"))
    # A later webhook carries the business-scoped user id and the number, without wa_id.
    found = identify(wa_user_id="ID.123", whatsapp="0812-3456-7890", by=ChannelActor("whatsapp"))
    assert found.pk == known.pk
    assert found.identity("whatsapp_user") == "ID.123"
    assert identify(wa_user_id="ID.123", by=ChannelActor("whatsapp")).pk == known.pk
    row = AuditLog.objects.get(verb="visitor.identifiers_added")
    assert row.after == {"fields": ["whatsapp_user"]}  # the identity kind added
    assert "0812" not in str(row.after)  # audit rows hold no personal data


def test_a_typed_number_never_attaches_to_someone_elses_identity(db: None) -> None:
    owner = identify(wa_id="6281234567890", by=ChannelActor("whatsapp"))
    claimant = identify_visitor(whatsapp="081234567890", name="Someone", by=ChannelActor("web"))
    assert claimant.pk != owner.pk
    assert not claimant.whatsapp_proven


def test_an_unverified_email_claim_never_attaches_to_a_verified_identity(db: None) -> None:
    from django.utils import timezone

    owner = Visitor.objects.create(email="dewi@example.test", email_verified_at=timezone.now())
    claimant = identify_visitor(email="dewi@example.test", by=ChannelActor("web"))
    assert claimant.pk != owner.pk
    assert claimant.email_verified_at is None


def test_email_channel_finds_the_verified_owner_or_its_own_sender_identity(db: None) -> None:
    from django.utils import timezone

    sender = identify(email="Budi@Example.TEST", email_channel=True, by=ChannelActor("email"))
    assert sender.email == "Budi@example.test"
    assert sender.identity("email") == "budi@example.test"  # keys are matched lower-case
    assert sender.email_verified_at is None
    assert identify(email="budi@example.test", email_channel=True, by=ChannelActor("email")).pk == sender.pk

    owner = Visitor.objects.create(email="dewi@example.test", email_verified_at=timezone.now())
    assert identify(email="dewi@example.test", email_channel=True, by=ChannelActor("email")).pk == owner.pk


def test_follows_merged_into_chains(db: None) -> None:
    final = Visitor.objects.create(name="Final")
    middle = Visitor.objects.create(merged_into=final)
    make_visitor(wa_id="6281111111111", merged_into=middle)
    assert identify(wa_id="6281111111111", by=ChannelActor("whatsapp")).pk == final.pk


def test_accepts_an_inbound_message(db: None) -> None:
    inbound = inbound_message(
        channel="email", office_code="5101", external_id="<m1@x>", body="Halo", sender_email="ani@example.test"
    )
    visitor = identify_visitor(inbound)
    assert visitor.identity("email") == "ani@example.test"
    assert AuditLog.objects.get(verb="visitor.created").actor_label == "channel:email"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"email": "not-an-address"}, "email"), ({"whatsapp": "12"}, "whatsapp"), ({"email_channel": True}, "email")],
)
def test_invalid_identifiers_are_refused_and_nothing_is_created(db: None, kwargs: dict, field: str) -> None:
    with pytest.raises(GuestbookError) as info:
        identify(by=ChannelActor("web"), **kwargs)
    assert field in info.value.errors
    assert Visitor.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.django_db
def test_a_whatsapp_id_is_trusted_even_where_number_metadata_disagrees() -> None:
    from pstdesk.guestbook.actions import identify_visitor

    visitor = identify(wa_id="972987654321", name="Test Name", by=ChannelActor("whatsapp"))
    assert visitor.identity("whatsapp") == "972987654321"
    assert visitor.whatsapp == "+972987654321"
    assert identify(wa_id="972987654321", by=ChannelActor("whatsapp")).pk == visitor.pk
