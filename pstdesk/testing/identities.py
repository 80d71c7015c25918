"""The old, per-channel keywords of test setup mapped to the new shape (`channels.base.Sender`,
`guestbook.VisitorIdentity`), so the many tests written with `sender_wa_id=...` or `make_visitor(wa_id=...)` keep
their call sites. Production code builds `Sender`s itself."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from pstdesk.channels.base import InboundMessage, Sender
from pstdesk.guestbook.actions import identify_visitor
from pstdesk.guestbook.models import Visitor, VisitorIdentity
from pstdesk.lib.phones import normalize_whatsapp

WA_ID = "whatsapp"
WA_USER = "whatsapp_user"
EMAIL = "email"
LEGACY_SENDER = ("sender_name", "sender_email", "sender_whatsapp", "sender_wa_id", "sender_wa_user_id")
LEGACY_IDENTITY = {"wa_id": WA_ID, "wa_user_id": WA_USER, "email_channel_address": EMAIL}


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def legacy_sender(
    channel: str,
    *,
    sender_name: str = "",
    sender_email: str = "",
    sender_whatsapp: str = "",
    sender_wa_id: str = "",
    sender_wa_user_id: str = "",
    email_channel: bool = False,
) -> Sender | None:
    """The `Sender` the channel would build from these old fields: WhatsApp ids (proven), the e-mail channel's From
    address (unproven), or the bare claims of another channel (no identity key)."""
    if sender_wa_id or sender_wa_user_id:
        keys = [(WA_USER, sender_wa_user_id), (WA_ID, sender_wa_id)]
        if sender_whatsapp and not sender_wa_id:
            # A proven number without a wa_id: WhatsApp's key for it is its digits.
            try:
                keys.append((WA_ID, _digits(normalize_whatsapp(sender_whatsapp))))
            except ValueError:
                pass
        (kind, key), *others = [(k, v) for k, v in keys if v]
        return Sender(
            kind=kind,
            key=key,
            verified=True,
            display_name=sender_name,
            other_keys=tuple(others),
            email=sender_email,
            phone=(sender_whatsapp or "+" + sender_wa_id) if sender_wa_id else sender_whatsapp,
        )
    if channel == "email" or email_channel:
        return Sender(
            kind=EMAIL, key=sender_email.strip().lower(), display_name=sender_name, email=sender_email.strip()
        )
    if sender_name or sender_email or sender_whatsapp:
        return Sender(kind="", key="", display_name=sender_name, email=sender_email, phone=sender_whatsapp)
    return None


def inbound_message(**fields: Any) -> InboundMessage:
    """An `InboundMessage` from keywords, the old `sender_*` ones included."""
    legacy = {name: fields.pop(name) for name in LEGACY_SENDER if name in fields}
    if legacy and "sender" not in fields:
        fields["sender"] = legacy_sender(fields.get("channel", ""), **legacy)
    return InboundMessage(**fields)


def identify(
    *,
    wa_id: str = "",
    wa_user_id: str = "",
    email_channel: bool = False,
    email: str = "",
    whatsapp: str = "",
    name: str = "",
    by: Any = None,
) -> Visitor:
    """`identify_visitor` as the old keywords called it: WhatsApp ids and the e-mail channel become a `Sender`."""
    sender = legacy_sender(
        "",
        sender_name=name,
        sender_email=email,
        sender_whatsapp=whatsapp,
        sender_wa_id=wa_id,
        sender_wa_user_id=wa_user_id,
        email_channel=email_channel,
    )
    if sender is None or not (sender.kind or email_channel):
        return identify_visitor(email=email, whatsapp=whatsapp, name=name, by=by)
    return identify_visitor(sender=sender, by=by)


def make_visitor(**fields: Any) -> Visitor:
    """`Visitor.objects.create` that also accepts the old identity columns (`wa_id`, `wa_user_id`,
    `email_channel_address`, `whatsapp_verified_at`) and writes them as identities."""
    keys = {LEGACY_IDENTITY[name]: fields.pop(name) for name in list(fields) if name in LEGACY_IDENTITY}
    proven_at = fields.pop("whatsapp_verified_at", None)
    visitor = Visitor.objects.create(**fields)
    add_identities(visitor, proven_at=proven_at, **keys)
    return visitor


def add_identities(visitor: Visitor, *, proven_at: Any = None, **keys: str | None) -> None:
    """Give `visitor` identities by kind (`whatsapp=`, `whatsapp_user=`, `email=`); a proven number
    (`proven_at` without a wa_id) becomes the identity keyed by its digits."""
    now = timezone.now()
    for kind, key in keys.items():
        if key:
            verified = None if kind == EMAIL else (proven_at or now)
            VisitorIdentity.objects.create(visitor=visitor, kind=kind, key=key, verified_at=verified)
    if proven_at and not keys.get(WA_ID) and visitor.whatsapp:
        VisitorIdentity.objects.get_or_create(
            kind=WA_ID, key=_digits(visitor.whatsapp), defaults={"visitor": visitor, "verified_at": proven_at}
        )


# --- channel accounts (`offices.ChannelAccount`) in the old per-office shape ---------------------------------------

WHATSAPP_ACCOUNT_SETUP = (
    "from pstdesk.offices.models import ChannelAccount\n"
    'ChannelAccount.objects.update_or_create(office_id="5102", kind="whatsapp", defaults={"external_key": "105102"})\n'
)


def set_whatsapp_account(office: str, phone_number_id: str | None, business_account_id: str | None = None) -> None:
    """Give `office` this WhatsApp account (phone_number_id; the WABA kept unless given), or none (`None`)."""
    from pstdesk.offices.models import ChannelAccount

    if not phone_number_id:
        ChannelAccount.objects.filter(office_id=office, kind=WA_ID).delete()
        return
    account = ChannelAccount.objects.filter(office_id=office, kind=WA_ID).first()
    config = dict(account.config) if account else {}
    if business_account_id is not None:
        config["business_account_id"] = business_account_id
    ChannelAccount.objects.update_or_create(
        office_id=office, kind=WA_ID, defaults={"external_key": phone_number_id, "config": config, "is_active": True}
    )


def whatsapp_ids(office: str) -> tuple[str | None, str]:
    """(phone_number_id or None, business account id or "") of the office's WhatsApp account."""
    from pstdesk.offices.models import ChannelAccount

    account = ChannelAccount.objects.filter(office_id=office, kind=WA_ID).first()
    if account is None:
        return None, ""
    return account.external_key, str(account.config.get("business_account_id", ""))
