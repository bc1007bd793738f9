"""The till: what a POS terminal does that the Open API cannot (DESIGN.md, "the POS side").

An integration creates orders and reads receipts; a clerk at the till accepts the order
(opening its receipt), adds lines, takes payment, marks the order delivered and keeps the
stop list. Each function here is one such action, as a unit of work: it looks the rows up
inside the given brand, applies the rule, writes through the same repositories the API
uses, and **commits**. The ``/sandbox`` routes (``clopos.server.api.sandbox``) and the
``clopos till`` commands (``clopos.cli``) both call these functions, so the two faces can
never disagree.

Refusals are ``ApiError`` subclasses (the routes render them; the CLI prints one line):
404 for an unknown order, receipt, product or brand, 409 for an order in the wrong state,
400 naming the field for bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.orders import ORDER_STATUSES, PUT_STATUS
from clopos.server.domain.query import MAX_ID
from clopos.server.domain.receipts import invalid
from clopos.server.domain.timestamps import utcnow
from clopos.server.errors import (
    Conflict,
    InvalidParameter,
    ReceiptNotFound,
    ResourceNotFound,
)
from clopos.server.events import types as events
from clopos.server.events.resources import (
    order_event,
    receipt_event,
    stop_list_lifted,
    stop_list_set,
)
from clopos.server.store.models import (
    Brand,
    Order,
    PaymentMethod,
    Product,
    Receipt,
    ReceiptProduct,
    StopListEntry,
)
from clopos.server.store.repositories import orders as orders_repo
from clopos.server.store.repositories import receipts as receipts_repo
from clopos.server.store.repositories import tenancy
from clopos.server.store.repositories.receipts import NewLine

MAX_LISTED = 500


@dataclass(frozen=True)
class Tender:
    """One payment at the till: a payment method (id, or name as a clerk types it) and
    the amount taken."""

    method: int | str
    amount: Decimal


# --- lookups ------------------------------------------------------------------------------


async def brand_named(session: AsyncSession, slug: str) -> Brand:
    """The brand with this slug; 404 when there is none."""
    brand = await tenancy.brand_by_slug(session, slug)
    if brand is None:
        raise ResourceNotFound(f"No brand {slug!r}; see `clopos brand list`")
    return brand


async def _order(session: AsyncSession, brand_id: int, order_id: int) -> Order:
    order = await orders_repo.order_of_brand(session, brand_id, order_id)
    if order is None:
        raise ResourceNotFound("Order not found")
    return order


async def _receipt(session: AsyncSession, brand_id: int, receipt_id: int) -> Receipt:
    receipt = await receipts_repo.receipt_of_brand(session, brand_id, receipt_id)
    if receipt is None:
        raise ReceiptNotFound()  # "Receipt not found", as the receipts API says (§14.2)
    return receipt


async def linked_receipts(
    session: AsyncSession, brand_id: int, orders: Sequence[Order]
) -> dict[int, Receipt]:
    """The receipt the till opened for each order, by order id (absent before acceptance)."""
    found = await orders_repo.receipts_by_id(session, brand_id, (o.receipt_id for o in orders))
    return {
        o.id: found[o.receipt_id]
        for o in orders
        if o.receipt_id is not None and o.receipt_id in found
    }


async def receipt_lines(session: AsyncSession, receipt: Receipt) -> list[ReceiptProduct]:
    """The receipt's live lines, in the order they were added."""
    return (await receipts_repo.lines_of(session, [receipt.id]))[receipt.id]


# --- orders -------------------------------------------------------------------------------


def check_status(status: str) -> str:
    """An order status as the till's list takes it (any case); 400 naming ``status``."""
    wanted = status.strip().upper()
    if wanted not in ORDER_STATUSES:
        raise InvalidParameter(
            f"status must be one of {', '.join(ORDER_STATUSES)}",
            details={"parameter": "status", "provided_value": status},
        )
    return wanted


async def orders_at_till(
    session: AsyncSession,
    brand_id: int,
    *,
    status: str = "PENDING",
    venue_id: int | None = None,
    limit: int = 100,
) -> list[Order]:
    """The brand's orders in ``status`` (all venues unless ``venue_id``), newest first."""
    filters = orders_repo.OrderFilters(venue_id=venue_id, statuses=[[check_status(status)]])
    statement = (
        orders_repo.orders_query(brand_id, filters)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(max(1, min(limit, MAX_LISTED)))
    )
    return list((await session.scalars(statement)).all())


