"""The loaded standards say exactly what the two published seed documents say.

`offices/seeds/source_*.txt` are the published documents; every Indonesian text in the JSON seeds must occur in
them verbatim (HTML tags and whitespace aside), so a paraphrase cannot creep in.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest

from pstdesk.offices.models import ClosingOrder, Office, ServiceStandard

pytestmark = pytest.mark.django_db


def _standard(code: str) -> ServiceStandard:
    standard = Office.objects.get(code=code).standard
    assert standard is not None
    return standard


def _normalise(text: str) -> str:
    # Tags and all whitespace go: the documents glue list numbers to the previous item ("aktif2. Pengguna").
    text = re.sub(r"<[^>]+>", "", text).replace("|", "")
    return re.sub(r"\s+", "", text)


def _source(code: str) -> str:
    raw = resources.files("pstdesk.offices.seeds").joinpath(f"source_{code}.txt").read_text(encoding="utf-8")
    return _normalise(raw)


def _indonesian_texts(value: Any) -> list[str]:
    """Every {"id": ..., "en": ...} text inside a standard field, its Indonesian side."""
    found: list[str] = []
    if isinstance(value, dict):
        if set(value) == {"id", "en"} and isinstance(value["id"], str):
            return [value["id"]]
        for key, item in value.items():
            # Labels and headings of complaint channels are the product's own words, not the document's.
            if key not in {"label", "heading"}:
                found += _indonesian_texts(item)
    elif isinstance(value, list):
        for item in value:
            found += _indonesian_texts(item)
    return found


QUOTED_FIELDS = [
    "requirements",
    "procedures",
    "service_hours_text",
    "cost",
    "product",
    "complaint_channels",
    "legal_bases",
    "facilities",
    "competences",
    "supervision",
    "service_guarantee",
    "compensation",
    "security",
    "evaluation",
]


@pytest.mark.parametrize("code", ["5102", "5101"])
def test_every_indonesian_text_is_quoted_from_the_seed_document(code: str) -> None:
    standard = _standard(code)
    source = _source(code)
    texts = [text for field in QUOTED_FIELDS for text in _indonesian_texts(getattr(standard, field))]
    assert len(texts) > 15
    missing = [text for text in texts if _normalise(text) not in source]
    assert missing == []


@pytest.mark.parametrize("code", ["5102", "5101"])
def test_every_text_has_an_english_reading(code: str) -> None:
    standard = _standard(code)

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "id" in value and isinstance(value["id"], str):
                assert value.get("en"), value
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for field in [*QUOTED_FIELDS, "title"]:
        walk(getattr(standard, field))


def test_tabanan_standard_matches_its_seed() -> None:
    s = _standard("5102")
    assert s.version == 1
    assert s.channels == ["whatsapp", "livechat_website", "livechat_pfa"]
    assert s.closing_order == ClosingOrder.RATE_THEN_CLOSE
    assert s.service_hours == {
        "mon": ["08:00", "16:00"],
        "tue": ["08:00", "16:00"],
        "wed": ["08:00", "16:00"],
        "thu": ["08:00", "16:00"],
        "fri": ["08:00", "16:30"],
        "sat": None,
        "sun": None,
    }
    assert s.sla_working_days == 3
    assert s.is_free and s.cost["id"] == "Tidak dipungut biaya"
    assert "data/metadata/klasifikasi" in s.product["id"]
    assert [r["code"] for r in s.requirements] == [
        "active_email",
        "whatsapp_account",
        "guestbook",
        "request_via_channel",
    ]
    for channel in s.channels:
        actions = [step["action"] for step in s.procedures[channel]]
        assert actions == ["contact", "guestbook", "consult", "answer", "rate", "close"], channel
    assert set(s.procedures) == set(s.channels)
    assert [(c["kind"], c["address"]) for c in s.complaint_channels] == [
        ("box", ""),
        ("website", "https://www.lapor.go.id"),
        ("website", "https://webapps.bps.go.id/pengaduan"),
        ("online_form", "s.bps.go.id/pengaduan5102"),
        ("whatsapp", "085173215102"),
        ("phone", "0361811571"),
    ]
    assert [(b["kind"], b["number"], b["year"]) for b in s.legal_bases] == [
        ("UU", "16", 1997),
        ("UU", "14", 2008),
        ("UU", "25", 2009),
        ("PP", "51", 1999),
        ("PP", "96", 2012),
        ("Perpres", "86", 2007),
        ("PermenPANRB", "15", 2014),
        ("PerBPS", "7", 2020),
    ]
    assert len(s.facilities) == 9
    assert "library_softcopy_watermarked" in [f["code"] for f in s.facilities]
    assert len(s.competences) == 8
    assert s.supervision_tiered is True and "berjenjang" in s.supervision["id"]
    assert s.min_officers == 2 and s.officers_minimum == 2
    assert "kompensasi" in s.compensation["id"]
    assert "akuntabel dan transparan" in s.security["id"]
    assert s.evaluation_cadences == ["monthly", "yearly", "ad_hoc"]


def test_jembrana_standard_matches_its_seed() -> None:
    s = _standard("5101")
    assert s.channels == ["whatsapp", "email"]
    assert s.closing_order == ClosingOrder.CLOSE_THEN_RATE
    weekday = ["08:00", "15:30"]
    assert s.service_hours == {
        "mon": weekday,
        "tue": weekday,
        "wed": weekday,
        "thu": weekday,
        "fri": weekday,
        "sat": None,
        "sun": None,
    }
    assert s.sla_working_days == 3
    assert s.is_free
    assert [step["action"] for step in s.procedures["whatsapp"]] == [
        "contact",
        "guestbook",
        "consult",
        "answer",
        "close",
        "rate",
    ]
    email = s.procedures["email"]
    assert [step["action"] for step in email] == ["introduce", "answer", "close", "rate"]
    assert email[0]["requirement"] == "introduction" and "instansi/universitas" in email[0]["text"]["id"]
    intro = [r for r in s.requirements if r["code"] == "introduction"]
    assert intro and intro[0]["channels"] == ["email"]
    assert [(c["kind"], c["address"]) for c in s.complaint_channels] == [
        ("box", ""),
        ("online_form", "s.bps.go.id/LayananPST5101"),
        ("email", "bps5101@bps.go.id"),
        ("whatsapp", "0821-2211-5101"),
        ("phone", "0365-41132"),
    ]
    assert "ruangan PST" in s.complaint_channels[0]["label"]["id"]
    # The manufacturing components this seed does not state stay empty rather than invented.
    assert s.legal_bases == [] and s.facilities == [] and s.competences == []
    assert s.min_officers is None and s.supervision == {} and s.supervision_tiered is False
    assert s.service_guarantee == {} and s.compensation == {} and s.security == {} and s.evaluation == {}
    assert s.evaluation_cadences == []
