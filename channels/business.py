"""The gateway's calls to the province's business system (docs/business-api.md): matching
a 身份证号 and name against the record (``POST /api/v1/persons/verify``), and a callback
request for a number only the gateway knows (``POST /api/v1/tickets``, SMS 人工/RG)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx


class BusinessUnavailableError(Exception):
    """The business system did not answer in time or answered with an error."""


@dataclass(frozen=True)
class PersonRecord:
    person_ref: str
    phone: str
    region: str | None = None


async def verify_person(http: httpx.AsyncClient, base_url: str, token: str,
                        id_number: str, name: str) -> PersonRecord | None:
    """The record that matches both, or None; never says which one did not match."""
    try:
        response = await http.post(f"{base_url.rstrip('/')}/api/v1/persons/verify",
                                   json={"id_number": id_number, "name": name},
                                   headers={"Authorization": f"Bearer {token}"},
                                   timeout=httpx.Timeout(2.5, connect=1.0))
    except httpx.HTTPError as exc:
        raise BusinessUnavailableError(type(exc).__name__) from exc
    if response.status_code != 200:
        raise BusinessUnavailableError(f"HTTP {response.status_code}")
    body = response.json()
    if not body.get("match"):
        return None
    return PersonRecord(str(body["person_ref"]), str(body["phone"]), body.get("region"))


@dataclass(frozen=True)
class CallbackTicket:
    ticket_no: str
    due_date: dt.date


async def file_callback(http: httpx.AsyncClient, base_url: str, token: str, phone: str,
                        idempotency_key: str, channel: str = "sms") -> CallbackTicket:
    """A callback request (回电, ``POST /api/v1/tickets`` type ``callback``) for ``phone``.
    The same ``idempotency_key`` files one ticket however often it is sent."""
    body = {"type": "callback", "summary": "市民通过12333短信申请人工回电", "channel": channel,
            "contact_phone": phone}
    try:
        response = await http.post(f"{base_url.rstrip('/')}/api/v1/tickets", json=body,
                                   headers={"Authorization": f"Bearer {token}",
                                            "Idempotency-Key": idempotency_key},
                                   timeout=httpx.Timeout(2.5, connect=1.0))
    except httpx.HTTPError as exc:
        raise BusinessUnavailableError(type(exc).__name__) from exc
    if response.status_code not in (200, 201):
        raise BusinessUnavailableError(f"HTTP {response.status_code}")
    ticket = response.json()
    return CallbackTicket(str(ticket["ticket_no"]), dt.date.fromisoformat(str(ticket["due_date"])))
