"""Receipts (spec §12) on the prefixes the docs give them.

* ``router`` (both prefixes): ``GET /receipts``, ``GET /receipts/{id}``,
  ``PATCH /receipts/{id}``.
* ``v2_router`` (``/open-api/v2`` only): ``POST /receipts/{id}/close``,
  ``GET /receipts/{id}/stock-operations``.
* ``v1_router`` (``/open-api`` only): ``POST /receipts`` (import a sale),
  ``PUT /receipts/{id}``, ``DELETE /receipts/{id}``.

A receipt is visible only to callers of its brand **and** venue (spec §5.2: 404 otherwise);
v2's venue is the token's (or ``x-venue``), v1's the ``x-venue`` header. Receipts answer
``not_found`` "Receipt not found", not ``resource_not_found`` (spec §14.2).

Bodies are read by hand with ``parse_float=Decimal`` so money keeps its exact digits
(``8.50`` stays ``8.50``); body rules live in ``domain/receipts.py``, SQL in
``store/repositories/receipts.py``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Numeric, cast
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.deps import Caller, CallerDep, SessionDep
from clopos.server.api.params import json_body, list_params, model_schema, query_param
from clopos.server.domain import receipts as rules
from clopos.server.domain.envelope import success_envelope
from clopos.server.domain.query import (
    MAX_ID,
    LimitRule,
    ListQuery,
    Sort,
    id_from_text,
    parse_list_query,
    path_id,
)
from clopos.server.domain.timestamps import utcnow
from clopos.server.errors import Conflict, InvalidParameter, ReceiptNotFound
from clopos.server.events import types as events
from clopos.server.events.resources import receipt_event, receipt_resource
from clopos.server.idempotency import header_parameter, idempotent
from clopos.server.responses import ClopoJSONResponse, elapsed_ms, respond
from clopos.server.store.models import Receipt, ReceiptProduct
from clopos.server.store.repositories import receipts as repo
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()
# Served only under /open-api/v2 (close, stock operations: spec §12.8, §12.10).
v2_router = APIRouter()
# Served only under /open-api (create, PUT, DELETE: spec §12.5, §12.7, §12.9).
v1_router = APIRouter()

LIMITS = LimitRule(default=50, maximum=200)  # spec §12.2: 1–200, default 50
SORTS = ("created_at", "updated_at", "closed_at", "total", "id")
DEFAULT_SORT = Sort("created_at", -1)  # spec §12.2: sort[0] created_at, sort[1] -1
_SORT_COLUMNS: dict[str, Any] = {
    "created_at": Receipt.created_at,
    "updated_at": Receipt.updated_at,
    "closed_at": Receipt.closed_at,
    # Money is text on SQLite; the cast makes 100 sort above 25 on both databases.
    "total": cast(Receipt.total, Numeric),
    "id": Receipt.id,
}
WITH_LINES = "receipt_products"
WITH_MODIFICATORS = "receipt_products.modificators"
WITH_GROUP = "receipt_products.modificators.modificator_group"
WITH_PRODUCT = "receipt_products.product"
WITH_UNIT = "receipt_products.product.unit"
WITH_STATION = "receipt_products.product.station"
WITH_VALUES = (WITH_LINES, WITH_MODIFICATORS, WITH_GROUP, WITH_PRODUCT, WITH_UNIT, WITH_STATION)
FILTER_FIELDS = ("status", "sale_type_id", "terminal_id")

_WITH_PARAM = query_param(
    "with[]",
    "Related data to include (repeatable). On v1 `receipt_products` is always included.",
    {"type": "array", "items": {"type": "string", "enum": list(WITH_VALUES)}},
)


def _body_doc(schema: dict[str, Any], *, idempotent_post: bool = False) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body by hand."""
    extra = json_body(schema)
    if idempotent_post:
        extra["parameters"] = [header_parameter()]
    return extra


# --- reading requests ---------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


