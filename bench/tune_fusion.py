"""How the fusion's weights and thresholds were chosen: a grid search on the *dev* set
(``tests/data/dev.jsonl``), never on the held-out test set.

Rasa is asked once per question without retrieval (its DIET intent ranking and its
ResponseSelector ranking); the dense and BM25 rankings are computed here; the fusion and
the intent decision of ``bot/fusion.py`` are then replayed offline for every setting.
The objective counts right answers (the labelled entry, or a dialogue intent for chit-chat
and out-of-scope questions) minus twice the wrong ones, with answered rate ≥ 0.85 as a
floor: a confidently wrong answer about a citizen's benefits costs more trust than a
clarifying question, so the bot asks when the top entry is not at least twice as likely
right as wrong. Run: ``python -m bench.tune_fusion``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from bench.common import private_stack
from hotline import paths, training
from hotline.kb import load
from hotline.retrieval.fusion import fuse
from hotline.retrieval.service import Retriever

DEV = paths.ROOT / "tests" / "data" / "dev.jsonl"
WRONG_COST = 2


def collect() -> list[dict[str, Any]]:
    items = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    kb = load(paths.KB)
    retriever = Retriever.build(kb, dense=True)
    model = training.train(say=lambda _: None)
    with private_stack(model) as stack:
        for item in items:
            item["rasa"], _ = stack.rasa_meta(item["q"])
            item["retrieval"] = retriever.rank(item["q"])
    return items


def replay(item: dict[str, Any], weights: dict[str, float], min_share: float, min_lead: float,
           dialogue_confidence: float, topics: dict[str, str]) -> tuple[str, bool, str | None]:
    """(topic, answered, entry answered or None for a dialogue intent) as bot/fusion.py and
    the FallbackClassifier would decide."""
    meta = item["rasa"]
    ranking = [r for r in meta.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    intent, confidence = (ranking[0]["name"], ranking[0]["confidence"]) if ranking else (None, 0.0)
    rasa_rank = [(c["faq_id"], c["confidence"]) for c in meta.get("candidates") or []]
    retrieval = item["retrieval"]
    decision = fuse({"dense": [tuple(p) for p in retrieval.get("dense", [])],
                     "bm25": [tuple(p) for p in retrieval.get("bm25", [])], "rasa": rasa_rank},
                    weights, min_share=min_share, min_lead=min_lead)
    top_topic = topics.get(decision.top or "", "other")
    if intent != "faq" and confidence >= dialogue_confidence:
        return "other", True, None
    if decision.confident:
        return top_topic, True, decision.top
    if intent == "faq" or confidence < 0.4:
        return top_topic, False, None    # nlu_fallback: clarifying buttons of the top topic
    return "other", True, None


def search(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    topics = {e.id: e.topic for e in load(paths.KB).entries}
    results = []
    grid = itertools.product((0.6, 1.0), (0.3, 0.6), (0.5, 0.8), (0.45, 0.55, 0.65, 0.75),
                             (0.0, 0.05, 0.1, 0.15, 0.2), (0.7,))
    for dense, bm25, rasa, share, lead, dialogue in grid:
        weights = {"dense": dense, "bm25": bm25, "rasa": rasa}
        outcomes = [replay(i, weights, share, lead, dialogue, topics) for i in items]
        pairs = list(zip(outcomes, items, strict=True))
        accuracy = sum(t == i["topic"] for (t, _, _), i in pairs) / len(items)
        answered = sum(a for _, a, _ in outcomes) / len(items)
        right = sum(a and e == i.get("faq_id") for (_, a, e), i in pairs)
        wrong = sum(a and e != i.get("faq_id") for (_, a, e), i in pairs)
        results.append({"weights": weights, "min_share": share, "min_lead": lead,
                        "dialogue_confidence": dialogue, "topic_accuracy": round(accuracy, 4),
                        "answered_rate": round(answered, 4), "right": right, "wrong": wrong,
                        "utility": right - WRONG_COST * wrong})
    return sorted(results, key=lambda r: (r["answered_rate"] >= 0.85, r["utility"],
                                          r["topic_accuracy"]), reverse=True)


def main() -> int:
    cache = paths.BUILD / "tune-dev.json"
    items = json.loads(cache.read_text()) if cache.exists() else collect()
    cache.write_text(json.dumps(items, ensure_ascii=False))
    for row in search(items)[:10]:
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
