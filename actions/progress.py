"""Progress of an application by its 受理编号, or, for a verified citizen, all of theirs.

Answers are said as a 12333 agent would: the status, the latest step with its date, and
what the citizen does next. Whatever the business system says goes wrong is turned into
one Chinese sentence with a way to a human.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.business import answered, entity, number_in, shared_client
from actions.business_client import BusinessClient
from actions.identity import identity_of, require_level
from actions.tickets import answer_ticket
from business import schemas
from business.numbers import normalize_acceptance_no, normalize_ticket_no

FORMAT_HELP = ("受理编号共16位：2位字母表示业务类型（如SY失业保险金、SB社保卡、TX退休），"
               "加8位受理日期和6位序号，例如 SY20261103000123。")
ASK_NUMBER = ("请把受理编号发给我，我帮您查询办理进度。" + FORMAT_HELP
              + "编号在受理回执上。如需查看您名下的全部办件，可以回复“实名认证”先核实身份。")


def describe(app: schemas.ApplicationOut) -> str:
    """One application in plain Chinese: status, latest step with its date, next step."""
    lines = [f"受理编号 {app.acceptance_no}（{app.type_name}）目前的状态是：{app.status_name}。"]
    if app.timeline:
        latest = max(app.timeline, key=lambda entry: entry.at)
        lines.append(f"最新进展：{latest.at:%Y年%m月%d日}，{latest.step}，{latest.note}")
    lines.append(f"下一步：{app.next_step}")
    lines.append(f"经办机构：{app.office}。")
    return "\n".join(lines)


def describe_list(apps: List[schemas.ApplicationOut]) -> str:
    if not apps:
        return "没有查到您名下的办件记录。如果您有受理回执，请把上面的受理编号发给我。"
    lines = [f"您名下共有{len(apps)}件申请："]
    for n, app in enumerate(apps, 1):
        lines.append(f"{n}. {app.type_name}（{app.acceptance_no}）：{app.status_name}。{app.next_step}")
    lines.append("需要某一件的详细进度，请发送它的受理编号。")
    return "\n".join(lines)


class ActionQueryProgress(Action):
    def __init__(self, client: BusinessClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        return "action_query_progress"

    @property
    def client(self) -> BusinessClient:
        return self._client or shared_client()

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        text = (tracker.latest_message or {}).get("text") or ""
        raw = entity(tracker, "application_no") or entity(tracker, "ticket_no") or number_in(text)
        if raw and normalize_ticket_no(raw):
            # A 工单号 sent as "JD GD…": answer what the citizen wants to know.
            await answer_ticket(self.client, dispatcher, raw)
        elif raw:
            await self._one(dispatcher, raw)
        elif identity_of(tracker).level == "verified":
            await self._mine(dispatcher, tracker)
        else:
            dispatcher.utter_message(text=ASK_NUMBER)
        return []

    async def _one(self, dispatcher: CollectingDispatcher, raw: str) -> None:
        number = normalize_acceptance_no(raw)
        if number is None:
            dispatcher.utter_message(text=f"您发送的“{raw}”不是有效的受理编号。{FORMAT_HELP}"
                                          "请对照受理回执核对后再发给我。")
            return
        app = await answered(dispatcher, self.client.application(number), not_found=(
            f"没有查到受理编号为 {number} 的办件。请核对受理回执上的编号是否输入正确；"
            "刚提交的申请可能还没有录入，请稍后再查。也可以转人工客服帮您核实。"))
        if app is not None:
            dispatcher.utter_message(text=describe(app))

    async def _mine(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        identity = require_level(tracker, dispatcher, "verified", "查询您本人的办件")
        if identity is None:
            return
        if not identity.record_ref:
            dispatcher.utter_message(text=ASK_NUMBER)
            return
        apps = await answered(dispatcher, self.client.person_applications(identity.record_ref))
        if apps is not None:
            dispatcher.utter_message(text=describe_list(apps))
