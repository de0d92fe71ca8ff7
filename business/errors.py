"""One error tree, mapped to HTTP in one place (``install``). Every ``detail`` is Chinese,
written so that the action server may pass it on to the citizen unchanged.

    BusinessError
     ├── UnauthorizedError   401  missing or wrong bearer token
     ├── NotFoundError       404  no such application, person, hall, booking or ticket
     ├── ConflictError       409  slot full, booking no longer changeable, key reused
     └── InvalidError        422  malformed number, past date, inconsistent request
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException


class BusinessError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnauthorizedError(BusinessError):
    status = 401
    code = "unauthorized"


class NotFoundError(BusinessError):
    status = 404
    code = "not_found"


class ConflictError(BusinessError):
    status = 409
    code = "conflict"


class InvalidError(BusinessError):
    status = 422
    code = "invalid"


class ErrorBody(BaseModel):
    """Every error answer has this shape."""

    code: str = Field(description="机器可读的错误类别", examples=["not_found"])
    detail: str = Field(description="中文说明，可直接转述给市民",
                        examples=["未查到受理编号为 SY20261103000123 的业务，请核对编号后再试。"])


def responses(*errors: type[BusinessError]) -> dict[int | str, dict[str, object]]:
    """The ``responses=`` entry of a route that may answer with these errors."""
    described = {401: "缺少或错误的访问令牌", 404: "查无此记录", 409: "与当前状态冲突",
                 422: "请求内容不正确"}
    return {e.status: {"model": ErrorBody, "description": described[e.status]} for e in errors}


_STARLETTE = {404: "请求的接口不存在。", 405: "该接口不支持这种请求方法。"}


def install(app: FastAPI) -> None:
    @app.exception_handler(BusinessError)
    async def on_business_error(_request: Request, exc: BusinessError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse({"code": exc.code, "detail": exc.detail}, exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]) for e in exc.errors()})
        return JSONResponse({"code": "invalid", "detail": f"请求内容不正确，请检查：{'、'.join(fields)}。"},
                            422)

    @app.exception_handler(HTTPException)
    async def on_http(_request: Request, exc: HTTPException) -> JSONResponse:
        detail = _STARLETTE.get(exc.status_code, "请求无法处理。")
        return JSONResponse({"code": "http_error", "detail": detail}, exc.status_code,
                            headers=exc.headers)
