"""The SIP user agent server on UDP: dialogs, offer/answer, BYE, CANCEL, OPTIONS, INFO, REFER.

Each answered INVITE gets its own RTP socket and a :class:`voice.call.CallFlow` task. The
hotline's PBX or SBC is the only peer in production; the server keeps no registrations
and never places calls itself. Transfer is a REFER to ``VOICE_TRANSFER_TARGET`` carrying
``X-Hotline-Context: <conversation pseudonym>`` for the agent desktop's screen-pop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Coroutine, cast

import structlog

from voice import sdp, sip
from voice.call import CallFlow
from voice.media import Key, RtpSession

log = structlog.get_logger(__name__)
CONTEXT_HEADER = "X-Hotline-Context"
RETRANSMIT_S = (0.5, 1.0, 2.0, 4.0)


@dataclass
class Dialog:
    call_id: str
    invite: sip.Message
    peer: tuple[str, int]
    local_tag: str
    media: RtpSession
    answer: sip.Message | None = None
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    cseq: int = field(default_factory=lambda: random.randint(1, 10000))
    ended: bool = False


FlowFactory = Callable[["SipServer", Dialog], CallFlow]


class SipServer(asyncio.DatagramProtocol):
    def __init__(self, host: str, flow: FlowFactory, max_calls: int = 8, bind: str | None = None) -> None:
        self.host = host              # written into SDP, Contact and Via
        self.bind = bind or host      # where RTP sockets listen
        self.port = 0
        self.flow = flow
        self.max_calls = max_calls
        self.dialogs: dict[str, Dialog] = {}
        self.transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._answering: set[str] = set()   # INVITEs between 100 Trying and their dialog

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.port = int(transport.get_extra_info("sockname")[1])

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            message = sip.parse(data)
        except sip.SipError:
            return  # keep-alives (CRLF) and junk
        self._spawn(self._handle(message, addr))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def send(self, message: sip.Message, addr: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(message.to_bytes(), addr)

    async def _handle(self, message: sip.Message, addr: tuple[str, int]) -> None:
        if not message.is_request:
            self._response(message)
            return
        method = message.method
        dialog = self.dialogs.get(message.call_id)
        if method == "INVITE":
            if dialog is None and message.call_id not in self._answering:
                self._answering.add(message.call_id)
                try:
                    await self._invite(message, addr)
                finally:
                    self._answering.discard(message.call_id)
            elif dialog is not None and dialog.answer is not None:
                self.send(dialog.answer, addr)  # a retransmission or a re-INVITE: same answer
        elif method == "ACK":
            if dialog is not None:
                dialog.acked.set()
        elif method == "BYE":
            self.send(sip.response(message, 200 if dialog else 481), addr)
            if dialog is not None:
                await self.end(dialog, "caller_bye")
        elif method == "CANCEL":
            self.send(sip.response(message, 200 if dialog else 481), addr)
            if dialog is not None and dialog.answer is None:
                self.send(sip.response(dialog.invite, 487, dialog.local_tag), addr)
                await self.end(dialog, "cancelled")
        elif method == "OPTIONS":
            self.send(sip.response(message, 200, extra=[("Allow", sip.ALLOW), ("Accept", "application/sdp")]),
                      addr)
        elif method == "INFO":
            self.send(sip.response(message, 200 if dialog else 481), addr)
            key = info_key(message)
            if dialog is not None and key:
                dialog.media.events.put_nowait(Key(key))
        elif method == "NOTIFY":
            self.send(sip.response(message, 200 if dialog else 481), addr)
        else:
            self.send(sip.response(message, 405, extra=[("Allow", sip.ALLOW)]), addr)

    async def _invite(self, invite: sip.Message, addr: tuple[str, int]) -> None:
        self.send(sip.response(invite, 100), addr)
        if len(self.dialogs) >= self.max_calls:
            self.send(sip.response(invite, 486, sip.new_tag()), addr)
            return
        try:
            offer = sdp.parse(invite.body)
            offer.codec()
        except sdp.SdpError:
            self.send(sip.response(invite, 488, sip.new_tag()), addr)
            return
        pt, codec = offer.codec()
        media = await RtpSession.open(self.bind, pt, codec, offer.dtmf_payload)
        media.remote = (offer.address, offer.port)
        dialog = Dialog(invite.call_id, invite, addr, sip.new_tag(), media)
        self.dialogs[dialog.call_id] = dialog
        self.send(sip.response(invite, 180, dialog.local_tag), addr)
        body, _, _ = sdp.answer(offer, self.host, media.port, random.randint(1, 2**31))
        dialog.answer = sip.response(invite, 200, dialog.local_tag, extra=[
            ("Contact", f"<sip:12333@{self.host}:{self.port}>"), ("Allow", sip.ALLOW),
            ("Content-Type", "application/sdp")], body=body)
        self.send(dialog.answer, addr)
        log.info("voice.call_answered", call=_short(dialog.call_id), codec=codec,
                 dtmf=offer.dtmf_payload is not None, calls=len(self.dialogs))
        self._spawn(self._retransmit(dialog))
        dialog.task = asyncio.create_task(self._run(dialog))

    async def _retransmit(self, dialog: Dialog) -> None:
        for wait in RETRANSMIT_S:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(dialog.acked.wait(), wait)
                return
            if dialog.ended or dialog.answer is None:
                return
            self.send(dialog.answer, dialog.peer)

    async def _run(self, dialog: Dialog) -> None:
        flow = self.flow(self, dialog)
        try:
            await flow.run()
        except asyncio.CancelledError:
            pass
        except Exception:  # one broken call must not take the others down
            log.exception("voice.call_failed", call=_short(dialog.call_id))
            await self.hangup(dialog)
        finally:
            record = flow.record
            log.info("voice.call_ended", call=_short(dialog.call_id), outcome=record.outcome,
                     turns=record.turns, intents=record.intents, reprompts=record.reprompts,
                     barge_ins=record.barge_ins, keys=len(record.keys), reply_ms=record.reply_ms,
                     rtp_in=dialog.media.received,
                     rtp_out=dialog.media.sent)

    # -- requests we send inside a dialog -------------------------------------------------

    def request(self, dialog: Dialog, method: str, extra: list[tuple[str, str]] | None = None) -> sip.Message:
        invite = dialog.invite
        dialog.cseq += 1
        contact = sip.uri_of(invite.get("contact")) or sip.uri_of(invite.get("from"))
        headers = [
            ("Via", f"SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport"),
            ("Max-Forwards", "70"),
            ("From", f"{invite.get('to')};tag={dialog.local_tag}" if not sip.tag(invite.get("to"))
             else invite.get("to")),
            ("To", invite.get("from")), ("Call-ID", dialog.call_id), ("CSeq", f"{dialog.cseq} {method}"),
            ("Contact", f"<sip:12333@{self.host}:{self.port}>"), *(extra or []),
        ]
        message = sip.Message(f"{method} {contact} SIP/2.0", headers)
        self.send(message, dialog.peer)
        return message

    async def hangup(self, dialog: Dialog) -> None:
        if not dialog.ended:
            self.request(dialog, "BYE")
            await self.end(dialog, "bot_bye")

    async def refer(self, dialog: Dialog, target: str, context: str) -> None:
        self.request(dialog, "REFER", [("Refer-To", f"<{target}>"),
                                       ("Referred-By", f"<sip:12333@{self.host}:{self.port}>"),
                                       (CONTEXT_HEADER, context)])
        log.info("voice.transfer", call=_short(dialog.call_id))

    def _response(self, message: sip.Message) -> None:
        dialog = self.dialogs.get(message.call_id)
        if dialog is not None and message.method == "REFER" and message.status >= 200:
            # Accepted (202) or refused: either way the bot's part of the call is over; the
            # PBX takes the caller to the agents and ends our leg, else we end it.
            self._spawn(self._after_refer(dialog, message.status))

    async def _after_refer(self, dialog: Dialog, status: int) -> None:
        await asyncio.sleep(2.0 if status < 300 else 0)
        await self.hangup(dialog)

    async def end(self, dialog: Dialog, why: str) -> None:
        if dialog.ended:
            return
        dialog.ended = True
        self.dialogs.pop(dialog.call_id, None)
        dialog.media.close()
        if dialog.task is not None and dialog.task is not asyncio.current_task():
            dialog.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dialog.task
        log.info("voice.call_cleaned", call=_short(dialog.call_id), why=why, calls=len(self.dialogs))

    async def close(self) -> None:
        for dialog in list(self.dialogs.values()):
            await self.hangup(dialog)
        if self.transport is not None:
            self.transport.close()


def info_key(message: sip.Message) -> str:
    """The digit of a SIP INFO keypad message (application/dtmf-relay or application/dtmf)."""
    kind = message.get("content-type").lower()
    if "dtmf-relay" in kind:
        match = re.search(r"Signal\s*=\s*([0-9*#A-D])", message.body, re.IGNORECASE)
        return match.group(1).upper() if match else ""
    if "dtmf" in kind:
        body = message.body.strip()
        return body[:1] if body[:1] in "0123456789*#" and body else ""
    return ""


def _short(call_id: str) -> str:
    """Call ids can hold the caller's number on some PBXs: log a digest only."""
    return hashlib.sha256(call_id.encode()).hexdigest()[:12]
