"""``/pos/admin/webhooks``: consumers' unified webhook subscriptions and their delivery log.

Same authentication and envelopes as the rest of ``/pos/admin`` (``clopos.unified.admin``:
``Authorization: Bearer <CLOPOS_ADMIN_TOKEN>``, Apideck's success and error envelopes).
``clopos.unified.admin`` adds these routes to its router with :func:`register`.

| route | what |
|---|---|
| ``POST /webhooks`` ``{app_id, consumer_id, url, event_types?, description?, enabled?,
  api_base_url?, secret?}`` | 201, ``data.secret`` shown once |
| ``GET /webhooks?app_id=&consumer_id=`` | subscriptions with delivery counts |
| ``GET /webhooks/{id}`` | one |
| ``PATCH /webhooks/{id}`` ``{url?, event_types?, description?, enabled?}`` | changed |
| ``DELETE /webhooks/{id}`` | removed with its queue and log |
| ``POST /webhooks/{id}/rotate-secret`` | a new ``secret``, shown once |
| ``GET /webhooks/{id}/deliveries?status=&page=&limit=`` | the delivery log, newest first |
| ``GET /webhooks/{id}/deliveries/{delivery_id}`` | one, with ``attempt_log`` and ``body`` |
| ``POST /webhooks/{id}/deliveries/{delivery_id}/redeliver`` | queued again, due now |

``api_base_url`` (where consumers reach this server's ``/pos``; ``entity_url`` starts with
it) defaults to the URL this request came in on.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from clopos.server.events.secrets import load_secret_box
from clopos.server.responses import ClopoJSONResponse
from clopos.unified import webhooks as store
from clopos.unified.errors import UnifiedError
from clopos.unified.state import UnifiedState
from clopos.unified.wire import success_body

MAX_BODY_BYTES = 64 * 1024
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_CREATE_FIELDS = frozenset(
    {
        "app_id",
        "consumer_id",
        "url",
        "event_types",
        "description",
        "enabled",
        "api_base_url",
        "secret",
    }
)
_UPDATE_FIELDS = frozenset({"url", "event_types", "description", "enabled"})
RESOURCE = "webhooks"


def _admin(request: Request) -> UnifiedState:
    # Imported here: clopos.unified.admin imports this module to register the routes.
    from clopos.unified.admin import _require_admin

    return _require_admin(request)


def _bad(message: str, field: str) -> UnifiedError:
    return UnifiedError(400, "RequestValidationError", message, {"invalid": [{field: message}]})


async def _body(request: Request, allowed: frozenset[str]) -> dict[str, Any]:
    """The request body as a JSON object with only ``allowed`` fields; else 400/413."""
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise UnifiedError(413, "RequestValidationError", "The request body is too large")
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise _bad("The request body is not valid JSON", "body") from None
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object", "body")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise UnifiedError(
            400,
            "RequestValidationError",
            f"Unknown field {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}",
            {"invalid": [{name: "unknown field"} for name in unknown]},
        )
    if "enabled" in body and not isinstance(body["enabled"], bool):
        raise _bad("enabled must be a boolean", "enabled")
    return body


def _path_id(text: str, entity: str) -> int:
    """A positive integer path id; anything else names nothing (404)."""
    if text.isascii() and text.isdigit() and 0 < int(text) <= 2**31 - 1:
        return int(text)
    raise UnifiedError(
        404,
        "EntityNotFoundError",
        f"Unknown {entity} {text}",
        {"not_found": {"entity": entity, "id": text}},
    )


def _int_query(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _bad(f"{name} must be an integer from 1 to {maximum}", name)
    return int(raw)


def _respond(status_code: int, operation: str, data: Any, **extra: Any) -> ClopoJSONResponse:
    body = success_body(status_code=status_code, resource=RESOURCE, operation=operation, data=data)
    body.update(extra)
    return ClopoJSONResponse(body, status_code=status_code)


async def create_webhook(request: Request) -> Response:
    """Subscribe a consumer's URL to its unified events; ``data.secret`` is shown only here."""
    state = _admin(request)
    body = await _body(request, _CREATE_FIELDS)
    base = body.get("api_base_url") or str(request.base_url).rstrip("/")
    async with state.sessions() as session:
        box = await load_secret_box(session, state.settings)
        data = await store.create_webhook(
            session,
            box,
            app_id=body.get("app_id"),
            consumer_id=body.get("consumer_id"),
            url=body.get("url"),
            event_types=body.get("event_types"),
            description=body.get("description"),
            enabled=body.get("enabled", True),
            api_base_url=base,
            secret=body.get("secret"),
        )
    return _respond(201, "add", data)


