"""Booking an appointment at a service hall (服务网点) as a form: service, hall, date and
time said in Chinese, a confirmation, then the booking.

The form's answers are codes, never personal data: a service code, a hall id, a time.
Booking needs a verified citizen (the business system books for the person on record and
confirms to the phone on record); rescheduling goes by 预约号 and reuses this form
(``actions/appointments.py`` starts it with the booking's service and hall filled in).

The Idempotency-Key is derived from the conversation, the message that started this
booking and the chosen slot, so a retried submission — Rasa repeating the action, the
client repeating the request, or the citizen confirming again after the business system
was down — books once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Callable, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import dates
from actions.business import reply_with_human, shared_client
from actions.business_client import (
    BusinessClient,
    BusinessConflictError,
    BusinessError,
    BusinessUnavailableError,
)
from actions.complaint import confirmation
from actions.identity import identity_of
from business import schemas

FORM = "booking_form"
SLOTS = ("booking_service", "booking_hall", "booking_time", "booking_confirmed", "booking_day",
         "booking_slot_id", "booking_summary", "booking_reschedule_no")
STARTERS = ("book_appointment", "reschedule_appointment")
LEAVING = ("cancel", "request_human", "file_complaint", "cancel_appointment")
WEEKDAYS = "一二三四五六日"
OFFERED = 4

# The business types of the reference system (business.catalog.KINDS), as citizens say them.
SERVICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "social_security_card": ("社保卡申领/补换", ("社保卡", "社会保障卡", "补卡", "换卡", "办卡")),
    "unemployment_benefit": ("失业保险金申领", ("失业",)),
    "pension_transfer": ("养老保险关系转移接续", ("转移", "接续", "转续", "转关系")),
    "retirement": ("退休申请", ("退休",)),
    "work_injury": ("工伤认定", ("工伤",)),
    "skill_subsidy": ("职业技能提升补贴", ("技能", "补贴")),
    "startup_loan": ("创业担保贷款", ("创业", "贷款")),
}
BRING = {
    "social_security_card": "本人有效身份证件原件；补换卡的请带上原社保卡（已挂失的除外）",
    "unemployment_benefit": "本人有效身份证件原件、社会保障卡，以及解除或终止劳动关系的证明",
    "pension_transfer": "本人有效身份证件原件、社会保障卡，以及转出地开具的参保缴费凭证",
    "retirement": "本人有效身份证件原件、社会保障卡，以及单位或档案存放机构出具的相关材料",
    "work_injury": "工伤认定申请表、劳动关系证明、医疗诊断证明，以及受伤职工的有效身份证件",
    "skill_subsidy": "本人有效身份证件原件、社会保障卡，以及职业资格证书或职业技能等级证书",
    "startup_loan": "本人有效身份证件原件、营业执照，以及创业项目的相关材料",
}
OFFICE = ((dt.time(9, 0), dt.time(12, 0)), (dt.time(13, 30), dt.time(17, 0)))
OFFICE_TEXT = "工作日 9:00-12:00、13:30-17:00"
NEEDS_VERIFIED = "在线预约需要先核实身份，核实后系统会按您登记的信息预约，并把预约短信发到您登记的手机。"


def beijing_now() -> dt.datetime:
    return dt.datetime.now(dates.BEIJING)


def service_in(text: str) -> str | None:
    """The service code ``text`` names (a code, a name or a word citizens use), or None."""
    text = text.strip()
    if text in SERVICES:
        return text
    for code, (name, words) in SERVICES.items():
        if name in text or any(word in text for word in words):
            return code
    return None


def service_buttons() -> list[dict[str, str]]:
    return [{"title": name, "payload": name} for name, _ in SERVICES.values()]


def matching_halls(halls: list[schemas.HallOut], text: str) -> list[schemas.HallOut]:
    """Halls ``text`` names: by id, by (part of) the name, else by district ("朝阳区的网点")."""
    text = text.strip()
    by_id = [h for h in halls if h.hall_id == text.upper()]
    if by_id:
        return by_id
    by_name = [h for h in halls if h.name in text or (len(text) >= 4 and text in h.name)]
    if by_name:
        return by_name
    return [h for h in halls if h.district in text or h.district.removesuffix("区") in text]


def hall_part(hall: schemas.HallOut, service: str) -> str:
    name = SERVICES[service][0] if service in SERVICES else service
    return f"网点：{hall.name}\n地址：{hall.address}\n业务：{name}"


def day_text(day: dt.date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def slot_text(slot: schemas.SlotOut) -> str:
    return f"{day_text(slot.date)}{slot.start}-{slot.end}"


def slot_button(slot: schemas.SlotOut) -> dict[str, str]:
    # The payload is said back as text: dates.parse reads "11月4日10:30".
    return {"title": f"{day_text(slot.date)}{slot.start}",
            "payload": f"{slot.date.month}月{slot.date.day}日{slot.start}"}


def _starts(slot: schemas.SlotOut) -> dt.datetime:
    return dt.datetime.combine(slot.date, dt.time.fromisoformat(slot.start))


def nearest(free: list[schemas.SlotOut], wanted: dt.datetime, count: int = OFFERED) -> list[schemas.SlotOut]:
    """The free slots closest to ``wanted``, in time order."""
    closest = sorted(free, key=lambda s: (abs((_starts(s) - wanted).total_seconds()), _starts(s)))[:count]
    return sorted(closest, key=_starts)


def in_office_hours(time: dt.time) -> bool:
    return any(start <= time < end for start, end in OFFICE)


def booking_started_at(tracker: Tracker) -> str:
    """When the citizen asked for this booking (or rescheduling): stable while the form is
    left and resumed, new for the next booking."""
    for event in reversed(tracker.events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if event.get("event") == "user" and intent in STARTERS:
            return str(event.get("timestamp"))
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == FORM:
            return str(event.get("timestamp"))
    return "unknown"


def idempotency_key(tracker: Tracker) -> str:
    seed = (f"booking:{tracker.sender_id}:{booking_started_at(tracker)}:"
            f"{tracker.get_slot('booking_reschedule_no') or ''}:{tracker.get_slot('booking_slot_id')}")
    return hashlib.sha256(seed.encode()).hexdigest()[:40]


def reset() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in SLOTS]


def _latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


class ValidateBookingForm(FormValidationAction):
    def __init__(self, client: BusinessClient | None = None,
                 clock: Callable[[], dt.datetime] = beijing_now) -> None:
        self._client = client
        self._clock = clock

    def name(self) -> str:
        return "validate_booking_form"

    @property
    def client(self) -> BusinessClient:
        return self._client or shared_client()

    async def extract_booking_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if (tracker.get_slot("requested_slot") != "booking_confirmed"
                or tracker.get_slot("booking_confirmed") is not None or intent in LEAVING):
            return {}
        answer = confirmation(_latest_text(tracker).replace("修改", "否"))
        return {} if answer is None else {"booking_confirmed": answer}

    async def validate_booking_service(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value is None:
            return {"booking_service": None}
        code = service_in(str(value))
        if code is None:
            dispatcher.utter_message(text="抱歉，没听清您要办理哪项业务。")
        return {"booking_service": code}

    async def validate_booking_hall(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value is None:
            return {"booking_hall": None}
        service = str(tracker.get_slot("booking_service") or "")
        try:
            halls = await self.client.halls(service=service or None)
        except BusinessUnavailableError as exc:
            reply_with_human(dispatcher, exc.message)
            return {"booking_hall": None}
        except BusinessError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"booking_hall": None}
        said = str(value or "")
        found = matching_halls(halls, said)
        if len(found) == 1 and service in SERVICES:
            return {"booking_hall": found[0].hall_id, "booking_summary": hall_part(found[0], service)}
        if not found:
            dispatcher.utter_message(text=f"没有找到与“{said[:20]}”对应、可以办理这项业务的网点。")
        return {"booking_hall": None}   # several match: action_ask_booking_hall offers those

    async def validate_booking_time(self, value: Any, dispatcher: CollectingDispatcher,
                                    tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value is None:
            return {"booking_time": None}
        said = str(value)
        day = tracker.get_slot("booking_day")
        try:
            when = self._parse(said, day)
        except dates.DateError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"booking_time": None}
        hall, service = str(tracker.get_slot("booking_hall")), str(tracker.get_slot("booking_service"))
        try:
            free = await self.client.slots(hall, service)
        except BusinessUnavailableError as exc:
            # The answers so far stay: once the system is back, the citizen says the time again.
            reply_with_human(dispatcher, exc.message)
            return {"booking_time": None}
        except BusinessError as exc:
            dispatcher.utter_message(text=exc.message)
            return {"booking_time": None}
        on_day = [s for s in free if s.date == when.date]
        if when.time is not None:
            wanted = dt.datetime.combine(when.date, when.time)
            chosen = [s for s in on_day if _starts(s) <= wanted < dt.datetime.combine(
                s.date, dt.time.fromisoformat(s.end))]
            if chosen:
                return self._chosen(tracker, chosen[0])
            why = ("已约满" if in_office_hours(when.time)
                   else f"不在服务大厅的办公时间（{OFFICE_TEXT}）")
            return self._offer(dispatcher, free, wanted, f"{day_text(when.date)}{when.time:%H:%M}{why}。")
        period = [s for s in on_day if when.period is None
                  or (when.period == "上午") == (dt.time.fromisoformat(s.start) < dt.time(12))]
        if period:
            dispatcher.utter_message(
                text=(f"{day_text(when.date)}{when.period or ''}"
                      "还可以预约的时段如下，请选择一个（也可以直接说几点）："),
                buttons=[slot_button(s) for s in period[:8]])
            return {"booking_time": None, "booking_day": when.date.isoformat()}
        start = dt.time(13, 30) if when.period == "下午" else dt.time(9)
        return self._offer(dispatcher, free, dt.datetime.combine(when.date, start),
                           f"{day_text(when.date)}{when.period or ''}已经约满了。")

    async def validate_booking_confirmed(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        if value is not False:
            return {"booking_confirmed": value}
        cleared: Dict[str, Any] = {"booking_confirmed": None, "booking_time": None,
                                   "booking_slot_id": None, "booking_day": None}
        if tracker.get_slot("booking_reschedule_no"):
            dispatcher.utter_message(text="好的，我们重新选择时间。")
            return cleared
        dispatcher.utter_message(text="好的，我们重新选择网点和时间。")
        return {**cleared, "booking_hall": None}

    def _parse(self, said: str, day: Any) -> dates.When:
        now = self._clock()
        try:
            return dates.parse(said, now)
        except dates.DateError:
            if not day:
                raise
            known = dt.date.fromisoformat(str(day))   # "10点半" after the day was chosen
            return dates.parse(f"{known.month}月{known.day}日{said}", now)

    @staticmethod
    def _chosen(tracker: Tracker, slot: schemas.SlotOut) -> Dict[str, Any]:
        summary = str(tracker.get_slot("booking_summary") or "").split("\n时间：")[0]
        return {"booking_time": f"{slot.date.isoformat()} {slot.start}", "booking_slot_id": str(slot.slot_id),
                "booking_day": None, "booking_summary": f"{summary}\n时间：{slot_text(slot)}"}

    @staticmethod
    def _offer(dispatcher: CollectingDispatcher, free: list[schemas.SlotOut], wanted: dt.datetime,
               why: str) -> Dict[str, Any]:
        options = nearest(free, wanted)
        if not options:
            reply_with_human(dispatcher, f"{why}这个网点近两周的时段都已约满，"
                                         "您可以换一个网点，或转人工咨询。")
            return {"booking_time": None}
        dispatcher.utter_message(text=f"{why}离您想约的时间最近的空闲时段有以下几个，请选择一个，或告诉我其他时间：",
                                 buttons=[slot_button(s) for s in options])
        return {"booking_time": None, "booking_day": None}


class ActionStartBooking(Action):
    """Verification first: the booking is made for the person on record. The form starts
    only for a verified citizen, so that a citizen who does not verify is not left in a
    form that takes their next question for a service's name."""

    def name(self) -> str:
        return "action_start_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        identity = identity_of(tracker)
        if identity.level != "verified" or not identity.record_ref:
            dispatcher.utter_message(text=NEEDS_VERIFIED + "核实完成后，请再说一次“我要预约”。",
                                     json_message={"type": "verify", "level": "verified"})
            return []
        return [*reset(), FollowupAction(FORM)]


