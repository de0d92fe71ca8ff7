"""Personal data tokenised at the edge (issue 4).

Before a citizen's text enters the inbound stream, every 身份证号, mobile number and bank
card number in it is replaced by a token such as ``IDTOKEN_3f9a0c1b7d2e``. The real value
is kept encrypted in Redis for half an hour, for the action that needs it; Rasa's
trackers, the stream, logs and analytics only ever hold the token. A token is a keyed
hash of conversation and value, so the same number in one conversation gets the same
token and nothing about the number can be read from it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from redis.asyncio import Redis

from channels.masking import (
    BANK_CARD,
    ID_NUMBER,
    MOBILE,
    mask_card,
    mask_id_number,
    mask_name,
    mask_phone,
)
from hotline import signing

VAULT_TTL_S = 30 * 60

# Order matters: an 18-character 身份证号 would also match the bank-card pattern.
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (("ID", ID_NUMBER), ("CARD", BANK_CARD), ("PHONE", MOBILE))
# Not \b: Chinese characters count as word characters, and tokens sit right next to them.
# NAME and CODE tokens come from the verification form, which knows what it asked for.
TOKEN = re.compile(r"(?<![A-Za-z0-9_])(ID|CARD|PHONE|NAME|CODE)TOKEN_[0-9a-f]{12}(?![0-9a-f])")
_MASKS = {"ID": mask_id_number, "CARD": mask_card, "PHONE": mask_phone, "NAME": mask_name,
          "CODE": lambda _: "******"}


@dataclass(frozen=True)
class Found:
    kind: str
    value: str
    token: str

    @property
    def masked(self) -> str:
        return _MASKS[self.kind](self.value)


def normalise(kind: str, value: str) -> str:
    if kind == "ID":
        return value.upper()
    return re.sub(r"\D", "", value)[-11:] if kind == "PHONE" else value


def tokenise(text: str, secret: bytes, conversation: str) -> tuple[str, list[Found]]:
    """``text`` with personal numbers replaced by tokens, and what was replaced."""
    found: list[Found] = []

    def replace(kind: str, match: re.Match[str]) -> str:
        value = normalise(kind, match.group(0))
        found.append(Found(kind, value, token_for(kind, value, secret, conversation)))
        return found[-1].token

    for kind, pattern in KINDS:
        text = pattern.sub(lambda m, k=kind: replace(k, m), text)  # type: ignore[misc]
    return text, found


def token_for(kind: str, value: str, secret: bytes, conversation: str) -> str:
    return f"{kind}TOKEN_{signing.pseudonym(secret, 'pii', conversation, kind, value, length=12)}"


def fernet_key(secret: str) -> bytes:
    """A Fernet key from ``HOTLINE_VAULT_KEY`` (any length; 64 hex characters generated)."""
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


class Vault:
    """Encrypted, short-lived values behind tokens: ``pii:vault:<token>``."""

    def __init__(self, redis: Redis, key: bytes) -> None:
        self.redis = redis
        self._fernet = Fernet(key)

    async def keep(self, found: list[Found], ttl_s: int = VAULT_TTL_S) -> None:
        if not found:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for item in found:
                pipe.set(f"pii:vault:{item.token}", self._fernet.encrypt(item.value.encode()), ex=ttl_s)
            await pipe.execute()

    async def reveal(self, token: str) -> str | None:
        """The real value, for the code that must use it (a lookup, an SMS); never log it."""
        sealed = await self.redis.get(f"pii:vault:{token}")
        if not sealed:
            return None
        try:
            return self._fernet.decrypt(sealed if isinstance(sealed, bytes) else sealed.encode()).decode()
        except InvalidToken:
            return None

    async def display(self, text: str) -> str:
        """Tokens in an outgoing text replaced by masked values the citizen recognises."""
        for token, kind in {m.group(0): m.group(1) for m in TOKEN.finditer(text)}.items():
            value = await self.reveal(token)
            text = text.replace(token, _MASKS[kind](value) if value else "（已隐藏）")
        return text
