"""The analytics tables (SQLAlchemy Core; the same on SQLite and PostgreSQL).

Times are stored twice: ``at`` (Unix seconds, UTC) for ordering and retention, and
``day``/``hour`` in Beijing time, computed when the event is made, so that grouping by
day and hour is plain SQL on both databases. docs/analytics.md documents every column.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_ID = BigInteger().with_variant(Integer(), "sqlite")

# Event kinds (docs/analytics.md, "Event kinds").
TURN = "turn"
SATISFACTION = "satisfaction"
HANDOFF_QUEUED = "handoff_queued"
HANDOFF_TAKEN = "handoff_taken"
HANDOFF_CLOSED = "handoff_closed"
HANDOFF_CANCELLED = "handoff_cancelled"
CALL_OFFERED = "call_offered"
CALL_ANSWERED = "call_answered"
KINDS = (TURN, SATISFACTION, HANDOFF_QUEUED, HANDOFF_TAKEN, HANDOFF_CLOSED, HANDOFF_CANCELLED,
         CALL_OFFERED, CALL_ANSWERED)
OUTCOMES = ("answered", "clarified", "fallback", "handoff")

events = Table(
    "analytics_events", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("at", Float, nullable=False),
    Column("day", String(10), nullable=False),
    Column("hour", SmallInteger, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("region", String(32)),
    Column("topic", String(24)),
    Column("intent", String(64)),
    Column("faq_id", String(96)),
    Column("confidence", Float),
    Column("outcome", String(16)),
    Column("latency_ms", Float),
    Column("score", SmallInteger),
    Column("text", String(400)),
    Column("agent", String(64)),
    Column("duration_s", Float),
    Column("reason", String(64)),
    Index("ix_analytics_events_day_kind", "day", "kind"),
    Index("ix_analytics_events_at", "at"),
    Index("ix_analytics_events_conversation", "conversation"),
)

quality_samples = Table(
    "quality_samples", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("conversation", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("day", String(10), nullable=False),       # the day sampled (Beijing)
    Column("rule", String(24), nullable=False),      # random | long_wait | low_rating | repeated_fallback
    Column("agent", String(64)),                     # set when a human handled the conversation
    Column("created_at", Float, nullable=False),
    Index("ix_quality_samples_day", "day"),
)

quality_scores = Table(
    "quality_scores", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("sample_id", BigInteger, nullable=False, index=True),
    Column("reviewer", String(64), nullable=False),
    Column("scored_at", Float, nullable=False),
    Column("day", String(10), nullable=False),       # the day scored (Beijing)
    Column("accuracy", SmallInteger, nullable=False),   # 1–5 each
    Column("attitude", SmallInteger, nullable=False),
    Column("compliance", SmallInteger, nullable=False),
    Column("resolved", Boolean, nullable=False),
    Column("total", SmallInteger, nullable=False),   # 0–100
    Column("note", String(400)),
)
