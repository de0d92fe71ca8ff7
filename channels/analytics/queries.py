"""The dashboard's figures: SQLAlchemy Core over ``analytics_events``, the same SQL on
SQLite and PostgreSQL (days and hours are stored columns, so no date functions).

Every function takes a connection and :class:`Filters` and returns plain data. Rates are
divided in Python, so integer division differs nowhere. Definitions: docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, distinct, func, select

from channels.analytics import schema
from channels.analytics.events import COMPLAINT_INTENTS

E = schema.events
# A question is "newly rising" when it was not asked at all in the previous period, or
# at least doubled, and was asked at least this often now.
RISING_MIN = 3


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date            # inclusive
    region: str | None = None
    channel: str | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Filters:
        """The period of equal length just before this one."""
        return replace(self, date_from=self.date_from - dt.timedelta(days=self.days),
                       date_to=self.date_from - dt.timedelta(days=1))


def rate(part: int | None, whole: int | None) -> float | None:
    return round(part / whole, 4) if part is not None and whole else None


def _where(f: Filters, *kinds: str) -> ColumnElement[bool]:
    clauses = [E.c.kind.in_(kinds), E.c.day >= f.date_from.isoformat(), E.c.day <= f.date_to.isoformat()]
    if f.channel:
        clauses.append(E.c.channel == f.channel)
    if f.region:
        if kinds == (schema.TURN,):
            clauses.append(E.c.region == f.region)
        else:  # other events carry no region: the conversation's turns say where it was
            turns = select(E.c.conversation).where(E.c.kind == schema.TURN, E.c.region == f.region)
            clauses.append(E.c.region == f.region if schema.CALL_OFFERED in kinds
                           else E.c.conversation.in_(turns))
    return and_(*clauses)


def volume(conn: Connection, f: Filters) -> dict[str, Any]:
    """Turns by channel and hour of day, and by day and channel."""
    w = _where(f, schema.TURN)
    by_hour = conn.execute(select(E.c.channel, E.c.hour, func.count().label("n")).where(w)
                           .group_by(E.c.channel, E.c.hour).order_by(E.c.channel, E.c.hour))
    by_day = conn.execute(select(E.c.day, E.c.channel, func.count().label("n")).where(w)
                          .group_by(E.c.day, E.c.channel).order_by(E.c.day, E.c.channel))
    return {"by_hour": [{"channel": r.channel, "hour": int(r.hour), "turns": r.n} for r in by_hour],
            "by_day": [{"day": r.day, "channel": r.channel, "turns": r.n} for r in by_day]}


def rates(conn: Connection, f: Filters) -> dict[str, Any]:
    """Turn outcomes, and per conversation: self-service, handoff and complaint rates."""
    w = _where(f, schema.TURN)
    turns = {r.outcome: r.n for r in conn.execute(
        select(E.c.outcome, func.count().label("n")).where(w).group_by(E.c.outcome))}
    total = sum(turns.values())
    per = (select(E.c.conversation,
                  func.max(case((E.c.outcome == "answered", 1), else_=0)).label("answered"),
                  func.max(case((E.c.outcome == "handoff", 1), else_=0)).label("handoff"),
                  func.max(case((E.c.intent.in_(COMPLAINT_INTENTS), 1), else_=0)).label("complaint"))
           .where(w).group_by(E.c.conversation).subquery())
    row = conn.execute(select(
        func.count().label("conversations"),
        func.coalesce(func.sum(case((and_(per.c.answered == 1, per.c.handoff == 0), 1), else_=0)), 0)
        .label("self_served"),
        func.coalesce(func.sum(per.c.handoff), 0).label("handed_off"),
        func.coalesce(func.sum(per.c.complaint), 0).label("complaints"))).one()
    conversations = int(row.conversations)
    return {
        "turns": total, "conversations": conversations,
        "outcomes": {name: int(turns.get(name, 0)) for name in schema.OUTCOMES},
        "fallback_rate": rate(turns.get("fallback", 0), total),
        "clarified_rate": rate(turns.get("clarified", 0), total),
        "self_service_rate": rate(int(row.self_served), conversations),
        "handoff_rate": rate(int(row.handed_off), conversations),
        "complaints": int(row.complaints),
        "complaint_rate": rate(int(row.complaints), conversations),
    }


def satisfaction(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Per channel: ratings, mean score, share satisfied (4 or 5); a rating asked for and
    not given (score NULL) counts as ``no_answer``, not as a rating."""
    rows = conn.execute(
        select(E.c.channel, func.count(E.c.score).label("n"), func.avg(E.c.score).label("mean"),
               func.sum(case((E.c.score >= 4, 1), else_=0)).label("satisfied"),
               func.sum(case((E.c.score.is_(None), 1), else_=0)).label("no_answer"))
        .where(_where(f, schema.SATISFACTION)).group_by(E.c.channel).order_by(E.c.channel))
    return [{"channel": r.channel, "ratings": r.n,
             "mean": round(float(r.mean), 2) if r.mean is not None else None,
             "satisfied_rate": rate(int(r.satisfied or 0), r.n),
             "no_answer": int(r.no_answer or 0)} for r in rows]


