"""Rasa's Redis tracker store, bounded: the latest session only, compacted when long.

Rasa 3.6's ``RedisTrackerStore`` keeps every event of every session until ``record_exp``
and, on every save, reads the whole stored conversation back to merge it with the one in
memory; with more than one session stored the merge compares each new event with every
stored one. A WeChat or SMS citizen keeps one conversation for months, and one busy web
chat session only grows: in the soak 243 turns of one session were 2.6 MB in Redis and
each turn took seconds of Rasa's single event loop, so everyone waited (issue 13).

This store writes only the latest conversation session (what Rasa's ``retrieve`` returns
anyway and what the handoff context reads; the gateway's outbox and analytics are the
record), and a session longer than :data:`MAX_EVENTS` is compacted: a snapshot of the
state before its last :data:`KEEP_EVENTS` events — slots, active form, paused for an agent
— then those events unchanged. The dialogue policies look back a few turns only.
Configured in ``bot/endpoints.yml`` (``type: bot.tracker_store.BoundedRedisTrackerStore``).
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import (
    DialogueStateTracker,
    get_trackers_for_conversation_sessions,
)

# About 60 turns (five events a turn, ~10 KB in Redis each); a citizen's session is far
# shorter, so only a conversation kept busy for hours, or on purpose, is ever compacted.
# TED looks back 5 turns (config.yml); memoization matches whole training stories, which
# are far shorter than a session long enough to be compacted.
MAX_EVENTS = 300
KEEP_EVENTS = 100  # about 20 turns stay exactly as they were


class BoundedRedisTrackerStore(RedisTrackerStore):
    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await self.stream_events(tracker)
        kept = bounded(tracker, self.domain.slots)
        self.red.set(self.key_prefix + tracker.sender_id, self.serialise_tracker(kept),
                     ex=timeout or self.record_exp)


def bounded(tracker: DialogueStateTracker, slots: Iterable[Slot],
            max_events: int = MAX_EVENTS, keep: int = KEEP_EVENTS) -> DialogueStateTracker:
    """``tracker``'s latest session, compacted past ``max_events``."""
    latest = _latest_session(tracker)
    if len(latest.events) <= max_events:
        return latest
    return _compacted(latest, list(slots), keep)


def _latest_session(tracker: DialogueStateTracker) -> DialogueStateTracker:
    starts = [i for i, e in enumerate(tracker.events) if _is_action(e, ACTION_SESSION_START_NAME)]
    if len(starts) < 2 and (not starts or starts[0] == 0):
        return tracker  # one session already (the usual case): nothing to rebuild
    return get_trackers_for_conversation_sessions(tracker)[-1]


def _compacted(tracker: DialogueStateTracker, slots: List[Slot], keep: int) -> DialogueStateTracker:
    events = list(tracker.events)
    cut = _turn_start(events, len(events) - keep)
    if cut is None:
        return tracker
    before = DialogueStateTracker.from_events(tracker.sender_id, events[:cut], slots)
    at = events[cut - 1].timestamp
    snapshot: List[Event] = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=at),
                             SessionStarted(timestamp=at)]
    initial = {slot.name: slot.initial_value for slot in slots}
    snapshot += [SlotSet(name, value, timestamp=at)
                 for name, value in before.current_slot_values().items()
                 if value != initial.get(name)]
    if before.active_loop_name:
        snapshot.append(ActiveLoop(before.active_loop_name, timestamp=at))
    if before.is_paused():
        snapshot.append(ConversationPaused(timestamp=at))
    snapshot.append(ActionExecuted(ACTION_LISTEN_NAME, timestamp=at))
    return DialogueStateTracker.from_events(tracker.sender_id, snapshot + events[cut:], slots,
                                            sender_source=tracker.sender_source)


def _turn_start(events: List[Event], earliest: int) -> Optional[int]:
    """The first index at or after ``earliest`` where a turn begins: a user message that
    follows ``action_listen``."""
    for i in range(max(earliest, 1), len(events)):
        if isinstance(events[i], UserUttered) and _is_action(events[i - 1], ACTION_LISTEN_NAME):
            return i
    return None


def _is_action(event: Any, name: str) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == name
