"""Operations: health and metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from channels import health, metrics

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"


@router.get("/", include_in_schema=False)
async def demo() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


@router.get("/healthz", tags=["运维"], summary="各组件健康状态")
async def healthz(request: Request) -> JSONResponse:
    services = request.app.state.services
    checks = {
        "redis": health.redis_check(services.redis),
        "rasa": health.http_check(services.http, services.settings.rasa_url + "/webhooks/hotline/"),
        "actions": health.http_check(services.http, services.settings.actions_url + "/health"),
        # Not critical (health.CRITICAL): policy answers still work without the business system.
        "business": health.http_check(services.http, services.settings.business_url + "/health"),
    }
    healthy, body = await health.report(checks)
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics", tags=["运维"], summary="Prometheus 指标")
async def prometheus() -> Response:
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    # Short cache: a fixed widget reaches every portal page within minutes.
    return FileResponse(STATIC / "widget.js", media_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=300"})
