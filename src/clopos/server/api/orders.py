"""``GET/POST /orders``, ``GET/PUT /orders/{id}`` on both prefixes (spec §11).

Both create bodies (v2 flat, v1 nested) are accepted on both prefixes; v2 answers 200 and
v1 201 (spec §11.4). Orders are venue-scoped when the request names a venue with
``x-venue`` (always on v1) and brand-wide on v2 without it (docs/decisions.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.customers import present_customer
from clopos.server.api.deps import Caller, CallerDep, SessionDep
from clopos.server.api.params import list_params, model_schema, query_param
from clopos.server.domain.envelope import pagination_block
from clopos.server.domain.orders import (
    ORDER_STATUSES,
    V1_STATUS_WORDS,
    FlatOrder,
    NestedOrder,
    build_order,
    ignore_order,
    order_status,
    present_order,
    read_order_body,
    read_status_update,
)
from clopos.server.domain.query import (
    MAX_ID,
    Filter,
    LimitRule,
    ListQuery,
    Sort,
    id_from_text,
    parse_list_query,
    path_id,
)
from clopos.server.errors import InvalidParameter, ResourceNotFound
from clopos.server.events.resources import order_event, receipt_event
from clopos.server.events.types import ORDER_ACCEPTED, ORDER_CREATED, ORDER_IGNORED, RECEIPT_CREATED
from clopos.server.idempotency import header_parameter as idempotency_header
from clopos.server.idempotency import idempotent
from clopos.server.responses import respond
from clopos.server.store.models import Order
from clopos.server.store.repositories import orders as repo
from clopos.server.store.repositories.paging import fetch_page
from clopos.server.store.repositories.receipts import open_receipt_for_order

router = APIRouter()

# The docs state no maximum for orders; the old OAS said 1–100 (spec §11.2), default 50 (v2).
LIMITS = LimitRule(default=50, maximum=100)
SORTS = ("created_at", "updated_at", "id")
_SORT_COLUMNS = {"created_at": Order.created_at, "updated_at": Order.updated_at, "id": Order.id}
DEFAULT_SORT = Sort("created_at", -1)
FILTER_FIELDS = ("venue_id", "sale_type_id", "customer_id", "status", "integration_id")
RECEIPT_WITH = "receipt:id,service_notification_id,status"
WITH_VALUES = ("customer", "receipt", RECEIPT_WITH)
NOT_FOUND = "Order not found"


# --- helpers ------------------------------------------------------------------------------


def venue_scope(request: Request, caller: Caller) -> int | None:
    """The venue a request is confined to: ``x-venue`` when sent (always on v1), else none.

    A v2 token without ``x-venue`` sees the whole brand: the create body names the venue,
    so an integrator polling ``GET /orders`` expects every order it created.
    """
    if caller.api_version == "v1" or request.headers.get("x-venue"):
        return caller.venue_id
    return None


def _relations(query: ListQuery) -> tuple[bool, bool]:
    """``(customer, receipt)`` asked for by ``with[]``/``with_``; unknown names are a 400.

    Any ``receipt`` or ``receipt:<columns>`` embeds the three receipt columns. The existing
    client sends ``with_=receipt:id``, ``with_=service_notification_id`` or ``with_=status``
    (it splits the one relation into three options), so those two bare words mean the
    receipt too (existing-python-client.md §4).
    """
    customer = receipt = False
    for name in query.with_:
        if name == "customer":
            customer = True
        elif name.split(":", 1)[0] == "receipt" or name in {"service_notification_id", "status"}:
            receipt = True
        else:
            raise InvalidParameter(
                f"Unknown relation in with[]: {name!r}; use customer or {RECEIPT_WITH}",
                details={"parameter": "with", "provided_value": name},
            )
    return customer, receipt


async def _present_all(
    session: AsyncSession,
    brand_id: int,
    orders: list[Order],
    *,
    with_customer: bool,
    with_receipt: bool,
) -> list[dict[str, Any]]:
    """Present ``orders`` with the requested relations, one query per relation kind."""
    customers = (
        await repo.customers_by_id(session, brand_id, (o.customer_id for o in orders))
        if with_customer
        else {}
    )
    receipts = (
        await repo.receipts_by_id(session, brand_id, (o.receipt_id for o in orders))
        if with_receipt
        else {}
    )
    presented = []
    for order in orders:
        customer = customers.get(order.customer_id) if order.customer_id is not None else None
        presented.append(
            present_order(
                order,
                receipt=receipts.get(order.receipt_id) if order.receipt_id is not None else None,
                include_receipt=with_receipt,
                customer=present_customer(customer) if customer is not None else None,
                include_customer=with_customer,
            )
        )
    return presented


def _invalid_filter(index: int, value: Any, hint: str) -> InvalidParameter:
    return InvalidParameter(
        "Invalid filter parameters",
        details={"parameter": f"filters[{index}]", "provided_value": value, "hint": hint},
    )


def _ids(item: Filter, index: int) -> list[int]:
    numbers = [id_from_text(v) for v in item.values()]
    if not numbers or any(n is None or n > MAX_ID for n in numbers):
        raise _invalid_filter(index, item.value, f"{item.field} takes integer ids")
    return [n for n in numbers if n is not None]


def _filters(query: ListQuery, request: Request, caller: Caller) -> repo.OrderFilters:
    """``status``, ``filters[N]`` and ``date[0..1]`` of ``GET /orders`` (spec §11.2)."""
    filters = repo.OrderFilters(venue_id=venue_scope(request, caller))
    raw_status = query.params.get("status")
    if raw_status is not None and raw_status != "":
        if not isinstance(raw_status, str):
            order_status(str(raw_status), api_version=caller.api_version)  # raises
        else:
            filters.statuses.append([order_status(raw_status, api_version=caller.api_version)])
    for index, item in enumerate(query.filters):
        if item.field == "status":
            values = item.values()
            if not values:
                raise _invalid_filter(index, item.value, "status takes order statuses")
            filters.statuses.append(
                [order_status(v, api_version=caller.api_version) for v in values]
            )
        elif item.field == "venue_id":
            filters.venue_ids.append(_ids(item, index))
        elif item.field == "sale_type_id":
            filters.sale_type_ids.append(_ids(item, index))
        elif item.field == "customer_id":
            filters.customer_ids.append(_ids(item, index))
        elif item.field == "integration_id":
            filters.integration_ids.append([v.strip() for v in item.values()])
        else:
            raise _invalid_filter(
                index, item.field, f"filter fields are {', '.join(FILTER_FIELDS)}"
            )
    filters.created_from, filters.created_before = query.date_bounds()
    return filters


async def _order_in_scope(
    session: AsyncSession, request: Request, caller: Caller, raw_id: str
) -> Order:
    """The order named by the path, in the caller's brand and venue scope, else 404."""
    number = path_id(raw_id)
    order = await repo.order_of_brand(session, caller.brand_id, number) if number else None
    scope = venue_scope(request, caller)
    if order is None or (scope is not None and order.venue_id != scope):
        raise ResourceNotFound(NOT_FOUND)
    return order


