"""Tickets: complaints, reports, callback requests and hard questions, each with a due
date (答复时限) counted in working days from the day it is filed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from business import numbers, schemas, views, workdays
from business.db import Database
from business.errors import InvalidError, NotFoundError
from business.idempotency import run_once
from business.models import Person, Ticket


def file(db: Database, key: str, request: schemas.TicketRequest, now: dt.datetime,
         time_limit_days: int, holidays: Collection[dt.date] = ()) -> tuple[schemas.TicketOut, bool]:
    def write(session: Session) -> str:
        person = None
        if request.person_ref:
            person = session.scalar(select(Person).where(Person.ref == request.person_ref))
            if person is None:
                raise InvalidError("人员标识无效，请重新核验身份。")
        phone = request.contact_phone or (person.phone if person else None)
        if request.type == "callback" and not phone:
            raise InvalidError("登记回电需要联系电话。")
        ticket = Ticket(kind=request.type, summary=request.summary,
                        details=request.details.model_dump(mode="json", exclude_none=True),
                        channel=request.channel, person_id=person.id if person else None,
                        contact_phone=phone, status="registered", created_at=now,
                        time_limit_days=time_limit_days,
                        due_date=workdays.add_working_days(now.date(), time_limit_days, holidays))
        session.add(ticket)
        session.flush()
        ticket.no = numbers.make(numbers.TICKET_PREFIX, now.date(), ticket.id)
        return ticket.no

    payload = {"op": "ticket", **request.model_dump(mode="json")}
    return run_once(db, "tickets", key, payload, now, write, _load)


def get(db: Database, ticket_no: str) -> schemas.TicketOut:
    no = numbers.normalize_ticket_no(ticket_no)
    if no is None:
        raise InvalidError("工单号格式不正确：应为 GD 加 14 位数字，例如 GD20261103000042。")
    with db.reader.begin() as session:
        return _load(session, no)


def _load(session: Session, no: str) -> schemas.TicketOut:
    ticket = session.scalar(select(Ticket).where(Ticket.no == no))
    if ticket is None:
        raise NotFoundError(f"没有查到工单号为 {no} 的工单，请核对后再试。")
    return views.ticket(ticket)
