# ruff: noqa: S608  (SQL assembled from this file's own constant fragments)
"""The supervisors' dashboard in Chromium over seeded events: the figures on the page
are checked against SQL computed here, straight on the gateway's analytics database
(sqlite3, not the code under test).

The dashboard needs no dialogue, so this starts only what it uses, as separate processes
on free ports: the embedded Redis and the gateway (its Rasa address leads nowhere)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import Browser, expect

from channels.analytics import demo, store
from hotline import browser as chrome
from hotline import secrets, supervisor

pytestmark = pytest.mark.integration


class Dashboard:
    def __init__(self, stack: supervisor.Stack, state: Path) -> None:
        self.base = f"http://127.0.0.1:{stack.ports.gateway}"
        self.state = state

    def secret(self, name: str) -> str:
        return secrets.read(self.state / "secrets.env")[name]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    state = tmp_path_factory.mktemp("dashboard")
    stack = supervisor.Stack(supervisor.Ports.free(), state_dir=state, log_dir=state / "logs",
                             model=state / "no-model.tar.gz")
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    stack.services = {s.name: s for s in stack.plan() if s.name in ("redis", "gateway")}
    try:
        for name in stack.services:
            stack.start(name, say=lambda _: None)
        yield Dashboard(stack, state)
    finally:
        stack.stop_all()

START = dt.date(2025, 3, 3)           # two seeded weeks, far from today's real turns
WEEK = ("2025-03-10", "2025-03-16")
REGION = "广东省"


@pytest.fixture(scope="module")
def seeded(live: Dashboard) -> sqlite3.Connection:
    path = live.state / "analytics.db"
    engine = store.connect(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM analytics_events WHERE day < '2025-12-31'")
        store.insert_events(conn, demo.generate(START, 14, seed=11))
    engine.dispose()
    return sqlite3.connect(path)


def one(db: sqlite3.Connection, sql: str, *params: Any) -> Any:
    return db.execute(sql, (*WEEK, *params)).fetchone()[0]


def pct(part: int, whole: int) -> str:
    return f"{part / whole * 100:.1f}%"


TURNS = "kind = 'turn' AND day BETWEEN ? AND ? AND region = ?"


def test_supervisor_sees_figures_that_match_the_database(live: Dashboard, chromium: Browser,
                                                         seeded: sqlite3.Connection) -> None:
    context = chrome.new_context(chromium, "desktop")
    page = context.new_page()
    page.goto(live.base + "/dashboard/")
    expect(page).to_have_url(f"{live.base}/agent/login?next=/dashboard/")   # anonymous: log in first

    login = context.request.post(live.base + "/api/v1/agent/login", data={
        "username": "supervisor", "password": live.secret("STAFF_SUPERVISOR_PASSWORD")})
    assert login.ok, login.text()
    page.goto(f"{live.base}/dashboard/?from={WEEK[0]}&to={WEEK[1]}&region={REGION}")
    expect(page.locator("h3", has_text="热点业务")).to_be_visible()

    db = seeded
    turns = one(db, f"SELECT count(*) FROM analytics_events WHERE {TURNS}", REGION)
    convs = one(db, f"SELECT count(DISTINCT conversation) FROM analytics_events WHERE {TURNS}", REGION)
    fallback = one(db, f"SELECT count(*) FROM analytics_events WHERE {TURNS} "
                       "AND outcome = 'fallback'", REGION)
    handed = one(db, f"SELECT count(DISTINCT conversation) FROM analytics_events WHERE {TURNS} "
                     "AND outcome = 'handoff'", REGION)
    served = one(db, f"""SELECT count(*) FROM (SELECT conversation FROM analytics_events WHERE {TURNS}
        GROUP BY conversation HAVING sum(outcome = 'answered') > 0
        AND sum(outcome = 'handoff') = 0)""", REGION)
    offered = one(db, "SELECT count(*) FROM analytics_events WHERE kind = 'call_offered' "
                      "AND day BETWEEN ? AND ? AND region = ?", REGION)
    answered = one(db, "SELECT count(*) FROM analytics_events WHERE kind = 'call_answered' "
                       "AND day BETWEEN ? AND ? AND region = ?", REGION)
    assert turns > 100 and offered > 0

    kpi = lambda name: page.locator(f"[data-kpi={name}]")  # noqa: E731
    expect(kpi("turns")).to_have_text(str(turns))
    expect(kpi("conversations")).to_have_text(str(convs))
    expect(kpi("fallback_rate")).to_have_text(pct(fallback, turns))
    expect(kpi("handoff_rate")).to_have_text(pct(handed, convs))
    expect(kpi("self_service_rate")).to_have_text(pct(served, convs))
    expect(kpi("connection_rate")).to_have_text(pct(answered, offered))

    topic, count = db.execute(f"SELECT topic, count(*) AS n FROM analytics_events WHERE {TURNS} "
                              "GROUP BY topic ORDER BY n DESC, topic LIMIT 1", (*WEEK, REGION)).fetchone()
    first = page.locator("#hot-topics tr[data-topic]").first
    expect(first).to_have_attribute("data-topic", topic)
    expect(first.locator("[data-col=count]")).to_have_text(str(count))

    mean = one(db, """SELECT avg(score) FROM analytics_events WHERE kind = 'satisfaction'
        AND day BETWEEN ? AND ? AND channel = 'webchat' AND conversation IN
        (SELECT conversation FROM analytics_events WHERE kind = 'turn' AND region = ?)""", REGION)
    expect(page.locator("#satisfaction tr[data-channel=webchat] [data-col=mean]")).to_have_text(f"{mean:.2f}")
    assert page.locator("svg").count() >= 2   # the charts are drawn inline

    export = context.request.get(live.base + "/api/v1/dashboard/export", params={
        "kind": "daily", "format": "json", "from": WEEK[0], "to": WEEK[1], "region": REGION})
    monday = export.json()[0]
    assert monday["day"] == WEEK[0]
    assert monday["turns"] == db.execute("SELECT count(*) FROM analytics_events WHERE kind = 'turn' "
                                         "AND day = ? AND region = ?", (WEEK[0], REGION)).fetchone()[0]
    context.close()


def test_the_dashboard_api_refuses_anonymous_callers(live: Dashboard) -> None:
    import httpx

    assert httpx.get(live.base + "/api/v1/dashboard/summary", timeout=10).status_code == 401
