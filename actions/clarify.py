"""When the bot is not sure what was asked: offer the three closest questions as
buttons, and a way to a human, instead of guessing or giving up."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from hotline import paths
from hotline.kb import Entry, load

HUMAN_BUTTON = {"title": "都不是，转人工", "payload": "转人工"}
ASK = (
    "抱歉，我不太确定您想问的是哪个问题。您是想了解下面哪一项？"
    "点击即可查看；都不是的话，可以换个说法再问我。"
)
GIVE_UP = "抱歉，我没能理解您的问题。您可以换个说法再问一次，或者输入“转人工”由人工客服为您解答。"


@lru_cache(maxsize=1)
def _entries() -> dict[str, Entry]:
    return load(paths.KB).by_id()


def closest(parse_data: Dict[str, Any], limit: int = 3) -> List[Entry]:
    """The best-ranked knowledge-base entries for a message, most likely first."""
    ranking = ((parse_data.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    entries = _entries()
    found: List[Entry] = []
    for item in ranking:
        faq_id = str(item.get("intent_response_key", "")).split("/", 1)[-1]
        if faq_id in entries and entries[faq_id] not in found:
            found.append(entries[faq_id])
        if len(found) == limit:
            break
    return found


class ActionClarifyQuestion(Action):
    def name(self) -> str:
        return "action_clarify_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        options = closest(tracker.latest_message or {})
        if not options:
            dispatcher.utter_message(text=GIVE_UP)
            return []
        buttons = [{"title": e.title, "payload": e.title} for e in options] + [HUMAN_BUTTON]
        dispatcher.utter_message(text=ASK, buttons=buttons)
        return []
