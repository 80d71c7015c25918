"""The annual report of one office (`reports.figures.build_report`, with its two comparison periods) over N
generated consultations, against an independent hand-written raw-SQL computation of the same figures in the same
run (`REFERENCE` below: not the report's own SQL replayed). Prints the two timings, the ratio (target ≤ 1.5x),
the report's query count, and whether the reference's figures equal the report's.

Data: N consultations of office 5102 in the last 365 days plus N/10 in the year before (the comparison
periods), a visitor for every three consultations with a guestbook entry, eight officers with an assignment
history (one consultation in ten handed over before its answer), ratings for half of the answered ones. Rows are
written with COPY on PostgreSQL and executemany on SQLite, not through the ORM.

`python -m bench --only reports` runs 50,000 consultations; `--full` (make bench-full) 1,000,000. The reference
is PostgreSQL SQL (the issue's target); on SQLite only the report's time is measured, over a tenth of the rows.
The JSON of each run goes to stderr as one line (`{"bench": "reports", ...}`).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench import harness

OFFICE = "5102"
ZONE = "Asia/Makassar"


def run(backend: harness.Backend, *, full: bool) -> list[harness.Row]:
    size = 1_000_000 if full else 50_000
    if backend.name == "sqlite":  # no reference there, and SQLite converts time zones in Python: a tenth
        size //= 10
    with harness.data_dir() as data:
        env = harness.bench_env(backend, data)
        harness.manage(env, "migrate", "--noinput")
        out = subprocess.run(
            [sys.executable, "-m", "bench.reports", "--measure", str(size)],
            env=env,
            cwd=harness.ROOT,
            capture_output=True,
            text=True,
        )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"bench": "reports", "backend": backend.name, **result}), file=sys.stderr)
    label = f"annual report, 1 office ({size:,} consultations)"
    measured = f"{result['report_ms']:.0f} ms, {result['queries']} queries"
    if result.get("raw_ms") is None:
        return [harness.Row(label, backend.name, measured, "no reference on SQLite", "", "≤ 1.5x raw (PostgreSQL)", "")]
    ratio = result["report_ms"] / result["raw_ms"]
    same = "same figures" if result["same_figures"] else f"DIFFERENT: {', '.join(result['differences'][:5])}"
    return [
        harness.Row(
            label,
            backend.name,
            measured,
            f"{result['raw_ms']:.0f} ms raw SQL ({same})",
            f"{ratio:.2f}x",
            "≤ 1.5x raw; queries fixed",
            "yes" if ratio <= 1.5 and result["same_figures"] else "no",
        )
    ]


# --- data -------------------------------------------------------------------------------------------------------


def _load(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["?"] * len(columns))
            cursor.connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _when(moment: datetime, pg: bool) -> Any:
    return moment if pg else moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")


def generate(size: int, *, now: datetime, seed: int = 5102) -> None:
    from django.db import connection, transaction

    from pstdesk.accounts.models import User

    pg = connection.vendor == "postgresql"
    rng = random.Random(seed)
    officers = [
        User.objects.create(username=f"bench{i}", office_id=OFFICE, first_name=f"Petugas {i}") for i in range(8)
    ]
    officer_ids = [o.pk for o in officers]
    total = size + size // 10
    n_visitors = max(1, total // 3)
    visitors, entries = [], []
    for i in range(1, n_visitors + 1):
        visitors.append((i, uuid.uuid4().hex, f"Pengunjung {i}", f"b{i}@demo.invalid", "", "id", _when(now, pg)))
        entries.append(
            (
                i,
                i,
                OFFICE,
                _when(now, pg),
                "whatsapp",
                rng.choice("12"),
                str(rng.randint(2, 6)),
                str(rng.randint(1, 5)),
                str(rng.randint(1, 6)),
                "",
                str(rng.randint(1, 8)),
                "",
                "Universitas Udayana",
                str(rng.randint(1, 4)),
                "",
                rng.random() < 0.03,
                "[]",
                "{}",
            )
        )
    channels = ["whatsapp", "email", "livechat_website", "livechat_pfa"]
    topics = ["data", "metadata", "classification"]
    consultations, assignments, ratings = [], [], []
    for i in range(1, total + 1):
        days_back = rng.uniform(0, 365) if i <= size else rng.uniform(365, 730)
        created = now - timedelta(days=days_back)
        first = created + timedelta(minutes=rng.randint(2, 900)) if rng.random() < 0.97 else None
        answered = created + timedelta(hours=rng.uniform(1, 150)) if first and rng.random() < 0.9 else None
        if answered and answered > now:
            answered = None
        closed = (
            answered + timedelta(days=1) if answered and rng.random() < 0.8 and answered + timedelta(1) < now else None
        )
        status = "closed" if closed else ("answered" if answered else "open")
        officer = rng.choice(officer_ids)
        visitor = rng.randint(1, n_visitors)
        consultations.append(
            (
                i,
                OFFICE,
                visitor,
                rng.choice(channels),
                status,
                rng.choice(topics),
                "",
                "Permintaan data",
                officer,
                visitor,
                False,
                _when(created, pg),
                _when(created, pg),
                _when(created, pg),
                _when(created, pg),
                _when(created, pg),
                _when(created, pg),
                _when(created + timedelta(days=4), pg),
                _when(created + timedelta(hours=2), pg),
                _when(first, pg) if first else None,
                _when(answered, pg) if answered else None,
                _when(closed, pg) if closed else None,
                0,
                0,
            )
        )
        if answered and rng.random() < 0.1:  # handed over before the answer: the first officer started it
            before = rng.choice([o for o in officer_ids if o != officer])
            moment = created + (answered - created) / 2
            assignments.append((i, before, _when(created, pg), _when(moment, pg)))
            assignments.append((i, officer, _when(moment, pg), None))
        else:
            assignments.append((i, officer, _when(created, pg), None))
        if answered and rng.random() < 0.5:
            ratings.append(
                (
                    i,
                    rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 6, 30, 61])[0],
                    "Terima kasih" if rng.random() < 0.05 else "",
                    rng.random() < 0.002,
                    rng.random() < 0.001,
                    "whatsapp",
                    _when(min(answered + timedelta(hours=1), now), pg),
                )
            )
    with transaction.atomic():
        _load(
            "guestbook_visitor",
            ["id", "public_id", "name", "email", "whatsapp", "language", "created_at"],
            visitors,
        )
        _load(
            "guestbook_guestbookentry",
            [
                "id",
                "visitor_id",
                "office_id",
                "filled_at",
                "channel",
                "sex",
                "age_group",
                "education",
                "occupation",
                "occupation_other",
                "institution_category",
                "institution_category_other",
                "institution_name",
                "purpose",
                "purpose_other",
                "disability",
                "disability_kinds",
                "code_list_versions",
            ],
            entries,
        )
        _load(
            "consultations_consultation",
            [
                "id",
                "office_id",
                "visitor_id",
                "channel",
                "status",
                "topic",
                "subject",
                "title",
                "assigned_to_id",
                "guestbook_entry_id",
                "introduction_given",
                "created_at",
                "updated_at",
                "request_clear_at",
                "request_received_at",
                "requirements_complete_at",
                "sla_started_at",
                "due_at",
                "first_response_due_at",
                "first_response_at",
                "answered_at",
                "closed_at",
                "last_seq",
                "reopened_count",
            ],
            consultations,
        )
        _load("consultations_assignment", ["consultation_id", "officer_id", "started_at", "ended_at"], assignments)
        _load(
            "ratings_rating",
            ["consultation_id", "score", "feedback", "gratuity", "illegal_fee", "channel", "created_at"],
            ratings,
        )
    with connection.cursor() as cursor:
        if pg:
            for table in ("guestbook_visitor", "guestbook_guestbookentry", "consultations_consultation"):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")


# --- the reference: the same figures, written by hand for PostgreSQL ----------------------------------------------

# Periods as (key, start, end); every query computes the three periods in one pass where they share a table.
PERIODS_CTE = (
    "periods(k, s, e) AS (VALUES ('cur', %(s0)s::timestamptz, %(e0)s::timestamptz), "
    "('prev', %(s1)s::timestamptz, %(e1)s::timestamptz), ('year', %(s2)s::timestamptz, %(e2)s::timestamptz))"
)

# One row per consultation opened in a period, with its working-time measures from the calendar table.
BASE = f"""
WITH {PERIODS_CTE},
cal AS (SELECT date, ordinal, opens_epoch AS o, closes_epoch AS c, minutes_before AS mb
        FROM reports_workingday WHERE office_id = %(office)s),
