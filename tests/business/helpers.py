"""Small lookups shared by the business API tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from business.models import Person, Slot
from tests.business.conftest import Api


def person(api: Api, index: int = 0) -> Person:
    with api.session() as session:
        return list(session.scalars(select(Person).order_by(Person.id)))[index]


def slot(api: Api, remaining: int, hall: str = "BJ-HD-01", service: str = "social_security_card",
         skip: int = 0) -> dict[str, Any]:
    """A free slot with exactly ``remaining`` places left (the ``skip``-th such one)."""
    response = api.get(f"/halls/{hall}/slots", service=service)
    assert response.status_code == 200, response.text
    matching = [s for s in response.json()["slots"] if s["remaining"] == remaining]
    return dict(matching[skip])


def remaining(api: Api, slot_id: int) -> int:
    with api.session() as session:
        taken = session.get(Slot, slot_id)
        assert taken is not None
        return taken.capacity - taken.booked
