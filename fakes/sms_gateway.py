"""A fake SMS provider: a real HTTP server that speaks the three downlink formats the
gateway uses (``channels/sms/senders.py``) and pushes uplinks and delivery reports back.

Run it with ``python -m fakes.sms_gateway --port 8110``; ``hotline run`` starts it when
``SMS_API_BASE`` is unset. It checks what a provider checks: Aliyun's RPC signature
(``SMS_ACCESS_KEY_ID``/``SMS_ACCESS_KEY_SECRET``, 15-minute clock skew, nonce reuse),
Tencent's TC3-HMAC-SHA256 (``SMS_SECRET_ID``/``SMS_SECRET_KEY``, 5 minutes) and, for the
generic format, a bearer key when ``SMS_ACCESS_KEY_SECRET`` is set. Messages are kept in
memory, one per idempotency key, with the parts the handset would receive.

Test endpoints: ``GET /_fake/messages?phone=``, ``DELETE /_fake/messages``,
``POST /_fake/fail?times=N`` (the next N sends answer 503), ``POST /_fake/uplink``
``{"provider","phone","text"}`` (pushed to the gateway in that provider's format) and
``POST /_fake/report`` ``{"message_id","delivered"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse

from channels.sms import segments
from channels.sms.signatures import tc3_canonical_request, tc3_signature, tc3_string_to_sign
from fakes import sms_formats


@dataclass
class Config:
    gateway_url: str = ""
    webhook_token: str = ""
    access_key_id: str = ""
    access_key_secret: str = ""
    secret_id: str = ""
    secret_key: str = ""
    auto_report: bool = True

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        return cls(env.get("SMS_GATEWAY_URL", ""), env.get("SMS_WEBHOOK_TOKEN", ""),
                   env.get("SMS_ACCESS_KEY_ID", ""), env.get("SMS_ACCESS_KEY_SECRET", ""),
                   env.get("SMS_SECRET_ID", ""), env.get("SMS_SECRET_KEY", ""))


@dataclass
class Store:
    messages: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    nonces: set[str] = field(default_factory=set)
    failures: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def record(self, provider: str, phone: str, text: str, sign_name: str, key: str) -> dict[str, Any]:
        if key and key in self.by_key:  # a retry of a send that got through
            return self.by_key[key]
        message = {"id": uuid.uuid4().hex, "provider": provider, "phone": sms_formats.national(phone),
                   "text": text, "sign_name": sign_name,
                   "content": segments.signature_for(sign_name) + text,
                   "parts": segments.parts(text, segments.signature_for(sign_name)),
                   "idempotency_key": key, "at": time.time()}
        self.messages.append(message)
        if key:
            self.by_key[key] = message
        return message


def create_app(config: Config | None = None, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    config = config or Config.from_env()
    store = Store()
    app = FastAPI(title="fake SMS provider", docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.config = config

    async def push(provider: str, area: str, body: bytes) -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, timeout=10) as client:
            return await client.post(f"{config.gateway_url.rstrip('/')}/sms/{area}/{provider}",
                                     params={"token": config.webhook_token}, content=body,
                                     headers={"Content-Type": "application/json"})

    def sent(message: dict[str, Any]) -> None:
        if not (config.auto_report and config.gateway_url):
            return
        body = sms_formats.report(message, delivered=True)
        task = asyncio.create_task(_quietly(push(message["provider"], "status", body)))
        store.tasks.add(task)
        task.add_done_callback(store.tasks.discard)

    def failing() -> bool:
        if store.failures > 0:
            store.failures -= 1
            return True
        return False

    @app.post("/v1/messages")
    async def generic(request: Request) -> JSONResponse:
        if failing():
            return JSONResponse({"error": "injected failure"}, status_code=503)
        given = request.headers.get("authorization", "")
        if config.access_key_secret and not hmac.compare_digest(
                given.encode(), f"Bearer {config.access_key_secret}".encode()):
            return JSONResponse({"error": "bad key"}, status_code=401)
        data = await request.json()
        if not all(isinstance(data.get(k), str) and data[k] for k in ("to", "text", "idempotency_key")):
            return JSONResponse({"error": "to, text and idempotency_key are required"}, status_code=400)
        message = store.record("generic", data["to"], data["text"], str(data.get("sign_name") or "12333"),
                               data["idempotency_key"])
        sent(message)
        return JSONResponse({"message_id": message["id"]})

    @app.post("/")
    async def cloud(request: Request) -> JSONResponse:
        if failing():
            return JSONResponse({"error": "injected failure"}, status_code=503)
        if "x-tc-action" in request.headers:
            return await _tencent(request)
        return await _aliyun(request)

    async def _aliyun(request: Request) -> JSONResponse:
        # Parsed by hand: form parsing in Starlette needs python-multipart, not installed.
        form = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        params = {**dict(request.query_params), **dict(form)}
        problem = sms_formats.check_aliyun(params, config.access_key_id, config.access_key_secret,
                                           store.nonces, request.method)
        if problem:
            return JSONResponse({"Code": problem, "Message": problem, "RequestId": uuid.uuid4().hex},
                                status_code=400)
        store.nonces.add(params["SignatureNonce"])
        text = json.loads(params["TemplateParam"]).get("content", "")
        message = store.record("aliyun", params["PhoneNumbers"], text, params["SignName"],
                               params.get("OutId", ""))
        sent(message)
        return JSONResponse({"Code": "OK", "Message": "OK", "BizId": message["id"],
                             "RequestId": uuid.uuid4().hex})

    async def _tencent(request: Request) -> JSONResponse:
        body = await request.body()
        problem = _tencent_problem(request, body)
        if problem:
            return JSONResponse({"Response": {"Error": {"Code": problem, "Message": problem},
                                              "RequestId": uuid.uuid4().hex}})
        data = json.loads(body)
        phone = data["PhoneNumberSet"][0]
        message = store.record("tencent", phone, data["TemplateParamSet"][0], data["SignName"],
                               data.get("SessionContext", ""))
        sent(message)
        return JSONResponse({"Response": {"SendStatusSet": [{
            "SerialNo": message["id"], "PhoneNumber": phone, "Fee": len(message["parts"]),
            "SessionContext": data.get("SessionContext", ""), "Code": "Ok",
            "Message": "send success", "IsoCode": "CN"}], "RequestId": uuid.uuid4().hex}})

    def _tencent_problem(request: Request, body: bytes) -> str:
        auth = sms_formats.parse_tc3(request.headers.get("authorization", ""))
        stamp = request.headers.get("x-tc-timestamp", "")
        if auth is None or not stamp.isdigit() or auth["secret_id"] != config.secret_id:
            return "AuthFailure.SecretIdNotFound"
        if abs(time.time() - int(stamp)) > 300:
            return "AuthFailure.SignatureExpire"
        canonical = tc3_canonical_request(request.headers.get("host", ""), body,
                                          request.headers.get("content-type", ""))
        expected = tc3_signature(config.secret_key, auth["service"], int(stamp),
                                 tc3_string_to_sign(auth["service"], int(stamp), canonical))
        if not config.secret_key or not hmac.compare_digest(expected, auth["signature"]):
            return "AuthFailure.SignatureFailure"
        return ""

    @app.get("/_fake/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/_fake/messages")
    async def messages(phone: str = Query("")) -> dict[str, Any]:
        wanted = sms_formats.national(phone) if phone else ""
        return {"messages": [m for m in store.messages if not wanted or m["phone"] == wanted]}

    @app.delete("/_fake/messages")
    async def clear() -> dict[str, int]:
        count = len(store.messages)
        store.messages.clear()
        store.by_key.clear()
        return {"deleted": count}

    @app.post("/_fake/fail")
    async def fail(times: int = Query(1, ge=0, le=100)) -> dict[str, int]:
        store.failures = times
        return {"failures": times}

    @app.post("/_fake/uplink")
    async def uplink(request: Request) -> JSONResponse:
        data = await request.json()
        provider = str(data.get("provider") or "generic")
        body = sms_formats.uplink(provider, str(data["phone"]), str(data["text"]), data.get("message_id"))
        response = await push(provider, "inbound", body)
        return JSONResponse({"status": response.status_code, "body": response.json()})

    @app.post("/_fake/report")
    async def report(request: Request) -> JSONResponse:
        data = await request.json()
        found = [m for m in store.messages if m["id"] == data.get("message_id")]
        if not found:
            return JSONResponse({"error": "unknown message_id"}, status_code=404)
        body = sms_formats.report(found[0], delivered=bool(data.get("delivered", True)))
        response = await push(found[0]["provider"], "status", body)
        return JSONResponse({"status": response.status_code, "body": response.json()})

    return app


async def _quietly(work: Any) -> None:
    try:
        await work
    except httpx.HTTPError:
        pass  # a report the gateway missed is what a real provider retries; the fake does not


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="本地模拟短信服务商（测试与开发用）")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8110)
    args = parser.parse_args(argv)
    # No WebSockets here; uvicorn's default implementation would not import next to
    # rasa-sdk's pinned websockets (README, "Two environments").
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning", ws="none")


if __name__ == "__main__":
    main()
