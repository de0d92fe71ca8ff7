"""``hotline bench all``: the load, long, memory, foundation and baseline benchmarks, and
one summary table beside the last ``hotline bench nlu`` figures.

One private stack serves every benchmark that needs the running system, so the stack
starts once: its time to healthy is foundation's start-up figure. Memory runs first, so
it sees the stack idle right after start-up; then foundation's sequential messages (warm
processes here, so its maximum is lower than a lone ``hotline bench foundation``), load
and long. Baseline needs no stack. The understanding figures and the training time are
read from ``bench/results/nlu.json`` (``hotline bench nlu``, about 4 minutes, reruns them);
``hotline bench cv`` is left out (five trainings). A benchmark that fails is reported and
the others still run. The summary (``bench/results/summary.json``) includes the wall
time of the whole run, which assumes the model is trained (``hotline train``).
"""

from __future__ import annotations

import time
import traceback
from typing import Any, Callable

from bench import baseline, foundation, load, long, memory, wechat
from bench.common import OPEN_LIMITS, PrivateStack, machine, private_stack, publish, times, today
from hotline import training

Table = Callable[[dict[str, Any]], str]
Measure = Callable[[PrivateStack], dict[str, Any]]


def run() -> tuple[dict[str, Any], list[str]]:
    started = time.monotonic()
    results: dict[str, Any] = {}
    wall: dict[str, float] = {}
    failed: list[str] = []

    def step(name: str, measure: Callable[[], dict[str, Any]], table: Table) -> None:
        t0 = time.monotonic()
        try:
            results[name] = measure()
            publish(name, results[name], table(results[name]))
        except Exception:  # one broken benchmark must not cost the others
            traceback.print_exc()
            failed.append(name)
        wall[name] = round(time.monotonic() - t0, 1)

    step("baseline", baseline.run, baseline.table)
    t0 = time.monotonic()
    model = training.train(say=lambda _: None)
    if time.monotonic() - t0 > 10:  # the knowledge base changed since the last training
        wall["training"] = round(time.monotonic() - t0, 1)
    t0 = time.monotonic()
    with private_stack(model, OPEN_LIMITS) as stack:
        healthy_s = time.monotonic() - t0
        wall["stack start"] = round(healthy_s, 1)
        shared: list[tuple[str, Measure, Table]] = [
            ("memory", memory.measure, memory.table),
            ("foundation", lambda s: foundation.measure(s, healthy_s), foundation.table),
            ("load", load.measure, load.table),
            ("wechat", wechat.measure, wechat.table),
            ("long", long.measure, long.table),
        ]
        for name, measure, table in shared:
            step(name, _on(stack, measure, model.name), table)
    if results.get("baseline", {}).get("bot"):
        results["nlu"] = results["baseline"]["bot"]
    summary = {"date": today(), "machine": machine(), "model": model.name,
               "wall_s": round(time.monotonic() - started, 1), "step_s": wall, "failed": failed,
               "nlu_date": results.get("nlu", {}).get("date"), "figures": figures(results)}
    return summary, failed


def _on(stack: PrivateStack, measure: Measure, model: str) -> Callable[[], dict[str, Any]]:
    return lambda: dict(measure(stack), model=model, command="hotline bench all")


def figures(results: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(benchmark, figure, value) rows for the summary, from whichever benchmarks ran."""
    rows: list[tuple[str, str, str]] = []
    if "foundation" in results:
        r = results["foundation"]
        rows += [("foundation", "start-up to healthy", f"{r['start_to_healthy_s']} s"),
                 ("foundation", f"web chat p50 / p95, {r['messages']} sequential messages",
                  f"{r['latency_ms']['p50']} / {r['latency_ms']['p95']} ms")]
    if "nlu" in results:
        by = {row["name"]: row for row in results["nlu"]["rows"]}
        fused, rasa = by["fused"], by["rasa"]
        rows += [("nlu (last run)", "fused: topic accuracy / answered / FAQ top-1",
                  f"{fused['topic_accuracy']:.3f} / {fused['answered_rate']:.3f} / {fused['faq_top1']:.3f}"),
                 ("nlu (last run)", "Rasa training (last full training of its model)",
                  "—" if rasa["train_s"] is None else f"{rasa['train_s']:.0f} s")]
    if "baseline" in results:
        r = results["baseline"]["baseline"]
        rows.append(("baseline", "BM25 alone: topic accuracy / FAQ top-1",
                     f"{r['topic_accuracy']:.3f} / {r['faq_top1']:.3f}"))
    if "memory" in results:
        idle, loaded = results["memory"]["idle_mib"], results["memory"]["after_load_mib"]
        rows.append(("memory", "all processes but the local fakes, idle → after load",
                     f"{memory.system_mib(idle):.0f} → {memory.system_mib(loaded):.0f} MiB "
                     f"(rasa {loaded.get('rasa', 0):.0f}, gateway {loaded.get('gateway', 0):.0f})"))
    for row in results.get("load", {}).get("rows", []):
        gw, direct = row["gateway"], row["direct"]
        rows.append(("load", f"N = {row['conversations']}: gateway p50 / p99, messages/s",
                     f"{gw['latency_ms']['p50']} / {gw['latency_ms']['p99']} ms, {gw['per_s']}/s "
                     f"(direct {direct['per_s']}/s; p50 {times(row['p50_ratio'])}, "
                     f"throughput {times(row['throughput_ratio'])}; errors {gw['errors']}, "
                     f"held {gw['deferred']})"))
    for row in results.get("wechat", {}).get("rows", []):
        rows.append(("wechat", f"N = {row['conversations']}: callback p50 / p99, answered passively",
                     f"{row['latency_ms']['p50']} / {row['latency_ms']['p99']} ms, "
                     f"{wechat.passive_share(row):.0%}"))
    if "long" in results:
        r = results["long"]
        last = max(r["tracker"], key=int)
        rows += [("long", f"median turn 1–10 → {r['turns'] - 9}–{r['turns']}",
                  f"{r['first_ms']} → {r['last_ms']} ms"),
                 ("long", f"Rasa tracker after turn {last}", f"{r['tracker'][last]['bytes'] / 1024:.0f} KiB")]
    return rows


def table(summary: dict[str, Any]) -> str:
    steps = ", ".join(f"{name} {s:.0f} s" for name, s in summary["step_s"].items())
    lines = [
        f"{summary['machine']}; {summary['date']}; model {summary['model']}; `hotline bench all`: "
        f"**{summary['wall_s'] / 60:.1f} minutes** wall time ({steps}).",
        "",
        f"Understanding figures: `hotline bench nlu` of {summary.get('nlu_date') or '— (not run yet)'}.",
        "",
        "| benchmark | figure | value |",
        "|---|---|---|",
        *(f"| {bench} | {figure} | {value} |" for bench, figure, value in summary["figures"]),
    ]
    if summary["failed"]:
        lines += ["", "Failed this run: " + ", ".join(summary["failed"]) + " (see the console output)."]
    return "\n".join(lines)


def main() -> int:
    summary, failed = run()
    publish("summary", summary, table(summary))
    return 1 if failed else 0
