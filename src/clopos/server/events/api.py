"""``GET /events`` (the feed) and ``/webhooks`` (subscriptions, delivery log, redelivery).

Both are served under ``/open-api/v2`` and ``/open-api`` with the prefix's usual
authentication; everything is scoped to the caller's brand (another brand's webhook or
delivery answers 404). See docs/events.md for the wire shapes.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.deps import Caller, CallerDep, SessionDep, StateDep
from clopos.server.api.orders import venue_scope
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.query import (
    MAX_ID,
    LimitRule,
    Nested,
    as_list,
    parse_brackets,
    parse_int,
    path_id,
)
from clopos.server.errors import Conflict, InvalidParameter, ResourceNotFound, ValidationFailed
from clopos.server.events import subscriptions as store
from clopos.server.events import types as event_types
from clopos.server.events.outbox import event_by_id, read_events
from clopos.server.events.secrets import load_secret_box
from clopos.server.events.tables import DELIVERY_STATUSES, Event, WebhookEndpoint
from clopos.server.responses import respond

router = APIRouter()

FEED_LIMITS = LimitRule(default=50, maximum=200)
WEBHOOK_LIMITS = LimitRule(default=50, maximum=store.MAX_ENDPOINTS_PER_BRAND)
DELIVERY_LIMITS = LimitRule(default=50, maximum=200)
MAX_WAIT_SECONDS = 30
# How often a waiting feed request looks for new events.
FEED_POLL_SECONDS = 0.25
LATEST = "latest"
WEBHOOK_NOT_FOUND = "Webhook not found"
DELIVERY_NOT_FOUND = "Delivery not found"


# --- the feed -----------------------------------------------------------------------------


def _selectors(params: Nested) -> list[str]:
    """``types`` as ``a,b`` or ``types[]=a&types[]=b``; each a name, ``x.*`` or ``*``."""
    raw = params.get("types")
    values: list[str] = []
    for item in as_list(raw):
        if not isinstance(item, str):
            raise InvalidParameter(
                "The 'types' parameter must be event types such as order.created",
                details={"parameter": "types", "provided_value": item},
            )
        values.extend(part for part in item.split(",") if part.strip())
    try:
        return event_types.check_selectors(values)
    except event_types.UnknownEventType as exc:
        raise InvalidParameter(
            f"The 'types' parameter is invalid: {exc}",
            details={"parameter": "types", "provided_value": raw},
        ) from None


async def _cursor(session: AsyncSession, params: Nested, brand_id: int) -> int:
    """``after``: an event id (0 = from the first event) or ``latest`` (only new events)."""
    raw = params.get("after")
    if isinstance(raw, str) and raw.strip().lower() == LATEST:
        latest = await session.scalar(select(func.max(Event.id)).where(Event.brand_id == brand_id))
        return int(latest or 0)
    return parse_int(params, "after", default=0, minimum=0, maximum=MAX_ID)


_FEED_DOC = list_params(
    FEED_LIMITS,
    extra=[
        query_param(
            "after",
            "Cursor: return events with a larger id (default 0: from the first event). "
            "`latest` starts at the newest event, so only events after now are returned. "
            "Pass the previous answer's `next_after`.",
            {"type": "string"},
        ),
        query_param(
            "types",
            "Event types to return, comma-separated or repeated (`types[]=`): names such as "
            "`order.created`, `<resource>.*` or `*` (default: all).",
            {"type": "string"},
        ),
        query_param(
            "wait",
            f"Long poll: when nothing is there yet, wait up to this many seconds "
            f"(0–{MAX_WAIT_SECONDS}) for the first matching event.",
            {"type": "integer", "minimum": 0, "maximum": MAX_WAIT_SECONDS, "default": 0},
        ),
    ],
)


@router.get("/events", summary="Events after a cursor (long poll)", openapi_extra=_FEED_DOC)
async def list_events(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """The brand's events after ``after``, oldest first (of the ``x-venue`` when sent).

    ``next_after`` is the cursor for the next call; ``has_more`` says whether more events
    are already waiting. With ``wait=N`` an empty answer is held up to N seconds and
    returns as soon as an event arrives.
    """
    params = parse_brackets(request.query_params.multi_items())
    limit = parse_int(
        params, "limit", default=FEED_LIMITS.default, minimum=1, maximum=FEED_LIMITS.maximum
    )
    page = parse_int(params, "page", default=1, minimum=1, maximum=10**6)
    wait = parse_int(params, "wait", default=0, minimum=0, maximum=MAX_WAIT_SECONDS)
    selectors = _selectors(params)
    after = await _cursor(session, params, caller.brand_id)
    scope = venue_scope(request, caller)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    skip = (page - 1) * limit
    while True:
        found = await read_events(
            session,
            brand_id=caller.brand_id,
            after=after,
            types=selectors,
            limit=skip + limit + 1,
            venue_id=scope,
        )
        found = found[skip:]
        remaining = deadline - loop.time()
        if found or remaining <= 0 or await request.is_disconnected():
            break
        # End the read: new commits become visible and the connection goes back to the pool.
        await session.rollback()
        await asyncio.sleep(min(FEED_POLL_SECONDS, remaining))
    events = found[:limit]
    extra = {
        "next_after": events[-1].id if events else after,
        "has_more": len(found) > limit,
    }
    return respond(request, [event.wire() for event in events], extra=extra)


# --- webhook endpoints --------------------------------------------------------------------


def _check(rule: Any, value: Any) -> Any:
    """Run a pure input rule; its ``ValueError`` becomes the field's validation message."""
    try:
        return rule(value)
    except ValueError as exc:
        raise PydanticCustomError("invalid", str(exc)) from None


