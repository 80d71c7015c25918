from __future__ import annotations

from django.contrib import admin

from pstdesk.accounts.admin_scope import OfficeScopedAdmin
from pstdesk.channels.email.models import InboundEmail, MailboxState


@admin.register(MailboxState)
class MailboxStateAdmin(OfficeScopedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    office_field = "mailbox__office"
    list_display = ["mailbox", "folder", "uidvalidity", "last_uid", "last_poll_at", "rescans"]
    readonly_fields = ["mailbox", "folder", "uidvalidity", "last_uid", "last_poll_at", "rescans"]


@admin.register(InboundEmail)
class InboundEmailAdmin(OfficeScopedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The intake list: every stored message and what became of it; failed ones with their reason."""

    office_field = "mailbox__office"

    list_display = ["received_at", "mailbox", "status", "sender", "subject", "consultation", "error"]
    list_filter = ["status", "mailbox"]
    search_fields = ["message_id", "sender", "subject"]
    exclude = ["raw"]
    readonly_fields = [
        f
        for f in [
            "mailbox",
            "dedupe_key",
            "message_id",
            "folder",
            "uidvalidity",
            "uid",
            "source",
            "size",
            "received_at",
            "status",
            "error",
            "attempts",
            "processed_at",
            "sender",
            "subject",
            "consultation",
            "desk_message",
            "thread_key",
        ]
    ]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
