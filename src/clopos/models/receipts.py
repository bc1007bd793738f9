"""Receipts (spec §12): the Receipt object and its lines as read, and the request bodies.

Read side (lenient): ``Receipt`` (spec §12.4) with ``receipt_products`` (``ReceiptProduct``)
when asked for, ``ReceiptPayment`` (``payment_methods[]``) and ``ClosedReceipt`` (the
minimal ``data`` of ``POST /receipts/{id}/close``). Timestamps stay in the type the wire
uses: ``YYYY-MM-DD HH:mm:ss`` strings, Unix milliseconds in ``meta.terminal_updated_at``.

Write side (strict, shared with the server): ``PatchBody`` (§12.6), ``CloseBody`` (§12.8),
``ReceiptCreate`` (§12.5, v1) with ``LineIn`` lines, ``ReceiptUpdate`` (§12.7, v1), each
payment a ``PaymentIn``. ``problems()`` lists the cross-field rules a body breaks, in the
order the server checks them. Money arrives as exact ``Decimal`` or as a numeric string
(integrify 0.0.1 sends every Decimal as a string).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from clopos.models._base import MAX_ID, FieldProblem, Named, WireModel, validation_problems
from clopos.models.products import ModificatorGroup, Product, Tax

# --- vocabulary ---------------------------------------------------------------------------

OPEN = 1
CLOSED = 2
# spec §12.1: the fulfilment workflow written by integrations (PATCH and PUT).
ORDER_STATUSES = (
    "NEW",
    "SCHEDULED",
    "IN_PROGRESS",
    "READY",
    "PICKED_UP",
    "COMPLETED",
    "CANCELLED",
)
OrderStatus = Literal[
    "NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED"
]
PATCH_FIELDS = ("order_status", "order_number", "fiscal_id", "lock")
CLOSED_AT_TOO_EARLY = "closed_at must be greater than created_at"
CLOSED_AT_FORMAT = "%Y-%m-%d %H:%M:%S"
_CLOSED_AT = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$", re.ASCII)
# Unix milliseconds accepted for imported timestamps: 2000-01-01 … 2100-01-01.
_MIN_MILLIS = 946_684_800_000
_MAX_MILLIS = 4_102_444_800_000
_MAX_MONEY = Decimal("1e13")


# --- the Receipt object -------------------------------------------------------------------


class ReceiptPayment(WireModel):
    """One ``payment_methods[]`` item of a receipt: ``{id, name, amount}``."""

    id: int | None = None
    name: str | None = None
    amount: Decimal | None = None


class CloseCheck(WireModel):
    """``meta.check_close_event``."""

    checked: bool | None = None
    operated_at: str | None = None
    fails: list[Any] | None = None


class NameOnly(WireModel):
    """``meta.sale_type`` / ``meta.user``: ``{name}``."""

    name: str | None = None


class ReceiptMeta(WireModel):
    """A receipt's ``meta`` (spec §12.4); ``terminal_updated_at`` is Unix milliseconds and
    ``available_deposit`` the wire's (misspelt) ``availiableDeposit``."""

    preprint_count: int | None = None
    sale_type: NameOnly | None = None
    user: NameOnly | None = None
    terminal_updated_at: int | None = None
    available_deposit: Decimal | None = Field(default=None, alias="availiableDeposit")
    check_close_event: CloseCheck | None = None
    customer: dict[str, Any] | None = None


