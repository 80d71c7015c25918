"""Attachment validation: size, allowed types, content matching the extension."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pstdesk.channels.base import InboundAttachment
from pstdesk.consultations.attachments import clean_filename, validate_attachment
from pstdesk.lib.errors import AttachmentRejected


def ooxml(prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{prefix}document.xml", "<x/>")
    return buffer.getvalue()


GOOD = {
    "a.pdf": b"%PDF-1.7\n...",
    "a.png": b"\x89PNG\r\n\x1a\n....",
    "a.JPG": b"\xff\xd8\xff\xe0....",
    "a.gif": b"GIF89a....",
    "a.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 ",
    "a.csv": b"kode,nama\n5102,Tabanan\n",
    "a.txt": "Catatan ñ".encode("cp1252"),
    "a.xlsx": ooxml("xl/"),
    "a.docx": ooxml("word/"),
    "a.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1....",
    "a.zip": ooxml("any/"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_allowed_types_pass_with_our_content_type(name):
    valid = validate_attachment(InboundAttachment(name, "application/octet-stream", GOOD[name]))
    assert valid.size == len(GOOD[name]) and len(valid.sha256) == 64
    assert valid.content_type != "application/octet-stream"


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("a.exe", b"MZ....", "tidak diterima"),
        ("noext", b"%PDF-1.4", "tidak diterima"),
        ("a.pdf", b"<html><script>", "tidak sesuai"),
        ("a.png", b"%PDF-1.4", "tidak sesuai"),
        ("a.docx", ooxml("xl/"), "tidak sesuai"),
        ("a.csv", b"\x00\x01\x02binary", "tidak sesuai"),
        ("a.pdf", b"", "kosong"),
    ],
)
def test_refused_with_a_clear_message(name, content, text):
    with pytest.raises(AttachmentRejected) as info:
        validate_attachment(InboundAttachment(name, "application/pdf", content))
    assert text in info.value.message


def test_oversized_upload_is_refused_before_reading(settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 2000)
    with pytest.raises(AttachmentRejected) as info:
        validate_attachment(upload)
    assert "terlalu besar" in info.value.message


def test_filenames_are_cleaned():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\laporan.pdf") == "laporan.pdf"
    assert clean_filename("a\x00b\n.pdf") == "ab.pdf"
    assert clean_filename("") == "lampiran"
    assert clean_filename("x" * 300 + ".pdf").endswith(".pdf")
