"""SMS: the 12333 short code. A reply becomes one text within the length rules
(:mod:`channels.sms.segments`); buttons become numbered options the citizen can answer
with a single digit. Parsing the providers' webhooks is :mod:`channels.sms.providers`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from channels import reachable
from channels.adapters.base import register
from channels.inbound import BotReply, Capabilities
from channels.sms import segments
from channels.sms.keywords import MAX_CHOICE

DEFAULT_PARTS = 3
MAX_TITLE = 16
MENU_HEAD = "回复序号："


@dataclass(frozen=True)
class SmsText:
    text: str
    options: tuple[str, ...] = ()  # the payload each number stands for, in order


class SmsAdapter:
    name: ClassVar[str] = "sms"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_length=segments.capacity(DEFAULT_PARTS), buttons=False, short_answers=True)

    def __init__(self, max_parts: int = DEFAULT_PARTS, signature: str = segments.SIGNATURE) -> None:
        self.max_parts = max_parts
        self.signature = signature

    def render(self, reply: BotReply) -> SmsText:
        texts = [str(m.get("text") or "").strip() for m in reply.messages]
        status = (reply.meta.get("handoff_status") or {}).get("message")
        body = "\n".join(t for t in [*texts, status or ""] if t)
        buttons = [b for m in reply.messages for b in (m.get("buttons") or [])][:MAX_CHOICE]
        menu = _menu(buttons)
        extra = reachable.way_forward(body, bool(buttons))
        tail = f"\n{extra}" if extra else ""
        fitted = segments.fit(body, self.signature, self.max_parts, reserve=len(menu) + len(tail))
        text = f"{fitted}{tail}{menu}" if fitted else menu.lstrip("\n")
        return SmsText(text, tuple(str(b.get("payload") or b.get("title") or "") for b in buttons))


def _menu(buttons: list[dict[str, Any]]) -> str:
    if not buttons:
        return ""
    lines = [f"{i}.{_title(b)}" for i, b in enumerate(buttons, start=1)]
    return "\n" + MENU_HEAD + "\n" + "\n".join(lines)


def _title(button: dict[str, Any]) -> str:
    title = " ".join(str(button.get("title") or "").split())
    return title if len(title) <= MAX_TITLE else title[:MAX_TITLE - 1] + segments.ELLIPSIS


register(SmsAdapter)
