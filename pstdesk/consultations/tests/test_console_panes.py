"""The three-pane console's reads and writes below the browser: the list's order, preview and per-officer unread
counts (moved by a POST, never by a GET), the SLA in plain words that stops at the answer, the conversation
fragment, the visitor's earlier consultations, the topic required before answering, reopen, the officer's
preferences, and the full-text search within the officer's offices."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pstdesk.audit.models import AuditLog
from pstdesk.consultations.actions import add_note, receive_message
from pstdesk.consultations.console import search
from pstdesk.consultations.console.slatext import sla_text
from pstdesk.consultations.models import ConsolePreference, Consultation, Message, ReadCursor, Status
from pstdesk.consultations.tests.conftest import make_inbound
from pstdesk.consultations.tests.test_console_views import bulk_consultations, ready_consultation
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.workdays import WorkCalendar, parse_service_hours

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
WORKING_TIME = "2026-03-10 02:00:00+00:00"  # Tuesday 10:00 WITA


@pytest.fixture(autouse=True)
def _in_hours():
    with time_machine.travel(WORKING_TIME, tick=True):
        yield


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def write(office: str = "5102", **fields) -> Consultation:
    return Consultation.objects.get(pk=receive_message(make_inbound(office=office, **fields)).consultation.pk)


def rows(client, **params) -> list[dict]:
    return client.get("/console/rows/", {"queue": "office", **params}).json()["rows"]


# --- the list --------------------------------------------------------------------------------------------------


def test_unread_counts_are_per_officer_and_move_only_by_post(officer_5102, officer2_5102):
    c = write(sender_name="Putu", body="Data IPM?")
    write(sender_name="Putu", body="Dan PDRB?", sender_wa_id="6281234567890")  # same consultation
    ayu, made = client_for(officer_5102), client_for(officer2_5102)
    assert {r["id"]: r["unread"] for r in rows(ayu)}[c.pk] == 2

    # GETs of the list, the page, the fragment and the state write nothing
    for url in ("/console/rows/", f"/console/{c.pk}/", f"/console/{c.pk}/pane/", f"/console/{c.pk}/state/"):
        assert ayu.get(url).status_code == 200, url
    assert not ReadCursor.objects.exists()

    c.refresh_from_db()
    response = ayu.post(f"/console/{c.pk}/read/", {"up_to": str(c.last_seq)})
    assert response.status_code == 200 and response.json()["seen"] == c.last_seq
    assert {r["id"]: r["unread"] for r in rows(ayu)}[c.pk] == 0
    assert {r["id"]: r["unread"] for r in rows(made)}[c.pk] == 2  # another officer's count is their own

    # the cursor never moves back, and is capped at the last message
    ayu.post(f"/console/{c.pk}/read/", {"up_to": "1"})
    ayu.post(f"/console/{c.pk}/read/", {"up_to": "9999"})
    assert ReadCursor.objects.get(user=officer_5102, consultation=c).seq == c.last_seq
    assert ayu.post(f"/console/{c.pk}/read/", {"up_to": "x"}).status_code == 400

    # notes and the office's own replies are never unread
    add_note(c, by=officer2_5102, body="catatan")
    assert {r["id"]: r["unread"] for r in rows(ayu)}[c.pk] == 0
    write(sender_name="Putu", body="Halo?")
    assert {r["id"]: r["unread"] for r in rows(ayu)}[c.pk] == 1


def test_preview_is_the_last_message_of_a_person(officer_5102):
    c = write(sender_name="Putu", body="Saya perlu data IPM")
    add_note(c, by=officer_5102, body="catatan internal")
    row = {r["id"]: r for r in rows(client_for(officer_5102))}[c.pk]
    assert row["preview"] == "Saya perlu data IPM" and row["preview_direction"] == "in"
    assert row["waiting_since"] is not None  # nobody answered yet


def test_urgency_order_puts_overdue_first_then_the_nearest(officer_5102):
    now = datetime(2026, 3, 10, 10, tzinfo=WITA)
    visitors = Visitor.objects.bulk_create([Visitor(name=n) for n in ("later", "overdue", "soon", "none")])
    made = {}
    dues = (now + timedelta(days=3), now - timedelta(days=2), now + timedelta(hours=2), None)
    for v, due in zip(visitors, dues, strict=True):
        made[v.name] = Consultation.objects.create(
            office_id="5102", visitor=v, channel="email", status="open", due_at=due
        )
    client = client_for(officer_5102)
    assert [r["visitor_name"] for r in rows(client)] == ["overdue", "soon", "later", "none"]
    assert [r["visitor_name"] for r in rows(client, order="newest")] == ["none", "soon", "overdue", "later"]
    assert [r["visitor_name"] for r in rows(client, order="bogus")][0] == "overdue"  # unknown: the default
    words = {r["visitor_name"]: (r["sla_text"], r["sla_level"]) for r in rows(client)}
    assert words["overdue"] == ("lewat 2 hari kerja", "over")  # due Sunday 8 March: Monday and Tuesday since
    assert words["soon"] == ("jatuh tempo hari ini 12.00 WITA", "soon")
    assert words["later"] == ("jatuh tempo Jumat 10.00 WITA", "ok")
    assert words["none"] == ("belum berjalan", "none")


def test_list_queries_are_constant_at_10_and_10000(officer_5102):
    """The list (JSON and the page with it) and the conversation (page and pane): the same queries at 10 and
    10,000 consultations (and 500 more messages in the open one)."""
    c = ready_consultation()
    client = client_for(officer_5102)
    urls = [
        "/console/rows/?queue=office",
        "/console/",
        "/console/?queue=mine&order=newest",
        f"/console/{c.pk}/",
        f"/console/{c.pk}/pane/",
    ]
    for url in urls:
        client.get(url)

    def add(n: int) -> None:  # half overdue, half due later: every kind of row in both sizes
        bulk_consultations("5102", n // 2, assigned_to=officer_5102, due_at=datetime(2026, 3, 9, 16, tzinfo=WITA))
        bulk_consultations("5102", n // 2, assigned_to=officer_5102, due_at=datetime(2026, 3, 12, 16, tzinfo=WITA))

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries.captured_queries))
        return found

    add(10)
    small = counts()
    add(9_990)
    start = Consultation.objects.get(pk=c.pk).last_seq
    Message.objects.bulk_create(
        [
            Message(consultation=c, seq=start + i + 1, direction="in", channel="whatsapp", body=f"m{i}")
            for i in range(500)
        ]
    )
    Consultation.objects.filter(pk=c.pk).update(last_seq=start + 500)
    assert counts() == small
    # rows 7, list page 14, consultation page 34 (one more since the visitor's channel ids became identity rows),
    # pane 22 (with the side-panel tools: the library list is one query)
    assert max(small) <= 34


# --- the conversation and the side panel ----------------------------------------------------------------------


def test_pane_is_a_fragment_with_earlier_consultations_across_channels(officer_5102, officer_5101):
    c = ready_consultation()
    c.visitor.email = "putu@example.test"
    c.visitor.save()
    other = Visitor.objects.create(name="Putu (e-mail)", email="PUTU@example.test")
    earlier = Consultation.objects.create(office_id="5102", visitor=other, channel="email", status="closed")
    elsewhere = Consultation.objects.create(office_id="5101", visitor=other, channel="email", status="closed")
    html = client_for(officer_5102).get(f"/console/{c.pk}/pane/").content.decode()
    assert "<html" not in html and 'id="pane-config"' in html and 'id="side-tools"' in html
    assert f"PST#{earlier.pk}" in html and f"PST#{elsewhere.pk}</a>" not in html  # office isolation
    assert client_for(officer_5101).get(f"/console/{c.pk}/pane/").status_code == 404


def test_answer_needs_a_topic_and_refusing_writes_nothing(officer_5102, fake_adapter):
    c = ready_consultation()
    client = client_for(officer_5102)
    for verb, data in (("reply", {"body": "Jawaban", "answer": "1"}), ("answer", {})):
        response = client.post(f"/console/{c.pk}/{verb}/", data)
        assert response.status_code == 400 and "topik" in response.json()["error"]
    assert not Message.objects.filter(consultation=c, direction="out", is_automatic=False).exists()
    assert Consultation.objects.get(pk=c.pk).status == Status.OPEN
    client.post(f"/console/{c.pk}/topic/", {"topic": "data"})
    response = client.post(f"/console/{c.pk}/reply/", {"body": "Jawaban", "answer": "1"})
    assert response.json()["state"]["status"] == Status.ANSWERED
    assert response.json()["state"]["sla_level"] == "met"  # the clock stopped at the answer


def test_reopen_after_closing(officer_5101, fake_adapter):
    c = ready_consultation("5101")
    client = client_for(officer_5101)
    client.post(f"/console/{c.pk}/topic/", {"topic": "data"})
    client.post(f"/console/{c.pk}/answer/")
    assert client.post(f"/console/{c.pk}/close/").json()["state"]["status"] == Status.CLOSED
    state = client.post(f"/console/{c.pk}/reopen/").json()["state"]
    assert state["status"] == Status.NEW
    assert AuditLog.objects.filter(verb="consultation.reopened", subject_id=str(c.pk)).exists()
    assert client.post(f"/console/{c.pk}/reopen/").status_code == 409  # not closed any more


def test_preferences_are_the_officers_own_and_audited(officer_5102):
    client = client_for(officer_5102)
    assert client.get("/console/preferences/").status_code == 405  # a GET changes nothing
    response = client.post("/console/preferences/", {"muted": "1", "send_key": "ctrl_enter"})
    assert response.json() == {"prefs": {"muted": True, "sendKey": "ctrl_enter"}}
    pref = ConsolePreference.objects.get(user=officer_5102)
    assert pref.muted and pref.send_key == "ctrl_enter"
    assert AuditLog.objects.filter(verb="console.preferences", subject_id=str(pref.pk)).count() == 1
    bad = client.post("/console/preferences/", {"send_key": "space"})
    assert bad.status_code == 400 and "Tombol kirim" in bad.json()["error"]
    assert client.post("/console/preferences/", {"muted": "perhaps"}).status_code == 400
    assert ConsolePreference.objects.get(user=officer_5102).send_key == "ctrl_enter"


# --- search ----------------------------------------------------------------------------------------------------


def test_search_messages_names_emails_and_numbers_within_the_office(officer_5102, officer_5101):
    mine = write(sender_name="Ni Luh Sekar", body="Mohon data Indeks Pembangunan Manusia Tabanan")
    theirs = write(
        office="5101",
        sender_name="Ni Luh Sekar",
        body="Indeks Pembangunan Manusia Jembrana",
        sender_wa_id="6281999888777",
        sender_whatsapp="+6281999888777",
    )
    client = client_for(officer_5102)

    def hits(q: str) -> list[dict]:
        return client.get("/console/search/", {"q": q}).json()["results"]

    found = hits("pembangunan manu")  # every word, each as a prefix
    assert [(h["consultation"], h["kind"], h["seq"]) for h in found] == [(mine.pk, "message", 1)]
    assert found[0]["url"] == f"/console/{mine.pk}/#m1" and "Pembangunan" in found[0]["text"]
    assert {h["consultation"] for h in hits("sekar")} == {mine.pk}  # visitor name; 5101's is not shown
    assert {h["consultation"] for h in hits("6281234")} == {mine.pk}  # WhatsApp number
    assert hits(f"PST#{mine.pk}")[0]["kind"] == "number"
    assert hits(f"PST#{theirs.pk}") == []
    assert hits("jembrana") == []
    # query syntax in the input is text, never an error
    for q in ('"', "data*", "NEAR(a b)", "a:*|b", "' OR 1=1 --", ""):
        assert client.get("/console/search/", {"q": q}).status_code == 200
    # an erased or edited body leaves the index with it (the triggers / the expression index)
    Message.objects.filter(consultation=mine).update(body="dihapus")
    assert hits("pembangunan") == []


def test_search_runs_in_the_database(officer_5102):
    write(body="kemiskinan ekstrem")
    with CaptureQueriesContext(connection) as queries:
        assert search.search(officer_5102, "kemiskinan")
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert ("MATCH" in sql) if connection.vendor == "sqlite" else ("to_tsquery" in sql)
    assert len(queries.captured_queries) <= 3


# --- the SLA in words ------------------------------------------------------------------------------------------


CAL = WorkCalendar(
    zone=WITA,
    hours=parse_service_hours({k: ["08:00", "16:00"] for k in ("mon", "tue", "wed", "thu", "fri")}),
)


def test_sla_words_in_office_time_and_stopping_at_the_answer():
    now = datetime(2026, 3, 10, 9, tzinfo=WITA)  # Tuesday
    thursday = datetime(2026, 3, 12, 16, tzinfo=WITA)
    words = sla_text(due_at=thursday, answered_at=None, closed_at=None, now=now, cal=CAL)
    assert (words.text, words.level) == ("jatuh tempo Kamis 16.00 WITA", "ok")
    assert words.due == "Kamis, 12 Maret 2026 16.00 WITA"
    late = sla_text(due_at=thursday, answered_at=None, closed_at=None, now=now + timedelta(days=6), cal=CAL)
    assert late.text == "lewat 2 hari kerja"  # Thursday → Monday: Friday and Monday
    stopped = sla_text(
        due_at=thursday, answered_at=now + timedelta(days=6), closed_at=None, now=now + timedelta(days=30), cal=CAL
    )
    assert (stopped.text, stopped.level) == ("terjawab terlambat 2 hari kerja", "late")  # frozen at the answer
    kept = sla_text(due_at=thursday, answered_at=now, closed_at=now, now=now + timedelta(days=30), cal=CAL)
    assert (kept.text, kept.level) == ("terjawab tepat waktu", "met")
    hours = sla_text(due_at=thursday, answered_at=None, closed_at=None, now=thursday + timedelta(hours=3), cal=CAL)
    assert hours.text == "lewat 3 jam"
