"""Appointments: book, look up, cancel, reschedule."""

from __future__ import annotations

from fastapi import APIRouter, Response

from business import booking, schemas
from business.deps import Db, IdempotencyKeyHeader, Now
from business.errors import ConflictError, InvalidError, NotFoundError, responses

router = APIRouter(prefix="/appointments", tags=["预约"])
REPLAYED = "Idempotent-Replayed"


@router.post("", status_code=201, response_model=schemas.AppointmentOut,
             responses=responses(NotFoundError, ConflictError, InvalidError), summary="预约",
             description="占用所选时段的一个名额。同一个 `Idempotency-Key` 重复提交不会再约一次，"
                         f"而是返回第一次的预约（响应头 `{REPLAYED}: true`）。时段已满返回 409，"
                         "时段已开始或已过去返回 422。")
def book(body: schemas.BookingRequest, db: Db, now: Now, key: IdempotencyKeyHeader,
         response: Response) -> schemas.AppointmentOut:
    result, replayed = booking.book(db, key, body, now)
    _mark(response, replayed)
    return result


@router.get("/{booking_no}", response_model=schemas.AppointmentOut,
            responses=responses(NotFoundError, InvalidError), summary="查询预约")
def get(booking_no: str, db: Db) -> schemas.AppointmentOut:
    return booking.get(db, booking_no)


@router.delete("/{booking_no}", response_model=schemas.AppointmentOut,
               responses=responses(NotFoundError, ConflictError, InvalidError), summary="取消预约",
               description="释放名额。对已取消的预约再次取消不会出错，返回当前状态。")
def cancel(booking_no: str, db: Db, now: Now) -> schemas.AppointmentOut:
    return booking.cancel(db, booking_no, now)


@router.post("/{booking_no}/reschedule", response_model=schemas.AppointmentOut,
             responses=responses(NotFoundError, ConflictError, InvalidError), summary="改期",
             description="改到同一业务的另一个时段，预约号不变；新时段占位与旧时段释放在同一事务中完成。")
def reschedule(booking_no: str, body: schemas.RescheduleRequest, db: Db, now: Now, key: IdempotencyKeyHeader,
               response: Response) -> schemas.AppointmentOut:
    result, replayed = booking.reschedule(db, booking_no, key, body.slot_id, now)
    _mark(response, replayed)
    return result


def _mark(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers[REPLAYED] = "true"
