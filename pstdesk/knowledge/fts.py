"""The database full-text search of the knowledge app, on PostgreSQL and on SQLite, behind three functions.

- Indexed tables (`ClassificationEntry`, `Article`): PostgreSQL reads the stored `search_vector` (GIN index);
  SQLite reads an FTS5 table whose rowid is the row's id. `index_rows` writes both kinds of index from the
  normalised `search_title`/`search_body` columns, `unindex_rows` removes rows.
- `rank_indexed`: ids of an indexed table matching the query terms, best first (ts_rank / bm25).
- `rank_texts`: other apps' rows that carry no index of ours (canned replies, past consultations): PostgreSQL
  computes the tsvector in the query; SQLite fills a TEMP FTS5 table for the one query (private to the
  connection, dropped at once) — the ranking is the database's either way, never a Python loop.

Query terms come from `text.terms`: only [0-9a-z] words, so they are safe inside FTS5 and tsquery expressions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection, models

from pstdesk.knowledge.text import normalise

# FTS5 tables by model label (created by migration 0001 on SQLite). Column weights for bm25: title, body.
FTS_TABLES = {
    "knowledge.classificationentry": "knowledge_entry_fts",
    "knowledge.article": "knowledge_article_fts",
}
WEIGHTS = (8.0, 1.0)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


# All words: whole words, the last one also as a prefix (it may be half typed); any word (a visitor's message):
# every word as a prefix, so "tabelnya" still finds "tabel…". Whole words are also much cheaper to match.
def fts5_expr(terms: Sequence[str], *, any_term: bool) -> str:
    if any_term:
        return " OR ".join(f'"{t}"*' for t in terms)
    return " AND ".join(f'"{t}"' for t in terms[:-1]) + (" AND " if len(terms) > 1 else "") + f'"{terms[-1]}"*'


def tsquery_expr(terms: Sequence[str], *, any_term: bool) -> str:
    if any_term:
        return " | ".join(f"{t}:*" for t in terms)
    return " & ".join([*terms[:-1], f"{terms[-1]}:*"])


def index_rows(model: type[models.Model], ids: Iterable[int] | None = None) -> None:
    """(Re)index the rows `ids` of `model` (all its rows when None) from their normalised columns."""
    table = model._meta.db_table
    fts = FTS_TABLES[model._meta.label_lower]
    id_list = None if ids is None else list(ids)
    with connection.cursor() as cursor:
        if is_postgres():
            params: list[Any] = [] if id_list is None else [id_list]
            where = "" if id_list is None else " WHERE id = ANY(%s)"
            cursor.execute(
                f"UPDATE {table} SET search_vector = "
                "setweight(to_tsvector('simple', search_title), 'A') || "
                f"setweight(to_tsvector('simple', search_body), 'B'){where}",
                params,
            )
            if id_list is None or len(id_list) > 100:
                # After a bulk load: fresh statistics, or the planner (guessing a few dozen rows per version)
                # filters a whole version row by row instead of using the GIN index (100 ms instead of 1 ms).
                cursor.execute(f"ANALYZE {table}")
            return
        unindex_rows(model, id_list)
        if id_list == []:
            return
        params = [] if id_list is None else list(id_list)
        where = "" if id_list is None else f" WHERE id IN ({','.join('%s' for _ in params)})"
        cursor.execute(
            f"INSERT INTO {fts}(rowid, title, body) SELECT id, search_title, search_body FROM {table}{where}", params
        )
        if len(params) > 100 or id_list is None:
            # After a bulk load: merge the index segments into one (a search then reads one b-tree, 10x faster).
            cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")


def unindex_rows(model: type[models.Model], ids: Iterable[int] | None = None) -> None:
    """Drop rows from the SQLite FTS5 table (all when `ids` is None). PostgreSQL keeps its vector in the row."""
    if is_postgres():
        return
    fts = FTS_TABLES[model._meta.label_lower]
    with connection.cursor() as cursor:
        if ids is None:
            cursor.execute(f"DELETE FROM {fts}")
            return
        id_list = list(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            cursor.execute(f"DELETE FROM {fts} WHERE rowid IN ({','.join('%s' for _ in chunk)})", chunk)


def rank_indexed(
    queryset: models.QuerySet[Any],
    terms: Sequence[str],
    *,
    any_term: bool = False,
    limit: int = 20,
    boost: tuple[str, str, float] | None = None,
) -> list[tuple[int, float]]:
    """(id, score) of the rows of `queryset` that match `terms` (all of them, or any with `any_term`), best first.
    `queryset` holds the filters (version, office, status); the match and the ranking are the database's.
    `boost` = (column, value, factor) multiplies the score of rows whose column has that value."""
    if not terms:
        return []
    model = queryset.model
    if is_postgres():
        query = SearchQuery(tsquery_expr(terms, any_term=any_term), search_type="raw", config="simple")
        factor: Any = models.Value(1.0)
        if boost:
            factor = models.Case(
                models.When(**{boost[0]: boost[1]}, then=models.Value(boost[2])),
                default=models.Value(1.0),
                output_field=models.FloatField(),
            )
        rows = (
            queryset.filter(search_vector=query)
            .annotate(score=SearchRank(models.F("search_vector"), query) * factor)
            .order_by("-score", "pk")
            .values_list("pk", "score")[:limit]
        )
        return [(pk, float(score)) for pk, score in rows]
    fts = FTS_TABLES[model._meta.label_lower]
    # Without the model's ordering: sorting the filtered ids would read every row (a big one, with its text).
    inner_sql, inner_params = queryset.order_by().values("pk").query.sql_with_params()
    factor = "1.0"
    factor_params: list[Any] = []
    if boost:
        column = model._meta.get_field(boost[0]).column
        factor = f"(CASE WHEN t.{connection.ops.quote_name(column)} = %s THEN %s ELSE 1.0 END)"
        factor_params = [boost[1], boost[2]]
    # The match runs once, materialised, before the filters: with `rowid IN (…)` beside MATCH, SQLite would
    # look every filtered row up in the index and evaluate the match per row (seconds instead of milliseconds).
    sql = (
        f"WITH m AS MATERIALIZED (SELECT rowid AS id, -bm25({fts}, {WEIGHTS[0]}, {WEIGHTS[1]}) AS score "
        f"FROM {fts} WHERE {fts} MATCH %s) "
        f"SELECT m.id, m.score * {factor} AS score FROM m JOIN {model._meta.db_table} t ON t.id = m.id "
        f"WHERE m.id IN ({inner_sql}) ORDER BY score DESC, m.id LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [fts5_expr(terms, any_term=any_term), *factor_params, *inner_params, limit])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def rank_texts(
    queryset: models.QuerySet[Any], key: str, field: str, terms: Sequence[str], *, limit: int = 5, fetch: int = 2000
) -> list[tuple[Any, float]]:
    """(key, score) of the rows of `queryset` whose text column `field` matches any of `terms`, best first, one
    per distinct `key` (e.g. messages ranked, keyed by their consultation). For tables without an index of ours;
    `fetch` bounds the rows SQLite copies per query (the newest first, if the queryset is ordered so)."""
    if not terms:
        return []
    if is_postgres():
        vector = SearchVector(field, config="simple")
        query = SearchQuery(tsquery_expr(terms, any_term=True), search_type="raw", config="simple")
        found = list(
            queryset.annotate(kn_vector=vector)
            .filter(kn_vector=query)
            .annotate(kn_score=SearchRank(vector, query))
            .order_by("-kn_score", key)
            .values_list(key, "kn_score")[: limit * 5]
        )
    else:
        pairs = list(queryset.values_list(key, field)[:fetch])
        if not pairs:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.knowledge_scratch_fts "
                "USING fts5(key UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
            )
            try:
                cursor.executemany(
                    "INSERT INTO temp.knowledge_scratch_fts(key, body) VALUES (%s, %s)",
                    [(k, normalise(text or "")) for k, text in pairs],
                )
                cursor.execute(
                    "SELECT key, -bm25(knowledge_scratch_fts) AS score FROM temp.knowledge_scratch_fts "
                    "WHERE knowledge_scratch_fts MATCH %s ORDER BY score DESC LIMIT %s",
                    [fts5_expr(terms, any_term=True), limit * 5],
                )
                found = cursor.fetchall()
            finally:
                cursor.execute("DELETE FROM temp.knowledge_scratch_fts")
    best: dict[Any, float] = {}
    for k, score in found:
        best.setdefault(k, float(score))
    return list(best.items())[:limit]