base AS (
  SELECT p.k, x.*,
    CASE WHEN d0.o <= e0 AND e0 < d0.c THEN 1 ELSE 0 END AS inside,
    CASE WHEN x.first_response_at IS NOT NULL THEN
      COALESCE(d1.mb + GREATEST(0, LEAST(e1 - d1.o, d1.c - d1.o)) / 60.0, 0)
      - COALESCE(d0.mb + GREATEST(0, LEAST(e0 - d0.o, d0.c - d0.o)) / 60.0, 0) END AS frm,
    CASE WHEN x.answered_at IS NOT NULL AND x.sla_started_at IS NOT NULL THEN
      (d2.ordinal + (e2 >= d2.c)::int) - (d3.ordinal + (e3 >= d3.c)::int) END AS wd
  FROM (SELECT c.*,
          floor(extract(epoch FROM c.created_at))::bigint AS e0,
          floor(extract(epoch FROM c.first_response_at))::bigint AS e1,
          floor(extract(epoch FROM c.answered_at))::bigint AS e2,
          floor(extract(epoch FROM c.sla_started_at))::bigint AS e3
        FROM consultations_consultation c WHERE c.office_id = %(office)s) x
  JOIN periods p ON x.created_at >= p.s AND x.created_at < p.e
  LEFT JOIN cal d0 ON d0.date = (x.created_at AT TIME ZONE %(zone)s)::date
  LEFT JOIN cal d1 ON d1.date = (x.first_response_at AT TIME ZONE %(zone)s)::date
  LEFT JOIN cal d2 ON d2.date = (x.answered_at AT TIME ZONE %(zone)s)::date
  LEFT JOIN cal d3 ON d3.date = (x.sla_started_at AT TIME ZONE %(zone)s)::date
)"""

REFERENCE = {
    "totals": BASE
    + """