_STATUS_WORDS = ", ".join(ORDER_STATUSES)
_CREATE_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [model_schema(FlatOrder), model_schema(NestedOrder)]}
            }
        },
    },
    "parameters": [idempotency_header()],
}


# --- routes -------------------------------------------------------------------------------


@router.get(
    "/orders",
    summary="List orders",
    openapi_extra=list_params(
        LIMITS,
        with_values=WITH_VALUES,
        filter_fields=FILTER_FIELDS,
        sorts=SORTS,
        dates=True,
        extra=[
            query_param(
                "status",
                f"One of {_STATUS_WORDS}; the v1 prefix also takes {', '.join(V1_STATUS_WORDS)}.",
                {"type": "string"},
            )
        ],
    ),
)
async def list_orders(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Orders of the caller's brand (of its ``x-venue`` when sent), newest first."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=DEFAULT_SORT,
    )
    with_customer, with_receipt = _relations(query)
    filters = _filters(query, request, caller)
    sort = query.sort or DEFAULT_SORT
    column = _SORT_COLUMNS[sort.field]
    ascending = sort.direction == 1
    rows, total = await fetch_page(
        session,
        repo.orders_query(caller.brand_id, filters),
        query,
        order_by=[
            column.asc() if ascending else column.desc(),
            Order.id.asc() if ascending else Order.id.desc(),
        ],
    )
    data = await _present_all(
        session, caller.brand_id, rows, with_customer=with_customer, with_receipt=with_receipt
    )
    # The orders list example shows a pagination block (spec §4.1); both forms are sent.
    pagination = pagination_block(page=query.page, per_page=query.limit, total=total)
    return respond(request, data, total=total, sorts=SORTS, extra={"pagination": pagination})


