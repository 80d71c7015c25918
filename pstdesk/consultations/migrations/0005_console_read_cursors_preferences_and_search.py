"""The console's per-officer read cursors and preferences, and the full-text index over message bodies.

The index is the database's own: on PostgreSQL a GIN index over `to_tsvector('simple', body)` (the expression
`console.search` queries, so the planner uses it); on SQLite an external-content FTS5 table kept in step by three
triggers and filled once here. Note for later migrations of `consultations_message` on SQLite: a migration that
remakes the table drops its triggers; run `search.install_sqlite_fts` again after such a migration.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def install_search(apps: Any, schema_editor: Any) -> None:
    from pstdesk.consultations.console.search import install_index

    install_index(schema_editor.connection)


def remove_search(apps: Any, schema_editor: Any) -> None:
    from pstdesk.consultations.console.search import remove_index

    remove_index(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0004_deadlines_for_requests_never_marked_clear"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsolePreference",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("muted", models.BooleanField(default=False, verbose_name="bisukan suara dan notifikasi")),
                (
                    "send_key",
                    models.CharField(
                        choices=[
                            ("enter", "Enter mengirim (Shift+Enter baris baru)"),
                            ("ctrl_enter", "Ctrl+Enter mengirim (Enter baris baru)"),
                        ],
                        default="enter",
                        max_length=12,
                        verbose_name="tombol kirim",
                    ),
                ),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="console_preference",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"verbose_name": "preferensi konsol", "verbose_name_plural": "preferensi konsol"},
        ),
        migrations.CreateModel(
            name="ReadCursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveIntegerField(default=0)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "consultation",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="read_cursors",
                        to="consultations.consultation",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "penanda baca petugas",
                "verbose_name_plural": "penanda baca petugas",
                "constraints": [models.UniqueConstraint(fields=("user", "consultation"), name="readcursor_unique")],
            },
        ),
        migrations.RunPython(install_search, remove_search),
    ]
