"""Domain errors. Each carries a user-facing message (gettext); views, the API and consumers turn them into a
400/409 (or 403) answer with that message and change nothing. Every app raises these (or subclasses of them), so
no app needs to import `consultations` for its error types."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action. `message` is shown to the user as is; `status_code` is what the API answers."""

    status_code = 400

    def __init__(self, message: Any) -> None:
        self.message = str(message)
        super().__init__(self.message)


class InvalidTransition(DomainError):
    """The action is not in the transition table for the consultation's status and the office's closing order."""

    status_code = 409


class NotAllowed(DomainError):
    """The actor may not do this (e.g. transfer a consultation assigned to someone else)."""

    status_code = 403


class AttachmentRejected(DomainError):
    """A file is too large, of a type we do not accept, or its content does not match its name."""


class InvalidInput(DomainError):
    """Malformed input: an empty reply, a score outside 1–5, an unknown topic."""


class AlreadyRated(DomainError):
    """A consultation has one rating; a second is refused."""

    status_code = 409


class AlreadyAnswered(DomainError):
    """A consultation has one SKM questionnaire; a second is refused and changes nothing."""

    status_code = 409
