"""Clopos ↔ Apideck unified POS mapping (unified-pos.md §5–§9). Pure: no I/O, no clock
unless a caller leaves ``now`` out.

Inputs are Clopos JSON objects exactly as the Open API returns them (v2 or v1 shapes; money
as ``Decimal``, ``int``, ``float`` or numeric ``str``). Outputs are JSON-ready dicts: Order
money is in **minor units** (``int``; ``unit_price``/``quantity`` exact ``Decimal`` numbers),
every other resource in **major units** (``Decimal``) — serialise with ``clopos._json.dumps``.
A member the Apideck schema does not declare nullable is left out rather than sent as
``null`` (the legacy ``apideck`` SDK rejects ``null`` there); nullable ones are always sent.

Public API (what the routes call):

Context
    ``Catalog.build(products=, sale_types=, venues=, payment_methods=)`` — the Clopos lookups
    the mapping may need (names, prices, modifier groups, delivery sale types, cash/card).
    Every ``catalog=`` argument is optional; without one, names come from the stored data.

Ids (§8)
    ``parse_order_id(text) -> OrderRef`` (``"108"`` order, ``"r6"`` receipt-only sale; else
    404), ``parse_payment_id(text) -> (receipt_id, index)``, ``parse_int_id(text, what)``
    (path ids → 404), ``parse_body_id(text, field)`` (body ids → 400),
    ``check_merchant_id(text, merchant_id)``; ``unified_order_id(order, receipt)``,
    ``order_receipt_id(order)``, ``receipt_order_id(receipt)``.

Orders (§9)
    ``order_to_unified(order, receipt, *, merchant_id, currency, time_zone="UTC",
    catalog=None, created_via_api=False, receipt_deleted=None, idempotency_key=None)``;
    ``unified_status(order, receipt)``, ``order_version(order, receipt)``.
    Pass the receipt *with its lines* (``with[]=receipt_products``) whenever the order has
    one: an accepted order whose receipt is gone reads as voided (§9.1 "receipt deleted").

Writes (§6, §9.5, §9.6)
    ``create_payload(body, *, api_version, merchant_id=None, venue_id=None, currency="AZN",
    catalog=None)`` → the Clopos ``POST /orders`` body (v2 flat or v1 nested, ``pass_through``
    applied; split it into ``clopos.client`` ``create_order`` kwargs + ``extra``);
    ``nested_to_flat(body)`` translates a v1 body to v2;
    ``create_fingerprint(body)`` for idempotency (§6.1);
    ``plan_update(current, order, receipt, body, *, api_version)``
    → ``UpdatePlan``; ``with_customer(plan, customer)`` completes one that needs a
    ``GET /customers/{id}`` (``customer_snapshot`` builds ``meta.customer``);
    ``plan_delete(order, receipt, *, api_version)`` →
    ``DeletePlan``; ``plan_pay(current, order, receipt, body, *, api_version, currency=…,
    catalog=None, time_zone="UTC", now=None)`` → ``PayPlan``.

Other resources (§7)
    ``payment_from_receipt``, ``payments_from_receipt``, ``merchant_from_brand``,
    ``location_from_venue``, ``item_from_product``, ``modifier_from_modificator``,
    ``modifier_group_from_group``, ``order_type_from_sale_type``,
    ``default_sale_type_id``, ``tender_from_payment_method``.

Errors are ``UnifiedError``: 400 ``RequestValidationError`` (body invalid or unresolvable),
404 ``EntityNotFoundError`` (path id), 409 ``ConflictError`` (version), 422
``InvalidStateError`` (state, or a change Clopos cannot store — naming the fields).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, Final
from zoneinfo import ZoneInfo

from clopos.unified.errors import UnifiedError
from clopos.unified.schema import (
    READ_ONLY,
    CustomerIn,
    DiscountIn,
    FulfillmentIn,
    OrderIn,
    PassThroughIn,
    ServiceChargeIn,
    TenderIn,
    bad_request,
    parse_order_body,
)

__all__ = [
    "SERVICE_ID",
    "Catalog",
    "DeletePlan",
    "OrderRef",
    "PayPlan",
    "UpdatePlan",
    "check_merchant_id",
    "create_fingerprint",
    "create_payload",
    "currency_exponent",
    "customer_snapshot",
    "default_sale_type_id",
    "item_from_product",
    "location_from_venue",
    "merchant_from_brand",
    "modifier_from_modificator",
    "modifier_group_from_group",
    "nested_to_flat",
    "order_receipt_id",
    "order_to_unified",
    "order_type_from_sale_type",
    "order_version",
    "parse_body_id",
    "parse_int_id",
    "parse_order_id",
    "parse_payment_id",
    "payment_from_receipt",
    "payments_from_receipt",
    "plan_delete",
    "plan_pay",
    "plan_update",
    "receipt_order_id",
    "tender_from_payment_method",
    "unified_order_id",
    "unified_status",
    "with_customer",
]

SERVICE_ID: Final = "clopos"

MAX_ID: Final = 2**31 - 1
CLOSED_RECEIPT: Final = 2
RECEIPT_DESCRIPTION_MAX: Final = 500  # spec §12.7
ORDER_NUMBER_MAX: Final = 20  # Clopos create order, spec §11.4

# ISO 4217 minor-unit exponents that are not 2. UZS is 0 as unified-pos.md §9.3 says.
_ZERO_DECIMAL: Final = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "UYI",
        "UZS",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
_THREE_DECIMAL: Final = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
_CRYPTO: Final = {"BTC": 8, "ETH": 18}

# Words that mark a delivery sale type when the catalog gives no system_type.
_DELIVERY_WORDS: Final = ("deliver", "çatdır", "catdir", "доставк")
_CASH_WORDS: Final = ("cash", "nağd", "nagd", "налич")
_CARD_WORDS: Final = ("card", "kart", "карт")

# The receipt fields PATCH /receipts/{id} may set (spec §12.6) — pass_through on PATCH.
_RECEIPT_PATCH_FIELDS: Final = ("order_status", "order_number", "fiscal_id", "lock")
_FULFILLMENT_TO_RECEIPT: Final = {
    "reserved": "IN_PROGRESS",
    "prepared": "READY",
    "completed": "PICKED_UP",
    "cancelled": "CANCELLED",
}


# --- context ------------------------------------------------------------------------------


def _int_key(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    return None


def _index(rows: Iterable[Any]) -> dict[int, Mapping[str, Any]]:
    out: dict[int, Mapping[str, Any]] = {}
    for row in rows:
        if isinstance(row, Mapping):
            key = _int_key(row.get("id"))
            if key is not None:
                out[key] = row
    return out


@dataclass(frozen=True)
class Catalog:
    """Clopos lookups by id: products (and their variants), modificators (each with its
    ``group_id``), modificator groups, sale types, venues and payment methods."""

    products: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    modifiers: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    groups: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    sale_types: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    venues: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    payment_methods: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *,
        products: Iterable[Mapping[str, Any]] = (),
        sale_types: Iterable[Mapping[str, Any]] = (),
        venues: Iterable[Mapping[str, Any]] = (),
        payment_methods: Iterable[Mapping[str, Any]] = (),
    ) -> Catalog:
        """Index Clopos list answers. Products fetched with ``with[]=modificator_groups``
        (and ``modifications``) also fill the modifier and group lookups."""
        product_rows: list[Mapping[str, Any]] = []
        modifiers: dict[int, Mapping[str, Any]] = {}
        groups: dict[int, Mapping[str, Any]] = {}
        for product in products:
            if not isinstance(product, Mapping):
                continue
            product_rows.append(product)
            for variant in product.get("modifications") or ():
                if isinstance(variant, Mapping):
                    product_rows.append(variant)
            for group in product.get("modificator_groups") or ():
                if not isinstance(group, Mapping):
                    continue
                group_id = _int_key(group.get("id"))
                if group_id is not None:
                    groups.setdefault(group_id, group)
                for choice in group.get("modificators") or group.get("modifiers") or ():
                    if isinstance(choice, Mapping) and _int_key(choice.get("id")) is not None:
                        entry = dict(choice)
                        entry.setdefault("group_id", group_id)
                        modifiers.setdefault(int(choice["id"]), entry)
        return cls(
            products=_index(product_rows),
            modifiers=modifiers,
            groups=groups,
            sale_types=_index(sale_types),
            venues=_index(venues),
            payment_methods=_index(payment_methods),
        )


_EMPTY_CATALOG: Final = Catalog()


def currency_exponent(currency: str) -> int:
    """Minor-unit exponent of an ISO 4217 code (2 unless known otherwise; UZS 0, §9.3)."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return 0
    if code in _THREE_DECIMAL:
        return 3
    return _CRYPTO.get(code, 2)


@dataclass(frozen=True)
class _Ctx:
    merchant_id: str
    currency: str
    zone: tzinfo
    catalog: Catalog

    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)


def _zone(name: str) -> tzinfo:
    return UTC if name.upper() in ("UTC", "Z", "") else ZoneInfo(name)


# --- values -------------------------------------------------------------------------------


def _dec(value: Any) -> Decimal | None:
    """A Clopos amount as an exact ``Decimal`` (never rescaled); ``None`` when absent/bad."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, str) and value.strip():
            number = Decimal(value.strip())
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _zero(value: Any) -> Decimal:
    return _dec(value) or Decimal(0)


def _minor(value: Any, exponent: int) -> int | None:
    """Major → minor units, rounded half-even to an integer (§9.3)."""
    number = _dec(value)
    if number is None:
        return None
    return int(number.scaleb(exponent).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _plain_number(number: Decimal) -> int | Decimal:
    """An exact number for JSON: an ``int`` when whole, else a Decimal without exponent."""
    if number == number.to_integral_value():
        return int(number)
    return number.normalize()


def _minor_number(value: Any, exponent: int) -> int | Decimal | None:
    """Major → minor units kept exact (``unit_price`` may be fractional, §9.3)."""
    number = _dec(value)
    return None if number is None else _plain_number(number.scaleb(exponent))


def _major(amount: int | Decimal, exponent: int) -> Decimal:
    """Minor → major units, exact (``850`` → ``8.50``)."""
    number = Decimal(amount).scaleb(-exponent)
    exp = number.as_tuple().exponent
    if isinstance(exp, int) and exp > 0:
        number = number.quantize(Decimal(1))
    return number


def _text_id(value: Any) -> str | None:
    """A Clopos id as a unified string id (``0``/``None`` → ``None``)."""
    key = _int_key(value)
    if key is not None:
        return str(key) if key > 0 else None
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _percent_text(value: Decimal) -> str:
    return f"{_plain_number(value)}%"


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value
    return None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    """Set ``key`` unless ``value`` is ``None`` (for members the schema makes non-nullable)."""
    if value is not None:
        target[key] = value


# --- timestamps (§9.4) --------------------------------------------------------------------


def _instant(value: Any, zone: tzinfo) -> datetime | None:
    """A Clopos timestamp as an aware UTC datetime. Naive times are in ``zone``; numbers
    are Unix milliseconds (seconds when small)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        seconds = float(value)
        seconds = seconds / 1000 if abs(seconds) > 1e11 else seconds
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return _instant(int(text), zone)
    text = text.replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    """``2026-02-02T13:45:53.000Z``: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _local_date(moment: datetime | None, zone: tzinfo) -> str | None:
    return None if moment is None else moment.astimezone(zone).date().isoformat()


# --- ids (§8) -----------------------------------------------------------------------------

_DIGITS = re.compile(r"[1-9][0-9]{0,9}")


def _positive(text: str) -> int | None:
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def _not_found(entity: str, text: str) -> UnifiedError:
    return UnifiedError(
        404,
        "EntityNotFoundError",
        f"Unknown {entity.replace('_', ' ').title().replace(' ', '')}",
        {"not_found": {"entity": entity, "id": text}},
    )


@dataclass(frozen=True)
class OrderRef:
    """A parsed unified order id: a Clopos order (``"108"``) or a receipt-only sale
    (``"r6"``)."""

    text: str
    order_id: int | None = None
    receipt_id: int | None = None

    @property
    def receipt_only(self) -> bool:
        """Whether this is a ``"r<id>"`` sale (a receipt that came from no order)."""
        return self.receipt_id is not None


def parse_order_id(text: str) -> OrderRef:
    """``"108"`` → order 108, ``"r6"`` → receipt 6; anything else is 404 (a path id)."""
    if text.startswith("r"):
        number = _positive(text[1:])
        if number is not None:
            return OrderRef(text=text, receipt_id=number)
    else:
        number = _positive(text)
        if number is not None:
            return OrderRef(text=text, order_id=number)
    raise _not_found("order", text)


def parse_payment_id(text: str) -> tuple[int, int]:
    """``"<receipt id>-<index>"`` → ``(receipt_id, index)``; else 404."""
    receipt, dash, index = text.partition("-")
    number = _positive(receipt)
    if dash and number is not None and (index == "0" or _positive(index) is not None):
        return number, int(index)
    raise _not_found("payment", text)


def parse_int_id(text: str, what: str) -> int:
    """A path id of a Clopos integer resource (``what``: ``"location"``, ``"item"``…);
    404 ``EntityNotFoundError`` when it cannot be one."""
    number = _positive(text)
    if number is None:
        raise _not_found(what, text)
    return number


def parse_body_id(value: Any, field_name: str) -> int:
    """An id inside a request body; 400 ``RequestValidationError`` naming the field."""
    number = _positive(value) if isinstance(value, str) else None
    if number is None:
        raise bad_request(
            invalid=[(field_name, f"must be the id of a Clopos record (got {value!r})")]
        )
    return number


def check_merchant_id(text: str, merchant_id: str) -> str:
    """A merchant path id must be the connection's brand; else 404."""
    if text != merchant_id:
        raise _not_found("merchant", text)
    return text


