"""Scratch probe (not a test): query counts and profile of the hot paths."""
from __future__ import annotations

import cProfile
import hashlib
import hmac
import json
import pstats
import time
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.channels.web import chat
from pstdesk.channels.web.actions import open_widget_session
from pstdesk.consultations.tests.conftest import complete_requirements
from pstdesk.guestbook.actions import identify_visitor


def _show(ctx, label):
    print(f"\n=== {label}: {len(ctx.captured_queries)} queries")
    for q in ctx.captured_queries:
        print("  ", q["sql"][:220])


@pytest.mark.django_db(transaction=True)
def test_probe_widget(office_5102, officer_5102, django_capture_on_commit_callbacks):
    visitor = identify_visitor(name="Putu", email="putu@example.test", by="channel:test")
    complete_requirements(visitor, "5102")
    session, token = open_widget_session(office_5102, visitor, by="x", ip="127.0.0.1")
    sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo")
    c = sent.consultation
    c.refresh_from_db()
    from pstdesk.consultations.actions import claim_consultation
    if c.assigned_to_id is None:
        claim_consultation(c, by=officer_5102)
    c.refresh_from_db()
    print("status", c.status, "assigned", c.assigned_to_id, "req", c.requirements_complete_at)
    from pstdesk.channels.web.models import WidgetSession
    session = WidgetSession.objects.select_related("visitor", "office").get(pk=session.pk)
    with CaptureQueriesContext(connection) as ctx:
        sent = chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo lagi")
    _show(ctx, "submit_message common case")
    with CaptureQueriesContext(connection) as ctx:
        chat.replay(session, c.pk, sent.message.seq - 1)
    _show(ctx, "replay")
    t = time.perf_counter()
    n = 200
    for _ in range(n):
        chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo lagi")
    print(f"\nsubmit_message: {(time.perf_counter() - t) / n * 1000:.2f} ms each")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(100):
        chat.submit_message(session, channel="livechat_website", client_id=uuid.uuid4(), body="Halo lagi")
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


def _payload(wamid, wa_id="6281200000001"):
    return json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": "5102000", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "6285173215102", "phone_number_id": "105102"},
            "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())), "type": "text",
                          "text": {"body": "Mohon data penduduk"}}]}}]}],
    }).encode()


@pytest.mark.django_db(transaction=True)
def test_probe_whatsapp(office_5102, settings, client):
    settings.WHATSAPP_APP_SECRET = "s"
    from pstdesk.offices.models import Office
    print("pnid", Office.objects.get(code="5102").whatsapp_phone_number_id)

    def post(raw):
        sig = "sha256=" + hmac.new(b"s", raw, hashlib.sha256).hexdigest()
        return client.post("/channels/whatsapp/webhook", data=raw, content_type="application/json",
                           HTTP_X_HUB_SIGNATURE_256=sig)

    r = post(_payload("wamid.first"))
    assert r.status_code == 200, r.content
    with CaptureQueriesContext(connection) as ctx:
        r = post(_payload("wamid.second"))
    assert r.status_code == 200
    _show(ctx, "webhook second message (known visitor, bench shape)")
    t = time.perf_counter()
    for i in range(100):
        post(_payload(f"wamid.x{i}"))
    print(f"\nwebhook: {(time.perf_counter() - t) / 100 * 1000:.2f} ms each")
    prof = cProfile.Profile()
    prof.enable()
    for i in range(100):
        post(_payload(f"wamid.y{i}"))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
