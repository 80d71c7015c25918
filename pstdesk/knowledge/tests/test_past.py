"""Similar closed consultations (the console's suggestions): found by the database's full-text search over the
stored index of the visitors' messages (PostgreSQL GIN expression index, SQLite FTS5 kept by triggers), accents
and case ignored, only closed consultations of the same office, in a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pstdesk.consultations.models import Consultation, Message, Status
from pstdesk.guestbook.models import Visitor
from pstdesk.knowledge import past
from pstdesk.knowledge.queries import suggestions_for
from pstdesk.knowledge.text import terms

pytestmark = pytest.mark.django_db


def consultation(office: str, *questions: str, status: str = Status.CLOSED) -> Consultation:
    visitor = Visitor.objects.create(name="Made", email=f"m{Consultation.objects.count()}@example.test")
    row = Consultation.objects.create(office_id=office, visitor=visitor, channel="whatsapp", title=questions[0][:60])
    for seq, body in enumerate(questions, start=1):
        Message.objects.create(consultation=row, seq=seq, direction="in", channel="whatsapp", body=body)
    Consultation.objects.filter(pk=row.pk).update(status=status)
    return row


def similar(office: str, text: str, **kwargs: Any) -> list[int]:
    return [c.pk for c, _score in past.similar_closed(office, terms(text, drop_stopwords=True), **kwargs)]


def test_accents_and_case_are_ignored_both_ways(office_5102: Any) -> None:
    accented = consultation("5102", "Data PENDUDUK kecamatan Pénébel tahun 2024?")
    plain = consultation("5102", "Berapa jumlah penduduk di Marga?")
    assert similar("5102", "penebel") == [accented.pk]
    assert similar("5102", "PÉNEBEL") == [accented.pk]
    assert set(similar("5102", "Penduduk")) == {accented.pk, plain.pk}
    # the best match first: both words beat one
    assert similar("5102", "penduduk pénébel")[0] == accented.pk


def test_only_closed_consultations_of_the_office_and_not_the_current_one(office_5102: Any, office_5101: Any) -> None:
    closed = consultation("5102", "tabel inflasi Tabanan")
    consultation("5101", "tabel inflasi Jembrana")
    reopened = consultation("5102", "tabel inflasi bulanan", status=Status.OPEN)
    assert similar("5102", "inflasi") == [closed.pk]
    assert similar("5102", "inflasi", exclude=closed.pk) == []
    Consultation.objects.filter(pk=reopened.pk).update(status=Status.CLOSED)
    assert set(similar("5102", "inflasi")) == {closed.pk, reopened.pk}


def test_the_index_follows_edits_and_deletions_of_messages(office_5102: Any) -> None:
    row = consultation("5102", "harga gabah kering panen")
    message = Message.objects.get(consultation=row)
    Message.objects.filter(pk=message.pk).update(body="[dihapus]")  # e.g. erased under the retention rules
    assert similar("5102", "gabah") == []
    Message.objects.filter(pk=message.pk).update(body="harga beras medium")
    assert similar("5102", "beras") == [row.pk]
    Message.objects.create(consultation=row, seq=2, direction="out", channel="whatsapp", body="harga cabai rawit")
    assert similar("5102", "cabai") == []  # the officer's words are not the visitor's question
    Message.objects.filter(consultation=row).delete()
    assert similar("5102", "beras") == []


def test_the_query_count_does_not_grow_with_the_number_of_past_consultations(office_5102: Any) -> None:
    current = consultation("5102", "Saya perlu tabel penduduk per desa", status=Status.OPEN)
    consultation("5102", "tabel penduduk kecamatan")

    def count() -> tuple[int, int]:
        fresh = Consultation.objects.select_related("office").get(pk=current.pk)
        with CaptureQueriesContext(connection) as captured:
            found = suggestions_for(fresh)
        return len(captured), len(found.similar)

    few = count()
    for n in range(6):
        consultation("5102", f"tabel penduduk desa {n}", f"dan tabel penduduk menurut umur {n}")
    many = count()
    assert few[1] == 1 and many[1] == 5
    assert few[0] == many[0]


def test_the_stored_index_answers_the_query(office_5102: Any) -> None:
    """The ranking query is the one the index serves (PostgreSQL: the GIN expression index, even when the planner
    is told to avoid scans; SQLite: the FTS5 table, filled by the triggers whoever wrote the message)."""
    row = consultation("5102", "ekspor kopi robusta")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM consultations_message m WHERE "
                "to_tsvector('simple'::regconfig, knowledge_fold(m.body)) @@ to_tsquery('simple', 'robusta:*') "
                "AND m.direction = 'in' AND m.kind = 'message'"
            )
            plan = "\n".join(line for (line,) in cursor.fetchall())
            assert "knowledge_message_search" in plan, plan
        else:
            cursor.execute(f"SELECT rowid FROM {past.FTS} WHERE {past.FTS} MATCH 'robusta'")
            assert [r for (r,) in cursor.fetchall()] == list(
                Message.objects.filter(consultation=row).values_list("pk", flat=True)
            )
    assert similar("5102", "robusta") == [row.pk]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite keeps the index with triggers")
def test_lost_triggers_are_put_back_and_the_index_refilled(office_5102: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {past.FTS}_ai")
    row = consultation("5102", "luas panen jagung")  # written while the trigger is missing
    assert similar("5102", "jagung") == []
    assert past.ensure_message_index() is True
    assert similar("5102", "jagung") == [row.pk]
    assert past.ensure_message_index() is False
