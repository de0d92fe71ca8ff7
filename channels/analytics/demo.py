"""Synthetic events for demonstrations and tests: a few weeks of a province's traffic,
reproducible from a seed. Every value is invented; conversations are random hex ids."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from channels.analytics import events, schema

CHANNELS = ("webchat", "wechat", "sms", "voice")
REGIONS = ("北京市", "广东省", "四川省")
QUESTIONS = {  # faq id → topic
    "pension_min_contribution_years": "pension", "pension_transfer_rules": "pension",
    "unemployment_benefit_apply": "unemployment", "card_report_loss": "card",
    "injury_recognition_time_limit": "injury", "wages_arrears_complaint": "wages",
}
MISSES = ("灵活就业人员社保断缴了怎么补", "电子社保卡 二维码打不开", "退休 认证 在哪 做",
          "我的手机号[手机号]收不到验证码")
AGENTS = ("agent", "zhangli", "wangfang")


def generate(start: dt.date, days: int, seed: int = 7, per_day: int = 40) -> list[dict[str, Any]]:
    """Rows ready for ``analytics_events`` (the recorder's own builders make them)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for d in range(days):
        day = start + dt.timedelta(days=d)
        for n in range(per_day + rng.randint(-5, 5) + d):  # traffic grows over the period
            rows += _conversation(rng, day, n)
    return rows


def _at(rng: random.Random, day: dt.date) -> float:
    local = dt.datetime.combine(day, dt.time(rng.choice((8, 9, 10, 11, 14, 15, 16, 20)),
                                             rng.randrange(60)), events.BEIJING)
    return local.timestamp()


def _conversation(rng: random.Random, day: dt.date, n: int) -> list[dict[str, Any]]:
    channel, region = rng.choice(CHANNELS), rng.choice(REGIONS)
    conversation = f"{rng.getrandbits(128):032x}"
    at = _at(rng, day)
    rows: list[dict[str, Any]] = []
    if channel == "voice":
        rows.append(events.call(schema.CALL_OFFERED, conversation, region=region, at=at))
        if rng.random() < 0.85:
            rows.append(events.call(schema.CALL_ANSWERED, conversation, "bot", 2.0, region, at + 2))
        else:
            return rows
    for k in range(rng.randint(1, 3)):
        faq = rng.choice(list(QUESTIONS)) if rng.random() < 0.8 else None
        if faq == "wages_arrears_complaint" and day.day % 2 == 0:
            faq = "pension_transfer_rules"
        roll = rng.random()
        if faq:
            meta = {"intent": "faq", "faq_id": faq, "topic": QUESTIONS[faq],
                    "confidence": round(rng.uniform(0.4, 0.99), 3), "handoff": False}
            messages: list[dict[str, Any]] = [{"text": "……"}]
        elif roll < 0.4:
            meta = {"intent": "nlu_fallback", "topic": "pension", "confidence": 0.3, "handoff": False}
            messages = [{"text": "您想问的是", "buttons": [{"title": "a", "payload": "a"},
                                                         {"title": "转人工", "payload": "/request_human"}]}]
        elif roll < 0.55:
            meta = {"intent": "request_human", "topic": "other", "confidence": 0.95, "handoff": True}
            messages = [{"text": "正在为您转接"}]
        elif roll < 0.6:
            meta = {"intent": "file_complaint", "topic": "other", "confidence": 0.9, "handoff": False}
            messages = [{"text": "请问您要投诉哪家单位？"}]
        else:
            meta = {"intent": "nlu_fallback", "topic": "other", "confidence": 0.2, "handoff": False}
            messages = [{"text": "抱歉，我没能理解您的问题。"}]
        rows.append(events.turn(channel, conversation, rng.choice(MISSES), meta, messages,
                                rng.uniform(0.05, 0.9), region, at + 30 * k))
        if meta["handoff"]:
            agent = rng.choice(AGENTS)
            rows.append(events.handoff(schema.HANDOFF_QUEUED, channel, conversation, at=at + 31 * k))
            rows.append(events.handoff(schema.HANDOFF_TAKEN, channel, conversation, agent,
                                       rng.uniform(5, 300), at=at + 60 * k + 40))
            rows.append(events.handoff(schema.HANDOFF_CLOSED, channel, conversation, agent,
                                       rng.uniform(60, 900), at=at + 60 * k + 400))
            break
    if channel != "voice" and rng.random() < 0.3:
        rows.append(events.satisfaction(channel, conversation, rng.choice((1, 3, 4, 5, 5, None)),
                                        at=at + 600))  # None: asked, never answered
    return rows
