"""State changes of offices and their service standards (the only place they happen)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from pstdesk.accounts.access import can_administer
from pstdesk.audit.actions import record
from pstdesk.lib.actors import Actor, is_command, is_system, is_user
from pstdesk.lib.errors import DomainError, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.hooks import calendar_changed
from pstdesk.offices.models import Channel, ChannelAccount, Office, ServiceStandard

# Fields an edit may change; the bookkeeping ones (office, version, created_*, change_note) are set here.
STANDARD_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in ServiceStandard._meta.concrete_fields
    if f.name not in {"id", "office", "version", "created_at", "created_by", "change_note"}
)


class StandardError(DomainError):
    """A revision that cannot be applied (unknown field, no standard to revise, nothing changed)."""


def _snapshot(standard: ServiceStandard) -> dict[str, Any]:
    return {name: getattr(standard, name) for name in STANDARD_FIELDS}


def revise_standard(office: Office, *, by: Actor, changes: dict[str, Any], note: str) -> ServiceStandard:
    """Publish version N+1 of the office's standard: a copy of the current version with `changes` applied
    (version 1 from the model's defaults when the office has no standard yet).

    Guarantees: earlier versions are never modified (they stay readable); the new row is validated with the
    model's field validation before it is saved; one audit row `standard.revised` holds the changed fields before
    and after; consultations' due dates are recomputed against the new standard (hours or SLA days may have
    changed), and an `office.updated` event goes out after commit. Raises `StandardError` for an unknown field,
    an invalid value, or a revision that changes nothing; `NotAllowed` unless `by` is the system, an
    operator's command, or a user who may administer the office (`accounts.access.can_administer`).
    """
    if not (is_system(by) or is_command(by) or (is_user(by) and can_administer(by, office))):
        raise NotAllowed(_("Hanya administrator kantor ini yang dapat mengubah standar pelayanan."))
    unknown = sorted(set(changes) - set(STANDARD_FIELDS))
    if unknown:
        raise StandardError(_("Kolom tidak dikenal: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        # Lock the office row so two concurrent revisions cannot both take the same version number.
        office = Office.objects.select_for_update().get(pk=office.pk)
        current = office.standards.order_by("-version").first()
        # An office without a standard gets version 1, built from the model's defaults plus `changes`.
        before = _snapshot(current or ServiceStandard(office=office))
        current_version = current.version if current else 0
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if not changed:
            raise StandardError(_("Tidak ada perubahan pada standar pelayanan."))
        if "channels" in changed:
            check_removed_channels(office, before["channels"], changed["channels"])
        new = ServiceStandard(
            office=office,
            version=current_version + 1,
            created_by=by if is_user(by) else None,
            change_note=note[:300],
            **{**before, **changed},
        )
        try:
            new.full_clean(exclude=["office", "created_by"])
        except ValidationError as exc:
            raise StandardError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        new.save()
        record(
            "standard.revised",
            new,
            by=by,
            office=office,
            before=_json_safe({"version": current_version, **{name: before[name] for name in changed}}),
            after=_json_safe({"version": new.version, **changed}),
        )
        calendar_changed(office, reason=f"standard v{new.version}: {note}", by=by)
        publish_on_commit(
            [office_group(office.code)],
            {"type": "office.updated", "office": office.code, "standard_version": new.version},
        )
    return new


def check_removed_channels(office: Office, old: list[str], new: list[str]) -> None:
    """A channel leaves the standard only once nothing of the office still receives on it: a WhatsApp account or
    an active mailbox of a channel the standard no longer offers would keep opening consultations the office does
    not offer (the admin refuses to configure them for the same reason)."""
    removed = set(old) - set(new)
    still: list[str] = []
    accounts = set(
        ChannelAccount.objects.filter(office=office, kind__in=removed, is_active=True).values_list("kind", flat=True)
    )
    if Channel.WHATSAPP in removed and (Channel.WHATSAPP in accounts or office.whatsapp_number):
        still.append(_("nomor/akun WhatsApp kantor"))
    for kind in sorted(accounts - {Channel.WHATSAPP}):
        # The e-mail channel's account is its mailbox.
        still.append(
            _("kotak surat e-mail yang aktif")
            if kind == Channel.EMAIL
            else _("akun kanal %(channel)s yang aktif") % {"channel": Channel(kind).label}
        )
    if still:
        raise StandardError(
            _(
                "Kanal yang dihapus dari standar masih terpasang di kantor ini (%(what)s). Hapus atau nonaktifkan "
                "dulu di admin, lalu ubah standarnya: kantor tidak menerima konsultasi lewat kanal yang tidak "
                "ditawarkan standarnya."
            )
            % {"what": ", ".join(still)}
        )


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    # The audit row stores JSON; dates (the effective date) are written as ISO strings.
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


OFFICE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in Office._meta.concrete_fields if f.name not in {"code", "path"} and f.editable
)


def save_office(office: Office, *, by: Actor, created: bool, before: dict[str, Any] | None = None) -> Office:
    """Save an office created or edited in the admin, and audit it.

    Guarantees: the actor administers the office's parent (to create) or the office itself (to edit), also after
    the edit (an office cannot be moved out of the actor's subtree, nor made its own ancestor); the materialised
    `path` is recomputed for the office and its descendants; one audit row `office.created` / `office.updated`.
    """
    if not (is_system(by) or is_command(by) or (is_user(by) and by.is_superuser)):  # else checked below
        if not is_user(by):
            raise NotAllowed(_("Anda tidak berwenang mengelola kantor ini."))
        parent_changed = created or before is None or before.get("parent_id") != office.parent_id
        if created and office.parent is None:
            raise NotAllowed(_("Hanya superuser yang dapat membuat kantor tingkat teratas."))
        if not created and not can_administer(by, Office.objects.get(pk=office.pk)):
            raise NotAllowed(_("Anda tidak berwenang mengelola kantor ini."))
        if parent_changed and (office.parent is None or not can_administer(by, office.parent)):
            raise NotAllowed(_("Anda tidak berwenang menempatkan kantor di bawah induk ini."))
    if office.parent is not None and office.code in office.parent.path.split("/"):
        raise StandardError(_("Kantor tidak dapat berada di bawah dirinya sendiri."))
    with transaction.atomic():
        old_path = office.path
        office.save()
        if not created and old_path and old_path != office.path:
            for child in Office.objects.filter(path__startswith=old_path).exclude(pk=office.pk).order_by("path"):
                child.save(update_fields=["path"])  # save() recomputes from the (already moved) parent
        after = {name: getattr(office, name) for name in (*OFFICE_FIELDS, "parent_id")}
        after = {k: v for k, v in after.items() if k != "parent"}
        changed_before = {k: v for k, v in (before or {}).items() if after.get(k) != v}
        record(
            "office.created" if created else "office.updated",
            office,
            by=by,
            office=office,
            before=changed_before,
            after=after if created else {k: after[k] for k in changed_before if k in after},
        )
    return office


def snapshot_office(office: Office) -> dict[str, Any]:
    data = {name: getattr(office, name) for name in OFFICE_FIELDS if name != "parent"}
    data["parent_id"] = office.parent_id
    return data
