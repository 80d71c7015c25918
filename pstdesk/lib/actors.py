"""Who did it: the typed actors that every action takes as `by=`.

A state change is made by a staff `User`, by the system (a worker, a schedule, a rule), by an operator's management
command, by a visitor (through a channel), or by a channel itself (intake before the visitor is known). The audit
log stores a user as a foreign key and every other actor as its label ("system:sla", "command:createtoken",
"visitor:12", "channel:whatsapp"); `audit.actions.actor_fields` refuses a bare string. Permission checks say which
kinds they admit (`is_user`, `is_system`, `is_command`, `is_visitor`, `is_channel`) instead of treating any string
as "the system".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias, TypeGuard

if TYPE_CHECKING:
    from pstdesk.accounts.models import User


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The system acting on its own: a worker, a schedule or a rule (`name` says which, e.g. "sla")."""

    name: str

    @property
    def label(self) -> str:
        return f"system:{self.name}" if self.name else "system"


@dataclass(frozen=True, slots=True)
class CommandActor:
    """An operator running a management command (`name` is the command, e.g. "createtoken")."""

    name: str

    @property
    def label(self) -> str:
        return f"command:{self.name}"


@dataclass(frozen=True, slots=True)
class VisitorActor:
    """A visitor acting through a channel (their own guestbook, rating, message)."""

    visitor_id: int

    @property
    def label(self) -> str:
        return f"visitor:{self.visitor_id}"


@dataclass(frozen=True, slots=True)
class ChannelActor:
    """A channel's intake acting before a visitor is known (e.g. creating the visitor of a first WhatsApp message)."""

    kind: str

    @property
    def label(self) -> str:
        return f"channel:{self.kind}"


NonUserActor: TypeAlias = SystemActor | CommandActor | VisitorActor | ChannelActor
Actor: TypeAlias = "User | SystemActor | CommandActor | VisitorActor | ChannelActor"
NON_USER_ACTORS = (SystemActor, CommandActor, VisitorActor, ChannelActor)

SYSTEM = SystemActor("")


def is_user(by: object) -> TypeGuard[User]:
    """A staff account (anything that is not one of the non-user actor types)."""
    return not isinstance(by, NON_USER_ACTORS) and getattr(by, "pk", None) is not None


def is_system(by: object) -> TypeGuard[SystemActor]:
    """The system on its own (a worker, a schedule, a rule)."""
    return isinstance(by, SystemActor)


def is_command(by: object) -> TypeGuard[CommandActor]:
    """An operator's management command."""
    return isinstance(by, CommandActor)


def is_channel(by: object) -> TypeGuard[ChannelActor]:
    """A channel's intake."""
    return isinstance(by, ChannelActor)


def is_visitor(by: object, visitor_id: int | None = None) -> TypeGuard[VisitorActor]:
    """A visitor actor; with `visitor_id`, that visitor exactly."""
    return isinstance(by, VisitorActor) and (visitor_id is None or by.visitor_id == visitor_id)


def actor_label(by: object) -> str:
    """The label stored for a non-user actor ("system:sla"), or "" for a user."""
    if isinstance(by, NON_USER_ACTORS):
        return by.label
    return ""