def order_receipt_id(order: Mapping[str, Any] | None) -> int | None:
    """The receipt an order links to (``receipt_id``, or the ``with[0]=receipt:…`` link)."""
    if not order:
        return None
    linked = _int_key(order.get("receipt_id"))
    if linked is None:
        linked = _int_key(_map(order.get("receipt")).get("id"))
    return linked if linked and linked > 0 else None


def receipt_order_id(receipt: Mapping[str, Any] | None) -> int | None:
    """The order a receipt came from (``order_id``, else ``service_notification_id``, the
    column Clopos links receipts to orders with); ``None`` for a receipt-only sale."""
    if not receipt:
        return None
    for key in ("order_id", "service_notification_id"):
        number = _int_key(receipt.get(key))
        if number and number > 0:
            return number
    return None


def unified_order_id(
    order: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None = None
) -> str:
    """``"<order id>"``, or ``"r<receipt id>"`` for a receipt that came from no order."""
    if order is not None:
        return str(order["id"])
    if receipt is None:
        raise ValueError("an order or a receipt is needed")
    linked = receipt_order_id(receipt)
    return str(linked) if linked is not None else f"r{receipt['id']}"


# --- status (§9.1) ------------------------------------------------------------------------


def _receipt_closed(receipt: Mapping[str, Any]) -> bool:
    return _int_key(receipt.get("status")) == CLOSED_RECEIPT or bool(receipt.get("closed_at"))


def _receipt_gone(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    receipt_deleted: bool | None,
) -> bool:
    if receipt_deleted is not None:
        return receipt_deleted
    if receipt is not None:
        return bool(receipt.get("deleted_at"))
    # An accepted order always has a receipt (spec §11.1); one without a link lost it.
    return (
        order is not None
        and order.get("status") in ("RECEIVED", "DELIVERED")
        and order_receipt_id(order) is None
    )


@dataclass(frozen=True)
class _State:
    status: str
    voided: bool
    fulfillment: str
    scheduled: bool
    cancelled_by: Mapping[str, Any] | None


def _state(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    receipt_deleted: bool | None = None,
) -> _State:
    order_status = order.get("status") if order else None
    receipt_status = receipt.get("order_status") if receipt else None
    gone = _receipt_gone(order, receipt, receipt_deleted)
    closed = receipt is not None and _receipt_closed(receipt)
    # Fulfillment: the receipt's order_status decides when there is a receipt (§9.1).
    scheduled = receipt_status == "SCHEDULED"
    if order_status == "IGNORE" or receipt_status == "CANCELLED" or gone:
        canceller = order if order_status == "IGNORE" else (receipt or order)
        return _State("voided", True, "cancelled", False, canceller)
    if receipt is not None:
        if order_status == "DELIVERED" or receipt_status in ("PICKED_UP", "COMPLETED"):
            fulfillment = "completed"
        elif receipt_status == "READY":
            fulfillment = "prepared"
        elif closed and receipt_status in (None, "NEW"):
            fulfillment = "completed"
        else:
            fulfillment = "reserved"
    else:
        fulfillment = {"PENDING": "proposed", "DELIVERED": "completed"}.get(
            str(order_status), "reserved"
        )
    if receipt_status == "COMPLETED" or (closed and receipt_status in (None, "NEW")):
        status = "completed"
    elif order_status == "DELIVERED" or receipt_status == "PICKED_UP":
        status = "delivered"
    else:
        status = "open"
    return _State(status, False, fulfillment, scheduled, None)


def unified_status(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    *,
    receipt_deleted: bool | None = None,
) -> str:
    """The unified ``status`` of an order and/or its receipt (§9.1, first row wins)."""
    return _state(order, receipt, receipt_deleted).status


def _version_number(value: Any) -> Any:
    number = _dec(value)
    return str(_plain_number(number)) if number is not None else value


def order_version(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    *,
    receipt_deleted: bool | None = None,
) -> str:
    """The opaque ``version`` (§6.3 rule 3): changes whenever the order or receipt does.

    Built from the timestamps *and* the fields a change touches, because receipt times
    have one-second resolution and two changes can share a second.
    """
    parts: dict[str, Any] = {}
    if order is not None:
        parts["o"] = [order.get("id"), order.get("status"), order.get("updated_at")]
    if receipt is not None:
        parts["r"] = [
            receipt.get(key)
            for key in (
                "id",
                "status",
                "order_status",
                "order_number",
                "description",
                "customer_id",
                "lock",
                "is_returns",
                "updated_at",
                "closed_at",
                "deleted_at",
            )
        ]
        parts["t"] = _version_number(receipt.get("total"))
        parts["p"] = [
            [p.get("id"), _version_number(p.get("amount"))]
            for p in _list(receipt.get("payment_methods"))
            if isinstance(p, Mapping)
        ]
    parts["g"] = _receipt_gone(order, receipt, receipt_deleted)
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


# --- the unified Order (§9.2) -------------------------------------------------------------


