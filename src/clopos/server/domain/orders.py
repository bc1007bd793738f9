"""Orders (spec §11): request bodies, the stored ``payload``, status rules, the presenter.

Pure: no I/O. Two request generations exist and both are accepted on both prefixes:

* **v2 flat** (spec §11.4 table): ``sale_type_id``, ``venue_id``, ``customer``, ``products`` …
* **v1 nested** (spec §11.4 v1 body, the existing client's ``create_order``): ``customer_id``,
  ``payload{service, customer, products, meta}``, ``meta`` at the top or inside ``payload``.

``read_order_body`` turns either into one ``OrderDraft``; the repository then loads the
catalog rows the draft names (``References``) and ``build_order`` checks every reference and
builds the nested ``payload`` every order is stored and returned with (spec §11.3).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from clopos.models.orders import ORDER_STATUSES as ORDER_STATUSES
from clopos.models.orders import (
    Discount,
    ServiceCharge,
    V1Customer,
    V1Meta,
    V1OrderProduct,
    V1Product,
    V1ProductMeta,
    V1ProductSnapshot,
)
from clopos.models.orders import FlatOrder as FlatOrder
from clopos.models.orders import NestedOrder as NestedOrder
from clopos.server.domain.timestamps import iso_micro
from clopos.server.domain.totals import (
    DISCOUNT_NONE,
    DISCOUNT_PERCENT,
    Adjustments,
    Line,
    ModifierLine,
    compute_totals,
)
from clopos.server.errors import InvalidParameter, ValidationFailed, field_path
from clopos.server.store.models import (
    Customer,
    Modifier,
    Order,
    Product,
    Receipt,
    SaleType,
    Venue,
)

# --- vocabulary ---------------------------------------------------------------------------

STATUS_MESSAGE = "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED"
# The superseded v1 filter vocabulary (spec §11.1, §14.19), honoured on the v1 prefix only.
V1_STATUS_WORDS = {
    "pending": "PENDING",
    "confirmed": "RECEIVED",
    "completed": "DELIVERED",
    "cancelled": "IGNORE",
}
V1_STATUS_MESSAGE = (
    "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED "
    "(or the v1 words pending, confirmed, completed, cancelled)"
)
# What PUT /orders/{id} may set (spec §11.5): integrations can only ignore an order.
PUT_STATUS = "IGNORE"
PUT_REFUSED = "Status is not allowed"

ORDER_TYPE = "CALL_CENTER_ORDER"
ORDER_INTEGRATION = "call_center_new"
INTEGRATION_STATUS = "CREATED"
DEFAULT_LINE_STATUS = "new"  # the example's order_product.status

# Types a till can put on a receipt. INGREDIENT and PREPARATION are stock items, not menu
# items; a GOODS parent with variants is sold through one of its MODIFICATION rows.
SELLABLE_TYPES = frozenset({"DISH", "GOODS", "MODIFICATION", "TIMER"})


def order_status(raw: str, *, api_version: str) -> str:
    """A ``status`` query value as one of ``ORDER_STATUSES``, else 400 ``invalid_parameter``.

    The v1 prefix also takes the old lowercase words (spec §14.19) and maps them:
    pending → PENDING, confirmed → RECEIVED, completed → DELIVERED, cancelled → IGNORE.
    """
    value = raw.strip()
    if value in ORDER_STATUSES:
        return value
    if api_version == "v1" and value in V1_STATUS_WORDS:
        return V1_STATUS_WORDS[value]
    raise InvalidParameter(
        V1_STATUS_MESSAGE if api_version == "v1" else STATUS_MESSAGE,
        details={"parameter": "status", "provided_value": raw},
    )


def product_hash(product_id: int, modifier_ids: Iterable[int]) -> str:
    """Base64 of the product id and its modifier ids joined by commas.

    The docs do not define it (spec §15.9); the v1 example ``MTExODcsMTEyMDE=`` decodes to
    ``11187,11201``, a product and one modifier, so that is the derivation used.
    """
    text = ",".join(str(i) for i in (product_id, *modifier_ids))
    return base64.b64encode(text.encode()).decode()


# --- request models -----------------------------------------------------------------------
# FlatOrder, NestedOrder and their parts live in clopos.models.orders: the SDK checks a body
# with the very models this server validates it with.


# --- the normalized draft -----------------------------------------------------------------


@dataclass(frozen=True)
class DraftModifier:
    """One modifier of a line, as requested."""

    modifier_id: int
    count: Decimal
    price: Decimal | None
    portion_size: Decimal
    name: str | None
    field: str  # e.g. "products.0.modifiers.1.modifier_id", for error messages


@dataclass(frozen=True)
class DraftLine:
    """One product line, as requested (``None`` = take it from the catalog)."""

    product_id: int
    count: Decimal
    price: Decimal | None
    portion_size: Decimal
    status: str | None
    product_hash: str | None
    name: str | None
    note: str | None
    modifiers: tuple[DraftModifier, ...]
    field: str  # e.g. "products.2.product_id"


@dataclass(frozen=True)
class DraftCustomer:
    """The order's customer; ``id`` ``None`` is a guest."""

    id: int | None
    sent_id: int | None  # what the body said (0 stays 0 in the stored payload)
    name: str | None
    phone: str | None
    address: str | None
    customer_discount_type: int | None
    field: str  # "customer" or "payload.customer"
    id_field: str  # where the id came from: "customer.id", "customer_id", …


