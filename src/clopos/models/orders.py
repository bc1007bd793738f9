"""Orders (spec §11): the Order object as read, and the two bodies of ``POST /orders``.

Read side (lenient): ``Order`` with its stored ``payload`` (``OrderPayload``: service,
customer, product lines with their modifiers, meta) — the same shape for orders created
with either body — the v1-era fields (``customer_id``, ``receipt_id``, ``order_number``,
``total_amount``) and, with ``with_receipt``, the linked ``receipt`` ``{id,
service_notification_id, status}``.

Write side (strict, shared with the server): ``FlatOrder`` is the v2 ("simplified") body,
``NestedOrder`` the v1 body ``{customer_id, payload, meta}``. The server validates every
``POST /orders`` with them; the SDK checks a body with them before it sends it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from clopos.models._base import MAX_ID, WireModel
from clopos.models.customers import Customer

# --- vocabulary ---------------------------------------------------------------------------

#: ``Order.status`` (spec §11.1); also the ``status`` filter of ``GET /orders``.
ORDER_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
ORDER_NUMBER_MAX = 20  # spec §11.4 (prose page, via [3P])
# discount_type of an order (spec §11.4), as the totals engine numbers them.
DISCOUNT_NONE = 0
DISCOUNT_PERCENT = 1
DISCOUNT_AMOUNT = 2
# Amounts beyond this are typing mistakes, not orders; rejecting them keeps columns sane.
MAX_AMOUNT = Decimal("999999999999")
MAX_PLACES = 6


# --- the Order object ---------------------------------------------------------------------


class ReceiptLink(WireModel):
    """``receipt`` of an order fetched ``with_receipt``: the three columns of spec §11.3."""

    id: int | None = None
    service_notification_id: int | None = None
    status: int | None = None


class OrderService(WireModel):
    """``payload.service``: where and how the order is served."""

    sale_type_id: int | None = None
    sale_type_name: str | None = None
    venue_id: int | None = None
    venue_name: str | None = None


class OrderCustomer(WireModel):
    """``payload.customer``; ``id`` 0 or ``None`` is a guest."""

    id: int | None = None
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    customer_discount_type: int | None = None


class OrderModificator(WireModel):
    """One modifier of a line (``product_modificators[]``)."""

    modificator_id: int | None = None
    name: str | None = None
    count: Decimal | None = None
    price: Decimal | None = None
    portion_size: Decimal | None = None


class OrderProductSnapshot(WireModel):
    """``meta.order_product.product``: the catalog product as it was ordered."""

    id: int | None = None
    name: str | None = None
    price: Decimal | None = None
    category_id: int | None = None
    station_id: int | None = None


class OrderLineState(WireModel):
    """``meta.order_product``: the reconciliation data of a line."""

    count: Decimal | None = None
    status: str | None = None
    product_modificators: list[OrderModificator] | None = None
    product_hash: str | None = None
    product: OrderProductSnapshot | None = None


class OrderLineMeta(WireModel):
    """``meta`` of a line: its ``price`` and ``order_product``."""

    price: Decimal | None = None
    order_product: OrderLineState | None = None


class OrderLine(WireModel):
    """``payload.products[]``: one product line."""

    product_id: int | None = None
    count: Decimal | None = None
    product_modificators: list[OrderModificator] | None = None
    portion_size: Decimal | None = None
    note: str | None = None
    meta: OrderLineMeta | None = None


class OrderDiscount(WireModel):
    """``payload.meta.discount``: ``discount_type`` 0 none, 1 percent, 2 amount."""

    discount_type: int | None = None
    discount_value: Decimal | None = None


class OrderMeta(WireModel):
    """``payload.meta``; ``order_total`` is the wire's ``orderTotal``."""

    comment: str | None = None
    discount: OrderDiscount | None = None
    apply_service_charge: bool | None = None
    customer_discount_type: int | None = None
    service_charge_value: Decimal | None = None
    order_total: Decimal | None = Field(default=None, alias="orderTotal")


class OrderPayload(WireModel):
    """The stored order content (spec §11.3), whichever body created it."""

    auto_order_accept: bool | None = None
    auto_order_sent_to_station: bool | None = None
    auto_accept_terminal: int | None = None
    delivery_fee: Decimal | None = None
    service: OrderService | None = None
    customer: OrderCustomer | None = None
    products: list[OrderLine] | None = None
    meta: OrderMeta | None = None
    customer_id: int | None = None
    sale_type_id: int | None = None
    order_number: str | None = None


