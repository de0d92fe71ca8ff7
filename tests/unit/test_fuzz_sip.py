"""Hostile SIP (SECURITY.md): malformed, oversized and flooding datagrams are answered
with a SIP error or ignored; the server never raises and never holds more calls than
``max_calls``. Drives :class:`voice.server.SipServer` with a recording transport."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice import sdp, sip
from voice.server import SipServer

METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "REFER", "NOTIFY", "REGISTER", "X"]
SDP_LINES = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "c=IN IP4 127.0.0.1", "c=IN IP4", "m=", "m=audio",
             "m=audio 4000 RTP/AVP 0 101", "m=audio x RTP/AVP 0", "m=audio 4000 RTP/AVP x",
             "m=video 5000 RTP/AVP 96", "a=rtpmap:8 PCMA/8000", "a=rtpmap:", "a=rtpmap:x y",
             "m=audio 99999 RTP/AVP 0", "m=audio -1 RTP/AVP 8", "c=IN IP4 not-an-address"]
HEADER_NAMES = ["Via", "v", "From", "f", "To", "t", "Call-ID", "i", "CSeq", "Content-Length", "l",
                "Content-Type", "c", "Contact", "m", "X-Junk"]


class Recorder(asyncio.DatagramTransport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []

    def sendto(self, data: Any, addr: Any = None) -> None:
        self.sent.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 5060) if name == "sockname" else default

    def close(self) -> None:
        pass


class Record:
    outcome, turns, intents, reprompts, barge_ins, keys, reply_ms = "", 0, [], 0, 0, [], []


class IdleFlow:
    """A call flow that waits to be hung up, like a caller listening."""

    record = Record()

    async def run(self) -> None:
        await asyncio.sleep(3600)


def _server(max_calls: int = 2) -> tuple[SipServer, Recorder]:
    server = SipServer("127.0.0.1", lambda s, d: IdleFlow(), max_calls=max_calls)  # type: ignore[arg-type,return-value]
    transport = Recorder()
    server.connection_made(transport)
    return server, transport


headers = st.lists(st.tuples(st.sampled_from(HEADER_NAMES),
                             st.text(st.characters(blacklist_characters="\r\n"), max_size=40)),
                   max_size=8)
bodies = st.one_of(st.just(""), st.lists(st.sampled_from(SDP_LINES), max_size=8).map("\r\n".join),
                   st.text(max_size=200))
starts = st.one_of(
    st.builds(lambda m, u: f"{m} {u} SIP/2.0", st.sampled_from(METHODS),
              st.text(st.characters(blacklist_characters="\r\n "), max_size=30)),
    st.builds(lambda c, r: f"SIP/2.0 {c} {r}", st.one_of(st.integers(-5, 999).map(str), st.text(max_size=4)),
              st.text(max_size=10)),
    st.text(max_size=40))


def _datagram(start: str, pairs: list[tuple[str, str]], body: str) -> bytes:
    head = "\r\n".join([start, *(f"{k}: {v}" for k, v in pairs)])
    return (head + "\r\n\r\n" + body).encode("utf-8", "surrogatepass")


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=2048))
def test_any_bytes_parse_as_sip_or_raise_sip_error(data: bytes) -> None:
    try:
        message = sip.parse(data)
    except sip.SipError:
        return
    assert isinstance(message.headers, list)


@settings(max_examples=300, deadline=None, database=None)
@given(st.one_of(st.lists(st.sampled_from(SDP_LINES), max_size=10).map("\r\n".join), st.text(max_size=300)))
def test_any_offer_parses_or_raises_sdp_error(body: str) -> None:
    try:
        offer = sdp.parse(body)
        offer.codec()
    except sdp.SdpError:
        return
    assert 0 <= offer.port <= 65535


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(starts, headers, bodies), min_size=1, max_size=6))
def test_malformed_sip_is_answered_or_ignored_never_raised(datagrams: list[tuple[str, Any, str]]) -> None:
    async def scenario() -> None:
        server, transport = _server()
        for start, pairs, body in datagrams:
            try:
                data = _datagram(start, pairs, body)
                message = sip.parse(data)
            except (sip.SipError, UnicodeEncodeError):
                continue
            await server._handle(message, ("127.0.0.1", 40000))  # raises if the server would
        assert len(server.dialogs) <= server.max_calls
        for reply in transport.sent:  # whatever was sent is well-formed SIP
            assert sip.parse(reply).start.startswith("SIP/2.0")
        await _hang_up_all(server)

    asyncio.run(scenario())


async def _hang_up_all(server: SipServer) -> None:
    for dialog in list(server.dialogs.values()):
        await server.end(dialog, "test")


INVITE = ("INVITE sip:12333@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK{n}\r\n"
          "From: <sip:caller@127.0.0.1>;tag=a{n}\r\nTo: <sip:12333@127.0.0.1>\r\nCall-ID: flood-{n}\r\n"
          "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n\r\n"
          "v=0\r\nc=IN IP4 127.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n")


def test_an_invite_flood_is_answered_busy_beyond_max_calls() -> None:
    async def scenario() -> tuple[int, list[int], int]:
        server, transport = _server(max_calls=2)
        for n in range(40):
            await server._handle(sip.parse(INVITE.format(n=n).encode()), ("127.0.0.1", 40000))
        finals = [sip.parse(d).status for d in transport.sent if sip.parse(d).status >= 200]
        calls = len(server.dialogs)
        await _hang_up_all(server)
        return calls, finals, len(server.dialogs)

    calls, finals, left = asyncio.run(scenario())
    assert calls == 2 and finals.count(200) == 2 and finals.count(486) == 38
    assert left == 0


def test_oversized_datagram_is_parsed_without_blowing_up_and_answered() -> None:
    huge = ("OPTIONS sip:12333@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
            "Call-ID: big\r\nCSeq: 1 OPTIONS\r\n" + "X-Pad: " + "a" * 65000 + "\r\n\r\n").encode()

    async def scenario() -> list[int]:
        server, transport = _server()
        server.datagram_received(huge, ("127.0.0.1", 40000))
        server.datagram_received(b"\r\n\r\n", ("127.0.0.1", 40000))  # keep-alive: ignored
        server.datagram_received(b"\xff\xfe" * 100, ("127.0.0.1", 40000))  # junk: ignored
        await asyncio.sleep(0.05)
        return [sip.parse(d).status for d in transport.sent]

    assert asyncio.run(scenario()) == [200]
