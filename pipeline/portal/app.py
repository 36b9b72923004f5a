"""Build the portal application: its state, routes, security headers and error pages."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pipeline.portal.checker import Checker
from pipeline.portal.config import PortalConfig
from pipeline.portal.state import Portal, templates
from pipeline.portal.views import router
from pipeline.registry import Registry
from pipeline.settings import Settings
from pipeline.warehouse import WarehouseBusy

HERE = Path(__file__).parent  # static/
logger = logging.getLogger(__name__)
# Nothing from elsewhere: no inline script, no frames, forms post only back here.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)
TITLE_ZH = {
    400: "请求有误",
    403: "无权访问",
    404: "找不到页面",
    405: "请求有误",
    413: "上传过大",
    429: "请稍后再试",
    503: "请稍后再试",
}


def create_app(settings: Settings, registry: Registry, config: PortalConfig, warm: bool = True) -> FastAPI:
    """Return the portal; with `warm`, checks a blank template of each kind before taking the first request."""
    checker = Checker(settings, registry)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if warm:  # uvicorn binds its port only after this: a portal that answers is a warm one
            checker.warm(registry.offices.offices[0].name if registry.offices.offices else "预热")
        yield

    app = FastAPI(
        title="预算绩效数据报送",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        root_path=config.root_path,
    )
    app.state.portal = Portal(settings, config, registry, checker, templates())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"  # receipts and history stay off shared disks
        return response

    @app.exception_handler(StarletteHTTPException)
    async def error_page(request: Request, exc: HTTPException):
        portal: Portal = request.app.state.portal
        response = portal.page(
            request,
            "error.html",
            status=exc.status_code,
            title=TITLE_ZH.get(exc.status_code, "出错了"),
            message=exc.detail
            if isinstance(exc.detail, str) and exc.status_code != 404
            else "找不到这个页面。",
            account=getattr(request.state, "account", None),
        )
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        # `/receipts/abc`: an address no page has, told as `/receipts/999999` is, not as FastAPI's English JSON.
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        return await error_page(request, StarletteHTTPException(404 if in_path else 400))

    @app.exception_handler(WarehouseBusy)
    async def warehouse_busy(request: Request, exc: WarehouseBusy):
        # Someone holds the published warehouse read-write: the operator's to fix, the clerk's to retry.
        logger.warning("portal: %s", exc)
        told = (
            "数据仓库正在维护，暂时无法检查文件，本次上传的文件未提交。请稍后重新上传"
            if request.url.path == "/upload"
            else "数据仓库正在维护，请稍后再试"
        )
        return await error_page(request, StarletteHTTPException(503, f"{told}；如一直如此，请联系区财政局。"))

    return app
