"""Text helpers of the knowledge app: the one normalisation used for stored search columns and for queries, the
query parser, short descriptions, and the safe renderer of article bodies."""

from __future__ import annotations

import re
import unicodedata

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from pstdesk.lib.errors import InvalidInput

# Longest query we read (characters); longer input is refused with a message, not cut silently.
MAX_QUERY = 200
# At most this many words go into one full-text query (a pasted paragraph must not make a 300-term query).
MAX_TERMS = 12

# Words that carry no meaning for a search in Indonesian (a visitor's message is full of them).
STOPWORDS = frozenset(
    """ada adalah agar akan apa apakah atau bagaimana bagi bapak bisa boleh cara dalam dan dapat dari data dengan di
    dimana ibu ingin ini itu jika juga kak kami kapan ke kenapa ketika mana mau mohon nya pada saya selamat sudah
    tahun terima kasih tersebut tolong untuk yang yg pagi siang sore malam halo hai the of and""".split()
)

_SPACES = re.compile(r"\s+")
# Combining marks (accents) left by NFKD decomposition: "é" → "e" + U+0301 → "e".
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_WORD = re.compile(r"[0-9a-z]+")


def normalise(text: str) -> str:
    """Lower case, accents removed (é → e), every run of whitespace (tabs, no-break spaces, newlines) one space."""
    text = text or ""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _SPACES.sub(" ", text.casefold()).strip()


def check_length(query: str) -> str:
    """The query, trimmed; InvalidInput saying what to do when it is longer than MAX_QUERY characters."""
    query = (query or "").strip()
    if len(query) > MAX_QUERY:
        raise InvalidInput(
            _(
                "Kata kunci terlalu panjang (%(n)d karakter). Gunakan paling banyak %(max)d karakter: kode atau "
                "beberapa kata saja."
            )
            % {"n": len(query), "max": MAX_QUERY}
        )
    return query


def terms(query: str, *, drop_stopwords: bool = False) -> list[str]:
    """The searchable words of a query, normalised, in order, without repeats; only [0-9a-z] survive, so the
    result is safe to put into an FTS5 or tsquery expression as is."""
    seen: list[str] = []
    for word in _WORD.findall(normalise(query)):
        if len(word) < 2 or word in seen or (drop_stopwords and word in STOPWORDS):
            continue
        seen.append(word)
        if len(seen) == MAX_TERMS:
            break
    return seen


def short(text: str, limit: int = 240) -> str:
    """The first paragraph of a description, whitespace collapsed, cut at a word boundary within `limit`."""
    first = (text or "").strip().split("\n\n", 1)[0]
    # Only the head can be shown: collapse the whitespace of a few times `limit` characters (a search answers
    # twenty long descriptions), unless collapsing that much leaves too little to fill `limit`.
    head = first[: limit * 3]
    flat = _SPACES.sub(" ", head.replace("\u00a0", " ")).strip()
    if len(head) < len(first) and len(flat) <= limit:
        flat = _SPACES.sub(" ", first.replace("\u00a0", " ")).strip()
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


_LINK = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)])")


def _inline(line: str) -> str:
    """One line, escaped, with bare http(s) links made clickable (the link text is the escaped address)."""
    parts = _LINK.split(line)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            href = escape(part)
            out.append(f'<a href="{href}" rel="noopener nofollow">{href}</a>')
        else:
            out.append(escape(part))
    return "".join(out)


def render_body(text: str) -> SafeString:
    """An article body as HTML. Everything the editor wrote is escaped; only our own tags are produced:
    paragraphs (blank line), lists (lines starting "- "), subheadings ("## "), links (bare http(s) addresses)."""
    html: list[str] = []
    for block in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip()):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if lines[0].startswith("## "):
            html.append(f"<h2>{_inline(lines[0][3:].strip())}</h2>")
            lines = lines[1:]
            if not lines:
                continue
        if all(line.lstrip().startswith(("- ", "* ")) for line in lines):
            items = "".join(f"<li>{_inline(line.lstrip()[2:].strip())}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        else:
            html.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - built only from escaped text and our own tags
