"""The gateway's one call to the province's business system: matching a 身份证号 and name
against the record (docs/business-api.md, ``POST /api/v1/persons/verify``)."""

from __future__ import annotations

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
