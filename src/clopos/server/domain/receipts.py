"""Receipts: body rules and wire shapes (spec §12) — pure, no I/O.

What lives here:

* the request bodies of PATCH (§12.6), v2 close (§12.8), v1 create (§12.5) and v1 PUT
  (§12.7) as pydantic models, and :func:`parse_body` turning their errors into the
  documented 400 ``validation_failed``;
* the receipt rules that need no database (open, unlocked, ``closed_at`` after
  ``created_at``, the timestamp formats the old client sends);
* the presenters of the Receipt (§12.4), ReceiptProduct (§12.4 + the 24 keys the existing
  client requires, existing-python-client.md §5.1) and StockOperation (§12.10) objects;
* the snapshot of a product kept in a line's ``meta`` and its conversion to a totals line.

Money arrives as exact ``Decimal`` (the routes parse JSON with ``parse_float=Decimal``) or as
a numeric string (integrify 0.0.1 sends every Decimal as a string) and is stored as sent.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from clopos.models.receipts import CLOSED as CLOSED
from clopos.models.receipts import CLOSED_AT_TOO_EARLY, PATCH_FIELDS, CustomerMeta
from clopos.models.receipts import OPEN as OPEN
from clopos.models.receipts import CloseBody as CloseBody
from clopos.models.receipts import MoneyIn as MoneyIn
from clopos.models.receipts import PatchBody as PatchBody
from clopos.models.receipts import PaymentIn as PaymentIn
from clopos.models.receipts import Quantity as Quantity
from clopos.models.receipts import ReceiptCreate as ReceiptCreate
from clopos.models.receipts import ReceiptUpdate as ReceiptUpdate
from clopos.models.receipts import RowId as RowId
from clopos.models.receipts import parse_closed_at as parse_closed_at
from clopos.models.receipts import parse_wire_time as parse_wire_time
from clopos.server.domain.catalog_wire import present_station
from clopos.server.domain.products import present_unit
from clopos.server.domain.timestamps import day, plain, unix_millis
from clopos.server.domain.totals import Line, LineTotals, ModifierLine, money
from clopos.server.errors import ValidationFailed, field_path
from clopos.server.store.models import (
    ModifierGroup,
    Product,
    Receipt,
    ReceiptProduct,
    Station,
    StockOperation,
    Unit,
)

# --- vocabulary ---------------------------------------------------------------------------

# OPEN, CLOSED, ORDER_STATUSES, PATCH_FIELDS, CLOSED_AT_TOO_EARLY: clopos.models.receipts.
# Sent by the old client (``id``) and the PHP SDK (``id``, ``cid``) beside the fields.
PATCH_TOLERATED = ("id", "cid")

# Messages the docs show (spec §5.3, §12.6, §12.8) or this server chose (docs/decisions.md).
PATCH_INVALID = "Invalid field values provided"
PATCH_DONE = "Əməliyyat uğurla həyata keçirildi"
ALREADY_CLOSED = "Receipt is already closed"
LOCKED = "Receipt is locked"
CLOSED_NO_PUT = (
    "Receipt is closed; a closed receipt only accepts PATCH "
    "(order_status, order_number, fiscal_id, lock)"
)

# Product types whose own stock is written off when they have no recipe (spec §12.10).
STOCKED_TYPES = ("GOODS", "MODIFICATION")
# Stock cost amounts are kept to 4 places: finer than money, as ingredient costs need.
COST_PLACES = Decimal("0.0001")

M = TypeVar("M", bound=BaseModel)


# --- errors -------------------------------------------------------------------------------


def invalid(field: str, message: str, *, summary: str | None = None) -> ValidationFailed:
    """400 ``validation_failed`` naming ``field`` (``summary`` replaces the headline)."""
    return ValidationFailed(
        summary or message,
        details={"field": field, "errors": [{"field": field, "message": message}]},
    )


def parse_body(model: type[M], raw: Any, *, summary: str | None = None) -> M:
    """Validate a decoded JSON body with ``model``; errors become 400 ``validation_failed``.

    The headline names the first bad field ("The cid field is required"), unless
    ``summary`` is given (PATCH answers the documented "Invalid field values provided");
    ``details.errors`` lists every problem.
    """
    if not isinstance(raw, dict):
        raise invalid("body", "The request body must be a JSON object", summary=summary)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        fields = [{"field": field_path(tuple(e["loc"])), "message": _error_text(e)} for e in errors]
        first = errors[0]
        name = field_path(tuple(first["loc"]))
        if first["type"] == "missing":
            headline = f"The {name} field is required"
        else:
            headline = f"The {name} field is invalid: {_error_text(first)}"
        raise ValidationFailed(
            summary or headline, details={"field": name, "errors": fields}
        ) from None


def _error_text(error: Mapping[str, Any]) -> str:
    text = str(error.get("msg", "invalid value"))
    # pydantic prefixes messages raised by our validators with "Value error, ".
    return text.removeprefix("Value error, ")


# --- bodies -------------------------------------------------------------------------------
# The body models are shared with the SDK (clopos.models.receipts), which checks a body
# before sending it; the routes validate with them through parse_body.


def parse_patch(raw: Any) -> PatchBody:
    """Validate a PATCH body; an unknown or bad field is 400 "Invalid field values provided".

    ``id`` and ``cid`` are tolerated (the old client and a PHP SDK send them); the route
    checks they name this receipt. ``lock`` must be a boolean, not ``null``.
    """
    if isinstance(raw, dict):
        for key in raw:
            if key not in PATCH_FIELDS and key not in PATCH_TOLERATED:
                raise invalid(
                    str(key),
                    f"{key} cannot be changed with PATCH; the updatable fields are "
                    + ", ".join(PATCH_FIELDS),
                    summary=PATCH_INVALID,
                )
        if "lock" in raw and raw["lock"] is None:
            raise invalid("lock", "lock must be true or false", summary=PATCH_INVALID)
    return parse_body(PatchBody, raw, summary=PATCH_INVALID)


def parse_create(raw: Any) -> ReceiptCreate:
    """Validate a v1 create body, then its cross-field rules (each naming its field)."""
    body = parse_body(ReceiptCreate, raw)
    for problem in body.problems():
        raise invalid(problem.field, problem.message)
    return body


def parse_update(raw: Any) -> ReceiptUpdate:
    """Validate a v1 PUT body, then its cross-field rules (each naming its field)."""
    body = parse_body(ReceiptUpdate, raw)
    for problem in body.problems():
        raise invalid(problem.field, problem.message)
    return body


def customer_snapshot(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate ``meta.customer`` (a ``name`` at least) and return it as stored."""
    try:
        return CustomerMeta.model_validate(raw).model_dump()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        name = "meta.customer." + field_path(tuple(first["loc"]))
        raise invalid(name, f"The {name} field is invalid: {_error_text(first)}") from None


