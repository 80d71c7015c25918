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

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from pstdesk.knowledge import fts
from pstdesk.knowledge.models import Classification, ClassificationEntry, ClassificationVersion
from pstdesk.knowledge.text import check_length, normalise, short, terms
from pstdesk.lib.errors import InvalidInput

DATA = Path(__file__).resolve().parent / "reference"
KBLI2020 = DATA / "kbli2020.csv"
HEADER = ["code", "level", "parent_code", "title", "description"]
LEVELS = ("kategori", "golongan_pokok", "golongan", "subgolongan", "kelompok")
KELOMPOK_BOOST = 1.1
SEARCH_COLUMNS = ("search_title", "search_body", "search_vector")
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
    from django.db import connection

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


def level_label(level: str) -> str:
    return {
        "kategori": _("Kategori"),
        "golongan_pokok": _("Golongan pokok"),
        "golongan": _("Golongan"),
        "subgolongan": _("Subgolongan"),
        "kelompok": _("Kelompok"),
    }.get(level, level)


def _brief(entry: ClassificationEntry) -> dict[str, str]:
    return {"code": entry.code, "level": entry.level, "title": entry.title}


def search(version: ClassificationVersion, query: str, *, limit: int = 20, tree: bool = True) -> SearchResult:
    """Entries of `version` for a code prefix ("0111", "A") or for words of their title and description (all
    words; when nothing has them all, any word), best first, each with its path up the tree and its children.
    Raises InvalidInput for an over-long query; an empty query answers no hits and a message."""
    query = check_length(query)
    entries = ClassificationEntry.objects.filter(version=version).defer(*SEARCH_COLUMNS)
    if not query:
        return SearchResult(
            query, "empty", [], _("Tulis kode KBLI (misalnya 0111) atau kata kegiatan usaha (misalnya padi).")
        )
    compact = query.replace(" ", "").replace(".", "")
    if CODE.match(compact):
        code = compact.upper()
        # A prefix as a range, so the (version, code) index answers it (SQLite's LIKE is case-insensitive and
        # cannot use it): "0111" ≤ code < "0111\uffff".
        found = list(entries.filter(code__gte=code, code__lt=code + "\uffff").order_by("position")[:limit])
        kind = "code"
    else:
        words = terms(query, drop_stopwords=True) or terms(query)
        # Kelompok (5 digits) are the codes businesses register (OSS, NIB): among near-equal matches they come first.
        boost = ("level", "kelompok", KELOMPOK_BOOST)
        ranked = fts.rank_indexed(entries, words, limit=limit, boost=boost) or fts.rank_indexed(
            entries, words, any_term=True, limit=limit, boost=boost
        )
        by_id = {e.pk: e for e in entries.model.objects.defer(*SEARCH_COLUMNS).filter(pk__in=[p for p, _s in ranked])}
        found = [by_id[pk] for pk, _score in ranked if pk in by_id]
        kind = "text"
    hits = [Hit(e.code, e.level, e.title, e.description, short(e.description), level_label(e.level)) for e in found]
    if tree and found:
        _add_tree(version, found, hits)
    message = "" if hits else _("Tidak ada entri yang cocok dengan “%(q)s”.") % {"q": query}
    return SearchResult(query, kind, hits, message)


def _add_tree(version: ClassificationVersion, found: list[ClassificationEntry], hits: list[Hit]) -> None:
    """Fill each hit's path (kategori → … → parent, from the stored ancestry) and children: one query for all
    hits together, whatever their number."""
    wanted = {code for e in found for code in e.ancestry.split("/") if code}
    related = (
        ClassificationEntry.objects.filter(Q(version=version, code__in=wanted) | Q(parent__in=[e.pk for e in found]))
        .only("pk", "code", "level", "title", "parent_id", "position")
        .order_by()  # sorted here: the rows are few, and ORDER BY would make SQLite read the whole table
    )
    above: dict[str, ClassificationEntry] = {}
    children: dict[int, list[ClassificationEntry]] = {}
    for row in sorted(related, key=lambda r: r.position):
        if row.code in wanted:
            above[row.code] = row
        if row.parent_id is not None:
            children.setdefault(row.parent_id, []).append(row)
    for entry, hit in zip(found, hits, strict=True):
        hit.path = [_brief(above[c]) for c in entry.ancestry.split("/") if c in above]
        hit.children = [_brief(c) for c in children.get(entry.pk, [])]


def entry_detail(version: ClassificationVersion, code: str) -> Hit | None:
    entry = ClassificationEntry.objects.filter(version=version, code=code.upper()).defer(*SEARCH_COLUMNS).first()
    if entry is None:
        return None
    hit = Hit(
        entry.code, entry.level, entry.title, entry.description, short(entry.description), level_label(entry.level)
    )
    _add_tree(version, [entry], [hit])
    return hit
