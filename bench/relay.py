"""The baseline for the chat benchmark: a bare `websockets` relay that forwards each visitor frame to every officer
socket of the same key, storing nothing. Run as `python -m bench.relay PORT`.

Visitors connect to `/v/<key>`, officers to `/o/<key>`. The chat benchmark uses the office code as the key, so the
relay fans a frame out to the officers of one office like the desk's `office.<code>` group does. It runs on uvloop
when installed (uvicorn does too), so the comparison is loop against loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

officers: dict[str, set[ServerConnection]] = {}


async def handler(connection: ServerConnection) -> None:
    path = connection.request.path if connection.request else ""
    role, _, key = path.strip("/").partition("/")
    if role == "o":
        officers.setdefault(key, set()).add(connection)
        try:
            await connection.wait_closed()
        finally:
            officers.get(key, set()).discard(connection)
        return
    async for frame in connection:
        for officer in list(officers.get(key, ())):
            with contextlib.suppress(ConnectionClosed):
                await officer.send(frame)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None, max_size=None):
        await asyncio.Future()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main(int(sys.argv[1])))
    except ImportError:
        asyncio.run(main(int(sys.argv[1])))
