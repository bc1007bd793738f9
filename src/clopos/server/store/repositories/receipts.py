"""Receipts, their lines and the stock they write off: brand-scoped store access (spec §12).

Used by the receipt routes and, through the four functions of the shared interface, by the
till and the orders code: :func:`open_receipt_for_order`, :func:`add_lines` (with
:class:`NewLine`), :func:`close_receipt` and :func:`receipt_of_brand`. None of them commits;
the caller commits once, so a receipt, its lines and its stock movements land together.

Races are settled by the database, never by a read-then-write (DESIGN.md principle 6):

* a duplicate ``cid`` is the unique constraint's ``IntegrityError`` (→ :class:`DuplicateCid`);
* closing flips ``status`` 1 → 2 with ``UPDATE … WHERE status = 1``: of two concurrent
  closes exactly one changes a row, the other answers "Receipt is already closed", so stock
  is written off once;
* deleting is ``DELETE … WHERE id = …``: only the request that removed the row restores
  the stock;
* stock rows are locked (``SELECT … FOR UPDATE``, in id order so two receipts never
  deadlock) before their quantity changes; a missing stock row is inserted with
  ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain import receipts as rules
from clopos.server.domain.receipts import (
    CLOSED,
    OPEN,
    STOCKED_TYPES,
    PaymentIn,
    ProductFacts,
    ReceiptCreate,
    ReceiptUpdate,
    invalid,
)
from clopos.server.domain.timestamps import utcnow
from clopos.server.domain.totals import (
    Adjustments,
    PaymentsMismatch,
    Totals,
    check_payments,
    compute_totals,
)
from clopos.server.errors import field_path
from clopos.server.store.models import (
    Balance,
    Customer,
    Modifier,
    ModifierGroup,
    Order,
    PaymentMethod,
    Product,
    ProductTax,
    Receipt,
    ReceiptProduct,
    RecipeItem,
    SaleType,
    Station,
    Stock,
    StockOperation,
    Storage,
    Tax,
    Unit,
    User,
)

_ZERO = Decimal(0)


class DuplicateCid(Exception):
    """A receipt with this ``cid`` already exists in the brand (→ 409)."""


@dataclass(frozen=True)
class NewLine:
    """A line to add to an open receipt; ``price`` defaults to the product's price."""

    product_id: int
    count: Decimal
    price: Decimal | None = None
    portion_size: Decimal = Decimal(1)
    modifier_ids: tuple[int, ...] = ()


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptFilters:
    """``filters[N]`` of ``GET /receipts`` plus the inclusive ``date`` range (``[from, to)``)."""

    statuses: tuple[int, ...] | None = None
    sale_type_ids: tuple[int, ...] | None = None
    terminal_ids: tuple[int, ...] | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


def receipts_query(brand_id: int, venue_id: int, filters: ReceiptFilters) -> Select[Any]:
    """Live receipts of the brand at the venue (spec §5.2: brand + venue), filtered."""
    statement = select(Receipt).where(
        Receipt.brand_id == brand_id,
        Receipt.venue_id == venue_id,
        Receipt.deleted_at.is_(None),
    )
    if filters.statuses is not None:
        statement = statement.where(Receipt.status.in_(filters.statuses))
    if filters.sale_type_ids is not None:
        statement = statement.where(Receipt.sale_type_id.in_(filters.sale_type_ids))
    if filters.terminal_ids is not None:
        statement = statement.where(Receipt.terminal_id.in_(filters.terminal_ids))
    if filters.created_from is not None:
        statement = statement.where(Receipt.created_at >= filters.created_from)
    if filters.created_before is not None:
        statement = statement.where(Receipt.created_at < filters.created_before)
    return statement


async def receipt_of_brand(
    session: AsyncSession, brand_id: int, receipt_id: int, *, venue_id: int | None = None
) -> Receipt | None:
    """The live (not deleted) receipt with this id in the brand — and at ``venue_id`` when
    given (the API answers 404 for a receipt of another venue, spec §5.2)."""
    statement = select(Receipt).where(
        Receipt.id == receipt_id, Receipt.brand_id == brand_id, Receipt.deleted_at.is_(None)
    )
    if venue_id is not None:
        statement = statement.where(Receipt.venue_id == venue_id)
    found: Receipt | None = await session.scalar(statement)
    return found


async def lines_of(
    session: AsyncSession, receipt_ids: Iterable[int]
) -> dict[int, list[ReceiptProduct]]:
    """Live lines of each receipt, in the order they were added."""
    ids = sorted(set(receipt_ids))
    found: dict[int, list[ReceiptProduct]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(ReceiptProduct)
        .where(ReceiptProduct.receipt_id.in_(ids), ReceiptProduct.deleted_at.is_(None))
        .order_by(ReceiptProduct.id)
    )
    for line in rows:
        found[line.receipt_id].append(line)
    return found


@dataclass
class LineRelations:
    """Catalog rows the ``with[]`` relations of receipt lines need, by id."""

    products: dict[int, Product] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    stations: dict[int, Station] = field(default_factory=dict)
    groups: dict[int, ModifierGroup] = field(default_factory=dict)