@router.get(
    "/orders/{order_id}",
    summary="Get an order",
    openapi_extra={
        "parameters": [
            query_param(
                "with[0]",
                f"`{RECEIPT_WITH}` embeds the linked receipt (or null); `customer` the customer.",
                {"type": "string", "enum": list(WITH_VALUES)},
            )
        ]
    },
)
async def get_order(
    order_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One order with its ``payload``; 404 ``resource_not_found`` "Order not found"."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    with_customer, with_receipt = _relations(query)
    order = await _order_in_scope(session, request, caller, order_id)
    (data,) = await _present_all(
        session, caller.brand_id, [order], with_customer=with_customer, with_receipt=with_receipt
    )
    return respond(request, data)


@router.post("/orders", summary="Create an order", openapi_extra=_CREATE_DOC)
async def create_order(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Create a PENDING order (RECEIVED with an open receipt when ``auto_order_accept``)."""
    async with idempotent(request, caller, session) as guard:
        if guard.replay is not None:
            return guard.replay
        draft = read_order_body(await request.body())
        refs = await repo.load_references(session, caller.brand_id, draft)
        built = build_order(draft, refs, venue_scope=venue_scope(request, caller))
        # Auto-accept skips the clerk: the order is RECEIVED and its receipt opens (§11.1).
        status = "RECEIVED" if draft.auto_order_accept else "PENDING"
        order = await repo.create_order(
            session, brand_id=caller.brand_id, draft=draft, built=built, status=status
        )
        receipt = None
        if draft.auto_order_accept:
            receipt = await open_receipt_for_order(session, order)
            # Flush now so the stored updated_at is the one the response shows.
            await session.flush()
        await order_event(session, ORDER_CREATED, order)
        if receipt is not None:
            await order_event(session, ORDER_ACCEPTED, order)
            await receipt_event(session, RECEIPT_CREATED, receipt)
        # spec §11.4: v1 answers 201 Created, v2 200; the body is the full order either way.
        response = await guard.complete(
            respond(
                request,
                present_order(order),
                message="Order created",
                status_code=201 if caller.api_version == "v1" else 200,
            )
        )
        await session.commit()
        return response


@router.put(
    "/orders/{order_id}",
    summary="Ignore an order",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"status": {"type": "string", "enum": ["IGNORE"]}},
                        "required": ["status"],
                    }
                }
            },
        }
    },
)
async def update_order(
    order_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """``{"status": "IGNORE"}`` only (spec §11.5); a PENDING order becomes IGNORE."""
    order = await _order_in_scope(session, request, caller, order_id)
    target = read_status_update(await request.body(), order.id)
    if ignore_order(order):
        changed = await repo.change_status(session, order, source="PENDING", target=target)
        if not changed:
            ignore_order(order)  # the till moved it meanwhile: 400, or already IGNORE
        else:
            await order_event(session, ORDER_IGNORED, order)
        await session.commit()
    # The full order with payload: the existing client requires it (its notes, §8.5).
    return respond(request, present_order(order))