class LineProductSnapshot(WireModel):
    """``meta.product`` of a line: the product as it was when sold."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    giftable: bool | None = None
    price: Decimal | None = None
    modifier_name: str | None = None
    discountable: bool | None = None
    ignore_service_charge: bool | None = None
    sold_by_weight: bool | None = None
    price_without_taxes: Decimal | None = Field(default=None, alias="priceWithoutTaxes")
    barcode: str | None = None
    taxes: list[Tax] | None = None
    station: Named | None = None


class LineMeta(WireModel):
    """A line's ``meta``; the camelCase wire keys are ``originalPrice`` and
    ``discountedPrice``, ``terminal_updated_at`` is Unix milliseconds."""

    product: LineProductSnapshot | None = None
    original_price: Decimal | None = Field(default=None, alias="originalPrice")
    total_gift: Decimal | None = None
    discounted_price: Decimal | None = Field(default=None, alias="discountedPrice")
    terminal_updated_at: int | None = None


class LineModificator(WireModel):
    """A modifier on a receipt line (``receipt_product_modificators[]``, and
    ``modificators[]`` with ``with[]=receipt_products.modificators``)."""

    id: int | None = None
    modificator_id: int | None = None
    modificator_group_id: int | None = None
    name: str | None = None
    price: Decimal | None = None
    count: Decimal | None = None
    modificator_group: ModificatorGroup | None = None


class ReceiptProduct(WireModel):
    """One line of a receipt (``receipt_products[]``); ``product`` (the catalog product as
    it is now) only with ``with[]=receipt_products.product…``."""

    id: int
    product_id: int
    cid: str | None = None
    receipt_id: int | None = None
    product_hash: str | None = None
    meta: LineMeta | None = None
    count: Decimal | None = None
    portion_size: Decimal | None = None
    is_gift: bool | None = None
    price: Decimal | None = None
    subtotal: Decimal | None = None
    total: Decimal | None = None
    cost: Decimal | None = None
    discount_type: int | None = None
    discount_rate: Decimal | None = None
    discount_value: Decimal | None = None
    total_discount: Decimal | None = None
    receipt_discount: Decimal | None = None
    seller_id: int | None = None
    preprint_count: int | None = None
    station_printed_count: int | None = None
    station_aborted_count: int | None = None
    loyalty_type: int | str | None = None
    loyalty_value: Decimal | None = None
    receipt_product_modificators: list[LineModificator] | None = None
    taxes: list[Tax] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    terminal_updated_at: str | None = None
    deleted_at: str | None = None
    modificators: list[LineModificator] | None = None
    product: Product | None = None


class Receipt(WireModel):
    """A receipt (spec §12.4): ``status`` 1 open, 2 closed; money exact ``Decimal``.

    ``total_cost`` is the wire's camelCase ``totalCost``; ``receipt_products`` is present
    on v1 and with ``with[]=receipt_products`` on v2.
    """

    id: int
    cid: str
    status: int
    total: Decimal
    venue_id: int | None = None
    cash_shift_cid: str | None = None
    user_id: int | None = None
    open_by_user_id: int | None = None
    close_by_user_id: int | None = None
    courier_id: int | None = None
    seller_id: int | None = None
    terminal_id: int | None = None
    source: str | None = None
    closed_terminal_id: int | None = None
    service_notification_id: int | None = None
    table_id: int | None = None
    hall_id: int | None = None
    customer_id: int | None = None
    sale_type_id: int | None = None
    is_returns: bool | None = None
    guests: int | None = None
    lock: bool | None = None
    inventory_status: int | None = None
    report_status: int | None = None
    meta: ReceiptMeta | None = None
    suspicion: int | None = None
    printed: bool | None = None
    subtotal: Decimal | None = None
    original_subtotal: Decimal | None = None
    gift_total: Decimal | None = None
    total_cost: Decimal | None = Field(default=None, alias="totalCost")
    payment_methods: list[ReceiptPayment] | None = None
    fiscal_id: str | None = None
    by_cash: Decimal | None = None
    by_card: Decimal | None = None
    remaining: Decimal | None = None
    discount_type: int | None = None
    discount_value: Decimal | None = None
    discount_rate: Decimal | None = None
    rps_discount: Decimal | None = None
    service_charge: Decimal | None = None
    service_charge_value: Decimal | None = None
    i_tax: Decimal | None = None
    delivery_fee: Decimal | None = None
    e_tax: Decimal | None = None
    total_tax: Decimal | None = None
    description: str | None = None
    address: str | None = None
    terminal_version: str | None = None
    loyalty_type: int | str | None = None
    loyalty_value: Decimal | None = None
    order_status: str | None = None
    order_number: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    terminal_updated_at: str | None = None
    closed_at: str | None = None
    shift_date: str | None = None
    deleted_at: str | None = None
    gift_count: int | None = None
    total_discount: Decimal | None = None
    properties: dict[str, Any] | None = None
    receipt_products: list[ReceiptProduct] | None = None


class ClosedReceipt(WireModel):
    """``data`` of a close (spec §12.8): ``{id, closed_at, payment_methods}`` in the docs;
    this server adds ``status``, ``total``, ``created_at``, ``updated_at``. A v1 close
    (``PUT``) answers the full receipt: its other keys are kept in ``model_extra``."""

    id: int
    closed_at: str | None = None
    payment_methods: list[ReceiptPayment] | None = None
    status: int | None = None
    total: Decimal | None = None
    created_at: str | None = None
    updated_at: str | None = None


# --- request field types ------------------------------------------------------------------


def _money_input(value: Any) -> Any:
    """Numbers or numeric strings (integrify sends Decimals as strings); never booleans."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):  # only if a caller bypassed the Decimal JSON parser
        return Decimal(repr(value))
    if isinstance(value, str):
        return value.strip()
    return value


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL text cannot hold NUL; refuse it here, naming the field.
        raise ValueError("must not contain NUL characters")
    return value


MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money_input),
    Field(ge=0, lt=_MAX_MONEY, allow_inf_nan=False),
]
Quantity = Annotated[
    Decimal, BeforeValidator(_money_input), Field(gt=0, lt=_MAX_MONEY, allow_inf_nan=False)
]
Percent = Annotated[
    Decimal, BeforeValidator(_money_input), Field(ge=0, le=100, allow_inf_nan=False)
]
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, BeforeValidator(_no_nul)]


def parse_closed_at(value: Any) -> datetime | None:
    """``closed_at`` of close/PUT: ``YYYY-MM-DD HH:mm:ss`` (spec §4.4 regex); ``""`` = absent.

    The old client sends ``""`` when the caller gives no ``closed_at``.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _CLOSED_AT.fullmatch(value.strip()):
        try:
            return datetime.strptime(value.strip(), CLOSED_AT_FORMAT)
        except ValueError:
            raise ValueError(f"{value!r} is not a real date and time") from None
    raise ValueError("must be a date and time in the format YYYY-MM-DD HH:mm:ss")


def parse_wire_time(value: Any) -> datetime | None:
    """An imported ``created_at``/``closed_at`` (spec §12.5): ``YYYY-MM-DD HH:mm:ss`` or
    Unix milliseconds (integrify 0.0.1 sends ints). ``""`` and ``null`` mean absent."""
    if value is None or value == "" or isinstance(value, datetime):
        return value or None
    if isinstance(value, bool):
        raise ValueError("must be 'YYYY-MM-DD HH:mm:ss' or Unix milliseconds")
    millis: int | None = None
    if isinstance(value, int):
        millis = value
    elif isinstance(value, Decimal) and value == value.to_integral_value():
        millis = int(value)
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        millis = int(value.strip())
    if millis is not None:
        if not _MIN_MILLIS <= millis <= _MAX_MILLIS:
            raise ValueError(
                "Unix milliseconds must fall between 2000-01-01 and 2100-01-01 "
                "(seconds are not accepted)"
            )
        return datetime.fromtimestamp(millis / 1000, UTC).replace(tzinfo=None)
    try:
        return parse_closed_at(value)
    except ValueError:
        raise ValueError("must be 'YYYY-MM-DD HH:mm:ss' or Unix milliseconds") from None


ClosedAt = Annotated[datetime | None, BeforeValidator(parse_closed_at)]
WireTime = Annotated[datetime | None, BeforeValidator(parse_wire_time)]


# --- request bodies -----------------------------------------------------------------------


class PaymentIn(BaseModel):
    """One ``payment_methods[]`` item ``{id, name, amount}``.

    ``name`` may be left out: the payment method's own name is used (the docs mark it
    required; omitting it hurts nobody, docs/decisions.md).
    """

    model_config = ConfigDict(extra="ignore")

    id: RowId
    name: Annotated[Text | None, Field(max_length=255)] = None
    amount: MoneyIn


class PatchBody(BaseModel):
    """``PATCH /receipts/{id}`` (spec §12.6): any subset of the four fields."""

    model_config = ConfigDict(extra="forbid")

    id: Any = None
    cid: Any = None
    order_status: OrderStatus | None = None
    order_number: Annotated[Text | None, Field(max_length=64)] = None
    fiscal_id: Annotated[Text | None, Field(max_length=128)] = None
    lock: bool = False

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (``null`` clears a text field)."""
        return {name: getattr(self, name) for name in PATCH_FIELDS if name in self.model_fields_set}


