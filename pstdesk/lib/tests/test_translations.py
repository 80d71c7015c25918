"""English is complete: the one catalog (`pstdesk/locale/en`) has no fuzzy, empty or mismatched entries, its
compiled `.mo` matches it, every string marked in the code is in it, and the key pages render in English when the
person chose English (and stay Indonesian otherwise).

Regenerate the catalog after changing marked strings (GNU gettext needed for these two commands only):
    cd pstdesk && ../.venv/bin/pstdesk makemessages -l en --no-location --no-obsolete --ignore 'tests/*' \
        --ignore '*/tests/*' --ignore 'data/*' --ignore '*/migrations/*' --ignore 'offices/seeds/*'
    # translate the new entries in locale/en/LC_MESSAGES/django.po, then:
    ../.venv/bin/pstdesk compilemessages -l en
"""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.test import Client

from pstdesk.accounts.models import User
from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.tests.sources import parse

PACKAGE = Path(__file__).resolve().parents[2]
CATALOG = PACKAGE / "locale" / "en" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOG.with_suffix(".mo")
REGENERATE = "regenerate and translate the catalog: see the docstring of pstdesk/lib/tests/test_translations.py"


# --- a tiny PO reader ------------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        return f"[{self.msgctxt}] {self.msgid!r}" if self.msgctxt is not None else repr(self.msgid)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def read_po(text: str) -> list[Entry]:
    """Entries of a PO file: blank lines separate entries; `"..."` lines continue the last keyword."""
    entries: list[Entry] = []
    entry, part, started = Entry(), "", False

    def finish() -> None:
        nonlocal entry, part, started
        if started or entry.obsolete:
            entries.append(entry)
        entry, part, started = Entry(), "", False

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            entry.obsolete = True
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            keyword, index, value = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if keyword in ("msgctxt", "msgid") and started and part not in ("", "msgctxt"):
                finish()  # a new entry without a blank line before it
            started = True
            if keyword == "msgctxt":
                entry.msgctxt, part = value, "msgctxt"
            elif keyword == "msgid":
                entry.msgid, part = value, "msgid"
            elif keyword == "msgid_plural":
                entry.msgid_plural, part = value, "msgid_plural"
            else:
                part = f"msgstr{int(index or 0)}"
                entry.msgstr[int(index or 0)] = value
        elif line.startswith('"') and part:
            value = ast.literal_eval(line)
            if part == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif part == "msgid":
                entry.msgid += value
            elif part == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgstr[int(part[6:])] += value
        else:
            raise ValueError(f"{CATALOG.name}:{number}: cannot read {raw!r}")
    finish()
    return entries


def test_the_reader_reads_contexts_plurals_and_continued_lines() -> None:
    entries = read_po(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "log in"\nmsgid "Ma"\n"suk"\nmsgstr "Log in"\n'
        'msgid "%(n)s hari"\nmsgid_plural "%(n)s hari"\nmsgstr[0] "%(n)s day"\nmsgstr[1] ""\n\n'
        '#~ msgid "lama"\n#~ msgstr "old"\n'
    )
    header, context, plural, obsolete = entries
    assert header.msgid == "" and header.msgstr[0] == "Language: en\n"
    assert (context.msgctxt, context.msgid, context.msgstr, context.flags) == (
        "log in",
        "Masuk",
        {0: "Log in"},
        {"fuzzy", "python-format"},
    )
    assert plural.msgid_plural == "%(n)s hari" and plural.msgstr == {0: "%(n)s day", 1: ""}
    assert obsolete.obsolete


# --- the catalog ----------------------------------------------------------------------------------------------


def catalog() -> list[Entry]:
    return read_po(CATALOG.read_text(encoding="utf-8"))


def messages() -> list[Entry]:
    return [e for e in catalog() if not e.obsolete and not (e.msgid == "" and e.msgctxt is None)]


def test_the_catalog_is_one_project_catalog() -> None:
    """No app keeps its own catalog (makemessages would split strings between them)."""
    catalogs = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.po"))
    assert catalogs == ["locale/en/LC_MESSAGES/django.po"]


def test_the_header_declares_english_plurals_and_is_not_fuzzy() -> None:
    header = next(e for e in catalog() if e.msgid == "" and e.msgctxt is None)
    assert "fuzzy" not in header.flags
    assert "Language: en\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_no_entry_is_fuzzy_untranslated_or_obsolete() -> None:
    entries = catalog()
    fuzzy = [e.label for e in entries if "fuzzy" in e.flags and e.msgid]
    empty = [e.label for e in messages() if not e.msgstr or not all(e.msgstr.values())]
    obsolete = [e.label for e in entries if e.obsolete]
    assert fuzzy == [], f"fuzzy entries: {fuzzy}; {REGENERATE}"
    assert empty == [], f"untranslated entries: {empty}; {REGENERATE}"
    assert obsolete == [], f"obsolete entries: {obsolete}; {REGENERATE}"
    assert len(messages()) > 600


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\{\s*[\w.]+\s*\}\}")