async def line_relations(
    session: AsyncSession,
    brand_id: int,
    lines: Iterable[ReceiptProduct],
    *,
    products: bool,
    units: bool,
    stations: bool,
    groups: bool,
) -> LineRelations:
    """Load what the requested relations need for all ``lines`` at once (one query each)."""
    lines = list(lines)
    found = LineRelations()
    if products or units or stations:
        ids = {line.product_id for line in lines}
        if ids:
            rows = await session.scalars(
                select(Product).where(Product.brand_id == brand_id, Product.id.in_(ids))
            )
            found.products = {p.id: p for p in rows}
    if units:
        unit_ids = {p.unit_id for p in found.products.values() if p.unit_id is not None}
        if unit_ids:
            rows_u = await session.scalars(
                select(Unit).where(Unit.brand_id == brand_id, Unit.id.in_(unit_ids))
            )
            found.units = {u.id: u for u in rows_u}
    if stations:
        station_ids = {p.station_id for p in found.products.values() if p.station_id is not None}
        if station_ids:
            rows_s = await session.scalars(
                select(Station).where(Station.brand_id == brand_id, Station.id.in_(station_ids))
            )
            found.stations = {s.id: s for s in rows_s}
    if groups:
        group_ids = {
            m.get("modificator_group_id")
            for line in lines
            for m in (line.modificators or [])
            if isinstance(m, dict) and isinstance(m.get("modificator_group_id"), int)
        }
        if group_ids:
            rows_g = await session.scalars(
                select(ModifierGroup).where(
                    ModifierGroup.brand_id == brand_id, ModifierGroup.id.in_(group_ids)
                )
            )
            found.groups = {g.id: g for g in rows_g}
    return found


async def stock_operations(
    session: AsyncSession, receipt_id: int
) -> list[tuple[StockOperation, str, str]]:
    """The receipt's own write-offs (spec §12.10: ``operation_id`` null, line set), with
    the product's and the storage's names, oldest first."""
    rows = await session.execute(
        select(StockOperation, Product.name, Storage.name)
        .join(Product, Product.id == StockOperation.product_id)
        .join(Storage, Storage.id == StockOperation.storage_id)
        .where(
            StockOperation.receipt_id == receipt_id,
            StockOperation.operation_id.is_(None),
            StockOperation.receipt_product_id.is_not(None),
        )
        .order_by(StockOperation.id)
    )
    return [(op, product_name, storage_name) for op, product_name, storage_name in rows.all()]


# --- catalog lookups ----------------------------------------------------------------------


async def product_facts(
    session: AsyncSession, brand_id: int, product_ids: Iterable[int]
) -> dict[int, ProductFacts]:
    """What a line copies from each live product of the brand (unknown ids are absent)."""
    ids = set(product_ids)
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(Product, Station)
            .outerjoin(Station, Station.id == Product.station_id)
            .where(
                Product.brand_id == brand_id,
                Product.id.in_(ids),
                Product.deleted_at.is_(None),
            )
        )
    ).all()
    taxes: dict[int, list[dict[str, Any]]] = {}
    tax_rows = await session.execute(
        select(ProductTax.product_id, Tax)
        .join(Tax, Tax.id == ProductTax.tax_id)
        .where(ProductTax.product_id.in_(ids), Tax.brand_id == brand_id)
        .order_by(Tax.id)
    )
    for product_id, tax in tax_rows.all():
        taxes.setdefault(product_id, []).append({"id": tax.id, "name": tax.name, "rate": tax.rate})
    return {
        product.id: ProductFacts(
            id=product.id,
            name=product.name,
            type=product.type,
            price=product.price,
            cost_price=product.cost_price,
            giftable=product.giftable,
            discountable=product.discountable,
            ignore_service_charge=product.ignore_service_charge,
            sold_by_weight=product.sold_by_weight,
            barcode=product.barcode,
            station={"id": station.id, "name": station.name} if station else None,
            taxes=tuple(taxes.get(product.id, [])),
        )
        for product, station in rows
    }


async def _modifiers(
    session: AsyncSession, brand_id: int, modifier_ids: Iterable[int]
) -> dict[int, Modifier]:
    ids = set(modifier_ids)
    if not ids:
        return {}
    rows = await session.scalars(
        select(Modifier).where(Modifier.brand_id == brand_id, Modifier.id.in_(ids))
    )
    return {m.id: m for m in rows}


async def _name_of(session: AsyncSession, model: Any, brand_id: int, row_id: int | None) -> Any:
    """The ``name``/``username`` of a brand row, ``None`` when there is no such row."""
    if row_id is None:
        return None
    column = model.username if model is User else model.name
    return await session.scalar(
        select(column).where(model.id == row_id, model.brand_id == brand_id)
    )


async def _require_row(
    session: AsyncSession, model: Any, brand_id: int, row_id: int | None, name: str, label: str
) -> Any:
    """The row's name; 400 naming field ``name`` when the id is not a row of the brand."""
    if row_id is None:
        return None
    found = await _name_of(session, model, brand_id, row_id)
    if found is None:
        raise invalid(name, f"The {name} field is invalid: no {label} {row_id} in this brand")
    return found


