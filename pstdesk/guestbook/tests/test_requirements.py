from __future__ import annotations

from django.utils import timezone

from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION, fill_guestbook, give_consent, withdraw_consent
from pstdesk.guestbook.requirements import missing_requirements, required_items, requirements_message
from pstdesk.guestbook.tests.factories import guestbook_data, make_visitor
from pstdesk.lib.actors import SystemActor
from pstdesk.offices.models import Office


def _consultation(office: Office, channel: str, **visitor_fields: object) -> Consultation:
    return Consultation.objects.create(office=office, visitor=make_visitor(**visitor_fields), channel=channel)


def test_seed_standards_ask_for_the_guestbook_a_verified_email_and_a_number(
    office_5102: Office, office_5101: Office
) -> None:
    assert required_items(office_5102.standard, "whatsapp") == ["guestbook", "verified_email", "whatsapp_number"]
    assert required_items(office_5101.standard, "email") == [
        "guestbook",
        "verified_email",
        "whatsapp_number",
        "introduction",
    ]
    assert "introduction" not in required_items(office_5101.standard, "whatsapp")


def test_everything_missing_then_complete(office_5102: Office) -> None:
    consultation = _consultation(office_5102, "whatsapp")
    assert missing_requirements(consultation) == ["guestbook", "verified_email", "whatsapp_number"]

    visitor = consultation.visitor
    fill_guestbook(visitor, office=office_5102, channel="whatsapp", data=guestbook_data(), by=SystemActor("x"))
    visitor.refresh_from_db()
    # A guestbook without consent to the privacy notice does not count.
    assert missing_requirements(consultation) == ["guestbook", "verified_email"]
    give_consent(visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="whatsapp", by=SystemActor("x"))
    assert missing_requirements(consultation) == ["verified_email"]
    visitor.email_verified_at = timezone.now()
    visitor.save()
    assert missing_requirements(consultation) == []
    withdraw_consent(visitor, channel="web", by=SystemActor("x"))
    assert missing_requirements(consultation) == ["guestbook"]


def test_a_guestbook_for_another_office_does_not_count(office_5102: Office, office_5101: Office) -> None:
    consultation = _consultation(
        office_5102, "whatsapp", whatsapp="+6281234567890", email="a@example.test", email_verified_at=timezone.now()
    )
    fill_guestbook(
        consultation.visitor, office=office_5101, channel="whatsapp", data=guestbook_data(), by=SystemActor("x")
    )
    give_consent(consultation.visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="whatsapp", by=SystemActor("x"))
    assert missing_requirements(consultation) == ["guestbook"]


def test_email_channel_needs_an_introduction(office_5101: Office) -> None:
    consultation = _consultation(
        office_5101, "email", whatsapp="+6281234567890", email="a@example.test", email_verified_at=timezone.now()
    )
    entry = fill_guestbook(
        consultation.visitor, office=office_5101, channel="email", data=guestbook_data(), by=SystemActor("x")
    )
    give_consent(consultation.visitor, notice_version=PRIVACY_NOTICE_VERSION, channel="email", by=SystemActor("x"))
    consultation.guestbook_entry = entry
    assert missing_requirements(consultation) == ["introduction"]
    consultation.introduction_given = True
    assert missing_requirements(consultation) == []


def test_requirements_follow_the_standard_in_force(office_5102: Office) -> None:
    standard = office_5102.standard
    assert standard is not None
    standard.pk = None
    standard.version += 1
    standard.requirements = [{"code": "guestbook", "text": {"id": "Isi buku tamu"}}]
    standard.save()
    consultation = _consultation(office_5102, "livechat_pfa")
    assert missing_requirements(consultation) == ["guestbook"]


def test_message_in_both_languages_with_the_link() -> None:
    link = "http://127.0.0.1:8000/bukutamu/5102/?t=abc"
    text = requirements_message(["guestbook", "verified_email"], language="id", link=link)
    assert "buku tamu" in text and "e-mail" in text and link in text
    english = requirements_message(["guestbook", "whatsapp_number", "introduction"], language="en", link=link)
    assert "guestbook" in english and "WhatsApp" in english and "introduce" in english and link in english
    assert "buku tamu" not in english
    assert requirements_message([], language="id", link=link) == ""
    assert link not in requirements_message(["introduction"], language="id", link=link)
