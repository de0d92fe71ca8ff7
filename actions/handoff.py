"""Asking for a human: during agent hours a typed handoff request, outside them an honest
answer with the hours and the ways to get help now."""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import identity_of
from hotline.workhours import from_env

# Handled by the gateway, which alone may file a ticket for the citizen's number.
CALLBACK_PAYLOAD = "/request_callback"


class ActionRequestHuman(Action):
    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        identity = identity_of(tracker)
        hours = from_env(identity.region)
        now = dt.datetime.now(dt.timezone.utc)
        handoff = {
            "type": "handoff",
            "reason": "citizen_request",
            "identity_level": identity.level,
            "within_hours": hours.is_open(now),
        }
        phone = tracker.get_latest_input_channel() == "voice"
        if handoff["within_hours"]:
            dispatcher.utter_message(
                text="好的，正在为您转接人工客服，请稍候。" if phone else
                "好的，正在为您转接人工客服，请稍候。接通前您可以先简要描述您的问题，方便客服为您处理。",
                json_message=handoff,
            )
        elif phone:
            opens = hours.next_opening(now)
            handoff["next_opening"] = opens.isoformat()
            dispatcher.utter_message(
                text=(f"现在是非工作时间，人工客服{opens.month}月{opens.day}日{opens:%H:%M}上班。"
                      "您可以继续问我，我全天为您解答；也可以在工作时间再拨打12333。"),
                json_message=handoff,
            )
        else:
            opens = hours.next_opening(now)
            handoff["next_opening"] = opens.isoformat()
            dispatcher.utter_message(
                text=(
                    f"现在是非工作时间，人工客服的服务时间为{hours.describe()}，"
                    f"下次上班是{opens.month}月{opens.day}日 {opens:%H:%M}。"
                    "您可以继续向我提问，我会7×24小时为您解答；也可以回复“回电”预约人工回电，"
                    "工作人员会在工作时间联系您。"
                ),
                buttons=[{"title": "预约人工回电", "payload": CALLBACK_PAYLOAD}],
                json_message=handoff,
            )
        return []
