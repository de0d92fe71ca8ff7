"""Run by test_tracker_store.py in the bot environment (Rasa 3.6): a long conversation
through :class:`bot.tracker_store.BoundedRedisTrackerStore` on a real Redis, then what
Rasa reads back, as JSON on stdout. Usage: ``probe_tracker_store.py PORT TURNS [vanilla]``
(``vanilla``: Rasa's own ``RedisTrackerStore``, for BENCHMARKS.md's comparison)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import MAX_EVENTS, BoundedRedisTrackerStore


def turn(n: int) -> list:
    return [UserUttered(f"第{n}个问题", {"name": "faq", "confidence": 0.9}),
            ActionExecuted("utter_faq"), BotUttered(f"第{n}个答复"), ActionExecuted("action_listen")]


async def main(port: int, turns: int, vanilla: bool) -> None:
    domain = Domain.load("bot/domain")
    kind = RedisTrackerStore if vanilla else BoundedRedisTrackerStore  # vanilla: for comparison
    store = kind(domain, host="127.0.0.1", port=port, key_prefix="rasa",
                                     record_exp=600)
    sender = "probe-conversation"
    start = [ActionExecuted("action_session_start"), SessionStarted(),
             SlotSet("session_started_metadata", {"channel": "webchat"}),
             ActionExecuted("action_listen")]
    await store.save(DialogueStateTracker.from_events(sender, start, domain.slots))
    sizes, saves_ms = [], []
    for n in range(turns):
        tracker = await store.retrieve(sender)
        events = turn(n)
        if n == 3:  # a form begun early and still open at the end
            events[1:1] = [ActionExecuted("booking_form"), ActiveLoop("booking_form"),
                           SlotSet("booking_service", "社保卡补办"),
                           SlotSet("requested_slot", "booking_hall")]
        if n == 10:  # an agent took over (and the gateway kept the messages coming)
            events.append(ConversationPaused())
        for event in events:
            tracker.update(event)
        started = time.perf_counter()
        await store.save(tracker)
        saves_ms.append((time.perf_counter() - started) * 1000)
        sizes.append(len(store.red.get(store.key_prefix + sender)))
    back = await store.retrieve(sender)
    read = {"events": len(back.events), "largest_bytes": max(sizes), "bytes_at_end": sizes[-1],
            "slots": {k: v for k, v in back.current_slot_values().items() if v is not None},
            "active_loop": back.active_loop_name, "paused": back.is_paused(),
            "latest_text": back.latest_message.text, "latest_bot": back.latest_bot_utterance.text,
            "save_ms_first20": round(sorted(saves_ms[:20])[10], 2),
            "save_ms_last20": round(sorted(saves_ms[-20:])[10], 2)}
    # An hour later a new session starts (Rasa's ActionSessionStart carries slots over).
    for event in [ActionExecuted("action_session_start"), SessionStarted(),
                  SlotSet("booking_service", "社保卡补办"), ActionExecuted("action_listen"),
                  *turn(turns)]:
        back.update(event)
    await store.save(back)
    again = await store.retrieve_full_tracker(sender)  # everything stored, all sessions
    sessions = sum(isinstance(e, SessionStarted) for e in again.events)
    print(json.dumps({"max_events": MAX_EVENTS, **read, "next_session": {
        "stored_events": len(again.events), "sessions_stored": sessions,
        "latest_text": again.latest_message.text,
        "booking_service": again.get_slot("booking_service")}}, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] == ["vanilla"]))