# --- rules --------------------------------------------------------------------------------


def ensure_open(receipt: Receipt) -> None:
    """Close and add-lines need an open receipt (spec §12.1, §12.8)."""
    if receipt.status != OPEN:
        raise invalid("status", ALREADY_CLOSED)


def ensure_unlocked(receipt: Receipt) -> None:
    """``lock: true`` freezes a receipt against PUT, close, new lines and DELETE; PATCH
    still works so it can be unlocked (docs/decisions.md)."""
    if receipt.lock:
        raise invalid("lock", LOCKED)


def ensure_closed_after(created_at: datetime, closed_at: datetime) -> None:
    """spec §12.7/§12.8: ``closed_at`` must be later than ``created_at``.

    Compared exactly: a receipt created at 10:00:00.4 cannot be closed at "10:00:00", but
    one closed "now" (the default) a moment after it was opened is fine.
    """
    if closed_at <= created_at:
        raise invalid("closed_at", CLOSED_AT_TOO_EARLY)


def product_hash(product_id: int, modifier_ids: Iterable[int] = ()) -> str:
    """base64 of the comma-joined product and modifier ids, like the docs' example
    ``MTExODcsMTEyMDE=`` = ``11187,11201`` (spec §11.4; the derivation is inferred)."""
    text = ",".join(str(i) for i in (product_id, *modifier_ids))
    return base64.b64encode(text.encode()).decode()


