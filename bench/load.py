"""``hotline bench load``: concurrent web chat conversations, through the gateway and
straight to Rasa, in the same run against the same stack.

For each level N (default 1, 8, 32) N conversations run at once. Each is a closed loop:
it sends the next question of its script as soon as the previous one is answered, with
no think time, so the figures show what the stack can carry, not what citizens do.
Conversation i asks ``SCRIPT`` consecutive questions of ``tests/data/heldout.jsonl``
starting at question i × ``SCRIPT``. The same scripts then go straight to Rasa's signed
channel as fresh conversations (the gateway's request, signed the gateway's way, but
without the retrieval rankings the gateway computes first), so the gateway/direct ratio
is the price of the gateway: its stream round trip through Redis and the encoder + BM25.

A web chat reply that is not ready within ``WEBCHAT_REPLY_WAIT_S`` comes back as a
holding answer (``status: deferred``); those are counted apart from errors (refused or
failed requests). Results: ``bench/results/load.json``.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any, Awaitable, Callable, Sequence

import httpx
from redis.asyncio import Redis

from bench.common import (
    OPEN_LIMITS,
    PrivateStack,
    latency_summary,
    machine,
    private_stack,
    publish,
    ratio,
    times,
    today,
)
from channels.stream import GROUP, STREAM
from hotline import paths, training

QUESTIONS = paths.ROOT / "tests" / "data" / "heldout.jsonl"
WEBCHAT = "/api/v1/webchat/messages"
LEVELS = (1, 8, 32)
SCRIPT = 20

Send = Callable[[str], Awaitable[str]]  # one question → "answered" or "deferred"
Sample = tuple[float, str]               # (ms, "answered" | "deferred" | "error")


def questions() -> list[str]:
    return [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]


def scripts(conversations: int, length: int, pool: Sequence[str]) -> list[list[str]]:
    """Conversation i asks ``length`` consecutive questions of ``pool`` from i × length on."""
    return [[pool[(i * length + k) % len(pool)] for k in range(length)] for i in range(conversations)]


def summarize(samples: Sequence[Sample], wall_s: float) -> dict[str, Any]:
    """Latency over the requests that got a reply; throughput in replies a second."""
    replied = [ms for ms, outcome in samples if outcome != "error"]
    return {"messages": len(samples),
            "errors": sum(1 for _, outcome in samples if outcome == "error"),
            "deferred": sum(1 for _, outcome in samples if outcome == "deferred"),
            "wall_s": round(wall_s, 2),
            "per_s": per_second(len(replied), wall_s),
            "latency_ms": latency_summary(replied)}


def per_second(count: int, seconds: float) -> float | None:
    return round(count / seconds, 2) if seconds > 0 else None


async def _converse(send: Send, script: Sequence[str]) -> list[Sample]:
    samples: list[Sample] = []
    for text in script:
        started = time.perf_counter()
        try:
            outcome = await send(text)
        except (httpx.HTTPError, ValueError, KeyError):
            outcome = "error"
        samples.append(((time.perf_counter() - started) * 1000, outcome))
    return samples


async def drive(new_sender: Callable[[], Send], convos: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Run every script at once, each as its own conversation, and summarize."""
    started = time.perf_counter()
    results = await asyncio.gather(*(_converse(new_sender(), script) for script in convos))
    return summarize([s for samples in results for s in samples], time.perf_counter() - started)


async def drain(stack: PrivateStack, timeout_s: float = 300.0) -> float:
    """Seconds until the gateway has answered everything it accepted, held messages too:
    its stream group has read every entry and has none pending."""
    started = time.perf_counter()
    redis = Redis.from_url(stack.stack.redis_url, decode_responses=True)
    try:
        while time.perf_counter() - started < timeout_s:
            last = (await redis.xinfo_stream(STREAM))["last-generated-id"]
            group = next(g for g in await redis.xinfo_groups(STREAM) if g["name"] == GROUP)
            if group["pending"] == 0 and group["last-delivered-id"] == last:
                break
            await asyncio.sleep(0.2)
    finally:
        await redis.aclose()
    return round(time.perf_counter() - started, 1)


def gateway_sender(client: httpx.AsyncClient, stack: PrivateStack) -> Send:
    session = f"bench-{uuid.uuid4().hex[:16]}"

    async def send(text: str) -> str:
        response = await client.post(stack.gateway + WEBCHAT, json={
            "session_id": session, "text": text, "message_id": uuid.uuid4().hex})
        response.raise_for_status()
        return "answered" if response.json()["status"] == "answered" else "deferred"

    return send


def direct_sender(client: httpx.AsyncClient, stack: PrivateStack) -> Send:
    sender = f"bench-direct-{uuid.uuid4().hex[:16]}"

    async def send(text: str) -> str:
        await stack.rasa_send(client, sender, text)
        return "answered"

    return send


