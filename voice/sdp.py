"""SDP offer/answer for one audio stream: G.711 (PCMU 0, PCMA 8) and telephone-event."""

from __future__ import annotations

from dataclasses import dataclass, field

CODECS = {0: "PCMU", 8: "PCMA"}


class SdpError(ValueError):
    pass


@dataclass(frozen=True)
class Offer:
    address: str
    port: int
    payloads: tuple[int, ...]
    rtpmap: dict[int, str] = field(default_factory=dict)   # payload type → "name/rate"

    @property
    def dtmf_payload(self) -> int | None:
        for pt, encoding in self.rtpmap.items():
            if encoding.lower().startswith("telephone-event/8000"):
                return pt
        return None

    def codec(self) -> tuple[int, str]:
        """The first G.711 codec the caller offered, in the caller's order."""
        for pt in self.payloads:
            name = CODECS.get(pt) or self.rtpmap.get(pt, "").split("/")[0].upper()
            if name in ("PCMU", "PCMA"):
                return pt, name
        raise SdpError("no G.711 codec offered")


def parse(body: str) -> Offer:
    address = ""
    port = 0
    payloads: tuple[int, ...] = ()
    rtpmap: dict[int, str] = {}
    in_audio = False
    for raw in body.splitlines():
        line = raw.strip()
        if line.startswith("c=") and (not address or in_audio):
            parts = line[2:].split()
            if len(parts) == 3:
                address = parts[2]
        elif line.startswith("m="):
            parts = line[2:].split()
            in_audio = parts[:1] == ["audio"] and not port
            if in_audio:
                try:
                    port = int(parts[1])
                    payloads = tuple(int(p) for p in parts[3:])
                except (IndexError, ValueError) as exc:
                    raise SdpError("bad media line") from exc
                if not 0 < port < 65536:
                    raise SdpError("bad media port")
        elif line.startswith("a=rtpmap:") and in_audio:
            head, _, encoding = line[len("a=rtpmap:"):].partition(" ")
            if head.isdigit():
                rtpmap[int(head)] = encoding.strip()
    if not address or not port:
        raise SdpError("no audio stream offered")
    return Offer(address, port, payloads, rtpmap)


def answer(offer: Offer, address: str, port: int, session_id: int) -> tuple[str, int, str]:
    """(SDP answer, chosen payload type, codec name) for ``offer``."""
    pt, codec = offer.codec()
    payloads = [pt]
    lines = [f"a=rtpmap:{pt} {codec}/8000"]
    dtmf = offer.dtmf_payload
    if dtmf is not None:
        payloads.append(dtmf)
        lines += [f"a=rtpmap:{dtmf} telephone-event/8000", f"a=fmtp:{dtmf} 0-15"]
    body = "\r\n".join([
        "v=0",
        f"o=hotline {session_id} {session_id} IN IP4 {address}",
        "s=12333",
        f"c=IN IP4 {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(str(p) for p in payloads)}",
        *lines,
        "a=ptime:20",
        "a=sendrecv",
    ]) + "\r\n"
    return body, pt, codec