# --- building receipts --------------------------------------------------------------------


async def _sequence_numbers(
    session: AsyncSession, brand_id: int, venue_id: int, at: datetime
) -> dict[str, int]:
    """``properties {daily_id, monthly_id}``: the receipt's number in its venue's day and
    month (shown on the bill; not unique under races, and need not be)."""
    first_of_month = at.date().replace(day=1)
    base = select(func.count()).where(Receipt.brand_id == brand_id, Receipt.venue_id == venue_id)
    daily = await session.scalar(base.where(Receipt.shift_date == at.date()))
    monthly = await session.scalar(base.where(Receipt.shift_date >= first_of_month))
    return {"daily_id": int(daily or 0) + 1, "monthly_id": int(monthly or 0) + 1}


async def _new_receipt(
    session: AsyncSession,
    *,
    brand_id: int,
    venue_id: int,
    cid: str,
    created_at: datetime,
    user_id: int | None,
    sale_type_id: int | None,
    source: str,
) -> Receipt:
    """An open receipt with every field set (ORM defaults apply only at INSERT)."""
    sale_type_name = await _name_of(session, SaleType, brand_id, sale_type_id)
    user_name = await _name_of(session, User, brand_id, user_id)
    return Receipt(
        brand_id=brand_id,
        venue_id=venue_id,
        cid=cid,
        user_id=user_id,
        open_by_user_id=user_id,
        sale_type_id=sale_type_id,
        source=source,
        guests=1,
        status=OPEN,
        lock=False,
        inventory_status=0,
        report_status=0,
        suspicion=0,
        printed=False,
        meta=rules.initial_meta(sale_type_name=sale_type_name, user_name=user_name, now=created_at),
        total=_ZERO,
        subtotal=_ZERO,
        original_subtotal=_ZERO,
        gift_total=_ZERO,
        gift_count=0,
        total_cost=_ZERO,
        total_discount=_ZERO,
        payment_methods=[],
        by_cash=_ZERO,
        by_card=_ZERO,
        remaining=_ZERO,
        discount_type=0,
        discount_value=_ZERO,
        discount_rate=_ZERO,
        rps_discount=_ZERO,
        service_charge=_ZERO,
        service_charge_value=_ZERO,
        i_tax=_ZERO,
        e_tax=_ZERO,
        total_tax=_ZERO,
        delivery_fee=_ZERO,
        shift_date=created_at.date(),
        properties=await _sequence_numbers(session, brand_id, venue_id, created_at),
        created_at=created_at,
        updated_at=created_at,
    )


def _new_line(
    receipt: Receipt,
    facts: ProductFacts,
    *,
    count: Decimal,
    portion_size: Decimal,
    price: Decimal,
    modificators: list[dict[str, Any]],
    now: datetime,
    cid: str | None = None,
    is_gift: bool = False,
    seller_id: int | None = None,
    product_hash: str | None = None,
    meta: dict[str, Any] | None = None,
) -> ReceiptProduct:
    """A line of ``receipt`` selling ``facts`` (money is filled in by :func:`_recompute`)."""
    modifier_ids = [int(m["id"]) for m in modificators if isinstance(m.get("id"), int)]
    return ReceiptProduct(
        brand_id=receipt.brand_id,
        receipt_id=receipt.id,
        cid=cid or str(uuid.uuid4()),
        product_id=facts.id,
        product_hash=product_hash or rules.product_hash(facts.id, modifier_ids),
        meta=rules.line_meta(
            facts,
            price=price,
            modifier_names=[str(m.get("name") or "") for m in modificators],
            now=now,
            extra=meta,
        ),
        count=count,
        portion_size=portion_size,
        is_gift=is_gift,
        price=price,
        subtotal=_ZERO,
        total=_ZERO,
        cost=facts.cost_price * count * portion_size,
        discount_type=None,
        discount_rate=_ZERO,
        discount_value=_ZERO,
        total_discount=_ZERO,
        receipt_discount=_ZERO,
        seller_id=seller_id,
        modificators=modificators,
        taxes=list(facts.taxes),
        terminal_updated_at=now,
        created_at=now,
        updated_at=now,
    )


def _adjustments(receipt: Receipt) -> Adjustments:
    """The receipt-level inputs of the totals engine."""
    discount_type = receipt.discount_type if receipt.discount_type in (0, 1, 2) else 0
    return Adjustments(
        discount_type=discount_type,
        discount_value=max(receipt.discount_value or _ZERO, _ZERO),
        service_charge_rate=max(receipt.service_charge or _ZERO, _ZERO),
        delivery_fee=max(receipt.delivery_fee or _ZERO, _ZERO),
    )


