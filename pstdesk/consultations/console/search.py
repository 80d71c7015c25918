"""The console's search: messages by full text, visitors by name, e-mail and number, PST numbers, all within the
officer's offices (`consultations_for`).

The text match runs in the database: PostgreSQL full-text search (`to_tsvector('simple', body)`, GIN-indexed by
migration 0005) or SQLite FTS5 (the `consultations_message_fts` table, kept by triggers). Every word of the query
must occur, each as a prefix ("ipm tab" finds "IPM Tabanan"). The 'simple' configuration, not 'indonesian':
PostgreSQL ships no Indonesian stemmer, and statistics vocabulary (IPM, PDRB, kode KBLI) must match as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection as default_connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from pstdesk.consultations.access import consultations_for
from pstdesk.consultations.models import Message, MessageKind
from pstdesk.consultations.serializers import PRIVATE_TO_VISITOR

FTS_TABLE = "consultations_message_fts"
PG_INDEX = "consultations_message_body_fts"
MAX_RESULTS = 50
MAX_WORDS = 8
# Words are letters and digits (any script); everything else separates them and never reaches the query syntax.
WORD = re.compile(r"\w+", re.UNICODE)
PST_NUMBER = re.compile(r"^\s*(?:pst\s*#?\s*)?(\d{1,12})\s*$", re.IGNORECASE)


def install_index(connection: Any) -> None:
    """Create the full-text index of message bodies for this database (used by migration 0005)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON consultations_message "
                "USING gin (to_tsvector('simple', body))"
            )
        elif connection.vendor == "sqlite":
            install_sqlite_fts(cursor)


def install_sqlite_fts(cursor: Any) -> None:
    """The FTS5 table over `consultations_message.body`, its triggers, and a rebuild from the rows there."""
    cursor.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, content='consultations_message', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    cursor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON consultations_message BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END"
    )
    cursor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON consultations_message BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); END"
    )
    cursor.execute(
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF body ON consultations_message BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) VALUES ('delete', old.id, old.body); "
        f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.id, new.body); END"
    )
    cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def remove_index(connection: Any) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
        elif connection.vendor == "sqlite":
            for suffix in ("ai", "ad", "au"):
                cursor.execute(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def words_of(query: str) -> list[str]:
    return [w.lower() for w in WORD.findall(query or "")][:MAX_WORDS]


def _message_match(words: list[str]) -> RawSQL:
    """Ids of messages whose body holds every word as a prefix, by the database's full-text index."""
    if default_connection.vendor == "postgresql":
        # to_tsquery syntax built from \w+ words only: nothing of the user's input is query syntax.
        expression = " & ".join(f"{w}:*" for w in words)
        return RawSQL(
            "SELECT id FROM consultations_message WHERE to_tsvector('simple', body) @@ to_tsquery('simple', %s)",
            [expression],
        )
    if default_connection.vendor == "sqlite":
        expression = " ".join(f'"{w}"*' for w in words)  # quoted strings: FTS5 operators in the input are text
        return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])
    raise NotImplementedError(f"full-text search on {default_connection.vendor}")


@dataclass(frozen=True)
class Hit:
    consultation: int
    visitor_name: str
    channel: str
    status: str
    kind: str  # "message" | "visitor" | "number"
    text: str
    seq: int | None

    @property
    def url(self) -> str:
        return f"/console/{self.consultation}/" + (f"#m{self.seq}" if self.seq else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "consultation": self.consultation,
            "visitor_name": self.visitor_name,
            "channel": self.channel,
            "status": self.status,
            "kind": self.kind,
            "text": self.text,
            "seq": self.seq,
            "url": self.url,
        }


def _snippet(body: str, words: list[str], width: int = 140) -> str:
    lowered = body.lower()
    at = min((i for i in (lowered.find(w) for w in words) if i >= 0), default=0)
    start = max(0, at - width // 3)
    text = body[start : start + width].replace("\n", " ")
    return ("…" if start else "") + text + ("…" if start + width < len(body) else "")


def search(user: Any, query: str) -> list[Hit]:
    """Up to MAX_RESULTS hits for `query` in `user`'s offices: a PST number first, then visitors whose name,
    e-mail or WhatsApp number matches, then messages (newest first). Three queries at most."""
    words = words_of(query)
    if not words:
        return []
    scope = consultations_for(user)
    hits: list[Hit] = []
    number = PST_NUMBER.match(query)
    visitor_q = Q()
    for word in words:
        visitor_q &= (
            Q(visitor__name__icontains=word) | Q(visitor__email__icontains=word) | Q(visitor__whatsapp__icontains=word)
        )
    if number:
        visitor_q |= Q(pk=int(number.group(1)))
    rows = scope.filter(visitor_q).select_related("visitor").order_by("-created_at", "-pk")[:MAX_RESULTS]
    for c in rows:
        is_number = bool(number) and c.pk == int(number.group(1))  # type: ignore[union-attr]
        contact = " · ".join(x for x in (c.visitor.email, c.visitor.whatsapp) if x)
        hits.append(Hit(c.pk, str(c.visitor), c.channel, c.status, "number" if is_number else "visitor", contact, None))
    hits.sort(key=lambda h: h.kind != "number")
    messages = (
        Message.objects.filter(consultation__in=scope, pk__in=_message_match(words))
        .exclude(body="")
        .exclude(payload__has_key=PRIVATE_TO_VISITOR)  # staff never read a text private to the visitor
        .select_related("consultation__visitor")
        .order_by("-created_at", "-pk")[: MAX_RESULTS - len(hits)]
    )
    for m in messages:
        c = m.consultation
        hits.append(
            Hit(
                c.pk,
                str(c.visitor),
                c.channel,
                c.status,
                "note" if m.kind == MessageKind.NOTE else "message",
                _snippet(m.body, words),
                m.seq,
            )
        )
    return hits