SELECT k, count(*) AS opened, sum(inside) AS inside,
  count(*) FILTER (WHERE channel = 'whatsapp') AS ch_whatsapp,
  count(*) FILTER (WHERE channel = 'email') AS ch_email,
  count(*) FILTER (WHERE channel = 'livechat_website') AS ch_web,
  count(*) FILTER (WHERE channel = 'livechat_pfa') AS ch_pfa,
  count(*) FILTER (WHERE topic = 'data') AS t_data, count(*) FILTER (WHERE topic = 'metadata') AS t_meta,
  count(*) FILTER (WHERE topic = 'classification') AS t_class,
  count(frm) AS fr_n, avg(frm) AS fr_mean,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY frm) AS fr_p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY frm) AS fr_p90,
  count(*) FILTER (WHERE first_response_at <= first_response_due_at) AS fr_within,
  count(*) FILTER (WHERE first_response_at IS NULL) AS fr_none,
  count(*) FILTER (WHERE answered_at IS NOT NULL AND sla_started_at IS NOT NULL) AS wd_n, avg(wd) AS wd_mean,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY wd) AS wd_p50,
  count(*) FILTER (WHERE due_at IS NOT NULL) AS started,
  count(*) FILTER (WHERE due_at IS NOT NULL AND answered_at IS NOT NULL) AS answered,
  count(*) FILTER (WHERE answered_at <= due_at) AS within,
  count(*) FILTER (WHERE due_at IS NOT NULL AND (answered_at IS NOT NULL OR due_at < %(now)s)) AS decided
