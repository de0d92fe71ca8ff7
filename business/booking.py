"""Booking, cancelling and rescheduling appointments, race-free.

A slot is taken with one conditional statement,
``UPDATE slots SET booked = booked + 1 WHERE id = :id AND booked < capacity``, in the same
transaction that inserts the appointment: if it changed no row the slot is full. The
database serialises the statement (a row lock on PostgreSQL, the write lock on SQLite,
see ``db``), so two bookings of the last place never both succeed, whatever they read
before. The slots table's CHECK constraint is the backstop.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from business import numbers, schemas, views
from business.db import Database
from business.errors import ConflictError, InvalidError, NotFoundError
from business.idempotency import run_once
from business.models import Appointment, Person, Slot

FULL = "该时段已约满，请选择其他时段。"
PAST = "所选时段已经过去，请选择尚未开始的时段。"
CHANGED = "这条预约刚刚发生了变化，请重新查询后再操作。"


def book(db: Database, key: str, request: schemas.BookingRequest,
         now: dt.datetime) -> tuple[schemas.AppointmentOut, bool]:
    def write(session: Session) -> str:
        slot = _future_slot(session, request.slot_id, now)
        person = _person(session, request.person_ref)
        if person is None and not request.contact_phone:
            raise InvalidError("预约需要已核验的人员标识或联系电话，至少提供一项。")
        if not _take(session, slot.id):
            raise ConflictError(FULL)
        appointment = Appointment(slot_id=slot.id, person_id=person.id if person else None,
                                  contact_phone=request.contact_phone or (person.phone if person else None),
                                  channel=request.channel, status="booked", created_at=now)
        session.add(appointment)
        session.flush()
        appointment.no = numbers.make(numbers.BOOKING_PREFIX, now.date(), appointment.id)
        return appointment.no

    return run_once(db, "appointments", key, {"op": "book", **request.model_dump()}, now, write, _load)


def get(db: Database, booking_no: str) -> schemas.AppointmentOut:
    with db.reader.begin() as session:
        return _load(session, _booking_no(booking_no))


def cancel(db: Database, booking_no: str, now: dt.datetime) -> schemas.AppointmentOut:
    """Cancel and free the place; cancelling a cancelled booking changes nothing."""
    no = _booking_no(booking_no)
    with db.writer.begin() as session:
        appointment = _appointment(session, no)
        if appointment.status == "cancelled":
            return views.appointment(appointment)
        if _starts(appointment.slot) <= now:
            raise ConflictError("预约时间已过，无法取消。")
        changed = _rows(session.execute(
            update(Appointment).where(Appointment.id == appointment.id, Appointment.status == "booked")
            .values(status="cancelled", cancelled_at=now)
            .execution_options(synchronize_session=False)))
        if changed:
            _release(session, appointment.slot_id)
        session.refresh(appointment)
        return views.appointment(appointment)


def reschedule(db: Database, booking_no: str, key: str, slot_id: int,
               now: dt.datetime) -> tuple[schemas.AppointmentOut, bool]:
    no = _booking_no(booking_no)

    def write(session: Session) -> str:
        appointment = _appointment(session, no)
        if appointment.status != "booked":
            raise ConflictError("该预约已取消，不能改期；请重新预约。")
        old = appointment.slot
        if _starts(old) <= now:
            raise ConflictError("预约时间已过，无法改期。")
        new = _future_slot(session, slot_id, now)
        if new.service != old.service:
            raise InvalidError("改期只能选择同一业务的时段；办理其他业务请重新预约。")
        if new.id == old.id:
            return no
        if not _take(session, new.id):
            raise ConflictError(FULL)
        moved = _rows(session.execute(
            update(Appointment)
            .where(Appointment.id == appointment.id, Appointment.status == "booked",
                   Appointment.slot_id == old.id)
            .values(slot_id=new.id).execution_options(synchronize_session=False)))
        if not moved:
            raise ConflictError(CHANGED)   # rolls back the place just taken
        _release(session, old.id)
        session.expire(appointment)
        return no

    payload = {"op": "reschedule", "booking_no": no, "slot_id": slot_id}
    return run_once(db, "reschedule", key, payload, now, write, _load)


# -- helpers ----------------------------------------------------------------------------

def _take(session: Session, slot_id: int) -> bool:
    return _rows(session.execute(
        update(Slot).where(Slot.id == slot_id, Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1).execution_options(synchronize_session=False))) == 1


def _release(session: Session, slot_id: int) -> None:
    session.execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0)
                    .values(booked=Slot.booked - 1).execution_options(synchronize_session=False))


def _rows(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


def _starts(slot: Slot) -> dt.datetime:
    return dt.datetime.combine(slot.day, slot.start)


def _future_slot(session: Session, slot_id: int, now: dt.datetime) -> Slot:
    slot = session.get(Slot, slot_id)
    if slot is None:
        raise NotFoundError("没有找到这个预约时段，请重新查询可预约的时段。")
    if _starts(slot) <= now:
        raise InvalidError(PAST)
    return slot


def _person(session: Session, person_ref: str | None) -> Person | None:
    if not person_ref:
        return None
    person = session.scalar(select(Person).where(Person.ref == person_ref))
    if person is None:
        raise InvalidError("人员标识无效，请重新核验身份。")
    return person


def _booking_no(value: str) -> str:
    no = numbers.normalize_booking_no(value)
    if no is None:
        raise InvalidError("预约号格式不正确：应为 YY 加 14 位数字，例如 YY20261103000007。")
    return no


def _appointment(session: Session, no: str) -> Appointment:
    appointment = session.scalar(select(Appointment).where(Appointment.no == no))
    if appointment is None:
        raise NotFoundError(f"没有查到预约号为 {no} 的预约，请核对后再试。")
    return appointment


def _load(session: Session, no: str) -> schemas.AppointmentOut:
    return views.appointment(_appointment(session, no))
