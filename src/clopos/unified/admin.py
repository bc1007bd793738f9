"""``/pos/admin``: manage applications and consumer connections over HTTP.

Not part of Apideck's POS API (Apideck manages these in its dashboard and Vault API); the
same actions as ``clopos unified app|consumer …``. Authentication: ``Authorization: Bearer
<CLOPOS_ADMIN_TOKEN>`` — 403 while the setting is unset, 401 for a missing or wrong token.
Answers use the unified envelopes (spec §3, §4); secrets never appear in them.

| route | what |
|---|---|
| ``POST /pos/admin/apps`` ``{app_id, name?}`` | 201, ``data.api_key`` shown once |
| ``GET /pos/admin/apps`` | the applications |
| ``POST /pos/admin/consumers`` ``{app_id, consumer_id, client_id, client_secret, brand,
  integrator_id?, venue_id?, api_version?, base_url?, replace?}`` | 201 |
| ``GET /pos/admin/consumers?app_id=`` | the connections (``secret_readable`` each) |
| ``DELETE /pos/admin/consumers/{consumer_id}?app_id=`` | 200, ``data.id`` |
| ``POST /pos/admin/consumers/{consumer_id}/check?app_id=`` | authenticate upstream now |
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from clopos.client import CloposError
from clopos.server.responses import ClopoJSONResponse
from clopos.unified.connections import (
    SERVICE_ID,
    add_app,
    add_consumer,
    check_app_id,
    check_consumer,
    get_connection,
    list_apps,
    list_consumers,
    remove_consumer,
)
from clopos.unified.errors import UnifiedError
from clopos.unified.state import UnifiedState, unified_state
from clopos.unified.wire import error_body, success_body

log = logging.getLogger("clopos.unified")

DISABLED = "The admin API is disabled: set CLOPOS_ADMIN_TOKEN"
MAX_ADMIN_BODY_BYTES = 64 * 1024
_CONSUMER_FIELDS = frozenset(
    {
        "app_id",
        "consumer_id",
        "client_id",
        "client_secret",
        "brand",
        "integrator_id",
        "venue_id",
        "api_version",
        "base_url",
        "service_id",
        "replace",
    }
)
_APP_FIELDS = frozenset({"app_id", "name"})


class UnifiedRoute(APIRoute):
    """A route whose ``UnifiedError`` becomes Apideck's error envelope (spec §4)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except UnifiedError as error:
                headers = {"WWW-Authenticate": "Bearer"} if error.status_code == 401 else None
                return ClopoJSONResponse(
                    error_body(error), status_code=error.status_code, headers=headers
                )
            except Exception:
                log.exception("unhandled error on %s %s", request.method, request.url.path)
                crash = UnifiedError(
                    500, "InternalServerError", "Internal server error; the failure was logged"
                )
                return ClopoJSONResponse(error_body(crash), status_code=500)

        return handle


admin_router = APIRouter(route_class=UnifiedRoute, tags=["unified admin"])


def _require_admin(request: Request) -> UnifiedState:
    """Check ``Authorization: Bearer <CLOPOS_ADMIN_TOKEN>`` in constant time."""
    state = unified_state(request)
    configured = state.settings.admin_token
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        raise UnifiedError(403, "ForbiddenError", DISABLED, DISABLED)
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    # compare_digest on bytes: its str form refuses non-ASCII, which a header may carry.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        message = "Send the admin token as Authorization: Bearer <CLOPOS_ADMIN_TOKEN>"
        raise UnifiedError(401, "UnauthorizedError", message, message)
    return state


