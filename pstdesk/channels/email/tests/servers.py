"""Real mail servers for tests, in-process on 127.0.0.1: aiosmtpd's SMTP `Controller` and pymap's IMAP server
(dict backend: UIDVALIDITY, UIDNEXT, UID SEARCH/FETCH, IDLE) on an asyncio loop in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from argparse import Namespace
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from imapclient import IMAPClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """Captures every message; `refuse` maps a recipient to an SMTP reply (e.g. "550 5.1.1 no such user")."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self) -> None:
        self.sink = SmtpSink()
        self.port = free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class ImapServer:
    """pymap with the in-memory dict backend; one user (the office mailbox)."""

    def __init__(self, user: str = "bps5101@bps.go.id", password: str = "imap-secret") -> None:
        self.user, self.password = user, password
        self.port = free_port()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="pymap")

    def _run(self) -> None:
        from proxyprotocol.reader import ProxyProtocolReader
        from pymap.backend.dict import DictBackend
        from pymap.imap import IMAPServer

        args = Namespace(
            host=["127.0.0.1"],
            port=str(self.port),
            debug=False,
            cert=None,
            key=None,
            tls=False,
            demo_data=False,
            demo_user=self.user,
            demo_password=self.password,
            proxy_protocol=None,
            inherited_sockets=None,
            passlib_cfg=None,
            skip_services=[],
        )

        # What pymap's IMAPService.start does, except that each connection's task is held here: the PROXY-protocol
        # reader starts it with a bare `asyncio.create_task` and keeps no reference, and asyncio itself holds tasks
        # only weakly, so a connection waiting on a future nothing else referenced could be garbage-collected
        # mid-command ("Task was destroyed but it is pending!"; seen on Python 3.13), and its client timed out.
        connections: set[asyncio.Task[None]] = set()

        async def main() -> None:
            backend, config = await DictBackend.init(args)
            config.apply_context()
            imap = IMAPServer(backend.login, config)

            async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, sock_info: Any) -> None:
                task = asyncio.current_task()
                assert task is not None
                connections.add(task)
                try:
                    await imap(reader, writer, sock_info)
                finally:
                    connections.discard(task)

            handle = ProxyProtocolReader(config.proxy_protocol).get_callback(connection)

            async with AsyncExitStack() as stack:
                await backend.start(stack)
                server = await asyncio.start_server(handle, host="127.0.0.1", port=self.port)
                await stack.enter_async_context(server)
                self._loop = asyncio.get_running_loop()
                self._stop = asyncio.Event()
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(main())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()

    def start(self) -> ImapServer:
        self._thread.start()
        if not self._ready.wait(15) or self._error is not None:
            raise RuntimeError(f"pymap did not start: {self._error!r}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, raw)
        finally:
            client.logout()

    def recreate_folder(self, folder: str) -> None:
        """Delete and create a folder again: the server gives it a new UIDVALIDITY."""
        client = self.client()
        try:
            if client.folder_exists(folder):
                client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            client.logout()
