"""The in-process hub: the channel layer of the embedded profile."""

from __future__ import annotations

import asyncio

from pstdesk.runtime.hub import InProcessHub


def test_a_group_event_reaches_every_member_once_as_its_own_copy() -> None:
    async def scenario() -> None:
        hub = InProcessHub()
        a, b, other = [await hub.new_channel() for _ in range(3)]
        await hub.group_add("consultation.1", a)
        await hub.group_add("consultation.1", b)
        await hub.group_add("consultation.2", other)
        event = {"type": "desk.event", "event": {"seq": 1}}
        await hub.group_send("consultation.1", event)
        got_a, got_b = await hub.receive(a), await hub.receive(b)
        assert got_a == got_b == event and got_a is not got_b
        assert other not in hub.channels  # nothing queued for a socket outside the group
        await hub.group_discard("consultation.1", b)
        await hub.group_send("consultation.1", {"type": "desk.event", "event": {"seq": 2}})
        assert (await hub.receive(a))["event"] == {"seq": 2}
        assert b not in hub.channels

    asyncio.run(scenario())


def test_expired_events_are_swept_and_their_socket_leaves_its_groups() -> None:
    async def scenario() -> None:
        hub = InProcessHub(expiry=-1, sweep_every=0)  # every message is already expired at the next sweep
        gone = await hub.new_channel()
        await hub.group_add("office.5102", gone)
        await hub.group_send("office.5102", {"type": "desk.event", "event": {}})
        hub._clean_expired()
        assert gone not in hub.channels and "office.5102" in hub.groups
        assert gone not in hub.groups["office.5102"]

    asyncio.run(scenario())


def test_the_sweep_runs_at_most_once_per_interval() -> None:
    async def scenario() -> None:
        hub = InProcessHub(expiry=-1, sweep_every=3600)
        hub._clean_expired()  # the first sweep
        kept = await hub.new_channel()
        await hub.group_add("office.5102", kept)
        await hub.group_send("office.5102", {"type": "desk.event", "event": {}})
        assert kept in hub.channels  # expired, but not swept again within the interval: received as before
        assert (await hub.receive(kept))["type"] == "desk.event"

    asyncio.run(scenario())