class Order(WireModel):
    """An order (spec §11.3): ``status`` is PENDING, RECEIVED, IGNORE or DELIVERED.

    ``customer_id``, ``receipt_id``, ``order_number`` and ``total_amount`` are the v1-era
    fields; ``customer`` and ``receipt`` appear only when asked for with ``with[]``.
    """

    id: int
    status: str
    venue_id: int | None = None
    type: str | None = None
    integration: str | None = None
    integration_uuid: str | None = None
    integration_id: str | None = None
    customer_ref_id: str | None = None
    integration_status: str | None = None
    payload: OrderPayload | None = None
    created_at: str | None = None
    updated_at: str | None = None
    integration_response: Any = None
    customer_id: int | None = None
    receipt_id: int | None = None
    order_number: str | None = None
    total_amount: Decimal | None = None
    customer: Customer | None = None
    receipt: ReceiptLink | None = None


# --- request bodies -----------------------------------------------------------------------


def _not_bool(value: Any) -> Any:
    # pydantic's lax int takes true/false as 1/0; an id of `true` is a client bug.
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


def _amount(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must not be negative")
    return _tidy(value)


def _quantity(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError("must be greater than 0")
    return _tidy(value)


def _tidy(value: Decimal) -> Decimal:
    if abs(value) > MAX_AMOUNT:
        raise ValueError(f"must not exceed {MAX_AMOUNT}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        raise ValueError(f"must have at most {MAX_PLACES} decimal places")
    # 1E+2 (valid JSON) is written back as 100, never in exponent form.
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _no_nul(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; refuse it here, naming the field.
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_not_bool)]
# A customer id where 0 means "guest" (a real integrator sends id 0 for walk-ins).
CustomerId = Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_not_bool)]
Amount = Annotated[Decimal, AfterValidator(_amount)]
Quantity = Annotated[Decimal, AfterValidator(_quantity)]
SmallInt = Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_not_bool)]


# Optional text fields, by length limit (NUL refused: PostgreSQL text cannot hold it).
Name = Annotated[str | None, Field(max_length=255), AfterValidator(_no_nul)]
Phone = Annotated[str | None, Field(max_length=64), AfterValidator(_no_nul)]
Address = Annotated[str | None, Field(max_length=500), AfterValidator(_no_nul)]
Comment = Annotated[str | None, Field(max_length=1000), AfterValidator(_no_nul)]
Note = Annotated[str | None, Field(max_length=500), AfterValidator(_no_nul)]
LineStatus = Annotated[str | None, Field(max_length=32), AfterValidator(_no_nul)]
Hash = Annotated[str | None, Field(max_length=255), AfterValidator(_no_nul)]
ExternalId = Annotated[str | None, Field(max_length=128), AfterValidator(_no_nul)]
Uuid = Annotated[str | None, Field(max_length=64), AfterValidator(_no_nul)]
OrderNumber = Annotated[str | None, Field(max_length=ORDER_NUMBER_MAX), AfterValidator(_no_nul)]