async def measure_async(stack: PrivateStack, levels: Sequence[int] = LEVELS,
                        length: int = SCRIPT) -> list[dict[str, Any]]:
    pool = questions()
    rows = []
    limits = httpx.Limits(max_connections=2 * max(levels) + 8, max_keepalive_connections=2 * max(levels))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        # The first turns of fresh processes are slow (lazy imports, first graph run).
        await drive(lambda: gateway_sender(client, stack), [pool[:3]])
        await drive(lambda: direct_sender(client, stack), [pool[:3]])
        # Open n connections to each before timing: the gateway keeps its connections to
        # Rasa, and here a busy Rasa served requests on new connections last (first replies
        # of the 32nd conversation took up to 38 s).
        warm = [[text] for text in pool[-max(levels):]]
        for n in levels:
            convos = scripts(n, length, pool)
            await drive(lambda: gateway_sender(client, stack), warm[:n])
            await drain(stack)
            gateway = await drive(lambda: gateway_sender(client, stack), convos)
            # Held messages are still being answered; let them finish before Rasa is timed
            # alone, and count the gateway's throughput until the last one is answered.
            gateway["drain_s"] = await drain(stack)
            gateway["per_s"] = per_second(gateway["messages"] - gateway["errors"],
                                          gateway["wall_s"] + gateway["drain_s"])
            await drive(lambda: direct_sender(client, stack), warm[:n])
            direct = await drive(lambda: direct_sender(client, stack), convos)
            rows.append({"conversations": n, "gateway": gateway, "direct": direct,
                         "p50_ratio": ratio(gateway["latency_ms"]["p50"], direct["latency_ms"]["p50"]),
                         "throughput_ratio": ratio(gateway["per_s"], direct["per_s"])})
    return rows


def measure(stack: PrivateStack, levels: Sequence[int] = LEVELS, length: int = SCRIPT) -> dict[str, Any]:
    return {"date": today(), "machine": machine(), "script": length,
            "rows": asyncio.run(measure_async(stack, levels, length))}


def run(levels: Sequence[int] = LEVELS, length: int = SCRIPT) -> dict[str, Any]:
    model = training.train(say=lambda _: None)
    with private_stack(model, OPEN_LIMITS) as stack:
        return dict(measure(stack, levels, length), model=model.name)


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['machine']}; {result['date']}; model {result['model']}; "
        f"`{result.get('command', 'hotline bench load')}`.",
        "",
        f"Method: N conversations at once, each a closed loop (next question as soon as the "
        f"previous is answered) of {result['script']} held-out questions, first through the "
        "gateway's web chat API (fresh `session_id` per conversation, `message_id` per message), "
        "then the same scripts straight to Rasa's signed channel, against the same private "
        "stack, after N one-message conversations on each path to open the connections (the "
        "gateway keeps its connections to Rasa; without this, a busy Rasa served new "
        "connections last). The gateway was started with its web chat rate limits "
        "(`WEBCHAT_RATE_SESSION`, `WEBCHAT_RATE_IP`) raised out of reach, so this measures the "
        "system, not the limiter. Direct to Rasa skips the gateway's retrieval (encoder + BM25 "
        "before each Rasa call, fused inside Rasa), so the ratios include that work. Latency is "
        "over requests that got a reply; \"held\" counts holding answers (reply not ready within "
        "`WEBCHAT_REPLY_WAIT_S`, default 4.5 s, so the gateway's percentiles stop near it; after \"+\", "
        "how long after the last request the gateway still worked to answer them: the direct run "
        "starts only then, and the gateway's messages/s counts that time too); errors are failed "
        "or refused requests. The load generator runs on the same 2 cores.",
        "",
        "| N | path | messages | p50 ms | p95 ms | p99 ms | messages/s | errors | held |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        for label, key in (("gateway", "gateway"), ("Rasa direct", "direct")):
            part, lat = row[key], row[key]["latency_ms"]
            lines.append(f"| {row['conversations']} | {label} | {part['messages']} | {_ms(lat['p50'])} | "
                         f"{_ms(lat['p95'])} | {_ms(lat['p99'])} | {part['per_s']} | {part['errors']} | "
                         f"{_held(part) if key == 'gateway' else '—'} |")
        lines.append(f"| {row['conversations']} | gateway / direct | | {times(row['p50_ratio'])} | | | "
                     f"{times(row['throughput_ratio'])} | | |")
    return "\n".join(lines)


def _held(part: dict[str, Any]) -> str:
    drain = part.get("drain_s") or 0
    return f"{part['deferred']} (+{drain:.0f} s)" if part["deferred"] or drain >= 1 else "0"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def main(levels: Sequence[int] = LEVELS) -> int:
    result = run(levels)
    publish("load", result, table(result))
    return 0
