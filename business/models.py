"""The database tables, all in one module (no migrations yet: tables are created at start).

Personal numbers are stored in clear because this system stands in for the province's
own database; they never leave it except to the caller that proved it holds the token.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)   # opaque, handed to callers
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20))
    province: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(16))


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    acceptance_no: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    office: Mapped[str] = mapped_column(String(64))
    next_step: Mapped[str] = mapped_column(Text)
    submitted_on: Mapped[dt.date] = mapped_column(Date)

    person: Mapped[Person] = relationship()
    events: Mapped[list[ApplicationEvent]] = relationship(order_by="ApplicationEvent.at")


class ApplicationEvent(Base):
    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    step: Mapped[str] = mapped_column(String(8))        # 受理 / 审核 / 办结 / 退回
    at: Mapped[dt.datetime] = mapped_column(DateTime)   # Beijing time, naive
    note: Mapped[str] = mapped_column(Text)


class Hall(Base):
    __tablename__ = "halls"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    city: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(16), index=True)
    address: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(64))

    services: Mapped[list[HallService]] = relationship(order_by="HallService.service")


class HallService(Base):
    __tablename__ = "hall_services"

    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"), primary_key=True)
    service: Mapped[str] = mapped_column(String(32), primary_key=True)


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("hall_id", "service", "day", "start"),
        # The booking UPDATE already keeps within capacity; the database refuses it too.
        CheckConstraint("booked >= 0 AND booked <= capacity", name="slot_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[str] = mapped_column(ForeignKey("halls.id"))
    service: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    start: Mapped[dt.time] = mapped_column(Time)
    end: Mapped[dt.time] = mapped_column(Time)
    capacity: Mapped[int]
    booked: Mapped[int] = mapped_column(default=0)

    hall: Mapped[Hall] = relationship()


class Appointment(Base):
    __tablename__ = "appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str | None] = mapped_column(String(16), unique=True)   # set right after insert
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="booked")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    slot: Mapped[Slot] = relationship()
    person: Mapped[Person | None] = relationship()


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    no: Mapped[str | None] = mapped_column(String(16), unique=True)   # set right after insert
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="registered")
    time_limit_days: Mapped[int]                       # working days, as configured when filed
    due_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reply: Mapped[str | None] = mapped_column(Text)

    person: Mapped[Person | None] = relationship()


class IdempotencyKey(Base):
    """A write already done for (scope, key): a retry gets the same resource back."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(64))   # sha256 of the request
    resource_no: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Contribution(Base):
    __tablename__ = "contributions"
    __table_args__ = (UniqueConstraint("person_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    year: Mapped[int]
    months_paid: Mapped[int]
    base: Mapped[Decimal] = mapped_column(Numeric(10, 2))   # 月缴费基数, yuan
    employer: Mapped[str] = mapped_column(String(64))


class PensionPayment(Base):
    __tablename__ = "pension_payments"
    __table_args__ = (UniqueConstraint("person_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))           # YYYY-MM
    amount: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    paid_on: Mapped[dt.date] = mapped_column(Date)


class Card(Base):
    __tablename__ = "cards"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))         # catalog.CARD_STATUSES
    generation: Mapped[str] = mapped_column(String(8))
    bank: Mapped[str] = mapped_column(String(32))
    card_no_masked: Mapped[str] = mapped_column(String(24))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