FROM base GROUP BY k""",
    "days": BASE + "\nSELECT k, greatest(wd, 0) AS d, count(*) FROM base WHERE wd IS NOT NULL GROUP BY 1, 2",
    "grid": f"""WITH {PERIODS_CTE}
SELECT p.k, extract(isodow FROM c.created_at AT TIME ZONE %(zone)s) AS dow,
  extract(hour FROM c.created_at AT TIME ZONE %(zone)s) AS h, count(*)
FROM consultations_consultation c JOIN periods p ON c.created_at >= p.s AND c.created_at < p.e
WHERE c.office_id = %(office)s GROUP BY 1, 2, 3""",
    "closed": f"""WITH {PERIODS_CTE}
SELECT p.k, count(*) FROM consultations_consultation c JOIN periods p ON c.closed_at >= p.s AND c.closed_at < p.e
WHERE c.office_id = %(office)s GROUP BY 1""",
    "visitors": f"""WITH {PERIODS_CTE},
v AS (SELECT p.k, p.s, c.visitor_id, max(c.guestbook_entry_id) AS entry
      FROM consultations_consultation c JOIN periods p ON c.created_at >= p.s AND c.created_at < p.e
      WHERE c.office_id = %(office)s GROUP BY 1, 2, 3)
SELECT v.k, count(*) AS visitors,
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM consultations_consultation e
                                 WHERE e.office_id = %(office)s AND e.visitor_id = v.visitor_id AND e.created_at < v.s))
    AS returning
FROM v GROUP BY 1""",
    "guestbook": f"""WITH {PERIODS_CTE},
v AS (SELECT p.k, max(c.guestbook_entry_id) AS entry
      FROM consultations_consultation c JOIN periods p ON c.created_at >= p.s AND c.created_at < p.e
      WHERE c.office_id = %(office)s AND c.guestbook_entry_id IS NOT NULL GROUP BY p.k, c.visitor_id),
g AS MATERIALIZED (SELECT v.k, e.* FROM v JOIN guestbook_guestbookentry e ON e.id = v.entry)
SELECT k, 'sex' AS f, sex AS code, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'age_group', age_group, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'education', education, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'occupation', occupation, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'institution_category', institution_category, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'purpose', purpose, count(*) FROM g GROUP BY 1, 3
UNION ALL SELECT k, 'disability', disability::text, count(*) FROM g GROUP BY 1, 3""",
    "ratings": f"""WITH {PERIODS_CTE}
SELECT p.k, count(*) AS n, avg(r.score) AS mean, count(*) FILTER (WHERE r.score = 5) AS s5,
  count(*) FILTER (WHERE r.score = 1) AS s1, count(*) FILTER (WHERE r.feedback <> '') AS feedback,
  count(*) FILTER (WHERE r.gratuity) AS gratuity, count(*) FILTER (WHERE r.illegal_fee) AS illegal_fee
FROM ratings_rating r JOIN consultations_consultation c ON c.id = r.consultation_id
JOIN periods p ON r.created_at >= p.s AND r.created_at < p.e WHERE c.office_id = %(office)s GROUP BY 1""",
    "response_rate": f"""WITH {PERIODS_CTE}
SELECT p.k, c.channel, count(*) AS answered, count(r.id) AS rated
FROM consultations_consultation c JOIN periods p ON c.created_at >= p.s AND c.created_at < p.e
LEFT JOIN ratings_rating r ON r.consultation_id = c.id
WHERE c.office_id = %(office)s AND c.answered_at IS NOT NULL GROUP BY 1, 2""",
    "officers": BASE
    + """
