"""Engine and sessions for SQLite (the default) and PostgreSQL (psycopg 3).

Two session factories share one engine: ``reader`` and ``writer``. They differ only on
SQLite, where a writer's transaction starts with ``BEGIN IMMEDIATE`` and so takes the
database's write lock first: two bookings then queue up behind each other instead of
both reading a snapshot and one failing with "database is locked" when it tries to
write (WAL mode does not retry a stale read transaction). Readers stay concurrent.
PostgreSQL needs nothing special: the conditional ``UPDATE`` in ``booking`` takes a row
lock, and a second booking of the same slot waits for it and then re-checks capacity.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.orm import Session, sessionmaker

from business.models import Base

SQLITE_BUSY_TIMEOUT_MS = 10_000


@dataclass
class Database:
    engine: Engine
    reader: sessionmaker[Session]
    writer: sessionmaker[Session]

    def create_tables(self) -> None:
        Base.metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()


def connect(url: str) -> Database:
    parsed = make_url(url)
    options: dict[str, Any] = {"pool_pre_ping": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        options["connect_args"] = {"check_same_thread": False}
    engine = create_engine(parsed, **options)
    if engine.dialect.name == "sqlite":
        _sqlite_transactions(engine)
    writes = engine.execution_options(business_writes=True)
    return Database(engine, sessionmaker(engine, expire_on_commit=False),
                    sessionmaker(writes, expire_on_commit=False))


def _sqlite_transactions(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: stop pysqlite from issuing BEGIN itself, and issue
    # it from SQLAlchemy's own begin event, choosing the kind of transaction.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get("business_writes")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
