"""Business actions with tracker JSON and a CollectingDispatcher, the client pointed at the
real reference business app in process (seeded SQLite) or at a fake that is down."""

from __future__ import annotations

import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.business_client import UNAVAILABLE_MESSAGE, BusinessClient
from actions.complaint import (
    ActionCancelComplaint,
    ActionSubmitComplaint,
    ValidateComplaintForm,
    parse_amount,
    ticket_kind,
)
from actions.progress import ActionQueryProgress
from actions.tickets import ActionQueryTicket
from business import db as database
from business.app import create_app, prepare
from hotline.identity import IdentityContext
from tests.business.conftest import NOW, TODAY, TOKEN, settings

SECRET = b"k" * 32
HUMAN = [{"title": "转人工", "payload": "/request_human"}]
COMPLAINT_SLOTS = ["complaint_employer", "complaint_what", "complaint_where", "complaint_when",
                   "complaint_amount", "complaint_confirmed"]


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_SIGNING_SECRET", SECRET.decode())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("business") / "template.db"
    db = database.connect(f"sqlite:///{path}")
    try:
        prepare(db, settings(f"sqlite:///{path}"), TODAY)
    finally:
        db.close()
    return path


@pytest.fixture
def db_path(template: Path, tmp_path: Path) -> Path:
    shutil.copyfile(template, tmp_path / "business.db")
    return tmp_path / "business.db"


@pytest.fixture
async def client(db_path: Path) -> AsyncIterator[BusinessClient]:
    app = create_app(settings(f"sqlite:///{db_path}", seed_demo=False), clock=lambda: NOW)
    async with app.router.lifespan_context(app):
        async with BusinessClient("http://business.test", TOKEN, transport=httpx.ASGITransport(app)) as c:
            yield c


@pytest.fixture
async def down() -> AsyncIterator[BusinessClient]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async with BusinessClient("http://business.test", TOKEN, transport=httpx.MockTransport(refuse),
                              backoff_s=0.01) as c:
        yield c


def query(db_path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.execute(sql, params))


def tracker(text: str, entities: list[dict[str, Any]] | None = None, *,
            identity: IdentityContext | None = None, slots: dict[str, Any] | None = None,
            events: list[dict[str, Any]] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "query_progress", "confidence": 0.99},
               "entities": entities or []}
    user = {"event": "user", "text": text, "parse_data": message,
            "metadata": identity.to_metadata(SECRET) if identity else {}}
    return Tracker("conv-1", slots or {}, message, [*(events or []), user], False, None, {},
                   "action_listen")


def entity(name: str, value: str) -> list[dict[str, Any]]:
    return [{"entity": name, "value": value, "extractor": "RegexEntityExtractor"}]


# -- progress -------------------------------------------------------------------------------

async def test_progress_by_number_says_status_latest_step_and_next_step(
        client: BusinessClient, db_path: Path) -> None:
    number, app_id, next_step, office = query(
        db_path, "SELECT acceptance_no, id, next_step, office FROM applications ORDER BY id LIMIT 1")[0]
    step, at, note = query(db_path, "SELECT step, at, note FROM application_events "
                                    "WHERE application_id = ? ORDER BY at DESC LIMIT 1", app_id)[0]
    dispatcher = CollectingDispatcher()
    events = await ActionQueryProgress(client).run(
        dispatcher, tracker(f"查询进度 {number.lower()}", entity("application_no", number.lower())), {})
    assert events == []
    [message] = dispatcher.messages
    lines = message["text"].split("\n")
    assert lines[0].startswith(f"受理编号 {number}（") and "目前的状态是：" in lines[0]
    assert lines[1] == f"最新进展：{at[:4]}年{at[5:7]}月{at[8:10]}日，{step}，{note}"
    assert lines[2] == f"下一步：{next_step}"
    assert lines[3] == f"经办机构：{office}。"
    assert message["buttons"] == []


