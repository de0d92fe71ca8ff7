"""``hotline bench memory``: resident memory of every process of the stack, idle after
start-up and at the end of a short load.

Each service runs in its own process group (``hotline.supervisor`` starts it in a new
session), so a service's figure is the sum of ``VmRSS`` over its group: Rasa's and the
gateway's worker processes and threads count with them. Results:
``bench/results/memory.json``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench import load
from bench.common import OPEN_LIMITS, PrivateStack, machine, private_stack, publish, today
from bench.foundation import rss_mib
from hotline import training

SETTLE_S = 5.0
FAKES = frozenset({"sms", "wechat"})  # local stand-ins for providers, not part of the system
CONVERSATIONS = 8
SCRIPT = 10


def snapshot(stack: PrivateStack) -> dict[str, float]:
    return {name: rss_mib(pid) for name, pid in stack.service_pids().items()}


async def _load(stack: PrivateStack, conversations: int, length: int) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=60) as client:
        convos = load.scripts(conversations, length, load.questions())
        return await load.drive(lambda: load.gateway_sender(client, stack), convos)


def measure(stack: PrivateStack, conversations: int = CONVERSATIONS, length: int = SCRIPT) -> dict[str, Any]:
    time.sleep(SETTLE_S)
    idle = snapshot(stack)
    traffic = asyncio.run(_load(stack, conversations, length))
    loaded = snapshot(stack)
    return {"date": today(), "machine": machine(), "settle_s": SETTLE_S,
            "load": {"conversations": conversations, "script": length, "messages": traffic["messages"],
                     "errors": traffic["errors"]},
            "idle_mib": idle, "after_load_mib": loaded}


def system_mib(snapshot: dict[str, float]) -> float:
    return round(sum(mib for name, mib in snapshot.items() if name not in FAKES), 1)


def run() -> dict[str, Any]:
    model = training.train(say=lambda _: None)
    with private_stack(model, OPEN_LIMITS) as stack:
        return dict(measure(stack), model=model.name)


def table(result: dict[str, Any]) -> str:
    traffic, idle, loaded = result["load"], result["idle_mib"], result["after_load_mib"]
    lines = [
        f"{result['machine']}; {result['date']}; model {result['model']}; "
        f"`{result.get('command', 'hotline bench memory')}`.",
        "",
        f"Method: resident memory (`VmRSS` from `/proc`, summed over each service's process "
        f"group, children included) {result['settle_s']:.0f} s after the whole stack is healthy, "
        f"and again right after {traffic['messages']} web chat messages "
        f"({traffic['conversations']} concurrent conversations of {traffic['script']} questions "
        f"through the gateway; {traffic['errors']} errors).",
        "",
        "| process | idle MiB | after load MiB |",
        "|---|---|---|",
    ]
    for name in idle:
        label = f"{name} (local fake)" if name in FAKES else name
        lines.append(f"| {label} | {idle[name]:.1f} | {loaded.get(name, 0.0):.1f} |")
    lines.append(f"| **all but the fakes** | {system_mib(idle):.1f} | {system_mib(loaded):.1f} |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("memory", result, table(result))
    return 0
