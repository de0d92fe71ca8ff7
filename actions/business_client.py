"""Typed async client for the province's business system (``docs/business-api.md``).

The request and response bodies are the contract in ``business.schemas``; any province's
system that implements it works with this client. One client per process: create it at
start-up (``from_env``), reuse it, ``aclose`` it at shutdown. Nothing happens at import.

Errors, one tree::

    BusinessError
     ├── BusinessUnavailableError  timeout, connection refused, 5xx, a refused token:
     │                             tell the citizen ``.message`` (a human or a callback)
     ├── BusinessNotFoundError     404  ``.message`` says what was not found
     ├── BusinessConflictError     409  slot full, booking no longer changeable
     └── BusinessInvalidError      400/422  malformed number, past date, missing contact

Every error's ``.message`` is Chinese, fit to say to the citizen as it is.

Timing: connect 1 s, the whole call 2.5 s including retries, so that the citizen hears
something within 3 s when the system is slow or down. Retries (2, short backoff) only for
what can be repeated safely: GET, DELETE (cancelling is idempotent), identity matching
(it only reads), and POSTs that carry the caller's ``Idempotency-Key`` — repeated with the
same key, so the system books or files once however often the request arrives.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from typing import Any, Mapping, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from business import schemas

log = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

UNAVAILABLE_MESSAGE = ("抱歉，业务系统暂时无法查询或办理，请稍后再试。您也可以转人工客服，"
                       "或者留下联系电话，我们登记回电，工作人员会尽快与您联系。")


class BusinessError(Exception):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class BusinessUnavailableError(BusinessError):
    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(UNAVAILABLE_MESSAGE, status)
        self.reason = reason   # for logs and operators, never for the citizen


class BusinessNotFoundError(BusinessError):
    pass


class BusinessConflictError(BusinessError):
    pass


class BusinessInvalidError(BusinessError):
    pass


_BY_STATUS: dict[int, type[BusinessError]] = {
    400: BusinessInvalidError, 404: BusinessNotFoundError, 409: BusinessConflictError,
    422: BusinessInvalidError,
}
_FALLBACK_DETAIL = {BusinessNotFoundError: "没有查到相关记录，请核对后再试。",
                    BusinessConflictError: "当前状态下无法办理，请重新查询后再试。",
                    BusinessInvalidError: "提供的信息不正确，请核对后再试。"}


class BusinessClient:
    def __init__(self, base_url: str, token: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 deadline_s: float = 2.5, connect_s: float = 1.0, retries: int = 2,
                 backoff_s: float = 0.1) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/") + "/api/v1", transport=transport,
                                       headers={"Authorization": f"Bearer {token}"})
        self.deadline_s = deadline_s
        self.connect_s = connect_s
        self.retries = retries
        self.backoff_s = backoff_s

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, **options: Any) -> BusinessClient:
        """``BUSINESS_URL`` and ``BUSINESS_API_TOKEN``, as ``hotline run`` passes them."""
        return cls(environ.get("BUSINESS_URL", "http://127.0.0.1:8100"), environ["BUSINESS_API_TOKEN"],
                   **options)

    def __repr__(self) -> str:
        return f"BusinessClient({str(self._http.base_url)!r})"   # never the token

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> BusinessClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    # -- persons and records ------------------------------------------------------------

    async def verify_person(self, id_number: str, name: str) -> schemas.VerifyResult:
        body = {"id_number": id_number, "name": name}
        return await self._call(schemas.VerifyResult, "POST", "/persons/verify", json=body, safe=True)

    async def person_applications(self, person_ref: str) -> list[schemas.ApplicationOut]:
        path = _path("persons", person_ref, "applications")
        return (await self._call(schemas.ApplicationList, "GET", path)).applications

    async def contributions(self, person_ref: str) -> schemas.Contributions:
        return await self._call(schemas.Contributions, "GET", _path("persons", person_ref, "contributions"))

    async def pension_payments(self, person_ref: str) -> schemas.PensionPayments:
        path = _path("persons", person_ref, "pension-payments")
        return await self._call(schemas.PensionPayments, "GET", path)

    async def person_appointments(self, person_ref: str) -> list[schemas.AppointmentOut]:
        path = _path("persons", person_ref, "appointments")
        return (await self._call(schemas.AppointmentList, "GET", path)).appointments

    async def card(self, person_ref: str) -> schemas.CardOut:
        return await self._call(schemas.CardOut, "GET", _path("persons", person_ref, "card"))

    # -- applications, halls, appointments ------------------------------------------------

    async def application(self, acceptance_no: str) -> schemas.ApplicationOut:
        return await self._call(schemas.ApplicationOut, "GET", _path("applications", acceptance_no))

    async def halls(self, district: str | None = None, service: str | None = None) -> list[schemas.HallOut]:
        params = {k: v for k, v in {"district": district, "service": service}.items() if v}
        return (await self._call(schemas.HallList, "GET", "/halls", params=params)).halls

    async def slots(self, hall_id: str, service: str | None = None,
                    date: dt.date | None = None) -> list[schemas.SlotOut]:
        params = {k: v for k, v in {"service": service, "date": date and date.isoformat()}.items() if v}
        path = _path("halls", hall_id, "slots")
        return (await self._call(schemas.SlotList, "GET", path, params=params)).slots

    async def book(self, slot_id: int, *, idempotency_key: str, person_ref: str | None = None,
                   contact_phone: str | None = None, channel: str = "webchat") -> schemas.AppointmentOut:
        body = schemas.BookingRequest(slot_id=slot_id, person_ref=person_ref, contact_phone=contact_phone,
                                      channel=channel).model_dump(mode="json")
        return await self._call(schemas.AppointmentOut, "POST", "/appointments", json=body,
                                idempotency_key=idempotency_key)

    async def appointment(self, booking_no: str) -> schemas.AppointmentOut:
        return await self._call(schemas.AppointmentOut, "GET", _path("appointments", booking_no))

    async def cancel(self, booking_no: str) -> schemas.AppointmentOut:
        return await self._call(schemas.AppointmentOut, "DELETE", _path("appointments", booking_no))

    async def reschedule(self, booking_no: str, slot_id: int, *,
                         idempotency_key: str) -> schemas.AppointmentOut:
        path = _path("appointments", booking_no, "reschedule")
        return await self._call(schemas.AppointmentOut, "POST", path, json={"slot_id": slot_id},
                                idempotency_key=idempotency_key)

    # -- tickets --------------------------------------------------------------------------

    async def file_ticket(self, ticket: schemas.TicketRequest, *, idempotency_key: str) -> schemas.TicketOut:
        return await self._call(schemas.TicketOut, "POST", "/tickets", json=ticket.model_dump(mode="json"),
                                idempotency_key=idempotency_key)

    async def ticket(self, ticket_no: str) -> schemas.TicketOut:
        return await self._call(schemas.TicketOut, "GET", _path("tickets", ticket_no))

    # -- the one place that talks HTTP ----------------------------------------------------

    async def _call(self, model: type[T], method: str, path: str, *, json: Any = None,
                    params: Mapping[str, str] | None = None, idempotency_key: str | None = None,
                    safe: bool = False) -> T:
        repeatable = safe or method in ("GET", "DELETE") or idempotency_key is not None
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_s
        attempt = 0
        while True:
            left = deadline - loop.time()
            try:
                response = await asyncio.wait_for(self._http.request(
                    method, path, json=json, params=params, headers=headers,
                    timeout=httpx.Timeout(left, connect=min(self.connect_s, left))), left)
                if response.status_code < 500:
                    return _parse(model, response)
                reason = f"HTTP {response.status_code}"
            except (httpx.TransportError, asyncio.TimeoutError) as exc:
                reason = type(exc).__name__
            attempt += 1
            pause = self.backoff_s * attempt
            if not repeatable or attempt > self.retries or deadline - loop.time() <= pause:
                log.warning("business.unavailable method=%s attempts=%d reason=%s", method, attempt, reason)
                raise BusinessUnavailableError(reason)
            await asyncio.sleep(pause)


def _path(*segments: str) -> str:
    """Segments are quoted: a "number" such as "../tickets/…" must not reach another route."""
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def _parse(model: type[T], response: httpx.Response) -> T:
    if response.is_success:
        try:
            return model.model_validate(response.json())
        except ValueError as exc:   # also pydantic's ValidationError: the contract was broken
            log.error("business.bad_response status=%s error=%s", response.status_code, type(exc).__name__)
            raise BusinessUnavailableError("bad response", response.status_code) from exc
    kind = _BY_STATUS.get(response.status_code)
    if kind is None:
        # 401/403 mean our token is wrong: the citizen can do nothing about it.
        log.error("business.refused status=%s", response.status_code)
        raise BusinessUnavailableError(f"HTTP {response.status_code}", response.status_code)
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    raise kind(detail if isinstance(detail, str) and detail else _FALLBACK_DETAIL[kind], response.status_code)