class _EndpointFields(BaseModel):
    """Rules shared by create and update."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check(store.check_url, value)

    @field_validator("types", check_fields=False)
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise PydanticCustomError("invalid", "must name at least one event type, or '*'")
        return _check(event_types.check_selectors, value)  # type: ignore[no-any-return]

    @field_validator("description", check_fields=False)
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _check(store.check_description, value)  # type: ignore[no-any-return]


class WebhookCreate(_EndpointFields):
    """``POST /webhooks``: where to deliver and which events (default: all)."""

    url: Annotated[str, Field(description="http(s) URL that receives a POST per event.")]
    types: Annotated[list[str], Field(max_length=50)] = ["*"]
    description: Annotated[str | None, Field(max_length=500)] = None
    enabled: bool = True


class WebhookUpdate(_EndpointFields):
    """``PATCH /webhooks/{id}``: any of the fields; the others keep their value."""

    url: str | None = None
    types: Annotated[list[str] | None, Field(max_length=50)] = None
    description: Annotated[str | None, Field(max_length=500)] = None
    enabled: bool | None = None


async def _endpoint_or_404(session: AsyncSession, caller: Caller, raw_id: str) -> WebhookEndpoint:
    number = path_id(raw_id)
    found = await store.endpoint_of_brand(session, caller.brand_id, number) if number else None
    if found is None:
        raise ResourceNotFound(WEBHOOK_NOT_FOUND)
    return found


def _page(params: Nested, limits: LimitRule) -> tuple[int, int]:
    page = parse_int(params, "page", default=1, minimum=1, maximum=10**6)
    limit = parse_int(params, "limit", default=limits.default, minimum=1, maximum=limits.maximum)
    return page, limit


@router.get(
    "/webhooks", summary="List webhook endpoints", openapi_extra=list_params(WEBHOOK_LIMITS)
)
async def list_webhooks(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """The brand's webhook endpoints, oldest first (secrets are never shown again)."""
    page, limit = _page(parse_brackets(request.query_params.multi_items()), WEBHOOK_LIMITS)
    endpoints = await store.endpoints_of(session, caller.brand_id)
    shown = endpoints[(page - 1) * limit : page * limit]
    return respond(
        request, [store.present_endpoint(e) for e in shown], total=len(endpoints), sorts=("id",)
    )


@router.post("/webhooks", summary="Add a webhook endpoint")
async def create_webhook(
    body: WebhookCreate, request: Request, caller: CallerDep, session: SessionDep, state: StateDep
) -> Response:
    """Subscribe a URL to the brand's events. The answer carries the signing ``secret``
    (``whsec_…``): store it, it is not shown again."""
    box = await load_secret_box(session, state.settings)
    try:
        endpoint, secret = await store.create_endpoint(
            session,
            box,
            brand_id=caller.brand_id,
            url=body.url,
            types=body.types,
            description=body.description,
            enabled=body.enabled,
            created_by=caller.client_id,
        )
    except store.TooManyEndpoints as exc:
        raise ValidationFailed(str(exc), details={"field": "url"}) from None
    await session.commit()
    data = store.present_endpoint(endpoint, secret=secret)
    return respond(request, data, message="Webhook created")


