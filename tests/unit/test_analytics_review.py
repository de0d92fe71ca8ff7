"""The review list, drafts in the knowledge base's own format, and quality sampling."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from channels.analytics import demo, quality, review, store
from channels.analytics.queries import Filters
from hotline.kb import load

WEEK = Filters(dt.date(2026, 11, 9), dt.date(2026, 11, 15))


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = store.connect(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.begin() as conn:
        store.insert_events(conn, demo.generate(dt.date(2026, 11, 2), 14))
    return engine


def test_review_groups_unanswered_questions_and_exports_csv(tmp_path: Path) -> None:
    with _engine(tmp_path).connect() as conn:
        rows = review.groups(conn, WEEK)
    assert {r["text"] for r in rows} <= {"灵活就业人员社保断缴了怎么补", "电子社保卡 二维码打不开",
                                         "退休 认证 在哪 做", "我的手机号[手机号]收不到验证码"}
    assert all(r["count"] == r["fallback"] + r["clarified"] + r["low_confidence"] for r in rows)
    exported = review.to_csv(rows)
    assert exported.splitlines()[0].lstrip("\ufeff").startswith("text,count")
    assert rows[0]["text"] in exported


def test_a_draft_is_a_valid_draft_entry_outside_the_knowledge_base(tmp_path: Path) -> None:
    path = review.draft("电子社保卡 二维码打不开", "card", tmp_path / "drafts")
    entries = load(path.parent).entries
    assert [(e.topic, e.status, e.title) for e in entries] == [("card", "draft", "电子社保卡 二维码打不开")]
    assert review.draft("电子社保卡 二维码打不开", "card", tmp_path / "drafts") == path


def test_quality_samples_by_rule_then_scores(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        added = quality.draw(conn, WEEK, random_n=3, rng=random.Random(1))
        again = quality.draw(conn, WEEK, random_n=0)
        samples = quality.samples(conn)
        rules = {s["rule"] for s in samples}
        total = quality.score(conn, samples[0]["id"], "supervisor", 5, 4, 5, True, "", "2026-11-16")
        results = quality.results(conn, Filters(dt.date(2026, 11, 16), dt.date(2026, 11, 16)))
    assert added == len(samples) > 3 and again == 0   # a conversation is sampled once
    assert {"low_rating", "random"} <= rules
    assert total == 94
    assert results == [{"day": "2026-11-16", "scored": 1, "mean_total": 94.0, "resolved_rate": 1.0}]
