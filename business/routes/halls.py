"""Service halls (服务网点) and their appointment slots."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from business import schemas, views
from business.catalog import KINDS
from business.deps import Db, Now
from business.errors import InvalidError, NotFoundError, responses
from business.models import Hall, HallService, Slot
from business.seed import SLOT_DAYS

router = APIRouter(prefix="/halls", tags=["服务网点与预约时段"])
Service = Annotated[str | None, Query(description="业务类型代码，如 `social_security_card`",
                                      examples=["social_security_card"])]


@router.get("", response_model=schemas.HallList, responses=responses(InvalidError),
            summary="服务网点列表", description="可按区县和业务筛选。")
def halls(db: Db, district: Annotated[str | None, Query(examples=["朝阳区"])] = None,
          service: Service = None) -> schemas.HallList:
    _check_service(service)
    query = select(Hall).order_by(Hall.id)
    if district:
        # Citizens say 朝阳 as often as 朝阳区.
        query = query.where(Hall.district.startswith(district.strip().removesuffix("区")))
    if service:
        query = query.where(Hall.id.in_(select(HallService.hall_id).where(HallService.service == service)))
    with db.reader.begin() as session:
        return schemas.HallList(halls=[views.hall(h) for h in session.scalars(query)])


@router.get("/{hall_id}/slots", response_model=schemas.SlotList,
            responses=responses(NotFoundError, InvalidError),
            summary="可预约时段",
            description=f"今天起 {SLOT_DAYS} 天内尚未开始、还有空位的半小时时段；可按业务和日期筛选。")
def slots(hall_id: str, db: Db, now: Now, service: Service = None,
          date: Annotated[dt.date | None, Query(description="YYYY-MM-DD", examples=["2026-11-05"])] = None,
          ) -> schemas.SlotList:
    _check_service(service)
    if date is not None and date < now.date():
        raise InvalidError("不能预约已经过去的日期，请选择今天或以后的日期。")
    query = (select(Slot).where(Slot.hall_id == hall_id, Slot.booked < Slot.capacity,
                                Slot.day >= now.date())
             .order_by(Slot.day, Slot.start, Slot.service))
    if service:
        query = query.where(Slot.service == service)
    if date:
        query = query.where(Slot.day == date)
    with db.reader.begin() as session:
        if session.get(Hall, hall_id) is None:
            raise NotFoundError("没有这个服务网点，请重新查询网点列表。")
        started = now.time()
        rows = [s for s in session.scalars(query) if s.day > now.date() or s.start > started]
        return schemas.SlotList(slots=[views.slot(s) for s in rows])


def _check_service(service: str | None) -> None:
    if service is not None and service not in KINDS:
        names = "、".join(f"{k.code}（{k.name}）" for k in KINDS.values())
        raise InvalidError(f"不认识的业务类型 {service}，可选：{names}。")

