"""Attachment validation and storage, the same for officer uploads and files arriving from a channel.

A file is accepted when its size is within `settings.ATTACHMENT_MAX_BYTES`, its extension is on the allowed list
and its content matches the extension (sniffed magic bytes: a "report.pdf" that is not a PDF is refused). The
stored content type is ours (from the extension), never the sender's claim. Zip-based files (.xlsx, .docx, .zip)
must also unpack to at most `ATTACHMENT_MAX_UNPACKED_BYTES`, at most `ATTACHMENT_MAX_RATIO` times their packed size
and `ARCHIVE_MAX_MEMBERS` entries (archive bombs), checked by actually inflating them, not by trusting the headers.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from pstdesk.consultations.models import Attachment
from pstdesk.lib.errors import AttachmentRejected


@dataclass(frozen=True)
class ValidFile:
    """A checked file, ready to be stored."""

    filename: str
    content_type: str
    content: bytes
    size: int
    sha256: str


def _starts(*magics: bytes) -> Callable[[bytes], bool]:
    return lambda data: data.startswith(magics)


def _is_webp(data: bytes) -> bool:
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def _is_text(data: bytes) -> bool:
    head = data[:65536]
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "utf-16"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            # a cut multi-byte character at the end of the sample is fine
            try:
                head[:-3].decode(encoding)
                return True
            except UnicodeDecodeError:
                continue
    try:
        head.decode("cp1252")  # spreadsheets exported on Windows
        return True
    except UnicodeDecodeError:
        return False


def _zip_names(data: bytes) -> list[str] | None:
    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _is_zip(data: bytes) -> bool:
    return _zip_names(data) is not None


def _is_ooxml(prefix: str) -> Callable[[bytes], bool]:
    def check(data: bytes) -> bool:
        names = _zip_names(data)
        return names is not None and "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)

    return check


ARCHIVE_MAX_MEMBERS = 10000
# Below this many unpacked bytes the ratio is not checked: a small archive cannot exhaust anything.
ARCHIVE_RATIO_FLOOR = 1024 * 1024
ZIP_BASED = frozenset({"xlsx", "docx", "zip"})


def _unpacked_size(data: bytes, limit: int) -> int | None:
    """The bytes `data` unpacks to, counted by inflating every member, stopping as soon as `limit` is passed
    (then a number above `limit`); None when it is no readable archive or holds more than ARCHIVE_MAX_MEMBERS."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > ARCHIVE_MAX_MEMBERS:
                return None
            declared = sum(member.file_size for member in members)
            if declared > limit:
                return declared
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    while chunk := stream.read(1024 * 1024):
                        total += len(chunk)
                        if total > limit:
                            return total
            return total
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    except RuntimeError:  # an encrypted member
        return None


def check_archive(filename: str, content: bytes) -> None:
    """Refuse a zip-based file that unpacks to too much (total or ratio): AttachmentRejected."""
    limit = min(
        settings.ATTACHMENT_MAX_UNPACKED_BYTES,
        max(ARCHIVE_RATIO_FLOOR, settings.ATTACHMENT_MAX_RATIO * len(content)),
    )
    unpacked = _unpacked_size(content, limit)
    if unpacked is None:
        raise AttachmentRejected(_("Berkas %(name)s tidak dapat dibuka sebagai arsip yang sah.") % {"name": filename})
    if unpacked > limit:
        raise AttachmentRejected(
            _("Berkas %(name)s ditolak: isinya jika dibuka terlalu besar (lebih dari %(limit)s).")
            % {"name": filename, "limit": filesizeformat(limit)}
        )


_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# extension -> (content type we serve, content check)
ALLOWED: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", _starts(b"%PDF-")),
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", _is_webp),
    "csv": ("text/csv", _is_text),
    "txt": ("text/plain", _is_text),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _is_ooxml("xl/")),
    "xls": ("application/vnd.ms-excel", _starts(_OLE)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _is_ooxml("word/")),
    "doc": ("application/msword", _starts(_OLE)),
    "zip": ("application/zip", _is_zip),
}


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters, never empty."""
    name = os.path.basename(str(name).replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:200]
    return name or "lampiran"


def read_upload(upload: Any) -> tuple[str, bytes, int]:
    """(filename, content, size) of an uploaded file (Django's UploadedFile) or an `InboundAttachment`. The size is
    checked before reading a large upload into memory."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if hasattr(upload, "content") and isinstance(upload.content, bytes | bytearray):
        content = bytes(upload.content)
        return str(upload.filename), content, len(content)
    name = getattr(upload, "name", "") or ""
    size = int(getattr(upload, "size", 0) or 0)
    if size > limit:
        return str(name), b"", size
    upload.seek(0)
    content = upload.read(limit + 1)
    return str(name), content, len(content)


def validate_attachment(upload: Any) -> ValidFile:
    """Check one file; AttachmentRejected with a clear message when it may not be stored."""
    raw_name, content, size = read_upload(upload)
    filename = clean_filename(raw_name)
    limit = settings.ATTACHMENT_MAX_BYTES
    if size > limit:
        raise AttachmentRejected(
            _("Berkas %(name)s terlalu besar (%(size)s); batasnya %(limit)s.")
            % {"name": filename, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise AttachmentRejected(_("Berkas %(name)s kosong.") % {"name": filename})
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    if ext not in ALLOWED:
        raise AttachmentRejected(
            _("Jenis berkas %(name)s tidak diterima. Jenis yang diterima: %(types)s.")
            % {"name": filename, "types": ", ".join(sorted(ALLOWED))}
        )
    content_type, matches = ALLOWED[ext]
    if not matches(content):
        raise AttachmentRejected(
            _("Isi berkas %(name)s tidak sesuai dengan jenisnya (.%(ext)s).") % {"name": filename, "ext": ext}
        )
    if ext in ZIP_BASED:
        check_archive(filename, content)
    return ValidFile(filename, content_type, content, size, hashlib.sha256(content).hexdigest())


def validate_attachments(uploads: Iterable[Any]) -> list[ValidFile]:
    """Check every file before anything is stored: one bad file refuses them all."""
    return [validate_attachment(upload) for upload in uploads]


def store_attachments(message: Any, files: Iterable[ValidFile]) -> list[Any]:
    """Attachment rows for checked files. Stored names are random (the visitor's name is kept in `filename`)."""

    rows = []
    for valid in files:
        ext = valid.filename.rpartition(".")[2].lower()
        row = Attachment(
            message=message,
            filename=valid.filename,
            content_type=valid.content_type,
            size=valid.size,
            sha256=valid.sha256,
        )
        row.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(valid.content), save=False)
        row.save()
        rows.append(row)
    return rows
