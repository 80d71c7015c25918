"""The knowledge base: which articles an office shows (its own, and the shared ones of the offices above it;
published only), safe rendering, saving through the audited action, the public pages under /pfa/<office>/, the
widget's search, the console's suggestions (articles, canned replies, similar closed consultations of the office)
and office isolation (404 for 5102's consultation to an officer of 5101)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pstdesk.audit.models import AuditLog
from pstdesk.consultations.models import CannedReply, Consultation, Message, Status
from pstdesk.guestbook.models import Visitor
from pstdesk.knowledge import queries
from pstdesk.knowledge.actions import delete_article, save_article
from pstdesk.knowledge.models import Article, ArticleStatus
from pstdesk.knowledge.text import render_body
from pstdesk.lib.actors import SystemActor
from pstdesk.lib.errors import InvalidInput
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db


TEST_ACTOR = SystemActor("test")


def article(office: str, title: str, body: str, *, by: Any = TEST_ACTOR, **fields: Any) -> Article:
    fields.setdefault("status", ArticleStatus.PUBLISHED)
    return save_article(Article(office_id=office, title=title, body=body, **fields), by=by, created=True)


@pytest.fixture
def library(db: None) -> dict[str, Article]:
    return {
        "own": article("5102", "Cara membaca tabel statistik", "Baris dan kolom tabel BPS, catatan kaki, satuan."),
        "draft": article("5102", "Draf inflasi", "Inflasi Tabanan", status=ArticleStatus.DRAFT),
        "shared_province": article(
            "5100", "Di mana angka kemiskinan diterbitkan", "Publikasi kemiskinan Bali", shared=True
        ),
        "province_only": article("5100", "Rapat internal provinsi", "Tabel rapat", shared=False),
        "national": article("0000", "Tanya jawab standar pelayanan PST", "Layanan konsultasi gratis", shared=True),
        "other_office": article("5101", "Tabel Jembrana", "Tabel penduduk Jembrana", shared=True),
    }


def test_an_office_shows_its_own_and_its_ancestors_shared_published_articles(library: dict[str, Article]) -> None:
    shown = set(queries.articles_for(Office.objects.get(code="5102")).values_list("title", flat=True))
    assert shown == {
        "Cara membaca tabel statistik",
        "Di mana angka kemiskinan diterbitkan",
        "Tanya jawab standar pelayanan PST",
    }


def test_search_is_ranked_by_the_database_and_accent_insensitive(library: dict[str, Article]) -> None:
    office = Office.objects.get(code="5102")
    assert [a.title for a in queries.search_articles(office, "membaca TÁBEL")] == ["Cara membaca tabel statistik"]
    assert [a.title for a in queries.search_articles(office, "angka kemiskinan")][:1] == [
        "Di mana angka kemiskinan diterbitkan"
    ]
    assert queries.search_articles(office, "Jembrana") == []  # another office's article, shared or not
    assert queries.search_articles(office, "inflasi") == []  # a draft


def test_saving_is_audited_and_refuses_empty_or_clashing_articles(library: dict[str, Article]) -> None:
    row = library["own"]
    assert row.slug == "cara-membaca-tabel-statistik" and row.published_at is not None
    row.body = "Isi baru tentang kolom"
    save_article(row, by=SystemActor("test"), created=False)
    log = AuditLog.objects.filter(verb="article.changed", subject_id=str(row.pk)).get()
    assert log.before["body"].startswith("Baris") and log.after["body"] == "Isi baru tentang kolom"
    assert [a.pk for a in queries.search_articles(row.office, "kolom")] == [row.pk]  # index follows the change
    with pytest.raises(InvalidInput):
        article("5102", "  ", "isi")
    with pytest.raises(InvalidInput, match="sudah dipakai"):
        article("5102", "Cara membaca tabel statistik", "lagi")
    pk = row.pk
    delete_article(row, by=SystemActor("test"))
    assert AuditLog.objects.filter(verb="article.deleted", subject_id=str(pk)).get().before["title"] == row.title
    assert queries.search_articles(Office.objects.get(code="5102"), "kolom") == []


def test_bodies_render_escaped_with_light_formatting() -> None:
    html = render_body("## Judul <b>\n\nParagraf <script>x</script>\nbaris dua https://bps.go.id/x.\n\n- satu\n- dua")
    assert "<h2>Judul &lt;b&gt;</h2>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<a href="https://bps.go.id/x" rel="noopener nofollow">https://bps.go.id/x</a>.' in html
    assert "<ul><li>satu</li><li>dua</li></ul>" in html
    assert "<a" not in render_body("javascript:alert(1) [x](javascript:alert(2))")


def test_public_pages_show_published_articles_of_the_office_only(library: dict[str, Article], client: Client) -> None:
    page = client.get("/pfa/5102/artikel/").content.decode()
    assert "Cara membaca tabel statistik" in page and "Di mana angka kemiskinan" in page
    assert "Draf inflasi" not in page and "Rapat internal" not in page and "Tabel Jembrana" not in page
    assert 'href="https://pst.bps.go.id"' in page and 'href="https://tabanankab.bps.go.id"' in page
    found = client.get("/pfa/5102/artikel/", {"q": "kemiskinan"}).content.decode()
    assert 'id="kn-found"' in found and "/pfa/5102/artikel/di-mana-angka-kemiskinan-diterbitkan/" in found
    assert client.get("/pfa/5102/artikel/", {"q": "x" * 1000}).status_code == 400
    shared = client.get("/pfa/5102/artikel/di-mana-angka-kemiskinan-diterbitkan/")
    assert shared.status_code == 200 and "BPS Provinsi Bali" in shared.content.decode()
    for slug in ["draf-inflasi", "rapat-internal-provinsi", "tabel-jembrana", "nope"]:
        assert client.get(f"/pfa/5102/artikel/{slug}/").status_code == 404
    assert client.get("/pfa/9999/artikel/").status_code == 404


def test_portal_links_follow_the_standard(db: None) -> None:
    tabanan = queries.portal_links(Office.objects.get(code="5102"))
    assert [link["href"] for link in tabanan] == ["https://tabanankab.bps.go.id", "https://pst.bps.go.id"]
    # Jembrana's standard does not list the portal among its facilities: only its website.
    assert [link["href"] for link in queries.portal_links(Office.objects.get(code="5101"))] == [
        "https://jembranakab.bps.go.id"
    ]


def test_the_widget_endpoint_answers_articles_for_typed_words(library: dict[str, Article], client: Client) -> None:
    body = client.get("/widget/5102/artikel/", {"q": "bagaimana cara membaca tabel"}).json()
    assert [a["title"] for a in body["articles"]] == ["Cara membaca tabel statistik"]
    assert body["articles"][0]["url"].startswith("/pfa/5102/artikel/cara-membaca-tabel-statistik/")
    assert client.get("/widget/5102/artikel/", {"q": ""}).json() == {"articles": []}
    assert client.get("/widget/5102/artikel/", {"q": "x" * 1000}).status_code == 400
    frame = client.get("/widget/5102/frame/").content.decode()
    assert 'id="pc-kb"' in frame and 'href="https://pst.bps.go.id"' in frame


def closed_consultation(office: str, question: str) -> Consultation:
    visitor = Visitor.objects.create(name="Wayan", email=f"w{Consultation.objects.count()}@example.test")
    row = Consultation.objects.create(office_id=office, visitor=visitor, channel="whatsapp", title=question[:60])
    Message.objects.create(consultation=row, seq=1, direction="in", channel="whatsapp", body=question)
    Consultation.objects.filter(pk=row.pk).update(status=Status.CLOSED)
    return row


def test_console_suggestions_come_from_the_visitors_last_message(
    library: dict[str, Article], officer_5102: Any, client: Client
) -> None:
    CannedReply.objects.create(office_id="5102", title="Tabel", body="Halo {visitor_name}, tabel ada di website.")
    CannedReply.objects.create(office_id="5101", title="Tabel Jembrana", body="tabel jembrana")
    past = closed_consultation("5102", "Saya perlu tabel penduduk kecamatan")
    closed_consultation("5101", "Saya perlu tabel penduduk Jembrana")
    open_one = closed_consultation("5102", "halo")
    Consultation.objects.filter(pk=open_one.pk).update(status=Status.OPEN)
    Message.objects.create(
        consultation=open_one, seq=2, direction="in", channel="whatsapp", body="Bagaimana membaca tabel penduduk?"
    )
    client.force_login(officer_5102)
    body = client.get(f"/console/pengetahuan/{open_one.pk}/").json()
    assert body["query"] == "Bagaimana membaca tabel penduduk?"
    assert [a["title"] for a in body["articles"]][:1] == ["Cara membaca tabel statistik"]
    assert body["canned"] == [
        {"id": body["canned"][0]["id"], "title": "Tabel", "body": "Halo Wayan, tabel ada di website."}
    ]
    assert [s["id"] for s in body["similar"]] == [past.pk]
    api = client.get(f"/api/v1/knowledge/consultations/{open_one.pk}/suggestions").json()
    assert [s["id"] for s in api["similar"]] == [past.pk]


def test_an_officer_of_another_office_gets_404(library: dict[str, Article], officer_5101: Any, client: Client) -> None:
    row = closed_consultation("5102", "tabel")
    client.force_login(officer_5101)
    assert client.get(f"/console/pengetahuan/{row.pk}/").status_code == 404
    assert client.get(f"/api/v1/knowledge/consultations/{row.pk}/suggestions").status_code == 404
    assert client.get("/console/pengetahuan/999999/").status_code == 404
    client.logout()
    assert client.get(f"/console/pengetahuan/{row.pk}/").status_code == 302  # to the login page
