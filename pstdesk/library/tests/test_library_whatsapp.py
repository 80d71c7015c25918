"""A stamped copy reaches a WhatsApp visitor through the real outbox and the WhatsApp Cloud API simulator: a
document whose every page names the visitor, captioned with the link; never the original."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from pstdesk.channels.whatsapp.tests.conftest import sim, wa_settings  # noqa: F401
from pstdesk.channels.whatsapp.tests.helpers import accepted_for, drive_outbox, start
from pstdesk.library.actions import send_publication

pytestmark = pytest.mark.django_db


def test_copy_goes_out_as_a_whatsapp_document(sim, officer_5102, publication_5102):  # noqa: F811
    consultation = start(sim, "5102", "6281234569001")
    drive_outbox(sim)
    delivery = send_publication(publication_5102, consultation=consultation, by=officer_5102)
    drive_outbox(sim)
    sent = [row for row in accepted_for(sim, "6281234569001") if row["callback_data"] == f"pst:{delivery.message_id}"]
    assert [row["type"] for row in sent] == ["document"]
    content, mime, filename = sim.media[sent[0]["body"]["document"]["id"]]
    assert mime == "application/pdf" and filename.endswith(f"PST{consultation.pk}.pdf")
    original = publication_5102.file.open("rb").read()
    assert content != original
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]
    assert len(pages) == 3 and all("Putu" in text and f"PST#{consultation.pk}" in text for text in pages)
    assert "/pustaka/salinan/" in sent[0]["body"]["document"]["caption"]
