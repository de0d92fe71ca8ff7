"""What the business actions share: the one business-system client of the action server,
the way to a human, and finding a number in what the citizen typed.

The client is created on first use, not at import (rasa-sdk imports every module here at
start-up, before the environment may be complete); tests hand each action a client.
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Dict, List, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.business_client import (
    BusinessClient,
    BusinessError,
    BusinessNotFoundError,
    BusinessUnavailableError,
)

T = TypeVar("T")

HUMAN_BUTTON = {"title": "转人工", "payload": "/request_human"}

_client: BusinessClient | None = None

# Loose on purpose: anything that looks like two letters and a run of digits, so that a
# mistyped number is explained rather than ignored. business.numbers decides validity.
_NUMBER_LIKE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}(?:[ \-]?\d){6,20})(?![0-9])")


def shared_client() -> BusinessClient:
    global _client
    if _client is None:
        _client = BusinessClient.from_env()
    return _client


def entity(tracker: Tracker, name: str) -> str | None:
    for item in (tracker.latest_message or {}).get("entities") or []:
        if item.get("entity") == name and isinstance(item.get("value"), str):
            return str(item["value"])
    return None


def number_in(text: str) -> str | None:
    """The first thing in ``text`` that looks like a business number, as typed."""
    match = _NUMBER_LIKE.search(text or "")
    return match.group(1) if match else None


def reply_with_human(dispatcher: CollectingDispatcher, text: str) -> None:
    dispatcher.utter_message(text=text, buttons=[HUMAN_BUTTON])


async def answered(dispatcher: CollectingDispatcher, call: Awaitable[T],
                   not_found: str | None = None) -> T | None:
    """The business system's answer, or None once the citizen has been told what went
    wrong: nothing found (``not_found``, with a way to a human), the system down (its
    Chinese message and a human), anything else (its message as it is)."""
    try:
        return await call
    except BusinessNotFoundError as exc:
        reply_with_human(dispatcher, not_found or exc.message)
    except BusinessUnavailableError as exc:
        reply_with_human(dispatcher, exc.message)
    except BusinessError as exc:
        dispatcher.utter_message(text=exc.message)
    return None


Events = List[Dict[str, Any]]