@dataclass(frozen=True)
class OrderDraft:
    """Either request body, reduced to what the order needs."""

    venue_id: int
    sale_type_id: int
    customer: DraftCustomer
    lines: tuple[DraftLine, ...]
    comment: str = ""
    discount_type: int = DISCOUNT_NONE
    discount_value: Decimal = Decimal(0)
    apply_service_charge: bool = False
    service_charge_value: Decimal = Decimal(0)
    customer_discount_type: int | None = None
    delivery_fee: Decimal = Decimal(0)
    auto_order_accept: bool = False
    auto_order_sent_to_station: bool = False
    auto_accept_terminal: int | None = None
    order_number: str | None = None
    integration_id: str | None = None
    integration_uuid: str | None = None
    customer_ref_id: str | None = None
    venue_field: str = "venue_id"
    sale_type_field: str = "sale_type_id"


def _invalid(field_name: str, message: str) -> ValidationFailed:
    """400 ``validation_failed`` naming the field, e.g. "products.2.product_id: …"."""
    text = f"{field_name}: {message}"
    return ValidationFailed(
        text, details={"field": field_name, "errors": [{"field": field_name, "message": text}]}
    )


def _from_validation_error(error: ValidationError) -> ValidationFailed:
    """The first pydantic error as our envelope; the wording matches the app's body errors."""
    items = error.errors()
    fields = []
    for item in items:
        where = field_path(item["loc"])
        reason = str(item["msg"]).removeprefix("Value error, ")
        fields.append({"field": where, "message": reason})
    first = items[0]
    name = fields[0]["field"]
    if first["type"] == "missing":
        message = f"The {name} field is required"
    else:
        message = f"The {name} field is invalid: {fields[0]['message']}"
    return ValidationFailed(message, details={"field": name, "errors": fields})


class _NotANumber(ValueError):
    """``NaN``/``Infinity``: Python's json reads them, JSON does not have them."""


def parse_json_body(raw: bytes) -> Any:
    """The body as JSON with every non-integer number a ``Decimal`` (8.50 stays 8.50)."""

    def no_constants(name: str) -> Any:
        raise _NotANumber(name)

    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=no_constants)
    except json.JSONDecodeError as exc:
        # Same wording as the app's handler for malformed JSON bodies.
        reason = f"{exc.msg} at character {exc.pos}"
    except UnicodeDecodeError:
        reason = "it is not UTF-8 text"
    except _NotANumber:
        reason = "NaN and Infinity are not JSON numbers"
    except ValueError:  # Python refuses integers of more than 4300 digits
        reason = "a number in it has too many digits"
    except RecursionError:
        reason = "it is nested too deeply"
    raise ValidationFailed(
        f"The request body is not valid JSON: {reason}", details={"field": "body"}
    ) from None


def is_nested_body(body: Mapping[str, Any]) -> bool:
    """A top-level ``payload`` object marks the v1 nested body; anything else is v2 flat."""
    return isinstance(body.get("payload"), dict) or ("payload" in body and "products" not in body)


def read_order_body(raw: bytes) -> OrderDraft:
    """Parse and validate a ``POST /orders`` body of either generation (spec §11.4)."""
    body = parse_json_body(raw)
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object", details={"field": "body"})
    try:
        if is_nested_body(body):
            return _nested_draft(NestedOrder.model_validate(body))
        return _flat_draft(FlatOrder.model_validate(body))
    except ValidationError as error:
        raise _from_validation_error(error) from None


