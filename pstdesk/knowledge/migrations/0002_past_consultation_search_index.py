# The stored full-text index of what visitors asked (their inbound messages), for the console's "similar closed
# consultations" (see pstdesk/knowledge/past.py). It indexes another app's table, so it is SQL kept here:
# - PostgreSQL: an accent-free, lower-case tsvector of each inbound message as a GIN expression index (partial: only
#   the visitors' messages). `knowledge_fold` is IMMUTABLE so it may sit in an index; it needs no extension.
# - SQLite: an FTS5 table (rowid = the message's id; unicode61 removes accents and folds case). The triggers that
#   keep it, and its first filling, come from `past.ensure_message_index` after every migrate: a later migration
#   that rebuilds the message table (SQLite's ALTER TABLE does) drops triggers, and that puts them back.

from django.db import migrations

ACCENTED = "ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖØòóôõöøÙÚÛÜùúûüÝýÿÑñÇç"
PLAIN = "AAAAAAaaaaaaEEEEeeeeIIIIiiiiOOOOOOooooooUUUUuuuuYyyNnCc"

CREATE = {
    "postgresql": [
        "CREATE OR REPLACE FUNCTION knowledge_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT lower(translate($1, '{ACCENTED}', '{PLAIN}')) $$",
        "CREATE INDEX knowledge_message_search ON consultations_message "
        "USING gin (to_tsvector('simple'::regconfig, knowledge_fold(body))) "
        "WHERE direction = 'in' AND kind = 'message'",
    ],
    "sqlite": [
        "CREATE VIRTUAL TABLE knowledge_message_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')",
    ],
}
DROP = {
    "postgresql": ["DROP INDEX knowledge_message_search", "DROP FUNCTION knowledge_fold(text)"],
    "sqlite": [
        "DROP TRIGGER IF EXISTS knowledge_message_fts_ai",
        "DROP TRIGGER IF EXISTS knowledge_message_fts_ad",
        "DROP TRIGGER IF EXISTS knowledge_message_fts_au",
        "DROP TABLE knowledge_message_fts",
    ],
}


def create(apps, schema_editor):
    assert len(ACCENTED) == len(PLAIN)
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_classification_and_articles"),
        ("consultations", "0006_assignment_history"),
    ]

    operations = [migrations.RunPython(create, drop)]
