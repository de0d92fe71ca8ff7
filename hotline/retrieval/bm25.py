"""Okapi BM25 over jieba tokens, one document per paraphrase, scored per entry as the
best-matching paraphrase. Pure Python: the whole knowledge base is a few thousand short
documents, scored in about a millisecond."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Sequence

import jieba

from hotline.retrieval.fusion import Ranking

_STOP = frozenset(
    "的 了 吗 呢 啊 吧 我 你 是 在 有 和 就 都 也 要 会 能 "
    "怎么 怎么办 什么 请问 一下 这个 那个 么 嘛 啥 咋".split()
)
_PUNCT = re.compile(r"[\s\W_]+")
_loaded: set[str] = set()


def load_dictionary(folder: Path) -> None:
    """Add the project's 人社 terms to jieba (once per folder)."""
    key = str(folder)
    if key in _loaded or not folder.is_dir():
        return
    for path in sorted(folder.glob("*.txt")):
        with path.open("rb") as handle:  # jieba leaves a path it opened itself unclosed
            jieba.load_userdict(handle)
    _loaded.add(key)


_synonyms: dict[str, str] = {}


def load_synonyms(path: Path) -> None:
    """Variant → canonical names from the Rasa synonym file (``nlu_data/dialogue``)."""
    import yaml

    if not path.exists():
        return
    for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
        if "synonym" in item:
            for line in str(item.get("examples") or "").splitlines():
                variant = line.strip().removeprefix("- ").strip()
                if variant:
                    _synonyms[variant] = str(item["synonym"])


def tokens(text: str) -> list[str]:
    for variant, canonical in _synonyms.items():
        if variant in text and canonical not in text:
            text = f"{text} {canonical}"
    words = [w for w in jieba.lcut(_PUNCT.sub(" ", text.lower())) if w.strip() and w not in _STOP]
    # Character bigrams catch misspellings and words jieba splits differently.
    compact = _PUNCT.sub("", text)
    return words + [compact[i:i + 2] for i in range(len(compact) - 1)]


class BM25Index:
    def __init__(self, docs: Sequence[tuple[str, str]], k1: float = 1.2, b: float = 0.75) -> None:
        """``docs``: (faq_id, paraphrase) pairs."""
        self.k1, self.b = k1, b
        self.owners = [owner for owner, _ in docs]
        self.terms = [Counter(tokens(text)) for _, text in docs]
        self.lengths = [sum(t.values()) for t in self.terms]
        self.avg = sum(self.lengths) / max(len(self.lengths), 1)
        df: Counter[str] = Counter()
        self.postings: dict[str, list[int]] = defaultdict(list)
        for i, counts in enumerate(self.terms):
            for term in counts:
                df[term] += 1
                self.postings[term].append(i)
        n = len(docs)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def rank(self, text: str, limit: int = 10, query_terms: Iterable[str] | None = None) -> Ranking:
        scores: dict[int, float] = defaultdict(float)
        for term in set(query_terms if query_terms is not None else tokens(text)):
            idf = self.idf.get(term)
            if idf is None:
                continue
            for i in self.postings[term]:
                tf = self.terms[i][term]
                norm = tf + self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
                scores[i] += idf * tf * (self.k1 + 1) / norm
        best: dict[str, float] = {}
        for i, score in scores.items():
            owner = self.owners[i]
            if score > best.get(owner, 0.0):
                best[owner] = score
        return sorted(best.items(), key=lambda kv: kv[1], reverse=True)[:limit]
