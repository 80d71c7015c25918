"""Typed actors: the audit log stores the same labels as before, refuses a bare string, and each permission check
that used to let any string through ("a string is the system") now admits only the kinds it names."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pstdesk.accounts.actions import create_api_token, save_staff_user, set_security_policy
from pstdesk.accounts.models import User
from pstdesk.audit.actions import actor_fields, record
from pstdesk.audit.models import AuditLog
from pstdesk.channels.whatsapp.actions import mark_read
from pstdesk.complaints.actions import file_complaint, open_compensation
from pstdesk.consultations.actions import open_consultation, set_on_duty, transfer_consultation
from pstdesk.consultations.console.actions import set_console_preferences
from pstdesk.guestbook.actions import erase_visitor, identify_visitor
from pstdesk.guestbook.models import Visitor
from pstdesk.lib.actors import (
    SYSTEM,
    ChannelActor,
    CommandActor,
    SystemActor,
    VisitorActor,
    actor_label,
    is_user,
)
from pstdesk.lib.errors import NotAllowed
from pstdesk.offices.actions import revise_standard, save_office
from pstdesk.offices.closures import add_closure
from pstdesk.offices.models import Office, OfficeClosure

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("actor", "label"),
    [
        (SYSTEM, "system"),
        (SystemActor("sla"), "system:sla"),
        (CommandActor("createtoken"), "command:createtoken"),
        (VisitorActor(12), "visitor:12"),
        (ChannelActor("whatsapp"), "channel:whatsapp"),
    ],
)
def test_a_non_user_actor_is_stored_by_the_label_the_string_had(actor: Any, label: str, office_5102: Office) -> None:
    row = record("test.done", office_5102, by=actor)
    row.refresh_from_db()
    assert (row.actor_id, row.actor_label) == (None, label)
    assert actor_label(actor) == label and not is_user(actor)


def test_a_user_is_stored_as_the_foreign_key(officer_5102: User, office_5102: Office) -> None:
    row = record("test.done", office_5102, by=officer_5102)
    assert (row.actor_id, row.actor_label) == (officer_5102.pk, "")


@pytest.mark.parametrize("bad", ["system:sla", "visitor:1", "", None, 12])
def test_a_bare_string_or_none_is_refused(bad: Any, office_5102: Office) -> None:
    with pytest.raises(TypeError):
        actor_fields(bad)
    with pytest.raises(TypeError):
        record("test.done", office_5102, by=bad)
    assert not AuditLog.objects.filter(verb="test.done").exists()


def _visitor(name: str = "Ani") -> Visitor:
    return identify_visitor(name=name, by=SystemActor("test"))


# accounts: `_check_may_manage` admits a command and the system, never a visitor or a channel.
def test_accounts_refuse_a_visitor_and_a_channel(officer_5102: User, office_5102: Office) -> None:
    for actor in (VisitorActor(1), ChannelActor("web")):
        with pytest.raises(NotAllowed):
            save_staff_user(officer_5102, by=actor, created=False)
        with pytest.raises(NotAllowed):
            create_api_token(officer_5102, by=actor)
        with pytest.raises(NotAllowed):
            set_security_policy(office_5102, require_admin_two_factor=True, by=actor)
    _token, raw = create_api_token(officer_5102, by=CommandActor("createtoken"))
    assert raw


# offices: the standard, the office and its closures admit the system, a command and an administrator.
def test_offices_refuse_a_visitor_and_a_channel(office_5102: Office) -> None:
    for actor in (VisitorActor(1), ChannelActor("email")):
        with pytest.raises(NotAllowed):
            revise_standard(office_5102, by=actor, changes={"sla_days": 3}, note="x")
        with pytest.raises(NotAllowed):
            save_office(office_5102, by=actor, created=False)
        with pytest.raises(NotAllowed):
            add_closure(office_5102, date=dt.date(2031, 3, 3), reason="x", by=actor)
    assert not OfficeClosure.objects.filter(office=office_5102, date=dt.date(2031, 3, 3)).exists()
    add_closure(office_5102, date=dt.date(2031, 3, 3), reason="Rapat", by=CommandActor("import_closures"))


# The WhatsApp read mark admits the system and staff who see the consultation; compensation the system and
# supervising staff; the duty roster the officer, a supervisor and the roster sync; a complaint a channel, a
# visitor, the system or staff; a hand-over of an unassigned consultation a user or the system.
def test_core_checks_refuse_the_kinds_they_do_not_name(office_5102: Office, officer_5102: User) -> None:
    visitor = _visitor()
    consultation = open_consultation(office=office_5102, visitor=visitor, channel="whatsapp", by=SystemActor("test"))
    with pytest.raises(NotAllowed):
        mark_read(consultation, by=VisitorActor(visitor.pk))
    for actor in (ChannelActor("web"), CommandActor("x"), VisitorActor(visitor.pk)):
        with pytest.raises(NotAllowed):
            open_compensation(office_5102, by=actor, reason="x")
    with pytest.raises(NotAllowed):
        set_on_duty(officer_5102, on_duty=False, by=VisitorActor(visitor.pk))
    with pytest.raises(NotAllowed):
        set_console_preferences(officer_5102, by=SYSTEM, muted=True)
    with pytest.raises(NotAllowed):
        file_complaint(office_5102, kind="complaint", text="Lambat", by=CommandActor("x"))
    with pytest.raises(NotAllowed):
        transfer_consultation(consultation, to=officer_5102, by=VisitorActor(visitor.pk))
    assert open_compensation(office_5102, by=SystemActor("sla"), reason="Terlambat").pk


def test_erasure_admits_the_visitor_themself_but_no_other_visitor_nor_a_command(office_5102: Office) -> None:
    visitor, other = _visitor("Ani"), _visitor("Budi")
    for actor in (VisitorActor(other.pk), CommandActor("x"), ChannelActor("web")):
        with pytest.raises(NotAllowed):
            erase_visitor(visitor, by=actor)
    assert erase_visitor(visitor, by=VisitorActor(visitor.pk)).erased_at is not None
