"""The baseline for the chat benchmark: a bare `websockets` relay that forwards each visitor frame to the
officer socket of the same conversation, storing nothing. Run as `python -m bench.relay PORT`."""

from __future__ import annotations

import asyncio
import sys

from websockets.asyncio.server import ServerConnection, serve

officers: dict[str, ServerConnection] = {}


async def handler(connection: ServerConnection) -> None:
    path = connection.request.path if connection.request else ""
    role, _, conversation = path.strip("/").partition("/")
    if role == "o":
        officers[conversation] = connection
        try:
            await connection.wait_closed()
        finally:
            officers.pop(conversation, None)
        return
    async for frame in connection:
        officer = officers.get(conversation)
        if officer is not None:
            await officer.send(frame)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
