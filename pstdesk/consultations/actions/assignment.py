"""Who handles a consultation: automatic round-robin among the officers on duty, manual claim, assign and
transfer, and the duty roster with its staffing warning. Re-exported by `consultations.actions`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pstdesk.accounts.access import visible_offices
from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations import transitions
from pstdesk.consultations.actions.requirements import mark_request_clear
from pstdesk.consultations.effects import lock, publish_consultation
from pstdesk.consultations.models import Assignment, Consultation, Status
from pstdesk.lib.actors import Actor, SystemActor, is_system, is_user
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.lib.events import office_group, publish_on_commit
from pstdesk.offices.calendar import CalendarNotConfigured, is_office_open
from pstdesk.offices.models import Office

AUTO_ASSIGN = SystemActor("assign")


def _display(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _set_assignee(consultation: Consultation, to: User | None, *, by: Actor, verb: str) -> None:
    """Inside the caller's transaction, consultation locked and transition checked. The assignment history
    (`Assignment`) is kept here, the one place an assignee changes."""
    before = {"assigned_to": consultation.assigned_to_id}
    now = timezone.now()
    if consultation.assigned_to_id is not None:
        Assignment.objects.filter(consultation=consultation, ended_at__isnull=True).update(ended_at=now)
    consultation.assigned_to = to
    consultation.save(update_fields=["assigned_to", "updated_at"])
    if to is not None:
        Assignment.objects.create(consultation=consultation, officer=to, started_at=now)
        to.last_assigned_at = now
        to.save(update_fields=["last_assigned_at"])
    record(
        verb,
        consultation,
        by=by,
        office=consultation.office,
        before=before,
        after={"assigned_to": consultation.assigned_to_id},
    )
    publish_consultation(consultation)


def _check_assignee(consultation: Consultation, to: Any) -> User:
    if not is_user(to) or not to.is_active or to.office_id != consultation.office_id:
        raise NotAllowed(_("Petugas yang dipilih bukan petugas aktif kantor ini."))
    return to


def active_load() -> Count:
    """Annotation: the number of consultations assigned to a user that are not closed."""
    return Count("assigned", filter=~Q(assigned__status=Status.CLOSED))


def assign_consultation(consultation: Consultation, *, to: User, by: Actor) -> Consultation:
    """Give the consultation to an officer of its office (any status but closed). Assigning it to its current
    assignee changes nothing."""
    to = _check_assignee(consultation, to)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "assign")
        if consultation.assigned_to_id == to.pk:
            return consultation
        _set_assignee(consultation, to, by=by, verb="consultation.assigned")
    return consultation


def claim_consultation(consultation: Consultation, *, by: User) -> Consultation:
    """An officer takes an unassigned consultation (or confirms their own). Claiming is accepting the request
    (DESIGN.md): it is marked clear if nobody has, which may open it and start the SLA clock."""

    to = _check_assignee(consultation, by)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "assign")
        if consultation.assigned_to_id not in (None, to.pk):
            raise NotAllowed(
                _("Konsultasi ini sudah ditangani %(name)s; minta pemindahan kepadanya atau koordinator.")
                % {"name": _display(consultation.assigned_to)}
            )
        if consultation.assigned_to_id is None:
            _set_assignee(consultation, to, by=by, verb="consultation.claimed")
        if consultation.request_clear_at is None and consultation.status in (
            Status.NEW,
            Status.AWAITING_REQUIREMENTS,
        ):
            mark_request_clear(consultation, by=by)
    return consultation


def transfer_consultation(consultation: Consultation, *, to: User, by: Actor) -> Consultation:
    """Hand a consultation over to another officer of the office: by its assignee, or by a supervisor."""
    to = _check_assignee(consultation, to)
    with transaction.atomic():
        lock(consultation)
        transitions.check_transition(consultation, "assign")
        # Admits the assignee and a supervisor; an unassigned consultation may be handed over by anyone who may
        # assign it (a user, the system).
        if not is_user(by) and not is_system(by):
            raise NotAllowed(_("Hanya petugas yang menangani atau koordinator yang dapat memindahkan konsultasi ini."))
        is_assignee = is_user(by) and consultation.assigned_to_id == by.pk
        if not is_assignee and not (is_user(by) and by.sees_subtree) and consultation.assigned_to_id is not None:
            raise NotAllowed(_("Hanya petugas yang menangani atau koordinator yang dapat memindahkan konsultasi ini."))
        if consultation.assigned_to_id == to.pk:
            raise InvalidInput(_("Konsultasi ini sudah ditangani petugas tersebut."))
        _set_assignee(consultation, to, by=by, verb="consultation.transferred")
    return consultation


def next_officer(office_code: str) -> User | None:
    """Round-robin: the office's active officers on duty with room under their capacity, the one assigned least
    recently first (never assigned counts as longest ago)."""
    return (
        User.objects.filter(office_id=office_code, on_duty=True, is_active=True)
        .annotate(load=active_load())
        .filter(load__lt=F("capacity"))
        .order_by(F("last_assigned_at").asc(nulls_first=True), "pk")
        .first()
    )


def _office_open(consultation: Consultation) -> bool:

    try:
        return is_office_open(consultation.office)
    except CalendarNotConfigured:  # an office without a standard has no hours to keep
        return True


def auto_assign(consultation: Consultation, *, by: Actor = AUTO_ASSIGN) -> User | None:
    """Assign an unassigned consultation to the next officer on duty; None (and nothing changed) when it is
    already assigned, closed, the office is closed now (outside service hours nobody is assigned automatically),
    or nobody on duty has room (it then waits in the "unassigned" queue).

    When nobody has room the answer is given without locking anything (outside hours every message of an
    unassigned consultation asks); otherwise the choice is made again under the lock."""
    if next_officer(consultation.office_id) is None:
        return None
    if not _office_open(consultation):  # never outside service hours, whoever forgot to go off duty
        return None
    with transaction.atomic():
        lock(consultation)
        if consultation.assigned_to_id is not None or consultation.status == Status.CLOSED:
            return None
        officer = next_officer(consultation.office_id)
        if officer is None:
            return None
        transitions.check_transition(consultation, "assign")
        _set_assignee(consultation, officer, by=by, verb="consultation.auto_assigned")
    return officer


def on_duty_count(office: Office | str) -> int:
    code = office if isinstance(office, str) else office.code
    return User.objects.filter(office_id=code, on_duty=True, is_active=True).count()


def staffing_warning(office: Office) -> str | None:
    """A warning when fewer officers are on duty than the office's minimum (`supervision.actions.office_minimum`:
    the standard's where it states one, else the office's own setting, else none). The text names the standard only
    where the standard states the number; with no minimum at all (Jembrana's standard is silent), only an office
    with nobody on duty is warned, and no number is named."""
    # cycle: supervision.actions imports this package (the roster sets duty through set_on_duty)
    from pstdesk.supervision.actions import office_minimum, staffing_message

    minimum = office_minimum(office)
    count = on_duty_count(office)
    if count >= max(minimum, 1):
        return None
    return staffing_message(office, count, minimum, stated_by_standard=office.policy.states_officers_minimum)


def set_on_duty(user: User, *, on_duty: bool, by: Actor, check_coverage: bool = True) -> User:
    """Put an officer on or off the duty roster (themself, or a supervisor of their office). Publishes
    `staffing.warning` to the office group with the current count and the warning text (None when staffed).

    Going off duty while the office is open hands the officer's consultations that still need work over
    (`handover_consultations`); at closing they stay with the officer for the next working day. The coverage is
    checked (a drop below the minimum in service hours warns the supervisors once) unless `check_coverage=False`
    (the roster sync changes several officers at once and checks after the last one)."""

    if not is_user(by) and not is_system(by):  # the officer, a supervisor, or the roster sync
        raise NotAllowed(_("Hanya petugas itu sendiri atau koordinatornya yang dapat mengubah jadwal tugas."))
    if is_user(by) and by.pk != user.pk:
        if not (by.sees_subtree and visible_offices(by).filter(code=user.office_id).exists()):
            raise NotAllowed(_("Hanya petugas itu sendiri atau koordinatornya yang dapat mengubah jadwal tugas."))
    if user.office_id is None:
        raise InvalidInput(_("Pengguna ini tidak terikat pada kantor mana pun."))
    with transaction.atomic():
        user.refresh_from_db(from_queryset=User.objects.select_for_update())
        if user.on_duty == on_duty:
            return user
        before = {"on_duty": user.on_duty}
        user.on_duty = on_duty
        user.save(update_fields=["on_duty"])
        record("user.duty", user, by=by, office=user.office, before=before, after={"on_duty": on_duty})
        office = user.office
        assert office is not None  # office_id checked before the transaction
        # cycle: supervision.actions imports this package (the roster sets duty through set_on_duty)
        from pstdesk.supervision import actions as supervision

        try:
            is_open = is_office_open(office)
        except CalendarNotConfigured:
            is_open = False
        if not on_duty and is_open:
            handover_consultations(user, by=by)
        warning = staffing_warning(office)
        publish_on_commit(
            [office_group(office.code)],
            {
                "type": "staffing.warning",
                "office": office.code,
                "on_duty": on_duty_count(office),
                "minimum": supervision.office_minimum(office),
                "warning": warning,
            },
        )
        if check_coverage:
            supervision.check_coverage(office, is_open=is_open)
    return user


# Consultations that still need an officer's work; answered ones wait on the visitor's rating and stay.
HANDOVER_STATUSES = (Status.NEW, Status.AWAITING_REQUIREMENTS, Status.OPEN)


def handover_consultations(user: User, *, by: Actor) -> int:
    """Move the officer's consultations that still need work (new, awaiting requirements, open) to the officers
    on duty, round-robin with room under their capacity; those nobody can take go back to the unassigned queue.
    One audit row per consultation (`consultation.handed_over`). Returns how many moved."""
    moved = 0
    with transaction.atomic():
        rows = list(
            Consultation.objects.select_related("office")
            .filter(assigned_to=user, status__in=HANDOVER_STATUSES)
            .order_by("due_at", "pk")
        )
        for consultation in rows:
            lock(consultation)
            if consultation.assigned_to_id != user.pk:
                continue
            officer = next_officer(consultation.office_id)
            if officer is not None and officer.pk == user.pk:
                officer = None
            _set_assignee(consultation, officer, by=by, verb="consultation.handed_over")
            moved += 1
    return moved