async def list_webhooks(request: Request) -> Response:
    """Every subscription (of ``?app_id=``, of ``?consumer_id=``), never the secrets."""
    state = _admin(request)
    params = request.query_params
    async with state.sessions() as session:
        data = await store.list_webhooks(
            session, app_id=params.get("app_id") or None, consumer_id=params.get("consumer_id")
        )
    return _respond(200, "all", data)


async def get_webhook(request: Request, webhook_id: str) -> Response:
    """One subscription with its delivery counts."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    async with state.sessions() as session:
        data = await store.get_webhook(session, number)
    return _respond(200, "one", data)


async def update_webhook(request: Request, webhook_id: str) -> Response:
    """Change ``url``, ``event_types``, ``description`` or ``enabled``."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    body = await _body(request, _UPDATE_FIELDS)
    async with state.sessions() as session:
        data = await store.update_webhook(session, number, body)
    return _respond(200, "update", data)


async def delete_webhook(request: Request, webhook_id: str) -> Response:
    """Remove the subscription with its queue and delivery log."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    async with state.sessions() as session:
        await store.delete_webhook(session, number)
    return _respond(200, "delete", {"id": number})


async def rotate_webhook_secret(request: Request, webhook_id: str) -> Response:
    """A new signing secret, shown once; the old one stops working at once."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    async with state.sessions() as session:
        box = await load_secret_box(session, state.settings)
        data = await store.rotate_secret(session, box, number)
    return _respond(200, "rotate-secret", data)


async def list_deliveries(request: Request, webhook_id: str) -> Response:
    """The delivery log, newest first: ``status``, ``page``, ``limit`` (1–200)."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    status = store.check_status(request.query_params.get("status"))
    page = _int_query(request, "page", 1, 10**6)
    limit = _int_query(request, "limit", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    async with state.sessions() as session:
        data, total = await store.list_deliveries(
            session, number, status=status, page=page, limit=limit
        )
    meta = {"items_on_page": len(data), "total": total, "page": page, "limit": limit}
    return _respond(200, "deliveries", data, meta=meta)


async def get_delivery(request: Request, webhook_id: str, delivery_id: str) -> Response:
    """One delivery with every HTTP attempt and the body it carries."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    delivery = _path_id(delivery_id, "delivery")
    async with state.sessions() as session:
        data = await store.get_delivery(session, number, delivery)
    return _respond(200, "delivery", data)


async def redeliver(request: Request, webhook_id: str, delivery_id: str) -> Response:
    """Send a delivery again, due now, with a fresh retry window; 409 while in flight."""
    state = _admin(request)
    number = _path_id(webhook_id, "webhook")
    delivery = _path_id(delivery_id, "delivery")
    async with state.sessions() as session:
        data = await store.redeliver(session, number, delivery)
    return _respond(200, "redeliver", data)


_ROUTES: list[tuple[str, str, Callable[..., Awaitable[Response]], int]] = [
    ("POST", "/webhooks", create_webhook, 201),
    ("GET", "/webhooks", list_webhooks, 200),
    ("GET", "/webhooks/{webhook_id}", get_webhook, 200),
    ("PATCH", "/webhooks/{webhook_id}", update_webhook, 200),
    ("DELETE", "/webhooks/{webhook_id}", delete_webhook, 200),
    ("POST", "/webhooks/{webhook_id}/rotate-secret", rotate_webhook_secret, 200),
    ("GET", "/webhooks/{webhook_id}/deliveries", list_deliveries, 200),
    ("GET", "/webhooks/{webhook_id}/deliveries/{delivery_id}", get_delivery, 200),
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", redeliver, 200),
]


def register(router: APIRouter) -> None:
    """Add the webhook routes to the admin router (its route class gives the envelopes)."""
    for method, path, endpoint, status_code in _ROUTES:
        router.add_api_route(
            path,
            endpoint,
            methods=[method],
            status_code=status_code,
            operation_id=f"unified_admin_{endpoint.__name__}",
            summary=(endpoint.__doc__ or "").split("\n")[0].rstrip("."),
        )
