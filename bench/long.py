"""``hotline bench long``: one conversation of 200 turns through the gateway.

Rasa keeps a conversation's whole history in its tracker and, on every turn, reads it from
Redis (``rasa:tracker:<conversation>``), replays it and writes all of it back. This
measures what that costs a citizen who keeps talking: the median latency of turns 1–10
against turns 191–200, and the tracker's size in Redis at turns 1, 100 and 200.
Results: ``bench/results/long.json``.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from typing import Any

import httpx
from redis import Redis

from bench.common import OPEN_LIMITS, PrivateStack, machine, private_stack, publish, ratio, times, today
from bench.load import WEBCHAT, questions
from hotline import training

TURNS = 200
WINDOW = 10
SNAPSHOTS = (1, 100, 200)
POLL_LIMIT_S = 120.0


def window_medians(ms: list[float], window: int = WINDOW) -> list[float]:
    """Median latency of each run of ``window`` consecutive turns."""
    return [round(statistics.median(ms[i:i + window]), 1) for i in range(0, len(ms), window)]


def measure(stack: PrivateStack, turns: int = TURNS) -> dict[str, Any]:
    pool = questions()
    session = f"bench-long-{uuid.uuid4().hex[:16]}"
    key = stack.tracker_key(session)
    latencies: list[float] = []
    trackers: dict[int, dict[str, int]] = {}
    deferred = 0
    redis = Redis.from_url(stack.stack.redis_url)
    try:
        with httpx.Client(timeout=60) as client:
            for text in pool[:3]:  # warm-up on another conversation: fresh processes are slow
                _say(client, stack, f"bench-warm-{uuid.uuid4().hex[:16]}", text)
            for turn in range(1, turns + 1):
                ms, held = _say(client, stack, session, pool[(turn - 1) % len(pool)])
                latencies.append(ms)
                deferred += held
                if turn in SNAPSHOTS or turn == turns:
                    trackers[turn] = _tracker_size(redis, key)
    finally:
        redis.close()
    first = statistics.median(latencies[:WINDOW])
    last = statistics.median(latencies[-WINDOW:])
    return {"date": today(), "machine": machine(), "turns": turns, "deferred": deferred,
            "first_ms": round(first, 1), "last_ms": round(last, 1), "last_over_first": ratio(last, first),
            "window_medians_ms": window_medians(latencies), "tracker": trackers}


def _say(client: httpx.Client, stack: PrivateStack, session: str, text: str) -> tuple[float, bool]:
    """Milliseconds until the answer is there, and whether it came after a holding answer:
    a held turn is still being answered, so wait for it as the widget does (``GET``)."""
    message_id = uuid.uuid4().hex
    started = time.perf_counter()
    response = client.post(stack.gateway + WEBCHAT, json={
        "session_id": session, "text": text, "message_id": message_id})
    response.raise_for_status()
    held = response.json()["status"] == "deferred"
    while held and time.perf_counter() - started < POLL_LIMIT_S:
        time.sleep(0.2)
        stored = client.get(stack.gateway + WEBCHAT, params={"session_id": session})
        stored.raise_for_status()
        if any(r["message_id"] == message_id and r["status"] != "deferred"
               for r in stored.json()["replies"]):
            break
    return (time.perf_counter() - started) * 1000, held


def _tracker_size(redis: Redis, key: str) -> dict[str, int]:
    raw = redis.get(key)
    if raw is None:
        raise RuntimeError(f"Rasa 的 tracker {key} 不在 Redis 中：网关的会话编号规则可能变了")
    assert isinstance(raw, bytes)
    return {"bytes": len(raw), "events": len(json.loads(raw).get("events") or [])}


def run(turns: int = TURNS) -> dict[str, Any]:
    model = training.train(say=lambda _: None)
    with private_stack(model, OPEN_LIMITS) as stack:
        return dict(measure(stack, turns), model=model.name)


def table(result: dict[str, Any]) -> str:
    turns, w = result["turns"], WINDOW
    lines = [
        f"{result['machine']}; {result['date']}; model {result['model']}; "
        f"`{result.get('command', 'hotline bench long')}`.",
        "",
        f"Method: one web chat conversation of {turns} turns through the gateway (held-out "
        "questions in order, each sent when the previous one is answered, web chat rate limits "
        "raised out of reach, after a 3-message warm-up on another conversation); latency is "
        "the time until the answer is there: the HTTP round trip, or for a turn that got a "
        "holding answer, until its answer appears in `GET /api/v1/webchat/messages` (polled "
        "every 0.2 s), before the next turn is sent; tracker size is the length of Rasa's "
        f"`rasa:tracker:<conversation>` value in Redis after the turn. Turns that got a holding "
        f"answer first: {result['deferred']}.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| median latency, turns 1–{w} | {result['first_ms']:.1f} ms |",
        f"| median latency, turns {turns - w + 1}–{turns} | {result['last_ms']:.1f} ms "
        f"({times(result['last_over_first'])}) |",
    ]
    for turn, size in sorted(result["tracker"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"| tracker after turn {turn} | {size['bytes'] / 1024:.1f} KiB, "
                     f"{size['events']} events |")
    medians = ", ".join(f"{v:.0f}" for v in result["window_medians_ms"])
    lines.append(f"| median latency per {w} turns | {medians} ms |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("long", result, table(result))
    return 0