async def _json_body(request: Request) -> Any:
    """The body as JSON with exact decimals; an empty body is ``None``."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        position = exc.pos if isinstance(exc, json.JSONDecodeError) else 0
        raise rules.invalid(
            "body", f"The request body is not valid JSON: {reason} at character {position}"
        ) from None


def _withs(query: ListQuery) -> frozenset[str]:
    """The requested relations; an unknown one is a 400 rather than silently dropped."""
    for name in query.with_:
        if name not in WITH_VALUES:
            raise InvalidParameter(
                f"Unknown relation in with[]: {name!r}; use one of {', '.join(WITH_VALUES)}",
                details={"parameter": "with", "provided_value": name},
            )
    return frozenset(query.with_)


def _filters(query: ListQuery) -> repo.ReceiptFilters:
    """``filters[N]`` on ``status``, ``sale_type_id``, ``terminal_id`` (spec §12.1) and the
    inclusive ``date[0..1]`` range on ``created_at`` (spec §12.2)."""
    found: dict[str, tuple[int, ...]] = {}
    for index, item in enumerate(query.filters):
        if item.field not in FILTER_FIELDS:
            raise InvalidParameter(
                "Invalid filter parameters",
                details={
                    "parameter": f"filters[{index}][0]",
                    "provided_value": item.field,
                    "hint": f"filter fields are {', '.join(FILTER_FIELDS)}",
                },
            )
        numbers = [id_from_text(v) for v in item.values()]
        if not numbers or any(n is None or n > MAX_ID for n in numbers):
            raise InvalidParameter(
                "Invalid filter parameters",
                details={
                    "parameter": f"filters[{index}][1]",
                    "provided_value": item.value,
                    "hint": f"{item.field} takes integers",
                },
            )
        values = tuple(n for n in numbers if n is not None)
        # Two filters on one field both apply (AND): keep the values they share.
        previous = found.get(item.field)
        found[item.field] = values if previous is None else tuple(set(previous) & set(values))
    start, end = query.date_bounds()
    return repo.ReceiptFilters(
        statuses=found.get("status"),
        sale_type_ids=found.get("sale_type_id"),
        terminal_ids=found.get("terminal_id"),
        created_from=start,
        created_before=end,
    )


async def _receipt_or_404(session: AsyncSession, caller: Caller, raw_id: str) -> Receipt:
    """The caller's receipt (brand + venue) named by the path, else 404 ``not_found``."""
    number = path_id(raw_id)
    receipt = None
    if number is not None:
        receipt = await repo.receipt_of_brand(
            session, caller.brand_id, number, venue_id=caller.venue_id
        )
    if receipt is None:
        raise ReceiptNotFound()
    return receipt


# --- presenting ---------------------------------------------------------------------------


async def _present(
    session: AsyncSession, caller: Caller, receipts: list[Receipt], withs: frozenset[str]
) -> list[dict[str, Any]]:
    """Receipts as wire objects. Lines are included on v1 always (the v1 OAS shows them on
    every receipt) and on v2 when ``with[]`` names ``receipt_products`` or a sub-relation."""
    wants_lines = caller.api_version == "v1" or any(w.startswith(WITH_LINES) for w in withs)
    if not wants_lines:
        return [rules.present_receipt(r) for r in receipts]
    by_receipt = await repo.lines_of(session, (r.id for r in receipts))
    all_lines = [line for lines in by_receipt.values() for line in lines]
    with_group = WITH_GROUP in withs
    with_modificators = with_group or WITH_MODIFICATORS in withs
    with_unit, with_station = WITH_UNIT in withs, WITH_STATION in withs
    with_product = with_unit or with_station or WITH_PRODUCT in withs
    related = await repo.line_relations(
        session,
        caller.brand_id,
        all_lines,
        products=with_product,
        units=with_unit,
        stations=with_station,
        groups=with_group,
    )

    def line_body(line: ReceiptProduct) -> dict[str, Any]:
        modificators = None
        if with_modificators:
            modificators = [
                rules.present_modificator(
                    m,
                    rules.present_group_brief(_group_of(related, m)),
                    with_group=with_group,
                )
                for m in (line.modificators or [])
                if isinstance(m, dict)
            ]
        product = None
        if with_product and (found := related.products.get(line.product_id)) is not None:
            product = rules.present_line_product(
                found,
                unit=related.units.get(found.unit_id) if found.unit_id else None,
                station=related.stations.get(found.station_id) if found.station_id else None,
                with_unit=with_unit,
                with_station=with_station,
            )
        return rules.present_receipt_product(
            line, modificators=modificators, product=product, with_product=with_product
        )

    return [
        rules.present_receipt(r, [line_body(line) for line in by_receipt.get(r.id, [])])
        for r in receipts
    ]


def _group_of(related: repo.LineRelations, modificator: dict[str, Any]) -> Any:
    group_id = modificator.get("modificator_group_id")
    return related.groups.get(group_id) if isinstance(group_id, int) else None