class _Body(BaseModel):
    """Unknown keys are ignored (integrators send more than we read); strings are trimmed."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Discount(_Body):
    """``discount``: missing fields default to 0 (spec §11.4)."""

    discount_type: SmallInt = DISCOUNT_NONE
    discount_value: Amount = Decimal(0)

    @field_validator("discount_type")
    @classmethod
    def _known_type(cls, value: int) -> int:
        if value not in (DISCOUNT_NONE, DISCOUNT_PERCENT, DISCOUNT_AMOUNT):
            raise ValueError("must be 0 (none), 1 (percent) or 2 (amount)")
        return value


class ServiceCharge(_Body):
    """``service_charge``: ``enabled`` false and ``value`` 0 when missing (spec §11.4)."""

    enabled: bool = False
    value: Amount = Decimal(0)


class FlatModifier(_Body):
    """``products[].modifiers[]`` of the v2 body."""

    modifier_id: Id
    modifier_name: Name = None
    count: Quantity = Decimal(1)
    price: Amount | None = None
    portion_size: Quantity = Decimal(1)


class FlatProduct(_Body):
    """``products[]`` of the v2 body; only ``product_id`` and ``count`` must be sent."""

    product_id: Id
    count: Quantity
    product_name: Name = None
    price: Amount | None = None
    status: LineStatus = None
    product_hash: Hash = None
    portion_size: Quantity = Decimal(1)
    note: Note = None
    modifiers: list[FlatModifier] = Field(default_factory=list, max_length=100)


class FlatCustomer(_Body):
    """``customer`` of the v2 body; ``id`` 0 or null is a guest."""

    id: CustomerId | None = None
    name: Name = None
    phone: Phone = None
    address: Address = None
    customer_discount_type: SmallInt | None = None


def _at_least_one(value: list[Any]) -> list[Any]:
    if not value:
        raise ValueError("at least one product is required")
    return value


class _References(_Body):
    """External references an integration may attach (stored on the order, spec §11.3)."""

    integration_id: ExternalId = None
    integration_uuid: Uuid = None
    customer_ref_id: ExternalId = None
    order_number: OrderNumber = None


class FlatOrder(_References):
    """The v2 ("simplified") body of ``POST /orders`` (spec §11.4)."""

    sale_type_id: Id
    venue_id: Id
    customer: FlatCustomer
    products: Annotated[list[FlatProduct], AfterValidator(_at_least_one), Field(max_length=500)]
    auto_accept_terminal: SmallInt | None = None
    auto_order_accept: bool = False
    auto_order_sent_to_station: bool = False
    delivery_fee: Amount | None = None
    comment: Comment = None
    discount: Discount | None = None
    service_charge: ServiceCharge | None = None


class V1Modificator(_Body):
    """``product_modificators[]`` of the v1 body."""

    modificator_id: Id
    count: Quantity = Decimal(1)
    price: Amount | None = None
    name: Name = None
    portion_size: Quantity = Decimal(1)


class V1ProductSnapshot(_Body):
    """``meta.order_product.product`` as the v1 body sends it."""

    name: Name = None
    price: Amount | None = None


class V1OrderProduct(_Body):
    """``meta.order_product`` as the v1 body sends it (reconciliation data)."""

    status: LineStatus = None
    product_hash: Hash = None
    product: V1ProductSnapshot | None = None


class V1ProductMeta(_Body):
    """``meta`` of a v1 product line."""

    price: Amount | None = None
    order_product: V1OrderProduct | None = None


class V1Product(_Body):
    """``payload.products[]`` of the v1 body."""

    product_id: Id
    count: Quantity
    product_modificators: list[V1Modificator] = Field(default_factory=list, max_length=100)
    portion_size: Quantity = Decimal(1)
    note: Note = None
    meta: V1ProductMeta | None = None


class V1Service(_Body):
    """``payload.service``; the names are filled in from the catalog when missing."""

    sale_type_id: Id
    venue_id: Id
    sale_type_name: Name = None
    venue_name: Name = None


class V1Customer(_Body):
    """``payload.customer``; the existing client sends ``null`` for absent fields."""

    id: CustomerId | None = None
    name: Name = None
    phone: Phone = None
    address: Address = None
    customer_discount_type: SmallInt | None = None


class V1Meta(_Body):
    """Order ``meta`` of the v1 body. ``orderTotal`` is ignored: totals are recomputed."""

    comment: Comment = None
    discount: Discount | None = None
    apply_service_charge: bool = False
    customer_discount_type: SmallInt | None = None
    service_charge_value: Amount = Decimal(0)


class V1Payload(_References):
    """``payload`` of the v1 body (spec §11.4)."""

    service: V1Service
    products: Annotated[list[V1Product], AfterValidator(_at_least_one), Field(max_length=500)]
    customer: V1Customer | None = None
    meta: V1Meta | None = None
    auto_accept_terminal: SmallInt | None = None
    auto_order_accept: bool = False
    auto_order_sent_to_station: bool = False
    delivery_fee: Amount | None = None


class NestedOrder(_References):
    """The v1 body of ``POST /orders``: ``customer_id`` + ``payload`` (+ ``meta``)."""

    payload: V1Payload
    customer_id: CustomerId | None = None
    meta: V1Meta | None = None
    delivery_fee: Amount | None = None
