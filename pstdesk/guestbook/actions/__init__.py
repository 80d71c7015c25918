"""Every state change of visitor identity, the guestbook, consent and e-mail verification.

Each action runs in one transaction, writes one audit row (`pstdesk.audit.actions.record`) and takes the actor as
`by=` (a staff `User`, or a typed actor from `lib.actors`: `VisitorActor`, `ChannelActor`, `SystemActor`). Audit
rows never carry personal data (names, addresses, numbers), so erasing a visitor leaves nothing personal behind in
the trail.

Identity rules (why `identify_visitor` is careful): a claim typed into a form (an e-mail address, a phone number)
proves nothing, so it never attaches the claimant to somebody else's identity. Identities are joined only on
proof: a WhatsApp id given by the provider, an e-mail address verified by a code, or a signed link we sent.
Joining two identities that each hold conversations needs proof of both (issue 11): a verified code joins only the
e-mail channel's identity of that mailbox, never another visitor who verified the same address; a signed link
merges only when the person confirms it with a POST in a browser that holds the other identity (`views.link_choice`)."""

from __future__ import annotations

from pstdesk.guestbook.actions._shared import TEXT_MAX, GuestbookError, visitor_actor
from pstdesk.guestbook.actions.consent import (
    PRIVACY_NOTICE_VERSION,
    give_consent,
    has_current_consent,
    withdraw_consent,
)
from pstdesk.guestbook.actions.entries import (
    CODE_FIELDS,
    GUESTBOOK_FREE_TEXT_FIELDS,
    OTHER_TEXT_FIELDS,
    current_code_lists,
    fill_guestbook,
    fill_guestbook_with_consent,
    validate_guestbook,
)
from pstdesk.guestbook.actions.identity import identify_visitor
from pstdesk.guestbook.actions.merge_erase import erase_visitor, merge_visitors
from pstdesk.guestbook.actions.verification import (
    VERIFICATION_CODE_DIGITS,
    VERIFICATION_CODE_TTL,
    VERIFICATION_MAX_ATTEMPTS,
    VERIFICATION_MAX_PER_HOUR,
    VERIFICATION_RESEND_AFTER,
    VerificationLimited,
    start_email_verification,
    verify_email,
)

__all__ = [
    "CODE_FIELDS",
    "GUESTBOOK_FREE_TEXT_FIELDS",
    "GuestbookError",
    "OTHER_TEXT_FIELDS",
    "PRIVACY_NOTICE_VERSION",
    "TEXT_MAX",
    "VERIFICATION_CODE_DIGITS",
    "VERIFICATION_CODE_TTL",
    "VERIFICATION_MAX_ATTEMPTS",
    "VERIFICATION_MAX_PER_HOUR",
    "VERIFICATION_RESEND_AFTER",
    "VerificationLimited",
    "current_code_lists",
    "erase_visitor",
    "fill_guestbook",
    "fill_guestbook_with_consent",
    "give_consent",
    "has_current_consent",
    "identify_visitor",
    "merge_visitors",
    "start_email_verification",
    "validate_guestbook",
    "verify_email",
    "visitor_actor",
    "withdraw_consent",
]
