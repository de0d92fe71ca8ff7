"""The SMS webhooks with the real gateway app and a real Redis; Rasa is the signed
FakeRasa, the provider the fake SMS gateway app in process. One app for the module
(starting one costs seconds); each test uses its own phone number."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from channels.app import create_app
from hotline import paths, workhours
from tests.unit.conftest import FakeRasa, settings
from tests.unit.sms_helpers import HostRouter, fake_provider

TOKEN = "t" * 40
ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(13800000001)


class Rasa(FakeRasa):
    """FakeRasa, with the answer text replaceable per test."""

    def __init__(self) -> None:
        super().__init__()
        self.text: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        if self.text is None or request.url.path in ("/webhooks/hotline/", "/health"):
            return response
        body = response.json()
        body["messages"] = [{"recipient_id": body["messages"][0]["recipient_id"], "text": self.text}]
        body["meta"]["faq_id"] = None  # not a knowledge-base answer: sent as Rasa wrote it
        return httpx.Response(200, json=body)


class Business:
    """The business system's ticket endpoint: records what it is sent, files callbacks."""

    def __init__(self) -> None:
        self.up = True
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("refused", request=request)
        self.requests.append(request)
        assert request.url.path == "/api/v1/tickets" and request.headers["Authorization"] == "Bearer bt"
        return httpx.Response(201, json={"ticket_no": "GD20261102000009", "due_date": "2026-11-03",
                                         "type": "callback"})


BUSINESS = Business()


