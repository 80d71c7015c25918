"""Reading a file of paper SKM questionnaires: CSV with the header `submitted_at,u1,…,u9` (any column order, all
ten required), one questionnaire per row, an empty cell = element left unanswered. `submitted_at` is an ISO 8601
date or moment; without an offset it is read in the office's time zone. Every row is checked before anything is
stored; the first bad row raises `ImportRowError` with its line number."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from pstdesk.ratings import skm
from pstdesk.ratings.actions import PaperRow

COLUMNS = ("submitted_at", *skm.ELEMENT_IDS)


class ImportRowError(ValueError):
    """A bad file: `line` is the 1-based line number in the file (the header is line 1)."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: {reason}")


def _parse_moment(raw: str, zone: ZoneInfo, now: datetime) -> datetime:
    text = raw.strip()
    if not text:
        raise ValueError("submitted_at is empty")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"submitted_at {raw!r} is not an ISO 8601 date or time") from None
    if len(text) == 10:  # a date alone: noon of that day, so the office's day holds it in any zone
        moment = datetime.combine(moment.date(), time(12))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment > now:
        raise ValueError(f"submitted_at {raw!r} is in the future")
    return moment


def read_csv(lines: Iterable[str], *, zone: ZoneInfo, now: datetime) -> list[PaperRow]:
    """All rows of the file, or ImportRowError for the first bad one (nothing partial)."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRowError(1, "the file is empty (a header submitted_at,u1,…,u9 is required)") from None
    header = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    extra = [h for h in header if h not in COLUMNS]
    if missing or extra or len(header) != len(set(header)):
        raise ImportRowError(1, f"header must be {','.join(COLUMNS)} (missing: {missing}, unknown: {extra})")
    rows: list[PaperRow] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            raise ImportRowError(line, f"expected {len(header)} columns, got {len(cells)}")
        record = dict(zip(header, cells, strict=True))
        try:
            moment = _parse_moment(record.pop("submitted_at"), zone, now)
            answers = skm.clean_answers(record)
        except ValueError as exc:
            raise ImportRowError(line, str(exc)) from None
        if not answers:
            raise ImportRowError(line, "no element answered")
        rows.append(PaperRow(line=line, submitted_at=moment, answers=answers))
    if not rows:
        raise ImportRowError(1, "the file has a header but no questionnaire")
    return rows