async def _move(session: AsyncSession, order: Order, *, source: str, target: str) -> None:
    """Change the order's status from ``source`` to ``target`` — only if it still is
    ``source`` in the database, so that two tills (or a till and the integration's PUT)
    acting at once cannot both win: the loser gets 409."""
    if order.status != source:
        raise _wrong_state(order, source, target)
    moved = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == source)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        await session.refresh(order)
        raise _wrong_state(order, source, target)
    await session.refresh(order)


def _wrong_state(order: Order, source: str, target: str) -> Conflict:
    verb = {"RECEIVED": "accepted", "IGNORE": "ignored", "DELIVERED": "delivered"}[target]
    return Conflict(
        f"Order {order.id} is {order.status}; only a {source} order can be {verb}",
        details={"status": order.status, "required_status": source},
    )


async def accept_order(
    session: AsyncSession, brand_id: int, order_id: int, *, user_id: int | None = None
) -> tuple[Order, Receipt]:
    """PENDING → RECEIVED, opening the linked receipt (spec §11.1); committed."""
    order = await _order(session, brand_id, order_id)
    await _move(session, order, source="PENDING", target="RECEIVED")
    receipt = await receipts_repo.open_receipt_for_order(session, order, user_id=user_id)
    await order_event(session, events.ORDER_ACCEPTED, order)
    await receipt_event(session, events.RECEIPT_CREATED, receipt)
    await session.commit()
    return order, receipt


async def ignore_order(session: AsyncSession, brand_id: int, order_id: int) -> Order:
    """PENDING → IGNORE; committed.

    The integration's ``PUT /orders/{id}`` rule (clopos.server.domain.orders.ignore_order):
    an order already ignored stays so (no error); one the till has received — it has an
    open receipt — or delivered cannot be ignored (409 here).
    """
    order = await _order(session, brand_id, order_id)
    if order.status != PUT_STATUS:
        await _move(session, order, source="PENDING", target=PUT_STATUS)
        await order_event(session, events.ORDER_IGNORED, order)
        await session.commit()
    return order


async def deliver_order(session: AsyncSession, brand_id: int, order_id: int) -> Order:
    """RECEIVED → DELIVERED (the docs do not say who sets it; the till does); committed."""
    order = await _order(session, brand_id, order_id)
    await _move(session, order, source="RECEIVED", target="DELIVERED")
    await order_event(session, events.ORDER_DELIVERED, order)
    await session.commit()
    return order


# --- receipts -----------------------------------------------------------------------------


async def add_receipt_lines(
    session: AsyncSession, brand_id: int, receipt_id: int, lines: Sequence[NewLine]
) -> Receipt:
    """Ring up more products on an open receipt; totals are recomputed; committed."""
    receipt = await _receipt(session, brand_id, receipt_id)
    if not lines:
        raise invalid("lines", "At least one line is required")
    await receipts_repo.add_lines(session, receipt, lines)
    await receipt_event(session, events.RECEIPT_UPDATED, receipt)
    await session.commit()
    return receipt


async def _payment_method_ids(
    session: AsyncSession, brand_id: int, tenders: Sequence[Tender]
) -> list[int]:
    """Each tender's payment method id; a name is matched case-insensitively."""
    methods = list(
        (
            await session.scalars(
                select(PaymentMethod)
                .where(PaymentMethod.brand_id == brand_id, PaymentMethod.deleted_at.is_(None))
                .order_by(PaymentMethod.position, PaymentMethod.id)
            )
        ).all()
    )
    by_name = {m.name.casefold(): m.id for m in methods}
    ids = []
    for index, tender in enumerate(tenders):
        if isinstance(tender.method, int):
            ids.append(tender.method)  # close_receipt checks that the id is the brand's
            continue
        found = by_name.get(tender.method.strip().casefold())
        if found is None:
            names = ", ".join(m.name for m in methods) or "none"
            raise invalid(
                f"payment_methods.{index}.id",
                f"No payment method named {tender.method!r} in this brand; use one of: {names}",
            )
        ids.append(found)
    return ids