@pytest.fixture(scope="module")
def world(redis_server: str) -> Iterator[tuple[TestClient, Rasa, Any]]:
    import redis as sync_redis

    sync_redis.Redis.from_url(redis_server).flushdb()
    rasa, fake = Rasa(), fake_provider(access_key_secret="")
    configured = settings(redis_server).model_copy(update={
        "sms_api_base": "http://sms.test", "sms_webhook_token": SecretStr(TOKEN),
        "business_url": "http://business.test", "business_api_token": SecretStr("bt")})
    transport = HostRouter({"rasa.test": httpx.MockTransport(rasa),
                            "sms.test": httpx.ASGITransport(app=fake),
                            "business.test": httpx.MockTransport(BUSINESS)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(paths, "KB", ROOT / "tests" / "fixtures" / "kb")  # a small KB starts fast
        app = create_app(configured, transport=transport)
        with TestClient(app, client=("10.1.2.3", 40000)) as client:
            yield client, rasa, fake


@pytest.fixture
def client(world: tuple[TestClient, Rasa, Any]) -> TestClient:
    world[1].requests.clear()
    world[1].text = None
    return world[0]


@pytest.fixture
def rasa(world: tuple[TestClient, Rasa, Any]) -> Rasa:
    return world[1]


@pytest.fixture
def phone() -> str:
    return str(next(_numbers))


def sent_to(world: tuple[TestClient, Rasa, Any], phone: str) -> list[dict[str, Any]]:
    return [m for m in world[2].state.store.messages if m["phone"] == phone]


def wait_for(found: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def post(client: TestClient, body: Any, provider: str = "generic", token: str = TOKEN,
         area: str = "inbound") -> httpx.Response:
    return client.post(f"/sms/{area}/{provider}", params={"token": token},
                       content=json.dumps(body, ensure_ascii=False).encode(),
                       headers={"Content-Type": "application/json"})


def generic(phone: str, text: str, message_id: str | None = None) -> dict[str, Any]:
    return {"from": phone, "text": text, "message_id": message_id or uuid.uuid4().hex,
            "received_at": "2024-05-01T10:00:00+08:00"}


def test_a_question_is_acknowledged_and_answered_by_sms(world: Any, client: TestClient, rasa: Rasa,
                                                        phone: str) -> None:
    response = post(client, generic(phone, "社保卡丢了怎么办"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    [sms] = wait_for(lambda: sent_to(world, phone))
    # Rasa's answer (its short variant is Rasa's choice: bot/channel.py), signed, with the
    # button as a numbered choice.
    assert sms["content"].startswith("【12333】您好，请问有什么可以帮您？")
    assert sms["content"].endswith("\n回复序号：\n1.社保卡")
    assert "".join(sms["parts"]) == sms["content"] and all(len(p) <= 67 for p in sms["parts"])
    sent = json.dumps(rasa.requests, ensure_ascii=False)
    assert rasa.requests[0]["metadata"]["channel"] == "sms"
    assert phone not in sent and phone[-8:] not in sent and len(rasa.requests[0]["sender"]) == 32


@pytest.mark.parametrize("sequence_id", ["1234567890", 1234567891])
def test_aliyun_push_gets_the_documented_answer_and_retries_are_one_turn(
        world: Any, client: TestClient, rasa: Rasa, phone: str, sequence_id: Any) -> None:
    push = [{"phone_number": phone, "content": "内容", "send_time": "20170901000000",
             "dest_code": "1234", "sequence_id": sequence_id}]
    for _ in range(3):  # Aliyun retries a push it thinks failed
        assert post(client, push, "aliyun").json() == {"code": 0, "msg": "接收成功"}
    wait_for(lambda: sent_to(world, phone))
    time.sleep(0.2)
    assert len(rasa.requests) == 1 and len(sent_to(world, phone)) == 1


def test_tencent_reply_gets_the_documented_answer(world: Any, client: TestClient, phone: str) -> None:
    push = {"extend": "", "mobile": phone, "nationcode": "86", "sign": "12333", "text": "你好",
            "time": 1714528800}
    for _ in range(2):
        assert post(client, push, "tencent").json() == {"result": 0, "errmsg": "OK"}
    assert len(wait_for(lambda: sent_to(world, phone))) == 1


def test_a_number_picks_an_option_of_the_last_reply(world: Any, client: TestClient, rasa: Rasa,
                                                    phone: str) -> None:
    post(client, generic(phone, "社保卡"))
    wait_for(lambda: sent_to(world, phone))
    post(client, generic(phone, "1"))
    wait_for(lambda: len(rasa.requests) == 2)
    assert rasa.requests[1]["text"] == "/faq"


def test_a_number_without_options_is_answered_locally(world: Any, client: TestClient, rasa: Rasa,
                                                      phone: str) -> None:
    post(client, generic(phone, "2"))
    [sms] = wait_for(lambda: sent_to(world, phone))
    assert "序号已失效" in sms["text"] and rasa.requests == []


def test_keywords_help_and_progress(world: Any, client: TestClient, rasa: Rasa, phone: str) -> None:
    post(client, generic(phone, "bz"))
    [menu] = wait_for(lambda: sent_to(world, phone))
    assert "JD" in menu["text"] and "TD" in menu["text"] and rasa.requests == []
    post(client, generic(phone, "JD sb202401010001"))
    wait_for(lambda: rasa.requests)
    assert rasa.requests[0]["text"] == "查询进度 SB202401010001"


def test_opt_out_silences_replies_until_opt_in(world: Any, client: TestClient, rasa: Rasa,
                                               phone: str) -> None:
    post(client, generic(phone, "TD"))
    [confirmation] = wait_for(lambda: sent_to(world, phone))
    assert "退订" in confirmation["text"]
    post(client, generic(phone, "社保卡丢了怎么办"))
    time.sleep(0.3)
    assert rasa.requests == [] and len(sent_to(world, phone)) == 1
    post(client, generic(phone, "HF"))
    wait_for(lambda: len(sent_to(world, phone)) == 2)
    post(client, generic(phone, "社保卡丢了怎么办"))
    wait_for(lambda: len(sent_to(world, phone)) == 3)
    assert len(rasa.requests) == 1


def test_rg_files_a_callback_ticket_for_the_number_and_replies_with_it(
        world: Any, client: TestClient, rasa: Rasa, phone: str, redis_server: str) -> None:
    import redis as sync_redis

    BUSINESS.requests.clear()
    for _ in range(2):   # the provider pushes the same uplink twice
        post(client, generic(phone, "rg", message_id="uplink-rg-1"))
    [sms] = wait_for(lambda: sent_to(world, phone))
    assert sms["text"] == ("已为您登记人工回电，工单号GD20261102000009。工作人员将在11月3日前致电本号码，"
                           f"请保持电话畅通。人工服务时间：{workhours.from_env().describe()}。")
    time.sleep(0.2)
    assert len(sent_to(world, phone)) == 1 and rasa.requests == []
    filed = [json.loads(r.content) for r in BUSINESS.requests]
    assert filed[0] == {"type": "callback", "summary": "市民通过12333短信申请人工回电", "channel": "sms",
                        "contact_phone": phone}
    keys = {r.headers["Idempotency-Key"] for r in BUSINESS.requests}
    assert len(keys) == 1 and phone not in keys.pop()      # one ticket however often it arrives
    stored = [str(k) for k in sync_redis.Redis.from_url(redis_server, decode_responses=True).keys("*")]
    assert not any(phone in k for k in stored)


def test_rg_while_the_business_system_is_down_says_so(world: Any, client: TestClient, phone: str) -> None:
    BUSINESS.up = False
    try:
        post(client, generic(phone, "人工"))
        [sms] = wait_for(lambda: sent_to(world, phone))
    finally:
        BUSINESS.up = True
    assert sms["text"].startswith("抱歉，人工回电暂时登记不上，请稍后再回复RG")


def test_rg_from_an_opted_out_number_files_nothing_and_sends_nothing(
        world: Any, client: TestClient, rasa: Rasa, phone: str) -> None:
    BUSINESS.requests.clear()
    post(client, generic(phone, "TD"))
    wait_for(lambda: sent_to(world, phone))
    post(client, generic(phone, "RG"))
    time.sleep(0.3)
    assert BUSINESS.requests == [] and len(sent_to(world, phone)) == 1 and rasa.requests == []
    post(client, generic(phone, "HF"))
    wait_for(lambda: len(sent_to(world, phone)) == 2)
    post(client, generic(phone, "RG"))
    wait_for(lambda: len(sent_to(world, phone)) == 3)
    assert len(BUSINESS.requests) == 1


def test_a_long_answer_is_cut_to_three_parts_with_a_pointer(world: Any, client: TestClient, rasa: Rasa,
                                                            phone: str) -> None:
    rasa.text = "社保卡丢失后请立即挂失，可拨打12333或到服务网点办理。" * 12
    post(client, generic(phone, "社保卡丢了怎么办"))
    [sms] = wait_for(lambda: sent_to(world, phone))
    assert len(sms["parts"]) == 3 and all(len(p) <= 67 for p in sms["parts"])
    assert sms["parts"][0].startswith("【12333】") and sms["text"].endswith("门户网站。")


@pytest.mark.parametrize("token", ["", "wrong", TOKEN[:-1]])
def test_a_missing_or_wrong_token_is_401(client: TestClient, token: str, phone: str) -> None:
    response = post(client, generic(phone, "社保卡丢了怎么办"), token=token)
    assert response.status_code == 401 and phone not in response.text


def test_the_source_address_allow_list(client: TestClient, phone: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "sms_allowed_ips", "192.168.0.0/16, not-an-address")
    assert post(client, generic(phone, "你好")).status_code == 403
    monkeypatch.setattr(settings, "sms_allowed_ips", "192.168.0.0/16,10.0.0.0/8")
    assert post(client, generic(phone, "你好")).status_code == 200


@pytest.mark.parametrize(("provider", "body", "status"), [
    ("generic", b"{not json", 400), ("aliyun", b'[{"phone_number": "13800000000"}]', 400),
    ("tencent", b'{"mobile": "13800000000", "nationcode": "86", "text": "x", "time": "now"}', 400),
    ("unknown", b"{}", 404),
])
def test_malformed_pushes_get_a_chinese_error(client: TestClient, provider: str, body: bytes,
                                              status: int) -> None:
    response = client.post(f"/sms/inbound/{provider}", params={"token": TOKEN}, content=body)
    assert response.status_code == status
    assert "Traceback" not in response.text
    assert any("\u4e00" <= c <= "\u9fff" for c in response.json()["error"])


def test_delivery_reports_are_recorded(client: TestClient) -> None:
    report = [{"phone_number": "1381111****", "send_time": "2017-01-01 00:00:00",
               "report_time": "2017-01-01 00:00:00", "success": True, "err_code": "DELIVERED",
               "err_msg": "用户接收成功", "sms_size": "1", "biz_id": "12345********", "out_id": "67890**"}]
    assert post(client, report, "aliyun", area="status").json() == {"code": 0, "msg": "接收成功"}
    import redis as sync_redis

    services = client.app.state.services  # type: ignore[attr-defined]
    stored = sync_redis.Redis.from_url(services.settings.redis_url.get_secret_value(),
                                       decode_responses=True).hgetall("sms:report:aliyun:12345********")
    assert stored["delivered"] == "1" and stored["out_id"] == "67890**"


def test_without_a_downlink_the_webhooks_are_off(client: TestClient, phone: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client.app.state.services, "sms", None)  # type: ignore[attr-defined]
    response = post(client, generic(phone, "你好"))
    assert response.status_code == 503 and "未启用" in response.json()["error"]
