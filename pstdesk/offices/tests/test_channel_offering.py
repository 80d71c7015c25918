"""Each office serves only the channels its service standard offers (issue 12, item 1).

Seed sentences checked: Jembrana (5101) "mengajukan permintaan layanan konsultasi melalui WhatsApp, atau email" —
no LiveChat, no PST From Anywhere; Tabanan (5102) offers WhatsApp, the website LiveChat and PST From Anywhere,
and no e-mail.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.channels.email.models import Mailbox
from pstdesk.offices.actions import StandardError, revise_standard
from pstdesk.offices.models import ChannelAccount, Office
from pstdesk.offices.offering import channel_terms, offered_channels
from pstdesk.testing.identities import set_whatsapp_account, whatsapp_ids

pytestmark = pytest.mark.django_db


def test_seed_channels_are_the_standards() -> None:
    assert offered_channels(Office.objects.get(code="5101")) == ["whatsapp", "email"]
    assert offered_channels(Office.objects.get(code="5102")) == ["whatsapp", "livechat_website", "livechat_pfa"]


def test_pfa_page_of_jembrana_is_404_and_tabanan_is_served(client: Client) -> None:
    assert client.get("/pfa/5101/").status_code == 404
    assert client.get("/pfa/5102/").status_code == 200


def test_jembrana_widget_is_hidden_and_refused(client: Client) -> None:
    # The loader asks before it shows the launcher: 404 for Jembrana, 204 (any origin may read it) for Tabanan.
    assert client.get("/widget/5101/available/").status_code == 404
    ok = client.get("/widget/5102/available/")
    assert ok.status_code == 204 and ok["Access-Control-Allow-Origin"] == "*"
    source = client.get("/widget.js").content.decode()
    assert "/available/" in source and "response.ok" in source
    # The frame and every JSON endpoint of the widget answer 404 as for an unknown office.
    assert client.get("/widget/5101/frame/").status_code == 404
    for endpoint in ("state/", "prechat/", "offline/", "verify/start/"):
        assert client.post(f"/widget/5101/api/{endpoint}", {}).status_code == 404, endpoint
    assert client.post("/widget/5102/api/state/", {}).status_code != 404


def test_a_revision_that_adds_livechat_opens_the_widget(client: Client, admin_5101: User) -> None:
    office = Office.objects.get(code="5101")
    revise_standard(office, by=admin_5101, changes={"channels": ["whatsapp", "email", "livechat_pfa"]}, note="PFA")
    assert client.get("/pfa/5101/").status_code == 200
    assert client.get("/widget/5101/frame/").status_code == 404  # PFA only, not the website LiveChat


def test_whatsapp_number_of_an_office_without_whatsapp_is_refused_with_the_reason(admin_5102: User) -> None:
    Office.objects.filter(code="5102").update(whatsapp_number="")
    set_whatsapp_account("5102", None)
    office = Office.objects.get(code="5102")
    revise_standard(office, by=admin_5102, changes={"channels": ["livechat_website", "livechat_pfa"]}, note="x")
    office.whatsapp_number = "085173215102"
    with pytest.raises(ValidationError) as refused:
        office.full_clean()
    errors = refused.value.message_dict
    assert set(errors) == {"whatsapp_number"}
    account = ChannelAccount(office=office, kind="whatsapp", external_key="999")
    with pytest.raises(ValidationError) as refused:
        account.full_clean()
    reason = refused.value.message_dict["office"][0]
    assert reason == errors["whatsapp_number"][0]
    assert "tidak menawarkan kanal WhatsApp" in reason and "versi 2" in reason
    assert "LiveChat di website kantor, LiveChat PST From Anywhere" in reason
    Office.objects.get(code="5101").full_clean()  # Jembrana offers WhatsApp: its number is fine


def test_mailbox_of_an_office_without_email_is_refused_with_the_reason() -> None:
    mailbox = Mailbox(
        office_id="5102", kind="email", external_key="pst5102@bps.go.id", config={"imap_user": "pst5102@bps.go.id"}
    )
    with pytest.raises(ValidationError) as refused:
        mailbox.full_clean()
    assert "tidak menawarkan kanal E-mail" in refused.value.message_dict["office"][0]
    Mailbox(office_id="5101", kind="email", external_key="other5101@bps.go.id").clean()  # Jembrana offers e-mail


def test_admin_refuses_a_mailbox_for_tabanan(client: Client) -> None:
    superuser = User.objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(superuser)
    response = client.post(
        "/admin/offices/channelaccount/add/",
        {
            "office": "5102",
            "kind": "email",
            "external_key": "pst5102@bps.go.id",
            "config": json.dumps(
                {
                    "imap_host": "imap.example.test",
                    "imap_port": 993,
                    "imap_security": "tls",
                    "imap_folder": "INBOX",
                    "smtp_host": "smtp.example.test",
                    "smtp_port": 587,
                    "smtp_security": "starttls",
                }
            ),
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # the form again, with the reason
    assert "tidak menawarkan kanal E-mail" in response.content.decode()
    assert not Mailbox.objects.filter(office_id="5102").exists()


def _channel_names(html: str, code: str) -> list[str]:
    card = html.split(f'id="office-{code}"', 1)[1].split("</li>\n{% empty", 1)[0]
    card = card.split('<li class="card"', 1)[0]
    return re.findall(r'class="channel channel-([a-z_]+)"', card)


def test_home_lists_exactly_the_offered_channels(client: Client) -> None:
    html = client.get("/").content.decode()
    assert _channel_names(html, "5101") == ["whatsapp", "email"]
    assert _channel_names(html, "5102") == ["whatsapp", "livechat_website", "livechat_pfa"]
    assert 'href="/pfa/5101/"' not in html


def test_channel_terms_say_where_the_deadline_is_the_standards() -> None:
    jembrana = Office.objects.get(code="5101").standard
    tabanan = Office.objects.get(code="5102").standard
    assert jembrana is not None and tabanan is not None
    assert channel_terms(jembrana, "email").sla_stated is True
    assert channel_terms(jembrana, "whatsapp").sla_stated is False  # an office target, not the standard's
    assert all(channel_terms(tabanan, c).sla_stated for c in tabanan.channels)
    assert channel_terms(jembrana, "whatsapp").service_hours["mon"] == ["08:00", "15:30"]


def test_admin_page_refuses_a_whatsapp_number_for_an_office_without_whatsapp(client: Client, admin_5102: User) -> None:
    from pstdesk.offices.tests.test_admin_structured import form_values

    Office.objects.filter(code="5102").update(whatsapp_number="")
    set_whatsapp_account("5102", None)
    office = Office.objects.get(code="5102")
    revise_standard(office, by=admin_5102, changes={"channels": ["livechat_website", "livechat_pfa"]}, note="x")
    superuser = User.objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(superuser)
    url = "/admin/offices/office/5102/change/"
    data = form_values(client.get(url).content.decode(), "office_form")
    data.update({"whatsapp_number": "085173215102"})
    response = client.post(url, data)
    assert response.status_code == 200  # the form again, with the reason on the number
    body = response.content.decode()
    assert body.count("tidak menawarkan kanal WhatsApp") == 1 and "versi 2" in body
    office.refresh_from_db()
    assert office.whatsapp_number == "" and whatsapp_ids("5102")[0] is None
    # The WhatsApp account (phone_number_id) is refused on its own admin page, with the same reason.
    account = {"office": "5102", "kind": "whatsapp", "external_key": "105102", "config": "{}", "is_active": "on"}
    refused = client.post("/admin/offices/channelaccount/add/", account)
    assert refused.status_code == 200 and "tidak menawarkan kanal WhatsApp" in refused.content.decode()
    assert whatsapp_ids("5102")[0] is None
    data.update({"whatsapp_number": ""})
    assert client.post(url, data).status_code == 302  # without them the office saves


def test_a_channel_leaves_the_standard_only_once_nothing_receives_on_it(admin_5101: User, admin_5102: User) -> None:
    tabanan = Office.objects.get(code="5102")
    assert whatsapp_ids(tabanan.code)[0]  # its WhatsApp account (the demo seed of the tests)
    with pytest.raises(StandardError, match="nomor/akun WhatsApp kantor"):
        revise_standard(tabanan, by=admin_5102, changes={"channels": ["livechat_website", "livechat_pfa"]}, note="x")
    jembrana = Office.objects.get(code="5101")
    assert Mailbox.objects.filter(office=jembrana, is_active=True).exists()
    with pytest.raises(StandardError, match="kotak surat e-mail yang aktif"):
        revise_standard(jembrana, by=admin_5101, changes={"channels": ["whatsapp"]}, note="tanpa e-mail")
    assert offered_channels(jembrana) == ["whatsapp", "email"]  # nothing published
    Mailbox.objects.filter(office=jembrana).update(is_active=False)
    revise_standard(jembrana, by=admin_5101, changes={"channels": ["whatsapp"]}, note="tanpa e-mail")
    assert offered_channels(Office.objects.get(code="5101")) == ["whatsapp"]


def test_admin_standard_form_refuses_to_drop_a_channel_still_set_up(client: Client) -> None:
    from pstdesk.offices.tests.test_admin_structured import form_values

    client.force_login(User.objects.create_superuser("root", "root@example.test", "pw"))
    standard = Office.objects.get(code="5101").standard
    assert standard is not None
    url = f"/admin/offices/servicestandard/{standard.pk}/change/"
    data = form_values(client.get(url).content.decode(), "servicestandard_form")
    rows = {k: v for k, v in data.items() if k.startswith("channels-") and k.endswith("-value")}
    assert sorted(rows.values()) == ["email", "whatsapp"]
    email_row = next(k for k, v in rows.items() if v == "email")
    data[email_row] = ""  # the e-mail row removed
    data[email_row.replace("-value", "-DELETE")] = "on"
    data["change_note"] = "tanpa e-mail"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "kotak surat e-mail yang aktif" in response.content.decode()
    assert Office.objects.get(code="5101").standard.version == standard.version  # nothing published


@pytest.mark.django_db(transaction=True)
def test_the_widget_socket_of_an_office_without_livechat_is_refused() -> None:
    """`ws/widget/<office>/` (the frame's and the PFA page's socket): refused for Jembrana, accepted for Tabanan."""
    from asgiref.sync import async_to_sync

    from pstdesk.channels.web.tests.conftest import communicator

    async def scenario() -> list[bool]:
        accepted = []
        for code in ("5101", "5102"):
            comm = communicator(code, origin="http://testserver")
            connected, _ = await comm.connect()
            accepted.append(connected)
            await comm.disconnect()
        return accepted

    assert async_to_sync(scenario)() == [False, True]


def test_admin_shows_the_channels_own_checks_of_an_account(client: Client) -> None:
    set_whatsapp_account("5101", None)
    client.force_login(User.objects.create_superuser("root", "root@example.test", "pw"))
    url = "/admin/offices/channelaccount/add/"
    account = {"office": "5101", "kind": "whatsapp", "external_key": "nomor-saya", "config": "{}", "is_active": "on"}
    refused = client.post(url, account)
    assert refused.status_code == 200 and "phone_number_id WhatsApp berupa angka" in refused.content.decode()
    refused = client.post(url, {**account, "external_key": "105101", "config": '{"waba": "1"}'})
    assert refused.status_code == 200 and "Kunci konfigurasi WhatsApp tidak dikenal: waba" in refused.content.decode()
    assert whatsapp_ids("5101") == (None, "")
    accepted = client.post(url, {**account, "external_key": " 105101 ", "config": '{"business_account_id": "205101"}'})
    assert accepted.status_code == 302
    assert whatsapp_ids("5101") == ("105101", "205101")  # the key as the channel normalised it
