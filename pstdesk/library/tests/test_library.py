"""The soft-copy library: uploads checked with a reason, copies stamped on every page for the visitor, the
original never served, expiring and rate-limited links, office isolation, the most requested publications."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pstdesk.audit.models import AuditLog
from pstdesk.consultations.models import Attachment, Consultation
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.errors import AttachmentRejected, NotAllowed
from pstdesk.library.actions import add_publication, copy_url, send_publication
from pstdesk.library.models import Delivery, Publication
from pstdesk.library.queries import most_requested_publications
from pstdesk.library.tests.conftest import encrypted_pdf, make_pdf, upload

pytestmark = pytest.mark.django_db


def pages_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def fetch(client: Client, url: str) -> tuple[int, bytes]:
    response = client.get(url.removeprefix("http://testserver"))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


# --- uploads -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> rusak", "a.pdf", "rusak"),
        (encrypted_pdf(), "a.pdf", "terenkripsi"),
        (b"PK\x03\x04 not a pdf", "a.pdf", "bukan PDF"),
        (make_pdf(1), "a.docx", "bukan PDF"),
        (b"", "a.pdf", "kosong"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(office_5102, admin_5102, content, name, reason):
    with pytest.raises(AttachmentRejected) as refused:
        add_publication(office_5102, by=admin_5102, title="T", year=2025, upload=upload(content, name))
    assert reason in refused.value.message
    assert not Publication.objects.exists()


def test_oversized_upload_is_refused(office_5102, admin_5102, settings):
    settings.LIBRARY_MAX_BYTES = 2048
    with pytest.raises(AttachmentRejected) as refused:
        add_publication(office_5102, by=admin_5102, title="T", year=2025, upload=upload(make_pdf(20)))
    assert "terlalu besar" in refused.value.message
    assert not Publication.objects.exists()


def test_only_an_administrator_of_the_office_adds(office_5102, officer_5102, admin_5101):
    for user in (officer_5102, admin_5101):
        with pytest.raises(NotAllowed):
            add_publication(office_5102, by=user, title="T", year=2025, upload=upload(make_pdf(1)))
    assert not Publication.objects.exists()


def test_upload_is_stored_and_audited(publication_5102, admin_5102):
    assert (publication_5102.pages, publication_5102.year, publication_5102.office_id) == (3, 2026, "5102")
    audit = AuditLog.objects.get(verb="library.publication_added")
    assert audit.after["pages"] == 3


def test_upload_page_shows_the_reason_and_keeps_the_fields(admin_5102, office_5102):
    client = Client()
    client.force_login(admin_5102)
    response = client.post(
        reverse("library:manage"),
        {"office": "5102", "title": "Statistik Daerah", "year": "2025", "file": upload(encrypted_pdf())},
    )
    page = response.content.decode()
    assert response.status_code == 400 and "terenkripsi" in page and 'value="Statistik Daerah"' in page
    good = client.post(
        reverse("library:manage"),
        {"office": "5102", "title": "Statistik Daerah", "year": "2025", "file": upload(make_pdf(1))},
    )
    assert good.status_code == 302
    assert "Statistik Daerah" in client.get(good["Location"]).content.decode()


# --- sending -------------------------------------------------------------------------------------------------------
def test_every_page_of_the_copy_names_the_visitor(publication_5102, consultation_5102, officer_5102):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    copy = delivery.file.open("rb").read()
    texts = pages_text(copy)
    assert len(texts) == 3
    for text in texts:
        assert "Ni Luh Ayu Wulandari" in text
        assert f"PST#{consultation_5102.pk}" in text
        assert "Tabanan" in text
    assert "Tabanan Dalam Angka - halaman 2" in texts[1]  # the page itself is intact
    original = publication_5102.file.open("rb").read()
    assert hashlib.sha256(copy).hexdigest() != hashlib.sha256(original).hexdigest() == publication_5102.sha256


def test_pages_of_other_sizes_and_offsets_are_stamped_too(office_5102, admin_5102, consultation_5102, officer_5102):
    publication = add_publication(
        office_5102,
        by=admin_5102,
        title="Peta",
        year=2025,
        upload=upload(make_pdf(2, sizes=[(842.0, 595.0), (300.0, 400.0)])),
    )
    delivery = send_publication(publication, consultation=consultation_5102, by=officer_5102)
    assert all("Ni Luh Ayu Wulandari" in text for text in pages_text(delivery.file.open("rb").read()))


def test_the_reply_carries_the_link_and_the_copy_never_the_original(publication_5102, consultation_5102, officer_5102):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    message = delivery.message
    assert message is not None and message.direction == "out" and message.delivery_status == "pending"
    sent_link = re.search(r"https?://\S+/pustaka/salinan/\S+/", message.body)
    assert sent_link is not None
    attachment = Attachment.objects.get(message=message)
    assert attachment.sha256 == delivery.sha256 != publication_5102.sha256
    assert AuditLog.objects.filter(verb="library.publication_sent", subject_id=str(delivery.pk)).exists()
    # every URL that serves a file of this consultation gives the stamped copy, never the original
    original = publication_5102.file.open("rb").read()
    officer = Client()
    officer.force_login(officer_5102)
    served = [
        fetch(Client(), urlsplit(sent_link.group(0)).path),
        fetch(officer, reverse("library:copy", kwargs={"pk": delivery.pk})),
        fetch(officer, reverse("consultations:attachment", kwargs={"pk": attachment.pk})),
    ]
    for status, body in served:
        assert status == 200 and body.startswith(b"%PDF-") and body != original
        assert "Ni Luh Ayu Wulandari" in pages_text(body)[0]


def test_large_copies_travel_only_as_a_link(publication_5102, consultation_5102, officer_5102, settings):
    settings.LIBRARY_ATTACH_MAX_BYTES = 100
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    assert not Attachment.objects.filter(message=delivery.message).exists()
    assert "/pustaka/salinan/" in delivery.message.body


def test_closed_consultation_refuses_and_stores_nothing(publication_5102, consultation_5102, officer_5102):
    Consultation.objects.filter(pk=consultation_5102.pk).update(status="closed")
    consultation_5102.refresh_from_db()
    with pytest.raises(Exception):  # noqa: B017 - the consultation core's refusal (InvalidTransition)
        send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    assert not Delivery.objects.exists()


# --- the link ------------------------------------------------------------------------------------------------------
def test_expired_link_is_refused(publication_5102, consultation_5102, officer_5102, settings):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    url = copy_url(delivery)
    with time_machine.travel(timezone.now() + timedelta(days=settings.LIBRARY_LINK_DAYS, minutes=1)):
        status, body = fetch(Client(), url)
    assert status == 410 and "kedaluwarsa" in body.decode() and b"%PDF" not in body


def test_forged_token_is_404(publication_5102, consultation_5102, officer_5102):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    forged = reverse("library:download", kwargs={"token": f"{delivery.pk}:x:y"})
    assert Client().get(forged).status_code == 404


def test_link_is_rate_limited(publication_5102, consultation_5102, officer_5102):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    url = copy_url(delivery)
    statuses = [fetch(Client(REMOTE_ADDR=f"10.0.0.{n}"), url)[0] for n in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429  # 20 an hour per copy, whatever the address
    guesses = [Client(REMOTE_ADDR="10.9.9.9").get(f"/pustaka/salinan/tebakan{n}/").status_code for n in range(31)]
    assert guesses[:30] == [404] * 30 and guesses[30] == 429  # forged tokens count against the address


# --- office isolation ----------------------------------------------------------------------------------------------
def test_5101_can_neither_send_nor_download_5102_files(
    publication_5102, consultation_5102, officer_5102, officer_5101, office_5101
):
    delivery = send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    outsider = Client()
    outsider.force_login(officer_5101)
    consultation_5101 = Consultation.objects.create(
        office=office_5101, visitor=Visitor.objects.create(name="Komang"), channel="whatsapp", status="open"
    )
    send_url = reverse("library:send", kwargs={"pk": publication_5102.pk})
    assert outsider.post(send_url, {"consultation": consultation_5101.pk}).status_code == 404
    assert outsider.post(send_url, {"consultation": consultation_5102.pk}).status_code == 404
    assert outsider.get(reverse("library:copy", kwargs={"pk": delivery.pk})).status_code == 404
    assert "Tabanan Dalam Angka" not in outsider.get(reverse("library:manage")).content.decode()
    assert "Ni Luh" not in outsider.get(reverse("library:log")).content.decode()
    # 5102's officer cannot put 5102's publication into 5101's consultation either
    insider = Client()
    insider.force_login(officer_5102)
    assert insider.post(send_url, {"consultation": consultation_5101.pk}).status_code == 404
    with pytest.raises(NotAllowed):
        send_publication(publication_5102, consultation=consultation_5101, by=officer_5101)
    assert Delivery.objects.count() == 1


def test_send_endpoint(publication_5102, consultation_5102, officer_5102):
    client = Client()
    client.force_login(officer_5102)
    response = client.post(
        reverse("library:send", kwargs={"pk": publication_5102.pk}), {"consultation": consultation_5102.pk}
    )
    assert response.status_code == 200 and "Ni Luh Ayu Wulandari" in response.json()["message"]
    assert Delivery.objects.get().sent_by == officer_5102


# --- reports -------------------------------------------------------------------------------------------------------
def test_most_requested_publications(office_5102, admin_5102, publication_5102, consultation_5102, officer_5102):
    other = add_publication(office_5102, by=admin_5102, title="Statistik Daerah", year=2025, upload=upload(make_pdf(1)))
    second = Consultation.objects.create(
        office=office_5102, visitor=Visitor.objects.create(name="Wayan"), channel="email", status="open"
    )
    for consultation in (consultation_5102, consultation_5102, second):
        send_publication(publication_5102, consultation=consultation, by=officer_5102)
    send_publication(other, consultation=second, by=officer_5102)
    rows = most_requested_publications(office_5102)
    assert [(r["title"], r["copies"], r["visitors"]) for r in rows] == [
        ("Tabanan Dalam Angka 2026", 3, 2),
        ("Statistik Daerah", 1, 1),
    ]
    later = timezone.now() + timedelta(days=1)
    assert most_requested_publications(office_5102, start=later) == []
    assert most_requested_publications([], limit=5) == []
    log = Client()
    log.force_login(officer_5102)
    assert "Tabanan Dalam Angka 2026" in log.get(reverse("library:log")).content.decode()


def test_withdrawn_publication_leaves_the_console_and_cannot_be_sent(
    publication_5102, consultation_5102, admin_5102, officer_5102
):
    officer = Client()
    officer.force_login(officer_5102)
    url = reverse("library:set_active", kwargs={"pk": publication_5102.pk})
    assert officer.post(url, {"active": "0"}).status_code == 404  # officers do not administer the library
    admin = Client()
    admin.force_login(admin_5102)
    assert admin.post(url, {"active": "0"}).status_code == 302
    publication_5102.refresh_from_db()
    assert not publication_5102.active
    assert AuditLog.objects.filter(verb="library.publication_withdrawn").exists()
    page = officer.get(reverse("console:consultation", kwargs={"pk": consultation_5102.pk})).content.decode()
    assert "Tabanan Dalam Angka 2026" not in page
    response = officer.post(
        reverse("library:send", kwargs={"pk": publication_5102.pk}), {"consultation": consultation_5102.pk}
    )
    assert response.status_code == 400 and "ditarik" in response.json()["error"]


def test_log_and_library_pages_take_the_same_queries_for_more_rows(
    publication_5102, consultation_5102, officer_5102, admin_5102, office_5102
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(admin_5102)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    send_publication(publication_5102, consultation=consultation_5102, by=officer_5102)
    count(reverse("library:log")), count(reverse("library:manage"))  # warm the per-minute caches (office zone, policy)
    before = (count(reverse("library:log")), count(reverse("library:manage")))
    for n in range(3):
        add_publication(office_5102, by=admin_5102, title=f"Publikasi {n}", year=2025, upload=upload(make_pdf(1)))
        visitor = Visitor.objects.create(name=f"Pengguna {n}")
        other = Consultation.objects.create(office=office_5102, visitor=visitor, channel="email", status="open")
        send_publication(publication_5102, consultation=other, by=officer_5102)
    assert (count(reverse("library:log")), count(reverse("library:manage"))) == before