class CloseBody(BaseModel):
    """``POST /v2/receipts/{id}/close`` (spec §12.8). ``id``/``cid`` in the body (old
    client, PHP SDK) are ignored."""

    model_config = ConfigDict(extra="ignore")

    payment_methods: Annotated[list[PaymentIn], Field(min_length=1)]
    closed_at: ClosedAt = None


class CustomerMeta(BaseModel):
    """``meta.customer`` of PUT (spec §12.7): a copy of the customer, not fetched for you."""

    model_config = ConfigDict(extra="allow")

    name: Annotated[Text, Field(min_length=1, max_length=255)]


class LineIn(BaseModel):
    """One ``receipt_products[]`` item of an imported receipt (spec §12.5)."""

    model_config = ConfigDict(extra="ignore")

    cid: Annotated[Text | None, Field(min_length=1, max_length=64)] = None
    product_id: RowId
    count: Quantity = Decimal(1)
    portion_size: Quantity = Decimal(1)
    is_gift: bool = False
    price: MoneyIn | None = None
    subtotal: MoneyIn | None = None
    total: MoneyIn | None = None
    cost: MoneyIn | None = None
    discount_type: Literal[0, 1, 2] | None = None
    discount_rate: MoneyIn | None = None
    discount_value: MoneyIn | None = None
    total_discount: MoneyIn | None = None
    receipt_discount: MoneyIn | None = None
    product_hash: Annotated[Text | None, Field(max_length=255)] = None
    seller_id: RowId | None = None
    meta: dict[str, Any] | None = None


class ReceiptCreate(BaseModel):
    """``POST /receipts`` (v1, spec §12.5): import a sale made elsewhere.

    Stored CLOSED when it carries ``closed_at`` or ``status: 2``; stored OPEN when it says
    ``status: 1`` (or nothing) without ``closed_at`` (docs/decisions.md). Money fields
    left out are computed from ``receipt_products`` by the totals engine; those sent are
    stored exactly as sent.
    """

    model_config = ConfigDict(extra="ignore")

    cid: Annotated[Text, Field(min_length=1, max_length=64)]
    payment_methods: list[PaymentIn] | None = None
    user_id: RowId | None = None
    terminal_id: RowId | None = None
    courier_id: RowId | None = None
    sale_type_id: RowId | None = None
    customer_id: RowId | None = None
    status: Literal[1, 2] | None = None
    guests: Annotated[int, Field(ge=0, le=10_000)] | None = None
    printed: bool | None = None
    discount_type: Literal[0, 1, 2] | None = None
    customer_discount_type: Annotated[int, Field(ge=0, le=10)] | None = None
    by_cash: MoneyIn | None = None
    by_card: MoneyIn | None = None
    discount_rate: MoneyIn | None = None
    discount_value: MoneyIn | None = None
    delivery_fee: MoneyIn | None = None
    gift_total: MoneyIn | None = None
    original_subtotal: MoneyIn | None = None
    remaining: MoneyIn | None = None
    rps_discount: MoneyIn | None = None
    service_charge: MoneyIn | None = None
    service_charge_value: MoneyIn | None = None
    subtotal: MoneyIn | None = None
    total: MoneyIn | None = None
    total_tax: MoneyIn | None = None
    i_tax: MoneyIn | None = None
    e_tax: MoneyIn | None = None
    created_at: WireTime = None
    closed_at: WireTime = None
    address: Annotated[Text | None, Field(max_length=500)] = None
    description: Annotated[Text | None, Field(max_length=500)] = None
    order_status: OrderStatus | None = None
    order_number: Annotated[Text | None, Field(max_length=64)] = None
    fiscal_id: Annotated[Text | None, Field(max_length=128)] = None
    meta: dict[str, Any] | None = None
    receipt_products: list[LineIn] | None = None

    @property
    def is_closed(self) -> bool:
        """Whether the import is a closed sale (``closed_at`` given or ``status`` 2)."""
        return self.closed_at is not None or self.status == CLOSED

    def problems(self) -> list[FieldProblem]:
        """The cross-field rules of spec §12.5 this body breaks, in the server's order."""
        found: list[FieldProblem] = []
        if self.status == OPEN and self.closed_at is not None:
            found.append(
                FieldProblem(
                    "status",
                    "status 1 (open) cannot carry a closed_at; send status 2 or omit it",
                )
            )
        if self.is_closed and not self.payment_methods:
            found.append(
                FieldProblem(
                    "payment_methods",
                    "payment_methods (at least one) are required for a closed receipt "
                    "(closed_at or status 2)",
                )
            )
        if not self.is_closed and self.payment_methods:
            found.append(
                FieldProblem(
                    "payment_methods",
                    "payment_methods are only accepted on a closed receipt "
                    "(send closed_at or status 2)",
                )
            )
        if (
            self.created_at is not None
            and self.closed_at is not None
            and self.closed_at <= self.created_at
        ):
            found.append(FieldProblem("closed_at", CLOSED_AT_TOO_EARLY))
        return found


