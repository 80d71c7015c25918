"""Similar closed consultations: past questions of an office that share words with the one in front of the officer,
found by the database's full-text search over a stored index of the visitors' messages (migration 0002):

- PostgreSQL: a GIN expression index on `to_tsvector('simple', knowledge_fold(body))` of inbound messages
  (`knowledge_fold`: accents removed, lower case); the query repeats the indexed expression so the index answers it.
- SQLite: the FTS5 table `knowledge_message_fts` (rowid = message id, accents removed and case folded by its
  tokenizer), kept by triggers on the message table.

Either way one query ranks the matching messages and keeps the best per consultation (closed, of the office, not the
current one); a second one reads those consultations. Two queries, whatever the number of past consultations.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper

from pstdesk.consultations.models import Consultation, Status
from pstdesk.knowledge import fts

FTS = "knowledge_message_fts"
# The visitors' own words: inbound messages (not notes or events).
INBOUND = "direction = 'in' AND kind = 'message'"
TRIGGERS = {
    f"{FTS}_ai": f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON consultations_message "
    f"WHEN new.direction = 'in' AND new.kind = 'message' "
    f"BEGIN INSERT INTO {FTS}(rowid, body) VALUES (new.id, new.body); END",
    f"{FTS}_ad": f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON consultations_message "
    f"BEGIN DELETE FROM {FTS} WHERE rowid = old.id; END",
    f"{FTS}_au": f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF body, direction, kind ON consultations_message "
    f"BEGIN DELETE FROM {FTS} WHERE rowid = old.id; "
    f"INSERT INTO {FTS}(rowid, body) SELECT new.id, new.body WHERE new.direction = 'in' AND new.kind = 'message'; "
    "END",
}


def ensure_message_index(connection: BaseDatabaseWrapper | None = None) -> bool:
    """SQLite: put back the triggers that keep the message index when some are missing (created by the first
    migrate; dropped whenever a migration rebuilds the message table) and refill the index, since writes may have
    happened without them. True when it had to. PostgreSQL keeps its expression index by itself."""
    connection = connection or default_connection
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS])
        if cursor.fetchone() is None:  # migration 0002 not applied (yet)
            return False
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN (%s, %s, %s)", list(TRIGGERS))
        present = {row[0] for row in cursor.fetchall()}
        if present == set(TRIGGERS):
            return False
        for name, sql in TRIGGERS.items():
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {FTS}")
        cursor.execute(f"INSERT INTO {FTS}(rowid, body) SELECT id, body FROM consultations_message WHERE {INBOUND}")
    return True


def similar_closed(
    office_id: str, terms: Sequence[str], *, exclude: int | None = None, limit: int = 5
) -> list[tuple[Consultation, float]]:
    """Closed consultations of `office_id` whose visitor wrote any of `terms` (normalised words, see
    `text.terms`), best match first (the best of their messages; ties: the newest), without `exclude`."""
    if not terms:
        return []
    params: list[Any]
    if fts.is_postgres():
        sql = (
            "SELECT m.consultation_id, max(ts_rank(to_tsvector('simple'::regconfig, knowledge_fold(m.body)), q)) AS s "
            "FROM consultations_message m JOIN consultations_consultation c ON c.id = m.consultation_id, "
            "to_tsquery('simple'::regconfig, %s) q "
            "WHERE to_tsvector('simple'::regconfig, knowledge_fold(m.body)) @@ q "
            "AND m.direction = 'in' AND m.kind = 'message' "
            "AND c.office_id = %s AND c.status = %s AND c.id <> %s "
            "GROUP BY m.consultation_id ORDER BY s DESC, m.consultation_id DESC LIMIT %s"
        )
        params = [fts.tsquery_expr(terms, any_term=True)]
    else:
        # The match runs once, materialised, then joins (see fts.rank_indexed for why).
        sql = (
            f"WITH hit AS MATERIALIZED (SELECT rowid AS id, -bm25({FTS}) AS score FROM {FTS} WHERE {FTS} MATCH %s) "
            "SELECT m.consultation_id, max(hit.score) AS s FROM hit "
            "JOIN consultations_message m ON m.id = hit.id "
            "JOIN consultations_consultation c ON c.id = m.consultation_id "
            "WHERE c.office_id = %s AND c.status = %s AND c.id <> %s "
            "GROUP BY m.consultation_id ORDER BY s DESC, m.consultation_id DESC LIMIT %s"
        )
        params = [fts.fts5_expr(terms, any_term=True)]
    params += [office_id, Status.CLOSED, exclude or 0, limit]
    with default_connection.cursor() as cursor:
        cursor.execute(sql, params)
        ranked = [(int(pk), float(score)) for pk, score in cursor.fetchall()]
    rows = Consultation.objects.in_bulk([pk for pk, _s in ranked])
    return [(rows[pk], score) for pk, score in ranked if pk in rows]