def _guest_to_none(customer_id: int | None) -> int | None:
    return customer_id or None


def _flat_draft(body: FlatOrder) -> OrderDraft:
    lines = tuple(
        DraftLine(
            product_id=p.product_id,
            count=p.count,
            price=p.price,
            portion_size=p.portion_size,
            status=p.status,
            product_hash=p.product_hash,
            name=p.product_name,
            note=p.note,
            modifiers=tuple(
                DraftModifier(
                    modifier_id=m.modifier_id,
                    count=m.count,
                    price=m.price,
                    portion_size=m.portion_size,
                    name=m.modifier_name,
                    field=f"products.{i}.modifiers.{j}.modifier_id",
                )
                for j, m in enumerate(p.modifiers)
            ),
            field=f"products.{i}.product_id",
        )
        for i, p in enumerate(body.products)
    )
    discount = body.discount or Discount()
    charge = body.service_charge or ServiceCharge()
    customer = body.customer
    return OrderDraft(
        venue_id=body.venue_id,
        sale_type_id=body.sale_type_id,
        customer=DraftCustomer(
            id=_guest_to_none(customer.id),
            sent_id=customer.id,
            name=customer.name or None,
            phone=customer.phone or None,
            address=customer.address or None,
            customer_discount_type=customer.customer_discount_type,
            field="customer",
            id_field="customer.id",
        ),
        lines=lines,
        comment=body.comment or "",
        discount_type=discount.discount_type,
        discount_value=discount.discount_value,
        apply_service_charge=charge.enabled,
        service_charge_value=charge.value,
        customer_discount_type=customer.customer_discount_type,
        delivery_fee=body.delivery_fee if body.delivery_fee is not None else Decimal(0),
        auto_order_accept=body.auto_order_accept,
        auto_order_sent_to_station=body.auto_order_sent_to_station,
        auto_accept_terminal=body.auto_accept_terminal,
        order_number=body.order_number or None,
        integration_id=body.integration_id or None,
        integration_uuid=body.integration_uuid or None,
        customer_ref_id=body.customer_ref_id or None,
    )


def _v1_line(index: int, product: V1Product) -> DraftLine:
    meta = product.meta or V1ProductMeta()
    order_product = meta.order_product or V1OrderProduct()
    snapshot = order_product.product or V1ProductSnapshot()
    return DraftLine(
        product_id=product.product_id,
        count=product.count,
        # meta.price is the line price; the snapshot's price is the next best thing.
        price=meta.price if meta.price is not None else snapshot.price,
        portion_size=product.portion_size,
        status=order_product.status,
        product_hash=order_product.product_hash,
        name=snapshot.name,
        note=product.note,
        modifiers=tuple(
            DraftModifier(
                modifier_id=m.modificator_id,
                count=m.count,
                price=m.price,
                portion_size=m.portion_size,
                name=m.name,
                field=f"payload.products.{index}.product_modificators.{j}.modificator_id",
            )
            for j, m in enumerate(product.product_modificators)
        ),
        field=f"payload.products.{index}.product_id",
    )


def _nested_draft(body: NestedOrder) -> OrderDraft:
    payload = body.payload
    # The SDK example puts meta at the top level, the stored shape inside payload (§11.4).
    meta = body.meta or payload.meta or V1Meta()
    customer = payload.customer or V1Customer()
    customer_id = body.customer_id if body.customer_id is not None else customer.id
    if body.customer_id and customer.id and body.customer_id != customer.id:
        raise _invalid(
            "payload.customer.id",
            f"customer {customer.id} does not match customer_id {body.customer_id}",
        )
    discount = meta.discount or Discount()
    discount_type = (
        customer.customer_discount_type
        if customer.customer_discount_type is not None
        else meta.customer_discount_type
    )
    delivery_fee = body.delivery_fee if body.delivery_fee is not None else payload.delivery_fee
    return OrderDraft(
        venue_id=payload.service.venue_id,
        sale_type_id=payload.service.sale_type_id,
        customer=DraftCustomer(
            id=_guest_to_none(customer_id),
            sent_id=customer_id,
            name=customer.name or None,
            phone=customer.phone or None,
            address=customer.address or None,
            customer_discount_type=discount_type,
            field="payload.customer",
            id_field="customer_id" if body.customer_id is not None else "payload.customer.id",
        ),
        lines=tuple(_v1_line(i, p) for i, p in enumerate(payload.products)),
        comment=meta.comment or "",
        discount_type=discount.discount_type,
        discount_value=discount.discount_value,
        apply_service_charge=meta.apply_service_charge,
        service_charge_value=meta.service_charge_value,
        customer_discount_type=discount_type,
        delivery_fee=delivery_fee if delivery_fee is not None else Decimal(0),
        auto_order_accept=payload.auto_order_accept,
        auto_order_sent_to_station=payload.auto_order_sent_to_station,
        auto_accept_terminal=payload.auto_accept_terminal,
        order_number=body.order_number or payload.order_number or None,
        integration_id=body.integration_id or payload.integration_id or None,
        integration_uuid=body.integration_uuid or payload.integration_uuid or None,
        customer_ref_id=body.customer_ref_id or payload.customer_ref_id or None,
        venue_field="payload.service.venue_id",
        sale_type_field="payload.service.sale_type_id",
    )


