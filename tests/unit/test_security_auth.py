"""Authentication everywhere (SECURITY.md, "What is tested").

The route table is enumerated from the app itself: every route is either on the short,
reviewed list of public entry points below (each with how it is verified) or refuses
anonymous callers with 401 and callers without the right role with 403. A new route that
is neither fails ``test_every_route_is_public_by_decision_or_protected``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import redis as sync_redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from business.settings import Settings as BusinessSettings
from channels.app import create_app
from channels.settings import Settings
from hotline import signing, supervisor
from tests.unit.conftest import SECRET, FakeRasa, settings
from voice.settings import VoiceSettings

AGENT_PASSWORD = "agent-pass-1"
SUPERVISOR_PASSWORD = "boss-pass-1"
SMS_TOKEN = "sms-webhook-token-for-tests"
WECHAT_TOKEN = "t0kenForTests"

# Public by decision, with what verifies each (an empty reason is not accepted).
PUBLIC: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "the API description",
    ("GET", "/"): "the demo portal page",
    ("GET", "/healthz"): "component status only, no personal data",
    ("GET", "/metrics"): "counters only; restrict at the reverse proxy (SECURITY.md)",
    ("GET", "/widget.js"): "static script",
    ("POST", "/api/v1/webchat/messages"): "origin allow-list, size and rate limits per session and address",
    ("GET", "/api/v1/webchat/messages"): "replies of the caller's own session id",
    ("POST", "/api/v1/webchat/login"): "portal JWT, signature checked",
    ("GET", "/api/v1/webchat/handoff"): "the caller's own session",
    ("DELETE", "/api/v1/webchat/handoff"): "the caller's own session",
    ("POST", "/api/v1/webchat/rating"): "the caller's own session, rate limited",
    ("WS", "/api/v1/webchat/ws"): "origin allow-list, rate limits",
    ("POST", "/sms/inbound/{provider}"): "SMS_WEBHOOK_TOKEN, optional address allow-list",
    ("POST", "/sms/status/{provider}"): "SMS_WEBHOOK_TOKEN, optional address allow-list",
    ("GET", "/wechat"): "WeChat signature over token, timestamp, nonce",
    ("POST", "/wechat"): "WeChat signature (and msg_signature in safe mode), replay window",
    ("POST", "/api/v1/voice/turns"): "HMAC signature of the voice service",
    ("GET", "/agent"): "redirect",
    ("GET", "/agent/"): "login page unless signed in",
    ("GET", "/agent/login"): "login page",
    ("GET", "/agent/{name}"): "static .js/.css of the workspace only",
    ("POST", "/api/v1/agent/login"): "password, rate limited per address",
    ("GET", "/dashboard"): "redirect",
    ("GET", "/dashboard/"): "redirect to login unless a supervisor is signed in",
    ("GET", "/dashboard/review"): "redirect to login unless a supervisor is signed in",
    ("GET", "/dashboard/quality"): "redirect to login unless a supervisor is signed in",
}
PROTECTED_PREFIXES = ("/api/v1/agent/", "/api/v1/dashboard/")
SUPERVISOR_ONLY = re.compile(r"^/api/v1/dashboard/|^/api/v1/agent/audit$")
DASHBOARD_PAGES = ("/dashboard/", "/dashboard/review", "/dashboard/quality")


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route, including those left out of the OpenAPI document."""

    def walk(items: list[Any]) -> Iterator[Any]:
        for item in items:
            if hasattr(item, "effective_candidates"):  # an included router (FastAPI ≥ 0.16x)
                yield from walk(item.effective_candidates())
            elif hasattr(item, "routes") and not hasattr(item, "endpoint"):
                yield from walk(item.routes)
            else:
                yield item

    found = []
    for route in walk(list(app.routes)):
        original = getattr(route, "original_route", route)
        path = getattr(route, "path", "") or getattr(original, "path", "")
        methods = getattr(route, "methods", None) or getattr(original, "methods", None)
        if not methods:  # a WebSocket route
            prefix = getattr(getattr(route, "include_context", None), "prefix", "")
            found.append(("WS", path or prefix + getattr(original, "path", "")))
            continue
        found += [(m, path) for m in sorted(methods) if m != "HEAD"]
    return found


