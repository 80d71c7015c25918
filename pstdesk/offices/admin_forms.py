"""Structured form fields of the admin for the service standard and the office's website origins.

The standard's JSON fields are edited as rows of plain inputs (a list of records, hours per weekday, a text in
Indonesian and English), never as JSON: each widget names its inputs `<field>-<row>-<key>`, reads them back into
the same JSON shape the seed files use, and keeps the keys it does not show (e.g. a requirement's `source`) in a
hidden input per row, so saving an unchanged form yields exactly the stored value. Rows are added in the browser
by `offices/admin/structured.js` (a copy of the blank template row); without JavaScript one blank row is offered.
Each field validates its rows one by one and reports the row and the value it refuses, beside the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pstdesk.offices.models import Channel

LANGS = ("id", "en")
WEEKDAYS: tuple[tuple[str, Promise], ...] = (
    ("mon", _("Senin")),
    ("tue", _("Selasa")),
    ("wed", _("Rabu")),
    ("thu", _("Kamis")),
    ("fri", _("Jumat")),
    ("sat", _("Sabtu")),
    ("sun", _("Minggu")),
)
_TIME = re.compile(r"^(\d{1,2})[.:](\d{2})$")


@dataclass(frozen=True)
class Column:
    """One input of a row: `kind` is "text", "textarea", "int", "select" or "bilingual" (two inputs, id and en)."""

    key: str
    label: Promise | str
    kind: str = "text"
    choices: Sequence[tuple[str, Any]] = field(default_factory=tuple)
    required: bool = False


def _bilingual(data: Mapping[str, Any], prefix: str) -> dict[str, str]:
    values = {lang: str(data.get(f"{prefix}-{lang}", "")).strip() for lang in LANGS}
    return values if any(values.values()) else {}


class StructuredWidget(forms.Widget):
    """The widgets' shared script (add-row) and style."""

    class Media:
        css = {"all": ["offices/admin/structured.css"]}
        js = ["offices/admin/structured.js"]


