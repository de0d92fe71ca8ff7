"""The SIP server over real UDP on loopback, with a call flow that just waits."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.unit.test_voice_protocol import INVITE, OFFER
from voice import sip
from voice.call import CallRecord
from voice.server import SipServer


class Waiting:
    record = CallRecord()

    async def run(self) -> None:
        await asyncio.sleep(3600)


class Peer(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[sip.Message] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.put_nowait(sip.parse(data))


async def _setup() -> tuple[SipServer, Any, Peer]:
    loop = asyncio.get_running_loop()
    _, server = await loop.create_datagram_endpoint(lambda: SipServer("127.0.0.1", lambda s, d: Waiting()),
                                                    local_addr=("127.0.0.1", 0))
    transport, peer = await loop.create_datagram_endpoint(Peer, local_addr=("127.0.0.1", 0))
    return server, transport, peer


async def _until(peer: Peer, status: int) -> sip.Message:
    while True:
        message = await asyncio.wait_for(peer.received.get(), 5)
        if message.status == status:
            return message


def _invite(offer: str = OFFER) -> bytes:
    text = INVITE.decode().replace("10.0.0.5", "127.0.0.1")
    head, _, _ = text.partition("\r\n\r\n")
    body = offer.replace("10.0.0.5", "127.0.0.1")
    head = "\r\n".join(h for h in head.split("\r\n") if not h.startswith("Content-Length"))
    return f"{head}\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()


async def test_invite_is_answered_once_and_bye_cleans_up() -> None:
    server, transport, peer = await _setup()
    try:
        transport.sendto(_invite(), ("127.0.0.1", server.port))
        transport.sendto(_invite(), ("127.0.0.1", server.port))   # a retransmission
        ok = await _until(peer, 200)
        assert "m=audio" in ok.body and ok.get("content-type") == "application/sdp"
        assert len(server.dialogs) == 1
        bye = sip.Message("BYE sip:12333@127.0.0.1 SIP/2.0", [
            ("Via", "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK9"), ("From", ok.get("from")), ("To", ok.get("to")),
            ("Call-ID", ok.call_id), ("CSeq", "8 BYE")])
        transport.sendto(bye.to_bytes(), ("127.0.0.1", server.port))
        assert (await _until(peer, 200)).method == "BYE"
        await asyncio.sleep(0.1)
        assert server.dialogs == {}
    finally:
        transport.close()
        await server.close()


async def test_no_g711_is_488_and_unknown_calls_are_481() -> None:
    server, transport, peer = await _setup()
    try:
        transport.sendto(_invite(OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18")), ("127.0.0.1", server.port))
        assert (await _until(peer, 488)).method == "INVITE"
        bye = sip.Message("BYE sip:12333@127.0.0.1 SIP/2.0", [
            ("Via", "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK7"), ("From", "<sip:a@b>;tag=1"),
            ("To", "<sip:12333@b>;tag=2"), ("Call-ID", "nobody"), ("CSeq", "1 BYE")])
        transport.sendto(bye.to_bytes(), ("127.0.0.1", server.port))
        await _until(peer, 481)
        options = sip.Message("OPTIONS sip:12333@127.0.0.1 SIP/2.0", [
            ("Via", "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK8"), ("From", "<sip:a@b>;tag=1"),
            ("To", "<sip:12333@b>"), ("Call-ID", "ping"), ("CSeq", "1 OPTIONS")])
        transport.sendto(options.to_bytes(), ("127.0.0.1", server.port))
        assert "REFER" in (await _until(peer, 200)).get("allow")
        assert server.dialogs == {}
    finally:
        transport.close()
        await server.close()
