from __future__ import annotations

from typing import Any

from django.db import migrations, models


def answers_from_booleans(apps: Any, schema_editor: Any) -> None:
    """Reviews made before n.a. existed stored {code: bool}: now "yes"/"no", and their score."""
    Review = apps.get_model("supervision", "TranscriptReview")
    for review in Review.objects.all().iterator():
        answers = {code: ("yes" if value is True or value == "yes" else "no") for code, value in review.scores.items()}
        applicable = list(answers.values())
        review.scores = answers
        review.score = round(100 * applicable.count("yes") / len(applicable), 1) if applicable else None
        review.save(update_fields=["scores", "score"])


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0005_escalation_of_rating_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="transcriptreview",
            name="notes",
            field=models.JSONField(default=dict),
        ),
        migrations.AddField(
            model_name="transcriptreview",
            name="score",
            field=models.FloatField(blank=True, null=True, verbose_name="skor"),
        ),
        migrations.AddField(
            model_name="transcriptreview",
            name="updated_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="transcriptreview",
            index=models.Index(fields=["office", "reviewed_at"], name="review_office_reviewed"),
        ),
        migrations.RunPython(answers_from_booleans, migrations.RunPython.noop),
    ]
