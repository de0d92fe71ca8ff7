"""Applications (业务办理进度) by 受理编号."""

from __future__ import annotations

from fastapi import APIRouter, Path
from sqlalchemy import select

from business import numbers, schemas, views
from business.deps import Db
from business.errors import InvalidError, NotFoundError, responses
from business.models import Application

router = APIRouter(prefix="/applications", tags=["业务进度"])


@router.get("/{acceptance_no}", response_model=schemas.ApplicationOut,
            responses=responses(NotFoundError, InvalidError), summary="按受理编号查询办理进度",
            description="受理编号为两位业务类型字母 + 8 位受理日期 + 6 位流水号，例如 "
                        "`SY20261103000123`；大小写、空格和连字符不影响查询。")
def application(db: Db, acceptance_no: str = Path(examples=["SY20261103000123"])) -> schemas.ApplicationOut:
    no = numbers.normalize_acceptance_no(acceptance_no)
    if no is None:
        raise InvalidError("受理编号格式不正确：应为两位字母加 14 位数字，例如 SY20261103000123，"
                           "请核对受理回执上的编号。")
    with db.reader.begin() as session:
        row = session.scalar(select(Application).where(Application.acceptance_no == no))
        if row is None:
            raise NotFoundError(f"没有查到受理编号为 {no} 的业务，请核对编号；"
                                "刚提交的申请可能要到下一个工作日才能查到。")
        return views.application(row)
