"""Quality monitoring (质量监控): samples of conversations drawn at random and by rule,
scored on a form by supervisors, with the results over time.

Rules: ``long_wait`` (queued over ``LONG_WAIT_S`` before an agent took it), ``low_rating``
(rated 1 or 2), ``repeated_fallback`` (two or more unanswered turns), ``random``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from sqlalchemy import Connection, and_, case, func, insert, select

from channels.analytics import schema
from channels.analytics.queries import Filters, _where

E, S, Q = schema.events, schema.quality_samples, schema.quality_scores
LONG_WAIT_S = 120.0
RULES = {"long_wait": "排队等待过长", "low_rating": "差评", "repeated_fallback": "多次未答复",
         "random": "随机抽检"}


def _by_rule(conn: Connection, f: Filters) -> dict[str, list[tuple[str, str, str | None]]]:
    found: dict[str, list[tuple[str, str, str | None]]] = {}
    long = select(E.c.conversation, E.c.channel, E.c.agent).where(
        _where(f, schema.HANDOFF_TAKEN), E.c.duration_s > LONG_WAIT_S)
    found["long_wait"] = [tuple(r) for r in conn.execute(long)]
    low = select(E.c.conversation, E.c.channel, E.c.agent).where(
        _where(f, schema.SATISFACTION), E.c.score <= 2)
    found["low_rating"] = [tuple(r) for r in conn.execute(low)]
    repeated = (select(E.c.conversation, func.max(E.c.channel), func.max(E.c.agent))
                .where(_where(f, schema.TURN), E.c.outcome == "fallback")
                .group_by(E.c.conversation).having(func.count() >= 2))
    found["repeated_fallback"] = [tuple(r) for r in conn.execute(repeated)]
    return found


def draw(conn: Connection, f: Filters, random_n: int = 5, per_rule: int = 10,
         rng: random.Random | None = None) -> int:
    """Add samples for the period; a conversation is sampled once. How many were added."""
    rng = rng or random.Random()
    taken = {r.conversation for r in conn.execute(select(S.c.conversation))}
    rows = []
    for rule, found in _by_rule(conn, f).items():
        for conversation, channel, agent in found[:per_rule]:
            if conversation not in taken:
                taken.add(conversation)
                rows.append({"conversation": conversation, "channel": channel, "agent": agent, "rule": rule})
    pool = sorted({(r.conversation, r.channel) for r in conn.execute(
        select(E.c.conversation, E.c.channel).where(_where(f, schema.TURN))) if r.conversation not in taken})
    for conversation, channel in rng.sample(pool, min(random_n, len(pool))):
        rows.append({"conversation": conversation, "channel": channel, "agent": None, "rule": "random"})
    now = time.time()
    if rows:
        conn.execute(insert(S), [{**r, "day": f.date_to.isoformat(), "created_at": now} for r in rows])
    return len(rows)


def score(conn: Connection, sample_id: int, reviewer: str, accuracy: int, attitude: int,
          compliance: int, resolved: bool, note: str, day: str) -> int:
    """Store one scoring form; the total is out of 100 (90 for the three marks, 10 if resolved)."""
    total = round((accuracy + attitude + compliance) / 15 * 90) + (10 if resolved else 0)
    conn.execute(insert(Q).values(sample_id=sample_id, reviewer=reviewer, scored_at=time.time(), day=day,
                                  accuracy=accuracy, attitude=attitude, compliance=compliance,
                                  resolved=resolved, total=total, note=note[:400] or None))
    return total


def samples(conn: Connection, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(select(S, Q.c.total, Q.c.reviewer).select_from(
        S.outerjoin(Q, Q.c.sample_id == S.c.id)).order_by(S.c.id.desc()).limit(limit))
    return [{"id": r.id, "conversation": r.conversation, "channel": r.channel, "day": r.day,
             "rule": r.rule, "rule_label": RULES.get(r.rule, r.rule), "agent": r.agent,
             "total": r.total, "reviewer": r.reviewer} for r in rows]


def results(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Scores by day scored: how many, mean total, share resolved."""
    rows = conn.execute(
        select(Q.c.day, func.count().label("n"), func.avg(Q.c.total).label("mean"),
               func.sum(case((Q.c.resolved.is_(True), 1), else_=0)).label("resolved"))
        .where(and_(Q.c.day >= f.date_from.isoformat(), Q.c.day <= f.date_to.isoformat()))
        .group_by(Q.c.day).order_by(Q.c.day))
    return [{"day": r.day, "scored": int(r.n), "mean_total": round(float(r.mean), 1),
             "resolved_rate": round(int(r.resolved) / int(r.n), 4)} for r in rows]
