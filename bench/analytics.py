"""``hotline bench analytics``: web chat latency with analytics events on and off, side
by side on one private stack (issue 11: writing events must cost < 5 % of latency).

The stack starts once; between runs only the gateway restarts, with
``ANALYTICS_ENABLED`` switched, in the order on, off, off, on, … so that drift of a
shared machine falls on both sides. Each run: N concurrent closed-loop conversations of
``SCRIPT`` held-out questions (bench/load.py's scripts, fresh sessions each run), after
N warm-up messages. Reported: the median over runs of each run's p50 and p95, and the
ratio on / off. With events on, the events written are counted in the analytics
database afterwards, to show the work was really done. Results: ``bench/results/analytics.json``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx

from bench import load
from bench.common import OPEN_LIMITS, PrivateStack, machine, publish, ratio, today
from hotline import paths, supervisor, training

CONVERSATIONS = 8
ROUNDS = 2          # each round is one run on and one run off


def _model() -> Path:
    """The model for the current data, else the newest one: Rasa's answers do not change
    what the gateway's event writing costs."""
    wanted = training.model_path()
    if wanted.exists():
        return wanted
    found = sorted(paths.MODELS.glob("hotline-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else training.train(say=lambda _: None)


@contextmanager
def _stack(model: Path) -> Iterator[tuple[PrivateStack, bool]]:
    """Redis, the action server, Rasa and the gateway (what a web chat turn uses); whether
    the action server came up is reported, since both sides then run without it alike."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        stack = supervisor.Stack(supervisor.Ports.free(), state_dir=state, log_dir=state / "logs",
                                 model=model, extra_env=OPEN_LIMITS)
        stack.log_dir.mkdir(parents=True, exist_ok=True)
        wanted = ("redis", "business", "actions", "rasa", "gateway")
        stack.services = {s.name: s for s in stack.plan() if s.name in wanted}
        actions = True
        try:
            for name in stack.services:
                try:
                    stack.start(name, say=lambda _: None)
                except supervisor.StartupError:
                    if name != "actions":
                        raise
                    actions = False
            yield PrivateStack(stack, state), actions
        finally:
            stack.stop_all()


def _switch(stack: PrivateStack, enabled: bool) -> None:
    gateway = stack.stack.services["gateway"]
    gateway.env["ANALYTICS_ENABLED"] = "true" if enabled else "false"
    stack.stack.stop("gateway")
    stack.stack.start("gateway", say=lambda _: None)


async def _one_run(stack: PrivateStack, n: int, offset: int) -> dict[str, Any]:
    pool = load.questions()
    convos = load.scripts(n, load.SCRIPT, pool[offset:] + pool[:offset])
    limits = httpx.Limits(max_connections=2 * n + 8)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await load.drive(lambda: load.gateway_sender(client, stack), [[t] for t in pool[-n:]])
        await load.drain(stack)
        result = await load.drive(lambda: load.gateway_sender(client, stack), convos)
        result["drain_s"] = await load.drain(stack)
    return result


def _events(state: Path) -> int:
    db = state / "analytics.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM analytics_events").fetchone()[0])


def run(n: int = CONVERSATIONS, rounds: int = ROUNDS) -> dict[str, Any]:
    model = _model()
    runs: list[dict[str, Any]] = []
    with _stack(model) as (stack, actions):
        state = stack.stack.state_dir
        order = [m for r in range(rounds) for m in ((True, False) if r % 2 == 0 else (False, True))]
        for k, enabled in enumerate(order):
            _switch(stack, enabled)
            before = _events(state)
            result = asyncio.run(_one_run(stack, n, offset=k * n * load.SCRIPT))
            _switch(stack, enabled)  # a restart flushes the queue: count what was written
            runs.append({"events": enabled, **result, "written": _events(state) - before})
    return {"date": today(), "machine": machine(), "model": model.name, "conversations": n,
            "script": load.SCRIPT, "action_server": actions, "runs": runs, **_medians(runs)}


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for label, enabled in (("on", True), ("off", False)):
        mine = [r for r in runs if r["events"] is enabled]
        out[label] = {"p50_ms": round(statistics.median(r["latency_ms"]["p50"] for r in mine), 1),
                      "p95_ms": round(statistics.median(r["latency_ms"]["p95"] for r in mine), 1),
                      "per_s": round(statistics.median(r["per_s"] for r in mine), 2),
                      "errors": sum(r["errors"] for r in mine), "held": sum(r["deferred"] for r in mine),
                      "written": sum(r["written"] for r in mine)}
    out["p50_ratio"] = ratio(out["on"]["p50_ms"], out["off"]["p50_ms"])
    out["p95_ratio"] = ratio(out["on"]["p95_ms"], out["off"]["p95_ms"])
    return out


def table(result: dict[str, Any]) -> str:
    lines = [
        f"{result['machine']}; {result['date']}; model {result['model']}; `hotline bench analytics`.",
        "",
        f"Method: one private stack; {result['conversations']} concurrent closed-loop web chat "
        f"conversations of {result['script']} held-out questions per run; the gateway restarted "
        "between runs with `ANALYTICS_ENABLED` on or off, in the order on, off, off, on; medians over "
        "runs of each run's p50 and p95. Events go to SQLite in the stack's state folder. \"written\" "
        "counts the events found in the database after the runs with events on (one per turn, warm-up "
        "included). The load generator shares the 2 cores."
        + ("" if result.get("action_server", True) else
           " The action server did not start in this run (the tree was mid-edit), so turns "
           "needing an action (clarifying questions) went without it, on both sides alike."),
        "",
        "| events | runs | p50 ms | p95 ms | messages/s | errors | held | events written |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in ("on", "off"):
        part = result[label]
        runs = sum(1 for r in result["runs"] if r["events"] is (label == "on"))
        lines.append(f"| {label} | {runs} | {part['p50_ms']} | {part['p95_ms']} | {part['per_s']} | "
                     f"{part['errors']} | {part['held']} | {part['written'] if label == 'on' else '—'} |")
    lines.append(f"| on / off | | {result['p50_ratio']}× | {result['p95_ratio']}× | | | | |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("analytics", result, table(result))
    return 0