# --- references and the stored payload ----------------------------------------------------


@dataclass(frozen=True)
class References:
    """The catalog rows a draft names, loaded by the repository (``None``/absent = unknown)."""

    venue: Venue | None
    sale_type: SaleType | None
    customer: Customer | None = None
    products: Mapping[int, Product] = field(default_factory=dict)
    # Ids of GOODS products that have live MODIFICATION children (sold only as a variant).
    variant_parents: frozenset[int] = frozenset()
    variants_of: Mapping[int, Sequence[int]] = field(default_factory=dict)
    modifiers: Mapping[int, Modifier] = field(default_factory=dict)


@dataclass(frozen=True)
class BuiltOrder:
    """What ``build_order`` produced: the stored payload and the figures the row keeps."""

    payload: dict[str, Any]
    total: Decimal
    customer_id: int | None


def _check_venue(draft: OrderDraft, refs: References, venue_scope: int | None) -> Venue:
    venue = refs.venue
    if venue is None:
        raise _invalid(draft.venue_field, f"venue {draft.venue_id} does not exist")
    if venue_scope is not None and venue.id != venue_scope:
        # x-venue says which venue the caller works at; an order for another venue would be
        # invisible to its own follow-up GETs (docs/decisions.md).
        raise _invalid(
            draft.venue_field,
            f"venue {venue.id} is not the venue of this request (x-venue {venue_scope}); "
            f"send x-venue: {venue.id} to order for it",
        )
    return venue


def _check_sale_type(draft: OrderDraft, refs: References, venue: Venue) -> SaleType:
    sale_type = refs.sale_type
    if sale_type is None:
        raise _invalid(draft.sale_type_field, f"sale type {draft.sale_type_id} does not exist")
    # status is a venue map {"1": 1, "2": 0} (spec §10.10): 0 or absent = off at that venue.
    flag = (sale_type.status or {}).get(str(venue.id), 0)
    if not flag:
        raise _invalid(
            draft.sale_type_field,
            f"sale type {sale_type.id} ({sale_type.name}) is not enabled at venue {venue.id}",
        )
    return sale_type


def _check_product(line: DraftLine, refs: References) -> Product:
    product = refs.products.get(line.product_id)
    if product is None:
        raise _invalid(line.field, f"product {line.product_id} does not exist")
    label = f"product {product.id} ({product.name})"
    if product.type not in SELLABLE_TYPES:
        raise _invalid(line.field, f"{label} is of type {product.type} and cannot be sold")
    if product.id in refs.variant_parents:
        variants = ", ".join(str(v) for v in refs.variants_of.get(product.id, ()))
        raise _invalid(line.field, f"{label} has variants; order one of them ({variants})")
    if product.status != 1:
        raise _invalid(line.field, f"{label} is inactive")
    return product


def _check_modifier(modifier: DraftModifier, refs: References) -> Modifier:
    found = refs.modifiers.get(modifier.modifier_id)
    if found is None:
        raise _invalid(modifier.field, f"modifier {modifier.modifier_id} does not exist")
    return found


def _customer_block(draft: OrderDraft, refs: References) -> dict[str, Any]:
    wanted = draft.customer
    known = refs.customer
    if wanted.id is not None and known is None:
        raise _invalid(wanted.id_field, f"customer {wanted.id} does not exist")
    name = wanted.name or (known.name if known else None)
    if not name:
        # The existing client's OrderPayload requires customer.name (a string) to read the
        # order back, and a clerk needs a name for a guest (docs/decisions.md).
        raise _invalid(
            f"{wanted.field}.name",
            "a guest order (customer id 0 or null) needs the customer's name",
        )
    return {
        "id": wanted.sent_id if known is None else known.id,
        "phone": wanted.phone or (known.phone if known else None),
        "address": wanted.address or (known.address if known else None),
        "customer_discount_type": wanted.customer_discount_type,
        "name": name,
    }


