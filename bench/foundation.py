"""First figures of the running system: start-up to healthy, web chat latency over
sequential messages, and resident memory of each process.

Run with ``hotline bench foundation`` (the stack is started on free ports with its own
state, so a running ``make run`` is not disturbed). Results go to
``bench/results/foundation.json``; the table printed is what BENCHMARKS.md records.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import OPEN_LIMITS, PrivateStack, machine, percentile, private_stack, publish, today
from hotline import training

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "heldout.jsonl"


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (a service's process group)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if os.getpgid(int(proc.name)) != pid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, ProcessLookupError):
            continue
    return round(total / 1024, 1)


def measure(stack: PrivateStack, to_healthy_s: float, n: int = 200) -> dict[str, Any]:
    """Sequential web chat latency and memory on a stack that took ``to_healthy_s`` to start."""
    questions = [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    latencies: list[float] = []
    with httpx.Client(timeout=30) as client:
        for i in range(n):
            body = {"session_id": f"bench-{i % 20}", "text": questions[i % len(questions)]}
            t0 = time.perf_counter()
            client.post(stack.gateway + "/api/v1/webchat/messages", json=body).raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)
    return {
        "date": today(),
        "machine": machine(),
        "start_to_healthy_s": round(to_healthy_s, 1),
        "messages": n,
        "latency_ms": {"p50": round(statistics.median(latencies), 1),
                       "p95": round(percentile(latencies, 0.95), 1),
                       "max": round(max(latencies), 1)},
        "rss_mib": {name: rss_mib(pid) for name, pid in stack.service_pids().items()},
    }


def run(n: int = 200) -> dict[str, Any]:
    model = training.train(say=lambda _: None)
    started = time.monotonic()
    with private_stack(model, OPEN_LIMITS) as stack:  # 200 messages a minute from one address
        return dict(measure(stack, time.monotonic() - started, n), model=model.name)


def table(result: dict[str, Any]) -> str:
    lat, rss = result["latency_ms"], result["rss_mib"]
    return "\n".join([
        f"{result['machine']}; {result['date']}; model {result['model']}; "
        f"`{result.get('command', 'hotline bench foundation')}`.",
        "",
        "| figure | value |",
        "|---|---|",
        "| start-up to healthy (Redis, actions, Rasa model load, gateway) | "
        f"{result['start_to_healthy_s']} s |",
        f"| web chat latency p50 / p95 / max, {result['messages']} sequential messages | "
        f"{lat['p50']} / {lat['p95']} / {lat['max']} ms |",
        "| resident memory " + " / ".join(rss) + " | " + " / ".join(f"{v}" for v in rss.values()) + " MiB |",
    ])


def main() -> int:
    result = run()
    publish("foundation", result, table(result))
    return 0
