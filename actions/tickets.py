"""Status of a ticket (投诉、举报、回电、疑难问题) by its 工单号."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.business import answered, entity, number_in, shared_client
from actions.business_client import BusinessClient
from business import schemas
from business.numbers import normalize_ticket_no

FORMAT_HELP = "工单号共16位：GD加8位登记日期和6位序号，例如 GD20261103000042。"


def describe_ticket(ticket: schemas.TicketOut) -> str:
    text = (f"工单 {ticket.ticket_no}（{ticket.type_name}）当前状态：{ticket.status_name}，"
            f"答复期限：{ticket.due_date:%Y年%m月%d日}前。")
    if ticket.reply:
        text += f"\n答复内容：{ticket.reply}"
    return text


async def answer_ticket(client: BusinessClient, dispatcher: CollectingDispatcher, raw: str) -> None:
    number = normalize_ticket_no(raw)
    if number is None:
        dispatcher.utter_message(text=f"您发送的“{raw}”不是有效的工单号。{FORMAT_HELP}")
        return
    ticket = await answered(dispatcher, client.ticket(number), not_found=(
        f"没有查到工单号为 {number} 的工单。请核对登记时告知您的工单号；也可以转人工客服帮您核实。"))
    if ticket is not None:
        dispatcher.utter_message(text=describe_ticket(ticket))


class ActionQueryTicket(Action):
    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_query_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        raw = entity(tracker, "ticket_no") or number_in(text)
        if not raw:
            dispatcher.utter_message(text=f"请把工单号发给我，我帮您查询处理情况。{FORMAT_HELP}")
            return []
        await answer_ticket(self._client or shared_client(), dispatcher, raw)
        return []
