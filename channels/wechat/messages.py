"""WeChat's XML in and out, as pure functions.

In: a callback body (already screened and, in safe mode, decrypted) → :class:`WeChatMessage`.
Out: a bot reply → :class:`Outgoing`, the texts to send (split for the 客服消息 length
limit) and the payloads behind the numbered choices that stand in for buttons, which
WeChat's text messages cannot show; and the passive reply XML for one of those texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from wechatpy import parse_message
from wechatpy.replies import TextReply

from channels import reachable
from channels.inbound import BotReply
from channels.wechat.errors import MalformedRequestError

# WeChat counts text length in UTF-8 bytes: 2048 for a 客服消息 text (and in practice for a
# passive reply). Keep a little under it.
TEXT_LIMIT_BYTES = 2000
# 5 messages may follow a citizen's message within 48 h, but only 3 a menu click or a
# subscription (WeChat's rules since June 2023): three parts fit every case.
MAX_PARTS = 3
MAX_CHOICES = 9
CHOICES_HEAD = "回复数字选择："
CUT_NOTICE = "……（内容较长，未尽部分请拨打12333咨询）"
_BREAKS = re.compile(r"(?<=[\n。！？；])")
_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True)
class WeChatMessage:
    kind: str                  # text voice image video shortvideo location link event unknown
    openid: str = field(repr=False)
    account: str = ""          # ToUserName: the official account's original id (gh_…)
    created: int = 0
    msg_id: str = ""           # MsgId; events have none
    text: str = ""             # Content, or the voice message's Recognition
    event: str = ""            # subscribe unsubscribe click view …
    event_key: str = ""
    media_id: str = ""
    voice_format: str = ""


@dataclass(frozen=True)
class Outgoing:
    parts: tuple[str, ...]
    choices: tuple[str, ...] = ()  # the payload each number stands for, in order


def parse(xml: str) -> WeChatMessage:
    try:
        message: Any = parse_message(xml)
    except Exception as exc:  # expat, KeyError, TypeError: anything unreadable
        raise MalformedRequestError() from exc
    if message is None or not isinstance(message.source, str) or not message.source:
        raise MalformedRequestError()
    raw = getattr(message, "_data", None) or {}
    # Events wechatpy has no class for still are events, not unknown messages.
    kind = "event" if str(raw.get("MsgType") or "").lower() == "event" else str(message.type or "unknown")
    event = str(raw.get("Event") or "").lower() if kind == "event" else ""
    if event == "subscribe_scan":  # subscribed through a QR code: a subscription all the same
        event = "subscribe"
    key = getattr(message, "key", None) or getattr(message, "url", None) or getattr(message, "scene_id", None)
    text = getattr(message, "content", None) if kind == "text" else getattr(message, "recognition", None)
    try:
        msg_id = int(message.id or 0)
        created = int(message.time or 0)
    except (TypeError, ValueError) as exc:
        raise MalformedRequestError() from exc
    return WeChatMessage(
        kind=kind, openid=message.source, account=str(message.target or ""), created=created,
        msg_id=str(msg_id) if msg_id else "", text=_str(text), event=event, event_key=_str(key),
        media_id=_str(getattr(message, "media_id", None)),
        voice_format=_str(getattr(message, "format", None)),
    )


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# -- out ------------------------------------------------------------------------------


def render(reply: BotReply, limit: int = TEXT_LIMIT_BYTES, max_parts: int = MAX_PARTS) -> Outgoing:
    texts = [str(m.get("text") or "").strip() for m in reply.messages]
    status = str((reply.meta.get("handoff_status") or {}).get("message") or "")
    if status and status not in texts:
        texts.append(status)
    buttons = [b for m in reply.messages for b in (m.get("buttons") or [])][:MAX_CHOICES]
    menu = choices_text([str(b.get("title") or b.get("payload") or "") for b in buttons])
    body = "\n".join(t for t in texts if t)
    extra = reachable.way_forward(body, bool(buttons))
    body = f"{body}\n{extra}" if extra else body
    parts = split(body, limit, max_parts, reserve=_size(menu) + 1)
    if menu:
        parts = [*parts[:-1], f"{parts[-1]}\n{menu}"] if parts else [menu]
    payloads = tuple(str(b.get("payload") or b.get("title") or "") for b in buttons)
    return Outgoing(tuple(parts), payloads)


def choices_text(titles: list[str]) -> str:
    if not titles:
        return ""
    lines = [f"{i}. {title.strip()}" for i, title in enumerate(titles, start=1)]
    return CHOICES_HEAD + "\n" + "\n".join(lines)


def pick(text: str, choices: list[str] | tuple[str, ...]) -> str | None:
    """The payload a reply such as 「1」 stands for, if it is one of the offered numbers."""
    said = text.strip().translate(_DIGITS).rstrip(".。")
    if said.isdigit() and 1 <= int(said) <= len(choices):
        return choices[int(said) - 1] or None
    return None


def split(text: str, limit: int = TEXT_LIMIT_BYTES, max_parts: int = MAX_PARTS,
          reserve: int = 0) -> list[str]:
    """``text`` in parts of at most ``limit`` UTF-8 bytes, broken after a line or a
    sentence where possible; the last part keeps ``reserve`` bytes free. Beyond
    ``max_parts`` the rest is cut with a pointer to the hotline."""
    parts = _pack(text, limit)
    if parts and _size(parts[-1]) + reserve > limit:
        parts[-1:] = _pack(parts[-1], limit - reserve)
    if len(parts) > max_parts:
        room = limit - reserve - _size(CUT_NOTICE)
        parts = [*parts[:max_parts - 1], _fit(parts[max_parts - 1], room) + CUT_NOTICE]
    return parts


def _pack(text: str, limit: int) -> list[str]:
    pieces = [p for chunk in _BREAKS.split(text) for p in _hard_cut(chunk, limit)]
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and _size(current + piece) > limit:
            parts.append(current)
            current = ""
        current += piece
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _hard_cut(chunk: str, limit: int) -> list[str]:
    out = []
    while _size(chunk) > limit:
        head = _fit(chunk, limit)
        out.append(head)
        chunk = chunk[len(head):]
    return [*out, chunk] if chunk else out


def _fit(text: str, limit: int) -> str:
    encoded = text.encode()[:max(limit, 0)]
    return encoded.decode("utf-8", errors="ignore")


def _size(text: str) -> int:
    return len(text.encode())


def passive_text(message: WeChatMessage, text: str, now: int) -> str:
    """The passive reply XML (被动回复用户消息) carrying ``text`` back to the sender."""
    reply = TextReply(source=_cdata(message.account), target=_cdata(message.openid),
                      content=_cdata(text), time=now)
    return str(reply.render())


def _cdata(value: str) -> str:
    # wechatpy writes values into CDATA sections verbatim; "]]>" would end one early.
    return value.replace("]]>", "]]]]><![CDATA[>")
