"""Quoted-reply stripping and HTML-to-text, a small heuristic of our own (talon does not install on 3.11).

`strip_quoted(text)` returns the visitor's new text: everything before the first reply header ("On … wrote:",
"Pada … menulis:", "-----Original Message-----", an Outlook "From:/Sent:" block, a "____" separator followed by
one) with trailing and embedded ">" lines removed. When stripping would leave nothing (a forward, or a message
that is all quote), the full text is kept: losing the visitor's words is worse than showing a quote twice.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

# A reply header may wrap over two lines ("On Mon, 3 Aug 2026 at 10:00, Budi <\nbudi@x.id> wrote:").
_WROTE = re.compile(
    r"^\s*(On\s.{0,200}?\swrote:|Pada\s.{0,200}?\s(menulis|wrote):|Le\s.{0,200}?\sa écrit\s?:|"
    r"Am\s.{0,200}?\sschrieb\s.{0,100}:)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|Pesan Asli|Forwarded message|Pesan terusan|Pesan yang diteruskan)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Dari)\s*:\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject|Dikirim|Tanggal|Kepada|Subjek|Perihal)\s*:", re.IGNORECASE)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")


def _is_outlook_header(lines: list[str], i: int) -> bool:
    """A "From:" line followed within three lines by "Sent:/Date:/To:/Subject:" (Outlook's reply header)."""
    if not _OUTLOOK_FROM.match(lines[i]):
        return False
    return any(_OUTLOOK_NEXT.match(line) for line in lines[i + 1 : i + 4])


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) or _is_outlook_header(lines, i):
            return i
        if _UNDERSCORES.match(line) and i + 1 < len(lines) and _is_outlook_header(lines, i + 1):
            return i
        if _WROTE.match(line):
            return i
        if i + 1 < len(lines) and _WROTE.match(line + " " + lines[i + 1]) and not line.startswith(">"):
            if line.lstrip().lower().startswith(("on ", "pada ", "le ", "am ")):
                return i
    return None


def strip_quoted(text: str) -> tuple[str, bool]:
    """The new part of a reply and whether anything was removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _quote_start(lines)
    kept = lines if start is None else lines[:start]
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    new = "\n".join(kept).strip()
    if not new:
        return text.strip(), False
    return new, new != text.strip()


# --- HTML ---------------------------------------------------------------------------------------------------------
_ALLOWED_TAGS = {
    "p",
    "br",
    "div",
    "span",
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "td",
    "th",
    "blockquote",
    "pre",
    "code",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
}
_BLOCK = {"p", "div", "li", "tr", "table", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ul", "ol"}
# Containers mail clients put quoted replies in.
_QUOTE_MARKERS = ("gmail_quote", "yahoo_quoted", "divrplyfwdmsg", "appendonsend", "moz-cite-prefix")


def sanitize_html(html: str) -> str:
    """Sanitised HTML (no scripts, styles, event handlers, remote images): safe to keep in a payload."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}, "div": {"class", "id"}, "blockquote": {"class", "type"}, "td": {"colspan"}},
        url_schemes={"http", "https", "mailto"},
    )


class _TextExtractor(HTMLParser):
    def __init__(self, *, drop_quotes: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.drop_quotes = drop_quotes
        self.parts: list[str] = []
        self.quote_depth = 0
        self.stack: list[bool] = []  # per open element: does it open a quote?
        self.dropped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "hr"}:
            if not self.quote_depth:
                self.parts.append("\n")
            return
        marker = " ".join(v or "" for k, v in attrs if k in {"class", "id"}).lower()
        opens_quote = self.drop_quotes and (tag == "blockquote" or any(m in marker for m in _QUOTE_MARKERS))
        self.stack.append(opens_quote)
        if opens_quote:
            self.quote_depth += 1
            self.dropped = True
        if tag in _BLOCK and not self.quote_depth:
            self.parts.append("\n")
        if tag == "li" and not self.quote_depth:
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"br", "hr"}:
            return
        if self.stack and self.stack.pop():
            self.quote_depth -= 1
        if tag in _BLOCK and not self.quote_depth:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.quote_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str, *, drop_quotes: bool = False) -> tuple[str, bool]:
    """Plain text of (sanitised) HTML, and whether a quoted block was dropped."""
    parser = _TextExtractor(drop_quotes=drop_quotes)
    parser.feed(sanitize_html(html))
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip(), parser.dropped
