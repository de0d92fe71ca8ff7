"""The booking form, cancel and reschedule, with tracker JSON and a CollectingDispatcher; the
client points at the real reference business app in process (seeded SQLite, clock fixed at
Monday 2026-11-02 08:00) or at a system that is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, AsyncIterator

import httpx
import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import booking
from actions.appointments import ActionCancelAppointment, ActionLeaveForm, ActionStartReschedule
from actions.booking import (
    ActionAskBookingHall,
    ActionAskBookingService,
    ActionStartBooking,
    ActionSubmitBooking,
    ValidateBookingForm,
)
from actions.business_client import UNAVAILABLE_MESSAGE, BusinessClient
from business import db as database
from business.app import create_app, prepare
from hotline.identity import IdentityContext
from tests.business.conftest import NOW, TODAY, TOKEN, settings

SECRET = b"k" * 32
HUMAN = [{"title": "转人工", "payload": "/request_human"}]
CARD = "social_security_card"
CY = "BJ-CY-01"


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_SIGNING_SECRET", SECRET.decode())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("booking") / "template.db"
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


def tracker(text: str, *, intent: str = "faq", slots: dict[str, Any] | None = None,
            identity: IdentityContext | None = None, entities: list[dict[str, Any]] | None = None,
            events: list[dict[str, Any]] | None = None, sender: str = "conv-b") -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []}
    user = {"event": "user", "text": text, "parse_data": message, "timestamp": 1764460800.25,
            "metadata": identity.to_metadata(SECRET) if identity else {}}
    return Tracker(sender, slots or {}, message, [*(events or []), user], False, None,
                   {"name": "booking_form"}, "action_listen")


def validator(client: BusinessClient) -> ValidateBookingForm:
    return ValidateBookingForm(client, clock=lambda: NOW)


def verified(db_path: Path, nth: int = 0) -> IdentityContext:
    [(ref,)] = query(db_path, "SELECT ref FROM persons ORDER BY id LIMIT 1 OFFSET ?", nth)
    return IdentityContext(level="verified", person=f"p{nth}", record_ref=ref,
                           expires_at=int(time.time()) + 600)


def free_slot(db_path: Path, hall: str = CY, full: bool = False) -> tuple[int, dt.date, str, str]:
    """A slot of the card service after today: free (one place left) or full."""
    left = 0 if full else 1
    slot_id, day, start, end = query(db_path, "SELECT id, day, start, end FROM slots WHERE hall_id = ? "
                                              "AND service = ? AND day > ? AND capacity - booked = ? "
                                              "ORDER BY day, start LIMIT 1", hall, CARD, TODAY.isoformat(),
                                     left)[0]
    return int(slot_id), dt.date.fromisoformat(day), start[:5], end[:5]


RESET = [SlotSet(slot, None) for slot in booking.SLOTS]
HALL_PART = "网点：朝阳区社会保险服务大厅\n地址：朝阳区朝阳北路 99 号\n业务：社保卡申领/补换"


# -- the form's questions and answers ---------------------------------------------------------

async def test_service_is_understood_as_citizens_say_it() -> None:
    form = ValidateBookingForm()
    for said, code in [("补办社保卡", CARD), ("失业金", "unemployment_benefit"), ("办退休", "retirement"),
                       ("社保卡申领/补换", CARD), ("养老保险关系转移接续", "pension_transfer")]:
        dispatcher = CollectingDispatcher()
        assert await form.validate_booking_service(said, dispatcher, tracker(said), {}) == {
            "booking_service": code}
        assert dispatcher.messages == []
    dispatcher = CollectingDispatcher()
    assert await form.validate_booking_service("随便看看", dispatcher, tracker("随便看看"), {}) == {
        "booking_service": None}
    assert dispatcher.messages[0]["text"] == "抱歉，没听清您要办理哪项业务。"


async def test_anonymous_citizen_is_asked_to_verify_and_no_form_starts() -> None:
    dispatcher = CollectingDispatcher()
    said = tracker("我要预约", intent="book_appointment")
    assert await ActionStartBooking().run(dispatcher, said, {}) == []
    [message] = dispatcher.messages
    assert message["text"] == ("在线预约需要先核实身份，核实后系统会按您登记的信息预约，"
                               "并把预约短信发到您登记的手机。核实完成后，请再说一次“我要预约”。")
    assert message["custom"] == {"type": "verify", "level": "verified"}


async def test_verified_citizen_starts_the_form_and_is_offered_the_services(db_path: Path) -> None:
    said = tracker("我要预约", intent="book_appointment", identity=verified(db_path))
    assert await ActionStartBooking().run(CollectingDispatcher(), said, {}) == [
        *RESET, FollowupAction("booking_form")]
    dispatcher = CollectingDispatcher()
    await ActionAskBookingService().run(dispatcher, said, {})
    [message] = dispatcher.messages
    assert "请问您要办理哪项业务" in message["text"] and message["custom"] == {}
    assert {"title": "社保卡申领/补换", "payload": "社保卡申领/补换"} in message["buttons"]
    assert len(message["buttons"]) == 7


async def test_hall_by_district(client: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    got = await validator(client).validate_booking_hall(
        "朝阳区的网点", dispatcher, tracker("朝阳区的网点", slots={"booking_service": CARD}), {})
    assert got == {"booking_hall": CY, "booking_summary": HALL_PART}
    assert dispatcher.messages == []


async def test_two_halls_in_the_district_are_offered_as_buttons(client: BusinessClient) -> None:
    slots = {"booking_service": "unemployment_benefit", "requested_slot": "booking_hall"}
    dispatcher = CollectingDispatcher()
    said = tracker("朝阳的", slots=slots)
    assert await validator(client).validate_booking_hall("朝阳的", dispatcher, said, {}) == {
        "booking_hall": None}
    await ActionAskBookingHall(client).run(dispatcher, said, {})
    [message] = dispatcher.messages
    assert message["text"] == "有2个网点符合，都可以办理失业保险金申领，请选择一个："
    assert [b["payload"] for b in message["buttons"]] == ["朝阳区社会保险服务大厅", "朝阳区就业创业服务中心"]


async def test_unknown_hall_is_said_and_every_hall_offered(client: BusinessClient) -> None:
    slots = {"booking_service": "work_injury", "requested_slot": "booking_hall"}
    dispatcher = CollectingDispatcher()
    said = tracker("通州", slots=slots)
    got = await validator(client).validate_booking_hall("通州", dispatcher, said, {})
    assert got == {"booking_hall": None}
    await ActionAskBookingHall(client).run(dispatcher, said, {})
    assert dispatcher.messages[0]["text"] == "没有找到与“通州”对应、可以办理这项业务的网点。"
    assert dispatcher.messages[1]["text"].startswith("以下网点可以办理工伤认定，请选择一个")
    assert [b["payload"] for b in dispatcher.messages[1]["buttons"]] == [
        "东城区人力资源和社会保障服务大厅", "丰台区人力资源和社会保障服务大厅",
        "海淀区人力资源和社会保障服务大厅"]


TIME_SLOTS = {"booking_service": CARD, "booking_hall": CY, "booking_summary": HALL_PART}


async def test_a_free_time_is_chosen_and_summarised(client: BusinessClient, db_path: Path) -> None:
    slot_id, day, start, end = free_slot(db_path)
    said = f"{day.month}月{day.day}日{start.replace(':', '点')}"
    dispatcher = CollectingDispatcher()
    got = await validator(client).validate_booking_time(said, dispatcher, tracker(said, slots=TIME_SLOTS), {})
    assert got == {"booking_time": f"{day.isoformat()} {start}", "booking_slot_id": str(slot_id),
                   "booking_day": None,
                   "booking_summary": f"{HALL_PART}\n时间：{booking.day_text(day)}{start}-{end}"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(("said", "reason"), [
    ("昨天上午", "11月1日已经过去了，请选一个以后的时间。"),
    ("今天早上7点", "11月2日07:00已经过去了，请选一个以后的时间。"),
    ("11月31日上午", "11月31日不是有效的日期，请重新说一下日期，例如“明天上午”或“11月5日”。"),
    ("11月7日上午", "11月7日不是工作日，服务大厅不办公，请选一个工作日。"),
    ("随便哪天", "没听清您想约哪一天，请说一下日期，例如“明天上午”“下周三下午两点”或“11月5日”。"),
])
async def test_past_or_invalid_dates_are_refused_with_the_reason(client: BusinessClient, said: str,
                                                                 reason: str) -> None:
    dispatcher = CollectingDispatcher()
    got = await validator(client).validate_booking_time(said, dispatcher, tracker(said, slots=TIME_SLOTS), {})
    assert got == {"booking_time": None}
    assert [m["text"] for m in dispatcher.messages] == [reason]


async def test_a_full_time_offers_the_nearest_free_ones(client: BusinessClient, db_path: Path) -> None:
    _, day, start, _ = free_slot(db_path, full=True)
    said = f"{day.month}月{day.day}日{start}"
    dispatcher = CollectingDispatcher()
    got = await validator(client).validate_booking_time(said, dispatcher, tracker(said, slots=TIME_SLOTS), {})
    assert got == {"booking_time": None, "booking_day": None}
    [message] = dispatcher.messages
    assert message["text"].startswith(f"{booking.day_text(day)}{start}已约满。离您想约的时间最近的空闲时段有")
    offered = [b["payload"] for b in message["buttons"]]
    assert len(offered) == booking.OFFERED and f"{day.month}月{day.day}日{start}" not in offered
    free = {f"{d[5:7].lstrip('0')}月{d[8:].lstrip('0')}日{s[:5]}" for d, s in query(
        db_path, "SELECT day, start FROM slots WHERE hall_id = ? AND service = ? AND booked < capacity",
        CY, CARD)}
    assert set(offered) <= free


async def test_a_day_lists_its_free_times_and_a_bare_time_then_picks_one(client: BusinessClient,
                                                                         db_path: Path) -> None:
    slot_id, day, start, _ = free_slot(db_path)
    period = "上午" if start < "12:00" else "下午"
    said = f"{day.month}月{day.day}日{period}"
    dispatcher = CollectingDispatcher()
    form = validator(client)
    got = await form.validate_booking_time(said, dispatcher, tracker(said, slots=TIME_SLOTS), {})
    assert got == {"booking_time": None, "booking_day": day.isoformat()}
    assert dispatcher.messages[0]["text"].startswith(f"{booking.day_text(day)}{period}还可以预约的时段如下")
    assert {"title": f"{booking.day_text(day)}{start}", "payload": f"{day.month}月{day.day}日{start}"} in \
        dispatcher.messages[0]["buttons"]
    bare = start.replace(":", "点")   # "10点30" said after the day was chosen
    later = await form.validate_booking_time(bare, CollectingDispatcher(), tracker(
        bare, slots={**TIME_SLOTS, "booking_day": day.isoformat()}), {})
    assert later["booking_slot_id"] == str(slot_id)


async def test_business_down_while_choosing_a_time_keeps_the_answers(down: BusinessClient) -> None:
    dispatcher = CollectingDispatcher()
    started = time.monotonic()
    got = await validator(down).validate_booking_time("11月4日上午10点", dispatcher,
                                                      tracker("11月4日上午10点", slots=TIME_SLOTS), {})
    assert time.monotonic() - started < 3
    assert got == {"booking_time": None}     # service, hall and summary are not touched
    assert dispatcher.messages[0]["text"] == UNAVAILABLE_MESSAGE
    assert dispatcher.messages[0]["buttons"] == HUMAN


async def test_a_slow_business_system_is_answered_within_3_s() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    async with BusinessClient("http://business.test", TOKEN, transport=httpx.MockTransport(hang)) as slow:
        dispatcher = CollectingDispatcher()
        started = time.monotonic()
        got = await validator(slow).validate_booking_time("11月4日上午10点", dispatcher,
                                                          tracker("11月4日上午10点", slots=TIME_SLOTS), {})
        assert time.monotonic() - started < 3
    assert got == {"booking_time": None}
    assert dispatcher.messages[0]["text"] == UNAVAILABLE_MESSAGE


@pytest.mark.parametrize(("typed", "intent", "slots"), [
    ("是", "faq", {"booking_confirmed": True}),
    ("确认", "nlu_fallback", {"booking_confirmed": True}),
    ("修改", "faq", {"booking_confirmed": False}),
    ("否", "nlu_fallback", {"booking_confirmed": False}),
    ("转人工", "request_human", {}),
])
async def test_typed_confirmation(typed: str, intent: str, slots: dict[str, Any]) -> None:
    asked = tracker(typed, intent=intent, slots={"requested_slot": "booking_confirmed"})
    assert await ValidateBookingForm().extract_booking_confirmed(CollectingDispatcher(), asked, {}) == slots


async def test_no_at_the_confirmation_chooses_hall_and_time_again() -> None:
    dispatcher = CollectingDispatcher()
    got = await ValidateBookingForm().validate_booking_confirmed(False, dispatcher, tracker("否"), {})
    assert got == {"booking_confirmed": None, "booking_time": None, "booking_slot_id": None,
                   "booking_day": None, "booking_hall": None}
    assert dispatcher.messages[0]["text"] == "好的，我们重新选择网点和时间。"


# -- booking ----------------------------------------------------------------------------------

def confirmed(slot_id: int, identity: IdentityContext | None, sender: str = "conv-b", **more: Any) -> Tracker:
    slots = {**TIME_SLOTS, "booking_time": "x", "booking_slot_id": str(slot_id), "booking_confirmed": True,
             **more}
    started = {"event": "user", "text": "我要预约", "timestamp": 1764460700.5,
               "parse_data": {"intent": {"name": "book_appointment"}}}
    return tracker("是", intent="affirm", slots=slots, identity=identity, events=[started], sender=sender)


async def test_booking_is_made_once_however_often_it_is_submitted(client: BusinessClient,
                                                                  db_path: Path) -> None:
    slot_id, day, start, end = free_slot(db_path)
    identity = verified(db_path, 1)
    action = ActionSubmitBooking(client)
    first, second = CollectingDispatcher(), CollectingDispatcher()
    assert await action.run(first, confirmed(slot_id, identity), {}) == RESET
    await action.run(second, confirmed(slot_id, identity), {})     # Rasa retrying the action
    rows = query(db_path, "SELECT no, channel FROM appointments WHERE slot_id = ?", slot_id)
    assert len(rows) == 1
    [(number, channel)] = rows
    assert channel == "webchat"
    expected = (f"预约成功！预约号：{number}\n网点：朝阳区社会保险服务大厅\n地址：朝阳区朝阳北路 99 号\n"
                f"时间：{booking.day_text(day)}{start}-{end}\n业务：社保卡申领/补换\n"
                "请携带：本人有效身份证件原件；补换卡的请带上原社保卡（已挂失的除外）（具体以网点要求为准）。\n"
                f"请提前10分钟到达。如需取消或改期，请发送“取消预约 {number}”或“改约 {number}”。")
    assert first.messages[0]["text"] == expected and second.messages[0]["text"] == expected
    notice = first.messages[1]["custom"]
    assert notice == {"type": "notify", "channel": "sms", "kind": "booking", "text": (
        f"您已预约{day.month}月{day.day}日{start}到朝阳区社会保险服务大厅（朝阳区朝阳北路 99 号）"
        "办理社保卡申领/补换，"
        f"预约号{number}。请携带本人有效身份证件原件；补换卡的请带上原社保卡（已挂失的除外）。")}
    assert not first.messages[1]["text"]


async def test_booking_without_verification_books_nothing(client: BusinessClient, db_path: Path) -> None:
    slot_id, *_ = free_slot(db_path)
    dispatcher = CollectingDispatcher()
    assert await ActionSubmitBooking(client).run(dispatcher, confirmed(slot_id, None), {}) == RESET
    assert dispatcher.messages[0]["custom"] == {"type": "verify", "level": "verified"}
    assert query(db_path, "SELECT count(*) FROM appointments WHERE slot_id = ?", slot_id) == [(0,)]


async def test_a_slot_taken_meanwhile_asks_for_another_time(client: BusinessClient, db_path: Path) -> None:
    slot_id, *_ = free_slot(db_path)
    first = confirmed(slot_id, verified(db_path, 1))
    await ActionSubmitBooking(client).run(CollectingDispatcher(), first, {})
    dispatcher = CollectingDispatcher()
    other = confirmed(slot_id, verified(db_path, 2), sender="conv-other")
    events = await ActionSubmitBooking(client).run(dispatcher, other, {})
    assert events == [SlotSet("booking_time", None), SlotSet("booking_slot_id", None),
                      SlotSet("booking_confirmed", None), FollowupAction("booking_form")]
    assert dispatcher.messages[0]["text"] == "抱歉，该时段已约满，请选择其他时段。"


async def test_business_down_at_submission_keeps_everything_for_a_retry(down: BusinessClient,
                                                                        db_path: Path) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSubmitBooking(down).run(dispatcher, confirmed(7, verified(db_path)), {})
    assert events == [SlotSet("booking_confirmed", None), FollowupAction("booking_form")]
    assert dispatcher.messages[0]["text"] == (UNAVAILABLE_MESSAGE
                                              + "您填写的预约信息已为我们保留，稍后回复“是”可以再次提交。")
    assert dispatcher.messages[0]["buttons"] == HUMAN


def test_the_key_is_stable_for_one_booking_and_new_for_the_next() -> None:
    first = booking.idempotency_key(confirmed(7, None))
    assert booking.idempotency_key(confirmed(7, None)) == first
    assert booking.idempotency_key(confirmed(8, None)) != first
    again = confirmed(7, None)
    again.events.insert(-1, {"event": "user", "timestamp": 1764460790.0,
                             "parse_data": {"intent": {"name": "book_appointment"}}})
    assert booking.idempotency_key(again) != first


# -- cancel and reschedule --------------------------------------------------------------------

async def _booked(client: BusinessClient, db_path: Path) -> tuple[str, int]:
    slot_id, *_ = free_slot(db_path)
    await ActionSubmitBooking(client).run(CollectingDispatcher(), confirmed(slot_id, verified(db_path)), {})
    [(number,)] = query(db_path, "SELECT no FROM appointments WHERE slot_id = ?", slot_id)
    return str(number), slot_id


async def test_cancel_by_number_frees_the_place(client: BusinessClient, db_path: Path) -> None:
    number, _ = await _booked(client, db_path)
    dispatcher = CollectingDispatcher()
    said = tracker(f"取消预约 {number.lower()}", intent="cancel_appointment")
    assert await ActionCancelAppointment(client).run(dispatcher, said, {}) == []
    text = dispatcher.messages[0]["text"]
    assert text.startswith(f"已为您取消预约 {number}：")
    assert "朝阳区社会保险服务大厅，社保卡申领/补换。名额已释放" in text
    assert query(db_path, "SELECT status FROM appointments WHERE no = ?", number) == [("cancelled",)]


@pytest.mark.parametrize(("said", "answer"), [
    ("取消预约", "请把要取消的预约号发给我"),
    ("取消预约 YY2026110200", "您发送的“YY2026110200”不是有效的预约号。预约号共16位"),
    ("取消预约 YY20201102999999", "没有查到预约号为 YY20201102999999 的预约。"),
])
async def test_cancel_without_a_good_number_says_why(client: BusinessClient, said: str, answer: str) -> None:
    dispatcher = CollectingDispatcher()
    await ActionCancelAppointment(client).run(dispatcher, tracker(said, intent="cancel_appointment"), {})
    assert dispatcher.messages[0]["text"].startswith(answer)


async def test_reschedule_fills_the_form_and_moves_the_booking(client: BusinessClient, db_path: Path) -> None:
    number, old_slot = await _booked(client, db_path)
    dispatcher = CollectingDispatcher()
    events = await ActionStartReschedule(client).run(
        dispatcher, tracker(f"改约 {number}", intent="reschedule_appointment"), {})
    assert events == [*RESET, SlotSet("booking_reschedule_no", number), SlotSet("booking_service", CARD),
                      SlotSet("booking_hall", CY), SlotSet("booking_summary", HALL_PART),
                      FollowupAction("booking_form")]
    assert dispatcher.messages[0]["text"].startswith(f"您的预约 {number}：")
    new_slot, *_ = free_slot(db_path)
    assert new_slot != old_slot
    moved = CollectingDispatcher()
    await ActionSubmitBooking(client).run(moved, confirmed(new_slot, None, booking_reschedule_no=number), {})
    assert moved.messages[0]["text"].startswith(f"改期成功，预约号不变：{number}")
    assert query(db_path, "SELECT slot_id FROM appointments WHERE no = ?", number) == [(new_slot,)]


async def test_leaving_a_form_forgets_its_answers() -> None:
    said = tracker("转人工", intent="request_human")
    events = await ActionLeaveForm().run(CollectingDispatcher(), said, {})
    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert set(booking.SLOTS) | {"complaint_employer", "complaint_confirmed"} <= {
        e["name"] for e in events[2:] if e["value"] is None}


async def test_a_verified_citizen_picks_from_their_own_bookings(client: BusinessClient,
                                                              db_path: Path) -> None:
    number, _ = await _booked(client, db_path)   # booked for verified(db_path), person 0
    dispatcher = CollectingDispatcher()
    said = tracker("改约", intent="reschedule_appointment", identity=verified(db_path))
    assert await ActionStartReschedule(client).run(dispatcher, said, {}) == []
    [message] = dispatcher.messages
    assert message["text"] == "您名下有1个预约，请选择要改期的一个："
    assert [b["payload"] for b in message["buttons"]] == [f"改约 {number}"]
    assert "朝阳区社会保险服务大厅（社保卡申领/补换）" in message["buttons"][0]["title"]
    nobody = CollectingDispatcher()
    await ActionCancelAppointment(client).run(
        nobody, tracker("取消预约", intent="cancel_appointment", identity=verified(db_path, 3)), {})
    assert nobody.messages[0]["text"] == "没有查到您名下尚未到期的预约。如需预约，请说“我要预约”。"


def test_the_action_server_serves_every_action_the_domain_names() -> None:
    import yaml
    from rasa_sdk.executor import ActionExecutor

    named = {action for path in (Path(__file__).parents[2] / "bot" / "domain").glob("*.yml")
             for action in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("actions") or []}
    executor = ActionExecutor()
    executor.register_package("actions")   # fails outright if an Action subclass has no name
    assert {"action_submit_booking", "validate_booking_form", "action_leave_form"} <= named
    assert named <= set(executor.actions)
