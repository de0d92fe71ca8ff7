"""A turn runs once per message and to its end, whatever its deliveries do (hotline/turns.py,
used by Rasa's channel: Sanic cancels a handler whose client, the gateway, gave up)."""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from hotline.turns import Turns


async def test_a_delivery_that_gives_up_does_not_cut_the_turn_short_and_the_next_one_gets_it() -> None:
    turns = Turns()
    started: list[int] = []
    release = asyncio.Event()

    async def turn() -> str:
        started.append(1)
        await release.wait()  # a slow action, or the conversation's lock on a busy Rasa
        return "answer"

    first = asyncio.ensure_future(turns.run(("conv", "m1"), turn))
    await asyncio.sleep(0.01)
    first.cancel()              # the gateway's timeout: Sanic cancels the handler
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(turns.run(("conv", "m1"), turn))  # the redelivery
    await asyncio.sleep(0.01)
    assert len(turns) == 1 and started == [1]
    release.set()
    assert await second == "answer"
    assert started == [1] and len(turns) == 0


async def test_other_messages_are_their_own_turns_and_a_finished_one_can_run_again() -> None:
    turns = Turns()
    calls: list[str] = []

    def make(name: str) -> Callable[[], Awaitable[str]]:
        async def turn() -> str:
            calls.append(name)
            return name
        return turn

    both = await asyncio.gather(turns.run(("c", "a"), make("a")), turns.run(("c", "b"), make("b")))
    assert both == ["a", "b"]
    # Once finished, a later delivery is the channel's tracker replay to answer, not this registry's.
    assert await turns.run(("c", "a"), make("a")) == "a" and calls == ["a", "b", "a"]


async def test_a_failed_turn_fails_its_waiters_and_is_forgotten() -> None:
    turns = Turns()

    async def broken() -> str:
        raise RuntimeError("action server exploded")

    for _ in range(2):
        try:
            await turns.run(("c", "x"), broken)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the failure should reach the caller")
    assert len(turns) == 0
