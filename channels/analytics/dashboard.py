"""The supervisors' dashboard: ``/dashboard/`` (server-rendered HTML with inline SVG
charts, no script from anywhere) and its JSON API under ``/api/v1/dashboard/…``.

Every route needs a signed-in supervisor (channels/staff.py); pages send anonymous
visitors to the login page. Queries run on a worker thread (SQLAlchemy is synchronous).
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any, Callable, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from channels.analytics import pages, quality, queries, review
from channels.analytics.events import BEIJING
from channels.analytics.queries import Filters
from channels.errors import BadRequestError, GatewayError
from channels.staff import StaffUser, page_user, require_role
from hotline import paths

router = APIRouter(tags=["监测分析"])
api = APIRouter(prefix="/api/v1/dashboard")
supervisor_only = Depends(require_role("supervisor"))
T = TypeVar("T")
MAX_DAYS = 400


class AnalyticsUnavailableError(GatewayError):
    status_code = 503
    message = "统计数据库暂时不可用。"


def filters(date_from: str | None, date_to: str | None, region: str | None,
            channel: str | None) -> Filters:
    """Default: the last seven days up to today, Beijing time."""
    today = dt.datetime.now(BEIJING).date()
    try:
        end = dt.date.fromisoformat(date_to) if date_to else today
        start = dt.date.fromisoformat(date_from) if date_from else end - dt.timedelta(days=6)
    except ValueError as exc:
        raise BadRequestError("日期格式应为 YYYY-MM-DD。") from exc
    if start > end or (end - start).days >= MAX_DAYS:
        raise BadRequestError(f"起止日期不正确（最长{MAX_DAYS}天）。")
    return Filters(start, end, region or None, channel or None)


def period(date_from: str | None = Query(None, alias="from"), date_to: str | None = Query(None, alias="to"),
           region: str | None = None, channel: str | None = None) -> Filters:
    return filters(date_from, date_to, region, channel)


chosen = Depends(period)


async def run(request: Request, fn: Callable[..., T], *args: Any) -> T:
    engine = request.app.state.analytics.engine
    if engine is None:
        raise AnalyticsUnavailableError()

    def work() -> T:
        with engine.begin() as conn:
            return fn(conn, *args)

    return await asyncio.to_thread(work)


def _everything(conn: Connection, f: Filters) -> dict[str, Any]:
    return {**queries.summary(conn, f), "daily": queries.daily(conn, f), "rising": queries.rising(conn, f)}


# -- pages --------------------------------------------------------------------------------


def _login(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/agent/login?next={request.url.path}", status_code=303)


@router.get("/dashboard", include_in_schema=False)
async def dashboard_root() -> RedirectResponse:
    return RedirectResponse("/dashboard/", status_code=307)


@router.get("/dashboard/", include_in_schema=False)
async def dashboard_page(request: Request, f: Filters = chosen) -> Response:
    user = await page_user(request, "supervisor")
    if user is None:
        return _login(request)
    data = await run(request, _everything, f)
    return pages.html(pages.dashboard(data, f, user.display_name))


@router.get("/dashboard/review", include_in_schema=False)
async def review_page(request: Request, f: Filters = chosen) -> Response:
    user = await page_user(request, "supervisor")
    if user is None:
        return _login(request)
    rows = await run(request, review.groups, f)
    return pages.html(pages.review(rows, f, user.display_name))


@router.get("/dashboard/quality", include_in_schema=False)
async def quality_page(request: Request, f: Filters = chosen) -> Response:
    user = await page_user(request, "supervisor")
    if user is None:
        return _login(request)

    def both(conn: Connection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        return quality.samples(conn), quality.results(conn, f)

    samples, results = await run(request, both)
    return pages.html(pages.quality(samples, results, f, user.display_name))


# -- JSON API -------------------------------------------------------------------------------


@api.get("/summary", summary="监测指标（话务量、热点、解决率、满意度、接通率、投诉率、坐席工作量）")
async def summary(request: Request, f: Filters = chosen, _: StaffUser = supervisor_only) -> dict[str, Any]:
    return await run(request, _everything, f)


@api.get("/export", summary="导出每日指标或热点问题（CSV 或 JSON）")
async def export(request: Request, f: Filters = chosen, _: StaffUser = supervisor_only,
                 kind: str = Query("daily", pattern="^(daily|hot)$"),
                 format: str = Query("csv", pattern="^(csv|json)$")) -> Response:
    rows = await run(request, queries.daily if kind == "daily" else queries.hot_by_topic_region, f)
    name = f"12333-{kind}-{f.date_from}-{f.date_to}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json", headers=headers)
    return Response(_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return "\ufeff" + out.getvalue()


@api.get("/review", summary="未答复与低置信度问题清单（JSON 或 CSV）")
async def review_list(request: Request, f: Filters = chosen, _: StaffUser = supervisor_only,
                      format: str = Query("json", pattern="^(csv|json)$")) -> Response:
    rows = await run(request, review.groups, f)
    if format == "csv":
        return Response(review.to_csv(rows), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="12333-review.csv"'})
    return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")


class DraftIn(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    topic: str | None = None


def drafts_dir() -> Path:
    return paths.STATE / "kb-drafts"


@api.post("/review/draft", summary="把一条未答复问题生成知识库草稿条目")
async def make_draft(body: DraftIn, request: Request, _: StaffUser = supervisor_only) -> dict[str, str]:
    path = await asyncio.to_thread(review.draft, body.text, body.topic, drafts_dir())
    return {"id": path.stem, "path": str(path),
            "message": "已生成草稿，请补充问法、答复口径和政策依据后移入知识库。"}


class SampleIn(BaseModel):
    random: int = Field(5, ge=0, le=100)


@api.post("/quality/samples", summary="按规则和随机抽取质检样本")
async def draw_samples(body: SampleIn, request: Request, f: Filters = chosen,
                       _: StaffUser = supervisor_only) -> dict[str, int]:
    return {"added": await run(request, quality.draw, f, body.random)}


class ScoreIn(BaseModel):
    accuracy: int = Field(ge=1, le=5, description="答复准确")
    attitude: int = Field(ge=1, le=5, description="服务态度")
    compliance: int = Field(ge=1, le=5, description="服务规范")
    resolved: bool
    note: str = Field("", max_length=400)


@api.post("/quality/samples/{sample_id}/score", summary="提交质检评分表")
async def score_sample(body: ScoreIn, request: Request,
                       sample_id: int = PathParam(ge=1, le=2**63 - 1, description="抽样编号"),
                       user: StaffUser = supervisor_only) -> dict[str, int]:
    from channels.analytics.events import clean_text

    day = dt.datetime.now(BEIJING).date().isoformat()
    total = await run(request, quality.score, sample_id, user.username, body.accuracy, body.attitude,
                      body.compliance, body.resolved, clean_text(body.note), day)
    return {"total": total}


@api.get("/quality", summary="质检样本与评分结果")
async def quality_results(request: Request, f: Filters = chosen,
                          _: StaffUser = supervisor_only) -> dict[str, Any]:
    def both(conn: Connection) -> dict[str, Any]:
        return {"samples": quality.samples(conn), "results": quality.results(conn, f)}

    return await run(request, both)


router.include_router(api)