async def _present_one(
    session: AsyncSession, caller: Caller, receipt: Receipt, withs: frozenset[str] = frozenset()
) -> dict[str, Any]:
    (body,) = await _present(session, caller, [receipt], withs)
    return body


# --- both prefixes ------------------------------------------------------------------------


@router.get(
    "/receipts",
    summary="List receipts of the venue",
    openapi_extra=list_params(
        LIMITS,
        with_values=WITH_VALUES,
        filter_fields=FILTER_FIELDS,
        sorts=SORTS,
        dates=True,
        extra=[
            query_param(
                "sort_by", "Alias of sort[0] (the existing Python client).", {"type": "string"}
            ),
            query_param(
                "sort_order", "Alias of sort[1] (the existing Python client).", {"type": "integer"}
            ),
            query_param(
                "date_from", "Alias of date[0] (the existing Python client).", {"type": "string"}
            ),
            query_param(
                "date_to", "Alias of date[1] (the existing Python client).", {"type": "string"}
            ),
        ],
    ),
)
async def list_receipts(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Receipts of the caller's brand and venue, newest first unless ``sort[0]`` says
    otherwise; ``date[0]``/``date[1]`` bound ``created_at``, both days inclusive."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=DEFAULT_SORT,
    )
    withs = _withs(query)
    filters = _filters(query)
    sort = query.sort or DEFAULT_SORT
    column = _SORT_COLUMNS[sort.field]
    ordered = column.asc() if sort.direction == 1 else column.desc()
    if sort.field == "closed_at":
        ordered = ordered.nulls_last()  # open receipts last, on both databases
    tie = Receipt.id.asc() if sort.direction == 1 else Receipt.id.desc()
    rows, total = await fetch_page(
        session,
        repo.receipts_query(caller.brand_id, caller.venue_id, filters),
        query,
        order_by=[ordered, tie],
    )
    data = await _present(session, caller, rows, withs)
    return respond(request, data, total=total, sorts=SORTS)


