"""Verifying who the citizen is, at the edge (issue 4).

The bot asks for verification with a custom payload ``{"type": "verify", "level": …}``;
from then on the gateway runs the form itself until it succeeds, fails or the citizen
cancels, so 身份证号, name and code never reach Rasa — not even as tokens in a slot. It
works the same in every channel: typed, spoken (ASR gives Chinese numerals) or keyed on
a phone pad (X as ``*``).

``verified``: 身份证号 (GB 11643 check digit) → name → matched against the business
system's record → a one-time code to the phone number on record. ``phone``: a number →
a one-time code to it. Three mismatches or five wrong codes lock verification for the
conversation for 30 minutes. State: ``verify:session:<conversation>`` (15 minutes),
``verify:lock:<conversation>``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

import structlog
from redis.asyncio import Redis
from stdnum.cn import ric

from channels import notify, pii
from channels.business import BusinessUnavailableError, PersonRecord
from channels.identity_store import MAX_TTL_S, IdentityStore, person_pseudonym
from channels.inbound import BotReply, InboundMessage
from channels.masking import mask_id_number, mask_name, mask_phone
from channels.otp import CodeLimitError, OneTimeCodes
from channels.redisio import text_map
from hotline import signing
from hotline.identity import IdentityContext

log = structlog.get_logger(__name__)

SESSION_TTL_S = 15 * 60
LOCK_S = 30 * 60
MAX_MISMATCHES = 3

NOTICE = (
    "【个人信息告知】查询个人社保业务前需要核实您的身份。我们会请您提供身份证号码和姓名，"
    "仅用于与人社业务系统登记的信息比对，并向登记的手机号发送验证码；比对所用信息加密保存、"
    "30分钟后删除，不用于其他用途（依据《中华人民共和国个人信息保护法》第十七条）。"
    "回复“取消”可随时退出。"
)
ASK_ID = "请输入您的18位身份证号码（电话按键输入时，字母X请按*键）。"
ASK_NAME = "请输入身份证上的姓名。"
ASK_PHONE = "请输入您的11位手机号码，我们会发送验证码。"
NO_MATCH = "身份证号码与姓名未能与业务系统登记的信息匹配，请核对后重新输入身份证号码。"
CANCELLED = "已退出身份验证。请问还有什么可以帮您？"
LOCKED = ("验证失败次数过多，为保护您的信息安全，身份验证已暂停30分钟。您可以稍后再试，"
          "或在工作时间转人工、前往就近的人社服务网点办理。")
UNAVAILABLE = ("业务系统暂时无法核验身份，请稍后再试；您也可以在工作时间转人工，"
               "或拨打12333。")
SEND_FAILED = "验证码暂时发送不出去，请稍后回复“重新发送”，或在工作时间转人工办理。"
CANCEL_WORDS = frozenset({"取消", "退出", "算了", "不验证了", "/cancel_verification"})
RESEND_WORDS = frozenset({"重新发送", "重发", "再发一次", "/resend_code"})
BIND_WORDS = frozenset({"绑定", "/bind_identity"})
UNBIND_WORDS = frozenset({"解除绑定", "解绑", "/unbind_identity"})
# Asking for a person ends the form and goes on to the handoff (keypad 0 on the phone too).
HUMAN_WORDS = frozenset({"转人工", "人工", "人工客服", "/request_human"})

# Spoken digits as ASR writes them (幺 for 1, 叉 for X) and full-width forms.
_CN_DIGITS = str.maketrans("零〇一二三四五六七八九幺两０１２３４５６７８９＊ｘＸx叉",
                           "00123456789120123456789*XXXX")

SendCode = Callable[[str, str, str], Awaitable[None]]
Lookup = Callable[[str, str], Awaitable[PersonRecord | None]]


def normalise_digits(text: str) -> str:
    """Digits however they came: typed, full-width, spoken as Chinese numerals, or keyed
    with ``*`` for X; separators dropped."""
    flat = text.translate(_CN_DIGITS).replace("*", "X")
    return re.sub(r"(?<=[0-9X])[\s\-—,，、.。]+(?=[0-9X])", "", flat).strip()


def _reply(message: InboundMessage, text: str, buttons: list[dict[str, str]] | None = None,
           **meta: Any) -> BotReply:
    body: dict[str, Any] = {"text": text}
    if buttons:
        body["buttons"] = buttons
    return BotReply(message.message_id, [body], {
        "intent": "verify_identity", "confidence": None, "topic": None, "faq_id": None,
        "handoff": False, **meta})


@dataclass
class _Session:
    want: str
    step: str
    mismatches: int = 0
    id_token: str = ""
    person_ref: str = ""
    phone_token: str = ""
    region: str = ""
    display_name: str = ""
    record_ref: str = ""

    @classmethod
    def load(cls, raw: dict[str, str]) -> _Session:
        values: dict[str, Any] = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        values["mismatches"] = int(values.get("mismatches") or 0)
        return cls(**values)


class VerificationDesk:
    def __init__(self, redis: Redis, vault: pii.Vault, codes: OneTimeCodes, identities: IdentityStore,
                 lookup: Lookup, send_code: SendCode, pseudonym_secret: bytes,
                 default_region: str) -> None:
        self.redis = redis
        self.vault = vault
        self.codes = codes
        self.identities = identities
        self._lookup = lookup
        self._send_code = send_code
        self._secret = pseudonym_secret
        self._default_region = default_region

    # -- state ---------------------------------------------------------------------

    async def _session(self, conversation: str) -> _Session | None:
        raw = text_map(await self.redis.hgetall(f"verify:session:{conversation}"))
        return _Session.load(raw) if raw else None

    async def _save(self, conversation: str, session: _Session) -> None:
        name = f"verify:session:{conversation}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            pipe.hset(name, mapping={k: str(v) for k, v in session.__dict__.items()})
            pipe.expire(name, SESSION_TTL_S)
            await pipe.execute()

    async def _end(self, conversation: str) -> None:
        await self.redis.delete(f"verify:session:{conversation}")

    async def _lock(self, conversation: str) -> None:
        await self.redis.set(f"verify:lock:{conversation}", "1", ex=LOCK_S)
        await self._end(conversation)

    async def expecting(self, conversation: str) -> str | None:
        """What the next message should be (``id_number``, ``name``, ``phone``, ``code``,
        ``consent``), so the edge can tokenise it before it is stored."""
        session = await self._session(conversation)
        return session.step if session else None

    # -- the edge: make the expected answer safe before the stream -----------------------

    async def protect(self, message: InboundMessage) -> InboundMessage:
        """``message`` as it may be stored: what the form asked for tokenised as such, and
        any 身份证号, mobile or card number anywhere tokenised by pattern."""
        text, found = pii.tokenise(await self._expected(message), self._secret, message.conversation)
        await self.vault.keep(found)
        return dataclasses.replace(message, text=text)

    async def _expected(self, message: InboundMessage) -> str:
        step = await self.expecting(message.conversation)
        text = message.text
        if step in ("id_number", "phone", "code"):
            text = normalise_digits(text)
        if step == "id_number" and re.fullmatch(r"[0-9X]{6,20}", text):
            return await self._token(message.conversation, "ID", text)
        if step == "name" and text.strip() and text.strip() not in CANCEL_WORDS | HUMAN_WORDS:
            return await self._token(message.conversation, "NAME", text.strip())
        if step == "code" and re.fullmatch(r"\d{4,8}", text):
            return await self._token(message.conversation, "CODE", text)
        return text

    async def _token(self, conversation: str, kind: str, value: str) -> str:
        found = pii.Found(kind, value, pii.token_for(kind, value, self._secret, conversation))
        await self.vault.keep([found], ttl_s=SESSION_TTL_S)
        return found.token

    # -- the dialogue ----------------------------------------------------------------

    async def start(self, message: InboundMessage, want: str) -> BotReply:
        if await self.redis.exists(f"verify:lock:{message.conversation}"):
            return _reply(message, LOCKED)
        want = want if want in ("phone", "verified") else "verified"
        step = "phone" if want == "phone" else "id_number"
        await self._save(message.conversation, _Session(want=want, step=step))
        return _reply(message, f"{NOTICE}\n{ASK_PHONE if step == 'phone' else ASK_ID}",
                      [{"title": "取消", "payload": "/cancel_verification"}])

    async def intercept(self, message: InboundMessage) -> BotReply | None:
        """The gateway's answer when this message belongs to verification; else None."""
        said = (message.payload or message.text).strip()
        if said in UNBIND_WORDS:
            removed = await self.identities.unlink(message.conversation)
            return _reply(message, "已解除本渠道与您身份的绑定，下次查询个人业务需要重新验证。"
                          if removed else "本渠道没有绑定身份，无需解除。")
        session = await self._session(message.conversation)
        if session is None:
            return None
        if said in CANCEL_WORDS:
            await self._end(message.conversation)
            return _reply(message, CANCELLED)
        if said in HUMAN_WORDS:
            await self._end(message.conversation)
            return None  # the dialogue takes it from here: a human, within hours
        handlers = {"id_number": self._on_id_number, "name": self._on_name, "phone": self._on_phone,
                    "code": self._on_code, "consent": self._on_consent}
        return await handlers[session.step](message, session, said)

    async def _mismatch(self, message: InboundMessage, session: _Session, problem: str,
                        step: str) -> BotReply:
        session.mismatches += 1
        if session.mismatches >= MAX_MISMATCHES:
            await self._lock(message.conversation)
            return _reply(message, LOCKED)
        session.step = step
        await self._save(message.conversation, session)
        return _reply(message, f"{problem}还可尝试{MAX_MISMATCHES - session.mismatches}次。")

    async def _revealed(self, said: str, kind: str) -> tuple[str, str | None]:
        """The first ``kind`` token in what the citizen said, and its value."""
        for match in pii.TOKEN.finditer(said):
            if match.group(1) == kind:
                return match.group(0), await self.vault.reveal(match.group(0))
        return "", None

    async def _on_id_number(self, message: InboundMessage, session: _Session, said: str) -> BotReply:
        token, value = await self._revealed(said, "ID")
        problem = _id_problem(value or normalise_digits(said))
        if problem:
            return await self._mismatch(message, session, problem, step="id_number")
        session.id_token, session.step = token, "name"
        await self._save(message.conversation, session)
        return _reply(message, ASK_NAME)

    async def _on_name(self, message: InboundMessage, session: _Session, said: str) -> BotReply:
        _, name = await self._revealed(said, "NAME")
        id_number = await self.vault.reveal(session.id_token)
        if not name or not id_number:
            await self._end(message.conversation)
            return _reply(message, "验证已超时，请重新开始身份验证。")
        try:
            record = await self._lookup(id_number, name)
        except BusinessUnavailableError:
            await self._end(message.conversation)
            return _reply(message, UNAVAILABLE)
        if record is None:
            session.id_token = ""
            return await self._mismatch(message, session, NO_MATCH, step="id_number")
        session.person_ref = person_pseudonym(self._secret, id_number)
        session.record_ref = record.person_ref
        session.display_name = mask_name(name)
        session.region = record.region or ""
        session.phone_token = await self._token(message.conversation, "PHONE", record.phone)
        return await self._send(message, session, record.phone)

    async def _on_phone(self, message: InboundMessage, session: _Session, said: str) -> BotReply:
        token, phone = await self._revealed(said, "PHONE")
        if not phone:
            return _reply(message, "请输入正确的11位手机号码。")
        session.phone_token = token
        session.person_ref = signing.pseudonym(self._secret, "phone", phone)
        return await self._send(message, session, phone)

    async def _send(self, message: InboundMessage, session: _Session, phone: str) -> BotReply:
        try:
            code = await self.codes.issue(phone, message.conversation)
        except CodeLimitError as exc:
            await self._end(message.conversation)
            return _reply(message, str(exc))
        # The provider adds the signature 【12333】.
        text = f"您的身份验证码为{code}，5分钟内有效。请勿告诉他人，工作人员不会向您索要验证码。"
        try:
            await self._send_code(phone, text, f"otp:{message.conversation}:{message.message_id}")
        except Exception as exc:  # any downlink failure: the citizen is told, nothing is half-done
            log.warning("verification.code_not_sent", error=type(exc).__name__, detail=str(exc)[:120])
            await self._end(message.conversation)
            return _reply(message, SEND_FAILED)
        session.step = "code"
        await self._save(message.conversation, session)
        return _reply(message, f"验证码已发送至手机{mask_phone(phone)}，5分钟内有效，请输入6位验证码。"
                      "没收到可回复“重新发送”。",
                      [{"title": "重新发送", "payload": "/resend_code"},
                       {"title": "取消", "payload": "/cancel_verification"}])

    async def _on_code(self, message: InboundMessage, session: _Session, said: str) -> BotReply:
        phone = await self.vault.reveal(session.phone_token)
        if not phone:
            await self._end(message.conversation)
            return _reply(message, "验证已超时，请重新开始身份验证。")
        if said in RESEND_WORDS:
            return await self._send(message, session, phone)
        _, code = await self._revealed(said, "CODE")
        if not code:
            return _reply(message, "请输入短信中的6位数字验证码。")
        check = await self.codes.check(phone, code)
        if check.outcome == "wrong":
            return _reply(message, f"验证码不正确，请重新输入，还可尝试{check.left}次。")
        if check.outcome == "expired":
            return _reply(message, "验证码已过期或已使用，请回复“重新发送”获取新的验证码。",
                          [{"title": "重新发送", "payload": "/resend_code"}])
        if check.outcome == "exhausted":
            await self._lock(message.conversation)
            return _reply(message, LOCKED)
        return await self._verified(message, session)

    async def _verified(self, message: InboundMessage, session: _Session) -> BotReply:
        id_number = await self.vault.reveal(session.id_token) if session.id_token else None
        identity = await self.identities.put(message.conversation, IdentityContext(
            level=session.want, person=session.person_ref,
            display_name=session.display_name or None,
            id_number=mask_id_number(id_number) if id_number else None,
            region=session.region or self._default_region, channels=(message.channel,),
            expires_at=int(time.time()) + MAX_TTL_S, record_ref=session.record_ref or None))
        phone = await self.vault.reveal(session.phone_token) if session.phone_token else None
        if phone and identity.person:   # for confirmations by SMS (channels/notify.py)
            await notify.remember_phone(self.vault, self._secret, identity.person, phone)
        session.step = "consent"
        await self._save(message.conversation, session)
        level = "实名验证" if identity.level == "verified" else "手机号验证"
        return _reply(message, f"身份验证成功（{level}），30分钟内可查询您本人的业务。"
                      "是否将本渠道与您的身份绑定？绑定后下次在本渠道无需重复验证，"
                      "可随时回复“解除绑定”取消。",
                      [{"title": "绑定", "payload": "/bind_identity"},
                       {"title": "暂不绑定", "payload": "/decline_binding"}],
                      identity_level=identity.level)

    async def _on_consent(self, message: InboundMessage, session: _Session, said: str) -> BotReply | None:
        await self._end(message.conversation)
        if said in BIND_WORDS:
            await self.identities.link(message.conversation, session.person_ref)
            return _reply(message, "已绑定。请问需要查询什么业务？")
        if said == "/decline_binding":
            return _reply(message, "好的，不绑定。请问需要查询什么业务？")
        return None  # any other words: the bot answers them


def _id_problem(value: str) -> str | None:
    try:
        ric.validate(value)
    except ric.InvalidChecksum:
        return "您输入的身份证号码校验位不正确，请核对后重新输入（末位X请输入字母X，电话按键请按*键）。"
    except ric.InvalidLength:
        return "身份证号码应为18位，请核对后重新输入。"
    except ric.ValidationError:
        return "您输入的身份证号码格式不正确（出生日期或地区码有误），请核对后重新输入。"
    return None
