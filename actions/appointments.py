"""Cancelling and rescheduling an appointment by its 预约号, and leaving a form when the
citizen asks for something else in the middle of it (转人工, 投诉).

Rescheduling reuses the booking form: this action fills in the booking's service and hall
and starts the form, which asks for the new time and a confirmation; the submission then
moves the booking instead of making a new one.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import booking, complaint
from actions.business import answered, entity, shared_client
from actions.business_client import BusinessClient
from actions.identity import identity_of
from business import schemas
from business.numbers import normalize_booking_no

FORMAT_HELP = "预约号共16位：YY加8位预约日期和6位序号，例如 YY20261103000007，在预约成功的回复和短信里。"
_BOOKING_LIKE = re.compile(r"(?<![A-Za-z0-9])([Yy]{2}(?:[ \-]?\d){6,20})(?![0-9])")


def booking_no_in(tracker: Tracker) -> str | None:
    found = entity(tracker, "booking_no")
    if found:
        return found
    match = _BOOKING_LIKE.search(str((tracker.latest_message or {}).get("text") or ""))
    return match.group(1) if match else None


def not_found(number: str) -> str:
    return (f"没有查到预约号为 {number} 的预约。请核对预约成功时告知您的预约号是否输入正确；"
            "也可以转人工客服帮您查询。")


def when(done: schemas.AppointmentOut) -> str:
    return f"{booking.day_text(done.date)}{done.start}-{done.end}"


class _ByNumber:
    """What cancelling and rescheduling share; not an Action itself (rasa-sdk registers
    every subclass of Action, and this one has no name)."""

    ask = ""
    verb = ""

    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> BusinessClient:
        return self._client or shared_client()

    async def number(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> str | None:
        raw = booking_no_in(tracker)
        if raw is None:
            identity = identity_of(tracker)
            if identity.level == "verified" and identity.record_ref:
                await self._offer_mine(dispatcher, identity.record_ref)
            else:
                dispatcher.utter_message(text=f"{self.ask}{FORMAT_HELP}")
            return None
        number = normalize_booking_no(raw)
        if number is None:
            dispatcher.utter_message(text=f"您发送的“{raw}”不是有效的预约号。{FORMAT_HELP}")
        return number

    async def _offer_mine(self, dispatcher: CollectingDispatcher, person_ref: str) -> None:
        """A verified citizen picks from their own bookings instead of typing a number."""
        mine = await answered(dispatcher, self.client.person_appointments(person_ref))
        if mine is None:
            return
        if not mine:
            dispatcher.utter_message(text="没有查到您名下尚未到期的预约。如需预约，请说“我要预约”。")
            return
        dispatcher.utter_message(
            text=f"您名下有{len(mine)}个预约，请选择要{self.verb}的一个：",
            buttons=[{"title": f"{when(a)} {a.hall.name}（{a.service_name}）",
                      "payload": f"{'取消预约' if self.verb == '取消' else '改约'} {a.booking_no}"}
                     for a in mine[:8]])


class ActionCancelAppointment(_ByNumber, Action):
    ask = "请把要取消的预约号发给我，例如“取消预约 YY20261103000007”。"
    verb = "取消"

    def name(self) -> str:
        return "action_cancel_appointment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        number = await self.number(dispatcher, tracker)
        if number is None:
            return []
        done = await answered(dispatcher, self.client.cancel(number), not_found=not_found(number))
        if done is not None:
            dispatcher.utter_message(text=(
                f"已为您取消预约 {done.booking_no}：{when(done)}，{done.hall.name}，{done.service_name}。"
                "名额已释放；如需重新预约，请说“我要预约”。"))
        return []


class ActionStartReschedule(_ByNumber, Action):
    ask = "请把要改期的预约号发给我，例如“改约 YY20261103000007”。"
    verb = "改期"

    def name(self) -> str:
        return "action_start_reschedule"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        number = await self.number(dispatcher, tracker)
        if number is None:
            return []
        done = await answered(dispatcher, self.client.appointment(number), not_found=not_found(number))
        if done is None:
            return []
        if done.status != "booked":
            dispatcher.utter_message(text=f"预约 {done.booking_no} 已取消，不能改期；"
                                          "如需办理，请说“我要预约”重新预约。")
            return []
        dispatcher.utter_message(text=f"您的预约 {done.booking_no}：{when(done)}，{done.hall.name}，"
                                      f"{done.service_name}。改期只能改到同一业务的其他时段。")
        return [*booking.reset(), SlotSet("booking_reschedule_no", done.booking_no),
                SlotSet("booking_service", done.service), SlotSet("booking_hall", done.hall.hall_id),
                SlotSet("booking_summary", booking.hall_part(done.hall, done.service)),
                FollowupAction(booking.FORM)]


class ActionLeaveForm(Action):
    """Silently out of whichever form is running, its answers forgotten; the rule that
    called this then does what the citizen asked for."""

    def name(self) -> str:
        return "action_leave_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), *booking.reset(), *complaint.reset()]
