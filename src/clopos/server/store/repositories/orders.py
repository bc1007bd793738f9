"""Orders: brand-scoped lookups, the catalog rows an order names, creation and listing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.orders import (
    INTEGRATION_STATUS,
    ORDER_INTEGRATION,
    ORDER_TYPE,
    BuiltOrder,
    OrderDraft,
    References,
)
from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import (
    Customer,
    Modifier,
    Order,
    Product,
    Receipt,
    SaleType,
    Venue,
)


async def order_of_brand(session: AsyncSession, brand_id: int, order_id: int) -> Order | None:
    """The order if it belongs to the brand (any venue), else ``None``."""
    return await session.scalar(
        select(Order).where(Order.id == order_id, Order.brand_id == brand_id)
    )


async def load_references(session: AsyncSession, brand_id: int, draft: OrderDraft) -> References:
    """Every catalog row ``draft`` names, each looked up inside the brand only.

    One query per kind (venue, sale type, customer, products, variants, modifiers), so a
    long order costs no more queries than a short one. Unknown ids are simply absent;
    ``build_order`` turns that into a 400 naming the field.
    """
    venue = await session.scalar(
        select(Venue).where(Venue.id == draft.venue_id, Venue.brand_id == brand_id)
    )
    sale_type = await session.scalar(
        select(SaleType).where(
            SaleType.id == draft.sale_type_id,
            SaleType.brand_id == brand_id,
            SaleType.deleted_at.is_(None),
        )
    )
    customer = None
    if draft.customer.id is not None:
        customer = await session.scalar(
            select(Customer).where(
                Customer.id == draft.customer.id,
                Customer.brand_id == brand_id,
                Customer.deleted_at.is_(None),
            )
        )
    product_ids = sorted({line.product_id for line in draft.lines})
    products = {
        p.id: p
        for p in await session.scalars(
            select(Product).where(
                Product.brand_id == brand_id,
                Product.deleted_at.is_(None),
                Product.id.in_(product_ids),
            )
        )
    }
    variants_of: dict[int, list[int]] = {}
    for parent_id, variant_id in await session.execute(
        select(Product.parent_id, Product.id)
        .where(
            Product.brand_id == brand_id,
            Product.deleted_at.is_(None),
            Product.parent_id.in_(product_ids),
        )
        .order_by(Product.id)
    ):
        if parent_id is not None:
            variants_of.setdefault(parent_id, []).append(variant_id)
    modifier_ids = sorted({m.modifier_id for line in draft.lines for m in line.modifiers})
    modifiers = {}
    if modifier_ids:
        modifiers = {
            m.id: m
            for m in await session.scalars(
                select(Modifier).where(Modifier.brand_id == brand_id, Modifier.id.in_(modifier_ids))
            )
        }
    return References(
        venue=venue,
        sale_type=sale_type,
        customer=customer,
        products=products,
        variant_parents=frozenset(variants_of),
        variants_of=variants_of,
        modifiers=modifiers,
    )


async def create_order(
    session: AsyncSession,
    *,
    brand_id: int,
    draft: OrderDraft,
    built: BuiltOrder,
    status: str,
) -> Order:
    """Insert the order and flush (so it has its id and timestamps); does not commit."""
    order = Order(
        brand_id=brand_id,
        venue_id=built.payload["service"]["venue_id"],
        type=ORDER_TYPE,
        integration=ORDER_INTEGRATION,
        integration_uuid=draft.integration_uuid,
        integration_id=draft.integration_id,
        customer_ref_id=draft.customer_ref_id,
        integration_status=INTEGRATION_STATUS,
        status=status,
        payload=built.payload,
        integration_response=None,
        customer_id=built.customer_id,
        sale_type_id=built.payload["sale_type_id"],
        order_number=draft.order_number,
        total=built.total,
    )
    session.add(order)
    await session.flush()
    return order


async def change_status(session: AsyncSession, order: Order, *, source: str, target: str) -> bool:
    """Move ``order`` from ``source`` to ``target`` only if the database still says
    ``source`` (compare-and-set: a racing till and integration cannot both win). Reloads
    ``order`` either way; ``True`` if this call made the change. Does not commit."""
    moved = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.brand_id == order.brand_id, Order.status == source)
        .values(status=target, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    await session.refresh(order)
    return getattr(moved, "rowcount", 0) == 1


@dataclass
class OrderFilters:
    """What ``GET /orders`` narrows by; every list is OR inside, AND across fields."""

    venue_id: int | None = None  # the caller's x-venue scope
    statuses: list[list[str]] = field(default_factory=list)
    venue_ids: list[list[int]] = field(default_factory=list)
    sale_type_ids: list[list[int]] = field(default_factory=list)
    customer_ids: list[list[int]] = field(default_factory=list)
    integration_ids: list[list[str]] = field(default_factory=list)
    created_from: datetime | None = None
    created_before: datetime | None = None


def orders_query(brand_id: int, filters: OrderFilters) -> Select[Any]:
    """The brand's orders matching ``filters`` (unordered, unpaged)."""
    statement = select(Order).where(Order.brand_id == brand_id)
    if filters.venue_id is not None:
        statement = statement.where(Order.venue_id == filters.venue_id)
    for statuses in filters.statuses:
        statement = statement.where(Order.status.in_(statuses))
    for venue_ids in filters.venue_ids:
        statement = statement.where(Order.venue_id.in_(venue_ids))
    for sale_type_ids in filters.sale_type_ids:
        statement = statement.where(Order.sale_type_id.in_(sale_type_ids))
    for customer_ids in filters.customer_ids:
        statement = statement.where(Order.customer_id.in_(customer_ids))
    for integration_ids in filters.integration_ids:
        statement = statement.where(Order.integration_id.in_(integration_ids))
    if filters.created_from is not None:
        statement = statement.where(Order.created_at >= filters.created_from)
    if filters.created_before is not None:
        statement = statement.where(Order.created_at < filters.created_before)
    return statement


async def receipts_by_id(
    session: AsyncSession, brand_id: int, ids: Iterable[int | None]
) -> dict[int, Receipt]:
    """The brand's live receipts among ``ids`` (for ``with[]=receipt``), by id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Receipt).where(
            Receipt.brand_id == brand_id, Receipt.id.in_(wanted), Receipt.deleted_at.is_(None)
        )
    )
    return {r.id: r for r in rows}


async def customers_by_id(
    session: AsyncSession, brand_id: int, ids: Iterable[int | None]
) -> dict[int, Customer]:
    """The brand's live customers among ``ids`` (for ``with[]=customer``), by id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Customer).where(
            Customer.brand_id == brand_id, Customer.id.in_(wanted), Customer.deleted_at.is_(None)
        )
    )
    return {c.id: c for c in rows}
