"""PDF checks and stamping for the soft-copy library (pypdf reads and merges, reportlab draws the overlay).

`check_pdf` refuses what cannot be stamped safely (not a PDF, unreadable, encrypted, too large, too many pages).
`stamp_pdf` writes a new PDF whose every page carries a translucent overlay: a large diagonal line with the
visitor's name and a horizontal footer line naming the visitor, the office, the consultation and the date. The
overlay is real text (it survives printing and text extraction: the footer is horizontal so every extractor reads
it) merged into each page's content, not an annotation a viewer could hide.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.errors import PdfReadError
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from pstdesk.lib.errors import AttachmentRejected


class PublicationRejected(AttachmentRejected):
    """An uploaded publication that may not enter the library; `message` says why."""


@dataclass(frozen=True)
class CheckedPdf:
    pages: int


def check_pdf(name: str, content: bytes, *, size: int | None = None) -> CheckedPdf:
    """The page count of a PDF fit for the library; PublicationRejected with the reason otherwise. `size` is the
    upload's full size when `content` was not read in full (an oversized upload)."""
    limit = settings.LIBRARY_MAX_BYTES
    size = max(size or 0, len(content))
    if size > limit:
        raise PublicationRejected(
            _("Berkas %(name)s terlalu besar (%(size)s); batasnya %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if not content:
        raise PublicationRejected(_("Berkas %(name)s kosong.") % {"name": name})
    if not content.lstrip()[:5] == b"%PDF-":
        raise PublicationRejected(_("Berkas %(name)s bukan PDF.") % {"name": name})
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        encrypted = reader.is_encrypted
        if not encrypted:
            pages = len(reader.pages)
            for page in reader.pages:  # every page must have a size and readable content to be stamped
                _box = page.mediabox.width
                page.get_contents()
    except (PdfReadError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, OSError):
        raise PublicationRejected(_("Berkas %(name)s rusak: PDF-nya tidak dapat dibaca.") % {"name": name}) from None
    if encrypted:
        raise PublicationRejected(
            _("Berkas %(name)s terenkripsi atau berkata sandi; unggah PDF tanpa kata sandi.") % {"name": name}
        )
    if pages == 0:
        raise PublicationRejected(_("Berkas %(name)s tidak berisi halaman.") % {"name": name})
    if pages > settings.LIBRARY_MAX_PAGES:
        raise PublicationRejected(
            _("Berkas %(name)s terlalu banyak halamannya (%(pages)s; batasnya %(limit)s).")
            % {"name": name, "pages": pages, "limit": settings.LIBRARY_MAX_PAGES}
        )
    return CheckedPdf(pages=pages)


def _latin(text: str) -> str:
    """Text the standard PDF fonts can draw (Windows-1252): accents kept where they exist there, others folded."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            out.append(folded or "?")
    return "".join(out)


def _overlay(width: float, height: float, diagonal: str, footer: str) -> PageObject:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height))
    # diagonal, large and faint: visible on print, does not hide the page
    size = max(14.0, min(width, height) / 14)
    canvas.saveState()
    canvas.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.16))
    canvas.setFont("Helvetica-Bold", size)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(35)
    canvas.drawCentredString(0, 0, diagonal)
    canvas.restoreState()
    # footer, small and horizontal: read by text extraction and on every printed page
    canvas.setFillColor(Color(0.2, 0.2, 0.2, alpha=0.7))
    font = 7.0
    canvas.setFont("Helvetica", font)
    while font > 4 and canvas.stringWidth(footer, "Helvetica", font) > width - 24:
        font -= 0.5
    canvas.setFont("Helvetica", font)
    canvas.drawCentredString(width / 2, 10, footer)
    canvas.showPage()
    canvas.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def stamp_pdf(original: bytes, *, visitor: str, office: str, consultation: str, date: str) -> bytes:
    """A copy of `original` with every page stamped for this visitor (one overlay per distinct page size)."""
    footer = _latin(
        _("Salinan untuk %(visitor)s · %(office)s · %(consultation)s · %(date)s · dilarang disebarluaskan")
        % {"visitor": visitor, "office": office, "consultation": consultation, "date": date}
    )
    diagonal = _latin(f"{visitor} · {consultation}")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(original), strict=False))
    overlays: dict[tuple[int, int], PageObject] = {}
    for page in writer.pages:
        box = page.mediabox
        width, height = float(box.width), float(box.height)
        key = (round(width), round(height))
        if key not in overlays:
            overlays[key] = _overlay(width, height, diagonal, footer)
        left, bottom = float(box.left), float(box.bottom)
        if left or bottom:
            page.merge_transformed_page(overlays[key], Transformation().translate(left, bottom))
        else:
            page.merge_page(overlays[key])
    writer.add_metadata({"/Title": _latin(f"{visitor} · {consultation}"), "/Producer": "PST Desk"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
