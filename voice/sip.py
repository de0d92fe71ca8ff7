"""SIP messages (RFC 3261) as plain data: parse a datagram, build responses and requests.

Only what a user agent server answering a PBX needs; header names are compared
case-insensitively and compact forms (``v``, ``f``, ``t``, ``i``, ``m``, ``l``, ``c``) are
expanded.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact", "l": "content-length",
           "c": "content-type", "k": "supported", "s": "subject"}
REASONS = {100: "Trying", 180: "Ringing", 200: "OK", 400: "Bad Request", 405: "Method Not Allowed",
           481: "Call/Transaction Does Not Exist", 486: "Busy Here", 487: "Request Terminated",
           488: "Not Acceptable Here", 500: "Server Internal Error", 503: "Service Unavailable"}
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, REFER, NOTIFY"


class SipError(ValueError):
    pass


@dataclass
class Message:
    start: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    @property
    def is_request(self) -> bool:
        return not self.start.startswith("SIP/2.0")

    @property
    def method(self) -> str:
        if self.is_request:
            return self.start.split(" ", 1)[0]
        return self.get("cseq").split()[-1] if self.get("cseq") else ""

    @property
    def status(self) -> int:
        return 0 if self.is_request else int(self.start.split()[1])

    @property
    def uri(self) -> str:
        return self.start.split()[1] if self.is_request else ""

    def get(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")

    def all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def call_id(self) -> str:
        return self.get("call-id")

    def to_bytes(self) -> bytes:
        body = self.body.encode()
        lines = [self.start, *(f"{k}: {v}" for k, v in self.headers if k.lower() != "content-length"),
                 f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse(data: bytes) -> Message:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SipError("not UTF-8") from exc
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    start = lines[0].strip()
    if not (start.startswith("SIP/2.0 ") or start.endswith(" SIP/2.0")):
        raise SipError("not a SIP start line")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded continuation
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise SipError("bad header line")
        name = name.strip()
        headers.append((COMPACT.get(name.lower(), name), value.strip()))
    message = Message(start, headers, body)
    length = message.get("content-length")
    if length.isdigit():
        message.body = body.encode()[:int(length)].decode("utf-8", "replace")
    return message


def tag(value: str) -> str:
    match = re.search(r";\s*tag=([^;>\s]+)", value)
    return match.group(1) if match else ""


def uri_of(value: str) -> str:
    """The URI inside a From/To/Contact value."""
    match = re.search(r"<([^>]+)>", value)
    return match.group(1) if match else value.split(";")[0].strip()


def new_tag() -> str:
    return secrets.token_hex(6)


def response(request: Message, status: int, to_tag: str = "", extra: list[tuple[str, str]] | None = None,
             body: str = "") -> Message:
    headers = [("Via", v) for v in request.all("via")]
    to = request.get("to")
    if to_tag and not tag(to):
        to = f"{to};tag={to_tag}"
    headers += [("From", request.get("from")), ("To", to), ("Call-ID", request.call_id),
                ("CSeq", request.get("cseq")), ("Server", "12333-hotline")]
    headers += extra or []
    return Message(f"SIP/2.0 {status} {REASONS.get(status, 'Unknown')}", headers, body)
