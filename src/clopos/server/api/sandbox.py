"""``/sandbox``: the till (the POS terminal's side), for tests and demos — not part of the
Clopos API.

The Open API lets an integration create orders and read receipts, but accepting an order,
ringing up lines, taking payment and keeping the stop list happen at the till. These
routes do that so an integrator's test suite can drive a whole sale: create an order over
``POST /open-api/v2/orders`` → accept it here → add lines, close the receipt here → read it
back over ``GET /open-api/v2/receipts/{id}``.

Authentication: ``Authorization: Bearer <CLOPOS_ADMIN_TOKEN>`` (403 while the setting is
unset, 401 for a missing or wrong token). Every route names its brand in the path
(``/sandbox/brands/{brand}/…``, the brand slug); orders and receipts carry their venue.
Answers use the v2 envelope and v2 error shapes. The actions themselves live in
``clopos.server.till``, shared with the ``clopos till`` commands.
"""

from __future__ import annotations

import hmac
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server import till
from clopos.server.api.deps import SessionDep
from clopos.server.api.params import json_body, model_schema, query_param
from clopos.server.domain.orders import ORDER_STATUSES, parse_json_body, present_order
from clopos.server.domain.products import present_stop_entry
from clopos.server.domain.query import MAX_ID, id_from_text, path_id
from clopos.server.domain.receipts import (
    CloseBody,
    MoneyIn,
    Quantity,
    RowId,
    parse_body,
    present_receipt,
    present_receipt_product,
)
from clopos.server.errors import (
    AuthFailed,
    Forbidden,
    InvalidParameter,
    ReceiptNotFound,
    ResourceNotFound,
)
from clopos.server.responses import respond
from clopos.server.store.models import Brand, Order, Receipt
from clopos.server.store.repositories.receipts import NewLine

router = APIRouter()

DISABLED = "The till API is disabled: set CLOPOS_ADMIN_TOKEN"
LIST_LIMIT_DEFAULT = 100
AUTH_NOTE = (
    "\n\nAuthentication: `Authorization: Bearer <CLOPOS_ADMIN_TOKEN>` "
    "(403 while the setting is unset, 401 when the token is missing or wrong)."
)


# --- authentication and the brand ---------------------------------------------------------


async def require_admin(request: Request) -> None:
    """Check ``Authorization: Bearer <CLOPOS_ADMIN_TOKEN>`` in constant time."""
    configured = request.app.state.clopos.settings.admin_token
    expected = configured.get_secret_value() if configured is not None else ""
    if not expected:
        raise Forbidden(DISABLED)
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    # compare_digest on bytes: its str form refuses non-ASCII, which a header may carry.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode(), expected.encode()
    ):
        raise AuthFailed(
            "Send the admin token as Authorization: Bearer <CLOPOS_ADMIN_TOKEN>",
            headers={"WWW-Authenticate": "Bearer"},
        )


async def till_brand(
    brand: str, session: SessionDep, _admin: Annotated[None, Depends(require_admin)]
) -> Brand:
    """The brand named in the path (checked after the token, so no brand is revealed)."""
    return await till.brand_named(session, brand)


BrandDep = Annotated[Brand, Depends(till_brand)]


# --- bodies -------------------------------------------------------------------------------


class TillLine(BaseModel):
    """One product to ring up; ``price`` defaults to the catalog price."""

    model_config = ConfigDict(extra="forbid")

    product_id: RowId
    count: Quantity
    price: MoneyIn | None = None
    portion_size: Quantity = Decimal(1)
    modifier_ids: Annotated[list[RowId], Field(max_length=50)] = []


class LinesBody(BaseModel):
    """``POST …/receipts/{id}/lines``."""

    model_config = ConfigDict(extra="forbid")

    lines: Annotated[list[TillLine], Field(min_length=1, max_length=200)]


class StopBody(BaseModel):
    """``PUT …/stop-list/{product_id}``: the venue and the units left (0 = sold out)."""

    model_config = ConfigDict(extra="forbid")

    venue_id: RowId
    limit: Annotated[int, Field(strict=True, ge=0, le=MAX_ID)]


