"""Human handoff: the per-conversation state machine, the queues, agents' presence, in Redis.

States: ``bot`` (no key) → ``queued`` → ``with_agent`` → ``closed`` → ``bot``. While a
conversation is queued or with an agent the citizen's messages are written to its handoff
log for the agent instead of going to Rasa; closing hands it back to the bot with its
context, and asks for a rating.

Keys (conversation = the pseudonymous conversation id; agent = a staff username):
``handoff:state:<conversation>`` hash: state, channel, reply_to (the channel's vault token
for the sender, so an agent's answer can go out the same way), skill, region, priority,
topic, reason, since, agent, accepted_at, last_citizen_at, last_agent_at.
``handoff:queue:<skill>`` sorted set of queued conversations; the score is the time they
joined minus a priority bonus, so a priority conversation overtakes, but only by so much.
``handoff:log:<conversation>`` list of JSON lines (citizen / agent / note / system), with
personal data as vault tokens exactly as the gateway received it.
``handoff:agent:<agent>`` hash: status, capacity, seen (heartbeat); ``handoff:active:<agent>``
set of the agent's conversations; ``handoff:agents`` set of agents ever present.
``handoff:stats`` hash: an exponentially weighted average handling time, for wait estimates.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from redis.asyncio import Redis

from channels.redisio import text, text_map

STATE_TTL_S = 86400
LOG_TTL_S = 7 * 86400
LOG_KEEP = 500
DEFAULT_SKILL = "general"
DEFAULT_CAPACITY = 3
PRIORITY_BONUS_S = 600  # each priority level counts as ten minutes of waiting
PRESENCE_TIMEOUT_S = 90  # an agent whose workspace stopped polling is gone
DEFAULT_HANDLE_S = 300.0
SKILLS = ("general", "pension", "unemployment", "employment", "labour", "card", "injury")


def describe(state: str, position: int | None, wait_min: int | None = None,
             short: bool = False) -> str:
    """What the citizen is told, in plain words (``short`` for SMS and voice)."""
    if state == "queued" and position is not None:
        ahead = "您是下一位" if position <= 1 else f"前面还有{position - 1}位"
        wait = f"，预计等待约{wait_min}分钟" if wait_min else ""
        if short:
            return f"已为您排队，{ahead}{wait}。回复“取消”可退出排队。"
        return f"已为您排队，{ahead}{wait}。人工客服接入后会在这里回复您，请不要离开。"
    if state == "with_agent":
        return "人工客服已接入，正在为您服务。"
    if state == "closed":
        return "人工服务已结束，感谢您的耐心。欢迎为本次服务评价。"
    return ""


def _state_key(conversation: str) -> str:
    return f"handoff:state:{conversation}"


def _queue_key(skill: str) -> str:
    return f"handoff:queue:{skill}"


def _log_key(conversation: str) -> str:
    return f"handoff:log:{conversation}"


def _agent_key(agent: str) -> str:
    return f"handoff:agent:{agent}"


def _active_key(agent: str) -> str:
    return f"handoff:active:{agent}"


@dataclass(frozen=True)
class HandoffStatus:
    state: str = "bot"
    position: int | None = None
    message: str = ""
    wait_min: int | None = None
    agent: str | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Waiting:
    """One conversation as the workspace lists it."""

    conversation: str
    state: str
    channel: str
    skill: str
    region: str
    priority: int
    topic: str
    reason: str
    since: float
    agent: str | None
    last_citizen_at: float | None
    extra: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        return data


class HandoffError(Exception):
    """An agent action that does not fit the conversation's state (told to the agent)."""


