"""Reciprocal-rank fusion of rankings, and the decision whether to answer or ask.

Scores from different retrievers live on different scales (cosines in a narrow band,
BM25 unbounded, ResponseSelector softmax), so they are fused by rank, never by value:
an entry gains ``weight / (k + rank)`` from every ranking it appears in. The fused score
is reported as a share of the best possible score, so 1.0 means every retriever put the
entry first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

Ranking = list[tuple[str, float]]

# Chosen by a grid search on the dev set (python -m bench.tune_fusion), not the test set:
# a wrong answer counts twice against a right one; answered rate at least 0.85.
DEFAULT_WEIGHTS = {"dense": 0.6, "bm25": 0.6, "rasa": 0.8}
RRF_K = 5
MIN_SHARE = 0.65
MIN_LEAD = 0.05


@dataclass(frozen=True)
class Decision:
    ranking: Ranking          # fused, best first, scores in [0, 1]
    confident: bool           # answer the top entry rather than ask

    @property
    def top(self) -> str | None:
        return self.ranking[0][0] if self.ranking else None


def fuse(
    rankings: Mapping[str, Ranking],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    k: int = RRF_K,
    min_share: float = MIN_SHARE,
    min_lead: float = MIN_LEAD,
) -> Decision:
    used = {name: r for name, r in rankings.items() if r and weights.get(name, 0) > 0}
    if not used:
        return Decision([], False)
    best_possible = sum(weights[name] / (k + 1) for name in used)
    scores: dict[str, float] = {}
    for name, ranking in used.items():
        for rank, (faq_id, _) in enumerate(ranking, start=1):
            scores[faq_id] = scores.get(faq_id, 0.0) + weights[name] / (k + rank)
    fused = sorted(((f, s / best_possible) for f, s in scores.items()),
                   key=lambda kv: kv[1], reverse=True)
    top = fused[0][1]
    runner_up = fused[1][1] if len(fused) > 1 else 0.0
    return Decision([(f, round(s, 4)) for f, s in fused[:10]],
                    confident=top >= min_share and top - runner_up >= min_lead)
