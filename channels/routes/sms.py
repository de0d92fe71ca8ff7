"""SMS webhooks (ARCHITECTURE.md, "SMS"; docs/sms.md): uplinks and delivery reports.

Every call needs ``?token=`` equal to ``SMS_WEBHOOK_TOKEN`` (Aliyun's HTTP push carries
no signature, neither do Tencent's callbacks) and, when ``SMS_ALLOWED_IPS`` is set, a
listed source address. A message is answered with the provider's documented
acknowledgement as soon as it is in the inbound stream; the reply follows later through
the downlink. The number never leaves the gateway: the conversation is its pseudonym.
"""

from __future__ import annotations

import hmac
import ipaddress
from typing import Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from channels import business, metrics, pii
from channels.adapters.sms import SmsAdapter
from channels.errors import (
    BadRequestError,
    ForbiddenError,
    GatewayError,
    PayloadTooLargeError,
    TooManyRequestsError,
    UnauthorizedError,
)
from channels.inbound import InboundMessage
from channels.limits import RateLimiter
from channels.sms import callback, keywords, providers, state
from channels.sms.downlink import SmsDownlink
from channels.sms.errors import SmsPayloadError
from channels.sms.keywords import Route
from hotline import workhours
from hotline.signing import pseudonym

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/sms", tags=["短信"])

MAX_BODY = 256 * 1024
INBOUND_PER_MINUTE = 10  # per number: more is a script or a loop, not a citizen
CHANNEL = SmsAdapter.name


class SmsDisabledError(GatewayError):
    status_code = 503
    message = "短信通道未启用。"


class UnknownProviderError(GatewayError):
    status_code = 404
    message = "不支持的短信服务商。"


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "推送内容格式不正确"}, 401: {"description": "token 缺失或错误"},
    403: {"description": "来源地址不在 SMS_ALLOWED_IPS 中"}, 404: {"description": "不支持的服务商"},
    503: {"description": "短信通道未启用"},
}


async def _admit(request: Request, provider: str, token: str) -> tuple[Any, SmsDownlink, bytes]:
    services = request.app.state.services
    settings = services.settings
    sms: SmsDownlink | None = getattr(services, "sms", None)
    expected = settings.sms_webhook_token.get_secret_value() if settings.sms_webhook_token else ""
    if sms is None or not expected:
        raise SmsDisabledError()
    if not hmac.compare_digest(token.encode(), expected.encode()):
        metrics.refused.labels(CHANNEL, "token").inc()
        raise UnauthorizedError()
    if not _allowed(settings.sms_allowed_ips, request.client.host if request.client else ""):
        metrics.refused.labels(CHANNEL, "address").inc()
        raise ForbiddenError("来源地址未获授权。")
    if provider not in providers.PROVIDERS:
        raise UnknownProviderError()
    body = await request.body()
    if len(body) > MAX_BODY:
        raise PayloadTooLargeError("推送内容过大。")
    return services, sms, body


def _allowed(listed: str, host: str) -> bool:
    networks = [n.strip() for n in listed.split(",") if n.strip()]
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in map(_network, networks) if network is not None)


def _network(spec: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(spec, strict=False)
    except ValueError:  # a mistyped entry allows nobody rather than everybody
        log.warning("sms.bad_allowed_ip", entry=spec)
        return None


def _parse(parse: Any, provider: str, body: bytes) -> list[Any]:
    try:
        return list(parse(provider, body))
    except SmsPayloadError as exc:
        raise BadRequestError(exc.message) from None


@router.post("/inbound/{provider}", summary="上行短信（市民发来的短信）", responses=ERRORS)
async def inbound(provider: str, request: Request, token: str = Query("")) -> JSONResponse:
    services, sms, body = await _admit(request, provider, token)
    for uplink in _parse(providers.parse_uplinks, provider, body):
        await _receive(services, sms, provider, uplink)
    return JSONResponse(providers.ack(provider))


@router.post("/status/{provider}", summary="短信下发状态报告", responses=ERRORS)
async def status(provider: str, request: Request, token: str = Query("")) -> JSONResponse:
    _, sms, body = await _admit(request, provider, token)
    for report in _parse(providers.parse_reports, provider, body):
        await sms.record_report(provider, report)
    return JSONResponse(providers.ack(provider))


async def _receive(services: Any, sms: SmsDownlink, provider: str, uplink: providers.Uplink) -> None:
    secret = services.settings.pseudonym_secret.get_secret_value().encode()
    conversation = sms.subject(uplink.phone)
    message_id = uplink.message_id or f"{provider}:" + pseudonym(
        secret, "sms-uplink", uplink.phone, repr(uplink.received_at), uplink.text, length=24)
    try:
        await RateLimiter(services.redis, CHANNEL).hit("number", conversation, INBOUND_PER_MINUTE, "")
    except TooManyRequestsError:
        metrics.refused.labels(CHANNEL, "rate").inc()
        return  # acknowledged all the same: a provider retry would only add to the flood
    vault = pii.Vault(services.redis, pii.fernet_key(services.settings.vault_key.get_secret_value()))
    await state.remember_phone(vault, secret, conversation, uplink.phone)
    route = await _resolve(services, conversation, keywords.load().route(uplink.text))
    if route.kind == "optout":
        await sms.opt_out(uplink.phone)
        sms.spawn(sms.confirm_opt_out(uplink.phone, route.reply, f"optout:{message_id}"), "optout")
        return
    if route.kind == "optin":
        await sms.opt_in(uplink.phone)
    elif await sms.opted_out(uplink.phone):
        metrics.refused.labels(CHANNEL, "opted_out").inc()
        return  # the citizen said TD; HF lifts it
    if route.kind == "callback":
        sms.spawn(_callback(services, sms, uplink.phone, message_id), "callback")
        return
    if route.kind in ("local", "optin"):
        sms.spawn(sms.send(uplink.phone, route.reply, kind="reply", idempotency_key=f"local:{message_id}"),
                  route.keyword or "local")
        return
    message = InboundMessage(channel=CHANNEL, conversation=conversation, message_id=message_id,
                             text=route.text, payload=route.payload, received_at=uplink.received_at,
                             reply_to=conversation)
    if await services.stream.accept(message):
        metrics.inbound.labels(CHANNEL).inc()
    else:
        metrics.duplicates.labels(CHANNEL).inc()


async def _callback(services: Any, sms: SmsDownlink, phone: str, message_id: str) -> None:
    settings = services.settings

    async def file(number: str, key: str) -> business.CallbackTicket:
        return await business.file_callback(services.http, settings.business_url,
                                            settings.business_api_token.get_secret_value(), number, key)

    await callback.request(sms, file, phone, message_id, workhours.from_env().describe())


async def _resolve(services: Any, conversation: str, route: Route) -> Route:
    """A number answering the last reply's options becomes that option's payload."""
    if route.kind != "choice":
        return route
    payload = await state.option(services.redis, conversation, route.choice)
    if payload is None:
        return Route("local", reply=keywords.load().choice_expired, keyword="choice")
    return Route("dialogue", payload=payload, keyword="choice")
