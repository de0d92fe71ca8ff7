"""FastAPI dependencies shared by the routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Header, Request

from business.db import Database
from business.settings import Settings


def database(request: Request) -> Database:
    return request.app.state.db


def settings(request: Request) -> Settings:
    return request.app.state.settings


def now(request: Request) -> dt.datetime:
    """Beijing time without a zone, as stored; tests replace ``app.state.clock``."""
    return request.app.state.clock().replace(tzinfo=None, microsecond=0)


Db = Annotated[Database, Depends(database)]
Config = Annotated[Settings, Depends(settings)]
Now = Annotated[dt.datetime, Depends(now)]
IdempotencyKeyHeader = Annotated[str, Header(
    alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="调用方生成的唯一键（建议 UUID）。同一个键重试只会办理一次，返回第一次的结果。",
    examples=["5f0c9a1e-3b7d-4a52-9a0e-6c1d2b3e4f50"])]
