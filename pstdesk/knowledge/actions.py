"""State changes of the knowledge base: saving and removing an article (admin), each audited, each keeping the
full-text index in step with the row in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations.effects import snapshot
from pstdesk.knowledge import fts
from pstdesk.knowledge.models import Article, ArticleStatus
from pstdesk.knowledge.text import normalise
from pstdesk.lib.actors import Actor, is_user
from pstdesk.lib.errors import InvalidInput

AUDITED = ["title", "slug", "summary", "body", "shared", "status"]


def save_article(article: Article, *, by: Actor, created: bool) -> Article:
    """Create or change an article: title and body required, a slug made from the title when empty (unique within
    the office), `published_at` set when it is first published, normalised search columns and the index updated,
    one audit row with the fields before and after."""
    article.title = (article.title or "").strip()
    if not article.title or not (article.body or "").strip():
        raise InvalidInput(_("Judul dan isi artikel wajib diisi."))
    article.slug = slugify(article.slug or article.title)[:120] or "artikel"
    clash = Article.objects.filter(office_id=article.office_id, slug=article.slug).exclude(pk=article.pk)
    if clash.exists():
        raise InvalidInput(
            _("Alamat (slug) “%(slug)s” sudah dipakai artikel lain di kantor ini.") % {"slug": article.slug}
        )
    with transaction.atomic():
        before: dict[str, Any] = {}
        if not created:
            before = snapshot(Article.objects.get(pk=article.pk), AUDITED)
        if article.status == ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = timezone.now()
        article.updated_by = by if is_user(by) else None
        article.search_title = normalise(article.title + " " + article.summary)
        article.search_body = normalise(article.body)
        article.save()
        fts.index_rows(Article, [article.pk])
        record(
            "article.created" if created else "article.changed",
            article,
            by=by,
            office=article.office,
            before=before,
            after=snapshot(article, AUDITED),
        )
    return article


def delete_article(article: Article, *, by: Actor) -> None:
    """Remove an article and its index row, keeping its text in the audit row."""
    with transaction.atomic():
        record("article.deleted", article, by=by, office=article.office, before=snapshot(article, AUDITED))
        fts.unindex_rows(Article, [article.pk])
        article.delete()