@router.get("/webhooks/{webhook_id}", summary="Get a webhook endpoint")
async def get_webhook(
    webhook_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One endpoint of the brand; 404 ``resource_not_found`` "Webhook not found"."""
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    return respond(request, store.present_endpoint(endpoint))


@router.patch("/webhooks/{webhook_id}", summary="Change a webhook endpoint")
async def update_webhook(
    webhook_id: str, body: WebhookUpdate, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Change ``url``, ``types``, ``description`` or ``enabled``. A disabled endpoint gets
    no new deliveries and its queued ones wait until it is enabled again."""
    sent = body.model_fields_set
    if not sent:
        raise ValidationFailed(
            "Send at least one of url, types, description, enabled", details={"field": "body"}
        )
    for name in ("url", "types", "enabled"):
        if name in sent and getattr(body, name) is None:
            raise ValidationFailed(f"The {name} field must not be null", details={"field": name})
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    if body.url is not None:
        endpoint.url = body.url
    if body.types is not None:
        endpoint.types = [t for t in body.types if t != event_types.ALL]
    if "description" in sent:
        endpoint.description = body.description
    if body.enabled is not None:
        endpoint.enabled = body.enabled
    await session.commit()
    return respond(request, store.present_endpoint(endpoint), message="Webhook updated")


@router.delete("/webhooks/{webhook_id}", summary="Delete a webhook endpoint")
async def delete_webhook(
    webhook_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Remove the endpoint with its queue and delivery log; nothing more is sent to it."""
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    endpoint_id = endpoint.id
    await store.delete_endpoint(session, endpoint)
    await session.commit()
    return respond(request, {"id": endpoint_id, "deleted": True}, message="Webhook deleted")


@router.post("/webhooks/{webhook_id}/rotate-secret", summary="Give a webhook a new secret")
async def rotate_webhook_secret(
    webhook_id: str, request: Request, caller: CallerDep, session: SessionDep, state: StateDep
) -> Response:
    """A new signing secret, shown once; the old one stops working immediately."""
    box = await load_secret_box(session, state.settings)
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    secret = store.rotate_secret(endpoint, box)
    await session.commit()
    data = store.present_endpoint(endpoint, secret=secret)
    return respond(request, data, message="Webhook secret rotated")


# --- the delivery log ---------------------------------------------------------------------


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="Delivery log of a webhook endpoint",
    openapi_extra=list_params(
        DELIVERY_LIMITS,
        extra=[
            query_param(
                "status",
                "Only deliveries in this state: pending, delivered or failed.",
                {"type": "string", "enum": list(DELIVERY_STATUSES)},
            )
        ],
    ),
)
async def list_webhook_deliveries(
    webhook_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """The endpoint's deliveries, newest event first, with attempts and last answer."""
    params = parse_brackets(request.query_params.multi_items())
    page, limit = _page(params, DELIVERY_LIMITS)
    raw_status = params.get("status")
    status = raw_status.strip().lower() if isinstance(raw_status, str) and raw_status else None
    if raw_status is not None and raw_status != "" and status not in DELIVERY_STATUSES:
        raise InvalidParameter(
            f"The 'status' parameter must be one of {', '.join(DELIVERY_STATUSES)}",
            details={"parameter": "status", "provided_value": raw_status},
        )
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    data, total = await store.list_deliveries(
        session, endpoint, status=status, page=page, limit=limit
    )
    return respond(request, data, total=total, sorts=("event_id",))


async def _delivery_answer(
    request: Request,
    session: AsyncSession,
    caller: Caller,
    endpoint: WebhookEndpoint,
    raw_id: str,
) -> dict[str, Any]:
    number = path_id(raw_id)
    found = await store.delivery_of_endpoint(session, endpoint, number) if number else None
    if found is None:
        raise ResourceNotFound(DELIVERY_NOT_FOUND)
    delivery, event_type = found
    attempts = await store.attempts_of(session, delivery.id)
    event = await event_by_id(session, caller.brand_id, delivery.event_id)
    return {
        **store.present_delivery(delivery, event_type),
        "attempt_log": [store.present_attempt(a) for a in attempts],
        "event": event.wire() if event is not None else None,
    }


@router.get(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}",
    summary="One delivery with its attempts and event",
)
async def get_webhook_delivery(
    webhook_id: str, delivery_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """A delivery, every HTTP attempt made for it, and the event it carries."""
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    return respond(request, await _delivery_answer(request, session, caller, endpoint, delivery_id))


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    summary="Send a delivery again",
)
async def redeliver_webhook_delivery(
    webhook_id: str, delivery_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Queue the event for this endpoint again, due now, with a fresh 24-hour retry window
    (also for a delivery that succeeded or was given up). 409 while it is being sent."""
    endpoint = await _endpoint_or_404(session, caller, webhook_id)
    number = path_id(delivery_id)
    found = await store.delivery_of_endpoint(session, endpoint, number) if number else None
    if found is None:
        raise ResourceNotFound(DELIVERY_NOT_FOUND)
    delivery, _event_type = found
    try:
        await store.redeliver(session, delivery)
    except store.DeliveryInFlight as exc:
        raise Conflict(str(exc)) from None
    await session.commit()
    data = await _delivery_answer(request, session, caller, endpoint, delivery_id)
    return respond(request, data, message="Delivery queued")
