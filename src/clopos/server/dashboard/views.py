"""What the dashboard's templates show, built from store rows (pure: no I/O).

Each function turns rows into plain dataclasses of display text, so the templates hold no
logic beyond loops and the odd ``if``. Order lines are read from the stored ``payload``
defensively (an order pushed through v1 may lack a snapshot field).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from clopos.server.dashboard.chart import money_text
from clopos.server.store.models import (
    Order,
    PaymentMethod,
    Product,
    Receipt,
    ReceiptProduct,
    StopListEntry,
)

__all__ = [
    "LineView",
    "MethodChoice",
    "OrderView",
    "ReceiptView",
    "StopRow",
    "clock",
    "order_view",
    "payable_methods",
    "receipt_view",
    "stop_rows",
]

_ZERO = Decimal(0)


def clock(value: datetime | None) -> str:
    """``14:03`` (UTC) for a stored time."""
    return value.strftime("%H:%M") if value is not None else ""


def _iso(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def _decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _count_text(count: Decimal | None) -> str:
    """``2`` rather than ``2.000`` for whole quantities."""
    if count is None:
        return "?"
    if count == count.to_integral_value():
        return str(int(count))
    return f"{count.normalize():f}"


def _text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""


@dataclass(frozen=True)
class LineView:
    """One line of an order or a receipt."""

    name: str
    count: str
    price: str
    total: str
    note: str = ""


@dataclass(frozen=True)
class OrderView:
    """An order card."""

    id: int
    status: str
    venue: str
    created: str
    created_iso: str
    sale_type: str
    customer: str
    phone: str
    address: str
    comment: str
    total: str
    lines: tuple[LineView, ...]
    receipt_id: int | None
    receipt_open: bool


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def _order_line(entry: Any) -> LineView:
    entry = _dict(entry)
    meta = _dict(entry.get("meta"))
    snapshot = _dict(_dict(meta.get("order_product")).get("product"))
    name = _text(snapshot.get("name")) or f"Product {entry.get('product_id', '?')}"
    count = _decimal(entry.get("count"))
    price = _decimal(meta.get("price"))
    if price is None:
        price = _decimal(snapshot.get("price"))
    modifiers = [
        _text(m.get("name"))
        for m in entry.get("product_modificators") or []
        if isinstance(m, dict) and _text(m.get("name"))
    ]
    notes = [*modifiers, _text(entry.get("note"))]
    total = price * count if price is not None and count is not None else None
    return LineView(
        name=name,
        count=_count_text(count),
        price=money_text(price) if price is not None else "",
        total=money_text(total) if total is not None else "",
        note=", ".join(n for n in notes if n),
    )


def order_view(
    order: Order, venues: Mapping[int, str], receipt: Receipt | None = None
) -> OrderView:
    """An order as its card shows it: who, what, how much, and its receipt once accepted."""
    payload = _dict(order.payload)
    customer = _dict(payload.get("customer"))
    service = _dict(payload.get("service"))
    meta = _dict(payload.get("meta"))
    return OrderView(
        id=order.id,
        status=order.status,
        venue=venues.get(order.venue_id, f"Venue {order.venue_id}"),
        created=clock(order.created_at),
        created_iso=_iso(order.created_at),
        sale_type=_text(service.get("sale_type_name")),
        customer=_text(customer.get("name")) or "Guest",
        phone=_text(customer.get("phone")),
        address=_text(customer.get("address")),
        comment=_text(meta.get("comment")),
        total=money_text(order.total if order.total is not None else _ZERO),
        lines=tuple(_order_line(p) for p in payload.get("products") or []),
        receipt_id=receipt.id if receipt is not None else order.receipt_id,
        receipt_open=receipt is not None and receipt.status == 1,
    )


@dataclass(frozen=True)
class MethodChoice:
    """A payment method the clerk may close a receipt with."""

    id: int
    name: str


def payable_methods(
    methods: Iterable[PaymentMethod], *, venue_id: int, has_customer: bool
) -> tuple[MethodChoice, ...]:
    """The brand's methods usable for a receipt at ``venue_id``: switched on at the venue
    (a method without a venue map is on everywhere), and needing a customer only when
    the receipt has one."""
    usable = []
    for method in methods:
        status = method.status if isinstance(method.status, dict) else {}
        if status and status.get(str(venue_id)) not in (1, True, "1"):
            continue
        if method.customer_required and not has_customer:
            continue
        usable.append(MethodChoice(method.id, method.name))
    return tuple(usable)


@dataclass(frozen=True)
class ReceiptView:
    """A receipt card: lines, totals and (while open) how it can be paid."""

    id: int
    status: int
    venue: str
    opened: str
    opened_iso: str
    closed: str
    order_id: int | None
    locked: bool
    lines: tuple[LineView, ...]
    totals: tuple[tuple[str, str], ...]
    total: str
    total_raw: str
    payments: tuple[tuple[str, str], ...] = ()
    methods: tuple[MethodChoice, ...] = field(default=())


def _receipt_line(line: ReceiptProduct) -> LineView:
    product = _dict(_dict(line.meta).get("product"))
    name = _text(product.get("name")) or f"Product {line.product_id}"
    note = _text(product.get("modifier_name"))
    if line.is_gift:
        note = ", ".join(n for n in (note, "gift") if n)
    return LineView(
        name=name,
        count=_count_text(line.count),
        price=money_text(line.price),
        total=money_text(line.total),
        note=note,
    )


def receipt_view(
    receipt: Receipt,
    lines: Sequence[ReceiptProduct],
    venues: Mapping[int, str],
    methods: Iterable[PaymentMethod] = (),
) -> ReceiptView:
    """A receipt as its card shows it; zero adjustments are left out of the totals."""
    totals: list[tuple[str, str]] = [("Subtotal", money_text(receipt.subtotal))]
    for label, amount, sign in (
        ("Discount", receipt.total_discount, "−"),
        ("Service charge", receipt.service_charge_value, ""),
        ("Delivery fee", receipt.delivery_fee, ""),
        ("Tax (added)", receipt.e_tax, ""),
        ("Tax (included)", receipt.i_tax, ""),
    ):
        if amount:
            totals.append((label, sign + money_text(amount)))
    payments = tuple(
        (
            _text(p.get("name")) or f"Method {p.get('id')}",
            money_text(_decimal(p.get("amount")) or _ZERO),
        )
        for p in (receipt.payment_methods or [])
        if isinstance(p, dict)
    )
    return ReceiptView(
        id=receipt.id,
        status=receipt.status,
        venue=venues.get(receipt.venue_id, f"Venue {receipt.venue_id}"),
        opened=clock(receipt.created_at),
        opened_iso=_iso(receipt.created_at),
        closed=clock(receipt.closed_at),
        order_id=receipt.order_id,
        locked=bool(receipt.lock),
        lines=tuple(_receipt_line(line) for line in lines),
        totals=tuple(totals),
        total=money_text(receipt.total),
        total_raw=f"{receipt.total:f}",
        payments=payments,
        methods=payable_methods(
            methods, venue_id=receipt.venue_id, has_customer=receipt.customer_id is not None
        ),
    )


@dataclass(frozen=True)
class StopRow:
    """A product on the stop-list screen and its limit at the chosen venue."""

    id: int
    name: str
    type: str
    price: str
    limit: int | None  # None: not on the stop list (no limit)

    @property
    def sold_out(self) -> bool:
        """A limit of 0: the product cannot be sold (spec §10.3)."""
        return self.limit == 0

    @property
    def state(self) -> str:
        """``Available``, ``Sold out`` or ``N left``."""
        if self.limit is None:
            return "Available"
        if self.limit == 0:
            return "Sold out"
        return f"{self.limit} left"


def stop_rows(products: Iterable[Product], entries: Iterable[StopListEntry]) -> list[StopRow]:
    """Each product with its stop-list limit at the venue the entries belong to."""
    limits = {entry.product_id: entry.limit for entry in entries}
    return [
        StopRow(
            id=product.id,
            name=product.name,
            type=product.type,
            price=money_text(product.price),
            limit=limits.get(product.id),
        )
        for product in products
    ]
