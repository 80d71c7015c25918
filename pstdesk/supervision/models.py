"""Tiered supervision: the duty roster (a weekly pattern and date exceptions per office), the office's supervision
settings, and the small state rows that let the periodic roster sync act on edges and warn once."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Senin")
    TUESDAY = 1, _("Selasa")
    WEDNESDAY = 2, _("Rabu")
    THURSDAY = 3, _("Kamis")
    FRIDAY = 4, _("Jumat")
    SATURDAY = 5, _("Sabtu")
    SUNDAY = 6, _("Minggu")


class RosterShift(models.Model):
    """The weekly pattern: `user` serves `office` every `weekday` from `starts` to `ends` (office-local, half-open).
    Only the office's service hours count: a shift never puts anyone on duty on a holiday, a closure or at night."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="roster_shifts", verbose_name=_("kantor")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_shifts", verbose_name=_("petugas")
    )
    weekday = models.PositiveSmallIntegerField(_("hari"), choices=Weekday.choices)
    starts = models.TimeField(_("mulai"))
    ends = models.TimeField(_("selesai"))

    class Meta:
        ordering = ["office", "weekday", "starts", "user_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends__gt=models.F("starts")), name="roster_shift_ends_after"),
        ]
        verbose_name = _("jadwal mingguan")
        verbose_name_plural = _("jadwal mingguan")

    def __str__(self) -> str:
        return f"{self.office_id} {self.user_id} {self.weekday} {self.starts}-{self.ends}"


class ExceptionKind(models.TextChoices):
    OFF = "off", _("Tidak bertugas")
    ON = "on", _("Bertugas")


class RosterException(models.Model):
    """A date exception to the weekly pattern: `off` (leave, training: not serving that day) or `on` (serving that
    day, from `starts` to `ends`, or all service hours when they are empty)."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="roster_exceptions", verbose_name=_("kantor")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roster_exceptions", verbose_name=_("petugas")
    )
    date = models.DateField(_("tanggal"), db_index=True)
    kind = models.CharField(_("jenis"), max_length=3, choices=ExceptionKind.choices)
    starts = models.TimeField(_("mulai"), null=True, blank=True)
    ends = models.TimeField(_("selesai"), null=True, blank=True)
    note = models.CharField(_("keterangan"), max_length=200, blank=True)

    class Meta:
        ordering = ["office", "date", "user_id"]
        verbose_name = _("pengecualian jadwal")
        verbose_name_plural = _("pengecualian jadwal")

    def __str__(self) -> str:
        return f"{self.office_id} {self.user_id} {self.date} {self.kind}"


class SupervisionSettings(models.Model):
    """An office's own supervision settings, beside its standard. `min_officers` applies only where the standard
    states no minimum (Jembrana's is silent): the office may still ask for one in its own name."""

    office = models.OneToOneField(
        "offices.Office",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="supervision_settings",
        verbose_name=_("kantor"),
    )
    min_officers = models.PositiveSmallIntegerField(_("minimum petugas (pengaturan kantor)"), null=True, blank=True)

    class Meta:
        verbose_name = _("pengaturan pengawasan")
        verbose_name_plural = _("pengaturan pengawasan")

    def __str__(self) -> str:
        return str(self.office_id)


class DutySync(models.Model):
    """What the roster said about an officer at the last sync. The sync changes on-duty only when this changes (an
    edge: a shift starts or ends), so an officer who goes off duty during a shift stays off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("petugas"),
    )
    rostered = models.BooleanField(_("terjadwal"), default=False)
    synced_at = models.DateTimeField(_("disinkronkan pada"), null=True, blank=True)

    class Meta:
        verbose_name = _("sinkronisasi tugas")
        verbose_name_plural = _("sinkronisasi tugas")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.rostered}"


class CoverageState(models.Model):
    """Whether the office is below its minimum now: `below_since` is claimed by a conditional update (NULL → now),
    so the warning of one drop goes out once whatever the number of workers; it is cleared when coverage is back or
    the office closes."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("kantor")
    )
    below_since = models.DateTimeField(_("kurang sejak"), null=True, blank=True)

    class Meta:
        verbose_name = _("keadaan kecukupan petugas")
        verbose_name_plural = _("keadaan kecukupan petugas")

    def __str__(self) -> str:
        return f"{self.office_id}: {self.below_since}"


