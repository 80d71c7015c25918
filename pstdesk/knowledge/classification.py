"""Reference classifications: loading a version from its CSV file, and searching it.

The file format is the one of `reference/kbli2020.csv` (see `reference/kbli2020.README.md`): header
`code,level,parent_code,title,description`, rows in tree pre-order, codes as strings. A later KBLI 2025 file in the
same format loads beside it as another version (`load_classification FILE --slug kbli2025 --title "KBLI 2025"`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pstdesk.knowledge import fts
from pstdesk.knowledge.models import Classification, ClassificationEntry, ClassificationVersion
from pstdesk.knowledge.text import check_length, normalise, short, terms
from pstdesk.lib.errors import InvalidInput

DATA = Path(__file__).resolve().parent / "reference"
KBLI2020 = DATA / "kbli2020.csv"
HEADER = ["code", "level", "parent_code", "title", "description"]
LEVELS = ("kategori", "golongan_pokok", "golongan", "subgolongan", "kelompok")
KELOMPOK_BOOST = 1.1
CODE = re.compile(r"^(?:[A-Za-z]|\d{1,5})$")


@dataclass(frozen=True)
class SourceFile:
    rows: list[dict[str, str]]
    checksum: str


@lru_cache(maxsize=4)
def read_source(path: Path) -> SourceFile:
    """The rows of a classification file, checked for what the loader relies on (header, levels, parents that come
    before their children). A bad file raises InvalidInput naming the record; nothing is loaded."""
    raw = path.read_bytes()
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    if next(reader, None) != HEADER:
        raise InvalidInput(_("Berkas klasifikasi harus berkepala %(header)s.") % {"header": ",".join(HEADER)})
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for number, values in enumerate(reader, start=2):
        if len(values) != len(HEADER):
            raise InvalidInput(_("Baris %(n)d: jumlah kolom salah.") % {"n": number})
        row = dict(zip(HEADER, values, strict=True))
        if row["level"] not in LEVELS or not row["code"] or row["code"] in seen or not row["title"].strip():
            raise InvalidInput(_("Baris %(n)d: kode, tingkat atau judul tidak sah.") % {"n": number})
        if row["parent_code"] and row["parent_code"] not in seen:
            raise InvalidInput(
                _("Baris %(n)d: induk %(parent)s belum ada.") % {"n": number, "parent": row["parent_code"]}
            )
        seen.add(row["code"])
        # Normalised once per file and process (a test flush reloads the same rows).
        row["search_title"] = normalise(row["code"] + " " + row["title"])
        row["search_body"] = normalise(row["description"])
        rows.append(row)
    return SourceFile(rows=rows, checksum=hashlib.sha256(raw).hexdigest())


def load_classification(
    path: Path, *, classification: str, name: str, version: str, title: str, force: bool = False
) -> ClassificationVersion:
    """Load (or reload) one version from its file, in one transaction: the entries, their parents, and the search
    index. Loading the file it was loaded from changes nothing unless the rows or the index went missing (a
    test flush) or `force` is given."""
    checksum = hashlib.sha256(path.read_bytes()).hexdigest()
    with transaction.atomic():
        family, _created = Classification.objects.get_or_create(slug=classification, defaults={"name": name})
        current = ClassificationVersion.objects.filter(slug=version).first()
        if (  # the same file, completely loaded and indexed: nothing to parse or write (every `migrate` asks)
            current is not None
            and not force
            and current.checksum == checksum
            and ClassificationEntry.objects.filter(version=current).count() == current.entry_count
            and _indexed_count(current) == current.entry_count
        ):
            return current
        source = read_source(path)
        if current is None:
            current = ClassificationVersion(classification=family, slug=version)
        else:
            old = ClassificationEntry.objects.filter(version=current)
            fts.unindex_rows(ClassificationEntry, old.values_list("pk", flat=True))
            old.update(parent=None)
            old._raw_delete(old.db)  # no signals, no cascade to collect: the rows only point at each other
        current.title = title
        current.source = path.name
        current.checksum = source.checksum
        current.entry_count = len(source.rows)
        current.save()
        # Level by level, so every parent has its id (returned by the insert) before its children are written.
        ids: dict[str, int] = {}
        ancestry: dict[str, str] = {}
        position = {row["code"]: n for n, row in enumerate(source.rows)}
        for level in LEVELS:
            batch = []
            for row in source.rows:
                if row["level"] != level:
                    continue
                if row["parent_code"] and row["parent_code"] not in ids:
                    raise InvalidInput(
                        _("Kode %(code)s: induknya harus di tingkat di atasnya.") % {"code": row["code"]}
                    )
                parent = row["parent_code"]
                ancestry[row["code"]] = (ancestry[parent] + "/" + parent).lstrip("/") if parent else ""
                batch.append(
                    ClassificationEntry(
                        version=current,
                        code=row["code"],
                        level=row["level"],
                        parent_id=ids.get(row["parent_code"]),
                        title=row["title"],
                        description=row["description"],
                        position=position[row["code"]],
                        ancestry=ancestry[row["code"]],
                        search_title=row["search_title"],
                        search_body=row["search_body"],
                    )
                )
            ClassificationEntry.objects.bulk_create(batch, batch_size=500)
            ids.update({entry.code: entry.pk for entry in batch})
        fts.index_rows(ClassificationEntry, ids.values())
    return current


def _indexed_count(version: ClassificationVersion) -> int:
    entries = ClassificationEntry.objects.filter(version=version)
    if fts.is_postgres():
        return entries.filter(search_vector__isnull=False).count()
    inner_sql, params = entries.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM knowledge_entry_fts WHERE rowid IN ({inner_sql})", params)
        return int(cursor.fetchone()[0])


def ensure_kbli2020(using: str = "default") -> ClassificationVersion:
    """KBLI 2020 from the file shipped with the app (after every migrate; tests call it after a flush)."""
    return load_classification(
        KBLI2020,
        classification="kbli",
        name="Klasifikasi Baku Lapangan Usaha Indonesia",
        version="kbli2020",
        title="KBLI 2020",
    )


# --- search ----------------------------------------------------------------------------------------------------------
@dataclass
class Hit:
    code: str
    level: str
    title: str
    description: str
    summary: str
    level_name: str = ""
    path: list[dict[str, str]] = field(default_factory=list)
    children: list[dict[str, str]] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    kind: str  # "code" | "text" | "empty"
    hits: list[Hit]
    message: str = ""


LEVEL_LABELS = {
    "kategori": gettext_noop("Kategori"),
    "golongan_pokok": gettext_noop("Golongan pokok"),
    "golongan": gettext_noop("Golongan"),
    "subgolongan": gettext_noop("Subgolongan"),
    "kelompok": gettext_noop("Kelompok"),
}


def level_label(level: str) -> str:
    """The level's name in the current language (one translation look-up, not one per level)."""
    return _(LEVEL_LABELS[level]) if level in LEVEL_LABELS else level