def _payload(order: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return _map(order.get("payload")) if order else {}


def _order_meta(order: Mapping[str, Any] | None) -> Mapping[str, Any]:
    payload = _payload(order)
    meta = _map(payload.get("meta"))
    return meta or _map(order.get("meta") if order else None)


def _order_customer_id(order: Mapping[str, Any] | None) -> str | None:
    if order is None:
        return None
    payload = _payload(order)
    for value in (
        order.get("customer_id"),
        payload.get("customer_id"),
        _map(payload.get("customer")).get("id"),
    ):
        text = _text_id(value)
        if text is not None:
            return text
    return None


def _sale_type_id(order: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None) -> Any:
    if receipt is not None and receipt.get("sale_type_id") is not None:
        return receipt.get("sale_type_id")
    payload = _payload(order)
    for value in (
        payload.get("sale_type_id"),
        _map(payload.get("service")).get("sale_type_id"),
        order.get("sale_type_id") if order else None,
    ):
        if value is not None:
            return value
    return None


def _is_delivery(sale_type_id: Any, order: Mapping[str, Any] | None, ctx: _Ctx) -> bool:
    key = _int_key(sale_type_id)
    sale_type = ctx.catalog.sale_types.get(key) if key is not None else None
    if sale_type is not None and sale_type.get("system_type"):
        return str(sale_type.get("system_type")).upper() == "DELIVERY"
    name = (sale_type or {}).get("name") or _map(_payload(order).get("service")).get(
        "sale_type_name"
    )
    return isinstance(name, str) and any(w in name.lower() for w in _DELIVERY_WORDS)


def _is_dine_in(sale_type_id: Any, ctx: _Ctx) -> bool:
    key = _int_key(sale_type_id)
    sale_type = ctx.catalog.sale_types.get(key) if key is not None else None
    return sale_type is None or str(sale_type.get("system_type") or "IN").upper() == "IN"


def _customer_view(
    order: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None
) -> tuple[str | None, str | None, str | None, str | None]:
    """``(customer id, name, phone, address)``: the receipt wins where it has a value."""
    order_customer = _map(_payload(order).get("customer"))
    order_id = _order_customer_id(order)
    name = _str(order_customer.get("name"))
    phone = _str(order_customer.get("phone"))
    address = _str(order_customer.get("address"))
    customer_id = order_id
    if receipt is not None:
        receipt_id = _text_id(receipt.get("customer_id"))
        snapshot = _map(_map(receipt.get("meta")).get("customer"))
        if snapshot:
            customer_id = receipt_id or _text_id(snapshot.get("id")) or order_id
            name = _str(snapshot.get("name"))
            phone = _str(snapshot.get("phone"))
        elif receipt_id is not None and receipt_id != order_id:
            customer_id, name, phone = receipt_id, None, None
        address = _str(receipt.get("address")) or address
    return customer_id, name, phone, address


def _customer_entry(
    customer_id: str | None, name: str | None, phone: str | None
) -> dict[str, Any] | None:
    if customer_id is None and name is None and phone is None:
        return None
    entry: dict[str, Any] = {}
    _put(entry, "id", customer_id)
    first, _, last = (name or "").strip().partition(" ")
    entry["first_name"] = first or None
    entry["last_name"] = last.strip() or None
    entry["phone_numbers"] = [{"number": phone, "type": "primary"}] if phone else []
    entry["emails"] = []
    return entry


def _modifier_id(raw: Mapping[str, Any], id_key: str = "modificator_id") -> int | None:
    return _int_key(raw.get(id_key, raw.get("modifier_id", raw.get("id"))))


def _modifier_price(raw: Mapping[str, Any], ctx: _Ctx) -> Decimal | None:
    """A stored modifier's unit price; the catalog's when the order kept none."""
    if raw.get("price") is not None:
        return _dec(raw.get("price"))
    modifier_id = _modifier_id(raw)
    known = ctx.catalog.modifiers.get(modifier_id) if modifier_id is not None else None
    return _dec((known or {}).get("price"))


def _modifier_entries(stored: Iterable[Any], ctx: _Ctx) -> list[dict[str, Any]]:
    """Clopos modifiers → unified ones, an entry per unit of ``count`` (§9.7 item 7)."""
    out: list[dict[str, Any]] = []
    for raw in stored:
        if not isinstance(raw, Mapping):
            continue
        modifier_id = _modifier_id(raw)
        known = (ctx.catalog.modifiers.get(modifier_id) if modifier_id is not None else None) or {}
        price = _modifier_price(raw, ctx)
        entry: dict[str, Any] = {}
        _put(entry, "id", str(modifier_id) if modifier_id is not None else None)
        _put(entry, "name", _str(raw.get("name")) or _str(known.get("name")))
        _put(entry, "amount", _minor(price, ctx.exponent))
        entry["currency"] = ctx.currency
        group = raw.get("modificator_group_id") or known.get("group_id")
        _put(entry, "modifier_group_id", _text_id(group))
        count = _dec(raw.get("count"))
        count = Decimal(1) if count is None else count
        if count == count.to_integral_value() and count > 0:
            out.extend(dict(entry) for _ in range(int(count)))
        elif count > 0:
            # A fractional count cannot be repeated: one entry carrying the whole amount.
            _put(entry, "amount", _minor(_zero(price) * count, ctx.exponent))
            out.append(entry)
    return out


def _payload_line(
    index: int, product: Mapping[str, Any], order_id: Any, ctx: _Ctx
) -> tuple[dict[str, Any], Decimal]:
    """A ``payload.products[i]`` line → LineItem, and its total in major units."""
    meta = _map(product.get("meta"))
    snapshot = _map(_map(meta.get("order_product")).get("product"))
    product_id = _int_key(product.get("product_id"))
    known = ctx.catalog.products.get(product_id, {}) if product_id is not None else {}
    price = _dec(meta.get("price"))
    if price is None:
        price = (
            _dec(product.get("price")) or _dec(snapshot.get("price")) or _dec(known.get("price"))
        )
    count = _dec(product.get("count")) or Decimal(1)
    portion = _dec(product.get("portion_size")) or Decimal(1)
    stored_modifiers = _list(product.get("product_modificators")) or _list(product.get("modifiers"))
    per_unit_modifiers = sum(
        (
            (_modifier_price(m, ctx) or Decimal(0)) * (_dec(m.get("count")) or Decimal(1))
            for m in stored_modifiers
            if isinstance(m, Mapping)
        ),
        Decimal(0),
    )
    total = ((price or Decimal(0)) + per_unit_modifiers) * count * portion
    line: dict[str, Any] = {"id": f"{order_id}-{index}"}
    _put(
        line,
        "name",
        _str(snapshot.get("name")) or _str(product.get("product_name")) or _str(known.get("name")),
    )
    line["item"] = {"id": str(product_id)} if product_id is not None else {}
    line["quantity"] = _plain_number(count * portion)
    line["unit_price"] = _minor_number(price, ctx.exponent)
    line["total_amount"] = _minor(total, ctx.exponent)
    line["total_discount"] = None
    line["total_tax"] = None
    line["applied_taxes"] = []
    line["applied_discounts"] = []
    line["modifiers"] = _modifier_entries(stored_modifiers, ctx)
    return line, total


def _receipt_line(line_row: Mapping[str, Any], ctx: _Ctx) -> dict[str, Any]:
    """A ``receipt_products[i]`` line → LineItem (§9.2 line items, right column)."""
    meta = _map(line_row.get("meta"))
    product_id = _int_key(line_row.get("product_id"))
    known = ctx.catalog.products.get(product_id, {}) if product_id is not None else {}
    count = _dec(line_row.get("count")) or Decimal(1)
    portion = _dec(line_row.get("portion_size")) or Decimal(1)
    line: dict[str, Any] = {}
    _put(line, "id", _text_id(line_row.get("id")) or _str(line_row.get("cid")))
    _put(line, "name", _str(_map(meta.get("product")).get("name")) or _str(known.get("name")))
    line["item"] = {"id": str(product_id)} if product_id is not None else {}
    line["quantity"] = _plain_number(count * portion)
    line["unit_price"] = _minor_number(line_row.get("price"), ctx.exponent)
    line["total_amount"] = _minor(line_row.get("total"), ctx.exponent)
    line["total_discount"] = _minor(line_row.get("total_discount"), ctx.exponent)
    taxes = [t for t in _list(line_row.get("taxes")) if isinstance(t, Mapping)]
    tax_amounts = [_dec(t.get("amount")) for t in taxes]
    known_amounts = [a for a in tax_amounts if a is not None]
    line["total_tax"] = (
        _minor(sum(known_amounts, Decimal(0)), ctx.exponent) if known_amounts else None
    )
    applied_taxes = []
    for tax in taxes:
        entry: dict[str, Any] = {}
        _put(entry, "tax_id", _text_id(tax.get("id")) or _str(tax.get("name")))
        _put(entry, "amount", _minor(tax.get("amount"), ctx.exponent))
        entry["currency"] = ctx.currency
        applied_taxes.append(entry)
    line["applied_taxes"] = applied_taxes
    discount = _dec(line_row.get("total_discount"))
    line["applied_discounts"] = (
        [
            {
                "discount_id": None,
                "amount": _minor(discount, ctx.exponent),
                "currency": ctx.currency,
            }
        ]
        if discount is not None and discount > 0
        else []
    )
    modifiers = line_row.get("receipt_product_modificators")
    if modifiers is None:
        modifiers = line_row.get("modificators")
    line["modifiers"] = _modifier_entries(_list(modifiers), ctx)
    return line


def _tender_kinds(receipt: Mapping[str, Any], catalog: Catalog) -> list[str]:
    """``cash``/``card``/``other`` per ``payment_methods[]`` entry (§9.2 tenders).

    The payment method's balance type (catalog) decides when known; else the entries
    whose amounts make up ``by_cash`` are cash and those making up ``by_card`` card
    (§9.7 item 9); names break the remaining ties.
    """
    methods = [m for m in _list(receipt.get("payment_methods")) if isinstance(m, Mapping)]
    kinds: list[str | None] = [None] * len(methods)
    for i, method in enumerate(methods):
        key = _int_key(method.get("id"))
        known = catalog.payment_methods.get(key) if key is not None else None
        if known is not None:
            balance = _map(known.get("balance"))
            kind = str(balance.get("type") or balance.get("system_type") or "").upper()
            kinds[i] = {"CASH": "cash", "CARD": "card"}.get(kind, "other")
    for target, kind in (
        (_zero(receipt.get("by_cash")), "cash"),
        (_zero(receipt.get("by_card")), "card"),
    ):
        if target <= 0:
            continue
        free = [i for i, k in enumerate(kinds) if k is None]
        if len(free) > 12:  # subset search is exponential; fall back to names
            continue
        found = _subset_summing_to(free, [_zero(m.get("amount")) for m in methods], target)
        for i in found:
            kinds[i] = kind
    out: list[str] = []
    for i, method in enumerate(methods):
        known_kind = kinds[i]
        if known_kind is None:
            name = str(method.get("name") or "").lower()
            if any(w in name for w in _CASH_WORDS):
                known_kind = "cash"
            elif any(w in name for w in _CARD_WORDS):
                known_kind = "card"
            else:
                known_kind = "other"
        out.append(known_kind)
    return out


def _subset_summing_to(
    indexes: list[int], amounts: list[Decimal], target: Decimal
) -> tuple[int, ...]:
    for size in range(1, len(indexes) + 1):
        for combo in itertools.combinations(indexes, size):
            if sum((amounts[i] for i in combo), Decimal(0)) == target:
                return combo
    return ()


def _payments_and_tenders(
    receipt: Mapping[str, Any] | None, ctx: _Ctx
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Decimal]:
    if receipt is None:
        return [], [], Decimal(0)
    methods = [m for m in _list(receipt.get("payment_methods")) if isinstance(m, Mapping)]
    kinds = _tender_kinds(receipt, ctx.catalog)
    payments: list[dict[str, Any]] = []
    tenders: list[dict[str, Any]] = []
    paid = Decimal(0)
    for i, method in enumerate(methods):
        amount = _zero(method.get("amount"))
        paid += amount
        minor = _minor(amount, ctx.exponent)
        payments.append({"id": f"{receipt['id']}-{i}", "amount": minor, "currency": ctx.currency})
        tender: dict[str, Any] = {}
        _put(tender, "id", _text_id(method.get("id")))
        _put(tender, "name", _str(method.get("name")))
        tender["type"] = kinds[i]
        tender["amount"] = minor
        tender["total_amount"] = minor
        tender["currency"] = ctx.currency
        tenders.append(tender)
    return payments, tenders, paid


def _payment_status(receipt: Mapping[str, Any] | None, paid: Decimal) -> str:
    if receipt is not None and receipt.get("is_returns"):
        return "refunded"
    if receipt is None or paid == 0:
        return "open"
    total = _zero(receipt.get("total"))
    if total > 0 and paid >= total:
        return "paid"
    if 0 < paid < total:
        return "partially_paid"
    return "unknown"


@dataclass(frozen=True)
class _Money:
    """An order's figures in major units, from the receipt or computed from the payload."""

    total: Decimal | None
    tax: Decimal | None
    discount: Decimal | None
    service_charge: Decimal  # the percentage charge's amount
    delivery_fee: Decimal
    service_rate: Decimal
    discount_type: int
    discount_value: Decimal
    discount_rate: Decimal


def _payload_money(order: Mapping[str, Any] | None, lines_total: Decimal) -> _Money:
    meta = _order_meta(order)
    discount = _map(meta.get("discount"))
    discount_type = _int_key(discount.get("discount_type")) or 0
    value = _zero(discount.get("discount_value"))
    if discount_type == 1:
        amount = lines_total * min(max(value, Decimal(0)), Decimal(100)) / 100
    elif discount_type == 2:
        amount = min(value, lines_total)
    else:
        amount = Decimal(0)
    rate = (
        _zero(meta.get("service_charge_value"))
        if meta.get("apply_service_charge") is True
        else Decimal(0)
    )
    service = (lines_total - amount) * rate / 100
    fee = _zero(_payload(order).get("delivery_fee"))
    stated = _dec(meta.get("orderTotal"))
    total = stated if stated is not None else lines_total - amount + service + fee
    return _Money(total, None, amount, service, fee, rate, discount_type, value, value)


def _receipt_money(receipt: Mapping[str, Any]) -> _Money:
    return _Money(
        total=_dec(receipt.get("total")),
        tax=_dec(receipt.get("total_tax")),
        discount=_dec(receipt.get("total_discount")),
        service_charge=_zero(receipt.get("service_charge_value")),
        delivery_fee=_zero(receipt.get("delivery_fee")),
        service_rate=_zero(receipt.get("service_charge")),
        discount_type=_int_key(receipt.get("discount_type")) or 0,
        discount_value=_zero(receipt.get("discount_value")),
        discount_rate=_zero(receipt.get("discount_rate")),
    )


def _charges(money: _Money, ctx: _Ctx) -> list[dict[str, Any]]:
    charges: list[dict[str, Any]] = []
    if money.service_charge or money.service_rate:
        charges.append(
            {
                "name": "Service charge",
                "amount": _minor(money.service_charge, ctx.exponent),
                "percentage": _plain_number(money.service_rate),
                "currency": ctx.currency,
                "active": True,
                "type": "custom",
            }
        )
    if money.delivery_fee:
        charges.append(
            {
                "name": "Delivery fee",
                "amount": _minor(money.delivery_fee, ctx.exponent),
                "currency": ctx.currency,
                "type": "custom",
            }
        )
    return charges


def _discounts(money: _Money, ctx: _Ctx, *, from_receipt: bool) -> list[dict[str, Any]]:
    if money.discount_type == 1 and (money.discount_value or money.discount_rate):
        rate = money.discount_rate if from_receipt and money.discount_rate else money.discount_value
        return [
            {
                "type": "percentage",
                "name": _percent_text(rate),
                "amount": _minor(money.discount or 0, ctx.exponent),
                "currency": ctx.currency,
                "scope": "order",
            }
        ]
    if money.discount_type == 2 and money.discount_value:
        return [
            {
                "type": "flat_fee",
                "amount": _minor(money.discount_value, ctx.exponent),
                "currency": ctx.currency,
                "scope": "order",
            }
        ]
    return []


def _taxes(receipt: Mapping[str, Any] | None, ctx: _Ctx) -> list[dict[str, Any]]:
    if receipt is None:
        return []
    taxes = []
    for key, name, kind in (
        ("e_tax", "Exclusive tax", "additive"),
        ("i_tax", "Inclusive tax", "inclusive"),
    ):
        amount = _zero(receipt.get(key))
        if amount:
            taxes.append(
                {
                    "id": key,
                    "name": name,
                    "amount": _minor(amount, ctx.exponent),
                    "currency": ctx.currency,
                    "type": kind,
                    "scope": "order",
                }
            )
    return taxes


def _source(
    order: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None, created_via_api: bool
) -> str | None:
    if created_via_api:
        return "api"
    if order is not None:
        return "online"  # an integration order: call centre, delivery platform, web shop
    source = str((receipt or {}).get("source") or "").strip().lower()
    if source == "web":
        return "online"
    if source == "api":
        return "api"
    return "in-store"


def _fulfillment(
    unified_id: str,
    state: _State,
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    customer: tuple[str | None, str | None, str | None, str | None],
    note: str | None,
    ctx: _Ctx,
) -> dict[str, Any] | None:
    sale_type = _sale_type_id(order, receipt)
    # A receipt-only sale gets a fulfillment only when it is not a plain dine-in sale.
    dine_in = _is_dine_in(sale_type, ctx)
    if order is None and receipt is not None and receipt.get("order_status") is None and dine_in:
        return None
    details: dict[str, Any] = {}
    if state.scheduled:
        details["schedule_type"] = "scheduled"
    details["accepted_at"] = (
        _iso(_instant(receipt.get("created_at"), ctx.zone))
        if receipt is not None and order is not None
        else None
    )
    if order is not None:
        _put(details, "placed_at", _iso(_instant(order.get("created_at"), UTC)))
    if state.fulfillment == "cancelled" and state.cancelled_by is not None:
        zone = UTC if state.cancelled_by is order else ctx.zone
        _put(details, "canceled_at", _iso(_instant(state.cancelled_by.get("updated_at"), zone)))
    _put(details, "note", note)
    customer_id, name, phone, address = customer
    recipient: dict[str, Any] = {}
    _put(recipient, "customer_id", customer_id)
    _put(recipient, "display_name", name)
    if address is not None:
        recipient["address"] = {"string": address}
    if phone is not None:
        recipient["phone_number"] = {"number": phone, "type": "primary"}
    if recipient:
        details["recipient"] = recipient
    kind = "shipment" if _is_delivery(sale_type, order, ctx) else "pickup"
    entry: dict[str, Any] = {
        "id": f"{unified_id}-f",
        "status": state.fulfillment,
        "type": kind,
        "pickup_details": details,
    }
    if kind == "shipment":
        entry["shipment_details"] = {}
    return entry


def order_to_unified(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    *,
    merchant_id: str,
    currency: str = "AZN",
    time_zone: str = "UTC",
    catalog: Catalog | None = None,
    created_via_api: bool = False,
    receipt_deleted: bool | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """One unified Order from a Clopos order and/or its receipt (§9.2; the receipt wins).

    ``order`` ``None`` = a receipt-only sale (id ``"r<receipt id>"`` unless the receipt
    names an order). ``time_zone`` is the venue's (receipt times carry none, §9.4);
    ``created_via_api`` marks orders this API created (``source: "api"``);
    ``receipt_deleted`` overrides the inference that an accepted order without a receipt
    link lost its receipt.
    """
    if order is None and receipt is None:
        raise ValueError("order_to_unified needs an order or a receipt")
    ctx = _Ctx(merchant_id, currency, _zone(time_zone), catalog or _EMPTY_CATALOG)
    unified_id = unified_order_id(order, receipt)
    state = _state(order, receipt, receipt_deleted)
    payload = _payload(order)
    meta = _order_meta(order)

    # Line items: the receipt's lines when it exists and carries them (§9.2).
    lines: list[dict[str, Any]]
    payload_lines = [p for p in _list(payload.get("products")) if isinstance(p, Mapping)]
    computed = (
        [_payload_line(i, p, order["id"], ctx) for i, p in enumerate(payload_lines)]
        if order
        else []
    )
    if receipt is not None and "receipt_products" in receipt:
        lines = [
            _receipt_line(row, ctx)
            for row in _list(receipt.get("receipt_products"))
            if isinstance(row, Mapping)
        ]
    else:
        lines = [line for line, _ in computed]
    lines_total = sum((total for _, total in computed), Decimal(0))
    money = _receipt_money(receipt) if receipt is not None else _payload_money(order, lines_total)
    payments, tenders, paid = _payments_and_tenders(receipt, ctx)
    customer = _customer_view(order, receipt)
    note = _str((receipt or {}).get("description")) or _str(meta.get("comment"))

    created_source = order if order is not None else receipt
    assert created_source is not None
    order_zone = UTC if order is not None else ctx.zone
    created = _instant(created_source.get("created_at"), order_zone)
    updated_candidates = [
        _instant(order.get("updated_at"), UTC) if order is not None else None,
        _instant(receipt.get("updated_at"), ctx.zone) if receipt is not None else None,
    ]
    updated = max((u for u in updated_candidates if u is not None), default=created)

    receipt_number = _str((receipt or {}).get("order_number"))
    daily = _map((receipt or {}).get("properties")).get("daily_id")
    order_number = (
        receipt_number
        or (str(daily) if daily not in (None, "") else None)
        or _str((order or {}).get("order_number"))
        or _str(payload.get("order_number"))
        or (str(order["id"]) if order is not None else None)
    )

    out: dict[str, Any] = {"id": unified_id}
    _put(out, "idempotency_key", idempotency_key)
    _put(out, "order_number", order_number)
    out["order_date"] = _local_date(created, ctx.zone)
    out["closed_date"] = (
        _local_date(_instant(receipt.get("closed_at"), ctx.zone), ctx.zone)
        if receipt is not None
        else None
    )
    out["reference_id"] = _str((order or {}).get("integration_id"))
    out["status"] = state.status
    out["payment_status"] = _payment_status(receipt, paid)
    out["currency"] = ctx.currency
    _put(out, "note", note)
    out["merchant_id"] = ctx.merchant_id
    _put(out, "customer_id", customer[0])
    _put(out, "employee_id", _text_id((receipt or {}).get("user_id")))
    location = (receipt or {}).get("venue_id") or (order or {}).get("venue_id")
    location = location or _map(payload.get("service")).get("venue_id")
    _put(out, "location_id", _text_id(location))
    _put(out, "order_type_id", _text_id(_sale_type_id(order, receipt)))
    _put(out, "table", _text_id((receipt or {}).get("table_id")))
    out["total_amount"] = _minor(money.total, ctx.exponent)
    out["total_tip"] = None
    out["total_tax"] = _minor(money.tax, ctx.exponent)
    out["total_discount"] = _minor(money.discount, ctx.exponent)
    returns = bool((receipt or {}).get("is_returns"))
    out["total_refund"] = _minor(money.total, ctx.exponent) if returns else 0
    out["total_service_charge"] = _minor(money.service_charge + money.delivery_fee, ctx.exponent)
    out["refunded"] = returns
    entry = _customer_entry(customer[0], customer[1], customer[2])
    out["customers"] = [entry] if entry is not None else []
    fulfillment = _fulfillment(unified_id, state, order, receipt, customer, note, ctx)
    out["fulfillments"] = [fulfillment] if fulfillment is not None else []
    out["line_items"] = lines
    out["payments"] = payments
    out["service_charges"] = _charges(money, ctx)
    out["refunds"] = []
    out["taxes"] = _taxes(receipt, ctx)
    out["discounts"] = _discounts(money, ctx, from_receipt=receipt is not None)
    out["tenders"] = tenders
    out["source"] = _source(order, receipt, created_via_api)
    out["voided"] = state.voided
    if state.voided and state.cancelled_by is not None:
        zone = UTC if state.cancelled_by is order else ctx.zone
        _put(out, "voided_at", _iso(_instant(state.cancelled_by.get("updated_at"), zone)))
    out["custom_mappings"] = None
    out["version"] = order_version(order, receipt, receipt_deleted=receipt_deleted)
    out["updated_by"] = _text_id((receipt or {}).get("close_by_user_id"))
    out["created_by"] = _text_id((receipt or {}).get("open_by_user_id"))
    out["updated_at"] = _iso(updated)
    out["created_at"] = _iso(created)
    return out


# --- other resources (§7) -----------------------------------------------------------------


def payments_from_receipt(
    receipt: Mapping[str, Any],
    *,
    merchant_id: str,
    currency: str = "AZN",
    time_zone: str = "UTC",
    catalog: Catalog | None = None,
    order_id: str | None = None,
) -> list[dict[str, Any]]:
    """Every PosPayment of a receipt, in ``payment_methods`` order."""
    count = len([m for m in _list(receipt.get("payment_methods")) if isinstance(m, Mapping)])
    return [
        payment_from_receipt(
            receipt,
            index,
            merchant_id=merchant_id,
            currency=currency,
            time_zone=time_zone,
            catalog=catalog,
            order_id=order_id,
        )
        for index in range(count)
    ]


def payment_from_receipt(
    receipt: Mapping[str, Any],
    index: int,
    *,
    merchant_id: str,
    currency: str = "AZN",
    time_zone: str = "UTC",
    catalog: Catalog | None = None,
    order_id: str | None = None,
) -> dict[str, Any]:
    """PosPayment ``"<receipt id>-<index>"`` from ``payment_methods[index]`` (§7).

    Amounts are **major** units (PosPayment's examples). ``customer_id`` is required by
    the schema: ``""`` for a sale without a customer. 404 when there is no such entry.
    """
    methods = [m for m in _list(receipt.get("payment_methods")) if isinstance(m, Mapping)]
    if not 0 <= index < len(methods):
        raise _not_found("payment", f"{receipt.get('id')}-{index}")
    zone = _zone(time_zone)
    method = methods[index]
    kind = _tender_kinds(receipt, catalog or _EMPTY_CATALOG)[index]
    amount = _zero(method.get("amount"))
    gone = bool(receipt.get("deleted_at")) or receipt.get("order_status") == "CANCELLED"
    closed = _receipt_closed(receipt)
    status = "canceled" if gone else ("completed" if closed else "pending")
    tender_id = _text_id(method.get("id")) or ""
    out: dict[str, Any] = {
        "id": f"{receipt['id']}-{index}",
        "source_id": tender_id,
        "order_id": order_id or unified_order_id(None, receipt),
        "customer_id": _text_id(receipt.get("customer_id")) or "",
        "tender_id": tender_id,
        "amount": amount,
        "currency": currency,
        "merchant_id": merchant_id,
    }
    _put(out, "employee_id", _text_id(receipt.get("user_id")))
    _put(out, "location_id", _text_id(receipt.get("venue_id")))
    out["total"] = amount
    if closed and not gone:
        out["approved"] = amount
    out["refunded"] = amount if receipt.get("is_returns") else Decimal(0)
    out["source"] = kind
    out["status"] = status
    out["custom_mappings"] = None
    out["updated_by"] = _text_id(receipt.get("close_by_user_id"))
    out["created_by"] = _text_id(receipt.get("open_by_user_id"))
    when = _instant(receipt.get("closed_at") or receipt.get("created_at"), zone)
    out["updated_at"] = _iso(_instant(receipt.get("updated_at"), zone) or when)
    out["created_at"] = _iso(when)
    return out


def merchant_from_brand(
    brand: str,
    *,
    currency: str = "AZN",
    name: str | None = None,
    venues: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The one Merchant of a connection: its Clopos brand (§7, §8)."""
    main = next((v for v in venues if _int_key(v.get("is_main")) == 1), None)
    if main is None and venues:
        main = min(venues, key=lambda v: _int_key(v.get("id")) or MAX_ID)
    return {
        "id": brand,
        "name": name or brand,
        "main_location_id": _text_id(main.get("id")) if main else None,
        "status": "active",
        "language": None,
        "currency": currency,
        "custom_mappings": None,
        "updated_by": None,
        "created_by": None,
        "updated_at": None,
        "created_at": None,
    }


def _status_word(value: Any) -> str:
    if isinstance(value, bool):
        return "active" if value else "inactive"
    number = _int_key(value)
    return {1: "active", 0: "inactive"}.get(number if number is not None else -1, "other")


def location_from_venue(
    venue: Mapping[str, Any], *, merchant_id: str, currency: str = "AZN"
) -> dict[str, Any]:
    """Location from a Clopos venue (``GET /venues``)."""
    out: dict[str, Any] = {"id": str(venue["id"])}
    out["name"] = _str(venue.get("name"))
    out["business_name"] = None
    address: dict[str, Any] = {}
    _put(address, "string", _str(venue.get("address")))
    _put(address, "phone_number", _str(venue.get("phone")))
    _put(address, "email", _str(venue.get("email")))
    if address:
        out["address"] = address
    out["status"] = _status_word(venue.get("status", 1))
    out["merchant_id"] = merchant_id
    out["currency"] = currency
    out["custom_mappings"] = None
    out["updated_by"] = None
    out["created_by"] = None
    out["updated_at"] = None
    out["created_at"] = None
    return out


def _product_kind(product: Mapping[str, Any]) -> str:
    return "regular" if product.get("type") in ("DISH", "GOODS", "MODIFICATION") else "other"


def item_from_product(
    product: Mapping[str, Any],
    *,
    currency: str = "AZN",
    time_zone: str = "UTC",
    category_names: Mapping[int, str] | None = None,
    stop_limit: int | None = None,
) -> dict[str, Any]:
    """Item from a Clopos product (§7). ``price_amount``/``cost`` are major units.

    ``stop_limit`` is the product's stop-list limit (``0`` = unavailable, §10.3).
    """
    zone = _zone(time_zone)
    out: dict[str, Any] = {"id": str(product["id"])}
    out["name"] = _str(product.get("full_name")) or _str(product.get("name")) or ""
    _put(out, "description", _str(product.get("description")))
    out["product_type"] = _product_kind(product)
    price = _dec(product.get("price"))
    _put(out, "price_amount", price)
    if product.get("sold_by_weight"):
        pricing = "per_unit"
    elif product.get("type") == "TIMER":
        pricing = "variable"
    else:
        pricing = "fixed"
    out["pricing_type"] = pricing
    out["price_currency"] = currency
    _put(out, "cost", _dec(product.get("cost_price")))
    out["tax_ids"] = [
        str(t["id"]) for t in _list(product.get("taxes")) if isinstance(t, Mapping) and "id" in t
    ]
    _put(out, "sku", _str(product.get("barcode")))
    _put(out, "code", _str(product.get("gov_code")))
    category = _int_key(product.get("category_id"))
    if category is not None:
        entry: dict[str, Any] = {"id": str(category)}
        _put(entry, "name", (category_names or {}).get(category))
        out["categories"] = [entry]
    else:
        out["categories"] = []
    out["modifier_groups"] = [
        {"id": str(g["id"])}
        for g in _list(product.get("modificator_groups"))
        if isinstance(g, Mapping) and "id" in g
    ]
    active = _int_key(product.get("status")) in (None, 1)
    out["available"] = active and stop_limit != 0
    out["hidden"] = bool(_int_key(product.get("hidden")) or product.get("hidden") is True)
    out["version"] = _str(product.get("updated_at"))
    out["custom_mappings"] = None
    out["deleted"] = bool(product.get("deleted_at"))
    out["updated_by"] = None
    out["created_by"] = None
    out["updated_at"] = _iso(_instant(product.get("updated_at"), zone))
    out["created_at"] = _iso(_instant(product.get("created_at"), zone))
    return out


def modifier_from_modificator(
    modificator: Mapping[str, Any],
    *,
    group_id: Any = None,
    currency: str = "AZN",
) -> dict[str, Any]:
    """Modifier from a Clopos modificator (``price_amount`` in major units)."""
    group = _text_id(group_id if group_id is not None else modificator.get("group_id")) or ""
    out: dict[str, Any] = {
        "id": str(modificator["id"]),
        "name": _str(modificator.get("name")) or "",
        "modifier_group_id": group,
    }
    _put(out, "price_amount", _dec(modificator.get("price")))
    out["currency"] = currency
    status = modificator.get("status")
    out["available"] = True if status is None else bool(status)
    out["custom_mappings"] = None
    return out


def modifier_group_from_group(group: Mapping[str, Any], *, currency: str = "AZN") -> dict[str, Any]:
    """ModifierGroup from a Clopos modificator group (``type`` 1 = single choice)."""
    out: dict[str, Any] = {"id": str(group["id"])}
    _put(out, "name", _str(group.get("name")))
    _put(out, "minimum_required", _int_key(group.get("min_select")))
    _put(out, "maximum_allowed", _int_key(group.get("max_select")))
    out["selection_type"] = "single" if _int_key(group.get("type")) == 1 else "multiple"
    choices = group.get("modificators") or group.get("modifiers") or []
    out["modifiers"] = [
        modifier_from_modificator(m, group_id=group["id"], currency=currency)
        for m in _list(choices)
        if isinstance(m, Mapping) and "id" in m
    ]
    status = group.get("status")
    out["deleted"] = False if status is None else not bool(status)
    out["custom_mappings"] = None
    out["row_version"] = _str(group.get("updated_at"))
    return out


def _enabled_at(status: Any, venue_id: int | None) -> bool:
    if isinstance(status, Mapping):
        if venue_id is None:
            return any(bool(_int_key(v)) for v in status.values())
        return bool(_int_key(status.get(str(venue_id), status.get(venue_id, 0))))
    return status is None or bool(_int_key(status))


def _by_position(row: Mapping[str, Any]) -> tuple[int, int]:
    return (_int_key(row.get("position")) or 0, _int_key(row.get("id")) or 0)


def default_sale_type_id(
    sale_types: Iterable[Mapping[str, Any]], venue_id: int | None = None
) -> int | None:
    """The venue's default sale type: the first enabled there by ``position``."""
    enabled = [
        s
        for s in sale_types
        if isinstance(s, Mapping)
        and not s.get("deleted_at")
        and _enabled_at(s.get("status"), venue_id)
    ]
    if not enabled:
        return None
    return _int_key(min(enabled, key=_by_position).get("id"))


def order_type_from_sale_type(
    sale_type: Mapping[str, Any], *, default: bool = False, time_zone: str = "UTC"
) -> dict[str, Any]:
    """OrderType from a Clopos sale type."""
    zone = _zone(time_zone)
    return {
        "id": str(sale_type["id"]),
        "name": _str(sale_type.get("name")) or "",
        "default": default,
        "updated_by": None,
        "created_by": None,
        "updated_at": _iso(_instant(sale_type.get("updated_at"), zone)),
        "created_at": _iso(_instant(sale_type.get("created_at"), zone)),
    }


def tender_from_payment_method(
    method: Mapping[str, Any], *, venue_id: int | None = None, time_zone: str = "UTC"
) -> dict[str, Any]:
    """Tender from a Clopos payment method (``key`` = its balance type, lower-case)."""
    zone = _zone(time_zone)
    balance = _map(method.get("balance"))
    kind = str(balance.get("type") or balance.get("system_type") or "").lower() or None
    name = str(method.get("name") or "").lower()
    is_cash = kind == "cash" or (kind is None and any(w in name for w in _CASH_WORDS))
    return {
        "id": str(method["id"]),
        "key": kind,
        "label": _str(method.get("name")),
        "active": _enabled_at(method.get("status"), venue_id) and not method.get("deleted_at"),
        "hidden": False,
        "editable": not bool(_int_key(method.get("is_system"))),
        "opens_cash_drawer": is_cash,
        "allows_tipping": False,
        "custom_mappings": None,
        "updated_by": None,
        "created_by": None,
        "updated_at": _iso(_instant(method.get("updated_at"), zone)),
        "created_at": _iso(_instant(method.get("created_at"), zone)),
    }


def customer_snapshot(customer: Mapping[str, Any]) -> dict[str, Any]:
    """``meta.customer`` for ``PUT /receipts/{id}`` from a ``GET /customers/{id}`` answer
    (spec §12.7: copied by the caller, never fetched by Clopos)."""
    group = _map(customer.get("group"))
    return {
        "id": customer.get("id"),
        "name": customer.get("name") or "",
        "bonus": customer.get("bonus"),
        "cashback": customer.get("cashback"),
        "balance": customer.get("balance"),
        "desc": customer.get("description", customer.get("desc")),
        "code": customer.get("code"),
        "phone": customer.get("phone"),
        "group_name": group.get("name", customer.get("group_name")),
        "group_id": customer.get("group_id", group.get("id")),
    }


# --- canonical forms ----------------------------------------------------------------------


def _canon(value: Any) -> Any:
    """A comparable form: numbers by value, empty members dropped (absent = null = empty)."""
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            canon = _canon(item)
            if canon not in (None, "", [], {}):
                out[str(key)] = canon
        return out
    if isinstance(value, list | tuple):
        return [_canon(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number.is_finite() else str(number)
    return value


def create_fingerprint(body: Mapping[str, Any]) -> str:
    """SHA-256 of the create body in canonical form (§6.1 idempotency): key order,
    number spelling (``12`` = ``12.0``), empty members and read-only members do not count."""
    canon = _canon({k: v for k, v in body.items() if k not in READ_ONLY})
    blob = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


# --- pass_through (§5.7) ------------------------------------------------------------------

_PATH_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _json_path(text: str) -> list[str | int] | None:
    """``$.payload.products[0].product_id`` → ``["payload", "products", 0, "product_id"]``."""
    if not text.startswith("$"):
        return None
    steps: list[str | int] = []
    position = 1
    while position < len(text):
        match = _PATH_STEP.match(text, position)
        if match is None:
            return None
        name, index, quoted, double = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(name if name is not None else (quoted if quoted is not None else double))
        position = match.end()
    return steps or None


def _set_path(document: dict[str, Any], steps: list[str | int], value: Any) -> bool:
    """Set ``value`` at ``steps``, creating objects on the way; an index may append."""
    node: Any = document
    for step, following in zip(steps, [*steps[1:], None], strict=True):
        last = following is None
        blank: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            if not isinstance(node, list) or step > len(node):
                return False
            if step == len(node):
                node.append(value if last else blank)
            elif last:
                node[step] = value
            if not last:
                node = node[step]
        else:
            if not isinstance(node, dict):
                return False
            if last:
                node[step] = value
            else:
                node = node.setdefault(step, blank)
    return True


def _deep_merge(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _deep_merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)  # the caller's body stays untouched


def _ours(
    entries: Sequence[PassThroughIn] | None, operation: str
) -> list[tuple[int, PassThroughIn]]:
    return [
        (i, e)
        for i, e in enumerate(entries or ())
        if e.service_id == SERVICE_ID and e.operation_id in (None, operation)
    ]


def _apply_pass_through(document: dict[str, Any], entries: list[tuple[int, PassThroughIn]]) -> None:
    problems: list[tuple[str, str]] = []
    for i, entry in entries:
        if entry.extend_object:
            _deep_merge(document, entry.extend_object)
        for j, extend in enumerate(entry.extend_paths or ()):
            steps = _json_path(extend.path)
            where = f"pass_through[{i}].extend_paths[{j}].path"
            if steps is None:
                problems.append(
                    (
                        where,
                        f"is not a JSONPath like $.payload.products[0].product_id "
                        f"({extend.path!r})",
                    )
                )
            elif not _set_path(document, steps, extend.value):
                problems.append(
                    (where, f"does not address a place in the Clopos body ({extend.path!r})")
                )
    if problems:
        raise bad_request(invalid=problems)


# --- create (§6.1, §9.5) ------------------------------------------------------------------


def _unprocessable(message: str, fields: Sequence[str] = (), **detail: Any) -> UnifiedError:
    body: dict[str, Any] = dict(detail)
    if fields:
        body["fields"] = list(fields)
    return UnifiedError(422, "InvalidStateError", message, body or None)


def _cannot_store(fields: Sequence[tuple[str, str]], *, on: str) -> UnifiedError:
    names = [name for name, _ in fields]
    reasons = "; ".join(f"{name}: {why}" for name, why in fields)
    return UnifiedError(
        422,
        "InvalidStateError",
        f"Clopos cannot store {', '.join(names)} on {on} ({reasons})",
        {"fields": names, "reasons": {name: why for name, why in fields}},
    )


def _product_hash(product_id: int, modifier_ids: Iterable[int]) -> str:
    # Same derivation as clopos.server (base64 of the comma-joined ids, spec §11.4).
    text = ",".join(str(i) for i in (product_id, *modifier_ids))
    return base64.b64encode(text.encode()).decode()


_SELLABLE: Final = ("DISH", "GOODS", "MODIFICATION", "TIMER")


def _match_product(name: str, catalog: Catalog) -> list[int]:
    wanted = name.strip().casefold()
    hits = [
        pid
        for pid, p in catalog.products.items()
        if str(p.get("name") or "").strip().casefold() == wanted
        or str(p.get("full_name") or "").strip().casefold() == wanted
    ]
    if len(hits) > 1:
        sellable = [
            pid
            for pid in hits
            if catalog.products[pid].get("type") in _SELLABLE
            and _int_key(catalog.products[pid].get("status")) in (None, 1)
            and not catalog.products[pid].get("deleted_at")
        ]
        hits = sellable or hits
    return hits


def _path_ids(entries: list[tuple[int, PassThroughIn]], index: int) -> Any:
    wanted = ["payload", "products", index, "product_id"]
    for _, entry in entries:
        for extend in entry.extend_paths or ():
            if _json_path(extend.path) == wanted:
                return extend.value
    return None


def _whole_count(value: Decimal | None, where: str) -> int:
    if value is None:
        return 1
    if value <= 0 or value != value.to_integral_value():
        raise bad_request(invalid=[(where, f"must be a positive whole number (got {value})")])
    return int(value)


@dataclass
class _Line:
    product_id: int
    count: int
    price: Decimal | None
    name: str | None
    snapshot: dict[str, Any]
    modifiers: list[dict[str, Any]]
    modifiers_total: Decimal


def _resolve_lines(
    parsed: OrderIn,
    catalog: Catalog,
    entries: list[tuple[int, PassThroughIn]],
    exponent: int,
) -> list[_Line]:
    items = parsed.line_items or []
    if not items:
        raise bad_request(missing=["line_items"])
    problems: list[tuple[str, str]] = []
    lines: list[_Line] = []
    for i, item in enumerate(items):
        where = f"line_items[{i}]"
        raw_id = item.item.id if item.item is not None else None
        if raw_id is None:
            raw_id = _path_ids(entries, i)
        product_id: int | None = None
        if raw_id is not None:
            product_id = _positive(str(raw_id)) if not isinstance(raw_id, bool) else None
            if product_id is None:
                problems.append(
                    (f"{where}.item.id", f"must be a Clopos product id (got {raw_id!r})")
                )
                continue
            if catalog.products and product_id not in catalog.products:
                problems.append((f"{where}.item.id", f"product {product_id} does not exist"))
                continue
        elif item.name:
            hits = _match_product(item.name, catalog)
            if len(hits) == 1:
                product_id = hits[0]
            elif hits:
                problems.append(
                    (
                        where,
                        f"name {item.name!r} matches several products "
                        f"({', '.join(map(str, sorted(hits)))}); set "
                        f"$.payload.products[{i}].product_id with pass_through",
                    )
                )
                continue
        if product_id is None:
            problems.append(
                (
                    where,
                    "names no Clopos product: send a catalog name, or pass_through "
                    "{service_id: clopos, extend_paths: [{path: "
                    f"'$.payload.products[{i}].product_id', value: <id>}}]}}",
                )
            )
            continue
        try:
            count = _whole_count(item.quantity, f"{where}.quantity")
        except UnifiedError as error:
            problems.extend((k, v) for d in error.detail["invalid"] for k, v in d.items())
            continue
        known = catalog.products.get(product_id, {})
        price = (
            _major(item.unit_price, exponent)
            if item.unit_price is not None
            else _dec(known.get("price"))
        )
        grouped: dict[tuple[int, str | None, int | None], int] = {}
        for j, modifier in enumerate(item.modifiers or []):
            modifier_id = _positive(modifier.id or "")
            if modifier_id is None:
                problems.append(
                    (
                        f"{where}.modifiers[{j}].id",
                        f"must be a Clopos modifier id (got {modifier.id!r})",
                    )
                )
                continue
            if catalog.modifiers and modifier_id not in catalog.modifiers:
                problems.append(
                    (f"{where}.modifiers[{j}].id", f"modifier {modifier_id} does not exist")
                )
                continue
            key = (modifier_id, modifier.name, modifier.amount)
            grouped[key] = grouped.get(key, 0) + 1
        modifiers: list[dict[str, Any]] = []
        modifiers_total = Decimal(0)
        for (modifier_id, name, amount), times in grouped.items():
            known_modifier = catalog.modifiers.get(modifier_id, {})
            modifier_price = (
                _major(amount, exponent)
                if amount is not None
                else _dec(known_modifier.get("price"))
            )
            entry: dict[str, Any] = {"modificator_id": modifier_id, "count": times}
            _put(entry, "price", modifier_price)
            _put(entry, "name", name or _str(known_modifier.get("name")))
            modifiers.append(entry)
            modifiers_total += (modifier_price or Decimal(0)) * times
        name = item.name or _str(known.get("name"))
        snapshot: dict[str, Any] = {"id": product_id}
        _put(snapshot, "name", name)
        _put(snapshot, "price", _dec(known.get("price")))
        _put(snapshot, "category_id", known.get("category_id"))
        _put(snapshot, "station_id", known.get("station_id"))
        lines.append(_Line(product_id, count, price, name, snapshot, modifiers, modifiers_total))
    if problems:
        raise bad_request(invalid=problems)
    return lines


def _address_text(address: Any) -> str | None:
    if address is None:
        return None
    if address.string:
        return str(address.string)
    parts = [
        getattr(address, name)
        for name in (
            "line1",
            "line2",
            "line3",
            "line4",
            "line5",
            "city",
            "state",
            "postal_code",
            "country",
        )
    ]
    text = ", ".join(str(p) for p in parts if p)
    return text or None


def _full_name(customer: CustomerIn | None) -> str | None:
    if customer is None:
        return None
    parts = [customer.first_name, customer.middle_name, customer.last_name]
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text or None


def _unstorable_on_create(
    parsed: OrderIn, given: Mapping[str, Any], currency: str
) -> list[tuple[str, str]]:
    """Members a create would lose: each a ``(field, why)`` for one 422 (never a silent drop)."""
    lost: list[tuple[str, str]] = []
    for name, why in (
        ("title", "Clopos orders have no title"),
        ("seat", "Clopos orders have no seat"),
        ("table", "tables are chosen at the POS, not on an order"),
        ("employee_id", "the employee is whoever accepts the order at the POS"),
        ("order_date", "Clopos dates an order when it is created"),
        ("closed_date", "an order is closed at the POS when it is paid"),
    ):
        if given.get(name) not in (None, ""):
            lost.append((name, why))
    if parsed.payment_status not in (None, "open"):
        lost.append(
            ("payment_status", "a new order is unpaid; pay it with POST /pos/orders/{id}/pay")
        )
    if parsed.refunded:
        lost.append(("refunded", "a new order cannot be refunded"))
    if parsed.voided:
        lost.append(("voided", "a new order cannot be voided"))
    if parsed.total_tip:
        lost.append(("total_tip", "Clopos has no tips"))
    if parsed.taxes:
        lost.append(("taxes", "Clopos applies the products' own taxes"))
    customers = parsed.customers or []
    if len(customers) > 1:
        lost.append(("customers[1]", "a Clopos order has one customer"))
    if customers:
        first = customers[0]
        if first.emails and any(e.email for e in first.emails):
            lost.append(("customers[0].emails", "a Clopos order keeps no customer email"))
        if len(first.phone_numbers or []) > 1:
            lost.append(("customers[0].phone_numbers[1]", "a Clopos order keeps one phone number"))
    fulfillments = parsed.fulfillments or []
    if len(fulfillments) > 1:
        lost.append(("fulfillments[1]", "a Clopos order has one fulfillment"))
    if fulfillments:
        lost.extend(_unstorable_fulfillment(fulfillments[0], parsed))
    for i, item in enumerate(parsed.line_items or []):
        if item.applied_taxes:
            lost.append(
                (f"line_items[{i}].applied_taxes", "Clopos applies the products' own taxes")
            )
        if item.applied_discounts:
            lost.append((f"line_items[{i}].applied_discounts", "Clopos discounts are order-wide"))
        for j, modifier in enumerate(item.modifiers or []):
            if modifier.alternate_name:
                lost.append(
                    (
                        f"line_items[{i}].modifiers[{j}].alternate_name",
                        "Clopos modifiers have one name",
                    )
                )
    lost.extend(_currency_mismatches(given, currency))
    return lost


def _unstorable_fulfillment(fulfillment: FulfillmentIn, parsed: OrderIn) -> list[tuple[str, str]]:
    lost: list[tuple[str, str]] = []
    if fulfillment.status not in (None, "proposed"):
        lost.append(
            ("fulfillments[0].status", "a new order is proposed to the POS; it moves on there")
        )
    if fulfillment.shipment_details:
        lost.append(
            (
                "fulfillments[0].shipment_details",
                "Clopos keeps the address under pickup_details.recipient",
            )
        )
    details = fulfillment.pickup_details
    if details is None:
        return lost
    for name in sorted(details.model_fields_set - {"note", "recipient", "accepted_at"}):
        if getattr(details, name) not in (None, False, ""):
            lost.append(
                (
                    f"fulfillments[0].pickup_details.{name}",
                    "Clopos keeps no such detail on an order",
                )
            )
    if details.note and parsed.note and details.note != parsed.note:
        lost.append(
            ("fulfillments[0].pickup_details.note", "differs from note; Clopos keeps one comment")
        )
    recipient = details.recipient
    if recipient is not None and recipient.email is not None and recipient.email.email:
        lost.append(
            (
                "fulfillments[0].pickup_details.recipient.email",
                "a Clopos order keeps no customer email",
            )
        )
    return lost


def _currency_mismatches(given: Any, currency: str, path: str = "") -> list[tuple[str, str]]:
    lost: list[tuple[str, str]] = []
    if isinstance(given, Mapping):
        for key, value in given.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "currency" and value not in (None, currency):
                lost.append((where, f"this connection's currency is {currency}"))
            elif key != "pass_through":
                lost.extend(_currency_mismatches(value, currency, where))
    elif isinstance(given, list):
        for i, value in enumerate(given):
            lost.extend(_currency_mismatches(value, currency, f"{path}[{i}]"))
    return lost


def _sale_type_for(
    parsed: OrderIn, venue_id: int, catalog: Catalog
) -> tuple[int, Mapping[str, Any]]:
    if parsed.order_type_id is not None:
        sale_type_id = parse_body_id(parsed.order_type_id, "order_type_id")
        known = catalog.sale_types.get(sale_type_id)
        if catalog.sale_types and known is None:
            raise bad_request(
                invalid=[("order_type_id", f"sale type {sale_type_id} does not exist")]
            )
        if known is not None and not _enabled_at(known.get("status"), venue_id):
            raise bad_request(
                invalid=[
                    (
                        "order_type_id",
                        f"sale type {sale_type_id} is not enabled at location {venue_id}",
                    )
                ]
            )
        return sale_type_id, known or {}
    candidates = [s for s in catalog.sale_types.values() if _enabled_at(s.get("status"), venue_id)]
    kind = (parsed.fulfillments or [FulfillmentIn()])[0].type if parsed.fulfillments else None
    wanted = {"shipment": "DELIVERY", "pickup": "TAKEAWAY"}.get(kind or "")
    if wanted:
        typed = [s for s in candidates if str(s.get("system_type") or "").upper() == wanted]
        candidates = typed or candidates
    chosen = default_sale_type_id(candidates, venue_id)
    if chosen is None:
        raise bad_request(missing=["order_type_id"])
    return chosen, catalog.sale_types.get(chosen, {})


def _discount_block(
    discounts: list[DiscountIn], subtotal: Decimal | None, exponent: int
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    if not discounts:
        return None, []
    lost: list[tuple[str, str]] = []
    if len(discounts) > 1:
        lost.append(("discounts[1]", "a Clopos order has one discount"))
    first = discounts[0]
    if first.scope == "line_item":
        lost.append(("discounts[0].scope", "Clopos order discounts apply to the whole order"))
    if lost:
        return None, lost
    if first.type == "flat_fee":
        if first.amount is None:
            return None, [("discounts[0].amount", "a flat discount needs its amount")]
        return {"discount_type": 2, "discount_value": _major(first.amount, exponent)}, []
    rate = _rate_from_name(first.name)
    if rate is None:
        if first.amount is None or not subtotal:
            return None, [
                (
                    "discounts[0]",
                    "Clopos stores a percentage discount as its rate: name it like '10%', "
                    "or send amount with priced line items",
                )
            ]
        rate = (_major(first.amount, exponent) * 100 / subtotal).quantize(Decimal("0.0001"))
    if not 0 <= rate <= 100:
        return None, [("discounts[0]", f"a percentage discount must be 0–100% (got {rate}%)")]
    return {"discount_type": 1, "discount_value": _plain_number(rate)}, []


def _rate_from_name(name: str | None) -> Decimal | None:
    if not name:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*%\s*", name)
    return Decimal(match.group(1)) if match else None


def _charge_blocks(
    charges: list[ServiceChargeIn], exponent: int
) -> tuple[Decimal | None, Decimal | None, list[tuple[str, str]]]:
    """``(delivery fee, service charge percentage, problems)``."""
    fee: Decimal | None = None
    rate: Decimal | None = None
    lost: list[tuple[str, str]] = []
    for i, charge in enumerate(charges):
        where = f"service_charges[{i}]"
        if charge.active is False:
            lost.append((f"{where}.active", "Clopos keeps no inactive charges"))
        elif charge.type == "auto_gratuity":
            lost.append((f"{where}.type", "Clopos has no gratuity"))
        elif (charge.name or "").strip().casefold() == "delivery fee":
            if fee is not None:
                lost.append((where, "a Clopos order has one delivery fee"))
            elif charge.amount is None or charge.percentage is not None:
                lost.append((where, "a delivery fee is an amount, not a percentage"))
            else:
                fee = _major(charge.amount, exponent)
        elif charge.percentage is not None:
            if rate is not None:
                lost.append((where, "a Clopos order has one service charge"))
            elif not 0 <= charge.percentage <= 100:
                lost.append((f"{where}.percentage", "must be 0–100"))
            else:
                rate = charge.percentage
        else:
            lost.append(
                (
                    where,
                    "Clopos service charges are percentages; name an amount 'Delivery fee' "
                    "for a delivery charge",
                )
            )
    return fee, rate, lost


def create_payload(
    body: Mapping[str, Any],
    *,
    api_version: str = "v2",
    merchant_id: str | None = None,
    venue_id: str | int | None = None,
    currency: str = "AZN",
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """The Clopos ``POST /orders`` body for a unified create (§9.5).

    ``merchant_id`` / ``venue_id``, when given, are the connection's brand and pinned venue:
    a body naming another is a 400 (its id does not resolve for this connection).

    ``api_version`` ``"v2"`` gives the flat body, ``"v1"`` the nested one; either way
    ``pass_through`` entries for ``clopos`` address the nested shape and are applied last.
    Checks, in order: 400 schema (``merchant_id``/``location_id`` required) and ids that do
    not resolve (``line_items[i]``, ``customer_id``, ``order_type_id``); then 422 for a
    status other than ``open``, payments/tenders/refunds, and every member Clopos would
    lose (one answer naming them all). Totals are ignored: Clopos recomputes them.
    """
    catalog = catalog or _EMPTY_CATALOG
    exponent = currency_exponent(currency)
    parsed = parse_order_body(body, required=("merchant_id", "location_id"))
    given = parsed.given()
    assert parsed.merchant_id is not None and parsed.location_id is not None
    if merchant_id is not None and parsed.merchant_id != merchant_id:
        raise bad_request(
            invalid=[("merchant_id", f"must be this connection's merchant {merchant_id!r}")]
        )
    pinned = venue_id
    venue_id = parse_body_id(parsed.location_id, "location_id")
    if catalog.venues and venue_id not in catalog.venues:
        raise bad_request(invalid=[("location_id", f"location {venue_id} does not exist")])
    if pinned is not None and str(pinned) != str(venue_id):
        raise bad_request(
            invalid=[("location_id", f"this connection serves location {pinned} only")]
        )
    customers = parsed.customers or []
    first_customer = customers[0] if customers else None
    customer_text = parsed.customer_id
    customer_field = "customer_id"
    if customer_text is None and first_customer is not None and first_customer.id is not None:
        customer_text, customer_field = first_customer.id, "customers[0].id"
    details = (
        (parsed.fulfillments or [FulfillmentIn()])[0].pickup_details
        if parsed.fulfillments
        else None
    )
    recipient = details.recipient if details is not None else None
    if customer_text is None and recipient is not None and recipient.customer_id is not None:
        customer_text, customer_field = (
            recipient.customer_id,
            "fulfillments[0].pickup_details.recipient.customer_id",
        )
    if customer_text is None:
        raise bad_request(missing=["customer_id"])
    customer_id = parse_body_id(customer_text, customer_field)
    for other, where in (
        (first_customer.id if first_customer else None, "customers[0].id"),
        (
            recipient.customer_id if recipient else None,
            "fulfillments[0].pickup_details.recipient.customer_id",
        ),
    ):
        if other is not None and other != str(customer_id):
            raise bad_request(
                invalid=[(where, f"names customer {other}, not customer_id {customer_id}")]
            )
    sale_type_id, sale_type = _sale_type_for(parsed, venue_id, catalog)
    entries = _ours(parsed.pass_through, "ordersAdd")
    lines = _resolve_lines(parsed, catalog, entries, exponent)
    if parsed.order_number is not None and len(parsed.order_number) > ORDER_NUMBER_MAX:
        raise bad_request(
            invalid=[("order_number", f"must be at most {ORDER_NUMBER_MAX} characters")]
        )

    if parsed.status not in (None, "open"):
        raise _unprocessable(
            f"A new Clopos order is always open; status {parsed.status!r} cannot be created",
            ["status"],
        )
    paid = [name for name in ("payments", "tenders", "refunds") if getattr(parsed, name)]
    if paid:
        raise _unprocessable(
            f"{', '.join(paid)} cannot be sent on create: create the order, then pay it with "
            "POST /pos/orders/{id}/pay",
            paid,
        )
    lost = _unstorable_on_create(parsed, given, currency)
    subtotal: Decimal | None = None
    if all(line.price is not None for line in lines):
        subtotal = sum(
            (((line.price or Decimal(0)) + line.modifiers_total) * line.count for line in lines),
            Decimal(0),
        )
    discount, discount_lost = _discount_block(parsed.discounts or [], subtotal, exponent)
    fee, rate, charge_lost = _charge_blocks(parsed.service_charges or [], exponent)
    lost.extend(discount_lost)
    lost.extend(charge_lost)
    if lost:
        raise _cannot_store(lost, on="create")

    comment = parsed.note or (details.note if details is not None else None)
    name = _full_name(first_customer) or (recipient.display_name if recipient else None)
    phones = (first_customer.phone_numbers or []) if first_customer is not None else []
    phone = phones[0].number if phones else None
    if phone is None and recipient is not None and recipient.phone_number is not None:
        phone = recipient.phone_number.number
    address = _address_text(recipient.address) if recipient is not None else None

    customer: dict[str, Any] = {"id": customer_id}
    _put(customer, "name", name)
    _put(customer, "phone", phone)
    _put(customer, "address", address)
    service: dict[str, Any] = {"sale_type_id": sale_type_id}
    _put(service, "sale_type_name", _str(sale_type.get("name")))
    service["venue_id"] = venue_id
    _put(service, "venue_name", _str(catalog.venues.get(venue_id, {}).get("name")))
    products = []
    for line in lines:
        modifier_ids = [m["modificator_id"] for m in line.modifiers for _ in range(m["count"])]
        meta: dict[str, Any] = {}
        _put(meta, "price", line.price)
        meta["order_product"] = {
            "product": line.snapshot,
            "count": line.count,
            "status": "new",
            "product_modificators": line.modifiers,
            "product_hash": _product_hash(line.product_id, modifier_ids),
        }
        products.append(
            {
                "product_id": line.product_id,
                "count": line.count,
                "product_modificators": line.modifiers,
                "meta": meta,
            }
        )
    payload: dict[str, Any] = {"service": service, "customer": customer, "products": products}
    _put(payload, "delivery_fee", fee)
    _put(payload, "order_number", parsed.order_number)
    order_meta: dict[str, Any] = {}
    _put(order_meta, "comment", comment)
    _put(order_meta, "discount", discount)
    if rate is not None:
        order_meta["apply_service_charge"] = True
        order_meta["service_charge_value"] = rate
    nested: dict[str, Any] = {"customer_id": customer_id, "payload": payload}
    if order_meta:
        nested["meta"] = order_meta
    _put(nested, "integration_id", parsed.reference_id)
    _apply_pass_through(nested, entries)
    return nested if api_version == "v1" else nested_to_flat(nested)


_FLAT_PAYLOAD_KEYS: Final = (
    "auto_accept_terminal",
    "auto_order_accept",
    "auto_order_sent_to_station",
    "delivery_fee",
)
_REFERENCE_KEYS: Final = ("order_number", "integration_id", "integration_uuid", "customer_ref_id")


def nested_to_flat(nested: Mapping[str, Any]) -> dict[str, Any]:
    """The v1 nested create body → the v2 flat one (spec §11.4 "v2→stored mapping"),
    members the mapping does not know carried over at the top level."""
    payload = dict(_map(nested.get("payload")))
    meta = dict(_map(nested.get("meta")) or _map(payload.get("meta")))
    service = dict(_map(payload.pop("service", None)))
    customer = dict(_map(payload.pop("customer", None)))
    if nested.get("customer_id") is not None:
        customer.setdefault("id", nested.get("customer_id"))
    if meta.get("customer_discount_type") is not None:
        customer.setdefault("customer_discount_type", meta.pop("customer_discount_type"))
    flat: dict[str, Any] = {
        "sale_type_id": service.pop("sale_type_id", payload.get("sale_type_id")),
        "venue_id": service.pop("venue_id", None),
        "customer": customer,
        "products": [
            _flat_product(p) for p in _list(payload.pop("products", None)) if isinstance(p, Mapping)
        ],
    }
    payload.pop("meta", None)
    payload.pop("sale_type_id", None)
    payload.pop("customer_id", None)
    for key in _FLAT_PAYLOAD_KEYS:
        if key in payload:
            flat[key] = payload.pop(key)
    if meta.get("comment") not in (None, ""):
        flat["comment"] = meta.pop("comment")
    else:
        meta.pop("comment", None)
    if "discount" in meta:
        flat["discount"] = meta.pop("discount")
    if meta.get("apply_service_charge") is not None or "service_charge_value" in meta:
        flat["service_charge"] = {
            "enabled": bool(meta.pop("apply_service_charge", False)),
            "value": meta.pop("service_charge_value", 0),
        }
    meta.pop("orderTotal", None)
    for key in _REFERENCE_KEYS:
        value = nested.get(key, payload.pop(key, None))
        if value is not None:
            flat[key] = value
    # Whatever pass_through added that the flat body has no place for stays at the top.
    for source in (
        payload,
        meta,
        {
            k: v
            for k, v in nested.items()
            if k not in ("payload", "meta", "customer_id", *_REFERENCE_KEYS)
        },
    ):
        for key, value in source.items():
            flat.setdefault(key, value)
    return flat


def _flat_product(product: Mapping[str, Any]) -> dict[str, Any]:
    rest = dict(product)
    meta = dict(_map(rest.pop("meta", None)))
    order_product = _map(meta.get("order_product"))
    snapshot = _map(order_product.get("product"))
    modifiers = _list(rest.pop("product_modificators", None))
    flat: dict[str, Any] = {"product_id": rest.pop("product_id", None)}
    _put(flat, "product_name", _str(snapshot.get("name")))
    flat["count"] = rest.pop("count", 1)
    price = meta.get("price", snapshot.get("price"))
    _put(flat, "price", price)
    flat["status"] = order_product.get("status", "new")
    _put(flat, "product_hash", order_product.get("product_hash"))
    flat["modifiers"] = [
        {
            key: value
            for key, value in (
                ("modifier_id", m.get("modificator_id")),
                ("modifier_name", m.get("name")),
                ("count", m.get("count", 1)),
                ("price", m.get("price")),
                ("portion_size", m.get("portion_size")),
            )
            if value is not None
        }
        for m in modifiers
        if isinstance(m, Mapping)
    ]
    flat.update(rest)  # portion_size, note, and anything pass_through set
    return flat


# --- update (§6.3, §9.6) ------------------------------------------------------------------


@dataclass(frozen=True)
class UpdatePlan:
    """The Clopos calls a PATCH needs, in this order (empty = a no-op):

    1. ``customer_lookup``: ``GET /customers/{id}``, then ``plan = with_customer(plan,
       customer)`` (``PUT /receipts`` needs ``meta.customer`` copied from it, spec §12.7);
    2. ``receipt_put``: v1 ``PUT /receipts/{receipt_id}`` — SDK ``update_receipt(
       receipt_id, receipt_cid, **receipt_put)`` kwargs;
    3. ``receipt_patch``: ``PATCH /receipts/{receipt_id}`` — SDK
       ``update_closed_receipt(receipt_id, **receipt_patch)`` kwargs;
    4. ``order_put``: ``PUT /orders/{order_id}`` ``{"status": "IGNORE"}``.

    ``venue_id`` is the record's venue (send it as ``x-venue``).
    """

    order_id: int | None
    receipt_id: int | None
    venue_id: int | None
    receipt_cid: str | None = None
    customer_lookup: int | None = None
    receipt_put: Mapping[str, Any] | None = None
    receipt_patch: Mapping[str, Any] | None = None
    order_put: Mapping[str, Any] | None = None
    changed: tuple[str, ...] = ()

    @property
    def noop(self) -> bool:
        """Whether nothing needs to be sent to Clopos."""
        return not (self.receipt_put or self.receipt_patch or self.order_put)


def with_customer(plan: UpdatePlan, customer: Mapping[str, Any]) -> UpdatePlan:
    """``plan`` with ``meta.customer`` (as the SDK's ``meta_customer``) filled from a
    ``GET /customers/{id}`` answer; 422 when Clopos has no such customer name."""
    snapshot = customer_snapshot(customer)
    if not snapshot["name"]:
        raise _unprocessable(
            f"Customer {customer.get('id')} has no name to put on the receipt", ["customer_id"]
        )
    put = dict(plan.receipt_put or {})
    put["meta_customer"] = snapshot
    return replace(plan, receipt_put=put, customer_lookup=None)


def _identity(given: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    for name in ("merchant_id", "location_id"):
        if name in given and given[name] != current.get(name):
            raise _unprocessable(
                f"{name} cannot change: order {current.get('id')} belongs to "
                f"{name.split('_')[0]} {current.get(name)!r}",
                [name],
            )


def _version_check(given: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    sent = given.get("version")
    if sent is not None and sent != current.get("version"):
        raise UnifiedError(
            409,
            "ConflictError",
            f"Order {current.get('id')} has changed since version {sent!r}; fetch it again "
            "and retry with the current version",
            {"current_version": current.get("version"), "sent_version": sent},
        )


def _current_view(current: Mapping[str, Any]) -> dict[str, Any]:
    """The current order through the same schema as bodies, so values compare like for like."""
    parsed = OrderIn.model_validate({k: v for k, v in current.items() if k != "idempotency_key"})
    return parsed.model_dump()


_COMPARED_ON_UPDATE: Final = (
    "order_date",
    "closed_date",
    "reference_id",
    "payment_status",
    "currency",
    "title",
    "employee_id",
    "order_type_id",
    "table",
    "seat",
    "total_amount",
    "total_tip",
    "total_tax",
    "total_discount",
    "total_refund",
    "total_service_charge",
    "refunded",
    "customers",
    "line_items",
    "payments",
    "service_charges",
    "refunds",
    "taxes",
    "discounts",
    "tenders",
)
_WHY_FIXED: Final = {
    "payments": "pay with POST /pos/orders/{id}/pay",
    "tenders": "pay with POST /pos/orders/{id}/pay",
    "payment_status": "pay with POST /pos/orders/{id}/pay",
    "line_items": "Clopos cannot change an order's lines",
    "customers": "change the customer with customer_id; its details come from Clopos",
}


def _fulfillment_change(
    given: Mapping[str, Any], now: Mapping[str, Any]
) -> tuple[str | None, list[tuple[str, str]]]:
    """The new ``fulfillments[0].status`` (if it changes) and members that cannot change.

    Members left out of ``fulfillments[0]`` keep their value (a status-only body such as
    ``[{"status": "prepared"}]`` is the common case); anything else must equal the current.
    """
    sent = given.get("fulfillments")
    if sent is None:
        return None, []
    current = now.get("fulfillments") or []
    if not sent and not current:
        return None, []
    if len(sent) != max(len(current), 1) or len(sent) > 1:
        return None, [("fulfillments", "a Clopos order has exactly one fulfillment")]
    head = dict(sent[0])
    base = dict(current[0]) if current else {}
    status = head.pop("status", None)
    lost: list[tuple[str, str]] = []
    for key, value in head.items():
        if value is not None and _canon(value) != _canon(base.get(key)):
            lost.append((f"fulfillments[0].{key}", "only fulfillments[0].status can change"))
    if status is not None and status != base.get("status"):
        return status, lost
    return None, lost


def _still_pending(what: str, order_id: str) -> UnifiedError:
    return _unprocessable(
        f"Order {order_id} is still waiting for the POS to accept it; until then it can "
        f"only be voided ({what} needs the receipt the POS opens)",
        [what],
    )


def _receipt_needed(
    receipt: Mapping[str, Any] | None, what: str, order_id: str
) -> Mapping[str, Any]:
    if receipt is None:
        raise _still_pending(what, order_id)
    return receipt


def _put_ready(receipt: Mapping[str, Any], what: str, api_version: str) -> None:
    if api_version != "v1":
        raise _unprocessable(
            f"{what} cannot change through Clopos' v2 API (only v1's PUT /receipts/{{id}} "
            "updates a receipt's description and customer)",
            [what],
        )
    if _receipt_closed(receipt):
        raise _unprocessable(
            f"{what} cannot change: receipt {receipt.get('id')} is closed (Clopos allows only "
            "order_status and order_number on a closed receipt)",
            [what],
        )
    if receipt.get("lock"):
        raise _unprocessable(f"{what} cannot change: receipt {receipt.get('id')} is locked", [what])


def plan_update(
    current: Mapping[str, Any],
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    body: Mapping[str, Any],
    *,
    api_version: str = "v2",
) -> UpdatePlan:
    """What ``PATCH /pos/orders/{id}`` must do (§6.3 rules, §9.6 table).

    ``current`` is ``order_to_unified(order, receipt, …)``. Checks in order: 400 (body), 409
    (``version`` differs), 422 (``merchant_id``/``location_id`` differ; order voided or
    completed and the body changes something; a change Clopos cannot store — every such
    member named). Values equal to the current ones are no-ops; read-only members and
    ``idempotency_key`` are ignored.
    """
    parsed = parse_order_body(body)
    given = parsed.given()
    _version_check(given, current)
    _identity(given, current)
    now = _current_view(current)
    order_id = _int_key(order.get("id")) if order else None
    receipt_id = _int_key(receipt.get("id")) if receipt else None
    venue_id = _int_key((receipt or order or {}).get("venue_id"))
    unified_id = str(current.get("id"))

    changed: list[str] = []
    lost: list[tuple[str, str]] = []
    problems: list[UnifiedError] = []
    target_status: str | None = None
    order_put: dict[str, Any] | None = None

    wanted = parsed.status
    if parsed.voided is True:
        if wanted not in (None, "voided"):
            raise bad_request(invalid=[("voided", f"true contradicts status {wanted!r}")])
        wanted = "voided"
    if wanted is not None and wanted != current.get("status"):
        changed.append("status")
        if wanted == "voided":
            if receipt is None:
                order_put = {"status": "IGNORE"}
            else:
                target_status = "CANCELLED"
        elif wanted in ("completed", "delivered"):
            if receipt is None:
                problems.append(_still_pending("status", unified_id))
            else:
                target_status = "COMPLETED" if wanted == "completed" else "PICKED_UP"
        elif wanted == "open":
            lost.append(("status", f"a {current.get('status')} order cannot be reopened"))
        else:
            lost.append(("status", f"Clopos has no {wanted!r} state"))
    elif parsed.voided is False and current.get("voided"):
        changed.append("voided")
        lost.append(("voided", "a voided order cannot be restored"))

    fulfillment_status, fulfillment_lost = _fulfillment_change(given, now)
    lost.extend(fulfillment_lost)
    if fulfillment_lost:
        changed.append("fulfillments")
    if fulfillment_status is not None:
        changed.append("fulfillments")
        mapped = _FULFILLMENT_TO_RECEIPT.get(fulfillment_status)
        if mapped is None:
            lost.append(
                (
                    "fulfillments[0].status",
                    f"Clopos cannot move an order back to {fulfillment_status!r}",
                )
            )
        elif receipt is None:
            if mapped == "CANCELLED":
                order_put = {"status": "IGNORE"}
            else:
                problems.append(_still_pending("fulfillments[0].status", unified_id))
        elif target_status not in (None, mapped):
            raise _unprocessable(
                f"status {wanted!r} and fulfillments[0].status {fulfillment_status!r} ask for "
                "different Clopos states",
                ["status", "fulfillments[0].status"],
            )
        else:
            target_status = mapped

    put: dict[str, Any] = {}
    patch: dict[str, Any] = {}
    customer_lookup: int | None = None
    if "order_number" in given and _canon(parsed.order_number) != _canon(now.get("order_number")):
        changed.append("order_number")
        patch["order_number"] = parsed.order_number
    if "note" in given and _canon(parsed.note) != _canon(now.get("note")):
        changed.append("note")
        if parsed.note is not None and len(parsed.note) > RECEIPT_DESCRIPTION_MAX:
            lost.append(("note", f"Clopos keeps at most {RECEIPT_DESCRIPTION_MAX} characters"))
        put["description"] = parsed.note or ""
    if "customer_id" in given and _canon(parsed.customer_id) != _canon(now.get("customer_id")):
        changed.append("customer_id")
        customer_lookup = parse_body_id(parsed.customer_id, "customer_id")
        put["customer_id"] = customer_lookup
    for name in _COMPARED_ON_UPDATE:
        if name in given and _canon(given[name]) != _canon(now.get(name)):
            if name == "customers" and "customer_id" in changed:
                continue  # the new customer's details come from Clopos
            changed.append(name)
            lost.append(
                (name, _WHY_FIXED.get(name, "Clopos cannot change it after the order is placed"))
            )
    entries = _ours(parsed.pass_through, "ordersUpdate")
    if entries:
        changed.append("pass_through")

    if not changed:
        return UpdatePlan(order_id, receipt_id, venue_id)
    if current.get("status") in ("voided", "completed"):
        raise _unprocessable(
            f"Order {unified_id} is {current.get('status')} and can no longer be updated",
            sorted(set(changed)),
            status=current.get("status"),
        )
    if lost:
        raise _cannot_store(lost, on="update")
    if problems:
        raise problems[0]
    if put:
        ready = _receipt_needed(receipt, next(iter(put)), unified_id)
        _put_ready(ready, "note" if "description" in put else "customer_id", api_version)
    if "order_number" in patch:
        _receipt_needed(receipt, "order_number", unified_id)
    if target_status is not None:
        patch["order_status"] = target_status
    if entries:
        if receipt is None:
            raise _unprocessable(
                "pass_through on update applies to the order's receipt, which the POS has not "
                "opened yet",
                ["pass_through"],
            )
        extra: dict[str, Any] = {}
        _apply_pass_through(extra, entries)
        unknown = sorted(set(extra) - set(_RECEIPT_PATCH_FIELDS))
        if unknown:
            raise bad_request(
                invalid=[
                    (
                        "pass_through",
                        f"PATCH /receipts accepts only {', '.join(_RECEIPT_PATCH_FIELDS)}; "
                        f"not {', '.join(unknown)}",
                    )
                ]
            )
        patch.update(extra)
    receipt_put: dict[str, Any] | None = None
    if put and receipt is not None:
        # PUT re-sends the receipt's descriptive fields (money is left alone: re-sending it
        # makes Clopos recompute totals); pending PATCH fields ride along.
        receipt_put = {}
        for key in ("order_number", "order_status", "guests"):
            _put(receipt_put, key, receipt.get(key))
        for key in ("order_number", "order_status"):
            if key in patch:
                receipt_put[key] = patch.pop(key)
        receipt_put.update(put)
    return UpdatePlan(
        order_id,
        receipt_id,
        venue_id,
        receipt_cid=_str((receipt or {}).get("cid")),
        customer_lookup=customer_lookup,
        receipt_put=receipt_put,
        receipt_patch=patch or None,
        order_put=order_put,
        changed=tuple(dict.fromkeys(changed)),
    )


# --- delete (§6.4) ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletePlan:
    """``DELETE /pos/orders/{id}``: the Clopos calls, then tombstone ``unified_id``.

    ``receipt_delete``: v1 ``DELETE /receipts/{receipt_id}``; ``receipt_patch``: v2 (no
    receipt delete there) ``PATCH /receipts/{receipt_id}`` ``{"order_status":
    "CANCELLED"}``; ``order_put``: ``PUT /orders/{order_id}`` ``{"status": "IGNORE"}``.
    """

    unified_id: str
    order_id: int | None
    receipt_id: int | None
    venue_id: int | None
    receipt_delete: bool = False
    receipt_patch: Mapping[str, Any] | None = None
    order_put: Mapping[str, Any] | None = None


def plan_delete(
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    *,
    api_version: str = "v2",
) -> DeletePlan:
    """Cancel downstream and tombstone (§6.4): a pending order is ignored; its receipt is
    deleted (v1) or cancelled (v2). 422 when a v1 receipt is locked."""
    unified_id = unified_order_id(order, receipt)
    order_id = _int_key(order.get("id")) if order else None
    receipt_id = _int_key(receipt.get("id")) if receipt else None
    venue_id = _int_key((receipt or order or {}).get("venue_id"))
    order_put = (
        {"status": "IGNORE"} if order is not None and order.get("status") == "PENDING" else None
    )
    if receipt is None:
        return DeletePlan(unified_id, order_id, None, venue_id, order_put=order_put)
    if api_version == "v1":
        if receipt.get("lock"):
            raise _unprocessable(
                f"Order {unified_id} cannot be deleted: its receipt {receipt_id} is locked",
                lock=True,
            )
        return DeletePlan(
            unified_id, order_id, receipt_id, venue_id, receipt_delete=True, order_put=order_put
        )
    patch = None if receipt.get("order_status") == "CANCELLED" else {"order_status": "CANCELLED"}
    return DeletePlan(
        unified_id, order_id, receipt_id, venue_id, receipt_patch=patch, order_put=order_put
    )


# --- pay (§6.5) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PayPlan:
    """``POST /pos/orders/{id}/pay``: close ``receipt_id`` with ``payment_methods``
    (``[{id, name, amount}]``, major units) — SDK ``close_receipt(receipt_id,
    payment_methods, cid=cid, closed_at=closed_at)`` (v1 needs both, v2 neither)."""

    receipt_id: int
    venue_id: int | None
    payment_methods: list[dict[str, Any]]
    cid: str | None = None
    closed_at: str | None = None


def _pick_method(tender: TenderIn, catalog: Catalog) -> tuple[int | None, str | None]:
    """The Clopos payment method of a tender: ``(0, None)`` when its raw ``id`` names none,
    ``(None, None)`` when nothing identifies one."""
    methods = catalog.payment_methods
    if tender.id is not None:
        number = _positive(str(tender.id)) if not isinstance(tender.id, bool) else None
        if number is None or (methods and number not in methods):
            return 0, None
        return number, _str(methods.get(number, {}).get("name")) or tender.name
    if tender.name:
        wanted = tender.name.strip().casefold()
        hits = [
            k for k, m in methods.items() if str(m.get("name") or "").strip().casefold() == wanted
        ]
        if len(hits) == 1:
            return hits[0], _str(methods[hits[0]].get("name"))
    if tender.type in ("cash", "card"):
        kind = tender.type.upper()
        typed = [
            k
            for k, m in methods.items()
            if str(_map(m.get("balance")).get("type") or "").upper() == kind
            and not m.get("deleted_at")
        ]
        if not typed:
            words = _CASH_WORDS if kind == "CASH" else _CARD_WORDS
            typed = [
                k
                for k, m in methods.items()
                if any(w in str(m.get("name") or "").lower() for w in words)
            ]
        if typed:
            chosen = min(typed, key=lambda k: _by_position(methods[k]))
            return chosen, _str(methods[chosen].get("name"))
    return None, None


def _default_method(catalog: Catalog) -> tuple[int | None, str | None]:
    methods = catalog.payment_methods
    cash = [
        k
        for k, m in methods.items()
        if str(_map(m.get("balance")).get("type") or "").upper() == "CASH"
    ]
    pool = cash or list(methods)
    if not pool:
        return None, None
    chosen = min(pool, key=lambda k: _by_position(methods[k]))
    return chosen, _str(methods[chosen].get("name"))


def plan_pay(
    current: Mapping[str, Any],
    order: Mapping[str, Any] | None,
    receipt: Mapping[str, Any] | None,
    body: Mapping[str, Any],
    *,
    api_version: str = "v2",
    currency: str = "AZN",
    catalog: Catalog | None = None,
    time_zone: str = "UTC",
    now: datetime | None = None,
) -> PayPlan:
    """Close the order's receipt with the body's ``tenders`` (or ``payments``) (§6.5).

    A tender's Clopos payment method is its ``id`` (raw clients), else its ``name``, else
    its ``type`` (the cash / card method); ``payments[]`` pay with the cash method. 400 when
    a tender names no method; 409 on a stale ``version``; 422 when the order is still
    pending, voided, already paid or locked, when the tenders do not add up to the total,
    or when the body also changes something else.
    """
    catalog = catalog or _EMPTY_CATALOG
    exponent = currency_exponent(currency)
    parsed = parse_order_body(body)
    given = parsed.given()
    unified_id = str(current.get("id"))
    methods: list[tuple[int, str | None, int]] = []
    problems: list[tuple[str, str]] = []
    for i, tender in enumerate(parsed.tenders or []):
        amount = (
            tender.amount
            if tender.amount is not None
            else (Decimal(tender.total_amount) if tender.total_amount is not None else None)
        )
        if amount is None:
            problems.append((f"tenders[{i}].amount", "is required to pay"))
            continue
        if amount <= 0 or amount != amount.to_integral_value():
            problems.append(
                (f"tenders[{i}].amount", "must be a positive whole amount in minor units")
            )
            continue
        method_id, name = _pick_method(tender, catalog)
        if method_id == 0:
            problems.append((f"tenders[{i}].id", f"names no Clopos payment method ({tender.id!r})"))
            continue
        if method_id is None:
            problems.append(
                (
                    f"tenders[{i}]",
                    "names no Clopos payment method: send a payment method name "
                    "(see GET /pos/tenders) or type cash/card",
                )
            )
            continue
        methods.append((method_id, name, int(amount)))
    if not parsed.tenders:
        for i, payment in enumerate(parsed.payments or []):
            if payment.amount is None or payment.amount <= 0:
                problems.append(
                    (f"payments[{i}].amount", "must be a positive amount in minor units")
                )
                continue
            method_id, name = _default_method(catalog)
            if method_id is None:
                problems.append(
                    (f"payments[{i}]", "no Clopos payment method is known; send tenders")
                )
                continue
            methods.append((method_id, name, payment.amount))
    if problems:
        raise bad_request(invalid=problems)
    if not methods:
        raise bad_request(missing=["tenders"])
    _version_check(given, current)
    _identity(given, current)

    if receipt is None:
        if current.get("status") == "voided":
            raise _unprocessable(
                f"Order {unified_id} is voided and cannot be paid", status="voided"
            )
        raise _unprocessable(
            f"Order {unified_id} is still waiting for the POS to accept it; it can be paid once "
            "the POS has opened its receipt",
            status=current.get("status"),
        )
    if current.get("status") == "voided":
        raise _unprocessable(f"Order {unified_id} is voided and cannot be paid", status="voided")
    if _receipt_closed(receipt) or current.get("payment_status") == "paid":
        raise _unprocessable(
            f"Order {unified_id} is already paid", payment_status=current.get("payment_status")
        )
    if receipt.get("lock"):
        raise _unprocessable(f"Order {unified_id} cannot be paid: its receipt is locked", lock=True)

    now_view = _current_view(current)
    ignored = {
        "tenders",
        "payments",
        "payment_status",
        "status",
        "version",
        "idempotency_key",
        "pass_through",
        "merchant_id",
        "location_id",
    }
    other = [
        name
        for name, value in given.items()
        if name not in ignored and _canon(value) != _canon(now_view.get(name))
    ]
    if parsed.status not in (None, current.get("status"), "completed"):
        other.append("status")
    if other:
        raise _cannot_store([(n, "pay changes only the payment") for n in other], on="pay")

    total = _zero(receipt.get("total"))
    total_minor = _minor(total, exponent) or 0
    sent = sum(m[2] for m in methods)
    if sent < total_minor:
        raise _unprocessable(
            f"The tenders add up to {sent}, less than the order total {total_minor} "
            f"({currency} minor units); Clopos closes a receipt only when it is paid in full",
            ["tenders"],
            total_amount=total_minor,
            tendered=sent,
        )
    if sent > total_minor:
        raise _unprocessable(
            f"The tenders add up to {sent}, more than the order total {total_minor} "
            f"({currency} minor units); send the exact amount (Clopos keeps no change)",
            ["tenders"],
            total_amount=total_minor,
            tendered=sent,
        )
    amounts = [_major(amount, exponent) for _, _, amount in methods]
    # Sub-minor-unit residue (a total of 8.145 paid as 815 cents) goes on the last tender,
    # so Σ payment_methods = total exactly, as Clopos requires (spec §4.5).
    amounts[-1] += total - sum(amounts, Decimal(0))
    payment_methods: list[dict[str, Any]] = []
    for (method_id, name, _), amount in zip(methods, amounts, strict=True):
        entry: dict[str, Any] = {"id": method_id}
        _put(entry, "name", name)
        entry["amount"] = amount
        payment_methods.append(entry)
    closed_at: str | None = None
    if api_version == "v1":
        zone = _zone(time_zone)
        moment = (now or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None, microsecond=0)
        opened = _instant(receipt.get("created_at"), zone)
        if opened is not None:
            floor = opened.astimezone(zone).replace(tzinfo=None, microsecond=0) + timedelta(
                seconds=1
            )
            moment = max(moment, floor)
        closed_at = moment.strftime("%Y-%m-%d %H:%M:%S")
    return PayPlan(
        receipt_id=int(receipt["id"]),
        venue_id=_int_key(receipt.get("venue_id")),
        payment_methods=payment_methods,
        cid=_str(receipt.get("cid")),
        closed_at=closed_at,
    )
