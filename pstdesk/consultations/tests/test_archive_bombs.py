"""Zip-based attachments (.xlsx, .docx, .zip) are inflated before they are accepted: a bomb is refused, whatever
its headers claim; an ordinary office file passes."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import override_settings

from pstdesk.channels.base import InboundAttachment
from pstdesk.consultations.attachments import validate_attachment
from pstdesk.lib.errors import AttachmentRejected


def ooxml_with(sheet: bytes, *, prefix: str = "xl/") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{prefix}worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def lying_headers(data: bytes, member: str) -> bytes:
    """The same archive with `member`'s declared uncompressed size set to 1 byte (local and central headers)."""
    raw = bytearray(data)
    name = member.encode()
    local = raw.find(b"PK\x03\x04")
    while local != -1:
        name_len = int.from_bytes(raw[local + 26 : local + 28], "little")
        if raw[local + 30 : local + 30 + name_len] == name:
            raw[local + 22 : local + 26] = (1).to_bytes(4, "little")
        local = raw.find(b"PK\x03\x04", local + 4)
    central = raw.find(b"PK\x01\x02")
    while central != -1:
        name_len = int.from_bytes(raw[central + 28 : central + 30], "little")
        if raw[central + 46 : central + 46 + name_len] == name:
            raw[central + 24 : central + 28] = (1).to_bytes(4, "little")
        central = raw.find(b"PK\x01\x02", central + 4)
    return bytes(raw)


def test_a_zip_bomb_named_xlsx_is_refused():
    bomb = ooxml_with(b"\x00" * (200 * 1024 * 1024))  # 200 MB of zeros packs into about 200 kB
    assert len(bomb) < 1024 * 1024
    with pytest.raises(AttachmentRejected) as info:
        validate_attachment(InboundAttachment("laporan.xlsx", "application/octet-stream", bomb))
    assert "terlalu besar" in info.value.message


@override_settings(ATTACHMENT_MAX_UNPACKED_BYTES=50 * 1024 * 1024)
def test_a_bomb_with_lying_size_headers_is_refused_by_inflating_it():
    bomb = lying_headers(ooxml_with(b"A" * (60 * 1024 * 1024)), "xl/worksheets/sheet1.xml")
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(bomb)).infolist()) < 100
    with pytest.raises(AttachmentRejected):
        validate_attachment(InboundAttachment("laporan.xlsx", "application/octet-stream", bomb))


def test_a_high_ratio_docx_is_refused_below_the_total_limit():
    # 20 MB unpacked is under the 100 MB total, but from ~20 kB packed it is a ratio of ~1000.
    bomb = ooxml_with(b" " * (20 * 1024 * 1024), prefix="word/")
    with pytest.raises(AttachmentRejected):
        validate_attachment(InboundAttachment("surat.docx", "application/octet-stream", bomb))


def test_an_ordinary_spreadsheet_passes():
    rows = "".join(f"<row r='{n}'><c><v>{n * 7919 % 104729}</v></c></row>" for n in range(20000))
    sheet = f"<worksheet><sheetData>{rows}</sheetData></worksheet>".encode()
    valid = validate_attachment(InboundAttachment("data.xlsx", "application/octet-stream", ooxml_with(sheet)))
    assert valid.content_type.endswith("spreadsheetml.sheet")


def test_a_damaged_archive_is_refused():
    data = ooxml_with(b"<worksheet/>" * 1000)
    broken = data[:60] + b"\xff" * 40 + data[100:]
    with pytest.raises(AttachmentRejected):
        validate_attachment(InboundAttachment("rusak.xlsx", "application/octet-stream", broken))