class DeadlineNotice(models.Model):
    """A deadline warning sent to the assigned officer: one per consultation, deadline and level ("day": one
    working day before, "hours": two working hours before). The unique constraint makes the send once-only whatever
    the number of workers; a moved deadline (reopened, recomputed) warns again."""

    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="+", verbose_name=_("konsultasi")
    )
    due_at = models.DateTimeField(_("jatuh tempo"))
    level = models.CharField(_("tingkat pemberitahuan"), max_length=5)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("petugas yang diberi tahu"),
    )
    sent_at = models.DateTimeField(_("dikirim pada"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["consultation", "due_at", "level"], name="deadline_notice_once"),
        ]
        verbose_name = _("pemberitahuan tenggat")
        verbose_name_plural = _("pemberitahuan tenggat")

    def __str__(self) -> str:
        return f"{self.consultation_id} {self.level} {self.due_at}"


class Escalation(models.Model):
    """Something left open escalated one level up the office tree: level 1 to the parent office (province),
    level 2 to its parent (BPS RI). What escalated is either a resolution breach (`breach`) or an undecided rating
    alert (`rating_alert`), exactly one of them; `consultation` is the one it concerns. One row per (breach, level)
    and per (rating alert, level), so each step happens once whatever the number of workers; the row is what the
    upper office's supervisors see in their queue."""

    breach = models.ForeignKey(
        "complaints.Breach",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("pelanggaran"),
    )
    rating_alert = models.ForeignKey(
        "ratings.RatingAlert",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
        verbose_name=_("peringatan penilaian"),
    )
    consultation = models.ForeignKey(
        "consultations.Consultation", on_delete=models.CASCADE, related_name="+", verbose_name=_("konsultasi")
    )
    level = models.PositiveSmallIntegerField(_("tingkat eskalasi"))
    from_office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("dari kantor")
    )
    to_office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="escalations_received", verbose_name=_("ke kantor")
    )
    escalated_at = models.DateTimeField(_("dieskalasi pada"))

    class Meta:
        ordering = ["-escalated_at"]
        constraints = [
            # NULLs are distinct in a unique constraint: each one only binds the rows of its own kind.
            models.UniqueConstraint(fields=["breach", "level"], name="escalation_once_per_level"),
            models.UniqueConstraint(fields=["rating_alert", "level"], name="escalation_alert_once_per_level"),
            models.CheckConstraint(
                condition=models.Q(breach__isnull=False, rating_alert__isnull=True)
                | models.Q(breach__isnull=True, rating_alert__isnull=False),
                name="escalation_of_breach_or_alert",
            ),
        ]
        verbose_name = _("eskalasi")
        verbose_name_plural = _("eskalasi")

    def __str__(self) -> str:
        what = f"B{self.breach_id}" if self.breach_id else f"A#{self.rating_alert_id}"
        return f"{what} → {self.to_office_id} ({self.level})"


def default_checklist() -> list[dict[str, str]]:
    """The review items, from the standard's procedure and the officer competences it lists (Tabanan: masters
    the service procedure, statistical knowledge, friendly and polite); an office may edit its own list."""
    return [
        {"code": "greeting", "label": "Salam pembuka dan perkenalan"},
        {"code": "guestbook", "label": "Buku tamu diperiksa"},
        {"code": "answer", "label": "Jawaban benar, lengkap dan bersumber"},
        {"code": "sla", "label": "Dijawab dalam batas waktu standar pelayanan"},
        {"code": "courtesy", "label": "Sopan dan ramah"},
        {"code": "closing", "label": "Penutupan sesuai urutan kantor dan penilaian ditawarkan"},
    ]