def _check_discount(draft: OrderDraft) -> None:
    if draft.discount_type == DISCOUNT_PERCENT and draft.discount_value > 100:
        raise _invalid("discount.discount_value", "a percentage discount must be 0–100")


def build_order(draft: OrderDraft, refs: References, *, venue_scope: int | None) -> BuiltOrder:
    """Check every reference of ``draft`` and build the stored ``payload`` (spec §11.3).

    Raises 400 ``validation_failed`` naming the first bad field, in body order: venue, sale
    type, customer, then each product and its modifiers. ``venue_scope`` is the caller's
    ``x-venue`` (``None`` when the request did not send one).
    """
    venue = _check_venue(draft, refs, venue_scope)
    sale_type = _check_sale_type(draft, refs, venue)
    customer = _customer_block(draft, refs)
    _check_discount(draft)

    products: list[dict[str, Any]] = []
    lines: list[Line] = []
    for line in draft.lines:
        product = _check_product(line, refs)
        modificators: list[dict[str, Any]] = []
        priced: list[ModifierLine] = []
        for wanted in line.modifiers:
            modifier = _check_modifier(wanted, refs)
            # spec §11.4: a modifier's price defaults to 0 (not the catalog price).
            price = wanted.price if wanted.price is not None else Decimal(0)
            modificators.append(
                {
                    "modificator_id": modifier.id,
                    "name": wanted.name or modifier.name,
                    "count": wanted.count,
                    "price": price,
                    "portion_size": wanted.portion_size,
                }
            )
            priced.append(ModifierLine(price=price, count=wanted.count))
        price = line.price if line.price is not None else product.price
        products.append(
            _product_entry(
                line, product, price, modificators, [m.modifier_id for m in line.modifiers]
            )
        )
        lines.append(
            Line(
                price=price,
                count=line.count,
                portion_size=line.portion_size,
                modifiers=tuple(priced),
                discountable=product.discountable,
                ignore_service_charge=product.ignore_service_charge,
            )
        )

    totals = compute_totals(
        lines,
        Adjustments(
            discount_type=draft.discount_type,
            discount_value=draft.discount_value,
            service_charge_rate=draft.service_charge_value
            if draft.apply_service_charge
            else Decimal(0),
            delivery_fee=draft.delivery_fee,
        ),
    )
    customer_id = refs.customer.id if refs.customer is not None else None
    payload: dict[str, Any] = {
        "auto_order_accept": draft.auto_order_accept,
        "auto_order_sent_to_station": draft.auto_order_sent_to_station,
    }
    if draft.auto_accept_terminal is not None:
        payload["auto_accept_terminal"] = draft.auto_accept_terminal
    payload.update(
        {
            "delivery_fee": draft.delivery_fee,
            "service": {
                "sale_type_id": sale_type.id,
                "sale_type_name": sale_type.name,
                "venue_id": venue.id,
                "venue_name": venue.name,
            },
            "customer": customer,
            "products": products,
            "meta": {
                "comment": draft.comment,
                "discount": {
                    "discount_type": draft.discount_type,
                    "discount_value": draft.discount_value,
                },
                "apply_service_charge": draft.apply_service_charge,
                "customer_discount_type": draft.customer_discount_type,
                "service_charge_value": draft.service_charge_value,
                # A number (2 places), not the v1 example's string "16.2000" (decisions.md).
                "orderTotal": totals.total,
            },
            "customer_id": customer_id,
            "sale_type_id": sale_type.id,
        }
    )
    if draft.order_number is not None:
        payload["order_number"] = draft.order_number
    return BuiltOrder(payload=payload, total=totals.total, customer_id=customer_id)