@router.get(
    "/receipts/{receipt_id}",
    summary="Get a receipt",
    openapi_extra={"parameters": [_WITH_PARAM]},
)
async def get_receipt(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One receipt of the caller's brand and venue; 404 ``not_found`` "Receipt not found"."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    withs = _withs(query)
    receipt = await _receipt_or_404(session, caller, receipt_id)
    return respond(request, await _present_one(session, caller, receipt, withs))


@router.patch(
    "/receipts/{receipt_id}",
    summary="Update order_status, order_number, fiscal_id or lock (also on closed receipts)",
    openapi_extra=_body_doc(model_schema(rules.PatchBody)),
)
async def patch_receipt(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """spec §12.6: only the four fields; anything else is 400 "Invalid field values
    provided". ``id``/``cid`` in the body are tolerated when they name this receipt.
    Answers the full receipt with the documented Azerbaijani message."""
    raw = await _json_body(request)
    body = rules.parse_patch(raw)
    receipt = await _receipt_or_404(session, caller, receipt_id)
    if body.id is not None and id_from_text(str(body.id)) != receipt.id:
        raise rules.invalid(
            "id",
            f"id in the body must be this receipt's id ({receipt.id})",
            summary=rules.PATCH_INVALID,
        )
    if body.cid is not None and body.cid != receipt.cid:
        raise rules.invalid(
            "cid", "cid in the body must be this receipt's cid", summary=rules.PATCH_INVALID
        )
    changes = body.changes()
    repo.apply_patch(receipt, changes)
    if changes:
        await receipt_event(session, events.RECEIPT_UPDATED, receipt)
    await session.commit()
    data = await _present_one(session, caller, receipt)
    return respond(request, data, message=rules.PATCH_DONE)


# --- v2 only ------------------------------------------------------------------------------


@v2_router.post(
    "/receipts/{receipt_id}/close",
    summary="Close an open receipt",
    openapi_extra=_body_doc(model_schema(rules.CloseBody)),
)
async def close_receipt(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """spec §12.8: pay and close an open receipt; its stock is written off.

    ``data`` is the docs' ``{id, closed_at, payment_methods}`` plus ``status``, ``total``,
    ``created_at`` and ``updated_at`` (the existing client parses it as a Receipt).
    """
    raw = await _json_body(request)
    body = rules.parse_body(rules.CloseBody, raw)
    receipt = await _receipt_or_404(session, caller, receipt_id)
    payments = [p.model_dump() for p in body.payment_methods]
    await repo.close_receipt(session, receipt, payments, body.closed_at)
    await receipt_event(session, events.RECEIPT_CLOSED, receipt)
    await session.commit()
    return respond(request, rules.present_close_result(receipt), message="Receipt closed")


@v2_router.get(
    "/receipts/{receipt_id}/stock-operations",
    summary="Stock written off by a receipt",
)
async def receipt_stock_operations(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """spec §12.10: the receipt's own write-offs, oldest first (not paged)."""
    receipt = await _receipt_or_404(session, caller, receipt_id)
    operations = await repo.stock_operations(session, receipt.id)
    data = [
        rules.present_stock_operation(op, product_name=product, storage_name=storage)
        for op, product, storage in operations
    ]
    return respond(request, data, total=len(data))


# --- v1 only ------------------------------------------------------------------------------


@v1_router.post(
    "/receipts",
    summary="Import a sale as a receipt",
    status_code=201,
    openapi_extra=_body_doc(model_schema(rules.ReceiptCreate), idempotent_post=True),
)
async def create_receipt(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """spec §12.5: store a sale made elsewhere; 201 with the full receipt.

    Closed (``closed_at`` or ``status: 2``) imports need payments that add up to the total
    and write off stock; ``status: 1`` without ``closed_at`` stores an open receipt. A
    ``cid`` the brand already has is 409. Nobody is notified (no till push).
    """
    body = rules.parse_create(await _json_body(request))
    async with idempotent(request, caller, session) as guard:
        if guard.replay is not None:
            return guard.replay
        try:
            receipt = await repo.create_receipt(
                session, brand_id=caller.brand_id, venue_id=caller.venue_id, body=body
            )
        except repo.DuplicateCid:
            raise Conflict(
                "A receipt with this cid already exists", details={"field": "cid"}
            ) from None
        await receipt_event(session, events.RECEIPT_CREATED, receipt)
        if receipt.status == rules.CLOSED:
            # An imported sale that is already paid: "closed" listeners hear of it too.
            await receipt_event(session, events.RECEIPT_CLOSED, receipt)
        data = await _present_one(session, caller, receipt)
        response = await guard.complete(
            respond(request, data, message="Receipt created", status_code=201)
        )
        await session.commit()
        return response


@v1_router.put(
    "/receipts/{receipt_id}",
    summary="Update an open receipt, or close it",
    openapi_extra=_body_doc(model_schema(rules.ReceiptUpdate)),
)
async def update_receipt(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """spec §12.7: ``id`` and ``cid`` must name this receipt; a non-empty ``closed_at`` with
    ``payment_methods`` closes it (same rules as v2 close). Closed receipts answer 400:
    use PATCH for what may still change."""
    number = path_id(receipt_id)
    if number is None:
        raise ReceiptNotFound()
    body = rules.parse_update(await _json_body(request))
    if body.id != number:
        raise rules.invalid("id", f"The id field must equal the receipt id in the path ({number})")
    receipt = await _receipt_or_404(session, caller, receipt_id)
    if body.cid != receipt.cid:
        raise rules.invalid(
            "cid",
            "The cid field must equal the receipt's cid: a different id/cid pair would be "
            "a new receipt, which PUT does not create",
        )
    closed = await repo.update_receipt(session, receipt, body)
    await receipt_event(
        session, events.RECEIPT_CLOSED if closed else events.RECEIPT_UPDATED, receipt
    )
    await session.commit()
    data = await _present_one(session, caller, receipt)
    return respond(request, data, message="Receipt closed" if closed else "Receipt updated")


@v1_router.delete("/receipts/{receipt_id}", summary="Delete a receipt")
async def delete_receipt(
    receipt_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """spec §12.9: remove the receipt for good (it answers 404 afterwards) and roll its
    stock operations back. The body (the old client sends ``{}``) is ignored."""
    receipt = await _receipt_or_404(session, caller, receipt_id)
    before = await receipt_resource(session, receipt)  # the event shows what was deleted
    if not await repo.delete_receipt(session, receipt):
        raise ReceiptNotFound()
    await receipt_event(session, events.RECEIPT_DELETED, receipt, resource=before)
    await session.commit()
    body = success_envelope(
        None,
        now=utcnow(),
        elapsed_ms=elapsed_ms(request),
        message="Receipt removed successfully",
    )
    del body["data"]  # spec §12.9 shows no data
    return ClopoJSONResponse(body)
