"""The durable inbound path against a real Redis server."""

import asyncio

import pytest

from channels.errors import DialogueUnavailableError
from channels.inbound import BotReply, InboundMessage
from channels.stream import DEAD, GROUP, STREAM, InboundStream


def message(mid: str, conversation: str = "c1", text: str = "社保卡丢了") -> InboundMessage:
    return InboundMessage(channel="webchat", conversation=conversation, message_id=mid,
                          text=text, reply_to=conversation)


class Bot:
    """Stands in for Rasa: answers, or is down while ``up`` is False."""

    def __init__(self) -> None:
        self.up = True
        self.turns: list[str] = []

    async def handle(self, m: InboundMessage) -> BotReply:
        if not self.up:
            raise DialogueUnavailableError("down")
        self.turns.append(m.message_id)
        return BotReply(m.message_id, [{"text": f"答复:{m.text}"}], {"intent": "faq"})


def make(redis, bot: Bot, delivered: list, consumer: str = "gw-1", **kw) -> InboundStream:  # type: ignore[no-untyped-def]
    async def deliver(m: InboundMessage, r: BotReply) -> None:
        delivered.append((m.message_id, r.status))

    def deferred(m: InboundMessage) -> BotReply:
        return BotReply(m.message_id, [{"text": "繁忙"}], {}, status="deferred")

    return InboundStream(redis, consumer, bot.handle, deliver, deferred, **kw)


async def run_until(stream: InboundStream, condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async def reached() -> None:
        while not condition():  # noqa: ASYNC110 (polls a plain list the stream fills)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(reached(), timeout)
    finally:
        await stream.stop()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_message_is_answered_and_acknowledged(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    stream = make(redis, bot, delivered)
    assert await stream.accept(message("m1"))
    await run_until(stream, lambda: delivered)
    assert delivered == [("m1", "answered")]
    reply = await stream.wait_reply(message("m1"), 1)
    assert reply is not None and reply.messages[0]["text"] == "答复:社保卡丢了"
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_duplicate_message_is_one_turn(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    stream = make(redis, bot, delivered)
    assert await stream.accept(message("m1"))
    assert not await stream.accept(message("m1"))
    await run_until(stream, lambda: delivered)
    await asyncio.sleep(0.2)
    assert bot.turns == ["m1"]


async def test_unfinished_work_is_resumed_after_a_crash(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    stream = make(redis, bot, delivered)
    await stream.ensure_group()
    await stream.accept(message("m1"))
    # The crashed gateway had read the entry but never finished it.
    await redis.xreadgroup(GROUP, "gw-1", {STREAM: ">"}, count=10)
    restarted = make(redis, bot, delivered)
    await run_until(restarted, lambda: delivered)
    assert delivered == [("m1", "answered")]
    assert bot.turns == ["m1"]


async def test_dialogue_down_defers_then_answers_when_back(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    bot.up = False
    stream = make(redis, bot, delivered, retry_idle_s=0.2)
    await stream.accept(message("m1"))
    task = asyncio.create_task(stream.run())
    first = await stream.wait_reply(message("m1"), 5)
    assert first is not None and first.status == "deferred"
    bot.up = True
    for _ in range(100):
        if delivered:
            break
        await asyncio.sleep(0.05)
    await stream.stop()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert delivered == [("m1", "answered")]
    final = await stream.wait_reply(message("m1"), 1)
    assert final is not None and final.status == "answered"


async def test_gives_up_after_max_deliveries_with_an_apology(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    bot.up = False
    stream = make(redis, bot, delivered, retry_idle_s=0.1, max_deliveries=3)
    await stream.accept(message("m1"))
    await run_until(stream, lambda: delivered, timeout=15)
    assert delivered == [("m1", "failed")]
    assert await redis.xlen(DEAD) == 1
    assert (await redis.xpending(STREAM, GROUP))["pending"] == 0


async def test_turns_of_one_conversation_keep_their_order(redis) -> None:  # type: ignore[no-untyped-def]
    bot, delivered = Bot(), []
    stream = make(redis, bot, delivered)
    for i in range(5):
        await stream.accept(message(f"m{i}"))
    await run_until(stream, lambda: len(delivered) == 5)
    assert bot.turns == [f"m{i}" for i in range(5)]