class ReceiptUpdate(BaseModel):
    """``PUT /receipts/{id}`` (v1, spec §12.7). ``null`` leaves a field unchanged.

    ``closed_at`` non-empty with ``payment_methods`` closes the receipt; ``""`` keeps it
    open. ``meta.customer`` may also come wrapped as ``meta_customer.meta.customer``
    (integrify 0.0.1's serializer).
    """

    model_config = ConfigDict(extra="ignore")

    id: RowId
    cid: Annotated[Text, Field(min_length=1, max_length=64)]
    delivery_fee: MoneyIn | None = None
    description: Annotated[Text | None, Field(max_length=500)] = None
    order_number: Annotated[Text | None, Field(max_length=64)] = None
    order_status: OrderStatus | None = None
    guests: Annotated[int, Field(ge=0, le=10_000)] | None = None
    discount_rate: Percent | None = None
    discount_type: Literal[0, 1, 2] | None = None
    discount_value: MoneyIn | None = None
    customer_id: RowId | None = None
    meta: dict[str, Any] | None = None
    meta_customer: dict[str, Any] | None = None
    payment_methods: list[PaymentIn] | None = None
    closed_at: ClosedAt = None
    status: Literal[1, 2] | None = None

    def customer_meta(self) -> dict[str, Any] | None:
        """``meta.customer``, or the old client's ``meta_customer.meta.customer``."""
        for holder in (self.meta, (self.meta_customer or {}).get("meta"), self.meta_customer):
            if isinstance(holder, dict) and isinstance(holder.get("customer"), dict):
                customer: dict[str, Any] = holder["customer"]
                return customer
        return None

    def problems(self) -> list[FieldProblem]:
        """The cross-field rules of spec §12.7 this body breaks, in the server's order."""
        found: list[FieldProblem] = []
        if self.discount_type == 2 and self.discount_value is None:
            found.append(
                FieldProblem(
                    "discount_value",
                    "discount_value is required when discount_type is 2 (amount)",
                )
            )
        if (
            self.discount_type == 1
            and self.discount_value is not None
            and self.discount_value > 100
        ):
            found.append(
                FieldProblem(
                    "discount_value",
                    "discount_value is a percentage (0–100) when discount_type is 1",
                )
            )
        if self.closed_at is not None and not self.payment_methods:
            found.append(
                FieldProblem(
                    "payment_methods",
                    "payment_methods (at least one) are required to close a receipt",
                )
            )
        if self.payment_methods and self.closed_at is None:
            found.append(
                FieldProblem(
                    "closed_at",
                    "closed_at is required with payment_methods (PUT closes the receipt); "
                    'send closed_at "" and no payment_methods to keep it open',
                )
            )
        if self.closed_at is not None and self.status == OPEN:
            found.append(
                FieldProblem(
                    "status", "Do not send status 1 when closing; the receipt becomes status 2"
                )
            )
        customer = self.customer_meta()
        if self.customer_id is not None and customer is not None:
            problem = customer_meta_problem(customer)
            if problem is not None:
                found.append(problem)
        return found


def customer_meta_problem(raw: dict[str, Any]) -> FieldProblem | None:
    """What is wrong with a PUT's ``meta.customer`` (a ``name`` at least), or ``None``."""
    try:
        CustomerMeta.model_validate(raw)
    except ValidationError as exc:
        first = validation_problems(exc, "meta.customer.")[0]
        return FieldProblem(first.field, f"The {first.field} field is invalid: {first.message}")
    return None
