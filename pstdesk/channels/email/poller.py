"""IMAP intake: poll each active mailbox, and IDLE between polls where the server offers it.

One cycle (`poll_once`): SELECT the folder read-only (nothing is marked \\Seen or deleted: the mailbox stays the
office's), compare UIDVALIDITY with `MailboxState` (changed: rescan from UID 1, deduplicated by Message-ID),
`UID FETCH <last+1>:* BODY.PEEK[]` in small batches, store each message and advance the cursor in one
transaction (`intake.store_raw`), then process what is stored (`intake.process_pending`). IDLE (RFC 2177) is
re-issued at most every `IDLE_SECONDS` (servers drop it after 30 minutes), with a full poll after each wake-up, so a
missed notification delays mail by one interval at most and never loses it.
"""

from __future__ import annotations

import imaplib
import logging
import ssl
import threading
from dataclasses import dataclass

from django.db import close_old_connections, transaction
from django.utils import timezone
from imapclient import IMAPClient

from pstdesk.channels.email import intake
from pstdesk.channels.email.models import Mailbox, MailboxState, Security

log = logging.getLogger(__name__)

BATCH = 20
TIMEOUT = 60
IDLE_SECONDS = 25 * 60
IDLE_CHECK = 2.0  # how often an idling poller looks at its stop flag
# After the IDLE stream breaks (a server may send one response line in two packets, which imaplib reads as an
# "unterminated line"), reconnect at once: the full poll that follows a reconnect takes whatever woke it.
RECONNECT_SECONDS = 1.0


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    processed: int = 0
    rescanned: bool = False


def connect(mailbox: Mailbox) -> IMAPClient:
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=mailbox.imap_security == Security.TLS,
        ssl_context=context if mailbox.imap_security == Security.TLS else None,
        timeout=TIMEOUT,
    )
    if mailbox.imap_security == Security.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_user or mailbox.address, mailbox.imap_password())
    return client


def _state(mailbox: Mailbox, folder: str, uidvalidity: int) -> tuple[MailboxState, bool]:
    """The folder's cursor; a changed UIDVALIDITY restarts it at 0 (every UID may now name another message)."""
    with transaction.atomic():
        state, _created = MailboxState.objects.select_for_update().get_or_create(mailbox=mailbox, folder=folder)
        rescan = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        if state.uidvalidity != uidvalidity:
            if rescan:
                log.warning(
                    "mailbox %s folder %s: UIDVALIDITY %s -> %s, rescanning",
                    mailbox,
                    folder,
                    state.uidvalidity,
                    uidvalidity,
                )
                state.rescans += 1
            state.uidvalidity = uidvalidity
            state.last_uid = 0
        state.last_poll_at = timezone.now()
        state.save()
    return state, rescan


def fetch_new(client: IMAPClient, mailbox: Mailbox, result: PollResult) -> None:
    """Fetch and store every message after the cursor, oldest first."""
    folder = mailbox.imap_folder
    info = client.select_folder(folder, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    state, result.rescanned = _state(mailbox, folder, uidvalidity)
    # "n:*" always matches the highest UID even when it is below n (RFC 3501): filter again.
    uids = sorted(uid for uid in client.search(["UID", f"{state.last_uid + 1}:*"]) if uid > state.last_uid)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        data = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            raw = (data.get(uid) or {}).get(b"BODY[]")
            if raw is None:  # expunged meanwhile: nothing to keep, move past it
                with transaction.atomic():
                    intake._advance_state(MailboxState.objects.select_for_update().get(pk=state.pk), uid)
                    state.last_uid = max(state.last_uid, uid)
                continue
            result.fetched += 1
            stored = intake.store_raw(mailbox, bytes(raw), source="imap", state=state, uidvalidity=uidvalidity, uid=uid)
            if stored.created:
                result.stored += 1
            else:
                result.duplicates += 1


def poll_once(mailbox: Mailbox, *, client: IMAPClient | None = None) -> PollResult:
    """One intake cycle for one mailbox. Stored-but-unprocessed rows (from a crash) are processed first."""
    result = PollResult()
    result.processed += intake.process_pending(mailbox)
    own = client is None
    client = client or connect(mailbox)
    try:
        fetch_new(client, mailbox, result)
    finally:
        if own:
            try:
                client.logout()
            except Exception:  # the connection may already be gone; nothing to keep
                pass
    result.processed += intake.process_pending(mailbox)
    return result


def run_mailbox(mailbox_id: int, stop: threading.Event, *, interval: float = 60.0) -> None:
    """Poll one mailbox until `stop` is set: IDLE between polls if the server can, else sleep `interval`."""
    while not stop.is_set():
        close_old_connections()
        mailbox = Mailbox.objects.filter(pk=mailbox_id, is_active=True).first()
        if mailbox is None:
            return
        try:
            client = connect(mailbox)
            try:
                poll_once(mailbox, client=client)
                if b"IDLE" in client.capabilities():
                    client.idle()
                    try:
                        waited = 0.0
                        while not stop.is_set() and waited < IDLE_SECONDS:
                            if client.idle_check(timeout=IDLE_CHECK):
                                break
                            waited += IDLE_CHECK
                    finally:
                        client.idle_done()
                else:
                    stop.wait(interval)
            finally:
                try:
                    client.logout()
                except Exception:  # already closed
                    pass
        except imaplib.IMAP4.abort:
            log.warning("IMAP connection of %s broke; reconnecting in %ss", mailbox, RECONNECT_SECONDS, exc_info=True)
            stop.wait(RECONNECT_SECONDS)
        except Exception:
            log.exception("e-mail intake of %s failed; retrying in %ss", mailbox, interval)
            stop.wait(interval)
