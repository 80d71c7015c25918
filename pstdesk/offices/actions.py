"""State changes of offices and their service standards (the only place they happen)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pstdesk.audit.actions import record
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.models import Office, ServiceStandard

# Fields an edit may change; the bookkeeping ones (office, version, created_*, change_note) are set here.
STANDARD_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in ServiceStandard._meta.concrete_fields
    if f.name not in {"id", "office", "version", "created_at", "created_by", "change_note"}
)


class StandardError(ValidationError):
    """A revision that cannot be applied (unknown field, no standard to revise, nothing changed)."""


def _snapshot(standard: ServiceStandard) -> dict[str, Any]:
    return {name: getattr(standard, name) for name in STANDARD_FIELDS}


def revise_standard(office: Office, *, by: Any, changes: dict[str, Any], note: str) -> ServiceStandard:
    """Publish version N+1 of the office's standard: a copy of the current version with `changes` applied.

    Guarantees: earlier versions are never modified (they stay readable); the new row is validated with the
    model's field validation before it is saved; one audit row `standard.revised` holds the changed fields before
    and after; consultations' due dates are recomputed against the new standard (hours or SLA days may have
    changed), and an `office.updated` event goes out after commit. Raises `StandardError` for an unknown field,
    an office without a standard, or a revision that changes nothing.
    """
    unknown = sorted(set(changes) - set(STANDARD_FIELDS))
    if unknown:
        raise StandardError(_("Kolom tidak dikenal: %(fields)s") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        # Lock the office row so two concurrent revisions cannot both take the same version number.
        office = Office.objects.select_for_update().get(pk=office.pk)
        current = office.standards.order_by("-version").first()
        if current is None:
            raise StandardError(_("Kantor ini belum memiliki standar pelayanan."))
        before = _snapshot(current)
        changed = {name: value for name, value in changes.items() if before[name] != value}
        if not changed:
            raise StandardError(_("Tidak ada perubahan pada standar pelayanan."))
        new = ServiceStandard(
            office=office,
            version=current.version + 1,
            created_by=by if getattr(by, "pk", None) else None,
            change_note=note[:300],
            **{**before, **changed},
        )
        new.full_clean(exclude=["office", "created_by"])
        new.save()
        record(
            "standard.revised",
            new,
            by=by,
            office=office,
            before={"version": current.version, **{name: before[name] for name in changed}},
            after={"version": new.version, **changed},
        )
        _recompute_due_dates(office)
        publish_on_commit(
            [office_group(office.code)],
            {"type": "office.updated", "office": office.code, "standard_version": new.version},
        )
    return new


def _recompute_due_dates(office: Office) -> None:
    # consultations.sla owns due-date math; it is imported late because consultations depends on offices.
    try:
        from pstdesk.consultations.sla import recompute_office_due_dates
    except ImportError:  # the SLA module is not there yet (early in the project's history)
        return
    recompute_office_due_dates(office)