def cost_amount(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    """The cost of a stock movement, to :data:`COST_PLACES`."""
    return (quantity * unit_cost).quantize(COST_PLACES, rounding=ROUND_HALF_UP)


# --- line snapshots and totals ------------------------------------------------------------


@dataclass(frozen=True)
class ProductFacts:
    """What a receipt line copies from its catalog product when it is added."""

    id: int
    name: str
    type: str
    price: Decimal
    cost_price: Decimal
    giftable: bool
    discountable: bool
    ignore_service_charge: bool
    sold_by_weight: bool
    barcode: str | None
    station: dict[str, Any] | None
    taxes: tuple[dict[str, Any], ...]


def tax_rates(taxes: Iterable[Mapping[str, Any]]) -> tuple[Decimal, ...]:
    """The ``rate`` of each stored tax entry."""
    return tuple(Decimal(str(t.get("rate", 0))) for t in taxes)


def line_meta(
    facts: ProductFacts,
    *,
    price: Decimal,
    modifier_names: Sequence[str],
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A line's ``meta`` (spec §12.4 ReceiptProduct): the product as it was when sold."""
    rate = sum(tax_rates(facts.taxes), Decimal(0))
    without_taxes = money(price * 100 / (100 + rate)) if rate else price
    meta: dict[str, Any] = {
        "product": {
            "id": facts.id,
            "name": facts.name,
            "type": facts.type,
            "giftable": facts.giftable,
            "price": price,
            "modifier_name": ", ".join(modifier_names),
            "discountable": facts.discountable,
            "ignore_service_charge": facts.ignore_service_charge,
            "sold_by_weight": facts.sold_by_weight,
            "priceWithoutTaxes": without_taxes,
            "barcode": facts.barcode,
            "taxes": list(facts.taxes),
            "station": facts.station,
        },
        "originalPrice": price,
        "total_gift": Decimal(0),
        "discountedPrice": price,
        "terminal_updated_at": unix_millis(now),
    }
    if extra:
        meta.update(extra)
    return meta


def totals_line(line: ReceiptProduct) -> Line:
    """A stored receipt line as input to the totals engine."""
    product = (line.meta or {}).get("product") or {}
    modifiers = tuple(
        ModifierLine(price=Decimal(str(m.get("price", 0))), count=Decimal(str(m.get("count", 1))))
        for m in (line.modificators or [])
        if isinstance(m, dict)
    )
    return Line(
        price=line.price,
        count=line.count,
        portion_size=line.portion_size,
        modifiers=modifiers,
        tax_rates=tax_rates(t for t in (line.taxes or []) if isinstance(t, dict)),
        is_gift=line.is_gift,
        discountable=bool(product.get("discountable", True)),
        ignore_service_charge=bool(product.get("ignore_service_charge", False)),
    )


def apply_line_totals(line: ReceiptProduct, totals: LineTotals) -> None:
    """Write one line's computed money onto it (subtotal, discount share, total)."""
    line.subtotal = totals.subtotal
    line.total = totals.total
    line.total_discount = totals.discount
    line.receipt_discount = totals.discount
    units = line.count * line.portion_size
    meta = dict(line.meta or {})
    meta["total_gift"] = totals.subtotal if line.is_gift else Decimal(0)
    meta["discountedPrice"] = (
        money((totals.subtotal - totals.discount) / units) if units else line.price
    )
    line.meta = meta


def initial_meta(
    *, sale_type_name: str | None, user_name: str | None, now: datetime
) -> dict[str, Any]:
    """A new receipt's ``meta`` (spec §12.4)."""
    return {
        "preprint_count": 0,
        "sale_type": {"name": sale_type_name},
        "user": {"name": user_name},
        "terminal_updated_at": unix_millis(now),
        "availiableDeposit": Decimal(0),  # sic: the docs' spelling
        "check_close_event": {"checked": False, "operated_at": None, "fails": []},
    }


def closed_meta(meta: Mapping[str, Any] | None, *, paid: Decimal, now: datetime) -> dict[str, Any]:
    """``meta`` after closing: the close check passed and what was paid."""
    updated = dict(meta or {})
    updated["availiableDeposit"] = paid
    updated["terminal_updated_at"] = unix_millis(now)
    updated["check_close_event"] = {"checked": True, "operated_at": plain(now), "fails": []}
    return updated


# --- presenters ---------------------------------------------------------------------------


def present_meta(receipt: Receipt) -> dict[str, Any]:
    """The stored ``meta`` with every documented key present."""
    meta = dict(receipt.meta or {})
    meta.setdefault("preprint_count", 0)
    meta.setdefault("sale_type", {"name": None})
    meta.setdefault("user", {"name": None})
    meta.setdefault("terminal_updated_at", unix_millis(receipt.created_at))
    meta.setdefault("availiableDeposit", Decimal(0))
    meta.setdefault("check_close_event", {"checked": False, "operated_at": None, "fails": []})
    return meta


def present_receipt(receipt: Receipt, lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The full Receipt object (spec §12.4, in the PATCH example's key order).

    ``totalCost`` is camelCase on the wire; ``loyalty_type`` is an integer or ``null``
    (the existing client requires an int). ``receipt_products`` is added when ``lines`` is
    given (already presented).
    """
    body: dict[str, Any] = {
        "id": receipt.id,
        "venue_id": receipt.venue_id,
        "cash_shift_cid": receipt.cash_shift_cid,
        "cid": receipt.cid,
        "user_id": receipt.user_id,
        "open_by_user_id": receipt.open_by_user_id,
        "close_by_user_id": receipt.close_by_user_id,
        "courier_id": receipt.courier_id,
        "seller_id": receipt.seller_id,
        "terminal_id": receipt.terminal_id,
        "source": receipt.source,
        "closed_terminal_id": receipt.closed_terminal_id,
        "service_notification_id": receipt.service_notification_id,
        "table_id": receipt.table_id,
        "hall_id": receipt.hall_id,
        "customer_id": receipt.customer_id,
        "sale_type_id": receipt.sale_type_id,
        "is_returns": receipt.is_returns,
        "guests": receipt.guests,
        "status": receipt.status,
        "lock": receipt.lock,
        "inventory_status": receipt.inventory_status,
        "report_status": receipt.report_status,
        "meta": present_meta(receipt),
        "suspicion": receipt.suspicion,
        "printed": receipt.printed,
        "total": receipt.total,
        "subtotal": receipt.subtotal,
        "original_subtotal": receipt.original_subtotal,
        "gift_total": receipt.gift_total,
        "totalCost": receipt.total_cost,
        "payment_methods": present_payments(receipt.payment_methods),
        "fiscal_id": receipt.fiscal_id,
        "by_cash": receipt.by_cash,
        "by_card": receipt.by_card,
        "remaining": receipt.remaining,
        "discount_type": receipt.discount_type,
        "discount_value": receipt.discount_value,
        "discount_rate": receipt.discount_rate,
        "rps_discount": receipt.rps_discount,
        "service_charge": receipt.service_charge,
        "service_charge_value": receipt.service_charge_value,
        "i_tax": receipt.i_tax,
        "delivery_fee": receipt.delivery_fee,
        "e_tax": receipt.e_tax,
        "total_tax": receipt.total_tax,
        "description": receipt.description,
        "address": receipt.address,
        "terminal_version": receipt.terminal_version,
        "loyalty_type": receipt.loyalty_type,
        "loyalty_value": receipt.loyalty_value,
        "order_status": receipt.order_status,
        "order_number": receipt.order_number,
        "created_at": plain(receipt.created_at),
        "updated_at": plain(receipt.updated_at),
        "terminal_updated_at": plain(receipt.terminal_updated_at),
        "closed_at": plain(receipt.closed_at),
        "shift_date": day(receipt.shift_date),
        "deleted_at": plain(receipt.deleted_at),
        "gift_count": receipt.gift_count,
        "total_discount": receipt.total_discount,
        "properties": dict(receipt.properties or {}),
    }
    if lines is not None:
        body["receipt_products"] = lines
    return body


def present_payments(stored: Any) -> list[dict[str, Any]]:
    """``payment_methods`` as ``[{id, name, amount}]``."""
    return [
        {"id": p.get("id"), "name": p.get("name"), "amount": p.get("amount")}
        for p in (stored or [])
        if isinstance(p, dict)
    ]


def present_close_result(receipt: Receipt) -> dict[str, Any]:
    """``data`` of the v2 close answer: the docs' ``{id, closed_at, payment_methods}`` plus
    ``created_at``/``updated_at`` (integrify 0.1.0 parses it as a Receipt and requires
    them, existing-python-client.md §8.5), ``status`` and ``total``."""
    return {
        "id": receipt.id,
        "closed_at": plain(receipt.closed_at),
        "payment_methods": present_payments(receipt.payment_methods),
        "status": receipt.status,
        "total": receipt.total,
        "created_at": plain(receipt.created_at),
        "updated_at": plain(receipt.updated_at),
    }


def present_modificator(
    stored: Mapping[str, Any], group: dict[str, Any] | None, *, with_group: bool
) -> dict[str, Any]:
    """One modifier of a line ``{id, modificator_id, modificator_group_id, name, price,
    count}`` (+ ``modificator_group`` on request)."""
    body = {
        "id": stored.get("id"),
        "modificator_id": stored.get("modificator_id", stored.get("id")),
        "modificator_group_id": stored.get("modificator_group_id"),
        "name": stored.get("name"),
        "price": stored.get("price", Decimal(0)),
        "count": stored.get("count", 1),
    }
    if with_group:
        body["modificator_group"] = group
    return body


def present_receipt_product(
    line: ReceiptProduct,
    *,
    modificators: list[dict[str, Any]] | None = None,
    product: dict[str, Any] | None = None,
    with_product: bool = False,
) -> dict[str, Any]:
    """A ReceiptProduct: every key the existing client requires (24, nullable ones as
    ``null``; ``seller_id`` must be an int, so 0 stands for "nobody"), plus ``id``,
    ``cost`` and timestamps. ``modificators`` / ``product`` appear on request."""
    body: dict[str, Any] = {
        "id": line.id,
        "cid": line.cid,
        "receipt_id": line.receipt_id,
        "product_id": line.product_id,
        "product_hash": line.product_hash,
        "meta": dict(line.meta or {}),
        "count": line.count,
        "portion_size": line.portion_size,
        "is_gift": line.is_gift,
        "price": line.price,
        "subtotal": line.subtotal,
        "total": line.total,
        "cost": line.cost,
        "discount_type": line.discount_type,
        "discount_rate": line.discount_rate,
        "discount_value": line.discount_value,
        "total_discount": line.total_discount,
        "receipt_discount": line.receipt_discount,
        "seller_id": line.seller_id or 0,
        "preprint_count": 0,
        "station_printed_count": 0,
        "station_aborted_count": 0,
        "loyalty_type": None,
        "loyalty_value": None,
        "receipt_product_modificators": [
            present_modificator(m, None, with_group=False)
            for m in (line.modificators or [])
            if isinstance(m, dict)
        ],
        "taxes": list(line.taxes or []),
        "created_at": plain(line.created_at),
        "updated_at": plain(line.updated_at),
        "terminal_updated_at": plain(line.terminal_updated_at),
        "deleted_at": plain(line.deleted_at),
    }
    if modificators is not None:
        body["modificators"] = modificators
    if with_product:
        body["product"] = product
    return body


def present_line_product(
    product: Product,
    *,
    unit: Unit | None,
    station: Station | None,
    with_unit: bool,
    with_station: bool,
) -> dict[str, Any]:
    """``receipt_products[].product`` (``with[]=receipt_products.product.unit|station``):
    the catalog product as it is now, with the requested relation."""
    body: dict[str, Any] = {
        "id": product.id,
        "name": product.name,
        "type": product.type,
        "price": product.price,
        "cost_price": product.cost_price,
        "category_id": product.category_id,
        "station_id": product.station_id,
        "unit_id": product.unit_id,
        "barcode": product.barcode,
    }
    if with_unit:
        body["unit"] = present_unit(unit)
    if with_station:
        body["station"] = present_station(station) if station else None
    return body


def present_group_brief(group: ModifierGroup | None) -> dict[str, Any] | None:
    """``modificators[].modificator_group``: ``{id, name, type, min_select, max_select}``."""
    if group is None:
        return None
    return {
        "id": group.id,
        "name": group.name,
        "type": group.type,
        "min_select": group.min_select,
        "max_select": group.max_select,
    }


def present_stock_operation(
    operation: StockOperation,
    *,
    product_name: str,
    storage_name: str,
) -> dict[str, Any]:
    """A StockOperation (spec §12.10) with ``product {id, name}`` and
    ``stock {id, storage {id, name}}``."""
    return {
        "id": operation.id,
        "receipt_id": operation.receipt_id,
        "receipt_product_id": operation.receipt_product_id,
        "operation_id": operation.operation_id,
        "product_id": operation.product_id,
        "stock_id": operation.stock_id,
        "storage_id": operation.storage_id,
        "quantity": operation.quantity,
        "before_quantity": operation.before_quantity,
        "after_quantity": operation.after_quantity,
        "cost": operation.cost,
        "before_cost": operation.before_cost,
        "total_cost": operation.total_cost,
        "operated_at": plain(operation.operated_at),
        "product": {"id": operation.product_id, "name": product_name},
        "stock": {
            "id": operation.stock_id,
            "storage": {"id": operation.storage_id, "name": storage_name},
        },
    }
