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
