"""Event rows, made from what the gateway already has: pure functions, no I/O.

Nothing raw goes in. The conversation is the gateway's pseudonym; question text is kept
only where a knowledge-base maintainer needs it (turns the bot did not answer, or
answered with low confidence), and then only after tokens of personal numbers have
become placeholders and the masking pass has run (docs/analytics.md, "Personal data").
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from channels.analytics import schema
from channels.masking import mask_text
from channels.pii import TOKEN

BEIJING = ZoneInfo("Asia/Shanghai")
# Below this the answer is worth a maintainer's look even though the bot gave one.
LOW_CONFIDENCE = 0.6
MAX_TEXT = 200
COMPLAINT_INTENTS = frozenset({"file_complaint"})
PLACEHOLDERS = {"ID": "[身份证号]", "CARD": "[银行卡号]", "PHONE": "[手机号]", "NAME": "[姓名]",
                "CODE": "[验证码]"}
_EDGE_PUNCTUATION = re.compile(r"^[\s\W_]+|[\s\W_]+$")
_SPACES = re.compile(r"\s+")

Row = dict[str, Any]


def when(at: float | None = None) -> dict[str, Any]:
    """``at``, ``day`` and ``hour`` (Beijing) of an event."""
    at = time.time() if at is None else at
    local = dt.datetime.fromtimestamp(at, BEIJING)
    return {"at": at, "day": local.date().isoformat(), "hour": local.hour}


def clean_text(text: str) -> str:
    """Question text as stored and grouped: placeholders for personal numbers, masking
    as the backstop, width and case folded, spaces collapsed, edge punctuation gone."""
    text = TOKEN.sub(lambda m: PLACEHOLDERS[m.group(1)], text)
    text = mask_text(unicodedata.normalize("NFKC", text)).lower()
    text = _EDGE_PUNCTUATION.sub("", _SPACES.sub(" ", text))
    return text[:MAX_TEXT]


def outcome(meta: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]) -> str:
    """answered / clarified (closest questions offered as buttons) / fallback / handoff."""
    if meta.get("handoff"):
        return "handoff"
    if meta.get("intent") in (None, "nlu_fallback"):
        offered = any(len(m.get("buttons") or []) > 1 for m in messages)
        return "clarified" if offered else "fallback"
    return "answered"


def turn(channel: str, conversation: str, text: str, meta: Mapping[str, Any],
         messages: Sequence[Mapping[str, Any]], latency_s: float, region: str | None,
         at: float | None = None) -> Row:
    result = outcome(meta, messages)
    confidence = meta.get("confidence")
    unsure = result in ("clarified", "fallback") or (
        result == "answered" and meta.get("faq_id") is not None
        and isinstance(confidence, (int, float)) and confidence < LOW_CONFIDENCE)
    return {
        "kind": schema.TURN, **when(at), "channel": channel, "conversation": conversation,
        "region": region, "topic": meta.get("topic"), "intent": _short(meta.get("intent"), 64),
        "faq_id": _short(meta.get("faq_id"), 96),
        "confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        "outcome": result, "latency_ms": round(latency_s * 1000, 1),
        "text": (clean_text(text) or None) if unsure and text else None,
    }


def satisfaction(channel: str, conversation: str, score: int | None, comment: str = "",
                 at: float | None = None) -> Row:
    """``score`` None: asked, and no answer came."""
    return {"kind": schema.SATISFACTION, **when(at), "channel": channel,
            "conversation": conversation, "score": None if score is None else int(score),
            "text": clean_text(comment) or None}


def handoff(kind: str, channel: str, conversation: str, agent: str | None = None,
            duration_s: float | None = None, reason: str | None = None,
            topic: str | None = None, at: float | None = None) -> Row:
    if kind not in (schema.HANDOFF_QUEUED, schema.HANDOFF_TAKEN, schema.HANDOFF_CLOSED,
                    schema.HANDOFF_CANCELLED):
        raise ValueError(f"not a handoff event kind: {kind}")
    return {"kind": kind, **when(at), "channel": channel, "conversation": conversation,
            "agent": _short(agent, 64), "duration_s": duration_s, "reason": _short(reason, 64),
            "topic": topic}


def call(kind: str, conversation: str, answered_by: str | None = None,
         duration_s: float | None = None, region: str | None = None, at: float | None = None) -> Row:
    """``call_offered`` when a call reaches the system; ``call_answered`` when the bot or
    a human picks it up (``answered_by``: ``bot`` or the agent's user name)."""
    if kind not in (schema.CALL_OFFERED, schema.CALL_ANSWERED):
        raise ValueError(f"not a call event kind: {kind}")
    return {"kind": kind, **when(at), "channel": "voice", "conversation": conversation,
            "agent": _short(answered_by, 64), "duration_s": duration_s, "region": region}


def _short(value: Any, limit: int) -> str | None:
    return None if value in (None, "") else str(value)[:limit]
