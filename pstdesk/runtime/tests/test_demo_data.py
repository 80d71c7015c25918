from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pstdesk.consultations.models import Consultation, Message
from pstdesk.ratings.models import Rating


@pytest.mark.django_db
def test_generates_consultations_with_messages_and_ratings() -> None:
    call_command("generate_demo_data", consultations=120, batch=50, verbosity=0)
    assert Consultation.objects.count() == 120
    assert set(Consultation.objects.values_list("office_id", flat=True)) == {"5101", "5102"}
    # Channels come from each office's standard: e-mail only at Jembrana, LiveChat only at Tabanan.
    assert not Consultation.objects.filter(office_id="5102", channel="email").exists()
    assert not Consultation.objects.filter(office_id="5101", channel__startswith="livechat").exists()
    for consultation in Consultation.objects.all()[:20]:
        seqs = list(Message.objects.filter(consultation=consultation).values_list("seq", flat=True))
        assert seqs == list(range(1, consultation.last_seq + 1))
    assert (
        Rating.objects.filter(consultation__status="closed").count()
        == Consultation.objects.filter(status="closed").count()
    )


@pytest.mark.django_db
def test_refuses_unknown_office() -> None:
    with pytest.raises(CommandError, match="no such offices"):
        call_command("generate_demo_data", consultations=5, offices="9999", verbosity=0)