def test_translations_keep_every_placeholder_and_plural_form() -> None:
    wrong = []
    for entry in messages():
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        expected = sorted(_PLACEHOLDER.findall(sources[-1])) if entry.msgid_plural is None else None
        if entry.msgid_plural is None:
            if sorted(_PLACEHOLDER.findall(entry.msgstr[0])) != expected:
                wrong.append(entry.label)
        else:
            if sorted(entry.msgstr) != [0, 1]:
                wrong.append(entry.label)
            for index, source in ((0, entry.msgid), (1, entry.msgid_plural)):
                if sorted(_PLACEHOLDER.findall(entry.msgstr.get(index, ""))) != sorted(_PLACEHOLDER.findall(source)):
                    wrong.append(f"{entry.label}[{index}]")
        if entry.msgid.endswith("\n") != entry.msgstr[0].endswith("\n"):
            wrong.append(f"{entry.label} (trailing newline)")
    assert wrong == []


def test_the_compiled_catalog_matches_the_po_file() -> None:
    """The `.mo` is committed (a fresh machine may lack msgfmt): it must say what the `.po` says."""
    with COMPILED.open("rb") as handle:
        compiled = stdlib_gettext.GNUTranslations(handle)
    stale = []
    for entry in messages():
        if entry.msgid_plural is not None:
            got = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt is not None
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
            expected = [entry.msgstr[0], entry.msgstr[1]]
        else:
            got = [
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            ]
            expected = [entry.msgstr[0]]
        if got != expected:
            stale.append(entry.label)
    assert stale == [], f"the .mo is older than the .po for {stale[:10]}: run compilemessages"


# --- every marked string is in the catalog --------------------------------------------------------------------

_GETTEXT = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
_PGETTEXT = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}
_TRANSLATE_TAG = re.compile(
    r"""\{%\s*trans(?:late)?\s+(?P<q>["'])(?P<text>.*?)(?P=q)(?:\s+context\s+(?P<cq>["'])(?P<ctx>.*?)(?P=cq))?"""
)


def _source_files(suffix: str) -> list[Path]:
    skipped = {"tests", "migrations", "data", "seeds", "locale"}
    return [p for p in PACKAGE.rglob(f"*{suffix}") if not skipped & set(p.relative_to(PACKAGE).parts[:-1])]


def marked_strings() -> set[tuple[str | None, str]]:
    """(context, msgid) of literal strings marked in Python code and in `{% translate "..." %}` tags."""
    found: set[tuple[str | None, str]] = set()
    for path in _source_files(".py"):
        for node in ast.walk(parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            args = node.args
            if name in _GETTEXT and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                found.add((None, args[0].value))
            elif (
                name in _PGETTEXT
                and len(args) > 1
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2])
            ):
                found.add((args[0].value, args[1].value))  # type: ignore[union-attr]
    for path in _source_files(".html"):
        for match in _TRANSLATE_TAG.finditer(path.read_text(encoding="utf-8")):
            found.add((match.group("ctx"), match.group("text")))
    return found


def test_every_marked_string_is_in_the_catalog() -> None:
    marked = marked_strings()
    known = {(e.msgctxt, e.msgid) for e in messages()}
    assert len(marked) > 400
    missing = sorted(marked - known, key=str)
    assert missing == [], f"marked but not in the catalog: {missing[:15]}; {REGENERATE}"


# --- pages in English ---------------------------------------------------------------------------------------


def _text(response: object) -> str:
    """The page as a person reads it (tags dropped), plus the JSON data blocks the scripts show texts from."""
    html = response.content.decode()  # type: ignore[attr-defined]
    blocks = re.findall(r'<script[^>]*type="application/json"[^>]*>(.*?)</script>', html, flags=re.S)
    data = " ".join(json.dumps(json.loads(block), ensure_ascii=False) for block in blocks)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()) + " " + data