async def _json_object(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_ADMIN_BODY_BYTES:
        raise UnifiedError(413, "RequestValidationError", "The request body is too large")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise UnifiedError(
            400, "RequestValidationError", "The request body is not valid JSON", "body"
        ) from None
    if not isinstance(body, dict):
        raise UnifiedError(
            400, "RequestValidationError", "The request body must be a JSON object", "body"
        )
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise UnifiedError(
            400,
            "RequestValidationError",
            f"Unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}",
            {"invalid": [{name: "unknown field"} for name in unknown]},
        )
    for name, value in body.items():
        if name == "venue_id":
            ok = value is None or (isinstance(value, int | str) and not isinstance(value, bool))
        elif name == "replace":
            ok = isinstance(value, bool)
        else:
            ok = value is None or isinstance(value, str)
        if not ok:
            kind = "a boolean" if name == "replace" else "a string"
            raise UnifiedError(
                400,
                "RequestValidationError",
                f"{name} must be {kind}",
                {"invalid": [{name: kind}]},
            )
    return body


def _app_query(request: Request) -> str:
    return check_app_id(request.query_params.get("app_id"))


def _respond(status_code: int, resource: str, operation: str, data: Any) -> ClopoJSONResponse:
    return ClopoJSONResponse(
        success_body(status_code=status_code, resource=resource, operation=operation, data=data),
        status_code=status_code,
    )


@admin_router.post("/apps", operation_id="unified_admin_add_app", status_code=201)
async def create_app_route(request: Request) -> Response:
    """Register an application; ``data.api_key`` is shown only in this answer."""
    state = _require_admin(request)
    body = await _json_object(request, _APP_FIELDS)
    async with state.sessions() as session:
        key = await add_app(session, body.get("app_id") or "", name=body.get("name") or "")
    data = {"app_id": check_app_id(body.get("app_id")), "name": body.get("name") or ""}
    return _respond(201, "apps", "add", {**data, "api_key": key})


@admin_router.get("/apps", operation_id="unified_admin_list_apps")
async def list_apps_route(request: Request) -> Response:
    """Every application with its number of consumers (never the keys)."""
    state = _require_admin(request)
    async with state.sessions() as session:
        apps = await list_apps(session)
    data = [
        {"app_id": a.app_id, "name": a.name, "consumers": a.consumers, "created_at": a.created_at}
        for a in apps
    ]
    return _respond(200, "apps", "all", data)


@admin_router.post("/consumers", operation_id="unified_admin_add_consumer", status_code=201)
async def add_consumer_route(request: Request) -> Response:
    """Connect a consumer to a Clopos upstream (the secret is stored encrypted)."""
    state = _require_admin(request)
    body = await _json_object(request, _CONSUMER_FIELDS)
    spec = check_consumer(
        app_id=body.get("app_id"),
        consumer_id=body.get("consumer_id"),
        client_id=body.get("client_id"),
        client_secret=body.get("client_secret"),
        brand=body.get("brand"),
        integrator_id=body.get("integrator_id"),
        venue_id=body.get("venue_id"),
        api_version=body.get("api_version"),
        base_url=body.get("base_url"),
        service_id=body.get("service_id"),
    )
    cipher = await state.ensure_cipher()
    async with state.sessions() as session:
        info = await add_consumer(session, cipher, spec, replace=bool(body.get("replace")))
    return _respond(201, "consumers", "add", {**info.public(), "secret_readable": True})


@admin_router.get("/consumers", operation_id="unified_admin_list_consumers")
async def list_consumers_route(request: Request) -> Response:
    """The connections, of one app with ``?app_id=``; ``secret_readable`` says whether the
    configured key can decrypt each stored secret."""
    state = _require_admin(request)
    app_id = _app_query(request) if "app_id" in request.query_params else None
    cipher = await state.ensure_cipher()
    async with state.sessions() as session:
        found = await list_consumers(session, app_id=app_id, cipher=cipher)
    return _respond(200, "consumers", "all", [info.public() for info in found])


@admin_router.delete("/consumers/{consumer_id}", operation_id="unified_admin_remove_consumer")
async def remove_consumer_route(request: Request, consumer_id: str) -> Response:
    """Remove a connection with its tombstones and idempotency keys."""
    state = _require_admin(request)
    app_id = _app_query(request)
    async with state.sessions() as session:
        removed = await remove_consumer(session, app_id=app_id, consumer_id=consumer_id)
    state.pool.discard(removed)
    return _respond(200, "consumers", "delete", {"id": consumer_id})


@admin_router.post("/consumers/{consumer_id}/check", operation_id="unified_admin_check_consumer")
async def check_consumer_route(request: Request, consumer_id: str) -> Response:
    """Authenticate against the consumer's upstream now and list its venues: shows that
    the stored credentials work before an app relies on them."""
    from clopos.unified.upstream import data_of, error_from_sdk, plain

    state = _require_admin(request)
    app_id = _app_query(request)
    cipher = await state.ensure_cipher()
    async with state.sessions() as session:
        conn = await get_connection(session, cipher, app_id=app_id, consumer_id=consumer_id)
    client = state.pool.client(conn)
    try:
        await client.auth()
        venues = data_of(plain(await client.get_venues()))
    except CloposError as error:
        raise error_from_sdk(error) from None
    venue_ids = (
        [v.get("id") for v in venues if isinstance(v, dict)] if isinstance(venues, list) else []
    )
    data = {
        "id": consumer_id,
        "service_id": SERVICE_ID,
        "brand": conn.brand,
        "api_version": conn.api_version,
        "upstream": conn.base_url,
        "authenticated": True,
        "venue_ids": venue_ids,
    }
    return _respond(200, "consumers", "check", data)


# Consumers' unified webhook subscriptions (clopos.unified.webhook_admin): same auth, same
# envelopes. Imported last: that module reaches back here for ``_require_admin``.
from clopos.unified.webhook_admin import register as _register_webhook_routes  # noqa: E402

_register_webhook_routes(admin_router)
