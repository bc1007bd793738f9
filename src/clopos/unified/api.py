"""The unified POS routes: Apideck's ``/pos/*`` over a consumer's Clopos connection.

Every operation of unified-pos.md §2 is here. A request goes through the same steps:

1. **Who** — ``connections.resolve`` checks ``Authorization`` and the ``x-apideck-*``
   headers and finds the consumer's connection (401/400/404, spec §1.2).
2. **What** — ``wire.parse_query`` checks ``raw``, ``fields``, ``limit``, ``cursor``,
   ``filter[…]``, ``sort[…]``, ``pass_through[…]`` (400s, spec §1.3); bodies must be JSON
   objects (400).
3. **Clopos** — ``upstream.Upstream`` makes the calls through the pooled SDK client
   (Clopos errors become Apideck errors, spec §4).
4. **Mapping** — ``mapping`` (pure) turns Clopos orders, receipts and catalog records into
   unified objects and plans the writes (PATCH / DELETE / pay, spec §6, §9).
5. **Answer** — ``wire.success_body`` with exactly the status of spec §1.4 (201 for create
   and pay), ``content-type: application/json`` always.

Errors on ``/pos`` (ours, FastAPI's, unknown routes, wrong methods, crashes) all answer the
Apideck error envelope; the Open API keeps its own (``install_error_handlers``).

No database transaction is held across a Clopos call: the upstream may be this very
server, writing to the same SQLite file.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Final

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from clopos.server.middleware import BodyTooLarge
from clopos.server.responses import ClopoJSONResponse
from clopos.unified import connections, mapping
from clopos.unified.connections import Connection
from clopos.unified.errors import UnifiedError
from clopos.unified.state import UnifiedState
from clopos.unified.upstream import (
    ORDER_PAGE_MAX,
    PRODUCT_PAGE_MAX,
    RECEIPT_PAGE_MAX,
    Stream,
    Upstream,
    instant,
    merge_page,
)
from clopos.unified.wire import (
    Cursor,
    QueryParams,
    decode_cursor,
    encode_cursor,
    error_body,
    invalid_request,
    not_found,
    page_links,
    page_meta,
    parse_query,
    project,
    success_body,
    unsupported_operation,
)

__all__ = ["install_error_handlers", "mount", "router"]

log = logging.getLogger("clopos.unified")

PREFIX: Final = "/pos"
# Clopos objects carry no currency (spec §9.2): the venue currency defaults to AZN.
DEFAULT_CURRENCY: Final = "AZN"
# ``pass_through[key]`` a list forwards to Clopos (spec §1.3), per list.
ORDER_PASS_THROUGH: Final = ("status", "date_from", "date_to")
PAYMENT_PASS_THROUGH: Final = ("date_from", "date_to")


# --- mounting -----------------------------------------------------------------------------


def mount(app: FastAPI) -> None:
    """Serve ``/pos/*`` on ``app`` (after ``state.install``, which holds the pool and keys)
    with Apideck error envelopes on ``/pos`` only; call after the app's own handlers."""
    app.include_router(router)
    install_error_handlers(app)


def _state(request: Request) -> UnifiedState:
    state: UnifiedState | None = getattr(request.app.state, "unified", None)
    if state is None:
        raise UnifiedError(
            404, "IntegrationNotFoundError", "The unified API is not enabled on this server"
        )
    return state


# --- responses and errors -----------------------------------------------------------------


def error_response(error: UnifiedError) -> ClopoJSONResponse:
    """The Apideck error envelope (spec §4) with the error's status."""
    return ClopoJSONResponse(error_body(error), status_code=error.status_code)


def _is_unified(request: Request) -> bool:
    path = request.url.path
    root = request.scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == PREFIX or path.startswith(PREFIX + "/")


def _from_validation(exc: RequestValidationError) -> UnifiedError:
    errors = exc.errors()
    first = errors[0] if errors else {}
    location = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query"))
    message = str(first.get("msg", "invalid value"))
    return invalid_request(
        f"{location or 'request'}: {message}", {"invalid": [{location or "request": message}]}
    )


def _internal(request: Request) -> UnifiedError:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return UnifiedError(500, "InternalServerError", "Internal server error; the failure was logged")


class UnifiedRoute(APIRoute):
    """A route whose failures always answer the Apideck error envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except UnifiedError as exc:
                return error_response(exc)
            except RequestValidationError as exc:
                return error_response(_from_validation(exc))
            except BodyTooLarge:
                # Raised while the body streams in (no Content-Length); a declared size
                # over the cap is refused by the middleware before any route runs.
                limit = request.app.state.clopos.settings.max_body_bytes
                return error_response(
                    UnifiedError(
                        413,
                        "RequestValidationError",
                        f"The request body is larger than {limit} bytes",
                        {"max_bytes": limit},
                    )
                )
            except Exception:
                return error_response(_internal(request))

        return guarded


async def _delegate(handler: Callable[..., Any], request: Request, exc: Exception) -> Response:
    """Run the app's own handler (sync or async) for a path outside ``/pos``."""
    result = handler(request, exc)
    if inspect.isawaitable(result):
        result = await result
    assert isinstance(result, Response)
    return result


def install_error_handlers(app: FastAPI) -> None:
    """Apideck envelopes for errors raised outside a ``/pos`` route (unknown path, wrong
    method); every other path keeps the handler the app had."""
    previous_http = app.exception_handlers.get(StarletteHTTPException)
    previous_unified = app.exception_handlers.get(UnifiedError)

    async def http_error(request: Request, exc: Exception) -> Response:
        if not _is_unified(request) and previous_http is not None:
            return await _delegate(previous_http, request, exc)
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            error = UnifiedError(
                404,
                "EntityNotFoundError",
                f"No unified operation {request.method} {request.url.path}",
                {"not_found": {"entity": "route", "id": request.url.path}},
            )
        elif exc.status_code == 405:
            error = UnifiedError(
                405, "RequestValidationError", f"Method {request.method} is not allowed here"
            )
        else:
            error = UnifiedError(exc.status_code, "RequestValidationError", str(exc.detail))
        response = error_response(error)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def unified_error(request: Request, exc: Exception) -> Response:
        if not _is_unified(request) and previous_unified is not None:
            return await _delegate(previous_unified, request, exc)
        assert isinstance(exc, UnifiedError)
        return error_response(exc)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(UnifiedError, unified_error)


def _success(
    status_code: int,
    resource: str,
    operation: str,
    data: Any,
    call: Call,
    *,
    meta: Mapping[str, Any] | None = None,
    links: Mapping[str, Any] | None = None,
) -> ClopoJSONResponse:
    body = success_body(
        status_code=status_code,
        resource=resource,
        operation=operation,
        data=data,
        meta=meta,
        links=links,
        raw=call.upstream.raw or None,
        include_raw=call.query.raw,
    )
    return ClopoJSONResponse(body, status_code=status_code)


# --- one call -----------------------------------------------------------------------------


@dataclass
class Call:
    """One authenticated unified request: connection, query, upstream."""

    request: Request
    state: UnifiedState
    conn: Connection
    query: QueryParams
    upstream: Upstream
    # Clopos lists fetched once per call (venues, the catalog).
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def merchant_id(self) -> str:
        """The unified merchant: the connection's Clopos brand (spec §8)."""
        return self.conn.brand

    def session(self) -> AsyncSession:
        """A short database session (never held across a Clopos call)."""
        return self.state.sessions()

    def list_answer(
        self,
        resource: str,
        data: list[Any],
        *,
        current: str | None,
        next_cursor: str | None,
        previous: str | None,
    ) -> ClopoJSONResponse:
        """A list page: ``data`` projected by ``fields``, ``meta`` and ``links``."""
        base = str(self.request.url.replace(query=""))
        links = page_links(
            base,
            self.request.query_params.multi_items(),
            current=current,
            next_cursor=next_cursor,
            previous=previous,
        )
        meta = page_meta(len(data), current=current, next_cursor=next_cursor, previous=previous)
        return _success(
            200, resource, "all", project(data, self.query.fields), self, meta=meta, links=links
        )


async def _begin(
    request: Request, *, filters: Sequence[str] = (), sorts: Sequence[str] = ()
) -> Call:
    """Authenticate, find the connection, check the query (spec §1.2, §1.3)."""
    state = _state(request)
    conn = await state.connection(request.headers)
    query = parse_query(request.query_params.multi_items(), filters=filters, sorts=sorts)
    client = state.pool.client(conn)
    return Call(request, state, conn, query, Upstream(client, keep_raw=query.raw))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object (exact decimals); else 400 naming the problem."""
    raw = await request.body()
    if not raw.strip():
        raise invalid_request("The request body is empty; send a JSON object")
    try:
        body = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise invalid_request(
            f"The request body is not valid JSON: {exc.msg} at character {exc.pos}"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise invalid_request(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise invalid_request(
            "The request body must be a JSON object", {"invalid": [{"body": "object"}]}
        )
    return body


def _page_start(call: Call, resource: str) -> tuple[Cursor | None, Mapping[str, int]]:
    cursor = decode_cursor(call.query.cursor, resource=resource) if call.query.cursor else None
    return cursor, (cursor.offsets if cursor else {})


def _next_cursor(
    resource: str, cursor: Cursor | None, offsets: Mapping[str, int], more: bool
) -> str | None:
    if not more:
        return None
    page = (cursor.page if cursor else 1) + 1
    return encode_cursor(Cursor(resource=resource, page=page, offsets=offsets))


def _pass_through(call: Call, allowed: Sequence[str]) -> dict[str, str]:
    """``pass_through[key]=value`` a list may forward to Clopos; others → 400."""
    unknown = [key for key in call.query.pass_through if key not in allowed]
    if unknown:
        raise invalid_request(
            f"pass_through[{unknown[0]}] is not supported here"
            + (f"; supported: {', '.join(allowed)}" if allowed else ""),
            {"invalid": [{f"pass_through[{unknown[0]}]": "unsupported"}]},
        )
    return dict(call.query.pass_through)


# --- Clopos lookups shared by a call ------------------------------------------------------


async def _venues(call: Call) -> list[dict[str, Any]]:
    if call.cache.get("venues") is None:
        call.cache["venues"] = await call.upstream.venues()
    venues: list[dict[str, Any]] = call.cache["venues"]
    return venues


async def _venue_ids(call: Call) -> list[int]:
    ids = {v["id"] for v in await _venues(call) if isinstance(v.get("id"), int)}
    return sorted(ids)


async def _catalog(call: Call, *, products: bool) -> mapping.Catalog:
    """Sale types, payment methods and venues (small lists) and, when ``products``, the
    whole product catalog (only where names, prices or modifiers must be looked up)."""
    key = "catalog+products" if products else "catalog"
    cached = call.cache.get(key)
    if isinstance(cached, mapping.Catalog):
        return cached
    up = call.upstream
    loads: dict[str, Callable[[], Awaitable[list[dict[str, Any]]]]] = {
        "sale_types": up.sale_types,
        "payment_methods": up.payment_methods,
        "venues": partial(_venues, call),
    }
    if products:
        loads["products"] = up.products
    # Kept lists are taken as they are; only the missing ones are fetched (concurrently).
    lists: dict[str, list[dict[str, Any]] | None] = {}
    for name in loads:
        kept = call.cache.get(name)
        lists[name] = kept if kept is not None else up.peek(name)
    missing = [name for name, rows in lists.items() if rows is None]
    if missing:
        fetched = await asyncio.gather(*(loads[name]() for name in missing))
        lists.update(zip(missing, fetched, strict=True))
    built = mapping.Catalog.build(
        products=lists.get("products") or [],
        sale_types=lists["sale_types"] or [],
        venues=lists["venues"] or [],
        payment_methods=lists["payment_methods"] or [],
    )
    call.cache[key] = built
    return built


# --- orders -------------------------------------------------------------------------------

router = APIRouter(
    prefix=PREFIX,
    tags=["unified POS"],
    route_class=UnifiedRoute,
    generate_unique_id_function=lambda route: _camel(route.name),
)


def _camel(name: str) -> str:
    """``orders_all`` → ``ordersAll``, Apideck's operationIds (spec §2)."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


@dataclass(frozen=True)
class Sale:
    """A Clopos sale as the unified API sees it: an order, its receipt, or both."""

    unified_id: str
    order: dict[str, Any] | None
    receipt: dict[str, Any] | None
    # The order links a receipt that Clopos no longer has (deleted at the till).
    receipt_gone: bool = False


def _is_receipt_only(receipt: Mapping[str, Any]) -> bool:
    """A receipt rung up at the till without an order (spec §6.2)."""
    return mapping.receipt_order_id(receipt) is None


def _needs_products(sale: Sale) -> bool:
    """Whether mapping ``sale`` needs catalog names: order lines (without receipt lines)
    that carry modifiers or no product name of their own."""
    if sale.order is None or (sale.receipt is not None and "receipt_products" in sale.receipt):
        return False
    payload = sale.order.get("payload")
    products = payload.get("products") if isinstance(payload, Mapping) else None
    for line in products if isinstance(products, list) else []:
        if not isinstance(line, Mapping):
            continue
        if line.get("product_modificators"):
            return True
        meta = line.get("meta")
        snapshot = meta.get("order_product") if isinstance(meta, Mapping) else None
        product = snapshot.get("product") if isinstance(snapshot, Mapping) else None
        if not (isinstance(product, Mapping) and product.get("name")):
            return True
    return False


async def unified_orders(call: Call, sales: Sequence[Sale]) -> list[dict[str, Any]]:
    """The unified Orders of ``sales`` (spec §9)."""
    catalog = await _catalog(call, products=any(_needs_products(s) for s in sales))
    return [
        mapping.order_to_unified(
            sale.order,
            sale.receipt,
            merchant_id=call.merchant_id,
            currency=DEFAULT_CURRENCY,
            catalog=catalog,
            receipt_deleted=True if sale.receipt_gone else None,
        )
        for sale in sales
    ]


async def _with_receipt(call: Call, order: dict[str, Any]) -> Sale:
    receipt_id = mapping.order_receipt_id(order)
    unified_id = mapping.unified_order_id(order)
    if receipt_id is None:
        return Sale(unified_id, order, None)
    venue = order.get("venue_id")
    venues = [venue] if isinstance(venue, int) else await _venue_ids(call)
    receipt = await call.upstream.receipt(receipt_id, venues)
    return Sale(unified_id, order, receipt, receipt_gone=receipt is None)


async def load_sale(call: Call, unified_id: str) -> Sale:
    """The sale named by a path id, or 404 ``EntityNotFoundError``: unknown, deleted
    through this API (tombstoned, spec §6.4), or a receipt that belongs to an order.

    Deleted ids are checked without a database round trip of their own where that is safe:

    * ``resolve`` read the connection's deleted ids with it (``known_tombstones``, a few
      seconds old at most): one of them answers 404 without asking Clopos, as before;
    * a delete through ``/pos`` cancels the sale in Clopos *before* it writes the tombstone,
      so an id deleted since then — by another process: deletes in this one empty the
      resolution cache — is a sale Clopos shows cancelled (voided). Only such a sale is
      looked up;
    * a connection with more deleted ids than ``resolve`` keeps is looked up per id, while
      Clopos is asked; a deleted id answers 404 whatever Clopos said.
    """
    ref = mapping.parse_order_id(unified_id)
    known = call.conn.known_tombstones
    if known is not None and ref.text in known:
        raise not_found("order", unified_id)
    if known is None and call.conn.has_tombstones:
        return await _fetch_unless_tombstoned(call, ref, unified_id)
    sale = await _fetch_sale(call, ref, unified_id)
    if _looks_deleted(sale) and await _is_tombstoned(call, ref.text):
        raise not_found("order", unified_id)
    return sale


async def _fetch_unless_tombstoned(call: Call, ref: mapping.OrderRef, unified_id: str) -> Sale:
    """``_fetch_sale`` with the tombstone lookup running alongside."""
    lookup = asyncio.create_task(_is_tombstoned(call, ref.text))
    lookup.add_done_callback(_retrieved)  # a failure after our own is not "never retrieved"
    try:
        sale = await _fetch_sale(call, ref, unified_id)
    except UnifiedError:
        if await lookup:  # deleted: 404, whatever Clopos answered
            raise not_found("order", unified_id) from None
        raise
    except BaseException:
        lookup.cancel()
        raise
    if await lookup:
        raise not_found("order", unified_id)
    return sale


def _retrieved(task: asyncio.Task[bool]) -> None:
    if not task.cancelled():
        task.exception()


async def _is_tombstoned(call: Call, unified_id: str) -> bool:
    async with call.session() as session:
        return await connections.is_tombstoned(session, call.conn, unified_id)


def _looks_deleted(sale: Sale) -> bool:
    """Whether Clopos shows ``sale`` cancelled, as every delete through ``/pos`` leaves it."""
    receipt_deleted = True if sale.receipt_gone else None
    status = mapping.unified_status(sale.order, sale.receipt, receipt_deleted=receipt_deleted)
    return status == "voided"


async def _fetch_sale(call: Call, ref: mapping.OrderRef, unified_id: str) -> Sale:
    """The order (with its receipt) or receipt-only sale ``ref`` names, from Clopos."""
    venues = await _venue_ids(call)
    if ref.order_id is not None:
        order = await call.upstream.order(ref.order_id, venues)
        if order is None:
            raise not_found("order", unified_id)
        return await _with_receipt(call, order)
    assert ref.receipt_id is not None
    receipt = await call.upstream.receipt(ref.receipt_id, venues)
    if receipt is None or not _is_receipt_only(receipt):
        raise not_found("order", unified_id)
    return Sale(ref.text, None, receipt)


def _is_order_record(record: Mapping[str, Any]) -> bool:
    # Clopos orders carry ``payload``; receipts never do.
    return "payload" in record


@router.get("/orders", name="orders_all", summary="List orders")
async def list_orders(request: Request) -> Response:
    """Clopos orders plus receipt-only sales, newest first (spec §6.2)."""
    call = await _begin(request)
    forwarded = _pass_through(call, ORDER_PASS_THROUGH)
    cursor, offsets = _page_start(call, "orders")
    venues = await _venue_ids(call)
    location = call.query.params.get("location_id")
    if location is not None and location.strip():
        venues = [v for v in venues if str(v) == location.strip()]
    async with call.session() as session:
        hidden = await connections.tombstoned_ids(session, call.conn)
    status = forwarded.get("status")
    date_from, date_to = forwarded.get("date_from"), forwarded.get("date_to")
    limit = call.query.limit

    def order_entries(order: dict[str, Any]) -> list[dict[str, Any]]:
        return [] if str(order.get("id")) in hidden else [order]

    def receipt_entries(receipt: dict[str, Any]) -> list[dict[str, Any]]:
        if not _is_receipt_only(receipt) or f"r{receipt.get('id')}" in hidden:
            return []
        return [receipt]

    def created(record: dict[str, Any]) -> float:
        return instant(record.get("created_at"))

    streams: list[Stream] = []
    for venue in venues:
        streams.append(
            Stream(
                key=f"o{venue}",
                fetch=partial(
                    call.upstream.orders_page,
                    venue,
                    status=status,
                    date_from=date_from,
                    date_to=date_to,
                ),
                expand=order_entries,
                when=created,
                page_size=min(ORDER_PAGE_MAX, limit + 1),
            )
        )
        if status is None:  # an order status matches no receipt-only sale
            streams.append(
                Stream(
                    key=f"r{venue}",
                    fetch=partial(
                        call.upstream.receipts_page,
                        venue,
                        date_from=date_from,
                        date_to=date_to,
                    ),
                    expand=receipt_entries,
                    when=created,
                    page_size=min(RECEIPT_PAGE_MAX, limit + 1),
                )
            )
    records, after, more = await merge_page(streams, offsets, limit)
    sales = await asyncio.gather(
        *(_with_receipt(call, r) if _is_order_record(r) else _receipt_sale(r) for r in records)
    )
    return call.list_answer(
        "orders",
        await unified_orders(call, sales),
        current=call.query.cursor,
        next_cursor=_next_cursor("orders", cursor, after, more),
        previous=None,
    )


async def _receipt_sale(receipt: dict[str, Any]) -> Sale:
    return Sale(mapping.unified_order_id(None, receipt), None, receipt)


@router.post("/orders", name="orders_add", summary="Create order", status_code=201)
async def create_order(request: Request) -> Response:
    """A new Clopos order (201, ``data.id``), idempotent by ``idempotency_key`` (§6.1)."""
    call = await _begin(request)
    body = await _json_object(request)
    key = body.get("idempotency_key")
    if key is not None and not isinstance(key, str):
        raise invalid_request(
            "idempotency_key must be a string", {"invalid": [{"idempotency_key": "string"}]}
        )
    key = key or None
    if key is not None:
        fingerprint = mapping.create_fingerprint(body)
        async with call.session() as session:
            earlier = await connections.claim_idempotency(session, call.conn, key, fingerprint)
        if earlier is not None:
            return _success(201, "orders", "add", {"id": earlier}, call)
    try:
        payload = mapping.create_payload(
            body,
            api_version=call.conn.api_version,
            merchant_id=call.merchant_id,
            currency=DEFAULT_CURRENCY,
            catalog=await _catalog(call, products=True),
        )
        upstream_key = connections.upstream_idempotency_key(call.conn, key) if key else None
        created = await call.upstream.create_order(payload, idempotency_key=upstream_key)
    except Exception:
        if key is not None:
            # A refused create does not use its key up (the corrected body may reuse it).
            # A cancelled one keeps its claim: the retry replays through Clopos' own key.
            async with call.session() as session:
                await connections.release_idempotency(session, call.conn, key)
        raise
    unified_id = mapping.unified_order_id(created)
    if key is not None:
        async with call.session() as session:
            await connections.complete_idempotency(session, call.conn, key, unified_id)
    return _success(201, "orders", "add", {"id": unified_id}, call)


@router.get("/orders/{id}", name="orders_one", summary="Get order")
async def get_order(request: Request, id: str) -> Response:
    """One unified order (spec §6.2)."""
    call = await _begin(request)
    sale = await load_sale(call, id)
    (order,) = await unified_orders(call, [sale])
    return _success(200, "orders", "one", project(order, call.query.fields), call)


@router.patch("/orders/{id}", name="orders_update", summary="Update order")
async def update_order(request: Request, id: str) -> Response:
    """Change what Clopos can change (spec §6.3, §9.6): 404 → 400 → 409 → 422."""
    call = await _begin(request)
    sale = await load_sale(call, id)
    body = await _json_object(request)
    (current,) = await unified_orders(call, [sale])
    plan = mapping.plan_update(
        current, sale.order, sale.receipt, body, api_version=call.conn.api_version
    )
    if plan.customer_lookup is not None:
        customer = await call.upstream.customer(plan.customer_lookup)
        if customer is None:
            raise invalid_request(
                f"customer_id {plan.customer_lookup} names no Clopos customer",
                {"invalid": [{"customer_id": "unknown customer"}]},
            )
        plan = mapping.with_customer(plan, customer)
    up = call.upstream
    if plan.receipt_put and plan.receipt_id is not None:
        await up.put_receipt(
            plan.receipt_id, plan.venue_id, plan.receipt_cid or "", **plan.receipt_put
        )
    if plan.receipt_patch and plan.receipt_id is not None:
        await up.patch_receipt(plan.receipt_id, plan.venue_id, **plan.receipt_patch)
    if plan.order_put and plan.order_id is not None:
        await up.ignore_order(plan.order_id, plan.venue_id)
    return _success(200, "orders", "update", {"id": sale.unified_id}, call)


@router.delete("/orders/{id}", name="orders_delete", summary="Delete order")
async def delete_order(request: Request, id: str) -> Response:
    """Cancel downstream, then hide the id for good (spec §6.4)."""
    call = await _begin(request)
    sale = await load_sale(call, id)
    plan = mapping.plan_delete(sale.order, sale.receipt, api_version=call.conn.api_version)
    up = call.upstream
    if plan.receipt_id is not None:
        if plan.receipt_delete:
            await up.delete_receipt(plan.receipt_id, plan.venue_id)
        elif plan.receipt_patch:
            await up.patch_receipt(plan.receipt_id, plan.venue_id, **plan.receipt_patch)
    if plan.order_put and plan.order_id is not None:
        await up.ignore_order(plan.order_id, plan.venue_id)
    async with call.session() as session:
        first = await connections.tombstone(session, call.conn, plan.unified_id)
    if not first:  # a concurrent DELETE of the same order finished first
        raise not_found("order", id)
    return _success(200, "orders", "delete", {"id": sale.unified_id}, call)


@router.post("/orders/{id}/pay", name="orders_pay", summary="Pay order", status_code=201)
async def pay_order(request: Request, id: str) -> Response:
    """Close the order's receipt with the tenders of the body (spec §6.5)."""
    call = await _begin(request)
    sale = await load_sale(call, id)
    body = await _json_object(request)
    (current,) = await unified_orders(call, [sale])
    plan = mapping.plan_pay(
        current,
        sale.order,
        sale.receipt,
        body,
        api_version=call.conn.api_version,
        currency=DEFAULT_CURRENCY,
        catalog=await _catalog(call, products=False),
    )
    await call.upstream.close_receipt(
        plan.receipt_id,
        plan.venue_id,
        plan.payment_methods,
        cid=plan.cid,
        closed_at=plan.closed_at,
    )
    data = project({"id": sale.unified_id}, call.query.fields)
    return _success(201, "orders", "pay", data, call)


# --- payments -----------------------------------------------------------------------------


def _payments_of(receipt: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    methods = receipt.get("payment_methods")
    count = len(methods) if isinstance(methods, list) else 0
    return [(receipt, index) for index in range(count)]


async def _unified_payments(
    call: Call, entries: Sequence[tuple[dict[str, Any], int]]
) -> list[dict[str, Any]]:
    catalog = await _catalog(call, products=False)
    return [
        mapping.payment_from_receipt(
            receipt,
            index,
            merchant_id=call.merchant_id,
            currency=DEFAULT_CURRENCY,
            catalog=catalog,
        )
        for receipt, index in entries
    ]


@router.get("/payments", name="payments_all", summary="List payments")
async def list_payments(request: Request) -> Response:
    """Every payment of every receipt, newest receipt first (spec §7)."""
    call = await _begin(request)
    forwarded = _pass_through(call, PAYMENT_PASS_THROUGH)
    cursor, offsets = _page_start(call, "payments")
    streams = [
        Stream(
            key=f"r{venue}",
            fetch=partial(
                call.upstream.receipts_page,
                venue,
                date_from=forwarded.get("date_from"),
                date_to=forwarded.get("date_to"),
            ),
            expand=_payments_of,
            when=lambda receipt: instant(receipt.get("created_at")),
            page_size=min(RECEIPT_PAGE_MAX, call.query.limit + 1),
        )
        for venue in await _venue_ids(call)
    ]
    entries, after, more = await merge_page(streams, offsets, call.query.limit)
    return call.list_answer(
        "payments",
        await _unified_payments(call, entries),
        current=call.query.cursor,
        next_cursor=_next_cursor("payments", cursor, after, more),
        previous=None,
    )


@router.get("/payments/{id}", name="payments_one", summary="Get payment")
async def get_payment(request: Request, id: str) -> Response:
    """One payment, ``<receipt id>-<index>``."""
    call = await _begin(request)
    receipt_id, index = mapping.parse_payment_id(id)
    receipt = await call.upstream.receipt(receipt_id, await _venue_ids(call))
    if receipt is None or index >= len(_payments_of(receipt)):
        raise not_found("payment", id)
    (payment,) = await _unified_payments(call, [(receipt, index)])
    return _success(200, "payments", "one", project(payment, call.query.fields), call)


# --- catalog resources --------------------------------------------------------------------

Loader = Callable[[Call], Awaitable[list[dict[str, Any]]]]


async def _merchants(call: Call) -> list[dict[str, Any]]:
    return [
        mapping.merchant_from_brand(
            call.conn.brand, currency=DEFAULT_CURRENCY, venues=await _venues(call)
        )
    ]


async def _locations(call: Call) -> list[dict[str, Any]]:
    return [
        mapping.location_from_venue(venue, merchant_id=call.merchant_id, currency=DEFAULT_CURRENCY)
        for venue in await _venues(call)
    ]


async def _order_types(call: Call) -> list[dict[str, Any]]:
    sale_types = await call.upstream.sale_types()
    default = mapping.default_sale_type_id(sale_types, call.conn.venue_id)
    return [
        mapping.order_type_from_sale_type(s, default=s.get("id") == default) for s in sale_types
    ]


async def _tenders(call: Call) -> list[dict[str, Any]]:
    return [
        mapping.tender_from_payment_method(m, venue_id=call.conn.venue_id)
        for m in await call.upstream.payment_methods()
    ]


def _groups(products: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Distinct modifier groups of the catalog, in first-seen order."""
    seen: dict[str, Mapping[str, Any]] = {}
    for product in products:
        groups = product.get("modificator_groups")
        for group in groups if isinstance(groups, list) else []:
            if isinstance(group, Mapping) and group.get("id") is not None:
                seen.setdefault(str(group["id"]), group)
    return list(seen.values())


async def _modifier_groups(call: Call) -> list[dict[str, Any]]:
    return [
        mapping.modifier_group_from_group(group, currency=DEFAULT_CURRENCY)
        for group in _groups(await call.upstream.products())
    ]


async def _modifiers(call: Call) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for group in _groups(await call.upstream.products()):
        choices = group.get("modificators")
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, Mapping) and choice.get("id") is not None:
                modifier = mapping.modifier_from_modificator(
                    choice, group_id=group.get("id"), currency=DEFAULT_CURRENCY
                )
                found.setdefault(modifier["id"], modifier)
    return list(found.values())


@dataclass(frozen=True)
class CatalogResource:
    """A read-only resource read whole from Clopos and paged here (these lists are short)."""

    resource: str
    entity: str
    load: Loader
    filters: tuple[str, ...] = ()


CATALOG_RESOURCES: Final = (
    CatalogResource("merchants", "merchant", _merchants),
    CatalogResource("locations", "location", _locations),
    CatalogResource("modifiers", "modifier", _modifiers, ("modifier_group_id",)),
    CatalogResource("modifier-groups", "modifier_group", _modifier_groups),
    CatalogResource("order-types", "order_type", _order_types),
    CatalogResource("tenders", "tender", _tenders),
)


def _filtered(call: Call, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for name, value in call.query.filters.items():
        rows = [row for row in rows if str(row.get(name)) == value.strip()]
    return rows


def _catalog_list(spec: CatalogResource) -> Callable[[Request], Awaitable[Response]]:
    async def list_all(request: Request) -> Response:
        call = await _begin(request, filters=spec.filters)
        cursor, offsets = _page_start(call, spec.resource)
        rows = _filtered(call, await spec.load(call))
        limit = call.query.limit
        start = min(offsets.get("all", 0), len(rows))
        end = start + limit
        page = cursor.page if cursor else 1
        next_cursor = (
            encode_cursor(Cursor(spec.resource, page + 1, {"all": end}))
            if end < len(rows)
            else None
        )
        previous = (
            encode_cursor(Cursor(spec.resource, page - 1, {"all": max(0, start - limit)}))
            if cursor is not None and page > 1
            else None
        )
        return call.list_answer(
            spec.resource,
            rows[start:end],
            current=call.query.cursor,
            next_cursor=next_cursor,
            previous=previous,
        )

    list_all.__doc__ = f"List {spec.resource} (read from Clopos, spec §7)."
    return list_all


def _catalog_one(spec: CatalogResource) -> Callable[[Request, str], Awaitable[Response]]:
    async def get_one(request: Request, id: str) -> Response:
        call = await _begin(request, filters=spec.filters)
        rows = _filtered(call, await spec.load(call))
        match = next((row for row in rows if str(row.get("id")) == id), None)
        if match is None:
            raise not_found(spec.entity, id)
        return _success(200, spec.resource, "one", project(match, call.query.fields), call)

    get_one.__doc__ = f"One of the {spec.resource} (spec §7)."
    return get_one


# --- items (streamed: a catalog may be long) -----------------------------------------------

# Sellable product types (clopos-open-api.md §10.1); ingredients and preparations are not
# items, and a GOODS product's variants come with it.
ITEM_TYPES: Final = ("DISH", "GOODS", "TIMER")
ITEM_RELATIONS: Final = ("category", "modificator_groups")


def _item(product: Mapping[str, Any]) -> dict[str, Any]:
    category = product.get("category")
    names = (
        {category["id"]: str(category["name"])}
        if isinstance(category, Mapping)
        and isinstance(category.get("id"), int)
        and category.get("name")
        else None
    )
    return mapping.item_from_product(product, currency=DEFAULT_CURRENCY, category_names=names)


@router.get("/items", name="items_all", summary="List items")
async def list_items(request: Request) -> Response:
    """Sellable Clopos products, in catalog order."""
    call = await _begin(request)
    cursor, offsets = _page_start(call, "items")
    stream = Stream(
        key="p",
        fetch=partial(call.upstream.products_page, relations=ITEM_RELATIONS, types=ITEM_TYPES),
        expand=lambda product: [product],
        when=lambda _product: 0.0,
        page_size=min(PRODUCT_PAGE_MAX, call.query.limit + 1),
    )
    products, after, more = await merge_page([stream], offsets, call.query.limit)
    return call.list_answer(
        "items",
        [_item(p) for p in products],
        current=call.query.cursor,
        next_cursor=_next_cursor("items", cursor, after, more),
        previous=None,
    )


@router.get("/items/{id}", name="items_one", summary="Get item")
async def get_item(request: Request, id: str) -> Response:
    """One sellable product."""
    call = await _begin(request)
    product = await call.upstream.product(mapping.parse_int_id(id, "item"))
    if product is None or product.get("type") not in ITEM_TYPES:
        raise not_found("item", id)
    return _success(200, "items", "one", project(_item(product), call.query.fields), call)


# --- the catalog routes and every unsupported write ---------------------------------------

for _spec in CATALOG_RESOURCES:
    _name = _spec.resource.replace("-", "_")
    router.add_api_route(
        f"/{_spec.resource}",
        _catalog_list(_spec),
        methods=["GET"],
        name=f"{_name}_all",
        summary=f"List {_spec.resource}",
    )
    router.add_api_route(
        f"/{_spec.resource}/{{id}}",
        _catalog_one(_spec),
        methods=["GET"],
        name=f"{_name}_one",
        summary=f"Get one of the {_spec.resource}",
    )


def _unsupported(resource: str, operation: str) -> Callable[[Request], Awaitable[Response]]:
    async def refuse(request: Request) -> Response:
        await _begin(request)
        raise unsupported_operation(resource, operation)

    refuse.__doc__ = f"{operation} on {resource}: Clopos cannot do it (501, spec §7)."
    return refuse


READ_ONLY_RESOURCES: Final = (
    "payments",
    "merchants",
    "locations",
    "items",
    "modifiers",
    "modifier-groups",
    "order-types",
    "tenders",
)
_WRITES: Final = (("POST", "", "add"), ("PATCH", "/{id}", "update"), ("DELETE", "/{id}", "delete"))
for _resource in READ_ONLY_RESOURCES:
    for _method, _suffix, _operation in _WRITES:
        router.add_api_route(
            f"/{_resource}{_suffix}",
            _unsupported(_resource, _operation),
            methods=[_method],
            name=f"{_resource.replace('-', '_')}_{_operation}",
            summary=f"{_operation.title()} ({_resource}): not supported",
        )
