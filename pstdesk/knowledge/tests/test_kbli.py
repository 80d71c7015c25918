"""KBLI 2020 as versioned reference data: the shipped file loads completely (2,710 entries, parents right),
loading again changes nothing, a broken file is refused with nothing loaded; search by code prefix and by words
(accent- and case-insensitive, ranked by the database) with the path up the tree and the children, through the
function, the public page and `GET /api/v1/kbli2020`. Runs on SQLite and, with DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from pstdesk.knowledge import classification
from pstdesk.knowledge.classification import ensure_kbli2020, load_classification
from pstdesk.knowledge.models import ClassificationEntry, ClassificationVersion
from pstdesk.lib.errors import InvalidInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def kbli() -> ClassificationVersion:
    return ensure_kbli2020()


def codes(result: classification.SearchResult) -> list[str]:
    return [hit.code for hit in result.hits]


def test_the_shipped_file_loads_completely_with_its_tree(kbli: ClassificationVersion) -> None:
    entries = ClassificationEntry.objects.filter(version=kbli)
    assert entries.count() == kbli.entry_count == 2710
    assert Counter(entries.values_list("level", flat=True)) == {
        "kategori": 21,
        "golongan_pokok": 88,
        "golongan": 245,
        "subgolongan": 567,
        "kelompok": 1789,
    }
    kelompok = entries.select_related("parent__parent").get(code="01121")
    assert (kelompok.parent.code, kelompok.parent.parent.code) == ("0112", "011")
    assert entries.get(code="01").parent.code == "A"
    assert entries.get(code="A").parent is None
    assert not entries.filter(code="93232").exists()  # a KBLI 2015 code the file dropped


def test_loading_again_changes_nothing_and_force_reloads(kbli: ClassificationVersion) -> None:
    ids = set(ClassificationEntry.objects.filter(version=kbli).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        again = ensure_kbli2020()
    assert again.pk == kbli.pk
    assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE")) for q in queries)
    assert set(ClassificationEntry.objects.filter(version=kbli).values_list("pk", flat=True)) == ids
    forced = load_classification(
        classification.KBLI2020, classification="kbli", name="KBLI", version="kbli2020", title="KBLI 2020", force=True
    )
    assert ClassificationEntry.objects.filter(version=forced).count() == 2710
    assert "01121" in codes(classification.search(forced, "padi"))  # the index follows the reload


def test_a_later_version_loads_beside_it(kbli: ClassificationVersion, tmp_path: Path) -> None:
    source = tmp_path / "kbli2025.csv"
    source.write_text(
        "code,level,parent_code,title,description\n"
        'A,kategori,,"Pertanian, Kehutanan dan Perikanan",Kategori A.\n'
        "01,golongan_pokok,A,Pertanian Tanaman,Golongan pokok 01.\n"
        "011,golongan,01,Pertanian Tanaman Semusim,Golongan 011.\n"
        "0112,subgolongan,011,Pertanian Padi,Subgolongan padi.\n"
        "01121,kelompok,0112,Pertanian Padi Gogo,Kelompok baru.\n",
        encoding="utf-8",
    )
    newer = load_classification(source, classification="kbli", name="KBLI", version="kbli2025", title="KBLI 2025")
    assert newer.classification_id == kbli.classification_id
    assert sorted(h.code for h in classification.search(newer, "padi").hits) == ["0112", "01121"]  # 2025 only
    assert classification.search(newer, "01121").hits[0].title == "Pertanian Padi Gogo"
    assert ClassificationEntry.objects.filter(version=kbli).count() == 2710  # 2020 untouched


@pytest.mark.parametrize(
    "body, reason",
    [
        ("kode,tingkat\nA,kategori\n", "berkepala"),
        ("code,level,parent_code,title,description\n01,golongan_pokok,A,Tanpa induk,x\n", "induk A"),
        ("code,level,parent_code,title,description\nA,kategori,,Satu,x\nA,kategori,,Dua,x\n", "Baris 3"),
    ],
)
def test_a_broken_file_is_refused_and_nothing_is_loaded(tmp_path: Path, body: str, reason: str) -> None:
    source = tmp_path / f"broken-{abs(hash(body))}.csv"
    source.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInput, match=reason):
        load_classification(source, classification="kbli", name="KBLI", version="broken", title="Broken")
    assert not ClassificationVersion.objects.filter(slug="broken").exists()


def test_padi_finds_01121_among_the_first_results(kbli: ClassificationVersion) -> None:
    found = classification.search(kbli, "padi")
    assert found.kind == "text"
    assert "01121" in codes(found)[:5]
    assert all("padi" in hit.title.lower() for hit in found.hits[:5])  # titles rank above passing mentions


def test_words_ignore_case_and_accents_and_need_all_words_first(kbli: ClassificationVersion) -> None:
    assert codes(classification.search(kbli, "PÁDI hibrida"))[:1] == ["01121"]
    assert "01121" in codes(classification.search(kbli, "  Padi   HIBRIDA "))[:1]
    # No entry has both words: any word is enough then, still ranked.
    assert codes(classification.search(kbli, "padi xylofonzz"))[:5]


def test_a_code_prefix_gives_the_entry_with_its_parent_path_and_children(kbli: ClassificationVersion) -> None:
    found = classification.search(kbli, "0111")
    assert found.kind == "code"
    first = found.hits[0]
    assert (first.code, first.level) == ("0111", "subgolongan")
    assert [n["code"] for n in first.path] == ["A", "01", "011"]
    below = ClassificationEntry.objects.filter(version=kbli, parent__code="0111").order_by("position")
    assert [n["code"] for n in first.children] == list(below.values_list("code", flat=True))
    assert [n["code"] for n in first.children][:2] == ["01111", "01112"]
    section = classification.search(kbli, "a")
    assert codes(section) == ["A"] and [n["code"] for n in section.hits[0].children] == ["01", "02", "03"]


def test_every_search_is_one_statement_whatever_the_hits(kbli: ClassificationVersion) -> None:
    # code prefixes (2 hits, 40 hits), words with all of them, words only some entries have (the any-word
    # fallback), and misses
    for query, limit in [("0111", 2), ("01", 40), ("padi", 20), ("warung kopi", 20), ("xylofon", 20), ("9999", 5)]:
        with CaptureQueriesContext(connection) as captured:
            classification.search(kbli, query, limit=limit)
        assert len(captured) == 1, (query, [q["sql"][:80] for q in captured])


def test_the_word_search_reads_the_full_text_index(kbli: ClassificationVersion) -> None:
    """The planner's own choice (no setting forced): PostgreSQL's GIN index, SQLite's FTS5 table; never a read of
    the whole entry table."""
    with CaptureQueriesContext(connection) as captured:
        classification.search(kbli, "padi sawah")
    sql = captured[0]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(line for (line,) in cursor.fetchall())
            assert "knowledge_entry_search" in plan and "Seq Scan on knowledge_classificationentry" not in plan, plan
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan, plan
            assert not re.search(r"SCAN (e|p\d|knowledge_classificationentry)\b(?! USING)", plan), plan


def test_empty_and_too_long_queries_get_a_clear_answer(kbli: ClassificationVersion) -> None:
    empty = classification.search(kbli, "   ")
    assert (empty.kind, empty.hits) == ("empty", [])
    assert "kode KBLI" in empty.message
    with pytest.raises(InvalidInput, match="terlalu panjang"):
        classification.search(kbli, "padi " * 200)
    nothing = classification.search(kbli, "zzqqxx")
    assert nothing.hits == [] and "zzqqxx" in nothing.message


def test_the_api_answers_results_and_declared_errors(kbli: ClassificationVersion, client: Client) -> None:
    body = client.get("/api/v1/kbli2020", {"q": "padi"}).json()
    assert "01121" in [r["code"] for r in body["results"]][:5]
    first = client.get("/api/v1/kbli2020", {"q": "0111"}).json()["results"][0]
    assert first["code"] == "0111" and [n["code"] for n in first["path"]] == ["A", "01", "011"]
    assert first["children"][0] == {"code": "01111", "level": "kelompok", "title": "Pertanian Jagung"}
    assert first["url"] == "/klasifikasi/kbli2020/0111/"
    empty = client.get("/api/v1/kbli2020", {"q": ""})
    assert empty.status_code == 200 and empty.json()["count"] == 0 and empty.json()["message"]
    long = client.get("/api/v1/kbli2020", {"q": "x" * 1000})
    assert long.status_code == 400 and "terlalu panjang" in long.json()["detail"]
    schema = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/kbli2020"]["get"]["responses"]
    assert {"200", "400", "503"} <= set(schema)


def test_the_api_says_when_kbli_is_not_loaded(kbli: ClassificationVersion, client: Client) -> None:
    kbli.delete()
    for q in ("padi", "0111", ""):
        response = client.get("/api/v1/kbli2020", {"q": q})
        assert response.status_code == 503 and "not loaded" in response.json()["detail"], q


def test_the_public_page_searches_and_shows_an_entry(kbli: ClassificationVersion, client: Client) -> None:
    page = client.get("/klasifikasi/kbli2020/", {"q": "padi"})
    assert page.status_code == 200
    assert 'data-code="01121"' in page.content.decode()
    long = client.get("/klasifikasi/kbli2020/", {"q": "padi " * 200})
    assert long.status_code == 400
    html = long.content.decode()
    assert "terlalu panjang" in html and 'id="kn-q"' in html  # the form, not an error page
    empty = client.get("/klasifikasi/kbli2020/", {"q": ""})
    assert empty.status_code == 200 and 'id="kn-message"' in empty.content.decode()
    entry = client.get("/klasifikasi/kbli2020/0111/").content.decode()
    assert 'id="kn-path"' in entry and "/klasifikasi/kbli2020/011/" in entry and "01119" in entry
    assert client.get("/klasifikasi/kbli2020/99999/").status_code == 404
    assert client.get("/klasifikasi/kbli2099/").status_code == 404


def test_descriptions_are_escaped_on_the_page(kbli: ClassificationVersion, client: Client) -> None:
    ClassificationEntry.objects.filter(version=kbli, code="01121").update(description="<script>alert(1)</script>")
    html = client.get("/klasifikasi/kbli2020/01121/").content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
