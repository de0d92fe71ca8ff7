"""Tickets: 投诉、举报、回电、疑难问题."""

from __future__ import annotations

from fastapi import APIRouter, Response

from business import schemas, tickets
from business.catalog import TICKET_DUE_WORKING_DAYS, TICKET_KINDS
from business.deps import Config, Db, IdempotencyKeyHeader, Now
from business.errors import InvalidError, NotFoundError, responses
from business.routes.appointments import REPLAYED

router = APIRouter(prefix="/tickets", tags=["工单"])
_LIMITS = "；".join(f"{TICKET_KINDS[k]}（{k}）{d} 个工作日" for k, d in TICKET_DUE_WORKING_DAYS.items())


@router.post("", status_code=201, response_model=schemas.TicketOut, responses=responses(InvalidError),
             summary="登记工单",
             description=f"返回工单号和答复期限。默认答复时限：{_LIMITS}（可配置，自登记次日起按工作日计算）。"
                         "同一个 `Idempotency-Key` 重复提交只登记一次。")
def file(body: schemas.TicketRequest, db: Db, now: Now, config: Config, key: IdempotencyKeyHeader,
         response: Response) -> schemas.TicketOut:
    result, replayed = tickets.file(db, key, body, now, config.due_working_days(body.type), config.holidays)
    if replayed:
        response.headers[REPLAYED] = "true"
    return result


@router.get("/{ticket_no}", response_model=schemas.TicketOut,
            responses=responses(NotFoundError, InvalidError),
            summary="查询工单")
def get(ticket_no: str, db: Db) -> schemas.TicketOut:
    return tickets.get(db, ticket_no)
