"""Persons: identity matching and personal records."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from business import schemas, views
from business.catalog import CARD_STATUSES
from business.deps import Db, Now
from business.errors import NotFoundError, responses
from business.models import Application, Appointment, Card, Contribution, PensionPayment, Person, Slot
from channels.masking import mask_phone

router = APIRouter(prefix="/persons", tags=["人员"])
UNKNOWN = responses(NotFoundError)


@router.post("/verify", response_model=schemas.VerifyResult, response_model_exclude_none=True,
             summary="核验身份证号码与姓名",
             description="两项都与登记信息一致时返回人员标识和登记的手机号；否则只返回 "
                         "`{\"match\": false}`，不说明是哪一项不一致。")
def verify(body: schemas.VerifyRequest, db: Db) -> schemas.VerifyResult:
    id_number = body.id_number.strip().upper()
    with db.reader.begin() as session:
        person = session.scalar(select(Person).where(Person.id_number == id_number))
        if person is None or person.name != body.name.strip():
            return schemas.VerifyResult(match=False)
        return schemas.VerifyResult(match=True, person_ref=person.ref, phone=person.phone,
                                    phone_masked=mask_phone(person.phone), region=person.province,
                                    district=person.district)


@router.get("/{person_ref}/applications", response_model=schemas.ApplicationList, responses=UNKNOWN,
            summary="某人的全部业务（新的在前）")
def applications(person_ref: str, db: Db) -> schemas.ApplicationList:
    with db.reader.begin() as session:
        person = _person(session, person_ref)
        rows = session.scalars(select(Application).where(Application.person_id == person.id)
                               .order_by(Application.submitted_on.desc(), Application.id.desc()))
        return schemas.ApplicationList(person_ref=person.ref,
                                       applications=[views.application(r) for r in rows])


@router.get("/{person_ref}/appointments", response_model=schemas.AppointmentList, responses=UNKNOWN,
            summary="某人尚未到时间的预约（时间早的在前）")
def appointments(person_ref: str, db: Db, now: Now) -> schemas.AppointmentList:
    with db.reader.begin() as session:
        person = _person(session, person_ref)
        rows = session.scalars(select(Appointment).join(Slot)
                               .where(Appointment.person_id == person.id, Appointment.status == "booked",
                                      Slot.day >= now.date())
                               .order_by(Slot.day, Slot.start))
        upcoming = [r for r in rows if dt.datetime.combine(r.slot.day, r.slot.start) > now]
        return schemas.AppointmentList(person_ref=person.ref,
                                       appointments=[views.appointment(r) for r in upcoming])


@router.get("/{person_ref}/contributions", response_model=schemas.Contributions, responses=UNKNOWN,
            summary="养老保险缴费记录（按年汇总）")
def contributions(person_ref: str, db: Db) -> schemas.Contributions:
    with db.reader.begin() as session:
        person = _person(session, person_ref)
        rows = list(session.scalars(select(Contribution).where(Contribution.person_id == person.id)
                                    .order_by(Contribution.year.desc())))
        return schemas.Contributions(
            person_ref=person.ref, insurance="城镇职工基本养老保险",
            total_months=sum(r.months_paid for r in rows),
            years=[schemas.ContributionYear.model_validate(r) for r in rows])


@router.get("/{person_ref}/pension-payments", response_model=schemas.PensionPayments, responses=UNKNOWN,
            summary="养老金发放记录（最近 12 个月）")
def pension_payments(person_ref: str, db: Db) -> schemas.PensionPayments:
    with db.reader.begin() as session:
        person = _person(session, person_ref)
        rows = list(session.scalars(select(PensionPayment).where(PensionPayment.person_id == person.id)
                                    .order_by(PensionPayment.month.desc()).limit(12)))
        return schemas.PensionPayments(person_ref=person.ref, retired=bool(rows),
                                       payments=[schemas.PensionPaymentOut.model_validate(r) for r in rows])


@router.get("/{person_ref}/card", response_model=schemas.CardOut, responses=UNKNOWN,
            summary="社会保障卡状态")
def card(person_ref: str, db: Db) -> schemas.CardOut:
    with db.reader.begin() as session:
        person = _person(session, person_ref)
        row = session.get(Card, person.id)
        if row is None:
            raise NotFoundError("没有查到您的社会保障卡信息，请到就近的服务网点咨询。")
        return schemas.CardOut(person_ref=person.ref, status=row.status,
                               status_name=CARD_STATUSES[row.status], generation=row.generation,
                               bank=row.bank, card_no_masked=row.card_no_masked,
                               issued_on=row.issued_on, note=row.note)


def _person(session: Session, person_ref: str) -> Person:
    person = session.scalar(select(Person).where(Person.ref == person_ref))
    if person is None:
        raise NotFoundError("没有找到该人员的记录，请重新核验身份。")
    return person
