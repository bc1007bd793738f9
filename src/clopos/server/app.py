"""``create_app(settings)``: the Open API server as one FastAPI app.

Catalog routers are mounted twice, under ``/open-api`` (v1 header rules, list-shaped
errors) and ``/open-api/v2`` (JWT in ``x-token``, string error codes); the prefix decides
authentication and error rendering, the handlers are shared.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clopos import __version__
from clopos.server import dashboard as till_dashboard
from clopos.server.api import auth, sandbox, shared_routers, v1_only_routers, v2_only_routers
from clopos.server.errors import (
    ApiError,
    PayloadTooLarge,
    ResourceNotFound,
    ValidationFailed,
    field_path,
    render,
)
from clopos.server.events.delivery import start_background_worker
from clopos.server.middleware import ApiMiddleware, BodyTooLarge, api_version_of
from clopos.server.responses import ClopoJSONResponse
from clopos.server.state import AppState
from clopos.settings import Settings
from clopos.unified.api import mount as mount_unified_api
from clopos.unified.state import install as install_unified

log = logging.getLogger("clopos.server")


def _unique_id(route: APIRoute) -> str:
    """``v2_list_orders``, ``v1_list_orders``, ``sandbox_accept_order``: unique per mount."""
    if route.path_format.startswith("/sandbox"):
        prefix = "sandbox"
    else:
        prefix = "v2" if "/open-api/v2/" in route.path_format else "v1"
    return f"{prefix}_{route.name}"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database must already be migrated (``clopos db upgrade``)."""
    settings = settings or Settings()
    state = AppState.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.load_jwt_key()
        # Webhook deliveries, unless CLOPOS_WEBHOOK_WORKER=false (then: `clopos worker`).
        webhooks = start_background_worker(state.sessions, state.settings)
        try:
            yield
        finally:
            if webhooks is not None:
                await webhooks.stop()
            await state.close()

    app = FastAPI(
        title="Clopos Open API (clopos.server)",
        version=__version__,
        description=(
            "A faithful, persistent implementation of the Clopos POS Open API. "
            "v1 routes live under `/open-api/` (headers `x-token`, `x-brand`, `x-venue`); "
            "v2 routes under `/open-api/v2/` (header `x-token` with the JWT from `/v2/auth`, "
            "optional `x-venue`). Array and filter parameters use PHP bracket notation: "
            "`with[0]=group`, `filters[0][0]=type&filters[0][1][0]=GOODS`, "
            "`sort[0]=created_at&sort[1]=-1`, `date[0]=2026-01-01&date[1]=2026-01-31`."
        ),
        lifespan=lifespan,
        default_response_class=ClopoJSONResponse,
        generate_unique_id_function=_unique_id,
    )
    app.state.clopos = state
    app.add_middleware(ApiMiddleware, limiter=state.limiter, max_body_bytes=settings.max_body_bytes)
    _install_error_handlers(app)
    # /pos/admin, the secret key and the upstream pool; before any other /pos routes.
    install_unified(app, settings, state.sessions)

    app.include_router(auth.router, prefix="/open-api")
    for router in shared_routers():
        app.include_router(router, prefix="/open-api/v2", tags=["v2"])
        app.include_router(router, prefix="/open-api", tags=["v1"])
    for router in v2_only_routers():
        app.include_router(router, prefix="/open-api/v2", tags=["v2"])
    for router in v1_only_routers():
        app.include_router(router, prefix="/open-api", tags=["v1"])
    app.include_router(sandbox.router, prefix="/sandbox", tags=["sandbox (till)"])
    app.include_router(till_dashboard.router, prefix="/till")
    # The unified POS API (/pos/*), with Apideck error envelopes on /pos only.
    mount_unified_api(app)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    _document_security(app)
    return app


