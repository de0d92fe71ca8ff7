"""Portal login: a host site that has verified its user vouches for them with a JWT.

Algorithms are fixed by configuration, never read from the token (RFC 8725 §2.1): a
shared key means HS256, a PEM public key means RS256 or ES256. Only a pseudonym and masked
forms of what the token carries are kept (docs/webchat-api.md, "Portal login").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from stdnum.cn import ric

from channels.errors import UnauthorizedError
from channels.identity_store import MAX_TTL_S, person_pseudonym
from channels.masking import mask_id_number, mask_name
from hotline import regions, signing
from hotline.identity import IdentityContext

AUDIENCE = "12333-webchat"
PORTAL_LEVELS = ("phone", "verified")

INVALID = "门户登录凭证无效或已过期，请重新登录门户网站后再试；您也可以直接匿名咨询。"
NOT_CONFIGURED = "本服务未开通门户登录，您可以直接匿名咨询。"


@dataclass(frozen=True)
class PortalKeys:
    shared: str | None = None
    public_pem: str | None = None
    issuer: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.shared or self.public_pem)


def verify(token: str, keys: PortalKeys, pseudonym_secret: bytes, default_region: str,
           channel: str = "webchat") -> IdentityContext:
    """The identity a portal token vouches for; :class:`UnauthorizedError` otherwise."""
    if not keys.configured:
        raise UnauthorizedError(NOT_CONFIGURED)
    key: Any = keys.public_pem if keys.public_pem else keys.shared
    algorithms = ["RS256", "ES256"] if keys.public_pem else ["HS256"]
    try:
        claims = jwt.decode(token, key, algorithms=algorithms, audience=AUDIENCE,
                            issuer=keys.issuer, options={"require": ["exp", "sub", "level"]})
    except jwt.PyJWTError as exc:
        raise UnauthorizedError(INVALID) from exc
    return _identity(claims, pseudonym_secret, default_region, channel)


def _identity(claims: dict[str, Any], secret: bytes, default_region: str,
              channel: str) -> IdentityContext:
    level = claims.get("level")
    if level not in PORTAL_LEVELS:
        raise UnauthorizedError(INVALID)
    id_number = str(claims.get("id_number") or "").strip().upper()
    if id_number and not ric.is_valid(id_number):
        raise UnauthorizedError(INVALID)
    if id_number:
        person = person_pseudonym(secret, id_number)
    else:
        person = signing.pseudonym(secret, "portal", str(claims.get("iss") or ""), str(claims["sub"]))
    name = str(claims.get("name") or "").strip()
    return IdentityContext(
        level=level,
        person=person,
        display_name=mask_name(name) if name else None,
        id_number=mask_id_number(id_number) if id_number else None,
        region=regions.find(str(claims.get("region") or "")) or default_region,
        channels=(channel,),
        expires_at=min(int(claims["exp"]), int(time.time()) + MAX_TTL_S),
    )
