"""The SKM questionnaire offered after the rating and answered end to end: by the e-mail link (a real SMTP server
carries the rating mail) and in WhatsApp (through the simulator: the link comes inside the 24-hour window). A
second submission is refused and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from pstdesk.channels.email.tests.conftest import fixture, mailbox, smtp_server, working_hours  # noqa: F401
from pstdesk.channels.whatsapp.tests.conftest import office_hours, sim, wa_settings  # noqa: F401
from pstdesk.channels.whatsapp.tests.helpers import accepted_for, drive_outbox
from pstdesk.channels.whatsapp.tests.test_end_to_end import consult_until_answered, rate_in_chat
from pstdesk.consultations import actions as core
from pstdesk.guestbook import actions as guestbook
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.lib.actors import SystemActor, VisitorActor
from pstdesk.ratings.models import Rating, SkmResponse

ANSWERS = {"u1": "4", "u2": "3", "u3": "4", "u4": "4", "u5": "3", "u6": "4", "u7": "4", "u8": "", "u9": "2"}


def answer_skm_by_link(client: Any, path: str, consultation: Any) -> None:
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="form" value="skm"' in html and "Sarana dan prasarana" in html and "Dikelola dengan baik" in html
    assert not SkmResponse.objects.filter(consultation=consultation).exists()  # opening the link stores nothing
    done = client.post(path, {"form": "skm", **ANSWERS})
    assert done.status_code == 200 and "survei kepuasan Anda telah kami terima" in done.content.decode()
    stored = SkmResponse.objects.get(consultation=consultation)
    assert stored.answers == {"u1": 4, "u2": 3, "u3": 4, "u4": 4, "u5": 3, "u6": 4, "u7": 4, "u9": 2}
    assert stored.profile.get("occupation") and "name" not in stored.profile
    again = client.post(path, {"form": "skm", **dict.fromkeys(ANSWERS, "1")})
    assert again.status_code == 409
    assert SkmResponse.objects.get(consultation=consultation).answers == stored.answers
    assert SkmResponse.objects.filter(consultation=consultation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_skm_by_the_email_rating_link(mailbox, smtp_server, officer_5101, client):  # noqa: F811
    from pstdesk.channels.email.intake import ingest

    consultation = ingest(mailbox, fixture("intro_plain.eml")).consultation
    visitor = consultation.visitor
    guestbook.fill_guestbook(
        visitor, office=consultation.office, channel="email", data=guestbook_data(), by=VisitorActor(visitor.pk)
    )
    guestbook.give_consent(
        visitor, notice_version=guestbook.PRIVACY_NOTICE_VERSION, channel="email", by=VisitorActor(visitor.pk)
    )
    visitor.refresh_from_db()
    visitor.email_verified_at = timezone.now()
    visitor.whatsapp = "+6281234567890"
    visitor.save(update_fields=["email_verified_at", "whatsapp"])
    core.refresh_requirements(consultation, by=SystemActor("test"))
    core.mark_request_clear(consultation, by=officer_5101)
    core.post_reply(consultation, by=officer_5101, body="Berikut datanya.")
    core.mark_answered(consultation, by=officer_5101)
    core.close_consultation(consultation, by=officer_5101)
    link = re.search(r"https?://\S+/nilai/(\S+)/", smtp_server.sink.messages[-1].message.get_content())
    assert link
    path = "/nilai/" + link.group(1) + "/"
    # before the rating the page offers only the rating
    assert 'value="skm"' not in client.get(path).content.decode()
    client.post(path, {"score": "4", "gratuity": "no", "illegal_fee": "no"})
    assert Rating.objects.get(consultation=consultation).score == 4
    answer_skm_by_link(client, path, consultation)
    assert SkmResponse.objects.get(consultation=consultation).channel == "email"


@pytest.mark.django_db
def test_skm_in_whatsapp_after_the_rating(sim, officer_5102, client):  # noqa: F811
    user = "6281298760077"
    consultation = consult_until_answered(sim, "5102", user, officer_5102)
    core.request_rating(consultation, by=officer_5102)
    drive_outbox(sim)
    rate_in_chat(sim, "5102", user, consultation, score=4, gratuity="no")
    texts = [row["body"].get("text", {}).get("body", "") for row in accepted_for(sim, user)]
    offer = [t for t in texts if "Survei Kepuasan Masyarakat" in t]
    assert len(offer) == 1, texts  # delivered by the (simulated) Cloud API, with the thanks for the rating
    assert offer[0].startswith("Terima kasih atas penilaian") and offer[0] == texts[-1]
    path = re.search(r"https?://[^/\s]+(/nilai/\S+/)", offer[0]).group(1)
    answer_skm_by_link(client, path, consultation)
    assert SkmResponse.objects.get(consultation=consultation).channel == "whatsapp"
