from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.actions import PRIVACY_NOTICE_VERSION, has_current_consent, identify_visitor
from pstdesk.guestbook.models import GuestbookEntry, Visitor, VisitorMerge
from pstdesk.guestbook.tests.factories import guestbook_data
from pstdesk.guestbook.views import SESSION_VISITOR
from pstdesk.lib import signing
from pstdesk.lib.actors import ChannelActor
from pstdesk.offices.models import Office
from pstdesk.testing.identities import identify


def _form(**overrides: Any) -> dict[str, Any]:
    data = guestbook_data(consent="on", disability="2")
    data.pop("disability_kinds")
    data.update(overrides)
    return data


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_guestbook_url_is_absolute_signed_and_scoped(db: None, settings: Any, office_5102: Office) -> None:
    settings.PUBLIC_URL = "https://pst.example.test"
    visitor = Visitor.objects.create()
    url = signing.guestbook_url(visitor, office_5102, consultation_id=7)
    assert url.startswith("https://pst.example.test/bukutamu/5102/?t=")
    link = signing.read_guestbook_token(url.split("t=", 1)[1])
    assert (link.visitor_public_id, link.office_code, link.consultation_id) == (str(visitor.public_id), "5102", 7)
    with pytest.raises(signing.BadToken):
        signing.read_guestbook_token(url.split("t=", 1)[1] + "x")
    with pytest.raises(signing.BadToken):  # a token of another purpose is refused
        signing.read_guestbook_token(signing.visitor_token(visitor))


def test_form_renders_accessibly_in_indonesian_and_english(client: Client, office_5102: Office) -> None:
    page = client.get("/bukutamu/5102/").content.decode()
    assert '<html lang="id">' in page
    assert '<label for="id_name">Nama lengkap' in page
    assert 'aria-describedby="id_email_helptext"' in page and 'id="id_email_helptext"' in page
    assert "<legend>Jenis kelamin" in page
    assert "Pelajar/Mahasiswa" in page and "/privasi/" in page
    english = client.get("/bukutamu/5102/?lang=en").content.decode()
    assert '<html lang="en">' in english
    assert "Full name" in english and "Student" in english and "Lainnya" not in english


