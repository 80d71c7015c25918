"""Channel identities leave `Visitor` (2/3): the WhatsApp ids, the proof of the WhatsApp number and the e-mail channel's
sender address become `VisitorIdentity` rows (and back, when reversed)."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

BATCH = 1000


def _digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())


def columns_to_identities(apps: Any, schema_editor: Any) -> None:
    Visitor = apps.get_model("guestbook", "Visitor")
    VisitorIdentity = apps.get_model("guestbook", "VisitorIdentity")
    rows: list[Any] = []
    taken: set[tuple[str, str]] = set()

    def add(visitor: Any, kind: str, key: str, verified_at: Any) -> None:
        if key and (kind, key) not in taken:
            taken.add((kind, key))
            rows.append(VisitorIdentity(visitor_id=visitor.pk, kind=kind, key=key, verified_at=verified_at))

    with_keys = (
        models.Q(wa_id__isnull=False)
        | models.Q(wa_user_id__isnull=False)
        | models.Q(email_channel_address__isnull=False)
        | models.Q(whatsapp_verified_at__isnull=False)
    )
    for visitor in Visitor.objects.filter(with_keys).order_by("pk").iterator(chunk_size=BATCH):
        # Ids WhatsApp sent were proven by the provider when they arrived.
        proven = visitor.whatsapp_verified_at or visitor.created_at
        add(visitor, "whatsapp", visitor.wa_id or "", proven)
        add(visitor, "whatsapp_user", visitor.wa_user_id or "", proven)
        if visitor.whatsapp_verified_at and _digits(visitor.whatsapp) != (visitor.wa_id or ""):
            # A number the channel proved without a wa_id: its digits are the key WhatsApp would send.
            add(visitor, "whatsapp", _digits(visitor.whatsapp), visitor.whatsapp_verified_at)
        # E-mail keys are matched lower-case (addresses differing only in case are one sender).
        add(visitor, "email", (visitor.email_channel_address or "").lower(), None)
        if len(rows) >= BATCH:
            VisitorIdentity.objects.bulk_create(rows)
            rows.clear()
    VisitorIdentity.objects.bulk_create(rows)


def identities_to_columns(apps: Any, schema_editor: Any) -> None:
    Visitor = apps.get_model("guestbook", "Visitor")
    VisitorIdentity = apps.get_model("guestbook", "VisitorIdentity")
    column = {"whatsapp": "wa_id", "whatsapp_user": "wa_user_id", "email": "email_channel_address"}
    changes: dict[int, dict[str, Any]] = {}
    for identity in VisitorIdentity.objects.order_by("pk").iterator(chunk_size=BATCH):
        fields = changes.setdefault(identity.visitor_id, {})
        name = column.get(identity.kind)
        if name and name not in fields:  # a visitor holds one of each in the old shape; the first one wins
            fields[name] = identity.key
            if identity.kind == "whatsapp" and identity.verified_at:
                fields["_proven"] = (identity.key, identity.verified_at)
    for pk, fields in changes.items():
        proven = fields.pop("_proven", None)
        visitor = Visitor.objects.get(pk=pk)
        for name, value in fields.items():
            setattr(visitor, name, value)
        if proven and _digits(visitor.whatsapp) == proven[0]:
            visitor.whatsapp_verified_at = proven[1]
        visitor.save(update_fields=[*fields, "whatsapp_verified_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("guestbook", "0005_visitor_identities"),
    ]

    operations = [
        migrations.RunPython(columns_to_identities, identities_to_columns, elidable=False),
    ]
