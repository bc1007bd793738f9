"""``create_unified_app``: the unified layer alone, in front of any Clopos upstream.

``clopos unified serve --upstream URL`` runs it: ``/pos/*`` (the routes of
``clopos.unified.api``), ``/pos/admin/*`` and ``/health``, with no Clopos routes of its own.
Connections whose base URL is ``"self"`` go to ``URL``. Its database
(``CLOPOS_DATABASE_URL``) holds only what the unified layer keeps — apps, connections,
tombstones, idempotency keys — and may be the upstream's own database or a separate one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clopos import __version__
from clopos.server.middleware import ApiMiddleware
from clopos.server.responses import ClopoJSONResponse
from clopos.server.state import AppState
from clopos.settings import Settings
from clopos.unified.errors import UnifiedError
from clopos.unified.state import install
from clopos.unified.wire import error_body

log = logging.getLogger("clopos.unified")


def include_pos_routes(app: FastAPI) -> bool:
    """Mount the ``/pos`` routes of ``clopos.unified.api`` (its ``mount``, else its
    ``router``); ``False`` if there are none."""
    try:
        from clopos.unified import api
    except ImportError:
        return False
    mount = getattr(api, "mount", None)
    if callable(mount):
        mount(app)
        return True
    router = getattr(api, "router", None)
    if router is None:
        return False
    paths = [getattr(route, "path", "") for route in router.routes]
    already_prefixed = bool(paths) and all(path.startswith("/pos") for path in paths)
    app.include_router(router, prefix="" if already_prefixed else "/pos")
    return True


def create_unified_app(settings: Settings | None = None, *, upstream_url: str) -> FastAPI:
    """The standalone unified server. The database must already be migrated."""
    settings = settings or Settings()
    # AppState gives the engine, sessions and limiter the shared middleware expects.
    state = AppState.build(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await state.close()

    app = FastAPI(
        title="Clopos unified POS API (clopos.unified)",
        version=__version__,
        description=(
            "Apideck's unified POS API (`/pos/*`) over the Clopos Open API at "
            f"{upstream_url}. Send `Authorization: Bearer <api key>`, `x-apideck-app-id` and "
            "`x-apideck-consumer-id` on every call."
        ),
        lifespan=lifespan,
        default_response_class=ClopoJSONResponse,
    )
    app.state.clopos = state
    app.add_middleware(ApiMiddleware, limiter=state.limiter, max_body_bytes=settings.max_body_bytes)
    _install_error_handlers(app)
    install(app, settings, state.sessions, upstream_url=upstream_url)
    include_pos_routes(app)

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__, "upstream": upstream_url}

    return app


def _error(error: UnifiedError) -> ClopoJSONResponse:
    return ClopoJSONResponse(error_body(error), status_code=error.status_code)


def _install_error_handlers(app: FastAPI) -> None:
    """Apideck's error envelope for everything this app answers (spec §4)."""

    @app.exception_handler(UnifiedError)
    async def unified_error(_request: Request, exc: UnifiedError) -> ClopoJSONResponse:
        return _error(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> ClopoJSONResponse:
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where or 'request'}: {first.get('msg', 'invalid value')}"
        return _error(UnifiedError(400, "RequestValidationError", message, {"invalid": where}))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> ClopoJSONResponse:
        if exc.status_code == 404:
            error = UnifiedError(
                404,
                "NotFoundError",
                f"No route {request.method} {request.url.path}",
                {"path": request.url.path},
            )
        elif exc.status_code == 405:
            error = UnifiedError(
                405,
                "MethodNotAllowedError",
                f"Method {request.method} is not allowed on {request.url.path}",
            )
        else:
            error = UnifiedError(exc.status_code, "RequestValidationError", str(exc.detail))
        return _error(error)

    @app.exception_handler(Exception)
    async def unhandled(request: Request, exc: Exception) -> ClopoJSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(
            UnifiedError(500, "InternalServerError", "Internal server error; it was logged")
        )
