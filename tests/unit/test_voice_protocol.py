"""SIP, SDP and RTP as plain data: what the voice service reads from a PBX and answers."""

from __future__ import annotations

import pytest

from voice import rtp, sdp, sip
from voice.server import info_key

OFFER = "\r\n".join([
    "v=0", "o=pbx 1 1 IN IP4 10.0.0.5", "s=call", "c=IN IP4 10.0.0.5", "t=0 0",
    "m=audio 40000 RTP/AVP 8 0 101", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "m=video 40002 RTP/AVP 96", ""])

INVITE = (
    "INVITE sip:12333@10.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1\r\n"
    "v: SIP/2.0/UDP 10.0.0.4:5060;branch=z9hG4bK0\r\n"
    "f: <sip:13800005678@10.0.0.5>;tag=abc\r\n"
    "t: <sip:12333@10.0.0.1>\r\n"
    "i: call-1@10.0.0.5\r\n"
    "CSeq: 7 INVITE\r\n"
    "Contact: <sip:pbx@10.0.0.5:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(OFFER)}\r\n\r\n{OFFER}"
).encode()


def test_offer_picks_the_callers_first_g711_codec_and_keypad_events() -> None:
    offer = sdp.parse(OFFER)
    assert (offer.address, offer.port) == ("10.0.0.5", 40000)
    assert offer.codec() == (8, "PCMA")
    assert offer.dtmf_payload == 101
    body, pt, codec = sdp.answer(offer, "10.0.0.1", 30000, 42)
    assert (pt, codec) == (8, "PCMA")
    assert "m=audio 30000 RTP/AVP 8 101\r\n" in body and "c=IN IP4 10.0.0.1" in body
    assert "a=rtpmap:101 telephone-event/8000" in body


def test_an_offer_without_g711_is_refused() -> None:
    offer = sdp.parse(OFFER.replace("RTP/AVP 8 0 101", "RTP/AVP 18 101").replace("a=rtpmap:8 PCMA", "a=x")
                      .replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000"))
    with pytest.raises(sdp.SdpError):
        offer.codec()
    with pytest.raises(sdp.SdpError):
        sdp.parse("v=0\r\ns=x\r\n")


def test_invite_parses_with_compact_headers_and_answers_within_the_dialog() -> None:
    invite = sip.parse(INVITE)
    assert invite.method == "INVITE" and invite.call_id == "call-1@10.0.0.5"
    assert sip.tag(invite.get("from")) == "abc"
    assert sdp.parse(invite.body).port == 40000
    ok = sip.parse(sip.response(invite, 200, "xyz", body="v=0\r\n").to_bytes())
    assert ok.status == 200 and ok.method == "INVITE"
    assert ok.all("via") == ["SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1",
                             "SIP/2.0/UDP 10.0.0.4:5060;branch=z9hG4bK0"]
    assert sip.tag(ok.get("to")) == "xyz" and ok.get("cseq") == "7 INVITE"
    assert ok.get("content-length") == "5"


def test_junk_is_not_sip() -> None:
    for junk in (b"\r\n\r\n", b"\xff\xfe", b"GET / HTTP/1.1\r\n\r\n"):
        with pytest.raises(sip.SipError):
            sip.parse(junk)


@pytest.mark.parametrize(("kind", "body", "key"), [
    ("application/dtmf-relay", "Signal=0\r\nDuration=160\r\n", "0"),
    ("application/dtmf-relay", "Signal= #\r\n", "#"),
    ("application/dtmf", "5", "5"),
    ("text/plain", "Signal=0", ""),
])
def test_keypad_digits_in_sip_info(kind: str, body: str, key: str) -> None:
    message = sip.Message("INFO sip:12333@x SIP/2.0", [("Content-Type", kind)], body)
    assert info_key(message) == key


def test_rtp_round_trip_with_csrc_extension_and_padding() -> None:
    packet = rtp.Packet(0, 65535, 4294967200, 0x1234, b"\x7f" * 160, marker=True)
    assert rtp.parse(packet.to_bytes()) == packet
    raw = bytearray(packet.to_bytes()[:12])
    raw[0] = 0x80 | 0x20 | 0x10 | 0x01     # padding, extension, one CSRC
    raw += b"\x00\x00\x00\x01" + b"\xbe\xde\x00\x01" + b"\x00\x00\x00\x00" + b"abc" + b"\x00\x02"
    assert rtp.parse(bytes(raw)).payload == b"abc"
    with pytest.raises(rtp.RtpError):
        rtp.parse(b"\x40" + bytes(11))


def test_rfc4733_keypad_events() -> None:
    event = rtp.parse_dtmf(rtp.dtmf_payload("0", end=False, duration=160))
    assert (event.key, event.end, event.duration) == ("0", False, 160)
    assert rtp.parse_dtmf(bytes([11, 0x8A, 0x03, 0x20])).key == "#"
    assert rtp.parse_dtmf(bytes([11, 0x8A, 0x03, 0x20])).end
    with pytest.raises(rtp.RtpError):
        rtp.parse_dtmf(bytes([16, 0, 0, 0]))   # a flash hook is not a key


def _packets(*sequence: int) -> list[rtp.Packet]:
    return [rtp.Packet(0, s & 0xFFFF, 160 * s, 1, bytes([s & 0xFF])) for s in sequence]


def test_jitter_buffer_reorders_drops_duplicates_and_skips_losses() -> None:
    buffer = rtp.JitterBuffer(depth=2)
    out = [p.sequence for packet in _packets(1, 3, 2, 2, 4) for p in buffer.push(packet)]
    assert out == [1, 2, 3, 4]
    # 5 is lost: played on as soon as more than two packets wait behind the gap.
    out = [p.sequence for packet in _packets(6, 7, 8) for p in buffer.push(packet)]
    assert out == [6, 7, 8]
    assert buffer.push(_packets(5)[0]) == []   # too late


def test_jitter_buffer_wraps_around() -> None:
    buffer = rtp.JitterBuffer()
    out = [p.sequence for packet in _packets(65534, 0, 65535, 1) for p in buffer.push(packet)]
    assert out == [65534, 65535, 0, 1]