def _body_doc(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body the route reads by hand (to keep exact decimals)."""
    return json_body(model_schema(model))


async def _body(request: Request, model: type[BaseModel]) -> Any:
    """The JSON body (numbers as exact ``Decimal``) validated by ``model``; 400 naming the field."""
    return parse_body(model, parse_json_body(await request.body()))


# --- presenting ---------------------------------------------------------------------------


async def _order_answer(
    request: Request, session: AsyncSession, order: Order, message: str | None = None
) -> Response:
    """The order with its ``payload`` and ``receipt`` link ``{id, service_notification_id,
    status}`` (``null`` until accepted), as ``GET /orders/{id}?with[0]=receipt:…`` shows it."""
    receipts = await till.linked_receipts(session, order.brand_id, [order])
    data = present_order(order, receipt=receipts.get(order.id), include_receipt=True)
    return respond(request, data, message=message)


async def _receipt_answer(
    request: Request, session: AsyncSession, receipt: Receipt, message: str
) -> Response:
    """The full receipt with its ``receipt_products``."""
    lines = [present_receipt_product(line) for line in await till.receipt_lines(session, receipt)]
    return respond(request, present_receipt(receipt, lines), message=message)


def _order_id(raw: str) -> int:
    number = path_id(raw)
    if number is None:
        raise ResourceNotFound("Order not found")
    return number


# --- orders -------------------------------------------------------------------------------

_LIST_DOC = {
    "parameters": [
        query_param(
            "status",
            "Orders in this status (default PENDING: waiting for the clerk).",
            {"type": "string", "enum": list(ORDER_STATUSES), "default": "PENDING"},
        ),
        query_param("venue_id", "Only this venue's orders.", {"type": "integer", "minimum": 1}),
        query_param(
            "limit",
            f"At most this many (1–{till.MAX_LISTED}).",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": till.MAX_LISTED,
                "default": LIST_LIMIT_DEFAULT,
            },
        ),
    ]
}


def _int_param(request: Request, name: str, *, maximum: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    number = id_from_text(raw)
    if number is None or not 1 <= number <= maximum:
        raise InvalidParameter(
            f"The {name!r} parameter must be an integer between 1 and {maximum}",
            details={"parameter": name, "provided_value": raw},
        )
    return number


@router.get(
    "/brands/{brand}/orders",
    summary="Orders waiting at the till",
    description="The brand's orders in `status` (default `PENDING`), newest first, each with "
    "its `payload` and its `receipt` link (`null` until accepted)." + AUTH_NOTE,
    openapi_extra=_LIST_DOC,
)
async def till_list_orders(request: Request, brand: BrandDep, session: SessionDep) -> Response:
    """Orders of the brand in one status, newest first."""
    orders = await till.orders_at_till(
        session,
        brand.id,
        status=request.query_params.get("status") or "PENDING",
        venue_id=_int_param(request, "venue_id", maximum=MAX_ID),
        limit=_int_param(request, "limit", maximum=till.MAX_LISTED) or LIST_LIMIT_DEFAULT,
    )
    receipts = await till.linked_receipts(session, brand.id, orders)
    data = [
        present_order(order, receipt=receipts.get(order.id), include_receipt=True)
        for order in orders
    ]
    return respond(request, data, total=len(data))


@router.post(
    "/brands/{brand}/orders/{order_id}/accept",
    summary="Accept an order",
    description="The clerk accepts a `PENDING` order: it becomes `RECEIVED` and its receipt "
    "opens (status 1) with the order's products (spec §11.1). 409 when the order is in "
    "another status." + AUTH_NOTE,
)
async def till_accept_order(
    order_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """PENDING → RECEIVED, opening the linked receipt."""
    order, _receipt = await till.accept_order(session, brand.id, _order_id(order_id))
    return await _order_answer(request, session, order, "Order accepted")


@router.post(
    "/brands/{brand}/orders/{order_id}/ignore",
    summary="Ignore an order",
    description="The clerk declines a `PENDING` order: it becomes `IGNORE`. An order already "
    "ignored stays so; a `RECEIVED` or `DELIVERED` one cannot be ignored (409), as with the "
    "integration's `PUT /orders/{id}`." + AUTH_NOTE,
)
async def till_ignore_order(
    order_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """PENDING → IGNORE."""
    order = await till.ignore_order(session, brand.id, _order_id(order_id))
    return await _order_answer(request, session, order, "Order ignored")


@router.post(
    "/brands/{brand}/orders/{order_id}/deliver",
    summary="Mark an order delivered",
    description="A `RECEIVED` order becomes `DELIVERED` (the docs do not say who sets it; "
    "here the till does). 409 from any other status." + AUTH_NOTE,
)
async def till_deliver_order(
    order_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """RECEIVED → DELIVERED."""
    order = await till.deliver_order(session, brand.id, _order_id(order_id))
    return await _order_answer(request, session, order, "Order delivered")


# --- receipts -----------------------------------------------------------------------------


def _receipt_id(raw: str) -> int:
    number = path_id(raw)
    if number is None:
        raise ReceiptNotFound()
    return number


@router.post(
    "/brands/{brand}/receipts/{receipt_id}/lines",
    summary="Add lines to an open receipt",
    description="Rings up products on an open receipt (`price` defaults to the catalog "
    "price); totals are recomputed. Answers the full receipt with `receipt_products`." + AUTH_NOTE,
    openapi_extra=_body_doc(LinesBody),
)
async def till_add_lines(
    receipt_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """Add products to an open receipt."""
    number = _receipt_id(receipt_id)
    body: LinesBody = await _body(request, LinesBody)
    lines = [
        NewLine(
            product_id=line.product_id,
            count=line.count,
            price=line.price,
            portion_size=line.portion_size,
            modifier_ids=tuple(line.modifier_ids),
        )
        for line in body.lines
    ]
    receipt = await till.add_receipt_lines(session, brand.id, number, lines)
    return await _receipt_answer(request, session, receipt, "Lines added")


@router.post(
    "/brands/{brand}/receipts/{receipt_id}/close",
    summary="Take payment and close a receipt",
    description="Closes an open receipt (status 2) with `payment_methods` `[{id, amount}]` "
    "adding up to its total (names come from the catalog) and an optional `closed_at` "
    "(`YYYY-MM-DD HH:mm:ss`, default now) — the rules of `POST /v2/receipts/{id}/close`. "
    "Stock is written off. Answers the full receipt." + AUTH_NOTE,
    openapi_extra=_body_doc(CloseBody),
)
async def till_close_receipt(
    receipt_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """Close an open receipt."""
    number = _receipt_id(receipt_id)
    body: CloseBody = await _body(request, CloseBody)
    tenders = [till.Tender(method=p.id, amount=p.amount) for p in body.payment_methods]
    receipt = await till.close_receipt(session, brand.id, number, tenders, body.closed_at)
    return await _receipt_answer(request, session, receipt, "Receipt closed")


# --- stop list ----------------------------------------------------------------------------


def _product_id(raw: str) -> int:
    number = path_id(raw)
    if number is None:
        raise ResourceNotFound("Product not found")
    return number


@router.put(
    "/brands/{brand}/stop-list/{product_id}",
    summary="Limit a product at a venue",
    description="Sets (or replaces) the product's stop-list entry at `venue_id`: `limit` "
    "units left, 0 = sold out; its timestamp becomes now. `GET /products/stop-list` "
    "shows it from then on (spec §10.3)." + AUTH_NOTE,
    openapi_extra=_body_doc(StopBody),
)
async def till_stop_product(
    product_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """Upsert a stop-list entry."""
    number = _product_id(product_id)
    body: StopBody = await _body(request, StopBody)
    entry = await till.stop_product(
        session, brand.id, number, venue_id=body.venue_id, limit=body.limit
    )
    data = {**present_stop_entry(entry), "venue_id": entry.venue_id}
    return respond(request, data, message="Stop list updated")


@router.delete(
    "/brands/{brand}/stop-list/{product_id}",
    summary="Lift a product's limit at a venue",
    description="Removes the product's stop-list entry at `venue_id` (a product absent from "
    "the stop list is unlimited, spec §10.3). Answers `removed: false` when there was none."
    + AUTH_NOTE,
    openapi_extra={
        "parameters": [
            query_param(
                "venue_id",
                "The venue whose limit is lifted (required).",
                {"type": "integer", "minimum": 1},
            )
        ]
    },
)
async def till_unstop_product(
    product_id: str, request: Request, brand: BrandDep, session: SessionDep
) -> Response:
    """Delete a stop-list entry."""
    number = _product_id(product_id)
    venue_id = _int_param(request, "venue_id", maximum=MAX_ID)
    if venue_id is None:
        raise InvalidParameter(
            "The venue_id parameter is required", details={"parameter": "venue_id"}
        )
    removed = await till.unstop_product(session, brand.id, number, venue_id=venue_id)
    data = {"id": number, "venue_id": venue_id, "removed": removed}
    return respond(request, data, message="Stop list updated")