def test_invalid_post_shows_linked_errors_and_saves_nothing(client: Client, office_5102: Office) -> None:
    response = client.post("/bukutamu/5102/", _form(whatsapp="0812", occupation="7", consent=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'id="id_whatsapp"[^>]*|aria-describedby="[^"]*id_whatsapp_error', page)
    assert 'id="id_whatsapp_error"' in page and "Nomor WhatsApp tidak valid" in page
    assert 'id="id_occupation_other_error"' in page and "Lainnya" in page
    assert 'id="id_consent_error"' in page and "Persetujuan diperlukan" in page
    assert Visitor.objects.count() == 0 and GuestbookEntry.objects.count() == 0


def test_post_saves_guestbook_and_consent_then_verifies_email(client: Client, office_5102: Office) -> None:
    response = client.post("/bukutamu/5102/", _form())
    assert response.status_code == 302 and "/bukutamu/5102/verifikasi/" in response["Location"]
    visitor = Visitor.objects.get()
    assert client.session[SESSION_VISITOR] == str(visitor.public_id)
    assert visitor.whatsapp == "+6281234567890"
    assert GuestbookEntry.objects.get().channel == "web"
    assert has_current_consent(visitor)

    page = client.get(response["Location"]).content.decode()
    assert "Kirim kode verifikasi" in page
    client.post("/bukutamu/5102/verifikasi/", {"action": "send", "email": "putu@example.test"})
    code = re.search(r"\b(\d{8})\b", str(mail.outbox[-1].body)).group(1)  # type: ignore[union-attr]
    wrong = client.post(
        "/bukutamu/5102/verifikasi/", {"action": "verify", "code": "00000000" if code != "00000000" else "11111111"}
    )
    assert wrong.status_code == 400 and "Kode salah" in wrong.content.decode()
    done = client.post("/bukutamu/5102/verifikasi/", {"action": "verify", "code": code})
    assert done.status_code == 200 and "sudah terverifikasi" in done.content.decode()
    visitor.refresh_from_db()
    assert visitor.email_verified_at is not None


def _browser_as(client: Client, visitor: Visitor) -> None:
    session = client.session
    session[SESSION_VISITOR] = str(visitor.public_id)
    session.save()


def test_signed_link_in_a_fresh_browser_identifies_its_visitor(client: Client, office_5102: Office) -> None:
    whatsapp = identify(wa_id="6281234567890", by=ChannelActor("whatsapp"))
    response = client.get(_path(signing.guestbook_url(whatsapp, office_5102)))
    assert response.status_code == 302 and "t=" not in response["Location"]
    assert client.session[SESSION_VISITOR] == str(whatsapp.public_id)
    page = client.get(response["Location"]).content.decode()
    assert 'value="+6281234567890"' in page  # the form starts from what is known
    client.post("/bukutamu/5102/", _form(whatsapp=""))
    assert GuestbookEntry.objects.get().visitor_id == whatsapp.pk


def test_get_of_another_visitors_link_merges_nothing_and_asks(client: Client, office_5102: Office) -> None:
    """The takeover of issue 11: a GET of someone else's link used to merge the browser's visitor (and their
    consultation) into the link's owner."""
    victim = Visitor.objects.create(name="Korban", email="korban@example.test")
    _browser_as(client, victim)
    consultation = Consultation.objects.create(office=office_5102, visitor=victim, channel="livechat_website")
    attacker = identify(wa_id="6289999999999", name="Penyerang", by=ChannelActor("whatsapp"))

    response = client.get(_path(signing.guestbook_url(attacker, office_5102)))
    assert response.status_code == 302 and response["Location"].startswith("/bukutamu/5102/tautan/")
    assert "t=" not in response["Location"]
    assert VisitorMerge.objects.count() == 0
    assert Visitor.objects.get(pk=victim.pk).merged_into_id is None
    consultation.refresh_from_db()
    assert consultation.visitor_id == victim.pk
    assert client.session[SESSION_VISITOR] == str(victim.public_id)

    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "Lanjutkan sebagai Penyerang" in text and "Tetap sebagai Korban" in text
    assert "k•••@example.test" in text and "korban@example.test" not in text and "+6289•••999" in text
    assert 'name="csrfmiddlewaretoken"' in text
    # Another GET (a prefetch, a crawler) still changes nothing.
    client.get(response["Location"])
    assert VisitorMerge.objects.count() == 0

    assert client.post("/bukutamu/5102/tautan/", {"choice": "stay"}).status_code == 302
    assert client.session[SESSION_VISITOR] == str(victim.public_id)
    assert VisitorMerge.objects.count() == 0
    # The choice is spent: the page goes back to the form.
    assert client.get("/bukutamu/5102/tautan/")["Location"].startswith("/bukutamu/5102/?")


def test_link_choice_switch_changes_the_browser_only(client: Client, office_5102: Office) -> None:
    web = Visitor.objects.create(name="Web")
    _browser_as(client, web)
    whatsapp = identify(wa_id="6281234567890", name="Wa", by=ChannelActor("whatsapp"))
    consultation = Consultation.objects.create(office=office_5102, visitor=web, channel="livechat_website")
    client.get(_path(signing.guestbook_url(whatsapp, office_5102)))
    response = client.post("/bukutamu/5102/tautan/", {"choice": "switch"})
    assert response.status_code == 302
    assert client.session[SESSION_VISITOR] == str(whatsapp.public_id)
    assert VisitorMerge.objects.count() == 0
    consultation.refresh_from_db()
    assert consultation.visitor_id == web.pk


def test_link_choice_merge_needs_the_post_and_is_audited(client: Client, office_5102: Office) -> None:
    from pstdesk.audit.models import AuditLog

    web = Visitor.objects.create(name="Web")
    _browser_as(client, web)
    whatsapp = identify(wa_id="6281234567890", name="Wa", by=ChannelActor("whatsapp"))
    consultation = Consultation.objects.create(office=office_5102, visitor=web, channel="livechat_website")
    client.get(_path(signing.guestbook_url(whatsapp, office_5102, consultation.pk)))
    assert client.post("/bukutamu/5102/tautan/", {"choice": "nonsense"}).status_code == 400
    assert VisitorMerge.objects.count() == 0

    response = client.post("/bukutamu/5102/tautan/", {"choice": "merge"})
    assert response.status_code == 302
    assert client.session[SESSION_VISITOR] == str(whatsapp.public_id)
    merge = VisitorMerge.objects.get()
    assert (merge.source_id, merge.target_id, merge.reason) == (web.pk, whatsapp.pk, "signed_link")
    assert merge.merged_by_label == f"visitor:{web.pk}"
    consultation.refresh_from_db()
    assert consultation.visitor_id == whatsapp.pk
    assert AuditLog.objects.filter(verb="visitor.merged", subject_id=str(whatsapp.pk)).count() == 1


def test_link_choice_post_needs_csrf(office_5102: Office) -> None:
    client = Client(enforce_csrf_checks=True)
    web = Visitor.objects.create(name="Web")
    _browser_as(client, web)
    whatsapp = identify(wa_id="6281234567890", by=ChannelActor("whatsapp"))
    client.get(_path(signing.guestbook_url(whatsapp, office_5102)))
    assert client.post("/bukutamu/5102/tautan/", {"choice": "merge"}).status_code == 403
    assert VisitorMerge.objects.count() == 0


@pytest.mark.parametrize("token", ["nonsense", "other-office", "other-purpose"])
def test_bad_links_answer_404(client: Client, office_5102: Office, office_5101: Office, token: str) -> None:
    visitor = Visitor.objects.create()
    value = {
        "nonsense": "abc",
        "other-office": signing.guestbook_token(visitor, office_5101),
        "other-purpose": signing.visitor_token(visitor),
    }[token]
    assert client.get(f"/bukutamu/5102/?t={value}").status_code == 404
    assert client.get("/bukutamu/9999/").status_code == 404


def test_privacy_notice_in_both_languages(client: Client, db: None) -> None:
    page = client.get("/privasi/").content.decode()
    assert PRIVACY_NOTICE_VERSION in page
    assert "27 Tahun 2022" in page and "3 × 24 jam" in page and "Hak Anda" in page
    assert "Law No. 27 of 2022" in page and "Your rights" in page and "Retention" in page


# --- JSON for the widget ---------------------------------------------------------------------------------------


def _post(client: Client, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(data), content_type="application/json")


def test_api_lists_code_lists(client: Client, office_5102: Office) -> None:
    data = client.get("/bukutamu/api/5102/").json()
    assert data["notice_version"] == PRIVACY_NOTICE_VERSION
    assert data["code_lists"]["occupation"]["version"] == 1
    assert data["code_lists"]["occupation"]["items"][-1] == {
        "code": "7",
        "label": {"id": "Lainnya", "en": "Other"},
        "requires_text": True,
    }


def test_api_fill_and_verify(client: Client, office_5102: Office) -> None:
    body = {**guestbook_data(disability=True, disability_kinds=["2"]), "consent": True}
    response = _post(client, "/bukutamu/api/5102/", body)
    assert response.status_code == 201, response.content
    answer = response.json()
    visitor = Visitor.objects.get(public_id=answer["visitor"])
    assert GuestbookEntry.objects.get().disability_kinds == ["2"]
    assert answer["email_verified"] is False

    token = answer["visitor_token"]
    sent = _post(client, "/bukutamu/api/5102/verifikasi/", {"visitor_token": token, "action": "send"})
    assert sent.status_code == 200
    code = re.search(r"\b(\d{8})\b", str(mail.outbox[-1].body)).group(1)  # type: ignore[union-attr]
    done = _post(client, "/bukutamu/api/5102/verifikasi/", {"visitor_token": token, "action": "verify", "code": code})
    assert done.status_code == 200 and done.json()["email_verified"] is True
    visitor.refresh_from_db()
    assert visitor.email_verified_at is not None


def test_api_refuses_bad_input_with_field_errors(client: Client, office_5102: Office) -> None:
    response = _post(
        client, "/bukutamu/api/5102/?lang=en", {**guestbook_data(sex="5", whatsapp="x1"), "consent": False}
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"consent", "sex", "whatsapp"} <= set(errors)
    assert "Not a valid WhatsApp number" in errors["whatsapp"] or "WhatsApp" in errors["whatsapp"]
    assert Visitor.objects.count() == 0
    assert client.post("/bukutamu/api/5102/", "{", content_type="application/json").status_code == 400
    forged = _post(client, "/bukutamu/api/5102/verifikasi/", {"visitor_token": "x", "action": "send"})
    assert forged.status_code == 404
