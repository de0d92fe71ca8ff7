"""The real business app (FastAPI TestClient) on a real database: every API test runs on
SQLite and on PostgreSQL. Each backend is seeded once into a template; each test gets its
own copy (a file copy, or ``CREATE DATABASE … TEMPLATE``)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from typing import Any, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import Session

from business import db as database
from business.app import create_app, prepare
from business.settings import Settings
from business.workdays import BEIJING
from tests.business import postgres

TOKEN = "test-business-token-0123456789abcdef"
# A Monday, 08:00 Beijing time: the seed and the slots are relative to this day.
NOW = dt.datetime(2026, 11, 2, 8, 0, tzinfo=BEIJING)
TODAY = NOW.date()


def settings(url: str, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {"holidays_text": "", "ticket_due_days": {}, **overrides}
    return Settings(database_url=url, api_token=TOKEN, **fields)


def _seed(url: str) -> None:
    db = database.connect(url)
    try:
        prepare(db, settings(url), TODAY)
    finally:
        db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("business") / "template.db"
    _seed(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[postgres.Cluster]:
    bindir = postgres.server_bindir()
    if bindir is None:
        reason = ("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb): "
                  "install the Debian package postgresql (scripts/debian-packages.sh does)")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    cluster = postgres.start(bindir)
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_cluster: postgres.Cluster) -> Iterator[str]:
    """One seeded database; ``postgres.restore`` puts the seed back before each test
    (a copied database per test costs about a second on two cores; this, milliseconds)."""
    admin = create_engine(pg_cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE business_test")
    admin.dispose()
    url = make_url(pg_cluster.url).set(database="business_test").render_as_string(hide_password=False)
    _seed(url)
    postgres.snapshot(url)
    yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        copy = tmp_path / "business.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
        return f"sqlite:///{copy}"
    url: str = request.getfixturevalue("pg_database")
    postgres.restore(url)
    return url


class Api:
    """The app with the token and a fixed clock; ``session()`` reaches into its database."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client = client
        self.app = app

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def get(self, path: str, **params: Any) -> Response:
        return self.client.get("/api/v1" + path, params=params, headers=self.auth)

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> Response:
        headers = dict(self.auth, **({"Idempotency-Key": key} if key else {}))
        return self.client.post("/api/v1" + path, json=body, headers=headers)

    def delete(self, path: str) -> Response:
        return self.client.delete("/api/v1" + path, headers=self.auth)

    def session(self) -> Session:
        db: database.Database = self.app.state.db
        return db.writer()


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    # The database is seeded already; seed_demo=False skips the start-up slot top-up.
    app = create_app(settings(database_url, seed_demo=False), clock=lambda: NOW)
    with TestClient(app) as client:
        yield Api(client, app)
