"""SMS 人工/RG: a callback request filed in the business system for the sender's number.

A feature phone cannot wait in a chat queue, so a citizen who asks for a human by SMS gets
a callback ticket (回电, due within its 答复时限) and a reply with the ticket number, the
due date and the hours agents work. Only the gateway knows the number: it goes to the
business system in the ticket and to the SMS provider, never to Rasa, logs or Redis keys.
Both the ticket and the reply are keyed by the uplink's message id, so a provider's retry
of the same uplink files one ticket and sends one reply.
"""

from __future__ import annotations

from typing import Awaitable, Callable

import structlog

from channels.business import BusinessUnavailableError, CallbackTicket
from channels.sms.downlink import SendResult, SmsDownlink

log = structlog.get_logger(__name__)

FileCallback = Callable[[str, str], Awaitable[CallbackTicket]]   # (phone, idempotency key)
FAILED = ("抱歉，人工回电暂时登记不上，请稍后再回复RG，或在人工服务时间拨打12333。"
          "人工服务时间：{hours}。")


def confirmation(ticket: CallbackTicket, hours: str) -> str:
    due = ticket.due_date
    return (f"已为您登记人工回电，工单号{ticket.ticket_no}。工作人员将在{due.month}月{due.day}日前"
            f"致电本号码，请保持电话畅通。人工服务时间：{hours}。")


async def request(sms: SmsDownlink, file_callback: FileCallback, phone: str, message_id: str,
                  hours: str) -> SendResult:
    """File the ticket and tell the citizen; if the business system is down, say so."""
    try:
        ticket = await file_callback(phone, f"sms-callback:{message_id}")
        text = confirmation(ticket, hours)
        log.info("sms.callback_filed", ticket=ticket.ticket_no)
    except BusinessUnavailableError as exc:
        log.warning("sms.callback_failed", error=str(exc))
        text = FAILED.format(hours=hours)
    return await sms.send(phone, text, kind="reply", idempotency_key=f"callback:{message_id}")