class ActionAskBookingService(Action):
    def name(self) -> str:
        return "action_ask_booking_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="好的，我来帮您预约到服务大厅办理，随时回复“取消”可以停止。请问您要办理哪项业务？",
                                 buttons=service_buttons())
        return []


class ActionAskBookingHall(Action):
    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_ask_booking_hall"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        service = str(tracker.get_slot("booking_service") or "")
        try:
            halls = await (self._client or shared_client()).halls(service=service or None)
        except BusinessError as exc:
            reply_with_human(dispatcher, exc.message)
            return []
        name = SERVICES[service][0] if service in SERVICES else "这项业务"
        said = _latest_text(tracker)
        several = matching_halls(halls, said) if tracker.get_slot("requested_slot") == "booking_hall" else []
        if len(several) > 1:
            text = f"有{len(several)}个网点符合，都可以办理{name}，请选择一个："
            halls = several
        else:
            text = f"以下网点可以办理{name}，请选择一个，也可以说区县名称，例如“朝阳区的网点”："
        dispatcher.utter_message(text=text, buttons=[{"title": f"{h.name}（{h.address}）", "payload": h.name}
                                                     for h in halls])
        return []


class ActionSubmitBooking(Action):
    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_submit_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot("booking_confirmed") is not True or not tracker.get_slot("booking_slot_id"):
            dispatcher.utter_message(text="好的，本次预约没有提交。如需重新预约，请说“我要预约”。")
            return reset()
        client = self._client or shared_client()
        slot_id = int(str(tracker.get_slot("booking_slot_id")))
        moving = tracker.get_slot("booking_reschedule_no")
        key = idempotency_key(tracker)
        try:
            if moving:
                done = await client.reschedule(str(moving), slot_id, idempotency_key=key)
            else:
                identity = identity_of(tracker)
                if identity.level != "verified" or not identity.record_ref:
                    dispatcher.utter_message(text=NEEDS_VERIFIED + "核实完成后，请再说一次“我要预约”。",
                                             json_message={"type": "verify", "level": "verified"})
                    return reset()
                channel = (tracker.get_latest_input_channel() or "webchat")[:16]
                done = await client.book(slot_id, idempotency_key=key, person_ref=identity.record_ref,
                                         channel=channel)
        except BusinessConflictError as exc:
            # Taken by someone else since it was offered: choose another time, nothing else lost.
            dispatcher.utter_message(text=f"抱歉，{exc.message}")
            return [SlotSet("booking_time", None), SlotSet("booking_slot_id", None),
                    SlotSet("booking_confirmed", None), FollowupAction(FORM)]
        except BusinessUnavailableError as exc:
            # Everything said is kept: the confirmation is asked again, and a second "是"
            # carries the same Idempotency-Key, so a booking that did go through is not repeated.
            reply_with_human(dispatcher, exc.message
                             + "您填写的预约信息已为我们保留，稍后回复“是”可以再次提交。")
            return [SlotSet("booking_confirmed", None), FollowupAction(FORM)]
        except BusinessError as exc:
            reply_with_human(dispatcher, f"抱歉，预约没有成功：{exc.message}")
            return reset()
        dispatcher.utter_message(text=describe(done, rescheduled=bool(moving)))
        dispatcher.utter_message(json_message={"type": "notify", "channel": "sms", "kind": "booking",
                                               "text": sms_text(done, rescheduled=bool(moving))})
        return reset()


