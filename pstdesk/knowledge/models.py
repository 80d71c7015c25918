"""The office's knowledge: reference classifications (KBLI 2020 today, KBLI 2025 beside it later) and the
knowledge-base articles (PFA: pertanyaan yang sering diajukan) of each office.

Search is done by the database. Each searchable row keeps *normalised* copies of its text (`search_title`,
`search_body`: lower case, accents removed, whitespace collapsed; see `knowledge.text.normalise`), written by the
loader or the action that saves the row. PostgreSQL indexes them in `search_vector` (tsvector, `simple` config,
title weighted A, body B, GIN index); SQLite in an FTS5 table (`knowledge_entry_fts`, `knowledge_article_fts`,
created by migration 0001) whose rowid is the row's id. Both are kept by the same code that writes the row.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Classification(models.Model):
    """A classification family (e.g. `kbli`: Klasifikasi Baku Lapangan Usaha Indonesia). Its versions hold the
    entries; several versions live side by side (KBLI 2020 and, later, KBLI 2025)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("nama klasifikasi"), max_length=200)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("klasifikasi")
        verbose_name_plural = _("klasifikasi")

    def __str__(self) -> str:
        return self.name


class ClassificationVersion(models.Model):
    """One published version of a classification, loaded from a reference file. `checksum` is the SHA-256 of
    the file it was loaded from: loading the same file again changes nothing; another file replaces the entries."""

    classification = models.ForeignKey(
        Classification, on_delete=models.CASCADE, related_name="versions", verbose_name=_("klasifikasi")
    )
    slug = models.SlugField(_("slug"), max_length=40)  # "kbli2020": the public URL's segment
    title = models.CharField(_("judul versi"), max_length=200)
    source = models.CharField(_("sumber"), max_length=300, blank=True)
    checksum = models.CharField(_("sidik berkas"), max_length=64)
    entry_count = models.PositiveIntegerField(_("jumlah entri"), default=0)
    loaded_at = models.DateTimeField(_("dimuat pada"), auto_now=True)

    class Meta:
        ordering = ["slug"]
        constraints = [models.UniqueConstraint(fields=["slug"], name="classification_version_slug")]
        verbose_name = _("versi klasifikasi")
        verbose_name_plural = _("versi klasifikasi")

    def __str__(self) -> str:
        return self.title


class ClassificationEntry(models.Model):
    """One node of a classification tree: code (kept as a string: leading zeros matter), level, title,
    description and parent (within the same version). `position` keeps the source's pre-order."""

    # No index of its own: the unique (version, code) index serves every version filter, and a second one tempts
    # SQLite's planner to scan a whole version (2,710 rows with their texts) instead of using a narrower index.
    version = models.ForeignKey(
        ClassificationVersion,
        on_delete=models.CASCADE,
        related_name="entries",
        db_index=False,
        verbose_name=_("versi klasifikasi"),
    )
    code = models.CharField(_("kode"), max_length=10)
    level = models.CharField(_("tingkat"), max_length=30)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children", verbose_name=_("induk")
    )
    title = models.CharField(_("judul"), max_length=500)
    description = models.TextField(_("deskripsi"), blank=True)
    position = models.PositiveIntegerField(_("urutan"))
    # Codes from the top down to the parent, "/"-separated ("A/01/011/0112"): a hit's path needs no tree walk.
    ancestry = models.CharField(_("jalur induk"), max_length=100, blank=True)
    search_title = models.TextField(_("judul untuk pencarian"), blank=True, editable=False)
    search_body = models.TextField(_("isi untuk pencarian"), blank=True, editable=False)
    search_vector = SearchVectorField(_("vektor pencarian"), null=True, editable=False)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="classification_entry_code")]
        verbose_name = _("entri klasifikasi")
        verbose_name_plural = _("entri klasifikasi")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draf")
    PUBLISHED = "published", _("Terbit")


class Article(models.Model):
    """A knowledge-base article of one office. `shared` articles of a province (or of BPS RI) are also shown by
    every office below it; the others only by their own office. Only published articles are public. The body is
    plain text with light formatting (paragraphs, "- " lists, "## " headings, bare links), rendered escaped by
    `knowledge.text.render_body`: no HTML from the editor ever reaches a page."""

    office = models.ForeignKey(
        "offices.Office", on_delete=models.CASCADE, related_name="articles", verbose_name=_("kantor")
    )
    slug = models.SlugField(_("alamat (slug)"), max_length=120)
    title = models.CharField(_("judul"), max_length=200)
    summary = models.CharField(_("ringkasan"), max_length=300, blank=True)
    body = models.TextField(
        _("isi"),
        help_text=_("Teks biasa: baris kosong memisahkan paragraf, '- ' untuk daftar, '## ' untuk subjudul."),
    )
    shared = models.BooleanField(
        _("bagikan ke kantor di bawahnya"),
        default=False,
        help_text=_("Artikel provinsi atau BPS RI yang juga tampil di kantor kabupaten/kota di bawahnya."),
    )
    status = models.CharField(_("status"), max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    published_at = models.DateTimeField(_("diterbitkan pada"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("diperbarui pada"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
        verbose_name=_("diperbarui oleh"),
    )
    search_title = models.TextField(_("judul untuk pencarian"), blank=True, editable=False)
    search_body = models.TextField(_("isi untuk pencarian"), blank=True, editable=False)
    search_vector = SearchVectorField(_("vektor pencarian"), null=True, editable=False)

    class Meta:
        ordering = ["office", "title"]
        constraints = [models.UniqueConstraint(fields=["office", "slug"], name="article_office_slug")]
        indexes = [models.Index(fields=["office", "status"], name="article_office_status")]
        verbose_name = _("artikel PFA")
        verbose_name_plural = _("artikel PFA")

    def __str__(self) -> str:
        return self.title
