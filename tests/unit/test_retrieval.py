"""Retrieval parts on plain data: BM25, rank fusion, and the encoder offline."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from hotline.retrieval import BM25Index, fuse

DOCS = [
    ("card_loss", "社保卡丢了怎么挂失"), ("card_loss", "社会保障卡掉了去哪补办"),
    ("unemployment_apply", "失业金怎么申请"), ("unemployment_apply", "失业保险金领取条件"),
    ("injury_recognition", "工伤认定怎么申请"), ("injury_recognition", "上班路上出车祸算工伤吗"),
]


def test_bm25_finds_the_entry_by_words_and_misspellings() -> None:
    index = BM25Index(DOCS)
    assert index.rank("我的社保卡掉了怎么办")[0][0] == "card_loss"
    assert index.rank("失叶金领取")[0][0] == "unemployment_apply"     # bigram 领取 still matches
    assert index.rank("下班路上被车撞了是工伤吗")[0][0] == "injury_recognition"
    assert index.rank("天气预报") == []


def test_fusion_is_confident_when_retrievers_agree() -> None:
    decision = fuse({"dense": [("a", 0.93), ("b", 0.91)], "bm25": [("a", 12.0), ("c", 3.0)],
                     "rasa": [("a", 0.8), ("b", 0.1)]})
    assert decision.top == "a" and decision.confident
    assert decision.ranking[0][1] == 1.0


def test_fusion_asks_when_retrievers_disagree() -> None:
    # Each retriever prefers a different entry.
    decision = fuse({"dense": [("a", 0.90), ("x", 0.89)], "bm25": [("b", 5.0), ("y", 4.9)],
                     "rasa": [("c", 0.4), ("z", 0.3)]})
    assert not decision.confident
    assert decision.top == "c"  # Rasa weighs most: its choice leads the buttons


def test_fusion_without_rankings_decides_nothing() -> None:
    decision = fuse({"dense": [], "bm25": []})
    assert decision.top is None and not decision.confident


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_encoder_loads_and_embeds_with_no_network() -> None:
    code = ("from hotline.retrieval.dense import Encoder; e = Encoder(); "
            "a, b, c = (e.encode(t) for t in "
            "('社保卡丢了怎么办', '我的社会保障卡掉了去哪里补办', '今天天气怎么样')); "
            "print(float(a @ b) > float(a @ c), a.shape)")
    # A new network namespace has no interfaces but loopback: any download would fail.
    result = subprocess.run(["unshare", "--net", sys.executable, "-c", code], capture_output=True,
                            text=True, timeout=120)
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip("unshare --net not permitted here")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "True (384,)"