# (English label, its Indonesian counterpart) seen by the visitor on the public pages.
PUBLIC_PAGES = {
    "/pfa/5102/": [
        ("Service hours", "Jam pelayanan"),
        ("Read the full service standard", "Baca standar pelayanan lengkap"),
        ("File a complaint", "Sampaikan pengaduan"),
        ("Fill in the guestbook and start the chat", "Isi buku tamu dan mulai obrolan"),
    ],
    "/widget/5102/frame/": [
        ("Statistical consultation", "Konsultasi statistik"),
        ("Save and continue", "Simpan dan lanjutkan"),
        ("How satisfied are you with this service?", "Seberapa puas Anda dengan layanan ini?"),
        ("Send the transcript to my e-mail", "Kirim transkrip ke e-mail saya"),
        ("The officer is typing…", "Petugas sedang mengetik…"),
        ("New message from the officer", "Pesan baru dari petugas"),
    ],
    "/pengaduan/5102/": [
        ("Complaints, suggestions and input", "Pengaduan, saran dan masukan"),
        ("Suggestion", "Saran"),
        ("Other complaint channels", "Saluran pengaduan lain"),
    ],
    "/bukutamu/5102/": [
        ("Electronic guestbook", "Buku tamu elektronik"),
        ("Full name", "Nama lengkap"),
        ("Do you have a disability?", "Penyandang disabilitas?"),
    ],
}


def _assert_language(text: str, pairs: list[tuple[str, str]], *, english: bool) -> None:
    for en, id_ in pairs:
        shown, hidden = (en, id_) if english else (id_, en)
        assert shown in text, f"{shown!r} missing"
        assert not re.search(rf"(?<!\w){re.escape(hidden)}(?!\w)", text), f"{hidden!r} shown"


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PUBLIC_PAGES))
def test_public_pages_render_english_when_asked(client: Client, path: str) -> None:
    response = client.get(f"{path}?lang=en")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    _assert_language(_text(response), PUBLIC_PAGES[path], english=True)


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(PUBLIC_PAGES))
def test_public_pages_stay_indonesian_by_default(path: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(path)
    assert response.status_code == 200
    _assert_language(_text(response), PUBLIC_PAGES[path], english=False)


@pytest.mark.django_db
def test_widget_errors_come_in_the_widget_language(client: Client) -> None:
    response = client.post("/widget/5102/api/prechat/", {"channel": "livechat_pfa"}, HTTP_X_WIDGET_LANG="en")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Please check the marked fields."
    assert body["errors"]["name"] == "This field is required."
    indonesian = client.post("/widget/5102/api/prechat/", {"channel": "livechat_pfa"}).json()
    assert indonesian["error"] == "Periksa isian yang ditandai."


CONSOLE = [
    ("Officer console", "Konsol petugas"),
    ("Previous consultation in the list", "Konsultasi sebelumnya di daftar"),
    ("Log out", "Keluar"),
    ("On duty", "Sedang bertugas"),
    ("Most urgent", "Paling mendesak"),
    ("Keyboard shortcuts", "Pintasan papan ketik"),
    ("The visitor is typing…", "Pengguna layanan sedang mengetik…"),
]
CONSULTATION = [
    ("Deadline (SLA)", "Batas waktu (SLA)"),
    ("Reopen", "Buka kembali"),
    ("Earlier consultations", "Konsultasi sebelumnya"),
    ("Internal note (not sent to the visitor)", "Catatan internal (tidak dikirim ke pengguna)"),
    ("Close without a rating", "Tutup tanpa penilaian"),
    ("WhatsApp 24-hour window", "Jendela WhatsApp 24 jam"),
]


def _console_client(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_console_follows_the_language_cookie(officer_5102: User, language: str) -> None:
    response = _console_client(officer_5102, language).get("/console/")
    assert response.status_code == 200
    _assert_language(_text(response), CONSOLE, english=language == "en")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_console_consultation_page_follows_the_language_cookie(officer_5102: User, language: str) -> None:
    consultation = Consultation.objects.create(
        office_id="5102", visitor=Visitor.objects.create(name="Putu"), channel="whatsapp"
    )
    response = _console_client(officer_5102, language).get(f"/console/{consultation.pk}/")
    assert response.status_code == 200
    _assert_language(_text(response), CONSULTATION, english=language == "en")


@pytest.mark.django_db
def test_supervision_page_in_english(supervisor_5102: User) -> None:
    response = _console_client(supervisor_5102, "en").get("/pengawasan/")
    assert response.status_code == 200
    pairs = [
        ("Service supervision", "Pengawasan pelayanan"),
        ("Compensation awaiting a decision", "Kompensasi menunggu keputusan"),
        ("Missed deadlines", "Pelanggaran batas waktu"),
    ]
    _assert_language(_text(response), pairs, english=True)
