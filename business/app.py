"""The business system's application: factory, lifespan, routes."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator, Callable

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from business import db as database
from business import errors, schemas, seed, workdays
from business.auth import require_token
from business.routes import applications, appointments, halls, persons, tickets
from business.settings import Settings, get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """\
参考实现的省级人社业务系统接口。12333 智能客服的动作服务器和网关通过它查询业务办理进度、
预约服务网点、登记投诉举报等工单、查询个人权益记录。各省可以用自己的业务系统实现同样的接口
（见 `docs/business-api.md`）后直接接入。

* 除 `/health` 和 `/openapi.json` 外，每个请求都要带 `Authorization: Bearer <BUSINESS_API_TOKEN>`。
* 错误一律返回 `{"code": "...", "detail": "中文说明"}`；`detail` 可以直接转述给市民。
* 会产生记录的写操作（预约、改期、工单）必须带 `Idempotency-Key` 请求头，重试时用同一个键。
* 时间均为北京时间。本实现的演示数据全部是虚构的。
"""

TAGS = [
    {"name": "人员", "description": "身份核验和个人权益记录。`person_ref` 是不透明标识，不是身份证号。"},
    {"name": "业务进度", "description": "按受理编号查询办理进度和下一步。"},
    {"name": "服务网点与预约时段", "description": "网点、所办业务和半小时一档的预约时段。"},
    {"name": "预约", "description": "预约、取消、改期。"},
    {"name": "工单", "description": "投诉、举报、回电、疑难问题，按类型计算答复期限。"},
    {"name": "运维", "description": "健康检查。"},
]


def prepare(db: database.Database, settings: Settings, today: dt.date) -> None:
    """Tables, demo data for an empty database, slots for the next 14 days."""
    db.create_tables()
    with db.writer.begin() as session:
        if settings.seed_demo and seed.is_empty(session):
            seed.seed(session, today, settings.holidays)
            log.info("business.seeded")
        if settings.seed_demo:
            seed.top_up_slots(session, today, settings.holidays)


def create_app(settings: Settings | None = None,
               clock: Callable[[], dt.datetime] = workdays.now) -> FastAPI:
    """The app; ``clock`` (aware Beijing time) is replaced in tests."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database.connect(settings.database_url.get_secret_value())
        await asyncio.to_thread(prepare, db, settings, clock().date())
        app.state.db = db
        try:
            yield
        finally:
            db.close()

    app = FastAPI(title="12333 参考业务系统", version="1.0.0", description=DESCRIPTION,
                  openapi_tags=TAGS, lifespan=lifespan,
                  # Swagger UI would load its scripts from a CDN; nothing here phones out.
                  docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.clock = clock
    errors.install(app)

    api = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)],
                    responses=errors.responses(errors.UnauthorizedError))
    for module in (persons, applications, halls, appointments, tickets):
        api.include_router(module.router)
    app.include_router(api)

    @app.get("/health", response_model=schemas.Health, tags=["运维"], summary="健康检查",
             responses={503: {"model": schemas.Health, "description": "数据库不可用"}})
    def health(request: Request) -> JSONResponse:
        try:
            with request.app.state.db.reader.begin() as session:
                session.execute(text("SELECT 1"))
        except Exception:  # any database failure means "not ready"; the type goes to the log
            log.exception("business.health")
            return JSONResponse({"status": "unavailable", "database": "down"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    return app