class RecordListWidget(StructuredWidget):
    """A list of records (or of plain values, with `scalar=True` and one column) as a table of rows."""

    template_name = "admin/offices/widgets/record_list.html"

    def __init__(self, columns: Sequence[Column], *, scalar: bool = False, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.columns = tuple(columns)
        self.scalar = scalar

    def format_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                value = []
        return value if isinstance(value, list) else []

    def _cells(self, name: str, index: str, row: Any) -> list[dict[str, Any]]:
        if row is None:
            record: dict[str, Any] = {}
        else:
            record = {self.columns[0].key: row} if self.scalar else (row if isinstance(row, dict) else {})
        cells = []
        for column in self.columns:
            value = record.get(column.key, "")
            cells.append(
                {
                    "column": column,
                    "name": f"{name}-{index}-{column.key}",
                    "value": "" if value is None else value,
                    # a stored value outside the choices is offered as it is, so saving never drops it
                    "unknown": column.kind == "select"
                    and isinstance(value, str)
                    and value != ""
                    and value not in dict(column.choices),
                }
            )
        return cells

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        rows = self.format_value(value)
        keys = {c.key for c in self.columns}
        context["columns"] = self.columns
        context["rows"] = [
            {
                "cells": self._cells(name, str(i), row),
                "extra_name": f"{name}-{i}-_extra",
                "extra": json.dumps({k: v for k, v in row.items() if k not in keys}, ensure_ascii=False)
                if isinstance(row, dict) and not self.scalar
                else "",
            }
            for i, row in enumerate(rows)
        ]
        context["blank"] = {"cells": self._cells(name, str(len(rows)), None)}
        context["template"] = {"cells": self._cells(name, "__prefix__", None)}
        context["count"] = len(rows)
        return context

    def _read_cell(self, data: Mapping[str, Any], prefix: str, column: Column) -> Any:
        if column.kind == "bilingual":
            return _bilingual(data, f"{prefix}-{column.key}")
        if column.kind == "bool":
            return bool(data.get(f"{prefix}-{column.key}"))
        raw = str(data.get(f"{prefix}-{column.key}", "")).strip()
        if column.kind == "int" and raw:
            try:
                return int(raw)
            except ValueError:
                return raw  # refused by the field's validation, shown back as typed
        return raw

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        if f"{name}-count" not in data:
            return None
        try:
            count = min(int(data.get(f"{name}-count", "0")), 500)
        except ValueError:
            count = 0
        rows: list[Any] = []
        for i in range(count + 50):  # rows added in the browser are numbered after `count`
            prefix = f"{name}-{i}"
            if not any(key.startswith(prefix + "-") for key in data):
                continue
            if data.get(f"{prefix}-DELETE"):
                continue
            record = {c.key: self._read_cell(data, prefix, c) for c in self.columns}
            extra_raw = data.get(f"{prefix}-_extra") or ""
            try:
                extra = json.loads(extra_raw) if extra_raw else {}
            except ValueError:
                extra = {}
            if all(v in ("", {}, None, False) for v in record.values()) and not extra:
                continue  # a blank row: nothing typed into it
            if self.scalar:
                rows.append(record[self.columns[0].key])
            else:
                rows.append({**record, **(extra if isinstance(extra, dict) else {})})
        return rows

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return f"{name}-count" not in data


def _as_dict(value: Any) -> dict[str, Any]:
    """A widget's value as a dict: the field's value, or its JSON text after a refused submission; {} otherwise."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


class BilingualWidget(StructuredWidget):
    """A text in Indonesian and English: {"id": …, "en": …}, or {} when both are empty."""

    template_name = "admin/offices/widgets/bilingual.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        value = _as_dict(value)
        context["langs"] = [
            {"code": lang, "name": f"{name}-{lang}", "value": value.get(lang, ""), "label": lang.upper()}
            for lang in LANGS
        ]
        return context

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        if f"{name}-id" not in data and f"{name}-en" not in data:
            return None
        return _bilingual(data, name)

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return f"{name}-id" not in data and f"{name}-en" not in data


class WeekHoursWidget(StructuredWidget):
    """Service hours per weekday: an opening and a closing time, both empty on a closed day."""

    template_name = "admin/offices/widgets/week_hours.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        value = _as_dict(value)
        days = []
        for code, label in WEEKDAYS:
            span = value.get(code) or ["", ""]
            days.append({"code": code, "label": label, "open": span[0], "close": span[1], "name": f"{name}-{code}"})
        context["days"] = days
        return context

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        if not any(f"{name}-{code}-open" in data for code, _label in WEEKDAYS):
            return None
        hours: dict[str, Any] = {}
        for code, _label in WEEKDAYS:
            start = str(data.get(f"{name}-{code}-open", "")).strip()
            end = str(data.get(f"{name}-{code}-close", "")).strip()
            hours[code] = [start, end] if start or end else None
        return hours

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return not any(f"{name}-{code}-open" in data for code, _label in WEEKDAYS)


class ChannelListWidget(StructuredWidget):
    """A value per channel: `procedures` ({channel: [steps]}) as one table of steps per channel."""

    template_name = "admin/offices/widgets/per_channel.html"

    def __init__(self, rows: RecordListWidget, attrs: dict[str, Any] | None = None):
        super().__init__(attrs)
        self.rows = rows

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        value = _as_dict(value)
        context["channels"] = [
            {"code": code, "label": label, "table": self.rows.get_context(f"{name}-{code}", value.get(code), None)}
            for code, label in Channel.choices
        ]
        return context

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> Any:
        if not any(f"{name}-{code}-count" in data for code in Channel.values):
            return None
        result = {}
        for code in Channel.values:
            steps = self.rows.value_from_datadict(data, files, f"{name}-{code}")
            if steps:
                result[code] = steps
        return result

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        return not any(f"{name}-{code}-count" in data for code in Channel.values)


class StructuredField(forms.Field):
    """A JSON value edited through one of the widgets above; `check(value)` returns the errors of its rows."""

    def __init__(
        self,
        *,
        widget: forms.Widget,
        empty: Any,
        check: Any = None,
        load: Any = None,
        dump: Any = None,
        **kwargs: Any,
    ) -> None:
        self.empty = empty
        self.check = check
        # load: the widget's rows → the stored value; dump: the stored value → the widget's rows (both optional).
        self.load = load
        self.dump = dump
        kwargs.setdefault("required", False)
        super().__init__(widget=widget, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if self.dump and isinstance(value, dict):
            return self.dump(value)
        return value

    def to_python(self, value: Any) -> Any:
        if value is None or value == "":
            return self.empty()
        if self.load and isinstance(value, list):
            return self.load(value)
        return value

    def validate(self, value: Any) -> None:
        super().validate(value)
        if self.check:
            errors = list(self.check(value))
            if errors:
                raise ValidationError(errors)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return bool(self.to_python(initial) != self.to_python(data))


# --- validation of rows ------------------------------------------------------------------------------------------


def normalise_time(raw: str) -> str | None:
    """ "8.00", "08:00" → "08:00"; None for anything that is not a time of day (hour 0–23, minute 0–59)."""
    match = _TIME.match(raw.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def check_hours(value: dict[str, Any]) -> list[ValidationError]:
    errors = []
    labels = dict(WEEKDAYS)
    for code, span in value.items():
        if span is None:
            continue
        times = [normalise_time(part) for part in span]
        for raw, parsed in zip(span, times, strict=True):
            if parsed is None:
                errors.append(
                    ValidationError(
                        _("%(day)s: “%(value)s” bukan jam yang sah (00.00–23.59)."),
                        code="invalid_time",
                        params={"day": labels[code], "value": raw},
                    )
                )
        if None not in times:
            if times[0] >= times[1]:  # type: ignore[operator]
                errors.append(
                    ValidationError(
                        _("%(day)s: jam tutup harus sesudah jam buka."), code="order", params={"day": labels[code]}
                    )
                )
            value[code] = times
    return errors


def check_records(columns: Sequence[Column]) -> Any:
    def check(value: list[Any]) -> list[ValidationError]:
        errors = []
        for number, row in enumerate(value, start=1):
            record = row if isinstance(row, dict) else {columns[0].key: row}
            for column in columns:
                cell = record.get(column.key)
                if column.required and cell in ("", {}, None):
                    errors.append(
                        ValidationError(
                            _("Baris %(row)s: %(column)s wajib diisi."),
                            code="required",
                            params={"row": number, "column": column.label},
                        )
                    )
                elif column.kind == "int" and cell not in ("", None) and not isinstance(cell, int):
                    errors.append(
                        ValidationError(
                            _("Baris %(row)s: %(column)s harus berupa angka."),
                            code="invalid",
                            params={"row": number, "column": column.label},
                        )
                    )
                elif column.kind == "select" and cell not in ("", None) and cell not in dict(column.choices):
                    errors.append(
                        ValidationError(
                            _("Baris %(row)s: pilihan “%(value)s” tidak dikenal."),
                            code="invalid_choice",
                            params={"row": number, "value": cell},
                        )
                    )
        return errors

    return check


def check_origins(value: list[str]) -> list[ValidationError]:
    """Each origin alone: a scheme and a host (and port), nothing after it, e.g. https://tabanankab.bps.go.id."""
    errors = []
    validate = URLValidator(schemes=["http", "https"])
    for number, origin in enumerate(value, start=1):
        try:
            validate(origin)
            valid = origin.count("/") == 2  # nothing after the host: an origin, not a page
        except ValidationError:
            valid = False
        if not valid:
            errors.append(
                ValidationError(
                    _("Baris %(row)s: “%(value)s” bukan asal situs yang sah (contoh: https://tabanankab.bps.go.id)."),
                    code="invalid_origin",
                    params={"row": number, "value": origin},
                )
            )
    return errors


# --- the columns of each list -----------------------------------------------------------------------------------

TEXT = Column("text", _("Teks"), "bilingual", required=True)
REQUIREMENT_CODES = [
    ("active_email", _("E-mail aktif")),
    ("whatsapp_account", _("Akun WhatsApp")),
    ("guestbook", _("Buku tamu")),
    ("request_via_channel", _("Permintaan melalui kanal")),
    ("introduction", _("Perkenalan diri")),
]
ACTORS = [("visitor", _("Pengguna layanan")), ("officer", _("Petugas"))]
ACTIONS = [
    ("contact", _("Menghubungi")),
    ("guestbook", _("Mengisi buku tamu")),
    ("introduce", _("Memperkenalkan diri")),
    ("consult", _("Berkonsultasi")),
    ("answer", _("Menjawab")),
    ("rate", _("Menilai")),
    ("close", _("Menutup")),
]
COMPLAINT_KINDS = [
    ("box", _("Kotak saran dan pengaduan")),
    ("website", _("Situs web")),
    ("online_form", _("Formulir daring")),
    ("whatsapp", _("WhatsApp")),
    ("phone", _("Telepon")),
    ("email", _("E-mail")),
]
LEGAL_KINDS = [(k, k) for k in ("UU", "PP", "Perpres", "PermenPANRB", "PerBPS")]
CADENCES = [("monthly", _("Bulanan")), ("yearly", _("Tahunan")), ("ad_hoc", _("Sewaktu-waktu"))]
TOPICS = [("data", _("Data")), ("metadata", _("Metadata")), ("classification", _("Klasifikasi"))]

LISTS: dict[str, tuple[list[Column], bool]] = {
    "channels": ([Column("value", _("Kanal"), "select", Channel.choices, required=True)], True),
    "topics": ([Column("value", _("Topik"), "select", TOPICS, required=True)], True),
    "evaluation_cadences": ([Column("value", _("Jadwal evaluasi"), "select", CADENCES, required=True)], True),
    "requirements": ([Column("code", _("Kode"), "select", REQUIREMENT_CODES, required=True), TEXT], False),
    "complaint_channels": (
        [
            Column("kind", _("Jenis"), "select", COMPLAINT_KINDS, required=True),
            Column("address", _("Alamat")),
            Column("heading", _("Judul"), "bilingual"),
            Column("label", _("Keterangan"), "bilingual", required=True),
        ],
        False,
    ),
    "legal_bases": (
        [
            Column("kind", _("Jenis"), "select", LEGAL_KINDS, required=True),
            Column("number", _("Nomor"), required=True),
            Column("year", _("Tahun"), "int", required=True),
            Column("title", _("Judul"), "bilingual", required=True),
            Column("gazette", _("Lembaran negara")),
        ],
        False,
    ),
    "facilities": ([Column("code", _("Kode"), required=True), TEXT], False),
    "competences": ([Column("code", _("Kode"), required=True), TEXT], False),
}
PROCEDURE_COLUMNS = [
    Column("actor", _("Pelaku"), "select", ACTORS, required=True),
    Column("action", _("Langkah"), "select", ACTIONS, required=True),
    TEXT,
]
BILINGUAL_FIELDS = (
    "title",
    "service_hours_text",
    "cost",
    "product",
    "supervision",
    "service_guarantee",
    "compensation",
    "security",
    "evaluation",
)


def standard_field(name: str, model_field: Any) -> forms.Field | None:
    """The structured form field of one JSON field of the standard, or None for a field left to Django."""
    common: dict[str, Any] = {"label": capfirst(model_field.verbose_name), "help_text": model_field.help_text}
    if name in LISTS:
        columns, scalar = LISTS[name]
        return StructuredField(
            widget=RecordListWidget(columns, scalar=scalar), empty=list, check=check_records(columns), **common
        )
    if name == "procedures":
        return StructuredField(
            widget=ChannelListWidget(RecordListWidget(PROCEDURE_COLUMNS)),
            empty=dict,
            check=lambda value: [e for steps in value.values() for e in check_records(PROCEDURE_COLUMNS)(steps)],
            **common,
        )
    if name == "service_hours":
        return StructuredField(widget=WeekHoursWidget(), empty=dict, check=check_hours, **common)
    if name in BILINGUAL_FIELDS:
        return StructuredField(widget=BilingualWidget(), empty=dict, **common)
    if name == "channel_terms":
        columns = [
            Column("channel", _("Kanal"), "select", Channel.choices, required=True),
            Column("sla_stated", _("Batas waktu dinyatakan dalam standar"), "bool"),
        ]
        return StructuredField(
            widget=RecordListWidget(columns),
            empty=dict,
            check=lambda value: check_records(columns)(terms_rows(value)),
            load=terms_from_rows,
            dump=terms_rows,
            **common,
        )
    return None


def terms_rows(terms: dict[str, Any]) -> list[dict[str, Any]]:
    """channel_terms {"email": {"sla_stated": true, …}} as rows [{"channel": "email", "sla_stated": true, …}]."""
    return [{"channel": channel, **(values if isinstance(values, dict) else {})} for channel, values in terms.items()]


def terms_from_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The inverse of `terms_rows`; an unticked "stated" is left out (the standard is then silent on it)."""
    terms: dict[str, Any] = {}
    for row in rows:
        values = {k: v for k, v in row.items() if k != "channel" and not (k == "sla_stated" and not v)}
        terms[str(row.get("channel", ""))] = values
    return terms


def origins_field(model_field: Any) -> forms.Field:
    return StructuredField(
        widget=RecordListWidget([Column("value", _("Asal situs (URL)"))], scalar=True),
        empty=list,
        check=check_origins,
        label=capfirst(model_field.verbose_name),
        help_text=model_field.help_text,
    )
