"""One error tree for the gateway, mapped to HTTP in one place (:func:`install`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class GatewayError(Exception):
    status_code = 500
    message = "系统出现异常，请稍后再试；如需帮助请拨打12333。"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class BadRequestError(GatewayError):
    status_code = 400
    message = "请求格式不正确，请检查后重试。"


class UnauthorizedError(GatewayError):
    status_code = 401
    message = "请求未通过身份校验。"


class ForbiddenError(GatewayError):
    status_code = 403
    message = "此网页未获授权接入12333在线客服，请从人社部门官方网站或App咨询，或拨打12333。"


class PayloadTooLargeError(GatewayError):
    status_code = 413
    message = "消息太长了（最多500字），请分几次发送，或简要描述您的问题。"


class TooManyRequestsError(GatewayError):
    status_code = 429
    message = "您发送得太快了，请稍等片刻再试。"


class DialogueUnavailableError(GatewayError):
    status_code = 503
    message = "智能客服暂时繁忙。"


class StoreUnavailableError(GatewayError):
    status_code = 503
    message = "系统正在恢复，您的消息未能送达，请稍后重新发送。如问题紧急，可拨打12333。"


def install(app: FastAPI) -> None:
    """Map the tree to JSON answers; never leak a stack trace or a request body."""

    async def on_gateway_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, GatewayError)
        return JSONResponse({"error": exc.message}, status_code=exc.status_code)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = sorted({".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()})
        detail = "、".join(f for f in fields if f) or "请求体"
        return JSONResponse(
            {"error": f"请求格式不正确（{detail}），请检查后重试。"}, status_code=422
        )

    async def on_store_down(_: Request, exc: Exception) -> JSONResponse:
        # Redis unreachable (restarting, failing over): nothing was accepted, so the
        # citizen is told to send again rather than shown a bare 500.
        return JSONResponse({"error": StoreUnavailableError.message}, status_code=503)

    app.add_exception_handler(GatewayError, on_gateway_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(RedisConnectionError, on_store_down)
    app.add_exception_handler(RedisTimeoutError, on_store_down)
