"""Asking for a human: during agent hours a typed handoff request, outside them an honest
answer with the hours and the ways to get help now."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.hours import from_env
from actions.identity import identity_of


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        hours = from_env()
        identity = identity_of(tracker)
        now = dt.datetime.now(dt.timezone.utc)
        handoff = {
            "type": "handoff",
            "reason": "citizen_request",
            "identity_level": identity.level,
            "within_hours": hours.is_open(now),
        }
        if handoff["within_hours"]:
            dispatcher.utter_message(
                text="好的，正在为您转接人工客服，请稍候。接通前您可以先简要描述您的问题，方便客服为您处理。",
                json_message=handoff,
            )
        else:
            dispatcher.utter_message(
                text=(
                    f"现在是非工作时间，人工客服的服务时间为{hours.describe()}（法定节假日除外）。"
                    "您可以继续向我提问，我会7×24小时为您解答；也可以留下您的问题，"
                    "工作时间会有工作人员跟进。"
                ),
                json_message=handoff,
            )
        return []