@pytest.fixture(scope="module")
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture(scope="module")
def app_client(redis_server: str, fake_rasa: FakeRasa) -> Iterator[TestClient]:
    sync_redis.Redis.from_url(redis_server).flushdb()
    config = settings(redis_server).model_copy(update={
        "staff_agent_password": SecretStr(AGENT_PASSWORD),
        "staff_supervisor_password": SecretStr(SUPERVISOR_PASSWORD),
        "wechat_token": SecretStr(WECHAT_TOKEN), "wechat_app_id": "wx0123456789abcdef",
        "wechat_app_secret": SecretStr("s3cret-for-tests"),
        "sms_api_base": "http://sms.test", "sms_webhook_token": SecretStr(SMS_TOKEN)})
    app = create_app(config, transport=httpx.MockTransport(fake_rasa))
    with TestClient(app) as client:
        yield client


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def _login(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/agent/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf"]}


def test_every_route_is_public_by_decision_or_protected(app_client: TestClient) -> None:
    table = routes(app_client.app)  # type: ignore[arg-type]
    assert len(table) > 30 and ("POST", "/api/v1/agent/conversations/{conversation}/reveal") in table
    unreviewed = [r for r in table if r not in PUBLIC and not r[1].startswith(PROTECTED_PREFIXES)]
    assert unreviewed == [], "a new route must be protected or listed in PUBLIC with its reason"
    assert all(PUBLIC.values())


def test_staff_apis_refuse_anonymous_callers_with_401(app_client: TestClient) -> None:
    app_client.cookies.clear()
    protected = [r for r in routes(app_client.app)  # type: ignore[arg-type]
                 if r[1].startswith(PROTECTED_PREFIXES) and r not in PUBLIC]
    assert len(protected) >= 20
    for method, path in protected:
        response = app_client.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path, response.status_code)
        assert "登录" in response.json()["error"]


def test_wrong_role_gets_403_and_the_right_role_gets_through(app_client: TestClient) -> None:
    app_client.cookies.clear()
    headers = _login(app_client, "agent", AGENT_PASSWORD)
    protected = [r for r in routes(app_client.app)  # type: ignore[arg-type]
                 if r[1].startswith(PROTECTED_PREFIXES) and r not in PUBLIC]
    for method, path in protected:
        if path == "/api/v1/agent/logout":
            continue  # would end the session the loop relies on
        response = app_client.request(method, _concrete(path), json={}, headers=headers)
        if SUPERVISOR_ONLY.search(path):
            assert response.status_code == 403, (method, path, response.status_code)
        else:
            assert response.status_code not in (401, 403), (method, path, response.text)
    for page in DASHBOARD_PAGES:  # pages send a plain agent to the login, showing nothing
        response = app_client.get(page, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/agent/login")
    app_client.cookies.clear()
    headers = _login(app_client, "supervisor", SUPERVISOR_PASSWORD)
    assert app_client.get("/api/v1/agent/audit").status_code == 200
    assert app_client.get("/api/v1/dashboard/summary").status_code == 200
    assert app_client.get("/dashboard/", follow_redirects=False).status_code == 200
    # A state-changing call without the CSRF token is refused even for a supervisor.
    refused = app_client.post("/api/v1/dashboard/quality/samples", json={})
    assert refused.status_code == 403
    app_client.cookies.clear()


def test_dashboard_pages_send_anonymous_visitors_to_the_login(app_client: TestClient) -> None:
    app_client.cookies.clear()
    for page in DASHBOARD_PAGES:
        response = app_client.get(page, follow_redirects=False)
        assert response.status_code == 303, page
        assert response.headers["location"] == f"/agent/login?next={page}"


def test_agent_static_route_serves_only_its_own_assets(app_client: TestClient) -> None:
    for name in ("..%2F..%2Fsettings.py", "%2E%2E%2Fapp.py", "login.html", "x.py"):
        assert app_client.get(f"/agent/{name}").status_code in (400, 404), name


# -- webhooks ------------------------------------------------------------------------------


def test_every_webhook_refuses_unverified_callers(app_client: TestClient, fake_rasa: FakeRasa) -> None:
    before = len(fake_rasa.requests)
    body = json.dumps({"call_id": "c1", "message_id": "m1", "text": "你好"}).encode()
    forged = signing.sign(b"x" * 64, body)
    xml = b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>" \
          b"<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>"
    uplink = {"phone_number": "13800138000", "content": "你好", "send_time": "2024-01-01 10:00:00",
              "dest_code": "12333", "sequence_id": "sec-1"}
    refused = {
        "voice unsigned": app_client.post("/api/v1/voice/turns", content=body),
        "voice forged": app_client.post("/api/v1/voice/turns", content=body, headers=forged),
        "wechat url unsigned": app_client.get("/wechat", params={"echostr": "e", "timestamp": "1",
                                                                 "nonce": "n"}),
        "wechat unsigned": app_client.post("/wechat", content=xml),
        "wechat forged": app_client.post("/wechat", content=xml, params={
            "signature": "0" * 40, "timestamp": "1700000000", "nonce": "n"}),
        "sms no token": app_client.post("/sms/inbound/aliyun", json=[uplink]),
        "sms wrong token": app_client.post("/sms/inbound/aliyun", params={"token": "guess"},
                                           json=[uplink]),
        "sms report no token": app_client.post("/sms/status/generic", json=[]),
        "web chat foreign origin": app_client.post(
            "/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"},
            headers={"Origin": "https://evil.example"}),
    }
    codes = {name: response.status_code for name, response in refused.items()}
    # 400 only where the signature's parameters are missing altogether.
    assert all(code in (401, 403) or (code == 400 and "unsigned" in name)
               for name, code in codes.items()), codes
    assert len(fake_rasa.requests) == before  # nothing refused reached the bot
    # The genuine twins get through (the refusals above are about the credentials).
    genuine = signing.sign(SECRET.encode(), body)
    assert app_client.post("/api/v1/voice/turns", content=body, headers=genuine).status_code == 200
    ok = app_client.post("/sms/inbound/aliyun", params={"token": SMS_TOKEN}, json=[uplink])
    assert ok.status_code == 200 and ok.json() == {"code": 0, "msg": "接收成功"}
    portal = app_client.post("/api/v1/webchat/messages", json={"session_id": "s1", "text": "你好"},
                             headers={"Origin": "http://127.0.0.1:8000"})
    assert portal.status_code == 200


