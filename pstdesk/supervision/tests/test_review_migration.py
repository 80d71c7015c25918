"""The data migration of reviews made before "not applicable" existed: {code: true/false} becomes yes/no and the
review gets its score."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pstdesk.complaints.tests.factories import make_consultation

BEFORE = [("supervision", "0005_escalation_of_rating_alerts")]
AFTER = [("supervision", "0006_review_answers_notes_score")]


@pytest.mark.django_db(transaction=True)
def test_boolean_reviews_become_answers_with_a_score() -> None:
    consultation = make_consultation("5102")
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("supervision", "TranscriptReview")
    review = old.objects.create(
        consultation_id=consultation.pk,
        office_id="5102",
        month=date(2026, 11, 1),
        checklist=[{"code": "greeting", "label": "Salam"}, {"code": "answer", "label": "Jawaban"}],
        scores={"greeting": True, "answer": False},
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("supervision", "TranscriptReview")
    migrated = new.objects.get(pk=review.pk)
    assert migrated.scores == {"greeting": "yes", "answer": "no"} and migrated.score == 50.0
    assert migrated.notes == {}
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
