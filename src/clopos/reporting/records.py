"""Pure helpers over what the SDK returns: envelopes, items, and flat export rows.

The SDK's methods return the response envelope as a ``dict`` today and typed pydantic
models (unknown fields kept) once ``clopos.models`` lands; :func:`as_plain` turns either into
plain dicts and lists, so everything below works on both.

A flat row is one receipt (or order) as an ordered list of cells, one per :class:`Column`.
Money cells are :class:`~decimal.Decimal`; the writers turn them into exact CSV text or a
Parquet ``decimal128``. Nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from clopos._json import dumps

Kind = Literal["int", "str", "money", "json"]
Cell = int | str | Decimal | None


class RecordError(ValueError):
    """A value the export cannot represent exactly (a non-numeric amount, a text id)."""


def as_plain(value: Any, depth: int = 3) -> Any:
    """``value`` as plain Python data: a pydantic model becomes its wire dict (aliases,
    only the fields the server sent). Dicts and lists are looked into ``depth`` levels deep
    (an envelope, its ``data`` list, an item) and copied only where a model was replaced."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, exclude_unset=True, mode="python")
    if depth <= 0:
        return value
    if isinstance(value, dict):
        copied: dict[str, Any] | None = None
        for key, item in value.items():
            plain = as_plain(item, depth - 1)
            if plain is not item:
                copied = copied if copied is not None else dict(value)
                copied[key] = plain
        return copied if copied is not None else value
    if isinstance(value, list):
        items = [as_plain(item, depth - 1) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def envelope_items(envelope: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items of a list page (``data``); non-object entries are refused, not dropped."""
    data = envelope.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise RecordError(f"expected a list in 'data', got {type(data).__name__}")
    items: list[dict[str, Any]] = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise RecordError(f"data[{index}] is {type(item).__name__}, not an object")
        items.append(item)
    return items


def envelope_total(envelope: Mapping[str, Any]) -> int | None:
    """``total``, else ``pagination.total`` (spec §4.1 allows both); ``None`` when absent."""
    total = envelope.get("total")
    if total is None:
        block = envelope.get("pagination")
        if isinstance(block, Mapping):
            total = block.get("total")
    if isinstance(total, bool) or not isinstance(total, int | str):
        return None
    try:
        return int(total)
    except ValueError:
        return None


def envelope_sorts(envelope: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``sorts`` a list endpoint advertises (spec §4.1); empty when it sends none."""
    sorts = envelope.get("sorts")
    if not isinstance(sorts, list):
        return ()
    return tuple(s for s in sorts if isinstance(s, str))


def page_count(total: int, page_size: int) -> int:
    """Pages of ``page_size`` needed for ``total`` items (0 for none)."""
    return math.ceil(total / page_size) if total > 0 else 0


# --- cells --------------------------------------------------------------------------------


def to_money(value: Any, column: str) -> Decimal | None:
    """An amount as an exact Decimal. JSON floats (what ``httpx`` parses) are read through
    their shortest repr, which gives back the digits the server sent for any amount of up
    to 15 significant digits."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise RecordError(f"{column}: expected an amount, got {value!r}")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise RecordError(f"{column}: expected an amount, got {value!r}") from None
    else:
        raise RecordError(f"{column}: expected an amount, got {type(value).__name__}")
    if not number.is_finite():
        raise RecordError(f"{column}: expected a finite amount, got {value!r}")
    return number


def to_int(value: Any, column: str) -> int | None:
    """An integer cell; digits in a string are accepted, anything else is an error."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    raise RecordError(f"{column}: expected an integer, got {value!r}")


def to_text(value: Any) -> str | None:
    """A text cell: strings as they are, numbers in their exact form, objects as JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money_text(value)
    if isinstance(value, int | float):
        return str(value)
    return dumps(value).decode()


def money_text(value: Decimal) -> str:
    """Plain positional digits (``1E+3`` would confuse spreadsheets): ``1000``, ``8.50``."""
    return format(value, "f")


def json_text(value: Any) -> str | None:
    """A nested value as compact JSON with exact numbers."""
    if value is None:
        return None
    return dumps(value).decode()


# --- columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a flat export: its name, its kind, and where its value comes from."""

    name: str
    kind: Kind
    get: Callable[[Mapping[str, Any]], Any]
    doc: str

    def cell(self, item: Mapping[str, Any]) -> Cell:
        """This column's cell for ``item``, converted to the column's kind."""
        value = self.get(item)
        if self.kind == "money":
            return to_money(value, self.name)
        if self.kind == "int":
            return to_int(value, self.name)
        if self.kind == "json":
            return json_text(value)
        return to_text(value)


def dig(item: Mapping[str, Any], *path: str) -> Any:
    """``item[a][b]…``, or ``None`` as soon as a step is missing or not an object."""
    current: Any = item
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def from_path(name: str, kind: Kind, doc: str, *path: str) -> Column:
    """A column read from ``item[path…]`` (``path`` defaults to the column's name)."""
    where = path or (name,)
    return Column(name, kind, lambda item: dig(item, *where), doc)


def _sale_type_name(receipt: Mapping[str, Any]) -> Any:
    return dig(receipt, "meta", "sale_type", "name")


def _payments_total(receipt: Mapping[str, Any]) -> Decimal | None:
    payments = receipt.get("payment_methods")
    if not isinstance(payments, list):
        return None
    total = Decimal(0)
    for index, payment in enumerate(payments):
        if not isinstance(payment, Mapping):
            raise RecordError(f"payment_methods[{index}] is not an object")
        amount = to_money(payment.get("amount"), f"payment_methods[{index}].amount")
        total += amount or Decimal(0)
    return total


RECEIPT_COLUMNS: tuple[Column, ...] = (
    from_path("id", "int", "receipt id"),
    from_path("venue_id", "int", "venue (branch) id"),
    from_path("cid", "str", "client UUID of the receipt"),
    from_path("status", "int", "1 open, 2 closed"),
    from_path("sale_type_id", "int", "sale type id"),
    Column("sale_type_name", "str", _sale_type_name, "sale type name (meta.sale_type.name)"),
    from_path("customer_id", "int", "customer id, if any"),
    from_path("user_id", "int", "user (cashier) id"),
    from_path("terminal_id", "int", "terminal id"),
    from_path("source", "str", "where the receipt came from, e.g. pos, web"),
    from_path("guests", "int", "number of guests"),
    from_path("total", "money", "total collected"),
    from_path("subtotal", "money", "before discounts, taxes and fees"),
    from_path("original_subtotal", "money", "subtotal before line discounts"),
    from_path("total_discount", "money", "all discounts"),
    from_path("discount_type", "int", "0 none, 1 percent, 2 amount"),
    from_path("discount_value", "money", "discount amount or percentage"),
    from_path("discount_rate", "money", "effective discount rate"),
    from_path("service_charge", "money", "service charge percentage"),
    from_path("service_charge_value", "money", "service charge amount"),
    from_path("delivery_fee", "money", "delivery fee"),
    from_path("total_tax", "money", "all taxes"),
    from_path("gift_total", "money", "value of gifted lines"),
    from_path("total_cost", "money", "cost of goods (totalCost on the wire)", "totalCost"),
    from_path("by_cash", "money", "paid in cash"),
    from_path("by_card", "money", "paid by card"),
    from_path("remaining", "money", "left to pay"),
    Column("paid_total", "money", _payments_total, "sum of payment_methods[].amount"),
    from_path("payment_methods", "json", "the payments as JSON: [{id, name, amount}]"),
    from_path("order_status", "str", "delivery workflow status (NEW … COMPLETED)"),
    from_path("order_number", "str", "order number, e.g. RPO-00001"),
    from_path("fiscal_id", "str", "fiscal receipt id"),
    from_path("created_at", "str", "opened, YYYY-MM-DD HH:MM:SS UTC"),
    from_path("closed_at", "str", "closed, YYYY-MM-DD HH:MM:SS UTC (empty while open)"),
    from_path("shift_date", "str", "business day, YYYY-MM-DD"),
    from_path("updated_at", "str", "last change, YYYY-MM-DD HH:MM:SS UTC"),
)


def _order_payload(order: Mapping[str, Any], *path: str) -> Any:
    return dig(order, "payload", *path)


def _order_sale_type(order: Mapping[str, Any]) -> Any:
    found = dig(order, "payload", "sale_type_id")
    return found if found is not None else dig(order, "payload", "service", "sale_type_id")


def _order_products(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    products = dig(order, "payload", "products")
    if not isinstance(products, list):
        return []
    return [p for p in products if isinstance(p, Mapping)]


def order_item_count(order: Mapping[str, Any]) -> Decimal:
    """Units ordered: the sum of ``payload.products[].count``."""
    count = Decimal(0)
    for index, product in enumerate(_order_products(order)):
        count += to_money(product.get("count"), f"payload.products[{index}].count") or 0
    return count


def _order_customer_id(order: Mapping[str, Any]) -> Any:
    found = order.get("customer_id")
    return found if found is not None else dig(order, "payload", "customer_id")


ORDER_COLUMNS: tuple[Column, ...] = (
    from_path("id", "int", "order id"),
    from_path("venue_id", "int", "venue (branch) id"),
    from_path("status", "str", "PENDING, RECEIVED, IGNORE or DELIVERED"),
    from_path("type", "str", "source, e.g. CALL_CENTER_ORDER"),
    from_path("integration", "str", "channel, e.g. call_center_new"),
    from_path("integration_status", "str", "the integration's own state"),
    from_path("integration_id", "str", "external id"),
    Column("sale_type_id", "int", _order_sale_type, "sale type id"),
    Column("customer_id", "int", _order_customer_id, "customer id"),
    from_path("customer_name", "str", "customer name", "payload", "customer", "name"),
    from_path("customer_phone", "str", "customer phone", "payload", "customer", "phone"),
    from_path("customer_address", "str", "delivery address", "payload", "customer", "address"),
    Column("product_lines", "int", lambda o: len(_order_products(o)), "product lines"),
    Column("item_count", "money", order_item_count, "units ordered (sum of counts)"),
    from_path("delivery_fee", "money", "delivery fee", "payload", "delivery_fee"),
    from_path("total_amount", "money", "order total, where the server reports one"),
    Column("comment", "str", lambda o: _order_payload(o, "meta", "comment"), "order note"),
    from_path("receipt_id", "int", "receipt opened when the till accepted the order"),
    from_path("order_number", "str", "order number"),
    from_path("created_at", "str", "created, ISO 8601 UTC"),
    from_path("updated_at", "str", "last change, ISO 8601 UTC"),
)


def flatten(item: Mapping[str, Any], columns: Sequence[Column]) -> list[Cell]:
    """One flat row; a value that cannot be represented names the record and column."""
    try:
        return [column.cell(item) for column in columns]
    except RecordError as exc:
        raise RecordError(f"record id {item.get('id')!r}: {exc}") from None


def cell_text(cell: Cell) -> str:
    """A CSV cell: empty for null, exact digits for money."""
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return money_text(cell)
    return str(cell)
