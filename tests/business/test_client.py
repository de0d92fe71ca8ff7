"""The action server's client: against the real app (in process), and against a fake
system that fails, to pin retries, deadlines and the error tree."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest

from actions.business_client import (
    UNAVAILABLE_MESSAGE,
    BusinessClient,
    BusinessConflictError,
    BusinessInvalidError,
    BusinessNotFoundError,
    BusinessUnavailableError,
)
from business import schemas
from business.app import create_app
from tests.business.conftest import NOW, TOKEN, settings


@pytest.fixture
async def client(sqlite_template: str, tmp_path: Path) -> AsyncIterator[BusinessClient]:
    shutil.copyfile(sqlite_template, tmp_path / "business.db")
    app = create_app(settings(f"sqlite:///{tmp_path / 'business.db'}", seed_demo=False), clock=lambda: NOW)
    async with app.router.lifespan_context(app):
        async with BusinessClient("http://business.test", TOKEN, transport=httpx.ASGITransport(app)) as c:
            yield c


async def test_a_conversation_worth_of_calls_against_the_real_app(client: BusinessClient) -> None:
    halls = await client.halls(district="海淀", service="social_security_card")
    assert [h.hall_id for h in halls] == ["BJ-HD-01", "BJ-HD-02"]
    last = next(s for s in await client.slots("BJ-HD-01", service="social_security_card") if s.remaining == 1)
    booked = await client.book(last.slot_id, idempotency_key="conv-0001", contact_phone="13800000099")
    again = await client.book(last.slot_id, idempotency_key="conv-0001", contact_phone="13800000099")
    assert again.booking_no == booked.booking_no
    with pytest.raises(BusinessConflictError) as full:
        await client.book(last.slot_id, idempotency_key="conv-0002", contact_phone="13800000098")
    assert full.value.message == "该时段已约满，请选择其他时段。"
    assert (await client.cancel(booked.booking_no)).status == "cancelled"

    ticket = await client.file_ticket(schemas.TicketRequest(type="callback", summary="请回电",
                                                            contact_phone="13800000099"),
                                      idempotency_key="conv-0003")
    assert (await client.ticket(ticket.ticket_no)).due_date.isoformat() == "2026-11-03"

    with pytest.raises(BusinessNotFoundError) as unknown:
        await client.application("SY20200101999999")
    assert "SY20200101999999" in unknown.value.message
    with pytest.raises(BusinessInvalidError):
        await client.application("SY2020")
    assert (await client.verify_person("110105198001010019", "张伟")).match is False


def _fake(handler: httpx.MockTransport, **options: float) -> BusinessClient:
    return BusinessClient("http://business.test", TOKEN, transport=handler, **options)


async def test_gets_are_retried_and_then_succeed() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            return httpx.Response(503)
        return httpx.Response(200, json={"halls": []})

    async with _fake(httpx.MockTransport(answer), backoff_s=0.01) as client:
        assert await client.halls() == []
    assert len(calls) == 3 and calls[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_booking_is_retried_only_with_the_same_key() -> None:
    keys: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        if len(keys) == 1:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(502)

    async with _fake(httpx.MockTransport(answer), backoff_s=0.01) as client:
        with pytest.raises(BusinessUnavailableError) as down:
            await client.book(1, idempotency_key="the-one-key", contact_phone="13800000099")
    assert keys == ["the-one-key"] * 3
    assert down.value.message == UNAVAILABLE_MESSAGE and "转人工" in down.value.message


async def test_a_post_without_a_key_is_never_repeated() -> None:
    calls: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    client = _fake(httpx.MockTransport(answer), backoff_s=0.01)
    with pytest.raises(BusinessUnavailableError):
        await client._call(schemas.TicketOut, "POST", "/tickets", json={})
    await client.aclose()
    assert len(calls) == 1


async def test_a_hanging_system_is_given_up_on_by_the_deadline() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return httpx.Response(200)

    async with _fake(httpx.MockTransport(hang), deadline_s=0.4) as client:
        started = time.monotonic()
        with pytest.raises(BusinessUnavailableError):
            await client.application("SY20261103000123")
        assert time.monotonic() - started < 0.8


async def test_a_refused_token_is_unavailable_and_numbers_cannot_escape_their_route() -> None:
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.raw_path.decode())
        return httpx.Response(401, json={"code": "unauthorized", "detail": "访问令牌缺失或不正确。"})

    async with _fake(httpx.MockTransport(answer)) as client:
        with pytest.raises(BusinessUnavailableError) as refused:
            await client.ticket("../persons/p1/card")
    assert refused.value.status == 401 and refused.value.message == UNAVAILABLE_MESSAGE
    assert paths == ["/api/v1/tickets/..%2Fpersons%2Fp1%2Fcard"]
    assert TOKEN not in repr(client)
