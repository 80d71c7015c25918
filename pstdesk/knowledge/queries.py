"""Reads of the knowledge base: which articles an office shows, article search, the console's suggestions, and
the portal links of the PFA page and the widget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pstdesk.consultations.models import CannedReply, Consultation, Message
from pstdesk.knowledge import fts
from pstdesk.knowledge.models import Article, ArticleStatus
from pstdesk.knowledge.past import similar_closed
from pstdesk.knowledge.text import short, terms
from pstdesk.offices.models import Office

PORTAL_URL = "https://pst.bps.go.id"


def ancestor_codes(office: Office) -> list[str]:
    """The codes above `office` in the tree, from its materialised path ("0000/5100/5102/" → 0000, 5100)."""
    return [code for code in office.path.split("/") if code and code != office.code]


def articles_for(office: Office) -> QuerySet[Article]:
    """Published articles an office shows: its own, and the shared ones of the offices above it."""
    return Article.objects.filter(
        Q(office=office) | Q(office__in=ancestor_codes(office), shared=True), status=ArticleStatus.PUBLISHED
    ).select_related("office")


def article_for(office: Office, slug: str) -> Article | None:
    """One article shown by `office` (its own wins over an ancestor's with the same slug); None otherwise."""
    rows = {a.office_id: a for a in articles_for(office).filter(slug=slug)}
    for code in [office.code, *reversed(ancestor_codes(office))]:
        if code in rows:
            return rows[code]
    return None


def search_articles(office: Office, query: str, *, limit: int = 5) -> list[Article]:
    """The office's articles for the words of `query` (all words first, then any), best first."""
    words = terms(query, drop_stopwords=True)
    base = articles_for(office)
    ranked = fts.rank_indexed(base, words, limit=limit) or fts.rank_indexed(base, words, any_term=True, limit=limit)
    by_id = {a.pk: a for a in base.filter(pk__in=[pk for pk, _s in ranked])}
    return [by_id[pk] for pk, _s in ranked if pk in by_id]


def article_url(office: Office, article: Article) -> str:
    return f"/pfa/{office.code}/artikel/{article.slug}/"


@dataclass
class Suggestions:
    query: str
    articles: list[dict[str, Any]]
    canned: list[dict[str, Any]]
    similar: list[dict[str, Any]]


def last_visitor_text(consultation: Consultation) -> str:
    message = (
        Message.objects.filter(consultation=consultation, direction="in", kind="message")
        .exclude(body="")
        .order_by("-seq")
        .first()
    )
    return (message.body if message else "") or consultation.title or consultation.subject or ""


def suggestions_for(consultation: Consultation, *, query: str | None = None) -> Suggestions:
    """For the officer of `consultation`: articles, canned replies of its office and past closed consultations of
    the same office with similar questions, matched on the visitor's last message (or `query`)."""
    office = consultation.office
    text = query if query is not None else last_visitor_text(consultation)
    words = terms(text, drop_stopwords=True)
    articles = (
        [
            {
                "title": a.title,
                "summary": a.summary or short(a.body, 160),
                "url": article_url(office, a),
                "office": a.office_id,
            }
            for a in search_articles(office, text, limit=3)
        ]
        if words
        else []
    )
    canned_rank = fts.rank_texts(CannedReply.objects.filter(office=office).order_by("pk"), "pk", "body", words, limit=3)
    canned_rows = {c.pk: c for c in CannedReply.objects.filter(pk__in=[k for k, _s in canned_rank])}
    canned = [{"id": k, "title": canned_rows[k].title} for k, _s in canned_rank if k in canned_rows]
    similar_rank = similar_closed(office.pk, words, exclude=consultation.pk, limit=5)
    similar = [
        {
            "id": past.pk,
            "title": past.title or past.subject or _("PST#%(id)s") % {"id": past.pk},
            "closed_at": _iso(past.closed_at),
            "url": f"/console/{past.pk}/",
        }
        for past, _score in similar_rank
    ]
    return Suggestions(text[:200], articles, canned, similar)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def portal_links(office: Office) -> list[dict[str, str]]:
    """Links the PFA page and the widget show, as the office's standard lists them: the office website (the
    standard's LiveChat procedure names it; taken from the office's settings) and the pst.bps.go.id portal when
    the standard in force lists it among its facilities (`pst_portal`)."""
    links: list[dict[str, str]] = []
    if office.website:
        links.append(
            {"kind": "website", "href": office.website, "label": _("Website %(office)s") % {"office": office.name}}
        )
    standard = office.standard
    facilities = {f.get("code") for f in (standard.facilities if standard else []) or [] if isinstance(f, dict)}
    if "pst_portal" in facilities:
        links.append({"kind": "portal", "href": PORTAL_URL, "label": _("Portal PST (pst.bps.go.id)")})
    return links
