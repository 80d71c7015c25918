"""Performance evaluation reports (evaluasi kinerja pelaksana): the working calendar the report queries join
against, and the archive of generated reports (immutable snapshots, their versions and who received them)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkingDay(models.Model):
    """One calendar day of an office (working or not), materialised so that working minutes and working days
    between two moments are computed in the database: the report joins each moment to the row of its local date
    (`reports.measures`), a row-level export looks it up (`reports.dbfuncs`).

    Times are Unix epoch seconds (UTC), so the same comparison works on PostgreSQL and SQLite. `minutes_before`
    is the office's service minutes from `ANCHOR` up to this day's opening; `ordinal` numbers the working days
    from `ANCHOR` (1 = the first; a day off carries the next working day's number, and an empty service interval
    at its end: opens = closes = the next midnight; formulas in `reports.calendar`). Rows are rebuilt by
    `reports.calendar.ensure_working_days` whenever the office's calendar (hours, holidays, closures) changes,
    recognised by `WorkingCalendarState.fingerprint`.
    """

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+", verbose_name=_("kantor"))
    date = models.DateField(_("tanggal"))
    ordinal = models.PositiveIntegerField(_("urutan hari kerja"))
    opens_epoch = models.BigIntegerField(_("buka (detik epoch)"))
    closes_epoch = models.BigIntegerField(_("tutup (detik epoch)"))
    minutes_before = models.FloatField(_("menit kerja sebelumnya"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "date"], name="workingday_unique")]
        indexes = [
            models.Index(fields=["office", "opens_epoch"], name="workingday_opens"),
            models.Index(fields=["office", "closes_epoch"], name="workingday_closes"),
        ]
        verbose_name = _("hari kerja")
        verbose_name_plural = _("hari kerja")

    def __str__(self) -> str:
        return f"{self.office_id} {self.date} #{self.ordinal}"


class WorkingCalendarState(models.Model):
    """Which calendar the office's `WorkingDay` rows were built from, and up to which year."""

    office = models.OneToOneField(
        "offices.Office", on_delete=models.CASCADE, primary_key=True, related_name="+", verbose_name=_("kantor")
    )
    fingerprint = models.CharField(_("sidik kalender"), max_length=64)
    through_year = models.PositiveSmallIntegerField(_("sampai tahun"))
    built_at = models.DateTimeField(_("disusun pada"), auto_now=True)

    class Meta:
        verbose_name = _("keadaan kalender kerja")
        verbose_name_plural = _("keadaan kalender kerja")

    def __str__(self) -> str:
        return f"{self.office_id} through {self.through_year}"


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Bulanan")
    ANNUAL = "annual", _("Tahunan")
    AD_HOC = "ad_hoc", _("Sewaktu-waktu")


class ReportSnapshot(models.Model):
    """One generated report, kept as it was: the figures as stored JSON and the files rendered from them. Rows are
    never updated after creation; regenerating the same report makes `version + 1`, so a past report does not
    change when data is later corrected."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.PROTECT, related_name="report_snapshots", verbose_name=_("kantor")
    )
    subtree = models.BooleanField(_("termasuk kantor di bawahnya"), default=False)
    kind = models.CharField(_("jenis laporan"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("awal periode"))
    period_end = models.DateField(_("akhir periode"))  # inclusive, office-local
    version = models.PositiveIntegerField(_("versi"))
    figures = models.JSONField(_("angka laporan"))
    pdf = models.FileField(_("berkas PDF"), upload_to="reports/%Y/%m/", blank=True)
    xlsx = models.FileField(_("berkas XLSX"), upload_to="reports/%Y/%m/", blank=True)
    csv_zip = models.FileField(_("berkas CSV (ZIP)"), upload_to="reports/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("dibuat pada"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dibuat oleh"),
    )
    created_by_label = models.CharField(
        _("dibuat oleh (nama)"), max_length=100, blank=True
    )  # "system:reports" for the schedule

    class Meta:
        ordering = ["-period_start", "office", "-version"]
        constraints = [
            # The claim of the schedule: two workers generating the same report collide here, and only one wins.
            models.UniqueConstraint(
                fields=["office", "subtree", "kind", "period_start", "period_end", "version"],
                name="report_snapshot_version_unique",
            )
        ]
        verbose_name = _("arsip laporan")
        verbose_name_plural = _("arsip laporan")

    def __str__(self) -> str:
        return f"{self.office_id} {self.kind} {self.period_start}..{self.period_end} v{self.version}"


class ReportDelivery(models.Model):
    """Who received which version of a report, and when (one row per recipient per snapshot)."""

    snapshot = models.ForeignKey(
        ReportSnapshot, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("cuplikan laporan")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("penerima"),
    )
    email = models.EmailField(_("e-mail tujuan"))
    sent_at = models.DateTimeField(_("dikirim pada"))

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["snapshot", "email"], name="report_delivery_once")]
        verbose_name = _("pengiriman laporan")
        verbose_name_plural = _("pengiriman laporan")

    def __str__(self) -> str:
        return f"{self.snapshot} → {self.email}"


class ScheduledRun(models.Model):
    """The claim of one scheduled report (office, kind, period): inserted once, so of several workers that wake at
    the same moment only the one whose insert succeeds generates and sends. A claim left unfinished (its worker
    died) can be taken over after `schedule.STALE_CLAIM` by a conditional update."""

    office = models.ForeignKey("offices.Office", on_delete=models.CASCADE, related_name="+", verbose_name=_("kantor"))
    kind = models.CharField(_("jenis laporan"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("awal periode"))
    claimed_at = models.DateTimeField(_("diambil pada"))
    finished_at = models.DateTimeField(_("selesai pada"), null=True, blank=True)
    snapshot = models.ForeignKey(
        ReportSnapshot,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cuplikan laporan"),
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "kind", "period_start"], name="scheduled_report_once")]
        verbose_name = _("jalannya laporan terjadwal")
        verbose_name_plural = _("jalannya laporan terjadwal")

    def __str__(self) -> str:
        return f"{self.office_id} {self.kind} {self.period_start}"
