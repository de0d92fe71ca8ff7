"""The agent workspace (坐席工作台): pages at ``/agent/``, APIs under ``/api/v1/agent/…``.

Every API refuses anonymous callers (401) and callers without the role (403); changes
need the session's CSRF token (channels/staff.py). What an agent sees of a citizen is
masked; the full value behind a token needs a written reason, and every view of personal
data — the screen-pop and each reveal — goes to the audit log (stream ``audit:agent``).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import httpx
import structlog
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from channels import pii
from channels.answers import Answers
from channels.dialogue import RasaClient
from channels.errors import BadRequestError, DialogueUnavailableError, GatewayError
from channels.handoff import SKILLS, HandoffError, HandoffQueue
from channels.human import HumanDesk
from channels.identity_store import IdentityStore
from channels.limits import RateLimiter
from channels.masking import mask_text
from channels.redisio import text, text_map
from channels.staff import StaffDirectory, StaffUser, page_user, require_role
from hotline import signing
from hotline.retrieval.service import Retriever

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static" / "agent"
AUDIT_STREAM = "audit:agent"
OUTCOMES = ("resolved", "ticket", "transferred", "citizen_gone", "other")
TICKET_TYPES = ("complaint", "callback", "hard_question", "report")

# Conversation ids are pseudonyms (hex) or, in tests, short ASCII names: anything else is
# refused before it reaches Redis keys or outgoing headers.
Conversation = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_.:-]{1,128}$", description="会话编号（化名）")]

router = APIRouter(tags=["坐席工作台"])
api = APIRouter(prefix="/api/v1/agent", tags=["坐席工作台"])
agent_only = Depends(require_role("agent"))
supervisor_only = Depends(require_role("supervisor"))


@dataclasses.dataclass
class AgentDesk:
    """What the workspace's routes use; built once in the gateway's lifespan."""

    redis: Redis
    staff: StaffDirectory
    queue: HandoffQueue
    human: HumanDesk
    identities: IdentityStore
    vault: pii.Vault
    rasa: RasaClient
    answers: Answers
    retriever: Retriever | None
    http: httpx.AsyncClient
    business_url: str
    business_token: str
    pseudonym_secret: bytes
    limiter: RateLimiter


class HandoffActionError(GatewayError):
    status_code = 409


def desk(request: Request) -> AgentDesk:
    found: AgentDesk = request.app.state.agent_desk
    return found


async def audit(d: AgentDesk, user: StaffUser, action: str, conversation: str, detail: str = "",
                reason: str = "") -> None:
    """One line per view of personal data; kept as a Redis stream (and in the log, masked)."""
    entry: dict[Any, Any] = {"agent": user.username, "action": action, "conversation": conversation,
             "detail": detail, "reason": mask_text(reason), "at": repr(time.time())}
    await d.redis.xadd(AUDIT_STREAM, entry, maxlen=1_000_000, approximate=True)
    log.info("agent.audit", agent=user.username, action=action, conversation=conversation,
             detail=detail)


# -- pages ---------------------------------------------------------------------------------------

def _page(name: str) -> FileResponse:
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'"})


@router.get("/agent", include_in_schema=False)
async def agent_root() -> RedirectResponse:
    return RedirectResponse("/agent/", status_code=307)


@router.get("/agent/", include_in_schema=False)
async def workspace(request: Request) -> Response:
    if await page_user(request, "agent") is None:
        return _page("login.html")
    return _page("index.html")


@router.get("/agent/login", include_in_schema=False)
async def login_page() -> FileResponse:
    return _page("login.html")


@router.get("/agent/{name}", include_in_schema=False)
async def asset(name: str) -> FileResponse:
    types = {".js": "application/javascript", ".css": "text/css"}
    path = STATIC / name
    if path.suffix not in types or not path.is_file() or path.parent != STATIC:
        raise BadRequestError("没有这个文件。")
    return FileResponse(path, media_type=f"{types[path.suffix]}; charset=utf-8")


# -- session ---------------------------------------------------------------------------------------

class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class PresenceIn(BaseModel):
    status: str = Field("online", pattern="^(online|away)$")
    capacity: int = Field(3, ge=1, le=10)


@api.post("/login", summary="坐席或班长登录")
async def login(body: LoginIn, request: Request, response: Response) -> dict[str, Any]:
    d = desk(request)
    address = request.client.host if request.client else "unknown"
    # Keys hold pseudonyms only, never an address.
    await d.limiter.hit("login", signing.pseudonym(d.pseudonym_secret, "ip", address), 10,
                        "登录尝试过于频繁，请一分钟后再试。")
    user = d.staff.authenticate(body.username, body.password)
    if user is None:
        log.info("agent.login_failed")
        raise LoginFailedError()
    csrf = await d.staff.open_session(user, response)
    log.info("agent.login", agent=user.username)
    return {"user": user.as_dict(), "csrf": csrf}


class LoginFailedError(GatewayError):
    status_code = 401
    message = "用户名或密码不正确。"


@api.post("/logout", summary="退出登录")
async def logout(request: Request, response: Response, user: StaffUser = agent_only) -> dict[str, str]:
    d = desk(request)
    await d.queue.heartbeat(user.username, "offline")
    await d.staff.close_session(request, response)
    return {"status": "ok"}


@api.get("/me", summary="当前坐席")
async def me(request: Request, user: StaffUser = agent_only) -> dict[str, Any]:
    return {"user": user.as_dict(), **await desk(request).queue.agent_info(user.username)}


@api.post("/presence", summary="在线状态与同时接待上限（工作台每15秒上报一次）")
async def presence(body: PresenceIn, request: Request, user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    await d.queue.heartbeat(user.username, body.status, body.capacity)
    return await d.queue.agent_info(user.username)


# -- the queue -----------------------------------------------------------------------------------

@api.get("/queue", summary="排队中的会话、我的会话、在线坐席")
async def queue(request: Request, user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    waiting = await d.queue.waiting(user.skills, user.regions)
    info = await d.queue.agent_info(user.username)
    mine = [item.as_dict() for c in info["active"]
            if (item := await d.queue.describe_conversation(c)) is not None]
    now = time.time()
    return {
        "waiting": [{**w.as_dict(), "waited_s": round(now - w.since)} for w in waiting],
        "mine": mine,
        "agents": await d.queue.present_agents(),
        "me": info,
    }


@api.post("/conversations/{conversation}/accept", summary="接入排队中的会话")
async def accept(conversation: Conversation, request: Request,
                 user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    try:
        item = await d.queue.accept(conversation, user.username)
    except HandoffError as exc:
        raise HandoffActionError(str(exc)) from exc
    await d.human.accepted(conversation, user.display_name)
    return item.as_dict()


@api.post("/next", summary="接入下一位（按技能组与优先级）")
async def take_next(request: Request, user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    item = await d.queue.next_for(user.username, user.skills, user.regions)
    if item is None:
        raise HandoffActionError("当前没有排队的市民。")
    await d.human.accepted(item.conversation, user.display_name)
    return item.as_dict()


# -- one conversation ------------------------------------------------------------------------------

async def _masked(d: AgentDesk, text: str) -> str:
    return await d.vault.display(text)


@api.get("/conversations/{conversation}", summary="弹屏：身份（脱敏）、渠道、对话记录、槽位、办件")
async def screen_pop(conversation: Conversation, request: Request,
                     user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    item = await d.queue.describe_conversation(conversation)
    if item is None:
        raise HandoffActionError("会话不存在或已结束。")
    identity = await d.identities.get(conversation, item.channel)
    try:
        context = await d.rasa.context(conversation)
    except DialogueUnavailableError:
        context = {"transcript": [], "slots": {}, "intent": None, "unavailable": True}
    transcript = [{**line, "text": await _masked(d, str(line.get("text") or "")),
                   "tokens": _tokens(str(line.get("text") or ""))}
                  for line in context.get("transcript") or []]
    log_lines = [{**line, "text": await _masked(d, str(line.get("text") or "")),
                  "tokens": _tokens(str(line.get("text") or ""))}
                 for line in await d.queue.lines(conversation)]
    slots = {name: (await _masked(d, value) if isinstance(value, str) else value)
             for name, value in (context.get("slots") or {}).items()
             if name not in ("identity", "identity_sig")}
    applications = await _applications(d, identity.record_ref)
    await audit(d, user, "screen_pop", conversation, f"level={identity.level}")
    return {
        "conversation": conversation,
        "handoff": item.as_dict(),
        "identity": {"level": identity.level, "display_name": identity.display_name,
                     "id_number": identity.id_number, "region": identity.region,
                     "channels": list(identity.channels), "verified": identity.level == "verified"},
        "intent": context.get("intent"),
        "bot_transcript": transcript,
        "bot_unavailable": bool(context.get("unavailable")),
        "handoff_log": log_lines,
        "slots": slots,
        "applications": applications,
    }


def _tokens(text: str) -> list[str]:
    return sorted({m.group(0) for m in pii.TOKEN.finditer(text)})


async def _applications(d: AgentDesk, record_ref: str | None) -> dict[str, Any]:
    if not record_ref:
        return {"available": False, "items": [], "note": "市民未核验身份，无法查询办件。"}
    try:
        response = await d.http.get(f"{d.business_url}/api/v1/persons/{record_ref}/applications",
                                    headers={"Authorization": f"Bearer {d.business_token}"},
                                    timeout=3.0)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError):
        return {"available": False, "items": [], "note": "业务系统暂时无法访问，请稍后刷新。"}
    items = data.get("applications", data) if isinstance(data, dict) else data
    return {"available": True, "items": items if isinstance(items, list) else []}


class RevealIn(BaseModel):
    token: str = Field(pattern=r"^(ID|CARD|PHONE|NAME|CODE)TOKEN_[0-9a-f]{12}$")
    reason: str = Field(min_length=4, max_length=200, description="查看完整信息的原因（记入审计日志）")


@api.post("/conversations/{conversation}/reveal", summary="查看完整个人信息（须填写原因，记入审计）")
async def reveal(conversation: Conversation, body: RevealIn, request: Request,
                 user: StaffUser = agent_only) -> dict[str, str]:
    d = desk(request)
    state = await d.queue.state(conversation)
    if state.get("agent") != user.username and not user.has("supervisor"):
        raise HandoffActionError("只能查看您正在接待的会话。")
    said = [line.get("text") for line in await d.queue.lines(conversation)]
    try:
        said += [line.get("text") for line in (await d.rasa.context(conversation)).get("transcript") or []]
    except DialogueUnavailableError:
        pass
    if not any(body.token in str(text or "") for text in said):
        raise BadRequestError("该信息不属于此会话。")
    value = await d.vault.reveal(body.token)
    if value is None:
        raise HandoffActionError("该信息已过保存期限，无法查看。")
    await audit(d, user, "reveal", conversation, body.token.split("_", 1)[0], body.reason)
    return {"token": body.token, "value": value}


async def _protected(d: AgentDesk, conversation: str, text: str) -> str:
    """An agent's words as they may be stored: personal numbers as vault tokens."""
    stored, found = pii.tokenise(text, d.pseudonym_secret, conversation)
    await d.vault.keep(found)
    return stored


class SayIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


@api.post("/conversations/{conversation}/messages", summary="回复市民（经市民所用渠道发出）")
async def say(conversation: Conversation, body: SayIn, request: Request,
                user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    stored = await _protected(d, conversation, body.text)
    try:
        line = await d.queue.agent_said(conversation, user.username, stored)
    except HandoffError as exc:
        raise HandoffActionError(str(exc)) from exc
    # Numbers go out masked, as the bot's own replies do: what the citizen is sent is
    # stored (outboxes, provider logs), and it must not hold them raw.
    shown = await d.vault.display(stored)
    await d.human.say(conversation, shown)
    return {**line, "text": shown}


@api.post("/conversations/{conversation}/notes", summary="内部备注（市民看不到）")
async def note(conversation: Conversation, body: SayIn, request: Request,
                user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    return await d.queue.log(conversation, "note", await _protected(d, conversation, body.text),
                             user.username)


class CloseIn(BaseModel):
    summary: str = Field(min_length=2, max_length=500)
    outcome: str = Field(pattern="^(" + "|".join(OUTCOMES) + ")$")


@api.post("/conversations/{conversation}/close", summary="结束人工服务，交还智能客服并邀请评价")
async def close(conversation: Conversation, body: CloseIn, request: Request,
                user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    try:
        handled = await d.queue.close(conversation, user.username, mask_text(body.summary), body.outcome)
    except HandoffError as exc:
        raise HandoffActionError(str(exc)) from exc
    await d.human.closed(conversation)
    return {"state": "closed", "handled_s": round(handled)}


class TransferIn(BaseModel):
    to_agent: str | None = Field(None, max_length=64)
    to_skill: str | None = Field(None, pattern="^(" + "|".join(SKILLS) + ")$")


@api.post("/conversations/{conversation}/transfer", summary="转接给其他坐席或技能组")
async def transfer(conversation: Conversation, body: TransferIn, request: Request,
                   user: StaffUser = agent_only) -> dict[str, str]:
    if not body.to_agent and not body.to_skill:
        raise BadRequestError("请选择转接的坐席或技能组。")
    d = desk(request)
    try:
        await d.queue.transfer(conversation, user.username, body.to_agent, body.to_skill)
    except HandoffError as exc:
        raise HandoffActionError(str(exc)) from exc
    await d.human.say(conversation, "正在为您转接其他客服，请稍候。", sender="system")
    return {"status": "transferred"}


class TicketIn(BaseModel):
    type: str = Field(pattern="^(" + "|".join(TICKET_TYPES) + ")$")
    summary: str = Field(min_length=2, max_length=200)
    details: str = Field("", max_length=2000)


@api.post("/conversations/{conversation}/tickets", summary="为市民创建工单（投诉、回电、疑难问题）")
async def ticket(conversation: Conversation, body: TicketIn, request: Request,
                user: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    try:
        state = await d.queue.owned(conversation, user.username) if not user.has("supervisor") \
            else await d.queue.state(conversation)
    except HandoffError as exc:
        raise HandoffActionError(str(exc)) from exc
    if not state:
        raise HandoffActionError("会话不存在或已结束。")
    identity = await d.identities.get(conversation, state.get("channel", ""))
    payload: dict[str, Any] = {"type": body.type, "summary": mask_text(body.summary),
                               "details": mask_text(body.details),
                               "channel": state.get("channel") or "webchat"}
    if identity.record_ref:
        payload["person_ref"] = identity.record_ref
    try:
        response = await d.http.post(
            f"{d.business_url}/api/v1/tickets", json=payload, timeout=3.0,
            headers={"Authorization": f"Bearer {d.business_token}",
                     "Idempotency-Key": _ticket_key(conversation, body)})
    except httpx.HTTPError as exc:
        raise HandoffActionError("业务系统暂时无法访问，工单未创建，请稍后重试。") from exc
    if response.status_code >= 400:
        detail = response.json().get("detail") if response.headers.get("content-type", "").startswith(
            "application/json") else None
        raise HandoffActionError(f"工单未创建：{detail or response.status_code}")
    created = response.json()
    await d.queue.log(conversation, "note", f"已创建工单 {created.get('ticket_no')}（{body.type}）",
                      user.username)
    return dict(created)


def _ticket_key(conversation: Conversation, body: TicketIn) -> str:
    """The same ticket asked for twice (a double click, a retry) is filed once."""
    return f"agent:{conversation}:{uuid.uuid5(uuid.NAMESPACE_URL, body.type + body.summary)}"


@api.get("/canned", summary="从知识库检索规范答复")
async def canned(request: Request, q: str = Query(min_length=1, max_length=100),
                 region: str = Query("", max_length=32),
                 _: StaffUser = agent_only) -> dict[str, Any]:
    d = desk(request)
    ids: list[str] = []
    if d.retriever is not None:
        ranked = await d.retriever.rank_async(q, 5)
        ids = [str(pair[0]) for pair in ranked.get("bm25") or []]
    else:  # retrieval switched off (HOTLINE_RETRIEVAL=off): plain matching of the titles
        ids = d.answers.search_titles(q, 5)
    results = []
    for faq_id in ids:
        entry = d.answers.entry(faq_id)
        if entry is None:
            continue
        answer = entry.answer_for(region or d.answers.region_for(None, ""))
        results.append({"faq_id": entry.id, "title": entry.title, "topic": entry.topic,
                        "text": answer.full, "short": answer.short,
                        "sources": [s.cite() for s in answer.sources]})
    return {"results": results}


@api.get("/audit", summary="个人信息查看审计（班长）")
async def audit_log(request: Request, count: int = Query(100, ge=1, le=1000),
                    _: StaffUser = supervisor_only) -> dict[str, Any]:
    d = desk(request)
    rows = await d.redis.xrevrange(AUDIT_STREAM, count=count) or []
    return {"entries": [{"id": text(i), **text_map(fields)} for i, fields in rows]}
