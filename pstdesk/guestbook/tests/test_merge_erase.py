from __future__ import annotations

import pytest
from django.utils import timezone

from pstdesk.accounts.models import User
from pstdesk.audit.models import AuditLog
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.actions import (
    PRIVACY_NOTICE_VERSION,
    GuestbookError,
    erase_visitor,
    fill_guestbook,
    give_consent,
    identify_visitor,
    merge_visitors,
    start_email_verification,
)
from pstdesk.guestbook.models import Consent, EmailVerification, GuestbookEntry, Visitor, VisitorMerge
from pstdesk.guestbook.tests.factories import guestbook_data, make_visitor
from pstdesk.lib.actors import ChannelActor, SystemActor, VisitorActor
from pstdesk.lib.errors import NotAllowed
from pstdesk.offices.models import Office
from pstdesk.testing.identities import identify


def test_merge_moves_everything_and_copies_missing_identifiers(office_5102: Office, officer_5102: User) -> None:
    source = make_visitor(
        name="Putu", wa_id="6281234567890", whatsapp="+6281234567890", whatsapp_verified_at=timezone.now()
    )
    target = make_visitor(email="putu@example.test", email_verified_at=timezone.now())
    consultation = Consultation.objects.create(office=office_5102, visitor=source, channel="whatsapp")
    entry = fill_guestbook(
        source, office=office_5102, channel="whatsapp", data=guestbook_data(whatsapp=""), by=SystemActor("x")
    )
    give_consent(source, notice_version=PRIVACY_NOTICE_VERSION, channel="whatsapp", by=SystemActor("x"))
    earlier = make_visitor(merged_into=source)

    result = merge_visitors(source, target, reason=VisitorMerge.Reason.MANUAL, by=officer_5102)

    assert result.pk == target.pk
    consultation.refresh_from_db()
    entry.refresh_from_db()
    assert consultation.visitor_id == target.pk and entry.visitor_id == target.pk
    assert Consent.objects.get().visitor_id == target.pk
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and source.identity("whatsapp") is None
    assert Visitor.objects.get(pk=earlier.pk).merged_into_id == target.pk  # chains are flattened
    assert (result.name, result.identity("whatsapp"), result.whatsapp) == (
        "Putu Ayu",
        "6281234567890",
        "+6281234567890",
    )
    assert result.email == "putu@example.test" and result.email_verified_at is not None
    merge = VisitorMerge.objects.get()
    assert merge.merged_by == officer_5102 and merge.moved["consultations.consultation"] == 1
    audit = AuditLog.objects.get(verb="visitor.merged")
    assert audit.subject_id == str(target.pk) and audit.before == {"source": source.pk}
    assert audit.actor == officer_5102
    # The WhatsApp channel now finds the target.
    assert identify(wa_id="6281234567890", by=ChannelActor("whatsapp")).pk == target.pk


def test_merge_keeps_the_targets_verified_email(db: None) -> None:
    source = make_visitor(email="lain@example.test")
    target = make_visitor(email="asli@example.test", email_verified_at=timezone.now())
    merge_visitors(source, target, reason="signed_link", by=VisitorActor(1))
    target.refresh_from_db()
    assert target.email == "asli@example.test" and target.email_verified_at is not None
    assert VisitorMerge.objects.get().merged_by_label == "visitor:1"


@pytest.mark.parametrize("case", ["self", "erased", "reason", "already"])
def test_refused_merges_change_nothing(db: None, case: str) -> None:
    source = make_visitor(name="A")
    target = make_visitor(name="B")
    reason = "manual"
    if case == "self":
        target = source
    elif case == "erased":
        target.erased_at = timezone.now()
        target.save()
    elif case == "reason":
        reason = "because"
    elif case == "already":
        source.merged_into = target
        source.save()
    with pytest.raises(GuestbookError):
        merge_visitors(source, target, reason=reason, by=SystemActor(""))
    assert not VisitorMerge.objects.exists() and not AuditLog.objects.exists()


def test_erase_blanks_personal_data_and_keeps_statistics(office_5102: Office, manager_5102: User) -> None:
    visitor = identify(wa_id="6281234567890", name="Putu", by=ChannelActor("whatsapp"))
    data = guestbook_data(occupation="7", occupation_other="Petani", purpose="5", purpose_other="Skripsi")
    entry = fill_guestbook(visitor, office=office_5102, channel="whatsapp", data=data, by=SystemActor("x"))
    give_consent(visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="whatsapp", by=SystemActor("x"))
    start_email_verification(visitor, email="putu@example.test", by=SystemActor("x"))
    old = make_visitor(name="Putu lama", email="lama@example.test", wa_user_id="ID.9", merged_into=visitor)

    erased = erase_visitor(visitor, by=manager_5102)

    assert erased.erased_at is not None
    for row in (erased, Visitor.objects.get(pk=old.pk)):
        assert (row.name, row.email, row.whatsapp, row.identity("whatsapp"), row.identity("whatsapp_user")) == (
            "",
            "",
            "",
            None,
            None,
        )
        assert row.email_verified_at is None and row.erased_at is not None
    entry.refresh_from_db()
    assert (entry.occupation_other, entry.purpose_other, entry.institution_name) == ("", "", "")
    assert (entry.sex, entry.age_group, entry.occupation, entry.purpose) == ("2", "2", "7", "5")
    assert not EmailVerification.objects.exists()
    assert Consent.objects.get().withdrawn_at is not None
    audit = AuditLog.objects.get(verb="visitor.erased")
    assert audit.actor == manager_5102 and audit.after["visitors"] == [visitor.pk, old.pk]
    # No personal value is left in the audit trail.
    trail = str(list(AuditLog.objects.values("before", "after")))
    assert "Putu" not in trail and "6281234567890" not in trail and "putu@" not in trail
    # A new message from the same WhatsApp number starts a new, empty identity.
    assert identify(wa_id="6281234567890", by=ChannelActor("whatsapp")).pk not in {visitor.pk, old.pk}
    with pytest.raises(GuestbookError):
        erase_visitor(visitor, by=manager_5102)


def test_the_visitor_may_erase_themself_an_officer_may_not(office_5102: Office, officer_5102: User) -> None:
    visitor = make_visitor(name="Ani", email="ani@example.test")
    with pytest.raises(NotAllowed):
        erase_visitor(visitor, by=officer_5102)
    with pytest.raises(NotAllowed):
        erase_visitor(visitor, by=VisitorActor(999999))
    visitor.refresh_from_db()
    assert visitor.name == "Ani" and visitor.erased_at is None
    assert not AuditLog.objects.exists()
    erase_visitor(visitor, by=VisitorActor(visitor.pk))
    visitor.refresh_from_db()
    assert visitor.name == "" and GuestbookEntry.objects.count() == 0
