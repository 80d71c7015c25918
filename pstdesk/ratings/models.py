"""Rating and feedback of a consultation (penilaian dan umpan balik)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.Model):
    """The visitor's score (1–5), feedback, and the two integrity questions BPS offices ask. One per
    consultation."""

    consultation = models.OneToOneField(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="rating", verbose_name=_("konsultasi")
    )
    score = models.PositiveSmallIntegerField(_("nilai"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    feedback = models.TextField(_("umpan balik"), blank=True)
    gratuity = models.BooleanField(_("petugas meminta/menerima imbalan"), default=False)
    illegal_fee = models.BooleanField(_("ada pungutan liar"), default=False)
    channel = models.CharField(_("kanal penilaian"), max_length=20)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_range")
        ]
        verbose_name = _("penilaian")
        verbose_name_plural = _("penilaian")

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

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="skm_responses", verbose_name=_("kantor")
    )
    consultation = models.OneToOneField(
        "consultations.Consultation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="skm_response",
        verbose_name=_("konsultasi"),
    )
    answers = models.JSONField(_("jawaban"), default=dict)
    profile = models.JSONField(_("profil responden"), default=dict, blank=True)
    channel = models.CharField(_("kanal"), max_length=20, blank=True)
    source = models.CharField(_("sumber isian"), max_length=10, choices=SkmSource.choices, default=SkmSource.ONLINE)
    submitted_at = models.DateTimeField(_("dikirim pada"), db_index=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["office", "submitted_at"], name="skm_office_submitted")]
        verbose_name = _("jawaban survei kepuasan (SKM)")
        verbose_name_plural = _("jawaban survei kepuasan (SKM)")

    def __str__(self) -> str:
        return f"SKM {self.office_id} {self.submitted_at:%Y-%m-%d}"


class RatingPolicy(models.Model):
    """An office's rules for showing ratings. With `hide_integrity_from_officers` the integrity answers (gratuity,
    illegal fee) of every rating are shown only to the office's supervisors,
    managers and administrators, and never to the officer assigned to the consultation: an officer never learns
    which visitor reported them."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, related_name="rating_policy", verbose_name=_("kantor")
    )
    hide_integrity_from_officers = models.BooleanField(
        _("sembunyikan jawaban integritas dari petugas yang bersangkutan"), default=False
    )

    class Meta:
        verbose_name = _("kebijakan penilaian")
        verbose_name_plural = _("kebijakan penilaian")

    def __str__(self) -> str:
        return f"{self.office_id}"


class AlertReason(models.TextChoices):
    LOW_SCORE = "low_score", _("nilai rendah (1–2)")
    GRATUITY = "gratuity", _("imbalan/gratifikasi")
    ILLEGAL_FEE = "illegal_fee", _("pungutan liar")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("baru")
    LOOKED_INTO = "looked_into", _("sedang diperiksa")
    ACTION_TAKEN = "action_taken", _("sudah ditindak")
    UNFOUNDED = "unfounded", _("tidak terbukti")


class RatingAlert(models.Model):
    """A follow-up item for the office's supervisors, opened at once by a rating of 1–2 or a "yes" to the
    gratuity or illegal-fee question. One per rating. `officer` is the officer assigned when the rating came in.
    Its decisions (`AlertDecision`) form the trail; `status` is the latest decision."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="rating_alerts", verbose_name=_("kantor")
    )
    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="alert", verbose_name=_("penilaian"))
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="+", verbose_name=_("konsultasi")
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("petugas"),
    )
    reasons = models.JSONField(_("alasan"), default=list)
    status = models.CharField(
        _("status tindak lanjut"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("dibuka pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["office", "status", "-opened_at"], name="rating_alert_queue")]
        verbose_name = _("peringatan penilaian")
        verbose_name_plural = _("peringatan penilaian")

    def __str__(self) -> str:
        return f"A#{self.pk}"

    @property
    def is_integrity(self) -> bool:
        return AlertReason.GRATUITY in self.reasons or AlertReason.ILLEGAL_FEE in self.reasons

    def reason_labels(self) -> list[str]:
        return [str(AlertReason(r).label) for r in self.reasons]


class AlertDecision(models.Model):
    """One step of an alert's decision trail: what a supervisor found or did, with their text."""

    alert = models.ForeignKey(
        RatingAlert, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("peringatan")
    )
    decision = models.CharField(_("keputusan"), max_length=20, choices=AlertStatus.choices)
    text = models.TextField(_("catatan keputusan"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("diputuskan oleh")
    )
    decided_at = models.DateTimeField(_("diputuskan pada"), auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("keputusan atas peringatan")
        verbose_name_plural = _("keputusan atas peringatan")

    def __str__(self) -> str:
        return f"A#{self.alert_id}: {self.decision}"
