"""``hotline bench cv``: five-fold cross-validation over the knowledge base's paraphrases.

Each entry's citizen phrasings are dealt into five folds (titles always stay in training,
so every entry remains answerable). For each fold the NLU model is trained without that
fold's phrasings (``rasa train nlu``, the same pipeline as ``config.yml``), the BM25 and
dense indexes are rebuilt without them, and the held-out phrasings are answered by each
configuration; the fused figures replay ``bot/fusion.py``'s decision offline with the
same weights. Slow: five trainings (see BENCHMARKS.md for the time).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import machine, publish, today
from bench.tune_fusion import replay
from hotline import paths, training
from hotline.kb import KnowledgeBase, load
from hotline.kb.compile import to_rasa
from hotline.retrieval.bm25 import BM25Index, load_dictionary
from hotline.retrieval.dense import DenseIndex, Encoder
from hotline.retrieval.fusion import DEFAULT_WEIGHTS, MIN_LEAD, MIN_SHARE, fuse

FOLDS = 5


def split(kb: KnowledgeBase, fold: int) -> tuple[KnowledgeBase, list[tuple[str, str]]]:
    """The knowledge base without fold ``fold``'s phrasings, and those phrasings."""
    import dataclasses

    kept, held = [], []
    for entry in kb.live():
        keep = tuple(q for i, q in enumerate(entry.questions) if i % FOLDS != fold)
        held += [(entry.id, q) for i, q in enumerate(entry.questions) if i % FOLDS == fold]
        kept.append(dataclasses.replace(entry, questions=keep))
    return KnowledgeBase(tuple(kept)), held


def _train_nlu(kb: KnowledgeBase, work: Path, fold: int) -> tuple[Path, float]:
    data = work / f"data-{fold}"
    data.mkdir(parents=True, exist_ok=True)
    (data / "kb.yml").write_text(yaml.safe_dump(to_rasa(kb), allow_unicode=True, sort_keys=False,
                                                width=1000), encoding="utf-8")
    (data / "nlu.yml").write_text((paths.DIALOGUE_DATA / "nlu.yml").read_text(encoding="utf-8"),
                                  encoding="utf-8")
    started = time.monotonic()
    subprocess.run(
        [str(paths.BOT_BIN / "rasa"), "train", "nlu", "--config", str(paths.CONFIG),
         "--nlu", str(data),
         "--domain", str(paths.DOMAIN), "--out", str(work), "--fixed-model-name", f"cv-{fold}"],
        cwd=paths.ROOT, env=training.rasa_env(), check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return work / f"cv-{fold}.tar.gz", time.monotonic() - started


def _parse(model: Path, texts: list[str], work: Path) -> list[dict[str, Any]]:
    source, target = work / "texts.json", work / "parsed.json"
    source.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    subprocess.run([str(paths.BOT_BIN / "python"), "-m", "bench.rasa_parse", str(model), str(source),
                    str(target)], cwd=paths.ROOT, env=training.rasa_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return list(json.loads(target.read_text(encoding="utf-8")))


def run() -> dict[str, Any]:
    load_dictionary(paths.JIEBA)
    kb = load(paths.KB)
    topics = {e.id: e.topic for e in kb.entries}
    encoder = Encoder()
    all_docs = [(e.id, t) for e in kb.live() for t in dict.fromkeys((e.title, *e.questions))]
    dense_all = DenseIndex.build(encoder, all_docs, paths.BUILD / "retrieval")
    assert dense_all is not None
    # Each fold's index is the full matrix's rows for the phrasings it keeps.
    row_of = {doc: i for i, doc in enumerate(all_docs)}
    scores: dict[str, list[float]] = {k: [] for k in ("rasa", "dense", "bm25", "fused", "fused_answered")}
    train_seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for fold in range(FOLDS):
            reduced, held = split(kb, fold)
            docs = [(e.id, t) for e in reduced.live() for t in dict.fromkeys((e.title, *e.questions))]
            bm25 = BM25Index(docs)
            dense = DenseIndex(encoder, [owner for owner, _ in docs],
                               dense_all.matrix[[row_of[doc] for doc in docs]])
            model, seconds = _train_nlu(reduced, work, fold)
            train_seconds.append(seconds)
            parsed = _parse(model, [q for _, q in held], work)
            hits = {k: 0 for k in scores}
            for (gold, q), rasa in zip(held, parsed, strict=True):
                dense_rank = dense.rank(q)
                bm25_rank = bm25.rank(q)
                hits["dense"] += bool(dense_rank) and dense_rank[0][0] == gold
                hits["bm25"] += bool(bm25_rank) and bm25_rank[0][0] == gold
                hits["rasa"] += bool(rasa["candidates"]) and rasa["candidates"][0]["faq_id"] == gold
                item = {"rasa": rasa, "retrieval": {"dense": dense_rank, "bm25": bm25_rank}}
                _, answered, entry = replay(item, DEFAULT_WEIGHTS, MIN_SHARE, MIN_LEAD, 0.7, topics)
                hits["fused_answered"] += answered and entry == gold
                rasa_rank = [(c["faq_id"], c["confidence"]) for c in rasa["candidates"]]
                fused = fuse({"dense": dense_rank, "bm25": bm25_rank, "rasa": rasa_rank})
                hits["fused"] += fused.top == gold
            for key in scores:
                scores[key].append(hits[key] / len(held))
            print(f"fold {fold + 1}/{FOLDS}: {len(held)} phrasings, trained in {seconds:.0f} s, "
                  + ", ".join(f"{k} {scores[k][-1]:.3f}" for k in scores), flush=True)
    return {"date": today(), "machine": machine(), "folds": FOLDS,
            "faq_top1": {k: {"mean": round(statistics.mean(v), 4), "min": round(min(v), 4),
                             "max": round(max(v), 4)} for k, v in scores.items()},
            "nlu_train_seconds_median": round(statistics.median(train_seconds), 1)}


def table(result: dict[str, Any]) -> str:
    labels = {"rasa": "Rasa alone (ResponseSelector top entry)", "dense": "encoder alone",
              "bm25": "BM25 alone", "fused": "fused (top entry)",
              "fused_answered": "fused, answered without asking and right"}
    lines = [f"{result['folds']}-fold cross-validation over the knowledge base's citizen phrasings; "
             f"{result['machine']}; {result['date']}; `hotline bench cv`. NLU training per fold "
             f"(median): {result['nlu_train_seconds_median']:.0f} s.", "",
             "| configuration | FAQ top-1 mean | min | max |", "|---|---|---|---|"]
    for key, label in labels.items():
        row = result["faq_top1"][key]
        lines.append(f"| {label} | {row['mean']:.3f} | {row['min']:.3f} | {row['max']:.3f} |")
    return "\n".join(lines)


def main() -> int:
    result = run()
    publish("cv", result, table(result))
    return 0
