"""Writes that happen once per ``Idempotency-Key``.

A request carries a key of the caller's choosing; the first one does the write and the
key is stored with a fingerprint of the request in the same transaction. A repeat gets
the resource it created back (marked as replayed) and changes nothing. Reusing a key for
a different request is refused (422), as in the IETF ``Idempotency-Key`` header draft.
Two requests with the same key at the same moment: the second one's insert of the key
fails on the unique constraint, its transaction (and its write) is rolled back, and it
answers with what the first one created.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Callable, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from business.db import Database
from business.errors import InvalidError
from business.models import IdempotencyKey

T = TypeVar("T")


def fingerprint(payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(db: Database, scope: str, key: str, payload: dict[str, Any], now: dt.datetime,
             write: Callable[[Session], str], load: Callable[[Session, str], T]) -> tuple[T, bool]:
    """``load(write())`` the first time, ``load`` of the stored resource on a repeat.

    Returns the result and whether it was replayed.
    """
    digest = fingerprint(payload)
    try:
        with db.writer.begin() as session:
            done = _done(session, scope, key, digest)
            if done is not None:
                return load(session, done), True
            resource_no = write(session)
            session.add(IdempotencyKey(scope=scope, key=key, fingerprint=digest,
                                       resource_no=resource_no, created_at=now))
            session.flush()
            return load(session, resource_no), False
    except IntegrityError:
        with db.reader.begin() as session:
            done = _done(session, scope, key, digest)
            if done is None:
                raise
            return load(session, done), True


def _done(session: Session, scope: str, key: str, digest: str) -> str | None:
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                      IdempotencyKey.key == key))
    if row is None:
        return None
    if row.fingerprint != digest:
        raise InvalidError("该 Idempotency-Key 已用于另一项不同的请求，请为新的请求使用新的键。")
    return row.resource_no