def search(version: ClassificationVersion | str, query: str, *, limit: int = 20, tree: bool = True) -> SearchResult:
    """Entries of `version` for a code prefix ("0111", "A") or for words of their title and description (all
    words; when nothing has them all, any word), best first, each with its path up the tree and its children.
    Raises InvalidInput for an over-long query; an empty query answers no hits and a message. `version` may be
    given by its slug: it is then looked up inside the search's statement (a missing version finds nothing).

    One SQL statement whatever the query and the number of hits (see `_entries`): the match (the (version,
    code) index for a code, the full-text index for words), the ranking, the paths and the children."""
    query = check_length(query)
    if not query:
        return SearchResult(
            query, "empty", [], _("Tulis kode KBLI (misalnya 0111) atau kata kegiatan usaha (misalnya padi).")
        )
    compact = query.replace(" ", "").replace(".", "")
    version_sql, version_param = _version_sql(version)
    if CODE.match(compact):
        code = compact.upper()
        # A prefix as a range, so the (version, code) index answers it (SQLite's LIKE is case-insensitive and
        # cannot use it): "0111" <= code < "0111\uffff".
        hits = _entries(
            "",
            f"SELECT id, position AS rank FROM {ENTRIES} WHERE version_id = {version_sql} AND code >= %s AND code < %s "
            "ORDER BY position LIMIT %s",
            [version_param, code, code + "\uffff", limit],
            tree=tree,
        )
        kind = "code"
    else:
        words = terms(query, drop_stopwords=True) or terms(query)
        hits = _entries(*_ranked_by_words(version_sql, version_param, words, limit), tree=tree) if words else []
        kind = "text"
    message = "" if hits else _("Tidak ada entri yang cocok dengan “%(q)s”.") % {"q": query}
    return SearchResult(query, kind, hits, message)


def entry_detail(version: ClassificationVersion, code: str) -> Hit | None:
    hits_sql = f"SELECT id, 0 AS rank FROM {ENTRIES} WHERE version_id = %s AND code = %s"
    found = _entries("", hits_sql, [version.pk, code.upper()], tree=True)
    return found[0] if found else None


ENTRIES = ClassificationEntry._meta.db_table
VERSIONS = ClassificationVersion._meta.db_table


def _version_sql(version: ClassificationVersion | str) -> tuple[str, Any]:
    """The SQL for a version's id and its parameter: the id, or for a slug a sub-select (no query of its own)."""
    if isinstance(version, str):
        return f"(SELECT id FROM {VERSIONS} WHERE slug = %s)", version
    return "%s", version.pk