, held AS (
  SELECT b.*, coalesce(
    (SELECT a.officer_id FROM consultations_assignment a
     WHERE a.consultation_id = b.id AND a.started_at <= coalesce(b.answered_at, %(now)s)
       AND (a.ended_at IS NULL OR a.ended_at > coalesce(b.answered_at, %(now)s))
     ORDER BY a.started_at DESC LIMIT 1), b.assigned_to_id) AS officer
  FROM base b WHERE b.k = 'cur')
SELECT officer, count(*) AS handled,
  count(*) FILTER (WHERE due_at IS NOT NULL AND (answered_at IS NOT NULL OR due_at < %(now)s)) AS decided,
  count(*) FILTER (WHERE answered_at <= due_at) AS on_time,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY frm) AS fr_p50, count(r.id) AS ratings, avg(r.score) AS rating_mean
FROM held LEFT JOIN ratings_rating r ON r.consultation_id = held.id
WHERE officer IS NOT NULL GROUP BY officer""",
}


def reference(params: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    from django.db import connection

    results = {}
    with connection.cursor() as cursor:
        for name, sql in REFERENCE.items():
            cursor.execute(sql, params)
            results[name] = cursor.fetchall()
    return results


def compare(report: dict[str, Any], ref: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    """Where the report's figures differ from the reference's (empty when they agree)."""
    differences = []

    def check(name: str, ours: Any, theirs: Any) -> None:
        if isinstance(ours, float) or isinstance(theirs, float):
            if ours is None or theirs is None or abs(float(ours) - float(theirs)) > 0.051:
                differences.append(f"{name}: {ours} vs {theirs}")
        elif ours != theirs:
            differences.append(f"{name}: {ours} vs {theirs}")

    periods = {"cur": report, "prev": report["previous"], "year": report["year_earlier"]}
    totals = {row[0]: row for row in ref["totals"]}
    for key, figures in periods.items():
        row = totals.get(key)
        if row is None:
            check(f"{key}.opened", figures["consultations"]["opened"], 0)
            continue
        c, s = figures["consultations"], figures["sla"]
        check(f"{key}.opened", c["opened"], row[1])
        check(f"{key}.inside", c["inside_service_hours"], int(row[2]))
        check(
            f"{key}.by_channel",
            [c["by_channel"].get(ch, 0) for ch in ("whatsapp", "email", "livechat_website", "livechat_pfa")],
            list(row[3:7]),
        )
        check(f"{key}.by_topic", [c["by_topic"][t] for t in ("data", "metadata", "classification")], list(row[7:10]))
        fr = s["first_response"]
        check(f"{key}.fr.count", fr["count"], row[10])
        check(f"{key}.fr.mean", fr["mean_minutes"], round(float(row[11]), 1) if row[11] is not None else None)
        check(f"{key}.fr.median", fr["median_minutes"], row[12])
        check(f"{key}.fr.p90", fr["p90_minutes"], row[13])
        check(f"{key}.fr.within", fr["within_target"], row[14])
        check(f"{key}.fr.none", fr["without_response"], row[15])
        check(f"{key}.days.count", s["days_to_answer"]["count"], row[16])
        check(f"{key}.days.mean", s["days_to_answer"]["mean"], float(row[17]) if row[17] is not None else None)
        check(f"{key}.days.median", s["days_to_answer"]["median"], row[18])
        check(f"{key}.cohort", [s["started"], s["answered"], s["within_standard"], s["decided"]], list(row[19:23]))
        days = {str(d): n for k, d, n in ref["days"] if k == key}
        check(
            f"{key}.days.distribution",
            s["days_to_answer"]["distribution"],
            dict(sorted(days.items(), key=lambda i: int(i[0]))),
        )
        grid = [0] * 7
        for k, dow, _h, n in ref["grid"]:
            if k == key:
                grid[int(dow) - 1] += n
        check(f"{key}.by_weekday", [c["by_weekday"][str(d)] for d in range(1, 8)], grid)
        check(f"{key}.closed", c["closed"], dict((k, n) for k, n in ref["closed"]).get(key, 0))
        visitors = {k: (n, r) for k, n, r in ref["visitors"]}.get(key, (0, 0))
        check(f"{key}.visitors", [c["visitors"], c["returning_visitors"]], list(visitors))
        sex = {code: n for k, f, code, n in ref["guestbook"] if k == key and f == "sex"}
        check(f"{key}.guestbook.sex", {code: v["count"] for code, v in figures["visitors"]["sex"].items()}, sex)
        ratings = {row[0]: row for row in ref["ratings"]}.get(key)
        r = figures["ratings"]
        if ratings:
            check(f"{key}.ratings.count", r["count"], ratings[1])
            check(f"{key}.ratings.mean", r["mean"], float(ratings[2]))
            check(f"{key}.ratings.dist", [r["distribution"]["5"], r["distribution"]["1"]], [ratings[3], ratings[4]])
            check(
                f"{key}.ratings.integrity",
                [r["integrity"]["gratuity"], r["integrity"]["illegal_fee"]],
                [ratings[6], ratings[7]],
            )
        rated = {ch: (a, n) for k, ch, a, n in ref["response_rate"] if k == key}
        for channel, (answered, n) in rated.items():
            check(
                f"{key}.rated.{channel}",
                [r["by_channel"][channel]["answered"], r["by_channel"][channel]["rated"]],
                [answered, n],
            )
    officers = {row[0]: row for row in ref["officers"]}
    for row in report["officers"]:
        theirs = officers.get(row["id"])
        if theirs is None:
            differences.append(f"officer {row['id']} missing from the reference")
            continue
        check(
            f"officer {row['id']}",
            [row["handled"], row["decided"], row["on_time"], row["ratings"]],
            [theirs[1], theirs[2], theirs[3], theirs[5]],
        )
        check(f"officer {row['id']}.median", row["median_first_response_minutes"], theirs[4])
    if len(officers) != len(report["officers"]):
        differences.append(f"officers: {len(report['officers'])} vs {len(officers)}")
    return differences


def _measure_here(size: int) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from pstdesk.offices.models import Office
    from pstdesk.reports.figures import build_report
    from pstdesk.reports.periods import Period

    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    generate(size, now=now)
    generate_s = time.perf_counter() - started
    office = Office.objects.get(code=OFFICE)
    today = now.astimezone(ZoneInfo(office.timezone)).date()
    period = Period(today - timedelta(days=364), today, "range")
    report = build_report(office, period, now=now)  # builds the working calendar; warms caches and connections
    timings, raw = [], []
    params: dict[str, Any] = {"office": OFFICE, "zone": office.timezone, "now": now}
    for i, p in enumerate((period, period.previous(), period.year_earlier())):
        zone = ZoneInfo(office.timezone)
        params[f"s{i}"], params[f"e{i}"] = p.bounds(zone)
    pg = connection.vendor == "postgresql"
    ref: dict[str, Any] = {}
    for _ in range(3 if size <= 100_000 else 1):  # a million rows: one timed run each after the warm-up
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            report = build_report(office, period, now=now)
            timings.append((time.perf_counter() - started) * 1000)
        if pg:
            started = time.perf_counter()
            ref = reference(params)
            raw.append((time.perf_counter() - started) * 1000)
    differences = compare(report, ref) if pg else []
    print(
        json.dumps(
            {
                "size": size,
                "generate_s": round(generate_s, 1),
                "report_ms": harness.median(timings),
                "raw_ms": harness.median(raw) if raw else None,
                "ratio": round(harness.median(timings) / harness.median(raw), 3) if raw else None,
                "target": 1.5,
                "queries": len(queries.captured_queries),
                "reference_queries": len(REFERENCE) if pg else None,
                "same_figures": not differences,
                "differences": differences,
            }
        )
    )


if __name__ == "__main__" and "--measure" in sys.argv:
    _measure_here(int(sys.argv[sys.argv.index("--measure") + 1]))
