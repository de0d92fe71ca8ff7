"""The analytics database: SQLite under the state folder by default, PostgreSQL by URL
(``ANALYTICS_DATABASE_URL``), and the retention purge."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from sqlalchemy import Connection, Engine, create_engine, delete, event, insert
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from channels.analytics import schema
from hotline import paths

DEFAULT_RETENTION_DAYS = 365
SQLITE_BUSY_TIMEOUT_MS = 10_000


def default_url(state: Path | None = None) -> str:
    return f"sqlite:///{(state or paths.STATE) / 'analytics.db'}"


def connect(url: str | None = None) -> Engine:
    """An engine with the tables created. ``sqlite://`` is one in-memory database."""
    parsed = make_url(url or default_url())
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        else:
            options["poolclass"] = StaticPool
    engine = create_engine(parsed, **options)
    if engine.dialect.name == "sqlite":
        # WAL: the dashboard reads while the recorder writes.
        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()
    schema.metadata.create_all(engine)
    return engine


def insert_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """One statement for many rows; every row names every column (executemany needs it)."""
    if rows:
        columns = [c.name for c in schema.events.columns if c.name != "id"]
        conn.execute(insert(schema.events), [{c: row.get(c) for c in columns} for row in rows])


def purge(engine: Engine, retention_days: int, now: float | None = None) -> int:
    """Delete events (and quality samples) older than ``retention_days``; how many went."""
    cutoff = (time.time() if now is None else now) - retention_days * 86400
    with engine.begin() as conn:
        gone = conn.execute(delete(schema.events).where(schema.events.c.at < cutoff)).rowcount
        old = schema.quality_samples.c.created_at < cutoff
        ids = [r.id for r in conn.execute(schema.quality_samples.select().where(old))]
        if ids:
            conn.execute(delete(schema.quality_scores).where(schema.quality_scores.c.sample_id.in_(ids)))
            conn.execute(delete(schema.quality_samples).where(old))
    return int(gone or 0)