def _product_entry(
    line: DraftLine,
    product: Product,
    price: Decimal,
    modificators: list[dict[str, Any]],
    modifier_ids: list[int],
) -> dict[str, Any]:
    """One ``payload.products[]`` item in the stored shape (spec §11.3)."""
    entry: dict[str, Any] = {
        "product_id": product.id,
        "count": line.count,
        "product_modificators": modificators,
        "portion_size": line.portion_size,
        "meta": {
            "price": price,
            "order_product": {
                "count": line.count,
                "status": line.status or DEFAULT_LINE_STATUS,
                "product_modificators": modificators,
                "product_hash": line.product_hash or product_hash(product.id, modifier_ids),
                "product": {
                    "id": product.id,
                    "name": line.name or product.name,
                    "price": product.price,
                    "category_id": product.category_id,
                    "station_id": product.station_id,
                },
            },
        },
    }
    if line.note:
        entry["note"] = line.note
    return entry


# --- PUT /orders/{id} ---------------------------------------------------------------------


def read_status_update(raw: bytes, order_id: int) -> str:
    """The target status of ``PUT /orders/{id}``: the body must be ``{"status": "IGNORE"}``.

    An ``id`` equal to the path id is tolerated (the existing client's habit of repeating
    it); anything else is 400 ``validation_failed`` "Status is not allowed" (spec §11.5),
    with ``details`` saying what was wrong.
    """
    body = parse_json_body(raw)
    if not isinstance(body, dict):
        raise _refused('the body must be the JSON object {"status": "IGNORE"}')
    extra = sorted(k for k in body if k not in {"status", "id"})
    if extra:
        raise _refused(f"only status may be sent; unexpected: {', '.join(extra)}")
    if "id" in body and str(body["id"]).strip() != str(order_id):
        raise _refused(f"id {body['id']!r} in the body does not match order {order_id}")
    status = body.get("status")
    if status != PUT_STATUS:
        raise _refused(f"status {status!r} cannot be set; the only allowed value is IGNORE")
    return PUT_STATUS


def _refused(reason: str) -> ValidationFailed:
    return ValidationFailed(
        PUT_REFUSED,
        details={"field": "status", "allowed": [PUT_STATUS], "reason": reason},
    )


def ignore_order(order: Order) -> bool:
    """Whether ``PUT`` ``IGNORE`` must change ``order``: ``True`` while it is PENDING,
    ``False`` when it is already ignored (answered 200, nothing changes).

    Once the till has received (or delivered) it there is an open receipt behind it, which
    the integration cannot cancel: 400 ``validation_failed`` (spec §15.7 leaves it open).
    The caller makes the change with a compare-and-set on PENDING and asks again if it lost
    the race, so a till accepting at the same moment wins cleanly.
    """
    if order.status == PUT_STATUS:
        return False
    if order.status != "PENDING":
        raise ValidationFailed(
            f"Order is already {order.status} and cannot be ignored",
            details={"field": "status", "current_status": order.status},
        )
    return True


# --- presenter ----------------------------------------------------------------------------


def present_receipt_link(receipt: Receipt) -> dict[str, Any]:
    """``receipt:id,service_notification_id,status`` — the three columns of spec §11.3."""
    return {
        "id": receipt.id,
        "service_notification_id": receipt.service_notification_id,
        "status": receipt.status,
    }


def present_order(
    order: Order,
    *,
    receipt: Receipt | None = None,
    include_receipt: bool = False,
    customer: Mapping[str, Any] | None = None,
    include_customer: bool = False,
) -> dict[str, Any]:
    """The Order object of spec §11.3, ``payload`` always included.

    ``customer_id``, ``receipt_id``, ``order_number`` and ``total_amount`` are the v1-era
    fields (spec §11.3 "Older … extra Order fields"). ``receipt`` / ``customer`` keys appear
    only when asked for with ``with[]`` (``None`` when there is nothing to embed).
    """
    body: dict[str, Any] = {
        "id": order.id,
        "venue_id": order.venue_id,
        "type": order.type,
        "integration": order.integration,
        "integration_uuid": order.integration_uuid,
        "integration_id": order.integration_id,
        "customer_ref_id": order.customer_ref_id,
        "integration_status": order.integration_status,
        "status": order.status,
        "payload": order.payload if isinstance(order.payload, dict) else {},
        "created_at": iso_micro(order.created_at),
        "updated_at": iso_micro(order.updated_at),
        "integration_response": order.integration_response,
        "customer_id": order.customer_id,
        "receipt_id": order.receipt_id,
        "order_number": order.order_number,
        "total_amount": order.total,
    }
    if include_customer:
        body["customer"] = dict(customer) if customer is not None else None
    if include_receipt:
        body["receipt"] = present_receipt_link(receipt) if receipt is not None else None
    return body
