"""Complaint and report intake (投诉举报, e.g. 欠薪): the form's validation, the
submission with a ticket number and due date, and cancelling at any step.

The Idempotency-Key is derived from the conversation and the moment the form started, so
a retried submission files the same ticket instead of a second one.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.business import reply_with_human, shared_client
from actions.business_client import BusinessClient, BusinessError, BusinessUnavailableError
from actions.identity import identity_of
from business import schemas

FORM = "complaint_form"
SLOTS = ("complaint_employer", "complaint_what", "complaint_where", "complaint_when",
         "complaint_amount", "complaint_confirmed")
NO_AMOUNT = ("没有", "无", "不清楚", "不知道", "不确定", "说不清", "没")
_WAGE_WORDS = re.compile(r"欠薪|工资|工钱|薪水|薪资|讨薪|劳务费")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万|千)?")
# The gateway has replaced phone numbers and 身份证号 with tokens; the business system
# needs neither the numbers nor the tokens in a ticket's free text.
_TOKEN = re.compile(r"(ID|CARD|PHONE|NAME|CODE)TOKEN_[0-9a-f]{12}")
_LIMITS = {"complaint_employer": 200, "complaint_what": 2000, "complaint_where": 200,
           "complaint_when": 100}


def parse_amount(text: str) -> Decimal | None:
    """``"1.8万元"`` → 18000; None when no amount is given."""
    match = _AMOUNT.search(text.replace(",", "").replace("，", ""))
    if not match:
        return None
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        return None
    return value * {"万": 10000, "千": 1000}.get(match.group(2) or "", 1)


def clean(text: str, limit: int) -> str:
    return _TOKEN.sub("（号码已隐去）", text).strip()[:limit]


def ticket_kind(*texts: str) -> schemas.TicketKind:
    """Unpaid wages are a report (举报) to labour inspection; anything else a complaint."""
    return "report" if any(_WAGE_WORDS.search(t or "") for t in texts) else "complaint"


def form_started_at(tracker: Tracker) -> str:
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == FORM:
            return str(event.get("timestamp"))
    return "unknown"


def idempotency_key(tracker: Tracker) -> str:
    seed = f"complaint:{tracker.sender_id}:{form_started_at(tracker)}"
    return hashlib.sha256(seed.encode()).hexdigest()[:40]


def reset() -> List[Dict[str, Any]]:
    return [SlotSet(slot, None) for slot in SLOTS]


_YES = re.compile(r"^(是|是的|对|对的|确认|提交|好|好的|可以|没错|嗯)")
_NO = re.compile(r"^(否|不|错|有误)")


def confirmation(text: str) -> bool | None:
    """"是" / "否" as typed: the NLU may read a bare 是 as a policy question."""
    text = text.strip(" 。，！!.,")
    return True if _YES.match(text) else False if _NO.match(text) else None


class ValidateComplaintForm(FormValidationAction):
    def name(self) -> str:
        return "validate_complaint_form"

    async def extract_complaint_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if (tracker.get_slot("requested_slot") != "complaint_confirmed"
                or tracker.get_slot("complaint_confirmed") is not None
                or intent in ("cancel", "request_human", "cancel_appointment")):
            return {}
        answer = confirmation((tracker.latest_message or {}).get("text") or "")
        return {} if answer is None else {"complaint_confirmed": answer}

    async def _text(self, slot: str, value: Any) -> Dict[str, Any]:
        text = clean(str(value or ""), _LIMITS[slot])
        return {slot: text or None}

    async def validate_complaint_employer(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return await self._text("complaint_employer", value)

    async def validate_complaint_what(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return await self._text("complaint_what", value)

    async def validate_complaint_where(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return await self._text("complaint_where", value)

    async def validate_complaint_when(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        return await self._text("complaint_when", value)

    async def validate_complaint_amount(self, value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> Dict[str, Any]:
        text = str(value or "").strip()
        amount = parse_amount(text)
        if amount is not None:
            return {"complaint_amount": f"{amount.normalize():f}元"}
        if any(word in text for word in NO_AMOUNT):
            return {"complaint_amount": "不清楚" if "没" not in text and "无" not in text else "没有"}
        dispatcher.utter_message(text="请回复金额数字，例如“18000”或“1.8万”；没有或不清楚的，回复“没有”或“不清楚”。")
        return {"complaint_amount": None}


class ActionSubmitComplaint(Action):
    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        if tracker.get_slot("complaint_confirmed") is not True:
            dispatcher.utter_message(text="好的，本次投诉举报没有提交。如需重新登记，请说“我要投诉”。")
            return reset()
        request = self.request(tracker)
        try:
            ticket = await (self._client or shared_client()).file_ticket(
                request, idempotency_key=idempotency_key(tracker))
        except BusinessUnavailableError as exc:
            reply_with_human(dispatcher, exc.message)
            return reset()
        except BusinessError as exc:
            reply_with_human(dispatcher, f"抱歉，登记没有成功：{exc.message}")
            return reset()
        dispatcher.utter_message(text=(
            f"已为您登记{ticket.type_name}，工单号：{ticket.ticket_no}。"
            f"答复期限：{ticket.due_date:%Y年%m月%d日}前（{ticket.time_limit_working_days}个工作日）。"
            "请记下工单号，随时发送工单号即可查询处理情况。"))
        return reset()

    @staticmethod
    def request(tracker: Tracker) -> schemas.TicketRequest:
        def slot(name: str) -> str:
            return str(tracker.get_slot(name) or "")

        employer, what = slot("complaint_employer"), slot("complaint_what")
        kind = ticket_kind(what, employer)
        identity = identity_of(tracker)
        person_ref = identity.record_ref if identity.level == "verified" else None
        summary = f"{'举报' if kind == 'report' else '投诉'}{employer}：{what}"[:500]
        details = schemas.TicketDetails(
            who=employer or None, employer=employer or None, what=what or None,
            where=slot("complaint_where") or None, when=slot("complaint_when") or None,
            amount_owed=parse_amount(slot("complaint_amount")))
        channel = (tracker.get_latest_input_channel() or "webchat")[:16]
        return schemas.TicketRequest(type=kind, summary=summary, details=details, channel=channel,
                                     person_ref=person_ref)


class ActionCancelComplaint(Action):
    def name(self) -> str:
        return "action_cancel_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[str, Any]]:
        dispatcher.utter_message(text="好的，已取消本次投诉举报登记，没有提交任何内容。请问还有什么可以帮您？")
        return [ActiveLoop(None), SlotSet("requested_slot", None), *reset()]