async def close_receipt(
    session: AsyncSession,
    brand_id: int,
    receipt_id: int,
    tenders: Sequence[Tender],
    closed_at: datetime | None = None,
) -> Receipt:
    """Take payment and close the receipt (status 2), writing off stock; committed.

    The rules are those of ``POST /v2/receipts/{id}/close`` (spec §12.8): open receipt,
    ≥ 1 payment method of the brand, amounts adding up to the total, ``closed_at`` after
    ``created_at`` (without one: now, or the second after the receipt was opened). Payment
    names are filled in from the catalog.
    """
    receipt = await _receipt(session, brand_id, receipt_id)
    ids = await _payment_method_ids(session, brand_id, tenders)
    payments = [{"id": i, "amount": t.amount} for i, t in zip(ids, tenders, strict=True)]
    if closed_at is None:
        # ``closed_at`` must be later than ``created_at`` to the second (both are shown to
        # the second); a till closing within the second it opened the receipt — any script
        # driving it — is dated the next second rather than refused.
        earliest = receipt.created_at.replace(microsecond=0) + timedelta(seconds=1)
        closed_at = max(utcnow(), earliest)
    await receipts_repo.close_receipt(session, receipt, payments, closed_at)
    await receipt_event(session, events.RECEIPT_CLOSED, receipt)
    await session.commit()
    return receipt


# --- stop list ----------------------------------------------------------------------------


async def _stoppable(
    session: AsyncSession, brand_id: int, product_id: int, venue_id: int, *, in_query: bool
) -> None:
    """404 unless the product is a live one of the brand; 400 naming ``venue_id`` unless
    the venue is the brand's (a body field on PUT, a query parameter on DELETE)."""
    product = await session.scalar(
        select(Product.id).where(
            Product.id == product_id, Product.brand_id == brand_id, Product.deleted_at.is_(None)
        )
    )
    if product is None:
        raise ResourceNotFound("Product not found")
    venue = None
    if 1 <= venue_id <= MAX_ID:
        venue = await tenancy.venue_of_brand(session, brand_id, venue_id)
    if venue is None:
        if in_query:
            raise InvalidParameter(
                f"The venue_id parameter is invalid: no venue {venue_id} in this brand",
                details={"parameter": "venue_id", "provided_value": venue_id},
            )
        raise invalid(
            "venue_id", f"The venue_id field is invalid: no venue {venue_id} in this brand"
        )


async def stop_product(
    session: AsyncSession, brand_id: int, product_id: int, *, venue_id: int, limit: int
) -> StopListEntry:
    """Put a stock limit on a product at a venue (0 = sold out), timestamped now; committed.

    ``GET /products/stop-list`` shows it from then on (spec §10.3).
    """
    await _stoppable(session, brand_id, product_id, venue_id, in_query=False)
    if not 0 <= limit <= MAX_ID:
        raise invalid("limit", f"The limit field is invalid: must be between 0 and {MAX_ID}")
    for _attempt in range(2):
        entry = await session.scalar(
            select(StopListEntry).where(
                StopListEntry.venue_id == venue_id, StopListEntry.product_id == product_id
            )
        )
        if entry is None:
            entry = StopListEntry(brand_id=brand_id, venue_id=venue_id, product_id=product_id)
            session.add(entry)
        entry.limit = limit
        entry.updated_at = utcnow()
        try:
            # Recording flushes the entry, so a racing insert can fail here too.
            await stop_list_set(session, entry)
            await session.commit()
            return entry
        except IntegrityError:
            # Another till inserted the same (venue, product) first: update theirs instead.
            await session.rollback()
    raise Conflict("The stop list entry changed concurrently; retry")


async def unstop_product(
    session: AsyncSession, brand_id: int, product_id: int, *, venue_id: int
) -> bool:
    """Lift a product's stop-list limit at a venue; ``False`` if it had none. Committed."""
    await _stoppable(session, brand_id, product_id, venue_id, in_query=True)
    removed = await session.execute(
        delete(StopListEntry).where(
            StopListEntry.brand_id == brand_id,
            StopListEntry.venue_id == venue_id,
            StopListEntry.product_id == product_id,
        )
    )
    lifted = bool(getattr(removed, "rowcount", 0))
    if lifted:
        await stop_list_lifted(session, brand_id=brand_id, venue_id=venue_id, product_id=product_id)
    await session.commit()
    return lifted
