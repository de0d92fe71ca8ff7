"""The event recorder: batched, off the reply path, switchable off, flushed on shutdown;
and what a web chat turn and a rating leave in the store (nothing raw)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from channels.analytics import events, schema, store
from channels.analytics.recorder import Recorder
from channels.app import create_app
from tests.unit.conftest import FakeRasa, settings


def _turn(n: int = 0) -> dict[str, Any]:
    return events.turn("webchat", f"conv{n}", "", {"intent": "faq", "faq_id": "card_report_loss",
                                                  "topic": "card", "confidence": 0.9}, [], 0.1, None)


def _rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(schema.events).order_by(schema.events.c.id)))


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = store.connect(f"sqlite:///{tmp_path / 'analytics.db'}")
    yield engine
    engine.dispose()


async def test_events_are_written_in_batches(engine: Engine) -> None:
    statements: list[int] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append(len(params))
                 if sql.startswith("INSERT") else None)
    recorder = Recorder(engine, linger_s=0.2)
    recorder.start()
    for n in range(50):
        recorder.emit(_turn(n))
    await recorder.close()
    assert len(_rows(engine)) == 50
    assert statements == [50]


async def test_a_full_queue_drops_instead_of_waiting(engine: Engine) -> None:
    recorder = Recorder(engine, queue_size=3, linger_s=60)
    for n in range(5):
        recorder.emit(_turn(n))  # nothing drains: the writer is not started
    assert recorder.dropped == 2
    await recorder.close()
    assert len(_rows(engine)) == 3


async def test_switched_off_records_nothing(engine: Engine) -> None:
    recorder = Recorder(engine, enabled=False)
    recorder.start()
    recorder.emit(_turn())
    recorder.record_handoff(schema.HANDOFF_QUEUED, "webchat", "conv0")
    await recorder.close()
    assert _rows(engine) == []


async def test_a_locked_database_does_not_hold_up_emit(tmp_path: Path) -> None:
    url = tmp_path / "locked.db"
    engine = store.connect(f"sqlite:///{url}")
    locker = sqlite3.connect(url, timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    recorder = Recorder(engine, linger_s=0.01)
    engine.dispose()
    recorder.start()
    recorder.emit(_turn())   # returns at once although the database cannot be written
    assert recorder.written == 0
    locker.rollback()
    locker.close()
    await recorder.close()
    assert len(_rows(store.connect(f"sqlite:///{url}"))) + recorder.dropped == 1


def test_clean_text_keeps_no_personal_numbers() -> None:
    text = events.clean_text("  我的身份证11010519491231002X，手机 13912345678，"
                             "IDTOKEN_0123456789ab 怎么办？ ")
    assert "11010519491231002X" not in text and "13912345678" not in text
    assert "[身份证号]" in text and "139****5678" in text
    assert not text.endswith("？")


def test_outcomes() -> None:
    assert events.outcome({"intent": "faq"}, []) == "answered"
    assert events.outcome({"intent": "nlu_fallback"}, [{"text": "?"}]) == "fallback"
    offered = [{"text": "您想问", "buttons": [{"title": "a"}, {"title": "转人工"}]}]
    assert events.outcome({"intent": "nlu_fallback"}, offered) == "clarified"
    assert events.outcome({"intent": "request_human", "handoff": True}, []) == "handoff"


class UnsureRasa(FakeRasa):
    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if request.url.path.endswith("/webhook"):
            return httpx.Response(200, json={"messages": [{"text": "抱歉，我没能理解您的问题。"}],
                                             "meta": {"intent": "nlu_fallback", "confidence": 0.2}})
        return response


def _app(redis_server: str, tmp_path: Path, rasa: FakeRasa, **overrides: Any) -> Any:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server).flushdb()
    config = settings(redis_server).model_copy(update={
        "analytics_database_url": f"sqlite:///{tmp_path / 'gateway.db'}", **overrides})
    return create_app(config, transport=httpx.MockTransport(rasa))


def test_web_chat_turns_and_ratings_are_recorded_masked(redis_server: str, tmp_path: Path) -> None:
    with TestClient(_app(redis_server, tmp_path, UnsureRasa())) as client:
        said = client.post("/api/v1/webchat/messages", json={
            "session_id": "s-analytics", "text": "我的手机13912345678为什么收不到短信？"})
        assert said.json()["status"] == "answered"
        client.post("/api/v1/webchat/rating", json={"session_id": "s-analytics", "score": 2,
                                                    "comment": "请回电18600001111"})
    rows = _rows(store.connect(f"sqlite:///{tmp_path / 'gateway.db'}"))  # written at shutdown
    turn, rating = rows
    assert (turn.kind, turn.channel, turn.outcome) == ("turn", "webchat", "fallback")
    assert turn.conversation == rating.conversation != "s-analytics"
    assert turn.text == "我的手机[手机号]为什么收不到短信"
    assert (rating.kind, rating.score) == ("satisfaction", 2)
    assert "18600001111" not in (rating.text or "") and "186****1111" in rating.text


def test_switched_off_in_the_gateway(redis_server: str, tmp_path: Path) -> None:
    with TestClient(_app(redis_server, tmp_path, FakeRasa(), analytics_enabled=False)) as client:
        assert client.post("/api/v1/webchat/messages",
                           json={"session_id": "s-off", "text": "社保卡丢了"}).json()["status"] == "answered"
    assert _rows(store.connect(f"sqlite:///{tmp_path / 'gateway.db'}")) == []
