"""State changes of the soft-copy library: adding a publication, sending a stamped copy, counting a download."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pstdesk.accounts.access import can_administer, visible_offices
from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations.actions import post_reply
from pstdesk.consultations.attachments import clean_filename, read_upload
from pstdesk.lib.actors import Actor
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.library.models import Delivery, Publication
from pstdesk.library.watermark import PublicationRejected, check_pdf, stamp_pdf

SALT = "pstdesk.library.copy"
MAX_TITLE = 300


@dataclass(frozen=True)
class _CopyFile:
    """A stamped copy handed to `post_reply` as an attachment (the shape `read_upload` accepts)."""

    filename: str
    content: bytes


def add_publication(office: Any, *, by: User, title: str, year: Any, subject: str = "", upload: Any) -> Publication:
    """A new publication of `office`, uploaded by an administrator of the office (NotAllowed otherwise). The file
    is checked (`watermark.check_pdf`) before anything is written: a malformed, encrypted or oversized PDF is
    refused with the reason (PublicationRejected) and nothing is stored."""
    if not can_administer(by, office):
        raise NotAllowed(_("Hanya administrator kantor yang dapat menambah publikasi ke pustaka."))
    title = " ".join(str(title or "").split())
    subject = " ".join(str(subject or "").split())[:200]
    if not title:
        raise InvalidInput(_("Judul publikasi wajib diisi."))
    if len(title) > MAX_TITLE:
        raise InvalidInput(_("Judul publikasi terlalu panjang (paling banyak %(n)s karakter).") % {"n": MAX_TITLE})
    try:
        year_number = int(str(year).strip())
    except ValueError:
        year_number = 0
    this_year = timezone.localdate().year
    if not 1945 <= year_number <= this_year + 1:
        raise InvalidInput(_("Tahun publikasi harus antara 1945 dan %(max)s.") % {"max": this_year + 1})
    if upload is None:
        raise PublicationRejected(_("Pilih berkas PDF publikasi."))
    raw_name, content, size = read_upload_limited(upload)
    filename = clean_filename(raw_name)
    if not filename.lower().endswith(".pdf"):
        raise PublicationRejected(_("Berkas %(name)s bukan PDF.") % {"name": filename})
    checked = check_pdf(filename, content, size=size)
    with transaction.atomic():
        publication = Publication(
            office=office,
            title=title,
            year=year_number,
            subject=subject,
            filename=filename,
            size=size,
            pages=checked.pages,
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=by,
        )
        publication.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(content), save=False)
        publication.save()
        record(
            "library.publication_added",
            publication,
            by=by,
            office=office,
            after={"title": title, "year": year_number, "pages": checked.pages, "size": size},
        )
    return publication


def read_upload_limited(upload: Any) -> tuple[str, bytes, int]:
    """(name, content, size) of an upload, read up to LIBRARY_MAX_BYTES + 1 bytes (the attachment reader's limit
    is the smaller ATTACHMENT_MAX_BYTES)."""
    if hasattr(upload, "content") and isinstance(upload.content, bytes | bytearray):
        return read_upload(upload)
    limit = settings.LIBRARY_MAX_BYTES
    name = str(getattr(upload, "name", "") or "")
    size = int(getattr(upload, "size", 0) or 0)
    if size > limit:
        return name, b"", size
    upload.seek(0)
    content = upload.read(limit + 1)
    return name, content, len(content)


def set_publication_active(publication: Publication, *, by: Actor, active: bool) -> Publication:
    """Withdraw a publication from (or return it to) the console's list; its deliveries and log stay."""
    if not can_administer(by, publication.office):
        raise NotAllowed(_("Hanya administrator kantor yang dapat mengubah pustaka."))
    with transaction.atomic():
        before = publication.active
        publication.active = active
        publication.save(update_fields=["active"])
        record(
            "library.publication_activated" if active else "library.publication_withdrawn",
            publication,
            by=by,
            office=publication.office,
            before={"active": before},
            after={"active": active},
        )
    return publication


def copy_token(delivery: Delivery) -> str:
    return signing.dumps({"d": delivery.pk}, salt=SALT, compress=True)


def read_copy_token(token: str) -> int | None:
    """The delivery id a link names, or None for a forged or malformed token (expiry is the row's)."""
    try:
        data = signing.loads(token or "", salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("d"), int):
        return None
    return int(data["d"])


def copy_url(delivery: Delivery) -> str:
    return settings.PUBLIC_URL + reverse("library:download", kwargs={"token": copy_token(delivery)})


def send_publication(publication: Publication, *, consultation: Any, by: User) -> Delivery:
    """Stamp a copy of `publication` for the visitor of `consultation` (name, office, consultation number and
    date on every page) and send it as an officer's reply in the consultation's channel: a link valid for
    LIBRARY_LINK_DAYS days and, when the copy is small enough, the copy itself as an attachment. The original is
    never sent. The publication and the consultation must belong to the same office and the officer must see it
    (NotAllowed otherwise; views answer 404 before that). A refused reply (closed consultation) stores nothing."""
    if (
        publication.office_id != consultation.office_id
        or not visible_offices(by).filter(pk=consultation.office_id).exists()
    ):
        raise NotAllowed(_("Publikasi ini bukan milik kantor konsultasi ini."))
    if not publication.active:
        raise InvalidInput(_("Publikasi ini sudah ditarik dari pustaka."))
    office = consultation.office
    visitor = consultation.visitor
    now = timezone.now()
    with override(settings.LANGUAGE_CODE):  # the visitor's copy speaks the service's language
        local = timezone.localtime(now, timezone=_zone(office))
        stamped = stamp_pdf(
            publication.file.open("rb").read(),
            visitor=visitor.name or _("Pengguna layanan"),
            office=office.name,
            consultation=f"PST#{consultation.pk}",
            date=formats.date_format(local, "j F Y"),
        )
    expires_at = now + timedelta(days=settings.LIBRARY_LINK_DAYS)
    filename = clean_filename(f"{publication.title[:80]} - PST{consultation.pk}.pdf")
    with transaction.atomic():
        delivery = Delivery(
            publication=publication,
            office=office,
            consultation=consultation,
            visitor=visitor,
            sent_by=by,
            sent_at=now,
            size=len(stamped),
            sha256=hashlib.sha256(stamped).hexdigest(),
            expires_at=expires_at,
        )
        delivery.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(stamped), save=False)
        delivery.save()
        until = formats.date_format(timezone.localtime(expires_at, timezone=_zone(office)), "j F Y H:i")
        with override(settings.LANGUAGE_CODE):
            body = _(
                "Salinan publikasi “%(title)s” (%(year)s) untuk Anda: %(url)s\n"
                "Tautan berlaku sampai %(until)s. Salinan ini diberi tanda nama Anda; mohon tidak disebarluaskan."
            ) % {"title": publication.title, "year": publication.year, "url": copy_url(delivery), "until": until}
        attach_limit = min(settings.LIBRARY_ATTACH_MAX_BYTES, settings.ATTACHMENT_MAX_BYTES)
        attachments = [_CopyFile(filename, stamped)] if len(stamped) <= attach_limit else []
        message = post_reply(consultation, by=by, body=body, attachments=attachments)
        delivery.message = message
        delivery.save(update_fields=["message"])
        record(
            "library.publication_sent",
            delivery,
            by=by,
            office=office,
            after={
                "publication": publication.pk,
                "consultation": consultation.pk,
                "message": message.pk,
                "attached": bool(attachments),
                "expires_at": expires_at.isoformat(),
            },
        )
    return delivery


def _zone(office: Any) -> Any:
    return ZoneInfo(office.timezone or settings.TIME_ZONE)
