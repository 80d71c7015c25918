# PostgreSQL's GIN indexes of the knowledge app without their "pending list" (fastupdate). With it, the rows a bulk
# load writes (all 2,710 KBLI entries at migrate) wait in an unsorted list that every search reads through until a
# VACUUM merges it: a KBLI search then took 25-50 ms in the index, and the planner, costing that list, chose to read
# the whole table instead (30-60 ms) over the index (0.5 ms once merged). These tables are written rarely (reference
# data, articles) or a row at a time (messages), so each write goes straight into the index.

from django.db import migrations

INDEXES = ["knowledge_entry_search", "knowledge_article_search", "knowledge_message_search"]


def without_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        schema_editor.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")


def with_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"ALTER INDEX {name} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_past_consultation_search_index")]

    operations = [migrations.RunPython(without_pending_list, with_pending_list)]