def test_sms_from_one_number_is_limited_per_minute_others_unaffected(
        app_client: TestClient, fake_rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch) -> None:
    from channels import limits
    from channels.routes import sms

    class Frozen:  # one window for the whole test, whatever the clock says
        @staticmethod
        def time() -> float:
            return 1_700_000_000.0

    monkeypatch.setattr(limits, "time", Frozen)
    rasa = fake_rasa

    def send(phone: str, n: int) -> None:
        uplink = {"phone_number": phone, "content": f"养老保险怎么交{n}", "send_time": "2024-01-01 10:00:00",
                  "dest_code": "12333", "sequence_id": f"{phone}-{n}"}
        response = app_client.post("/sms/inbound/aliyun", params={"token": SMS_TOKEN}, json=[uplink])
        assert response.status_code == 200  # a flood is acknowledged, not answered

    before = len(rasa.requests)
    for n in range(sms.INBOUND_PER_MINUTE + 5):
        send("13900001111", n)
    send("13900002222", 0)
    deadline = time.monotonic() + 10
    while len(rasa.requests) - before < sms.INBOUND_PER_MINUTE + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)  # a turn beyond the limit, if any, would arrive by now
    turns = rasa.requests[before:]
    assert len(turns) == sms.INBOUND_PER_MINUTE + 1  # ten from the flood, one from the other number
    services = app_client.app.state.services  # type: ignore[attr-defined]
    keys = [str(k) for k in sync_redis.Redis.from_url(
        services.settings.redis_url.get_secret_value(), decode_responses=True).keys("ratelimit:sms:*")]
    assert keys and not any("1390000" in k for k in keys)


# -- loopback, secrets ---------------------------------------------------------------------


def test_rasa_and_the_action_server_listen_on_loopback_only(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GATEWAY_HOST", "ACTIONS_HOST", "REDIS_URL", "BUSINESS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_VOICE", "0")
    stack = supervisor.Stack(supervisor.Ports.free(), state_dir=tmp_path, log_dir=tmp_path,
                             model=tmp_path / "model.tar.gz")
    plan = {service.name: service for service in stack.plan()}
    rasa = plan["rasa"].command
    assert rasa[rasa.index("--interface") + 1] == "127.0.0.1"
    assert "--enable-api" not in rasa  # Rasa's HTTP API (tracker, model upload) stays off
    actions = plan["actions"]
    assert actions.command[-4:-2] == ["-m", "actions.server"]
    assert actions.env.get("ACTIONS_HOST", "127.0.0.1") == "127.0.0.1"
    gateway = plan["gateway"].command  # on a laptop the gateway too; production sets GATEWAY_HOST
    assert gateway[gateway.index("--host") + 1] == "127.0.0.1"
    import actions.server as action_server

    source = Path(action_server.__file__).read_text()
    assert 'os.environ.get("ACTIONS_HOST", "127.0.0.1")' in source


SECRET_NAME = re.compile(r"secret|token|password|(?<!public_)key$|redis_url|database_url")


@pytest.mark.parametrize("model", [Settings, VoiceSettings, BusinessSettings])
def test_no_secret_has_a_default_in_code(model: type[BaseSettings]) -> None:
    for name, field in model.model_fields.items():
        if not SECRET_NAME.search(name) or name.endswith("_id"):
            continue
        annotation = str(field.annotation)
        assert "SecretStr" in annotation, f"{model.__name__}.{name} should be a SecretStr"
        if field.default_factory is not None:  # only the business system's local SQLite file
            assert (model, name) == (BusinessSettings, "database_url")
            default = field.default_factory()  # type: ignore[call-arg]
            assert str(default.get_secret_value()).startswith("sqlite:///")
            continue
        assert field.default in (PydanticUndefined, None), f"{model.__name__}.{name} has a default"


def test_the_gateway_does_not_start_without_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOTLINE_SIGNING_SECRET", "HOTLINE_PSEUDONYM_SECRET", "HOTLINE_VAULT_KEY",
                 "BUSINESS_API_TOKEN", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError) as missing:
        Settings()  # type: ignore[call-arg]
    text = str(missing.value)
    for name in ("HOTLINE_SIGNING_SECRET", "HOTLINE_PSEUDONYM_SECRET", "HOTLINE_VAULT_KEY",
                 "BUSINESS_API_TOKEN"):
        assert name in text