def _document_security(app: FastAPI) -> None:
    """Declare the ``x-token`` header (spec §2) so ``/docs`` can send it and generators know it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
            schemes.update(
                {
                    "tillToken": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "The till's CLOPOS_ADMIN_TOKEN (routes under /sandbox).",
                    },
                    "xToken": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "x-token",
                        "description": (
                            "v2: the JWT from POST /open-api/v2/auth. v1: the token from "
                            "POST /open-api/auth, with the x-brand and x-venue headers."
                        ),
                    },
                }
            )
            schema["security"] = [{"xToken": []}]
            for path, item in schema.get("paths", {}).items():
                if path.startswith("/sandbox"):
                    for operation in item.values():
                        operation["security"] = [{"tillToken": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _version(request: Request) -> str:
    return api_version_of(request.url.path) or "v2"


def _json(error: ApiError, request: Request) -> ClopoJSONResponse:
    return ClopoJSONResponse(
        render(error, api_version=_version(request)),
        status_code=error.status_code,
        headers=error.headers or None,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> ClopoJSONResponse:
        return _json(exc, request)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(request: Request, exc: RequestValidationError) -> ClopoJSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "Invalid request"}
        location = tuple(first.get("loc", ("body",)))
        field = field_path(location)
        if first.get("type") == "json_invalid":
            # loc is ("body", <character offset>); ctx.error is the decoder's reason.
            ctx = first.get("ctx")
            reason = (
                ctx.get("error", "invalid syntax") if isinstance(ctx, dict) else "invalid syntax"
            )
            position = location[1] if len(location) > 1 else 0
            message = f"The request body is not valid JSON: {reason} at character {position}"
            field = "body"
        elif first.get("type") == "missing":
            message = f"The {field} field is required"
        else:
            message = f"The {field} field is invalid: {first.get('msg', 'invalid value')}"
        fields = [
            {"field": field_path(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))}
            for e in errors
        ]
        return _json(ValidationFailed(message, details={"field": field, "errors": fields}), request)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> ClopoJSONResponse:
        if isinstance(exc.__cause__, BodyTooLarge):
            limit = request.app.state.clopos.settings.max_body_bytes
            return _json(PayloadTooLarge(f"The request body is larger than {limit} bytes"), request)
        if exc.status_code == 404:
            error: ApiError = ResourceNotFound(
                f"No route {request.method} {request.url.path}", code="route_not_found"
            )
        elif exc.status_code == 405:
            error = ApiError(
                f"Method {request.method} is not allowed on {request.url.path}",
                code="method_not_allowed",
                status_code=405,
                headers=dict(exc.headers or {}),
            )
        elif exc.status_code == 400:
            error = ValidationFailed(str(exc.detail))
        else:
            error = ApiError(str(exc.detail), code="http_error", status_code=exc.status_code)
        return _json(error, request)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> ClopoJSONResponse:
        if not _refused_value(exc):
            return _internal_error(request)
        # The database refused a value the request carried (an integer beyond the column's
        # range, a NUL character in text): the caller's input, not a server fault.
        # Only the driver's error class: str(exc) would log the bound parameters (customer
        # names, phones…), and request data is never logged.
        log.warning(
            "database refused a value on %s %s: %s",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
        )
        return _json(_value_refused(), request)

    @app.exception_handler(OverflowError)
    async def overflow(request: Request, exc: OverflowError) -> ClopoJSONResponse:
        # sqlite3 raises a bare OverflowError for integers beyond 64 bits.
        log.warning("value overflow on %s %s", request.method, request.url.path)
        return _json(_value_refused(), request)

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> ClopoJSONResponse:
        return _internal_error(request)


def _value_refused() -> ValidationFailed:
    return ValidationFailed("A value in the request is out of range for its field")


def _refused_value(exc: DBAPIError) -> bool:
    """Whether the database refused a *value* (SQLSTATE class 22, "data exception")."""
    if isinstance(exc, DataError):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(sqlstate, str) and sqlstate.startswith("22")


def _internal_error(request: Request) -> ClopoJSONResponse:
    """A JSON 500 that names no internals; the traceback goes to the log only."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _json(
        ApiError(
            "Internal server error; the failure was logged",
            code="internal_error",
            status_code=500,
        ),
        request,
    )
