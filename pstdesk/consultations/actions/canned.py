"""The office's canned replies (balasan siap pakai): created, changed and removed by admins with an audit row,
and rendered for one consultation. Re-exported by `consultations.actions`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.consultations.effects import snapshot
from pstdesk.consultations.models import CannedReply, Consultation
from pstdesk.lib.actors import Actor
from pstdesk.lib.errors import InvalidInput


def save_canned_reply(reply: CannedReply, *, by: Actor, created: bool) -> CannedReply:
    """Create or change an office's canned reply (admin), with an audit row."""
    if not (reply.title or "").strip() or not (reply.body or "").strip():
        raise InvalidInput(_("Judul dan isi balasan siap pakai wajib diisi."))
    with transaction.atomic():
        before = {}
        if not created:
            before = snapshot(CannedReply.objects.get(pk=reply.pk), ["title", "body", "language"])
        reply.save()
        record(
            "canned_reply.created" if created else "canned_reply.changed",
            reply,
            by=by,
            office=reply.office,
            before=before,
            after=snapshot(reply, ["title", "body", "language"]),
        )
    return reply


def delete_canned_reply(reply: CannedReply, *, by: Actor) -> None:
    """Remove a canned reply, keeping its text in the audit row."""
    with transaction.atomic():
        record(
            "canned_reply.deleted",
            reply,
            by=by,
            office=reply.office,
            before=snapshot(reply, ["title", "body", "language"]),
        )
        reply.delete()


def render_canned_reply(reply: CannedReply, consultation: Consultation, *, officer: Any = None) -> str:
    """A canned reply's text for this consultation. Placeholders: {visitor_name}, {office_name}, {officer_name},
    {consultation_id}; unknown placeholders are left as written."""

    class _Keep(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    values = _Keep(
        visitor_name=consultation.visitor.name or "",
        office_name=consultation.office.name,
        officer_name=(officer.get_full_name() or officer.username) if officer is not None else "",
        consultation_id=str(consultation.pk),
    )
    try:
        return reply.body.format_map(values)
    except (ValueError, IndexError):  # a stray brace in the text: use it as written
        return reply.body
