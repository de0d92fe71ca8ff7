"""Booking, idempotency, full and past slots, cancel, reschedule and the race for the last
place, on both databases."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from business import booking, schemas
from business.errors import ConflictError
from business.models import Slot
from tests.business.conftest import NOW, TODAY, Api
from tests.business.helpers import person, remaining, slot


def _book(api: Api, slot_id: int, key: str | None = None, **body: object) -> dict:  # type: ignore[type-arg]
    response = api.post("/appointments", {"slot_id": slot_id, **body}, key or uuid.uuid4().hex)
    return {**response.json(), "http": response.status_code,
            "replayed": response.headers.get("Idempotent-Replayed")}


def test_booking_takes_a_place_and_names_the_hall(api: Api) -> None:
    chosen = slot(api, remaining=2)
    who = person(api, 1)
    booked = _book(api, chosen["slot_id"], person_ref=who.ref)
    assert booked["http"] == 201 and booked["booking_no"].startswith("YY20261102")
    assert booked["hall"]["hall_id"] == "BJ-HD-01" and booked["service_name"] == "社保卡申领/补换"
    assert (booked["date"], booked["start"]) == (chosen["date"], chosen["start"])
    assert booked["contact_phone_masked"] == "138****0002"   # the phone on record
    assert remaining(api, chosen["slot_id"]) == 1
    assert api.get(f"/appointments/{booked['booking_no']}").json()["status"] == "booked"


def test_the_same_idempotency_key_returns_the_same_booking(api: Api) -> None:
    chosen = slot(api, remaining=2)
    first = _book(api, chosen["slot_id"], key="retry-key-0001", contact_phone="13800000099")
    again = _book(api, chosen["slot_id"], key="retry-key-0001", contact_phone="13800000099")
    assert again["booking_no"] == first["booking_no"] and again["replayed"] == "true"
    assert remaining(api, chosen["slot_id"]) == 1          # one place taken, not two

    other_body = _book(api, chosen["slot_id"], key="retry-key-0001", contact_phone="13800000098")
    assert other_body["http"] == 422 and "Idempotency-Key" in other_body["detail"]


def test_booking_without_a_key_or_a_contact_is_refused(api: Api) -> None:
    chosen = slot(api, remaining=2)
    no_key = api.post("/appointments", {"slot_id": chosen["slot_id"], "contact_phone": "13800000099"})
    assert no_key.status_code == 422 and "Idempotency-Key" in no_key.json()["detail"]
    assert _book(api, chosen["slot_id"])["http"] == 422
    assert remaining(api, chosen["slot_id"]) == 2


def test_a_full_slot_is_409(api: Api) -> None:
    chosen = slot(api, remaining=1)
    assert _book(api, chosen["slot_id"], contact_phone="13800000099")["http"] == 201
    full = _book(api, chosen["slot_id"], contact_phone="13800000098")
    assert full["http"] == 409 and full["detail"] == "该时段已约满，请选择其他时段。"


def test_a_past_slot_is_422(api: Api) -> None:
    with api.session() as session, session.begin():
        past = Slot(hall_id="BJ-HD-01", service="social_security_card", day=TODAY - dt.timedelta(days=3),
                    start=dt.time(9), end=dt.time(9, 30), capacity=5, booked=0)
        session.add(past)
        session.flush()
        past_id = past.id
    response = _book(api, past_id, contact_phone="13800000099")
    assert response["http"] == 422 and "已经过去" in response["detail"]
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    assert api.get("/halls/BJ-HD-01/slots", date=yesterday).status_code == 422


def test_cancel_frees_the_place_and_is_idempotent(api: Api) -> None:
    chosen = slot(api, remaining=1)
    booked = _book(api, chosen["slot_id"], contact_phone="13800000099")
    assert remaining(api, chosen["slot_id"]) == 0
    for _ in range(2):
        response = api.delete(f"/appointments/{booked['booking_no']}")
        assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert remaining(api, chosen["slot_id"]) == 1
    assert api.delete("/appointments/YY20261102999999").status_code == 404
    assert api.delete("/appointments/YY123").status_code == 422


def test_reschedule_moves_the_booking_once(api: Api) -> None:
    old, new = slot(api, remaining=2), slot(api, remaining=2, skip=1)
    booked = _book(api, old["slot_id"], contact_phone="13800000099")
    path = f"/appointments/{booked['booking_no']}/reschedule"
    for _ in range(2):   # a retry with the same key moves nothing again
        moved = api.post(path, {"slot_id": new["slot_id"]}, "move-key-0001")
        assert moved.status_code == 200, moved.text
        assert moved.json()["booking_no"] == booked["booking_no"]
        assert moved.json()["slot_id"] == new["slot_id"]
    assert (remaining(api, old["slot_id"]), remaining(api, new["slot_id"])) == (2, 1)

    other_service = slot(api, remaining=2, service="work_injury")
    refused = api.post(path, {"slot_id": other_service["slot_id"]}, "move-key-0002")
    assert refused.status_code == 422 and "同一业务" in refused.json()["detail"]


def test_concurrent_bookings_of_the_last_place_never_both_succeed(api: Api) -> None:
    chosen = slot(api, remaining=1)
    start = threading.Barrier(8)

    def attempt(i: int) -> int:
        start.wait()
        return int(_book(api, chosen["slot_id"], contact_phone=f"138000001{i:02d}")["http"])

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(attempt, range(8)))
    assert statuses == [201] + [409] * 7
    with api.session() as session:
        taken = session.scalar(select(Slot).where(Slot.id == chosen["slot_id"]))
        assert taken is not None and taken.booked == taken.capacity


def test_a_booking_that_read_a_free_place_waits_and_then_finds_it_full(api: Api) -> None:
    """The interleaving that breaks read-then-write booking, forced: A has taken the last
    place but not committed yet when B, which saw it free, tries."""
    chosen = slot(api, remaining=1)
    db = api.app.state.db
    holder = db.writer()
    holder.begin()
    assert booking._take(holder, chosen["slot_id"])
    outcome: list[object] = []

    def second() -> None:
        try:
            booking.book(db, "second-key-01", schemas.BookingRequest(slot_id=chosen["slot_id"],
                                                                     contact_phone="13800000099"),
                         NOW.replace(tzinfo=None))
            outcome.append("booked")
        except ConflictError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second booking must wait for the first transaction"
    holder.commit()
    holder.close()
    thread.join(15)
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError)


def test_a_persons_upcoming_bookings_are_listed_without_cancelled_ones(api: Api) -> None:
    who = person(api, 3)
    later, sooner = slot(api, remaining=2, skip=1), slot(api, remaining=2)
    kept = _book(api, later["slot_id"], person_ref=who.ref)
    first = _book(api, sooner["slot_id"], person_ref=who.ref)
    dropped = _book(api, slot(api, remaining=2, skip=2)["slot_id"], person_ref=who.ref)
    api.delete(f"/appointments/{dropped['booking_no']}")
    listed = api.get(f"/persons/{who.ref}/appointments").json()
    assert [a["booking_no"] for a in listed["appointments"]] == [first["booking_no"], kept["booking_no"]]
    assert api.get("/persons/nobody/appointments").status_code == 404
