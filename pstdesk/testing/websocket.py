"""A WebSocket test client for ASGI applications.

`channels.testing` cannot be imported here: its package imports the live-server helper, which needs daphne (not a
dependency). This is the small part the tests need, on asgiref's `ApplicationCommunicator`::

    ws = WebsocketClient(application, "/ws/console/", headers=[(b"origin", b"http://testserver"), ...])
    connected, close_code = await ws.connect()
    await ws.send_json_to({"type": "ping"})
    frame = await ws.receive_json_from()
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from asgiref.testing import ApplicationCommunicator


class WebsocketClient(ApplicationCommunicator):  # type: ignore[misc]
    def __init__(self, application: Any, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        parsed = urlsplit(path)
        scope = {
            "type": "websocket",
            "path": unquote(parsed.path),
            "raw_path": parsed.path.encode(),
            "query_string": parsed.query.encode(),
            "headers": headers or [],
            "subprotocols": [],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        super().__init__(application, scope)
        self.connected = False

    async def connect(self, timeout: float = 2) -> tuple[bool, int | None]:
        """(accepted, close code if refused)."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            # As a server does once the application closed the socket: tell it the connection is gone, so it
            # finishes now instead of waiting out the timeout.
            await self.send_input({"type": "websocket.disconnect", "code": response.get("code", 1000)})
            await self.wait(timeout)
            return False, response.get("code", 1000)
        self.connected = response["type"] == "websocket.accept"
        return self.connected, None

    async def send_json_to(self, data: Any) -> None:
        await self.send_input({"type": "websocket.receive", "text": json.dumps(data)})

    async def receive_json_from(self, timeout: float = 2) -> Any:
        response = await self.receive_output(timeout)
        if response["type"] != "websocket.send":
            raise AssertionError(f"expected a frame, got {response}")
        return json.loads(response["text"])

    async def disconnect(self, code: int = 1000, timeout: float = 2) -> None:
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)
