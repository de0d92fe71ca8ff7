"""Staff accounts and sessions for the agent workspace and the dashboard.

Roles: ``agent`` (坐席) and ``supervisor`` (班长/质检; a supervisor is also an agent).
Accounts come from ``STAFF_ACCOUNTS_FILE`` (JSON, scrypt password hashes, written by
``hotline staff add``) and, for development, from two demo accounts whose passwords
``hotline run`` generates into the local secrets file (``STAFF_AGENT_PASSWORD``,
``STAFF_SUPERVISOR_PASSWORD``).

Sessions live in Redis under a hash of the cookie value (``staff:session:<sha256>``), so a
Redis dump does not hand out live sessions. The cookie ``staff_session`` is HttpOnly and
SameSite=Strict; unsafe API methods must also carry the session's CSRF token in the header
``X-CSRF-Token`` (the page reads it from the non-HttpOnly cookie ``staff_csrf``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request, Response
from redis.asyncio import Redis

from channels.errors import ForbiddenError, GatewayError, UnauthorizedError
from channels.redisio import text_map

SESSION_COOKIE = "staff_session"
CSRF_COOKIE = "staff_csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 9 * 3600  # a shift and a bit; renewed on every request
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ROLES = ("agent", "supervisor")

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class StaffForbiddenError(ForbiddenError):
    message = "您的账号没有此项操作的权限。"


class StaffLoginRequiredError(UnauthorizedError):
    message = "请先登录坐席工作台。"


class CsrfError(GatewayError):
    status_code = 403
    message = "页面已过期，请刷新后重试。"


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    roles: frozenset[str]
    skills: frozenset[str] = frozenset({"general"})
    regions: frozenset[str] = frozenset()  # empty: every region

    def has(self, role: str) -> bool:
        return role in self.roles or (role == "agent" and "supervisor" in self.roles)

    def as_dict(self) -> dict[str, object]:
        return {"username": self.username, "display_name": self.display_name,
                "roles": sorted(self.roles), "skills": sorted(self.skills),
                "regions": sorted(self.regions)}


@dataclass(frozen=True)
class Account:
    user: StaffUser
    password_hash: str


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(expected, base64.b64decode(digest))


def _names(value: Any, default: tuple[str, ...]) -> frozenset[str]:
    return frozenset(str(v) for v in (value or default))


def _user(entry: Mapping[str, Any]) -> StaffUser:
    roles = _names(entry.get("roles"), ("agent",))
    unknown = roles - set(ROLES)
    if unknown:
        raise ValueError(f"unknown staff roles: {sorted(unknown)}")
    return StaffUser(
        username=str(entry["username"]),
        display_name=str(entry.get("display_name") or entry["username"]),
        roles=roles,
        skills=_names(entry.get("skills"), ("general",)),
        regions=_names(entry.get("regions"), ()),
    )


def load_accounts(path: Path | None, agent_password: str | None,
                  supervisor_password: str | None) -> dict[str, Account]:
    accounts: dict[str, Account] = {}
    if agent_password:
        accounts["agent"] = Account(StaffUser("agent", "演示坐席", frozenset({"agent"})),
                                    hash_password(agent_password))
    if supervisor_password:
        accounts["supervisor"] = Account(
            StaffUser("supervisor", "演示班长", frozenset({"agent", "supervisor"})),
            hash_password(supervisor_password))
    if path is not None and path.exists():
        for entry in json.loads(path.read_text(encoding="utf-8")):
            accounts[str(entry["username"])] = Account(_user(entry), str(entry["password_hash"]))
    return accounts


def add_account(path: Path, username: str, password: str, roles: list[str],
                display_name: str = "", skills: list[str] | None = None,
                regions: list[str] | None = None) -> None:
    """Add or replace one account in the accounts file (``hotline staff add``)."""
    entries = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    entry: dict[str, Any] = {"username": username, "display_name": display_name or username,
             "roles": roles, "skills": skills or ["general"], "regions": regions or [],
             "password_hash": hash_password(password)}
    _user(entry)  # validates the roles
    entries = [e for e in entries if e.get("username") != username] + [entry]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(entries, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)


def _session_key(token: str) -> str:
    return "staff:session:" + hashlib.sha256(token.encode()).hexdigest()


class StaffDirectory:
    """Accounts plus the Redis session store; one per gateway process."""

    def __init__(self, redis: Redis, accounts: dict[str, Account], secure_cookies: bool = False) -> None:
        self.redis = redis
        self.accounts = accounts
        self.secure_cookies = secure_cookies

    def authenticate(self, username: str, password: str) -> StaffUser | None:
        account = self.accounts.get(username)
        if account is None:
            hash_password(password)  # the same work either way: no timing oracle for names
            return None
        return account.user if check_password(password, account.password_hash) else None

    async def open_session(self, user: StaffUser, response: Response) -> str:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        key = _session_key(token)
        await self.redis.hset(key, mapping={"username": user.username, "csrf": csrf,
                                            "since": repr(time.time())})
        await self.redis.expire(key, SESSION_TTL_S)
        response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_TTL_S, httponly=True,
                            samesite="strict", secure=self.secure_cookies, path="/")
        response.set_cookie(CSRF_COOKIE, csrf, max_age=SESSION_TTL_S, httponly=False,
                            samesite="strict", secure=self.secure_cookies, path="/")
        return csrf

    async def close_session(self, request: Request, response: Response) -> None:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await self.redis.delete(_session_key(token))
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")

    async def current(self, request: Request) -> tuple[StaffUser, str] | None:
        """The signed-in user and the session's CSRF token, or None."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        key = _session_key(token)
        session = text_map(await self.redis.hgetall(key))
        account = self.accounts.get(session.get("username", ""))
        if account is None:
            return None
        await self.redis.expire(key, SESSION_TTL_S)
        return account.user, session["csrf"]


def directory(request: Request) -> StaffDirectory:
    staff: StaffDirectory = request.app.state.staff
    return staff


def require_role(role: str) -> Callable[[Request], Awaitable[StaffUser]]:
    """A FastAPI dependency: the signed-in staff member holding ``role``, else 401/403."""

    async def dependency(request: Request) -> StaffUser:
        found = await directory(request).current(request)
        if found is None:
            raise StaffLoginRequiredError()
        user, csrf = found
        if not user.has(role):
            raise StaffForbiddenError()
        if request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not hmac.compare_digest(sent, csrf):
                raise CsrfError()
        return user

    return dependency


async def page_user(request: Request, role: str) -> StaffUser | None:
    """For HTML pages: the signed-in user holding ``role``, or None (show the login page)."""
    found = await directory(request).current(request)
    if found is None or not found[0].has(role):
        return None
    return found[0]