class HandoffQueue:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    # -- the citizen's side ---------------------------------------------------------------

    async def state(self, conversation: str) -> dict[str, str]:
        return text_map(await self.redis.hgetall(_state_key(conversation)))

    async def enqueue(self, conversation: str, channel: str, reason: str,
                      skill: str = DEFAULT_SKILL, *, region: str = "", topic: str = "",
                      priority: int = 0, reply_to: str = "") -> HandoffStatus:
        """Join the queue; asking again keeps the place already held."""
        current = await self.status(conversation)
        if current.state in ("queued", "with_agent"):
            return current
        skill = skill if skill in SKILLS else DEFAULT_SKILL
        now = time.time()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(_state_key(conversation))
            pipe.hset(_state_key(conversation), mapping={
                "state": "queued", "channel": channel, "reason": reason, "skill": skill,
                "region": region, "topic": topic, "priority": str(priority),
                "reply_to": reply_to, "since": repr(now), "last_citizen_at": repr(now)})
            pipe.expire(_state_key(conversation), STATE_TTL_S)
            pipe.zadd(_queue_key(skill), {conversation: now - priority * PRIORITY_BONUS_S}, nx=True)
            await pipe.execute()
        await self.log(conversation, "system", "市民请求人工服务，已进入排队")
        return await self.status(conversation)

    async def status(self, conversation: str, short: bool = False) -> HandoffStatus:
        state = await self.state(conversation)
        name = state.get("state", "bot")
        if name == "queued":
            rank = await self.redis.zrank(_queue_key(state.get("skill", DEFAULT_SKILL)), conversation)
            if rank is None:  # taken off the queue without a state change: treat as ended
                return HandoffStatus()
            position = int(str(rank)) + 1
            wait = await self.estimated_wait_min(position)
            return HandoffStatus(name, position, describe(name, position, wait, short), wait)
        return HandoffStatus(name, None, describe(name, None, short=short),
                             agent=state.get("agent") or None)

    async def cancel(self, conversation: str) -> HandoffStatus:
        state = await self.state(conversation)
        if state.get("state") == "queued":
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(_queue_key(state.get("skill", DEFAULT_SKILL)), conversation)
                pipe.delete(_state_key(conversation))
                await pipe.execute()
            await self.log(conversation, "system", "市民取消了排队")
        return await self.status(conversation)

    async def touch_citizen(self, conversation: str) -> None:
        await self.redis.hset(_state_key(conversation), "last_citizen_at", repr(time.time()))

    async def finish(self, conversation: str) -> None:
        """After ``closed``: back to the bot (the state key goes; the log stays a while)."""
        await self.redis.delete(_state_key(conversation))

    async def estimated_wait_min(self, position: int) -> int:
        """Position × average handling time ÷ agents on duty, in whole minutes (at least 1)."""
        handle_s = float(text(await self.redis.hget("handoff:stats", "handle_s") or DEFAULT_HANDLE_S))
        agents = len(await self.present_agents()) or 1
        return max(1, round(position * handle_s / agents / 60))

    # -- the log both sides see --------------------------------------------------------------

    async def log(self, conversation: str, who: str, text_: str, agent: str = "") -> dict[str, Any]:
        line = {"who": who, "text": text_, "at": time.time(), "agent": agent}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.rpush(_log_key(conversation), json.dumps(line, ensure_ascii=False))
            pipe.ltrim(_log_key(conversation), -LOG_KEEP, -1)
            pipe.expire(_log_key(conversation), LOG_TTL_S)
            await pipe.execute()
        return line

    async def lines(self, conversation: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in await self.redis.lrange(_log_key(conversation), 0, -1)]

    # -- agents ---------------------------------------------------------------------------------

    async def heartbeat(self, agent: str, status: str = "online",
                        capacity: int = DEFAULT_CAPACITY) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_agent_key(agent), mapping={"status": status, "capacity": str(capacity),
                                                  "seen": repr(time.time())})
            pipe.sadd("handoff:agents", agent)
            await pipe.execute()

    async def present_agents(self) -> list[str]:
        now = time.time()
        present = []
        for agent in sorted(text(a) for a in await self.redis.smembers("handoff:agents")):
            info = text_map(await self.redis.hgetall(_agent_key(agent)))
            if info.get("status") == "online" and now - float(info.get("seen") or 0) < PRESENCE_TIMEOUT_S:
                present.append(agent)
        return present

    async def agent_info(self, agent: str) -> dict[str, Any]:
        info = text_map(await self.redis.hgetall(_agent_key(agent)))
        active = sorted(text(c) for c in await self.redis.smembers(_active_key(agent)))
        return {"agent": agent, "status": info.get("status", "offline"),
                "capacity": int(info.get("capacity") or DEFAULT_CAPACITY), "active": active}

    async def waiting(self, skills: frozenset[str] | None = None,
                      regions: frozenset[str] | None = None) -> list[Waiting]:
        """Queued conversations an agent with these skills and regions may take, in order."""
        found: list[tuple[float, Waiting]] = []
        for skill in SKILLS:
            if skills and skill not in skills and "general" not in skills:
                continue
            ranked: list[Any] = await self.redis.zrange(_queue_key(skill), 0, -1, withscores=True)
            for raw, score in ranked:
                item = await self.describe_conversation(text(raw))
                if item is None or item.state != "queued":
                    continue
                if regions and item.region and item.region not in regions:
                    continue
                found.append((float(score), item))
        return [item for _, item in sorted(found, key=lambda pair: pair[0])]

    async def describe_conversation(self, conversation: str) -> Waiting | None:
        state = await self.state(conversation)
        if not state:
            return None
        return Waiting(
            conversation=conversation, state=state.get("state", "bot"),
            channel=state.get("channel", ""), skill=state.get("skill", DEFAULT_SKILL),
            region=state.get("region", ""), priority=int(state.get("priority") or 0),
            topic=state.get("topic", ""), reason=state.get("reason", ""),
            since=float(state.get("since") or 0), agent=state.get("agent") or None,
            last_citizen_at=float(state["last_citizen_at"]) if state.get("last_citizen_at") else None,
            extra=state)

    async def accept(self, conversation: str, agent: str) -> Waiting:
        """The agent takes a queued conversation. Exactly one of two agents racing wins."""
        info = await self.agent_info(agent)
        if len(info["active"]) >= info["capacity"]:
            raise HandoffError(f"您已在服务{len(info['active'])}位市民，达到同时接待上限。")
        state = await self.state(conversation)
        if state.get("state") != "queued":
            raise HandoffError("该会话已被其他坐席接入或已结束。")
        removed = await self.redis.zrem(_queue_key(state.get("skill", DEFAULT_SKILL)), conversation)
        if not removed:  # another agent's ZREM came first
            raise HandoffError("该会话已被其他坐席接入或已结束。")
        now = repr(time.time())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_state_key(conversation), mapping={
                "state": "with_agent", "agent": agent, "accepted_at": now, "last_agent_at": now})
            pipe.sadd(_active_key(agent), conversation)
            await pipe.execute()
        await self.log(conversation, "system", "人工客服已接入", agent)
        found = await self.describe_conversation(conversation)
        assert found is not None
        return found

    async def next_for(self, agent: str, skills: frozenset[str],
                       regions: frozenset[str]) -> Waiting | None:
        for item in await self.waiting(skills, regions):
            try:
                return await self.accept(item.conversation, agent)
            except HandoffError:
                continue
        return None

    async def owned(self, conversation: str, agent: str) -> dict[str, str]:
        state = await self.state(conversation)
        if state.get("state") != "with_agent" or state.get("agent") != agent:
            raise HandoffError("该会话不在您的接待中。")
        return state

    async def agent_said(self, conversation: str, agent: str, text_: str) -> dict[str, Any]:
        await self.owned(conversation, agent)
        await self.redis.hset(_state_key(conversation), "last_agent_at", repr(time.time()))
        return await self.log(conversation, "agent", text_, agent)

    async def transfer(self, conversation: str, agent: str, to_agent: str | None = None,
                       to_skill: str | None = None) -> None:
        """To a named colleague (who must be present), or back to a skill's queue first in line."""
        await self.owned(conversation, agent)
        if to_agent:
            if to_agent not in await self.present_agents():
                raise HandoffError("对方坐席不在线，无法转接。")
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.srem(_active_key(agent), conversation)
                pipe.sadd(_active_key(to_agent), conversation)
                pipe.hset(_state_key(conversation), "agent", to_agent)
                await pipe.execute()
            await self.log(conversation, "system", f"已由{agent}转接给{to_agent}", agent)
            return
        await self.requeue(conversation, agent, to_skill, "转接至其他技能组")

    async def requeue(self, conversation: str, agent: str, skill: str | None, why: str) -> None:
        state = await self.state(conversation)
        skill = skill if skill in SKILLS else state.get("skill", DEFAULT_SKILL)
        since = float(state.get("since") or time.time())
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.srem(_active_key(agent), conversation)
            pipe.hset(_state_key(conversation), mapping={"state": "queued", "skill": skill, "agent": ""})
            # Back at the front: they have waited once already.
            pipe.zadd(_queue_key(skill), {conversation: since - 10 * PRIORITY_BONUS_S})
            await pipe.execute()
        await self.log(conversation, "system", why, agent)

    async def close(self, conversation: str, agent: str, summary: str, outcome: str) -> float:
        """Ends the human part; returns how long the agent handled it, in seconds."""
        state = await self.owned(conversation, agent)
        now = time.time()
        handled = now - float(state.get("accepted_at") or now)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.srem(_active_key(agent), conversation)
            pipe.hset(_state_key(conversation), mapping={
                "state": "closed", "closed_at": repr(now), "summary": summary, "outcome": outcome})
            await pipe.execute()
        await self.log(conversation, "system", f"人工服务结束（{outcome}）：{summary}", agent)
        old = float(text(await self.redis.hget("handoff:stats", "handle_s") or DEFAULT_HANDLE_S))
        await self.redis.hset("handoff:stats", "handle_s", repr(0.8 * old + 0.2 * handled))
        return handled

    # -- timeouts ---------------------------------------------------------------------------------

    async def sweep(self, citizen_gone_s: float, queue_abandon_s: float) -> list[tuple[str, str]]:
        """Conversations to end or hand on: (conversation, what happened).

        ``agent_gone``: the agent's workspace stopped reporting presence; their conversations
        go back to the front of the queue. ``citizen_gone``: no word from the citizen for
        ``citizen_gone_s`` with an agent, or ``queue_abandon_s`` in the queue.
        """
        now = time.time()
        present = set(await self.present_agents())
        events: list[tuple[str, str]] = []
        for agent in sorted(text(a) for a in await self.redis.smembers("handoff:agents")):
            for conversation in sorted(text(c) for c in await self.redis.smembers(_active_key(agent))):
                state = await self.state(conversation)
                if state.get("state") != "with_agent" or state.get("agent") != agent:
                    await self.redis.srem(_active_key(agent), conversation)
                    continue
                last = float(state.get("last_citizen_at") or state.get("since") or now)
                if now - last > citizen_gone_s:
                    await self.close(conversation, agent, "市民长时间未回复，系统自动结束", "citizen_gone")
                    events.append((conversation, "citizen_gone"))
                elif agent not in present:
                    await self.requeue(conversation, agent, None, "坐席离线，会话已回到队列前列")
                    events.append((conversation, "agent_gone"))
        for skill in SKILLS:
            for raw in await self.redis.zrange(_queue_key(skill), 0, -1):
                conversation = text(raw)
                state = await self.state(conversation)
                last = float(state.get("last_citizen_at") or state.get("since") or 0)
                if not state or now - last > queue_abandon_s:
                    await self.redis.zrem(_queue_key(skill), conversation)
                    if state:
                        await self.redis.hset(_state_key(conversation), "state", "closed")
                        await self.log(conversation, "system", "排队超时，已结束排队")
                        events.append((conversation, "queue_abandoned"))
        return events
