"""The gateway's voice door (channels/routes/voice.py): one signed POST per utterance."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import httpx
import structlog

from hotline import signing

log = structlog.get_logger(__name__)
PATH = "/api/v1/voice/turns"
BUSY = "抱歉，系统暂时繁忙，请稍后再拨，或按零转人工服务。"


@dataclass(frozen=True)
class Turn:
    text: str
    handoff: bool = False
    conversation: str = ""
    intent: str | None = None
    failed: bool = False    # the gateway did not answer: ``text`` is the busy apology


class GatewayDialogue:
    def __init__(self, http: httpx.AsyncClient, gateway_url: str, secret: bytes, timeout_s: float) -> None:
        self._http = http
        self._url = gateway_url.rstrip("/") + PATH
        self._secret = secret
        self._timeout = timeout_s

    async def turn(self, call_id: str, text: str, payload: str | None = None) -> Turn:
        """One turn: ``text`` as recognised, or a ``payload`` such as ``/request_human``."""
        fields = {"call_id": call_id, "message_id": uuid.uuid4().hex, "text": text}
        if payload:
            fields["payload"] = payload
        body = json.dumps(fields, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", **signing.sign(self._secret, body)}
        try:
            response = await self._http.post(self._url, content=body, headers=headers,
                                             timeout=self._timeout)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("voice.turn_failed", error=type(exc).__name__)
            return Turn(BUSY, failed=True)
        return Turn(str(data.get("text") or ""), bool(data.get("handoff")),
                    str(data.get("conversation") or ""), (data.get("meta") or {}).get("intent"))