async def test_unknown_number_says_what_to_check_and_offers_a_human(client: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryProgress(client).run(
        dispatcher, tracker("SY20200101999999", entity("application_no", "SY20200101999999")), {})
    assert dispatcher.messages[0]["text"] == (
        "没有查到受理编号为 SY20200101999999 的办件。请核对受理回执上的编号是否输入正确；"
        "刚提交的申请可能还没有录入，请稍后再查。也可以转人工客服帮您核实。")
    assert dispatcher.messages[0]["buttons"] == HUMAN


@pytest.mark.parametrize("typed", ["SY2026110300012", "AB20261103000123", "SY20261399000123"])
async def test_malformed_number_explains_the_format(client: BusinessClient, typed: str) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryProgress(client).run(dispatcher, tracker(f"查询进度 {typed}"), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith(f"您发送的“{typed}”不是有效的受理编号。受理编号共16位")
    assert "例如 SY20261103000123" in text and "受理回执" in text


async def test_no_number_anonymous_asks_for_it_and_does_not_start_verification(
        client: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryProgress(client).run(dispatcher, tracker("查询进度"), {})
    [message] = dispatcher.messages
    assert message["text"].startswith("请把受理编号发给我") and "实名认证" in message["text"]
    assert message["custom"] == {}


async def test_no_number_verified_lists_my_applications(client: BusinessClient, db_path: Path) -> None:
    person_id, ref = query(db_path, "SELECT p.id, p.ref FROM persons p JOIN applications a "
                                    "ON a.person_id = p.id ORDER BY p.id LIMIT 1")[0]
    numbers = [n for (n,) in query(db_path, "SELECT acceptance_no FROM applications "
                                            "WHERE person_id = ?", person_id)]
    identity = IdentityContext(level="verified", person="p1", record_ref=ref,
                               expires_at=int(time.time()) + 600)
    dispatcher = CollectingDispatcher()
    await ActionQueryProgress(client).run(dispatcher, tracker("查一下我的办件", identity=identity), {})
    text = dispatcher.messages[0]["text"]
    assert text.startswith(f"您名下共有{len(numbers)}件申请：")
    assert all(f"（{n}）" in text for n in numbers)


async def test_business_down_answers_within_3_s_with_a_human_offer(down: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    await ActionQueryProgress(down).run(
        dispatcher, tracker("SY20261103000123", entity("application_no", "SY20261103000123")), {})
    assert time.monotonic() - started < 3
    assert dispatcher.messages[0]["text"] == UNAVAILABLE_MESSAGE
    assert dispatcher.messages[0]["buttons"] == HUMAN


async def test_a_ticket_number_sent_to_progress_answers_the_ticket(client: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryProgress(client).run(
        dispatcher, tracker("查询进度 GD20200101000001", entity("ticket_no", "GD20200101000001")), {})
    assert dispatcher.messages[0]["text"].startswith("没有查到工单号为 GD20200101000001 的工单")


# -- complaint ------------------------------------------------------------------------------

def test_amounts_and_kinds() -> None:
    assert parse_amount("大概1.8万元") == 18000
    assert parse_amount("18,000") == 18000
    assert parse_amount("不清楚") is None
    assert ticket_kind("拖欠三个月工资", "某公司") == "report"
    assert ticket_kind("不给交社保", "某公司") == "complaint"


@pytest.mark.parametrize(("typed", "slot"), [("1.8万", "18000元"), ("没有", "没有"), ("不清楚", "不清楚"),
                                             ("好多", None)])
async def test_amount_validation(typed: str, slot: str | None) -> None:
    dispatcher = CollectingDispatcher()
    got = await ValidateComplaintForm().validate_complaint_amount(typed, dispatcher, tracker(typed), {})
    assert got == {"complaint_amount": slot}
    assert bool(dispatcher.messages) is (slot is None)


async def test_free_text_is_stored_without_tokens() -> None:
    got = await ValidateComplaintForm().validate_complaint_what(
        "老板电话PHONETOKEN_0123456789ab不接", CollectingDispatcher(), tracker(""), {})
    assert got == {"complaint_what": "老板电话（号码已隐去）不接"}


def complaint_tracker(confirmed: bool | None) -> Tracker:
    slots = {"complaint_employer": "北京某建筑公司", "complaint_what": "拖欠我们12人三个月工资",
             "complaint_where": "朝阳区某工地", "complaint_when": "今年8月起", "complaint_amount": "18000元",
             "complaint_confirmed": confirmed}
    started = {"event": "active_loop", "name": "complaint_form", "timestamp": 1764460800.5}
    return tracker("是", slots=slots, events=[started])


async def test_submit_files_a_report_once_however_often_it_runs(client: BusinessClient,
                                                                 db_path: Path) -> None:
    action = ActionSubmitComplaint(client)
    first, second = CollectingDispatcher(), CollectingDispatcher()
    events = await action.run(first, complaint_tracker(True), {})
    await action.run(second, complaint_tracker(True), {})   # a retried action
    assert events == [SlotSet(slot, None) for slot in COMPLAINT_SLOTS]
    rows = query(db_path, "SELECT no, kind, due_date, time_limit_days, details FROM tickets "
                          "WHERE summary LIKE '%北京某建筑公司%'")
    assert len(rows) == 1
    number, kind, due, days, details = rows[0]
    assert (kind, days) == ("report", 60) and '"amount_owed": "18000"' in details
    expected = (f"已为您登记举报，工单号：{number}。答复期限：{due[:4]}年{due[5:7]}月{due[8:10]}日前"
                "（60个工作日）。请记下工单号，随时发送工单号即可查询处理情况。")
    assert first.messages[0]["text"] == expected
    assert second.messages[0]["text"] == expected


async def test_submit_declined_files_nothing(client: BusinessClient, db_path: Path) -> None:
    before = query(db_path, "SELECT count(*) FROM tickets")
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitComplaint(client).run(dispatcher, complaint_tracker(False), {})
    assert events == [SlotSet(slot, None) for slot in COMPLAINT_SLOTS]
    assert dispatcher.messages[0]["text"].startswith("好的，本次投诉举报没有提交。")
    assert query(db_path, "SELECT count(*) FROM tickets") == before


async def test_submit_while_business_is_down_offers_a_human(down: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionSubmitComplaint(down).run(dispatcher, complaint_tracker(True), {})
    assert dispatcher.messages[0]["text"] == UNAVAILABLE_MESSAGE
    assert dispatcher.messages[0]["buttons"] == HUMAN


async def test_cancel_ends_the_form_and_forgets_the_answers() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionCancelComplaint().run(dispatcher, complaint_tracker(None), {})
    assert events == [ActiveLoop(None), SlotSet("requested_slot", None),
                      *[SlotSet(slot, None) for slot in COMPLAINT_SLOTS]]
    assert "已取消" in dispatcher.messages[0]["text"]


# -- tickets --------------------------------------------------------------------------------

async def test_ticket_status_and_due_date(client: BusinessClient, db_path: Path) -> None:
    await ActionSubmitComplaint(client).run(CollectingDispatcher(), complaint_tracker(True), {})
    number, due = query(db_path, "SELECT no, due_date FROM tickets ORDER BY id DESC LIMIT 1")[0]
    dispatcher = CollectingDispatcher()
    asked = tracker(f"查询工单 {number}", entity("ticket_no", number))
    await ActionQueryTicket(client).run(dispatcher, asked, {})
    assert dispatcher.messages[0]["text"] == (
        f"工单 {number}（举报）当前状态：已登记，答复期限：{due[:4]}年{due[5:7]}月{due[8:10]}日前。")


async def test_ticket_without_number_asks_for_it(client: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    await ActionQueryTicket(client).run(dispatcher, tracker("查工单"), {})
    assert dispatcher.messages[0]["text"].startswith("请把工单号发给我")
    assert "GD20261103000042" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(("typed", "intent", "slots"), [
    ("是", "faq", {"complaint_confirmed": True}),      # the NLU took a bare 是 for a question
    ("否", "nlu_fallback", {"complaint_confirmed": False}),
    ("取消", "cancel", {}),                             # left to the cancel rule
    ("朝阳区", "faq", {}),
])
async def test_typed_confirmation_is_understood(typed: str, intent: str, slots: dict[str, Any]) -> None:
    asked = tracker(typed, slots={"requested_slot": "complaint_confirmed"})
    asked.latest_message["intent"] = {"name": intent, "confidence": 0.5}
    got = await ValidateComplaintForm().extract_complaint_confirmed(CollectingDispatcher(), asked, {})
    assert got == slots