def _ranked_by_words(version_sql: str, version_param: Any, words: list[str], limit: int) -> tuple[str, str, list[Any]]:
    """(CTEs, hits query, parameters) of a word query: ids ranked by the database (ts_rank / bm25, kelompok
    boosted), of the entries with all the words or, when none has them all, with any of them. The match is the
    full-text index's: PostgreSQL's GIN index (the version is filtered after it, as it holds nearly every row),
    SQLite's FTS5 table."""
    boost = f"CASE WHEN e.level = 'kelompok' THEN {KELOMPOK_BOOST} ELSE 1.0 END"
    every_first = "NOT EXISTS (SELECT 1 FROM with_all) AND "
    if fts.is_postgres():

        def ranked(name: str, guard: str) -> str:
            return (
                f"{name} AS (SELECT e.id, ts_rank(e.search_vector, to_tsquery('simple', %s)) * {boost} AS score "
                f"FROM {ENTRIES} e WHERE {guard}e.search_vector @@ to_tsquery('simple', %s) "
                f"AND e.version_id = {version_sql} ORDER BY score DESC, e.id LIMIT %s), "
            )

        ctes = ranked("with_all", "") + ranked("with_any", every_first)
        every, some = fts.tsquery_expr(words, any_term=False), fts.tsquery_expr(words, any_term=True)
        params: list[Any] = [every, every, version_param, limit, some, some, version_param, limit]
    else:
        table = fts.FTS_TABLES[ClassificationEntry._meta.label_lower]
        weights = ", ".join(str(w) for w in fts.WEIGHTS)

        def ranked(name: str, guard: str) -> str:
            # The match runs once, materialised, then joins the entries: with other terms beside MATCH, SQLite
            # would evaluate the match row by row.
            return (
                f"m_{name} AS MATERIALIZED (SELECT rowid AS id, -bm25({table}, {weights}) AS score FROM {table} "
                f"WHERE {guard}{table} MATCH %s), "
                f"{name} AS (SELECT m.id, m.score * {boost} AS score FROM m_{name} m JOIN {ENTRIES} e ON e.id = m.id "
                f"WHERE e.version_id = {version_sql} ORDER BY score DESC, m.id LIMIT %s), "
            )

        ctes = ranked("with_all", "") + ranked("with_any", every_first)
        params = [fts.fts5_expr(words, any_term=False), version_param, limit]
        params += [fts.fts5_expr(words, any_term=True), version_param, limit]
    hits = (
        "SELECT id, row_number() OVER (ORDER BY score DESC, id) AS rank "
        "FROM (SELECT id, score FROM with_all UNION ALL SELECT id, score FROM with_any) ranked"
    )
    return ctes, hits, params


def _entries(ctes: str, hits_sql: str, params: list[Any], *, tree: bool) -> list[Hit]:
    """One statement: the hits (`hits_sql`, after the CTEs `ctes`: id and rank), every ancestor of each hit and
    the hits' children; each hit's path (kategori first) and children (in the source's order) are put together
    here."""
    columns = "e.id, e.code, e.level, e.title, e.parent_id, e.position"
    # The ancestors: a hit's parent, its parent's parent, … as far as the levels go (a fixed chain of primary-key
    # look-ups; a recursive walk made PostgreSQL hash the whole table for its guessed 400 steps).
    depth = len(LEVELS) - 1
    chain = " ".join(f"LEFT JOIN {ENTRIES} p{n} ON p{n}.id = p{n - 1}.parent_id" for n in range(1, depth))
    lineage = ", ".join(f"p{n}.parent_id AS a{n}" for n in range(depth))
    ancestors = " UNION ".join(f"SELECT a{n} FROM lineage" for n in range(depth))
    sql = (
        f"WITH {ctes}hit AS ({hits_sql}), "
        f"lineage AS (SELECT {lineage} FROM hit JOIN {ENTRIES} p0 ON p0.id = hit.id {chain}) "
        f"SELECT 0 AS role, hit.rank, {columns}, e.description FROM hit JOIN {ENTRIES} e ON e.id = hit.id"
    )
    if tree:
        sql += (
            f" UNION ALL SELECT 1, 0, {columns}, '' FROM {ENTRIES} e WHERE e.id IN ({ancestors})"
            f" UNION ALL SELECT 2, 0, {columns}, '' FROM {ENTRIES} e WHERE e.parent_id IN (SELECT id FROM hit)"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    above = {r[2]: r for r in rows if r[0] == 1}
    children: dict[int, list[tuple[Any, ...]]] = {}
    for row in sorted((r for r in rows if r[0] == 2), key=lambda r: r[7]):
        children.setdefault(row[6], []).append(row)
    hits = []
    for _role, _rank, pk, code, level, title, parent, _position, description in sorted(
        (r for r in rows if r[0] == 0), key=lambda r: r[1]
    ):
        hit = Hit(code, level, title, description, short(description), level_label(level))
        if tree:
            while parent in above:
                hit.path.append(_brief(above[parent]))
                parent = above[parent][6]
            hit.path.reverse()
            hit.children = [_brief(c) for c in children.get(pk, [])]
        hits.append(hit)
    return hits


def _brief(row: tuple[Any, ...]) -> dict[str, str]:
    return {"code": row[3], "level": row[4], "title": row[5]}
