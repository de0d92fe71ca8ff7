"""WeChat official account (公众号): what a callback asks of the bot, and how a reply looks.

WeChat's timing rules live here as numbers; :mod:`channels.wechat.service` applies them.
WeChat drops the connection five seconds after it sent a callback and tries again, three
times in all; an answer must be a passive reply inside that time or the string
``success`` followed by 客服消息. Text only: buttons become numbered choices. A voice message
comes with WeChat's own transcript when the account has 语音识别 on; otherwise it is heard
by our recognizer (:mod:`channels.wechat.recognition`) before it becomes a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Mapping

from channels.adapters.base import register
from channels.inbound import BotReply, Capabilities, InboundMessage
from channels.wechat import messages
from channels.wechat.messages import Outgoing, WeChatMessage

MAX_TEXT = 500
# A resend of a callback already answered passively gets the same answer this long after
# the first: WeChat's three tries span about 15 seconds.
PASSIVE_REPEAT_S = 20.0

WELCOME = (
    "您好，欢迎关注12333人社服务！我是智能客服，7×24小时在线，可以为您：\n"
    "1. 解答政策问题：养老、失业、工伤保险，就业创业、劳动关系、社保卡等，直接用文字提问即可；\n"
    "2. 查询办理进度：您申请的社保业务办到哪一步了；\n"
    "3. 预约办理：预约到人社服务网点办理业务；\n"
    "4. 人工服务：回复“转人工”联系人工客服（工作日工作时间）。\n"
    "也可以点击下方菜单选择服务。"
)
VOICE_UNRECOGNISED = "抱歉，没能听清您的语音。请用文字描述您的问题，或拨打12333人社服务热线咨询。"
UNSUPPORTED = ("目前只能识别文字消息，暂时无法查看图片、视频、位置或链接。"
               "请用文字描述您的问题，我们会尽快为您解答。")
TOO_LONG = f"您的消息太长了（最多{MAX_TEXT}字），请分几次发送，或简要描述您的问题。"
EMPTY = "请用文字输入您要咨询的问题。"
UNKNOWN_MENU = "这个菜单暂时不可用，请直接用文字输入您要咨询的问题。"


@dataclass(frozen=True)
class Local:
    """Answered by the gateway itself, without a bot turn; empty text: nothing to say."""

    text: str = ""


@dataclass(frozen=True)
class Turn:
    """A bot turn: what the citizen said, or the payload a menu item stands for."""

    text: str = ""
    payload: str | None = None


@dataclass(frozen=True)
class Listen:
    """A voice message without WeChat's transcript: recognise it, then make it a turn."""

    media_id: str
    claimed_format: str = ""  # WeChat's Format: a hint, the bytes tell


class WeChatAdapter:
    name: ClassVar[str] = "wechat"
    # 客服消息 text is limited to 2048 bytes: 682 characters when all are Chinese.
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_length=messages.TEXT_LIMIT_BYTES // 3, buttons=False)

    def plan(self, message: WeChatMessage, menu: Mapping[str, str],
             listen: bool = False) -> Local | Turn | Listen:
        """What to do with a callback; ``listen``: our recognizer may hear voice messages."""
        if message.kind == "event":
            return self._event(message, menu)
        if message.kind == "voice":
            if message.text:  # WeChat's own recognition, when the account has it switched on
                return Turn(message.text[:MAX_TEXT])
            if listen and message.media_id:
                return Listen(message.media_id, message.voice_format)
            return Local(VOICE_UNRECOGNISED)
        if message.kind != "text":
            return Local(UNSUPPORTED)  # image video shortvideo location link unknown
        if not message.text:
            return Local(EMPTY)
        if len(message.text) > MAX_TEXT:
            return Local(TOO_LONG)
        return Turn(message.text)

    def _event(self, message: WeChatMessage, menu: Mapping[str, str]) -> Local | Turn:
        if message.event == "subscribe":
            return Local(WELCOME)
        if message.event == "click":
            payload = menu.get(message.event_key)
            return Turn(payload=payload) if payload else Local(UNKNOWN_MENU)
        return Local()  # unsubscribe, view, scan, location reports …: nothing to say

    def inbound(self, conversation: str, message_id: str, turn: Turn) -> InboundMessage:
        # reply_to is the pseudonym: the OpenID stays in the gateway's encrypted store.
        return InboundMessage(channel=self.name, conversation=conversation, message_id=message_id,
                              text=turn.text, payload=turn.payload, reply_to=conversation)

    def render(self, reply: BotReply) -> Outgoing:
        return messages.render(reply)


register(WeChatAdapter)