def connection(conn: Connection, f: Filters) -> dict[str, Any]:
    """Voice: calls answered (by the bot or a human) over calls offered."""
    counts = {r.kind: r.n for r in conn.execute(
        select(E.c.kind, func.count(distinct(E.c.conversation)).label("n"))
        .where(_where(f, schema.CALL_OFFERED, schema.CALL_ANSWERED)).group_by(E.c.kind))}
    offered, answered = counts.get(schema.CALL_OFFERED, 0), counts.get(schema.CALL_ANSWERED, 0)
    return {"offered": offered, "answered": answered, "connection_rate": rate(answered, offered)}


def _counts(conn: Connection, f: Filters, column: Any) -> dict[str, int]:
    rows = conn.execute(select(column, func.count().label("n"))
                        .where(_where(f, schema.TURN), column.is_not(None)).group_by(column))
    return {r[0]: int(r.n) for r in rows}


def _trend(now: dict[str, int], before: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for key, n in now.items():
        prev = before.get(key, 0)
        out.append({"key": key, "count": n, "previous": prev,
                    "change": rate(n - prev, prev),
                    "rising": n >= RISING_MIN and (prev == 0 or n >= 2 * prev)})
    return sorted(out, key=lambda r: (-r["count"], r["key"]))


def hot_topics(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    return _trend(_counts(conn, f, E.c.topic), _counts(conn, f.previous(), E.c.topic))


def hot_questions(conn: Connection, f: Filters, limit: int = 20) -> list[dict[str, Any]]:
    """Knowledge-base entries asked most, with the previous period; ``rising`` marks the
    newly rising ones (sorted first among equals is not needed: the flag is shown)."""
    rows = _trend(_counts(conn, f, E.c.faq_id), _counts(conn, f.previous(), E.c.faq_id))[:limit]
    topics = dict(conn.execute(select(E.c.faq_id, func.max(E.c.topic))
                               .where(E.c.faq_id.in_([r["key"] for r in rows])).group_by(E.c.faq_id))
                  .tuples().all())
    return [{**r, "topic": topics.get(r["key"])} for r in rows]


def rising(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    return [r for r in hot_questions(conn, f, limit=1000) if r["rising"]]


def agents(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """Agent workload from handoff events: taken, closed, mean queue wait, mean handling."""
    kinds = (schema.HANDOFF_TAKEN, schema.HANDOFF_CLOSED)
    rows = conn.execute(
        select(E.c.agent,
               func.sum(case((E.c.kind == schema.HANDOFF_TAKEN, 1), else_=0)).label("taken"),
               func.sum(case((E.c.kind == schema.HANDOFF_CLOSED, 1), else_=0)).label("closed"),
               func.avg(case((E.c.kind == schema.HANDOFF_TAKEN, E.c.duration_s))).label("wait"),
               func.avg(case((E.c.kind == schema.HANDOFF_CLOSED, E.c.duration_s))).label("handle"))
        .where(_where(f, *kinds), E.c.agent.is_not(None)).group_by(E.c.agent).order_by(E.c.agent))
    return [{"agent": r.agent, "taken": int(r.taken), "closed": int(r.closed),
             "mean_wait_s": _round(r.wait), "mean_handle_s": _round(r.handle)} for r in rows]


def daily(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    """The KPIs of each day in the period (exports)."""
    out = []
    day = f.date_from
    while day <= f.date_to:
        one = replace(f, date_from=day, date_to=day)
        r = rates(conn, one)
        sat = satisfaction(conn, one)
        ratings = sum(s["ratings"] for s in sat)
        mean = sum(s["mean"] * s["ratings"] for s in sat if s["ratings"]) / ratings if ratings else None
        out.append({"day": day.isoformat(), "turns": r["turns"], "conversations": r["conversations"],
                    "self_service_rate": r["self_service_rate"], "fallback_rate": r["fallback_rate"],
                    "handoff_rate": r["handoff_rate"], "complaint_rate": r["complaint_rate"],
                    "ratings": ratings, "satisfaction_mean": _round(mean),
                    "connection_rate": connection(conn, one)["connection_rate"]})
        day += dt.timedelta(days=1)
    return out


def hot_by_topic_region(conn: Connection, f: Filters) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(E.c.topic, E.c.region, func.count().label("n"))
        .where(_where(f, schema.TURN), E.c.topic.is_not(None))
        .group_by(E.c.topic, E.c.region).order_by(func.count().desc(), E.c.topic, E.c.region))
    return [{"topic": r.topic, "region": r.region, "count": int(r.n)} for r in rows]


def summary(conn: Connection, f: Filters) -> dict[str, Any]:
    """Everything the dashboard shows at once."""
    return {"filters": {"from": f.date_from.isoformat(), "to": f.date_to.isoformat(),
                        "region": f.region, "channel": f.channel},
            "rates": rates(conn, f), "volume": volume(conn, f), "satisfaction": satisfaction(conn, f),
            "connection": connection(conn, f), "hot_topics": hot_topics(conn, f),
            "hot_questions": hot_questions(conn, f), "agents": agents(conn, f)}


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
