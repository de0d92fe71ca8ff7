"""First figures of the running system: start-up to healthy, web chat latency over
sequential messages, and resident memory of each process.

Run with ``hotline bench foundation`` (the stack is started on free ports with its own
state, so a running ``make run`` is not disturbed). Results go to
``bench/results/foundation.json``; the table printed is what BENCHMARKS.md records.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from hotline import paths, supervisor, training

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "heldout.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(n: int = 200) -> dict[str, Any]:
    questions = [json.loads(line)["q"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    model = training.train(say=lambda _: None)
    ports = supervisor.Ports(_free_port(), _free_port(), _free_port(), _free_port())
    with tempfile.TemporaryDirectory() as state:
        stack = supervisor.Stack(ports, state_dir=Path(state), log_dir=Path(state) / "logs", model=model)
        started = time.monotonic()
        stack.start_all(say=lambda _: None)
        to_healthy = time.monotonic() - started
        try:
            base = f"http://127.0.0.1:{ports.gateway}/api/v1/webchat/messages"
            latencies: list[float] = []
            with httpx.Client(timeout=30) as client:
                for i in range(n):
                    body = {"session_id": f"bench-{i % 20}", "text": questions[i % len(questions)]}
                    t0 = time.perf_counter()
                    client.post(base, json=body).raise_for_status()
                    latencies.append((time.perf_counter() - t0) * 1000)
            memory = {name: rss_mib(s.process.pid) for name, s in stack.services.items() if s.process}
        finally:
            stack.stop_all()
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "model": model.name,
        "start_to_healthy_s": round(to_healthy, 1),
        "messages": n,
        "latency_ms": {"p50": round(statistics.median(latencies), 1),
                       "p95": round(percentile(latencies, 0.95), 1),
                       "max": round(max(latencies), 1)},
        "rss_mib": memory,
    }


def main() -> int:
    result = run()
    out = paths.ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "foundation.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