def _recompute(receipt: Receipt, lines: Sequence[ReceiptProduct]) -> Totals:
    """Run the totals engine over the lines and write every money field (spec §12.4)."""
    totals = compute_totals([rules.totals_line(line) for line in lines], _adjustments(receipt))
    for line, line_totals in zip(lines, totals.lines, strict=True):
        rules.apply_line_totals(line, line_totals)
    receipt.original_subtotal = totals.original_subtotal
    receipt.subtotal = totals.subtotal
    receipt.gift_total = totals.gift_total
    receipt.gift_count = sum(1 for line in lines if line.is_gift)
    receipt.total_discount = totals.total_discount
    receipt.discount_rate = totals.discount_rate
    receipt.service_charge_value = totals.service_charge_value
    receipt.delivery_fee = totals.delivery_fee
    receipt.i_tax = totals.i_tax
    receipt.e_tax = totals.e_tax
    receipt.total_tax = totals.total_tax
    receipt.total = totals.total
    receipt.total_cost = sum((line.cost for line in lines), _ZERO)
    receipt.remaining = totals.total if receipt.status == OPEN else _ZERO
    return totals


async def _stored_modificators(
    session: AsyncSession, brand_id: int, wanted: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Order/till modifiers ``{id|modificator_id|modifier_id, count?, price?, name?}`` as
    stored on a line; a price or name left out is the catalog's."""
    ids = []
    for item in wanted:
        raw = item.get("modificator_id", item.get("modifier_id", item.get("id")))
        if isinstance(raw, int) and not isinstance(raw, bool):
            ids.append(raw)
    catalog = await _modifiers(session, brand_id, ids)
    stored = []
    for item in wanted:
        raw = item.get("modificator_id", item.get("modifier_id", item.get("id")))
        modifier = catalog.get(raw) if isinstance(raw, int) else None
        price = item.get("price")
        count = item.get("count", 1)
        stored.append(
            {
                "id": raw,
                "modificator_id": raw,
                "modificator_group_id": modifier.group_id if modifier else None,
                "name": item.get("modifier_name")
                or item.get("name")
                or (modifier.name if modifier else None),
                "price": _decimal(price)
                if price is not None
                else (modifier.price if modifier else _ZERO),
                "count": _decimal(count) if count is not None else Decimal(1),
            }
        )
    return stored


def _object(value: Any) -> dict[str, Any]:
    """A stored JSON object, or ``{}`` when the value is something else."""
    return value if isinstance(value, dict) else {}


def _decimal(value: Any, default: Decimal = _ZERO) -> Decimal:
    """A stored JSON number as a non-negative Decimal (anything else → ``default``)."""
    if isinstance(value, bool):
        return default
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return default
    return number if number.is_finite() and number >= 0 else default


async def open_receipt_for_order(
    session: AsyncSession, order: Order, *, user_id: int | None = None
) -> Receipt:
    """Create the OPEN receipt of an accepted order (spec §11.1) and link both ways.

    One line per ``payload.products[]`` (price ``meta.price``, else the catalog's), the
    order's discount (``payload.meta.discount``), service charge (``apply_service_charge`` /
    ``service_charge_value`` as a percentage) and delivery fee; totals from the totals
    engine. Does not commit.
    """
    payload: dict[str, Any] = order.payload if isinstance(order.payload, dict) else {}
    now = utcnow()
    receipt = await _new_receipt(
        session,
        brand_id=order.brand_id,
        venue_id=order.venue_id,
        cid=str(uuid.uuid4()),
        created_at=now,
        user_id=user_id,
        sale_type_id=order.sale_type_id,
        source="web",
    )
    receipt.order_id = order.id
    receipt.service_notification_id = order.id
    receipt.customer_id = order.customer_id
    receipt.order_number = order.order_number
    meta = _object(payload.get("meta"))
    discount = _object(meta.get("discount"))
    discount_type = discount.get("discount_type")
    receipt.discount_type = discount_type if discount_type in (0, 1, 2) else 0
    receipt.discount_value = _decimal(discount.get("discount_value"))
    if meta.get("apply_service_charge") is True:
        receipt.service_charge = _decimal(meta.get("service_charge_value"))
    receipt.delivery_fee = _decimal(payload.get("delivery_fee"))
    customer = payload.get("customer")
    if isinstance(customer, dict):
        receipt.address = (
            customer.get("address") if isinstance(customer.get("address"), str) else None
        )
        receipt.meta = {**receipt.meta, "customer": customer}
    if isinstance(meta.get("comment"), str) and meta["comment"]:
        receipt.description = meta["comment"][:500]
    session.add(receipt)
    await session.flush()

    items = [p for p in payload.get("products") or [] if isinstance(p, dict)]
    wanted_ids = [p.get("product_id") for p in items]
    facts = await product_facts(
        session, order.brand_id, (i for i in wanted_ids if isinstance(i, int))
    )
    lines = []
    for index, item in enumerate(items):
        product_id = item.get("product_id")
        product = facts.get(product_id) if isinstance(product_id, int) else None
        if product is None:
            raise invalid(
                f"payload.products.{index}.product_id",
                f"Product {item.get('product_id')} of order {order.id} no longer exists",
            )
        item_meta = _object(item.get("meta"))
        order_product = _object(item_meta.get("order_product"))
        price = item_meta.get("price", item.get("price"))
        wanted = item.get("product_modificators") or item.get("modifiers") or []
        lines.append(
            _new_line(
                receipt,
                product,
                count=_decimal(item.get("count"), Decimal(1)) or Decimal(1),
                portion_size=_decimal(item.get("portion_size"), Decimal(1)) or Decimal(1),
                price=_decimal(price, product.price) if price is not None else product.price,
                modificators=await _stored_modificators(
                    session, order.brand_id, [m for m in wanted if isinstance(m, dict)]
                ),
                now=now,
                seller_id=user_id,
                product_hash=order_product.get("product_hash")
                if isinstance(order_product.get("product_hash"), str)
                else None,
            )
        )
    session.add_all(lines)
    _recompute(receipt, lines)
    order.receipt_id = receipt.id
    await session.flush()
    return receipt


async def add_lines(session: AsyncSession, receipt: Receipt, lines: Sequence[NewLine]) -> Receipt:
    """Add lines to an OPEN, unlocked receipt and recompute its totals. Does not commit.

    ``ValidationFailed`` when the receipt is closed or locked, or a product or modifier is
    not in the brand.
    """
    rules.ensure_open(receipt)
    rules.ensure_unlocked(receipt)
    facts = await product_facts(session, receipt.brand_id, (n.product_id for n in lines))
    catalog = await _modifiers(
        session, receipt.brand_id, (i for n in lines for i in n.modifier_ids)
    )
    existing = (await lines_of(session, [receipt.id]))[receipt.id]
    now = utcnow()
    added = []
    for index, new in enumerate(lines):
        product = facts.get(new.product_id)
        if product is None:
            raise invalid(
                f"products.{index}.product_id",
                f"Product {new.product_id} does not exist in this brand",
            )
        if new.count <= 0 or new.portion_size <= 0:
            raise invalid(f"products.{index}.count", "count and portion_size must be positive")
        modificators = []
        for modifier_id in new.modifier_ids:
            modifier = catalog.get(modifier_id)
            if modifier is None:
                raise invalid(
                    f"products.{index}.modifier_ids",
                    f"Modifier {modifier_id} does not exist in this brand",
                )
            modificators.append(
                {
                    "id": modifier.id,
                    "modificator_id": modifier.id,
                    "modificator_group_id": modifier.group_id,
                    "name": modifier.name,
                    "price": modifier.price,
                    "count": Decimal(1),
                }
            )
        added.append(
            _new_line(
                receipt,
                product,
                count=new.count,
                portion_size=new.portion_size,
                price=new.price if new.price is not None else product.price,
                modificators=modificators,
                now=now,
                seller_id=receipt.user_id,
            )
        )
    session.add_all(added)
    _recompute(receipt, [*existing, *added])
    receipt.updated_at = now
    await session.flush()
    return receipt


async def create_receipt(
    session: AsyncSession, *, brand_id: int, venue_id: int, body: ReceiptCreate
) -> Receipt:
    """Import a sale (v1 ``POST /receipts``, spec §12.5); closed imports write off stock.

    Money fields the body leaves out are computed from its lines; those it sends are stored
    as sent. Raises ``ValidationFailed`` for unknown ids or unsettled payments and
    :class:`DuplicateCid` when the brand already has the ``cid``. Does not commit.
    """
    now = utcnow()
    closed_at = body.closed_at or (now if body.status == CLOSED else None)
    created_at = body.created_at or (closed_at if closed_at and closed_at < now else now)
    if body.created_at is not None and closed_at is not None and body.closed_at is None:
        rules.ensure_closed_after(created_at, closed_at)
    await _require_row(session, User, brand_id, body.user_id, "user_id", "user")
    await _require_row(session, User, brand_id, body.courier_id, "courier_id", "user")
    await _require_row(session, SaleType, brand_id, body.sale_type_id, "sale_type_id", "sale type")
    await _require_row(session, Customer, brand_id, body.customer_id, "customer_id", "customer")
    items = body.receipt_products or []
    facts = await product_facts(session, brand_id, (item.product_id for item in items))
    for index, item in enumerate(items):
        if item.product_id not in facts:
            raise invalid(
                f"receipt_products.{index}.product_id",
                f"The receipt_products.{index}.product_id field is invalid: "
                f"no product {item.product_id} in this brand",
            )

    receipt = await _new_receipt(
        session,
        brand_id=brand_id,
        venue_id=venue_id,
        cid=body.cid,
        created_at=created_at,
        user_id=body.user_id,
        sale_type_id=body.sale_type_id,
        source="api",
    )
    for name in (
        "terminal_id",
        "courier_id",
        "customer_id",
        "address",
        "description",
        "order_status",
        "order_number",
        "fiscal_id",
    ):
        setattr(receipt, name, getattr(body, name))
    receipt.guests = body.guests if body.guests is not None else 1
    receipt.printed = bool(body.printed)
    receipt.discount_type = body.discount_type or 0
    receipt.discount_value = body.discount_value or _ZERO
    receipt.service_charge = body.service_charge or _ZERO
    receipt.delivery_fee = body.delivery_fee or _ZERO
    if body.meta:
        receipt.meta = {**receipt.meta, **body.meta}
    session.add(receipt)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise DuplicateCid(body.cid) from None

    lines = [
        _new_line(
            receipt,
            facts[item.product_id],
            count=item.count,
            portion_size=item.portion_size,
            price=item.price if item.price is not None else facts[item.product_id].price,
            modificators=[],
            now=created_at,
            cid=item.cid,
            is_gift=item.is_gift,
            seller_id=item.seller_id or body.user_id,
            product_hash=item.product_hash,
            meta=item.meta,
        )
        for item in items
    ]
    _recompute(receipt, lines)
    for line, item in zip(lines, items, strict=True):
        # What the other system computed is the record; the engine only fills gaps.
        for name in (
            "subtotal",
            "total",
            "cost",
            "discount_rate",
            "discount_value",
            "total_discount",
            "receipt_discount",
        ):
            value = getattr(item, name)
            if value is not None:
                setattr(line, name, value)
        line.discount_type = item.discount_type
    receipt.total_cost = sum((line.cost for line in lines), _ZERO)
    for name in (
        "total",
        "subtotal",
        "original_subtotal",
        "gift_total",
        "discount_rate",
        "service_charge_value",
        "total_tax",
        "i_tax",
        "e_tax",
        "rps_discount",
    ):
        value = getattr(body, name)
        if value is not None:
            setattr(receipt, name, value)
    session.add_all(lines)
    if closed_at is not None:
        settlement = await _check_payments(session, receipt, body.payment_methods or [])
        _record_close(receipt, settlement, closed_at, user_id=body.user_id)
        if body.by_cash is not None:
            receipt.by_cash = body.by_cash
        if body.by_card is not None:
            receipt.by_card = body.by_card
        receipt.remaining = body.remaining if body.remaining is not None else _ZERO
        await session.flush()
        await _write_off(session, receipt, lines, closed_at)
    else:
        if body.remaining is not None:
            receipt.remaining = body.remaining
        await session.flush()
    return receipt


# --- closing ------------------------------------------------------------------------------


def _parse_payments(raw: Sequence[Any]) -> list[PaymentIn]:
    """``payment_methods`` dicts from the till or a route, validated; ≥ 1 required."""
    if not raw:
        raise invalid("payment_methods", "At least one payment method is required")
    parsed = []
    for index, item in enumerate(raw):
        if isinstance(item, PaymentIn):
            parsed.append(item)
            continue
        try:
            parsed.append(PaymentIn.model_validate(item))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            name = f"payment_methods.{index}." + field_path(tuple(first["loc"]))
            name = name.rstrip(".")
            raise invalid(name, f"The {name} field is invalid: {first['msg']}") from None
    return parsed


@dataclass(frozen=True)
class _Settlement:
    """Checked payments, ready to be recorded on a receipt."""

    stored: list[dict[str, Any]]
    by_cash: Decimal
    by_card: Decimal
    paid: Decimal


async def _check_payments(
    session: AsyncSession, receipt: Receipt, raw_payments: Sequence[Any]
) -> _Settlement:
    """Payments must name methods of the brand and add up to the receipt's total."""
    payments = _parse_payments(raw_payments)
    rows = (
        await session.execute(
            select(PaymentMethod, Balance.type)
            .outerjoin(Balance, Balance.id == PaymentMethod.balance_id)
            .where(
                PaymentMethod.brand_id == receipt.brand_id,
                PaymentMethod.id.in_({p.id for p in payments}),
                PaymentMethod.deleted_at.is_(None),
            )
        )
    ).all()
    methods = {method.id: (method, kind) for method, kind in rows}
    for index, payment in enumerate(payments):
        if payment.id not in methods:
            raise invalid(
                f"payment_methods.{index}.id",
                f"The payment_methods.{index}.id field is invalid: "
                f"no payment method {payment.id} in this brand (see GET /payment-methods)",
            )
    try:
        check_payments(receipt.total, [p.amount for p in payments])
    except PaymentsMismatch as mismatch:
        raise invalid("payment_methods", str(mismatch)) from None
    by_cash = by_card = _ZERO
    stored = []
    for payment in payments:
        method, kind = methods[payment.id]
        # The balance behind the method says whether it is cash or card (demo: Cash, Card).
        stored.append(
            {"id": method.id, "name": payment.name or method.name, "amount": payment.amount}
        )
        if kind == "CASH":
            by_cash += payment.amount
        elif kind == "CARD":
            by_card += payment.amount
    paid = sum((p.amount for p in payments), _ZERO)
    return _Settlement(stored=stored, by_cash=by_cash, by_card=by_card, paid=paid)


def _record_close(
    receipt: Receipt, settlement: _Settlement, closed_at: datetime, *, user_id: int | None
) -> None:
    """Write the closed state onto ``receipt`` (status 2, ``closed_at``, tenders)."""
    receipt.status = CLOSED
    receipt.closed_at = closed_at
    receipt.payment_methods = settlement.stored
    receipt.by_cash = settlement.by_cash
    receipt.by_card = settlement.by_card
    receipt.remaining = _ZERO
    if user_id is not None:
        receipt.close_by_user_id = user_id
    receipt.meta = rules.closed_meta(receipt.meta, paid=settlement.paid, now=closed_at)
    receipt.updated_at = utcnow()


async def close_receipt(
    session: AsyncSession,
    receipt: Receipt,
    payment_methods: Sequence[dict[str, Any]],
    closed_at: datetime | None = None,
    *,
    user_id: int | None = None,
) -> Receipt:
    """Close an open receipt and write off its stock (spec §12.8). Does not commit.

    Checks, in order: the receipt is open ("Receipt is already closed") and unlocked
    ("Receipt is locked"); ≥ 1 payment, each ``{id, amount[, name]}`` naming a payment
    method of the brand; ``closed_at`` (default now) later than ``created_at``; Σ amounts
    equals ``total``. Each failure is a ``ValidationFailed``.
    """
    rules.ensure_open(receipt)
    rules.ensure_unlocked(receipt)
    payments = _parse_payments(payment_methods)
    when = closed_at or utcnow()
    rules.ensure_closed_after(receipt.created_at, when)
    settlement = await _check_payments(session, receipt, payments)
    # The status flip is the lock: of two concurrent closes only one changes the row (the
    # other waits for it on PostgreSQL, then finds status 2), so stock goes out once.
    flipped = await session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.status == OPEN)
        .values(status=CLOSED)
        .execution_options(synchronize_session=False)
    )
    if getattr(flipped, "rowcount", 0) != 1:
        raise invalid("status", rules.ALREADY_CLOSED)
    _record_close(receipt, settlement, when, user_id=user_id)
    await session.flush()
    lines = (await lines_of(session, [receipt.id]))[receipt.id]
    await _write_off(session, receipt, lines, when)
    return receipt