class Answer(models.TextChoices):
    """A checklist item's outcome in a review."""

    YES = "yes", _("Ya")
    NO = "no", _("Tidak")
    NA = "na", _("Tidak berlaku")


class ReviewChecklist(models.Model):
    """The office's checklist for transcript reviews: a list of {"code", "label"} items."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("kantor")
    )
    items = models.JSONField(_("butir periksa"), default=default_checklist)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)

    class Meta:
        verbose_name = _("daftar periksa tinjauan")
        verbose_name_plural = _("daftar periksa tinjauan")

    def __str__(self) -> str:
        return str(self.office_id)


class TranscriptReview(models.Model):
    """A supervisor's review of a closed consultation's transcript against the office's checklist (a copy of it
    is kept in `checklist`): each item answered yes, no or not applicable (`scores`: {code: Answer}) with an
    optional note (`notes`: {code: text}), the `score` (percentage of yes among the applicable items; None when
    none applies), a comment, and the reviewed officer's reply. One review per consultation; a supervisor may
    edit it (audited, before and after)."""

    consultation = models.OneToOneField(
        "consultations.Consultation",
        on_delete=models.CASCADE,
        related_name="transcript_review",
        verbose_name=_("konsultasi"),
    )
    office = models.ForeignKey("offices.Office", on_delete=models.PROTECT, related_name="+", verbose_name=_("kantor"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("petugas")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("peninjau")
    )
    month = models.DateField(_("bulan"))
    checklist = models.JSONField(_("daftar periksa"), default=list)
    scores = models.JSONField(_("nilai per butir"), default=dict)
    notes = models.JSONField(_("catatan"), default=dict)
    score = models.FloatField(_("skor"), null=True, blank=True)
    comment = models.TextField(_("catatan peninjau"), blank=True)
    reviewed_at = models.DateTimeField(_("ditinjau pada"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui pada"), null=True, blank=True)
    officer_comment = models.TextField(_("tanggapan petugas"), blank=True)
    officer_read_at = models.DateTimeField(_("dibaca petugas pada"), null=True, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [models.Index(fields=["office", "reviewed_at"], name="review_office_reviewed")]
        verbose_name = _("tinjauan transkrip")
        verbose_name_plural = _("tinjauan transkrip")

    def __str__(self) -> str:
        return f"review of {self.consultation_id}"

    def answer(self, code: str) -> str:
        """The item's answer: "yes", "no" or "na" (reviews made before n.a. existed stored true/false)."""
        value = self.scores.get(code)
        if value is True or value == Answer.YES:
            return Answer.YES.value
        if value is False or value == Answer.NO:
            return Answer.NO.value
        return Answer.NA.value

    @property
    def met(self) -> int:
        return sum(1 for entry in self.checklist if self.answer(entry["code"]) == Answer.YES)

    @property
    def applicable(self) -> int:
        return sum(1 for entry in self.checklist if self.answer(entry["code"]) != Answer.NA)

    @property
    def items(self) -> list[dict[str, str]]:
        """The checklist with each item's answer and note, in the checklist's order (for pages)."""
        return [
            {
                "code": e["code"],
                "label": e["label"],
                "answer": self.answer(e["code"]),
                "note": str(self.notes.get(e["code"], "")),
            }
            for e in self.checklist
        ]

    @property
    def findings(self) -> list[dict[str, str]]:
        """The items answered "no", with their notes."""
        return [
            {"code": e["code"], "label": e["label"], "note": str(self.notes.get(e["code"], ""))}
            for e in self.checklist
            if self.answer(e["code"]) == Answer.NO
        ]


def review_score(answers: dict[str, str]) -> float | None:
    """Percentage of "yes" among the applicable (yes or no) answers, one decimal; None when none applies."""
    applicable = [a for a in answers.values() if a in (Answer.YES, Answer.NO)]
    if not applicable:
        return None
    return round(100 * sum(1 for a in applicable if a == Answer.YES) / len(applicable), 1)