def describe(done: schemas.AppointmentOut, rescheduled: bool = False) -> str:
    no = done.booking_no
    head = f"改期成功，预约号不变：{no}" if rescheduled else f"预约成功！预约号：{no}"
    return (f"{head}\n网点：{done.hall.name}\n地址：{done.hall.address}\n"
            f"时间：{day_text(done.date)}{done.start}-{done.end}\n业务：{done.service_name}\n"
            f"请携带：{BRING.get(done.service, '本人有效身份证件原件')}（具体以网点要求为准）。\n"
            f"请提前10分钟到达。如需取消或改期，请发送“取消预约 {no}”或“改约 {no}”。")


def sms_text(done: schemas.AppointmentOut, rescheduled: bool = False) -> str:
    verb = "已改期至" if rescheduled else "已预约"
    return (f"您{verb}{done.date.month}月{done.date.day}日{done.start}到{done.hall.name}"
            f"（{done.hall.address}）办理{done.service_name}，预约号{done.booking_no}。"
            f"请携带{BRING.get(done.service, '本人有效身份证件原件')}。")


class ActionCancelBooking(Action):
    """"取消" while booking: nothing was booked."""

    def name(self) -> str:
        return "action_cancel_booking"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="好的，已退出预约，没有提交任何预约。请问还有什么可以帮您？")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset()]