# --- stock --------------------------------------------------------------------------------


async def _venue_storage(session: AsyncSession, brand_id: int, venue_id: int) -> Storage | None:
    """The storage a venue sells from: its first one (a venue without one writes nothing off)."""
    found: Storage | None = await session.scalar(
        select(Storage)
        .where(Storage.brand_id == brand_id, Storage.venue_id == venue_id)
        .order_by(Storage.id)
        .limit(1)
    )
    return found


async def _components(
    session: AsyncSession, brand_id: int, lines: Sequence[ReceiptProduct]
) -> dict[int, list[tuple[int, Decimal]]]:
    """What one unit of each sold product takes from stock: ``product → [(item, qty)]``.

    A product with a recipe consumes its recipe lines' ``gross`` amounts — one level deep:
    a PREPARATION in a recipe (pizza dough) is a stocked semi-finished product, made ahead
    in batches, so it is written off itself. A product without a recipe consumes itself
    when it is GOODS or a MODIFICATION with inventory tracking (``inventory_behavior`` 1).
    Modifiers write nothing off (their amounts are not in the catalog).
    """
    product_ids = {line.product_id for line in lines}
    if not product_ids:
        return {}
    recipes: dict[int, list[tuple[int, Decimal]]] = {}
    for item in await session.scalars(
        select(RecipeItem)
        .where(RecipeItem.brand_id == brand_id, RecipeItem.product_id.in_(product_ids))
        .order_by(RecipeItem.id)
    ):
        recipes.setdefault(item.product_id, []).append((item.ingredient_id, item.gross))
    stocked = set(
        (
            await session.scalars(
                select(Product.id).where(
                    Product.brand_id == brand_id,
                    Product.id.in_(product_ids - recipes.keys()),
                    Product.type.in_(STOCKED_TYPES),
                    Product.inventory_behavior == 1,
                )
            )
        ).all()
    )
    for product_id in stocked:
        recipes[product_id] = [(product_id, Decimal(1))]
    return recipes


