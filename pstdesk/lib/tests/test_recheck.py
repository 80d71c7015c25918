from __future__ import annotations

import asyncio

from pstdesk.lib.recheck import Recheck


def test_recheck_repeats_survives_an_error_and_stops() -> None:
    calls: list[int] = []

    async def check() -> bool:
        calls.append(len(calls))
        if len(calls) == 1:
            raise ConnectionError("database away")
        return len(calls) < 3

    async def run() -> None:
        recheck = Recheck(0.01, check)
        recheck.start()
        await asyncio.sleep(0.2)
        assert calls == [0, 1, 2]  # the error was retried; False ended it
        assert recheck.handle is None and recheck.task is None

    asyncio.run(run())


def test_stop_cancels_the_timer() -> None:
    calls: list[int] = []

    async def check() -> bool:
        calls.append(1)
        return True

    async def run() -> None:
        recheck = Recheck(0.05, check)
        recheck.start()
        recheck.stop()
        await asyncio.sleep(0.15)

    asyncio.run(run())
    assert calls == []
