"""PDFs for the library tests (made with reportlab, like an office's publication), and a consultation of 5102."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen.canvas import Canvas

from pstdesk.consultations.models import Consultation
from pstdesk.guestbook.models import Visitor


def make_pdf(
    pages: int = 3, *, sizes: list[tuple[float, float]] | None = None, text: str = "Tabanan Dalam Angka"
) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for n in range(pages):
        width, height = (sizes or [(595.0, 842.0)])[n % len(sizes or [(595.0, 842.0)])]
        canvas.setPageSize((width, height))
        canvas.setFont("Helvetica", 14)
        canvas.drawString(72, height - 72, f"{text} - halaman {n + 1}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt(user_password="rahasia", owner_password="pemilik")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(content: bytes, name: str = "tabanan-dalam-angka-2026.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def visitor_5102(db: None) -> Visitor:
    return Visitor.objects.create(name="Ni Luh Ayu Wulandari", email="ayu@example.test")


@pytest.fixture
def consultation_5102(office_5102: Any, visitor_5102: Visitor) -> Consultation:
    return Consultation.objects.create(office=office_5102, visitor=visitor_5102, channel="whatsapp", status="open")


@pytest.fixture
def publication_5102(office_5102: Any, admin_5102: Any) -> Any:
    from pstdesk.library.actions import add_publication

    return add_publication(
        office_5102,
        by=admin_5102,
        title="Tabanan Dalam Angka 2026",
        year=2026,
        subject="Umum",
        upload=upload(make_pdf()),
    )
