"""Rating and feedback of a consultation (penilaian dan umpan balik)."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """The visitor's score (1–5), feedback, and the two integrity questions BPS offices ask. One per
    consultation."""

    consultation = models.OneToOneField("consultations.Consultation", on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    feedback = models.TextField(blank=True)
    gratuity = models.BooleanField(_("petugas meminta/menerima imbalan"), default=False)
    illegal_fee = models.BooleanField(_("ada pungutan liar"), default=False)
    channel = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_range")
        ]

    def __str__(self) -> str:
        return f"PST#{self.consultation_id}: {self.score}"


class SkmSource(models.TextChoices):
    ONLINE = "online", _("daring (setelah konsultasi)")
    PAPER = "paper", _("kuesioner kertas (impor)")


class SkmResponse(models.Model):
    """One answered SKM questionnaire (PermenPAN-RB 14/2017). `answers` is keyed by element id (`u1`…`u9`, the
    regulation's order, see `ratings.skm.ELEMENTS`) with values 1–4; an element left unanswered is absent. At most one
    response per consultation (paper questionnaires imported at the office have no consultation). `profile` is a
    snapshot of the respondent's guestbook codes (sex, age group, education, occupation, institution category,
    purpose, disability) for breakdowns: codes only, never a name or contact."""

    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="skm_responses")
    consultation = models.OneToOneField(
        "consultations.Consultation", null=True, blank=True, on_delete=models.CASCADE, related_name="skm_response"
    )
    answers = models.JSONField(default=dict)
    profile = models.JSONField(default=dict, blank=True)
    channel = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=10, choices=SkmSource.choices, default=SkmSource.ONLINE)
    submitted_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["office", "submitted_at"], name="skm_office_submitted")]

    def __str__(self) -> str:
        return f"SKM {self.office_id} {self.submitted_at:%Y-%m-%d}"
