# ruff: noqa: S608  (SQL assembled from this file's own constant fragments)
"""Dashboard figures over seeded events, on SQLite and on PostgreSQL, each checked
against SQL written here independently of channels/analytics/queries.py."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Iterator

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from channels.analytics import demo, queries, schema, store
from channels.analytics.queries import Filters
from tests.business import postgres

START = dt.date(2026, 11, 2)
WEEK = Filters(dt.date(2026, 11, 9), dt.date(2026, 11, 15))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    bindir = postgres.server_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries not found")
        pytest.skip("PostgreSQL server binaries not found")
    cluster = postgres.start(bindir)
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE DATABASE analytics_test")
    admin.dispose()
    yield make_url(cluster.url).set(database="analytics_test").render_as_string(hide_password=False)
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'a.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    engine = store.connect(url)
    with engine.begin() as conn:
        conn.execute(schema.events.delete())
        store.insert_events(conn, demo.generate(START, 14))
    yield engine
    engine.dispose()


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), {"a": "2026-11-09", "b": "2026-11-15", **params}).scalar()


IN_WEEK = "kind = 'turn' AND day BETWEEN :a AND :b"


def test_rates_match_independent_sql(engine: Engine) -> None:
    with engine.connect() as conn:
        got = queries.rates(conn, WEEK)
    turns = scalar(engine, f"SELECT count(*) FROM analytics_events WHERE {IN_WEEK}")
    fallbacks = scalar(engine, f"SELECT count(*) FROM analytics_events WHERE {IN_WEEK} "
                               "AND outcome = 'fallback'")
    convs = scalar(engine, f"SELECT count(DISTINCT conversation) FROM analytics_events WHERE {IN_WEEK}")
    handed = scalar(engine, f"SELECT count(DISTINCT conversation) FROM analytics_events "
                            f"WHERE {IN_WEEK} AND outcome = 'handoff'")
    served = scalar(engine, f"""SELECT count(DISTINCT conversation) FROM analytics_events e
        WHERE {IN_WEEK} AND outcome = 'answered' AND NOT EXISTS (SELECT 1 FROM analytics_events h
        WHERE h.conversation = e.conversation AND h.kind = 'turn' AND h.outcome = 'handoff'
        AND h.day BETWEEN :a AND :b)""")
    complaints = scalar(engine, f"SELECT count(DISTINCT conversation) FROM analytics_events "
                                f"WHERE {IN_WEEK} AND intent = 'file_complaint'")
    assert turns > 300 and 0 < fallbacks < turns and 0 < handed < convs and complaints > 0
    assert got["turns"] == turns
    assert got["conversations"] == convs
    assert got["fallback_rate"] == round(fallbacks / turns, 4)
    assert got["handoff_rate"] == round(handed / convs, 4)
    assert got["self_service_rate"] == round(served / convs, 4)
    assert got["complaint_rate"] == round(complaints / convs, 4)


def test_filters_by_region_and_channel(engine: Engine) -> None:
    one = Filters(WEEK.date_from, WEEK.date_to, region="广东省", channel="wechat")
    with engine.connect() as conn:
        got = queries.rates(conn, one)
        volume = queries.volume(conn, one)
    expected = scalar(engine, f"SELECT count(*) FROM analytics_events WHERE {IN_WEEK} "
                              "AND region = :r AND channel = :c", r="广东省", c="wechat")
    assert 0 < got["turns"] == expected
    assert {row["channel"] for row in volume["by_hour"]} == {"wechat"}
    assert sum(row["turns"] for row in volume["by_day"]) == expected


def test_hot_questions_trend_against_the_previous_week(engine: Engine) -> None:
    with engine.connect() as conn:
        hot = queries.hot_questions(conn, WEEK)
    top = hot[0]
    now = scalar(engine, f"SELECT count(*) FROM analytics_events WHERE {IN_WEEK} AND faq_id = :f",
                 f=top["key"])
    before = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'turn' "
                            "AND day BETWEEN '2026-11-02' AND '2026-11-08' AND faq_id = :f", f=top["key"])
    assert (top["count"], top["previous"]) == (now, before)
    assert top["change"] == round((now - before) / before, 4)
    assert [r["count"] for r in hot] == sorted((r["count"] for r in hot), reverse=True)


def test_a_question_absent_before_is_newly_rising(engine: Engine) -> None:
    with engine.begin() as conn:
        from channels.analytics import events
        at = dt.datetime(2026, 11, 12, 10, tzinfo=events.BEIJING).timestamp()
        store.insert_events(conn, [
            events.turn("webchat", f"c{n}", "", {"intent": "faq", "faq_id": "title_new_rule",
                                                 "topic": "title", "confidence": 0.9}, [], 0.1, "北京市", at)
            for n in range(4)])
        rising = queries.rising(conn, WEEK)
    assert {"key": "title_new_rule", "count": 4, "previous": 0, "change": None, "rising": True,
            "topic": "title"} in rising


def test_satisfaction_connection_and_agents(engine: Engine) -> None:
    with engine.connect() as conn:
        sat = {r["channel"]: r for r in queries.satisfaction(conn, WEEK)}
        calls = queries.connection(conn, WEEK)
        workload = {r["agent"]: r for r in queries.agents(conn, WEEK)}
    mean = scalar(engine, "SELECT avg(score) FROM analytics_events WHERE kind = 'satisfaction' "
                          "AND channel = 'sms' AND day BETWEEN :a AND :b")
    assert sat["sms"]["mean"] == round(float(mean), 2)
    unanswered = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'satisfaction' "
                                "AND channel = 'sms' AND score IS NULL AND day BETWEEN :a AND :b")
    rated = scalar(engine, "SELECT count(score) FROM analytics_events WHERE kind = 'satisfaction' "
                           "AND channel = 'sms' AND day BETWEEN :a AND :b")
    assert sat["sms"]["no_answer"] == unanswered > 0  # no answer is not a rating
    assert sat["sms"]["ratings"] == rated
    offered = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'call_offered' "
                             "AND day BETWEEN :a AND :b")
    answered = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'call_answered' "
                              "AND day BETWEEN :a AND :b")
    assert calls == {"offered": offered, "answered": answered,
                     "connection_rate": round(answered / offered, 4)}
    assert 0 < calls["connection_rate"] < 1
    taken = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'handoff_taken' "
                           "AND agent = 'zhangli' AND day BETWEEN :a AND :b")
    assert workload["zhangli"]["taken"] == taken > 0


def test_daily_kpis_cover_every_day(engine: Engine) -> None:
    with engine.connect() as conn:
        days = queries.daily(conn, WEEK)
    assert [d["day"] for d in days] == [f"2026-11-{n:02d}" for n in range(9, 16)]
    monday = scalar(engine, "SELECT count(*) FROM analytics_events WHERE kind = 'turn' AND day = :d",
                    d="2026-11-09")
    assert days[0]["turns"] == monday


def test_retention_purge_deletes_only_old_events(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 16, tzinfo=dt.timezone.utc).timestamp()
    kept = scalar(engine, "SELECT count(*) FROM analytics_events WHERE at >= :c", c=now - 7 * 86400)
    gone = store.purge(engine, 7, now=now)
    assert gone > 0
    assert scalar(engine, "SELECT count(*) FROM analytics_events") == kept
