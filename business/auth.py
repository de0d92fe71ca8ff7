"""Bearer-token check for every ``/api/v1`` route: one shared token per caller system."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from business.errors import UnauthorizedError

# auto_error=False: our own 401 with a Chinese detail instead of FastAPI's 403.
bearer = HTTPBearer(auto_error=False, scheme_name="BusinessToken",
                    description="`Authorization: Bearer <BUSINESS_API_TOKEN>`")


def require_token(request: Request,
                  credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
    expected = request.app.state.settings.api_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials else b""
    if not hmac.compare_digest(given, expected):
        raise UnauthorizedError("访问令牌缺失或不正确。")
