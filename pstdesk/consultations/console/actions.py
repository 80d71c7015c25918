"""The console's own state changes: one officer's read cursor and one officer's preferences.

Both belong to the officer, not to the consultation: no other officer, visitor or report sees them. The read
cursor writes no audit row (like the office's read receipts in `delivery.mark_read_by_office`, it records what was
on a screen, not a decision); a preference change does.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from pstdesk.accounts.models import User
from pstdesk.audit.actions import record
from pstdesk.consultations.models import ConsolePreference, Consultation, ReadCursor, SendKey
from pstdesk.lib.actors import Actor, is_user
from pstdesk.lib.errors import InvalidInput, NotAllowed
from pstdesk.lib.events import publish_on_commit, user_group


def mark_seen(consultation: Consultation, *, by: User, up_to_seq: int) -> int:
    """The officer `by` has seen `consultation` up to message `up_to_seq` (capped at its last message). The cursor
    only moves forward; the officer's other console tabs hear `console.seen`. Returns the cursor now stored."""
    if up_to_seq < 0:
        raise InvalidInput(_("Nomor urut pesan tidak valid."))
    seq = min(up_to_seq, consultation.last_seq)
    with transaction.atomic():
        moved = ReadCursor.objects.filter(user=by, consultation=consultation, seq__lt=seq).update(seq=seq)
        if not moved:
            try:
                with transaction.atomic():
                    ReadCursor.objects.create(user=by, consultation=consultation, seq=seq)
                moved = 1
            except IntegrityError:  # the row exists (already at or past `seq`, or created concurrently)
                ReadCursor.objects.filter(user=by, consultation=consultation, seq__lt=seq).update(seq=seq)
        stored = ReadCursor.objects.filter(user=by, consultation=consultation).values_list("seq", flat=True).first()
        if moved:
            publish_on_commit(
                [user_group(by.pk)],
                {"type": "console.seen", "consultation": consultation.pk, "office": consultation.office_id, "seq": seq},
            )
    return int(stored or 0)


def preferences_of(user: Any) -> ConsolePreference:
    """The officer's preferences (an unsaved row with the defaults when they never changed them)."""
    found = ConsolePreference.objects.filter(user=user).first()
    return found if found is not None else ConsolePreference(user=user)


def set_console_preferences(user: Any, *, by: Actor, muted: bool | None = None, send_key: str | None = None) -> Any:
    """Change the officer's own console preferences (only they may). Audited with before and after."""
    if not is_user(by) or by.pk != user.pk:  # admits the officer themself only
        raise NotAllowed(_("Preferensi konsol hanya dapat diubah oleh petugas itu sendiri."))
    if send_key is not None and send_key not in SendKey.values:
        raise InvalidInput(_("Tombol kirim tidak dikenal: pilih Enter atau Ctrl+Enter."))
    with transaction.atomic():
        pref, _created = ConsolePreference.objects.select_for_update().get_or_create(user=user)
        before = {"muted": pref.muted, "send_key": pref.send_key}
        if muted is not None:
            pref.muted = muted
        if send_key is not None:
            pref.send_key = send_key
        after = {"muted": pref.muted, "send_key": pref.send_key}
        if after != before:
            pref.save(update_fields=["muted", "send_key"])
            record("console.preferences", pref, by=by, office=user.office, before=before, after=after)
    return pref
