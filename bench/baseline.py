"""``hotline bench baseline``: what a plain retriever would answer, beside the bot.

The baseline is BM25 over jieba tokens (``hotline/retrieval/bm25.py``: the project's 人社
dictionary and synonyms, plus character bigrams) over the same knowledge-base phrasings,
answering the held-out FAQ set of ``hotline bench nlu`` with its top entry. It needs no
stack and no training, so it is measured afresh; the bot's figures are read from
``bench/results/nlu.json`` rather than recomputed (``hotline bench nlu`` makes them).
Scoring is ``bench.nlu``'s, so the rows compare like with like. Results:
``bench/results/baseline.json``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench import nlu
from bench.common import RESULTS, machine, publish, today
from hotline import paths
from hotline.kb import load
from hotline.retrieval.service import Retriever


def bot_figures() -> dict[str, Any] | None:
    """The last ``hotline bench nlu`` result, if there is one."""
    path = RESULTS / "nlu.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def run() -> dict[str, Any]:
    items = nlu.testset()
    kb = load(paths.KB)
    topic_of = nlu.topic_lookup(kb)
    started = time.monotonic()
    bm25_only = Retriever.build(kb, dense=False)
    build_s = time.monotonic() - started
    scorer = nlu.Scorer("bm25", topic_of)
    for item in items:
        nlu.score_bm25(item, bm25_only, scorer, topic_of)
    return {"date": today(), "machine": machine(), "n": len(items),
            "with_faq": sum(1 for i in items if i.get("faq_id")),
            "baseline": scorer.summary(round(build_s, 1)), "bot": bot_figures()}


def points(value: float, reference: float) -> str:
    """A difference of two shares in percentage points, signed: ``+13.6``."""
    return f"{(value - reference) * 100:+.1f}"


def table(result: dict[str, Any]) -> str:
    base, bot = result["baseline"], result["bot"]
    source = (f"the other rows are `hotline bench nlu` of {bot['date']} on the same set"
              if bot else "the bot's figures are missing: run `hotline bench nlu`")
    lines = [
        f"Held-out set: {result['n']} questions ({result['with_faq']} with a labelled entry); "
        f"{result['machine']}; {result['date']}; `hotline bench baseline`. The baseline row is "
        f"measured by this run; {source}.",
        "",
        "| answerer | topic accuracy | answered | FAQ top-1 | FAQ top-3 | top-1 vs baseline, points "
        "| p50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = [(f"**baseline: {nlu.LABELS['bm25']}**", base)]
    rows += [(nlu.LABELS[r["name"]], r) for r in (bot or {}).get("rows", []) if r["name"] != "bm25"]
    for label, row in rows:
        delta = "—" if row is base else points(row["faq_top1"], base["faq_top1"])
        lines.append(f"| {label} | {row['topic_accuracy']:.3f} | {row['answered_rate']:.3f} | "
                     f"{row['faq_top1']:.3f} | {row['faq_top3']:.3f} | {delta} | {row['p50_ms']:.1f} |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("baseline", result, table(result))
    return 0
