"""Actions with tracker JSON and a CollectingDispatcher, as rasa-sdk tests them."""

from __future__ import annotations

import datetime as dt

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionRequestHuman
from actions.identity import identity_of, require_level
from hotline.identity import IdentityContext
from hotline.workhours import TZ, AgentHours

SECRET = b"k" * 32


def tracker(metadata: dict | None) -> Tracker:
    events = [{"event": "user", "text": "转人工", "metadata": metadata or {},
               "parse_data": {"intent": {"name": "request_human", "confidence": 0.99}}}]
    return Tracker("conv", {}, {"intent": {"name": "request_human"}}, events, False, None,
                   {}, "action_listen")


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_SIGNING_SECRET", SECRET.decode())


def test_sealed_identity_is_read() -> None:
    ctx = IdentityContext(level="verified", person="p1", display_name="张*", region="广东省")
    assert identity_of(tracker(ctx.to_metadata(SECRET))) == ctx


def test_forged_identity_is_anonymous() -> None:
    meta = IdentityContext(level="phone", person="p1").to_metadata(SECRET)
    meta["identity"]["level"] = "verified"
    assert identity_of(tracker(meta)).level == "anonymous"
    assert identity_of(tracker(None)).level == "anonymous"


@pytest.mark.parametrize(("level", "expires_in", "needed", "allowed"), [
    ("verified", 600, "verified", True),
    ("phone", 600, "verified", False),
    ("verified", -1, "phone", False),   # an expired verification counts for nothing
    ("phone", 600, "phone", True),
])
def test_personal_queries_are_gated_by_level(level: str, expires_in: int, needed: str,
                                             allowed: bool) -> None:
    import time

    ctx = IdentityContext(level=level, person="p1", expires_at=int(time.time()) + expires_in)
    dispatcher = CollectingDispatcher()
    got = require_level(tracker(ctx.to_metadata(SECRET)), dispatcher, needed, "查询养老金发放记录")
    assert (got is not None) is allowed
    if allowed:
        assert dispatcher.messages == []
    else:
        assert dispatcher.messages[0]["custom"] == {"type": "verify", "level": needed}
        assert "核实身份" in dispatcher.messages[0]["text"]


def test_agent_hours_are_beijing_weekdays() -> None:
    hours = AgentHours()
    monday_10 = dt.datetime(2026, 11, 30, 10, 0, tzinfo=TZ)
    assert hours.is_open(monday_10)
    assert not hours.is_open(monday_10.replace(hour=18))
    assert not hours.is_open(dt.datetime(2026, 11, 29, 10, 0, tzinfo=TZ))  # Sunday
    # 02:00 UTC is 10:00 in Beijing.
    assert hours.is_open(dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc))


async def test_request_human_outside_hours_says_when_agents_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AGENT_HOURS", "00:00-00:01")
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, tracker(None), {})
    message = dispatcher.messages[0]
    assert "非工作时间" in message["text"] and "00:00-00:01" in message["text"]
    assert message["custom"]["type"] == "handoff"
    assert message["custom"]["within_hours"] is False
    assert message["buttons"] == [{"title": "预约人工回电", "payload": "/request_callback"}]


async def test_on_the_phone_the_handoff_words_fit_a_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_HOURS", "00:00-00:01")
    call = tracker(None)
    call.events[-1]["input_channel"] = "voice"
    dispatcher = CollectingDispatcher()
    await ActionRequestHuman().run(dispatcher, call, {})
    said = dispatcher.messages[0]
    assert "上班" in said["text"] and "12333" in said["text"]
    assert "回复" not in said["text"] and not said.get("buttons")  # nothing to type or tap on a call