async def _locked_stocks(
    session: AsyncSession, brand_id: int, storage_id: int, product_ids: set[int]
) -> dict[int, Stock]:
    """The storage's stock rows of ``product_ids``, created at 0 if missing, locked."""
    costs = dict(
        (
            await session.execute(
                select(Product.id, Product.cost_price).where(
                    Product.brand_id == brand_id, Product.id.in_(product_ids)
                )
            )
        ).all()
    )
    now = utcnow()
    values = [
        {
            "brand_id": brand_id,
            "storage_id": storage_id,
            "product_id": product_id,
            "quantity": _ZERO,
            "cost": costs.get(product_id, _ZERO),
            "created_at": now,
            "updated_at": now,
        }
        for product_id in sorted(product_ids)
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Stock)
        .values(values)
        .on_conflict_do_nothing(index_elements=["storage_id", "product_id"])
    )
    rows = await session.scalars(
        select(Stock)
        .where(Stock.storage_id == storage_id, Stock.product_id.in_(product_ids))
        .order_by(Stock.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {stock.product_id: stock for stock in rows}


async def _write_off(
    session: AsyncSession,
    receipt: Receipt,
    lines: Sequence[ReceiptProduct],
    operated_at: datetime,
) -> None:
    """One StockOperation per (line, stock item) sold, with before/after quantity and cost
    (spec §12.10: ``operation_id`` null, ``receipt_product_id`` set). Quantities may go
    below zero: a sale is never refused for missing stock, as at a real till."""
    storage = await _venue_storage(session, receipt.brand_id, receipt.venue_id)
    if storage is None:
        return
    live = [line for line in lines if line.deleted_at is None]
    components = await _components(session, receipt.brand_id, live)
    needed = {item for parts in components.values() for item, _qty in parts}
    if not needed:
        return
    stocks = await _locked_stocks(session, receipt.brand_id, storage.id, needed)
    for line in live:
        for item_id, per_unit in components.get(line.product_id, []):
            quantity = per_unit * line.count * line.portion_size
            stock = stocks.get(item_id)
            if stock is None or quantity == 0:
                continue
            before = stock.quantity
            stock.quantity = before - quantity
            session.add(
                StockOperation(
                    brand_id=receipt.brand_id,
                    receipt_id=receipt.id,
                    receipt_product_id=line.id,
                    operation_id=None,
                    product_id=item_id,
                    stock_id=stock.id,
                    storage_id=storage.id,
                    quantity=quantity,
                    before_quantity=before,
                    after_quantity=stock.quantity,
                    cost=stock.cost,
                    before_cost=stock.cost,
                    total_cost=rules.cost_amount(quantity, stock.cost),
                    operated_at=operated_at,
                )
            )
    await session.flush()


# --- updating and deleting ----------------------------------------------------------------


def apply_patch(receipt: Receipt, changes: dict[str, Any]) -> None:
    """PATCH (spec §12.6): set the sent fields; works on closed receipts."""
    for name, value in changes.items():
        setattr(receipt, name, value)
    if changes:
        receipt.updated_at = utcnow()


async def update_receipt(session: AsyncSession, receipt: Receipt, body: ReceiptUpdate) -> bool:
    """v1 PUT (spec §12.7) on an open, unlocked receipt; returns whether it closed it.

    ``id``/``cid`` must name this receipt (checked by the caller); ``customer_id`` set or
    changed needs ``meta.customer``; money changes recompute the totals from the lines.
    Does not commit.
    """
    if receipt.status != OPEN:
        raise invalid("status", rules.CLOSED_NO_PUT)
    rules.ensure_unlocked(receipt)
    customer = body.customer_meta()
    if body.customer_id is not None and body.customer_id != receipt.customer_id:
        if customer is None:
            raise invalid(
                "meta.customer",
                "meta.customer is required when customer_id is set or changed: copy the "
                "customer's name, phone, balance, … from GET /customers/{id}",
            )
        await _require_row(
            session, Customer, receipt.brand_id, body.customer_id, "customer_id", "customer"
        )
        receipt.customer_id = body.customer_id
    if customer is not None:
        receipt.meta = {**(receipt.meta or {}), "customer": rules.customer_snapshot(customer)}
    for name in ("description", "order_number", "order_status", "guests"):
        value = getattr(body, name)
        if value is not None:
            setattr(receipt, name, value)
    money_changed = False
    if body.delivery_fee is not None:
        receipt.delivery_fee, money_changed = body.delivery_fee, True
    if body.discount_type is not None:
        receipt.discount_type, money_changed = body.discount_type, True
        if body.discount_type == 0:
            receipt.discount_value = _ZERO
    if body.discount_value is not None:
        receipt.discount_value, money_changed = body.discount_value, True
    if body.discount_rate is not None:
        receipt.discount_rate = body.discount_rate
    if money_changed:
        lines = (await lines_of(session, [receipt.id]))[receipt.id]
        if lines:
            _recompute(receipt, lines)
    receipt.updated_at = utcnow()
    if body.closed_at is None:
        await session.flush()
        return False
    await close_receipt(
        session, receipt, [p.model_dump() for p in body.payment_methods or []], body.closed_at
    )
    return True


async def delete_receipt(session: AsyncSession, receipt: Receipt) -> bool:
    """Delete a receipt for good and roll its stock operations back (spec §12.9).

    The row, its lines and its stock operations go (the operations' quantities are added
    back to their stock first). An order linked to it no longer points at it. Returns
    ``False`` when another request deleted it first. Does not commit.
    """
    rules.ensure_unlocked(receipt)
    operations = list(
        await session.scalars(select(StockOperation).where(StockOperation.receipt_id == receipt.id))
    )
    removed = await session.execute(
        delete(Receipt)
        .where(Receipt.id == receipt.id, Receipt.brand_id == receipt.brand_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(removed, "rowcount", 0) != 1:
        return False
    # Lines and operations follow the receipt (ON DELETE CASCADE); delete them explicitly
    # too, so the rollback does not depend on the database enforcing foreign keys.
    await session.execute(delete(ReceiptProduct).where(ReceiptProduct.receipt_id == receipt.id))
    await session.execute(delete(StockOperation).where(StockOperation.receipt_id == receipt.id))
    stock_ids = sorted({op.stock_id for op in operations})
    if stock_ids:
        stocks = {
            stock.id: stock
            for stock in await session.scalars(
                select(Stock)
                .where(Stock.id.in_(stock_ids))
                .order_by(Stock.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        }
        for op in operations:
            stock = stocks.get(op.stock_id)
            if stock is not None:
                stock.quantity = stock.quantity + op.quantity
    await session.execute(
        update(Order)
        .where(Order.brand_id == receipt.brand_id, Order.receipt_id == receipt.id)
        .values(receipt_id=None)
        .execution_options(synchronize_session=False)
    )
    session.expunge(receipt)
    await session.flush()
    return True
