"""The unified Order body (unified-pos.md §5) as pydantic models, and its 400 answers.

Create, update and pay all take an ``Order`` body. :func:`parse_order_body` validates one
and raises ``UnifiedError(400, "RequestValidationError")`` naming every bad member:
``detail = {"missing": [{"merchant_id": "required"}], "invalid": [{"line_items[0].quantity":
"…"}]}`` — the ``missing`` shape is Apideck's own BadRequest example (§6.1).

Rules taken from the spec:

* unknown members are invalid (``additionalProperties: false``, §5); we apply it to nested
  objects too, so a typo never disappears silently;
* read-only members (§5.8) are accepted with any value and ignored: raw clients echo a
  fetched order back. They are declared ``exclude=True`` so ``model_dump`` never shows them
  (``line_items[].item.id`` and ``tenders[].id`` stay readable as attributes: create and pay
  tolerate them from raw clients, §9.5);
* ``null`` on a top-level member the schema does not declare nullable is a 400 (§6.3 rule 1);
  nested members accept ``null`` as "not given";
* integer amounts (minor units) must be whole numbers (``12`` or ``12.0``, never ``12.5``);
  ``number`` members become exact ``Decimal`` (floats through their shortest repr).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from clopos.unified.errors import UnifiedError

__all__ = [
    "NON_NULLABLE",
    "READ_ONLY",
    "CustomerIn",
    "DiscountIn",
    "FulfillmentIn",
    "LineItemIn",
    "ModifierIn",
    "OrderIn",
    "PassThroughIn",
    "PaymentIn",
    "ServiceChargeIn",
    "TenderIn",
    "bad_request",
    "parse_order_body",
    "path_text",
]

# Minor-unit integers beyond this are typing mistakes (and beyond exact float range).
_MAX_MINOR: Final = 10**15
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SPECIAL_CURRENCIES: Final = frozenset({"UNKNOWN_CURRENCY", "BTC", "ETH"})

# Top-level members (§5.1) that are read-only: ignored on input.
READ_ONLY: Final = frozenset(
    {
        "id",
        "source",
        "voided_at",
        "custom_mappings",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    }
)
# Top-level members whose schema type has no ``null``: an explicit null is a 400.
NON_NULLABLE: Final = frozenset(
    {
        "merchant_id",
        "location_id",
        "idempotency_key",
        "order_number",
        "status",
        "payment_status",
        "title",
        "note",
        "customer_id",
        "employee_id",
        "order_type_id",
        "table",
        "seat",
        "refunded",
        "customers",
        "fulfillments",
        "line_items",
        "payments",
        "service_charges",
        "refunds",
        "taxes",
        "discounts",
        "tenders",
        "voided",
        "pass_through",
    }
)


# --- field types --------------------------------------------------------------------------


def _minor_int(value: Any) -> Any:
    """A JSON integer, or a whole float/Decimal (``12.0``); never a bool or ``12.5``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be an integer amount in minor units, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        if not exact.is_finite() or exact != exact.to_integral_value():
            raise ValueError(f"must be an integer amount in minor units (e.g. cents), got {value}")
        number = int(exact)
    else:
        raise ValueError("must be an integer amount in minor units")
    if abs(number) > _MAX_MINOR:
        raise ValueError(f"must be at most {_MAX_MINOR} in absolute value")
    return number


def _number(value: Any) -> Any:
    """A JSON number as an exact ``Decimal`` (``8.5`` stays ``8.5``; ``1E+2`` becomes 100)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not exact.is_finite():
        raise ValueError("must be a finite number")
    if abs(exact) > _MAX_MINOR:
        raise ValueError(f"must be at most {_MAX_MINOR} in absolute value")
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        exact = exact.quantize(Decimal(1))
    return exact


def _text(value: Any) -> Any:
    """A string; JSON numbers are taken as their text (raw clients send ``"id": 5``)."""
    if value is None or isinstance(value, str):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value
    if isinstance(value, bool):
        raise ValueError("must be a string")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        exact = Decimal(repr(value)) if isinstance(value, float) else value
        if exact.is_finite() and exact == exact.to_integral_value():
            return str(int(exact))
    raise ValueError("must be a string")


def _max_text(limit: int) -> Callable[[Any], Any]:
    """``_text`` plus a length limit, with a message that says the limit."""

    def check(value: Any) -> Any:
        text = _text(value)
        if isinstance(text, str) and len(text) > limit:
            raise ValueError(f"must be at most {limit} characters (got {len(text)})")
        return text

    return check


def _bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError("must be true or false")


def _date(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}") from None
    if len(value) != 10:
        raise ValueError(f"must be a date YYYY-MM-DD, got {value!r}")
    return value


def _date_time(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date-time, got {value!r}") from None
    return value


def _currency(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str) or not (
        _CURRENCY.fullmatch(value) or value in _SPECIAL_CURRENCIES
    ):
        raise ValueError("must be an ISO 4217 currency code such as USD (or UNKNOWN_CURRENCY)")
    return value


MinorInt = Annotated[int | None, BeforeValidator(_minor_int)]
Number = Annotated[Decimal | None, BeforeValidator(_number)]
Text = Annotated[str | None, BeforeValidator(_text)]
Flag = Annotated[bool | None, BeforeValidator(_bool)]
DateText = Annotated[str | None, BeforeValidator(_date)]
DateTimeText = Annotated[str | None, BeforeValidator(_date_time)]
Currency = Annotated[str | None, BeforeValidator(_currency)]
# Read-only: any value, ignored, never dumped.
ReadOnly = Annotated[Any, Field(default=None, exclude=True)]

PhoneType = Literal[
    "primary",
    "secondary",
    "home",
    "work",
    "office",
    "mobile",
    "assistant",
    "fax",
    "direct-dial-in",
    "personal",
    "billing",
    "other",
]
EmailType = Literal["primary", "secondary", "work", "personal", "billing", "other"]
AddressType = Literal[
    "primary", "secondary", "home", "office", "shipping", "billing", "work", "other"
]
OrderStatus = Literal["open", "draft", "delivered", "delayed", "voided", "completed", "hidden"]
PaymentStatus = Literal[
    "open", "paid", "refunded", "credited", "partially_paid", "partially_refunded", "unknown"
]
FulfillmentStatus = Literal[
    "proposed", "reserved", "prepared", "completed", "cancelled", "failed", "other"
]


class _In(BaseModel):
    """Strict members: unknown keys are errors, so nothing sent is silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- nested objects (§5.2–§5.7) -----------------------------------------------------------


class PhoneNumberIn(_In):
    """PhoneNumber: ``number`` is required."""

    id: Text = None
    country_code: Text = None
    area_code: Text = None
    number: Annotated[str, BeforeValidator(_text)]
    extension: Text = None
    type: PhoneType | None = None


class EmailIn(_In):
    """Email: ``email`` is required (and nullable)."""

    id: Text = None
    email: Annotated[str | None, BeforeValidator(_text)]
    type: EmailType | None = None


class CustomerIn(_In):
    """``customers[]``."""

    id: Text = None
    first_name: Text = None
    middle_name: Text = None
    last_name: Text = None
    phone_numbers: list[PhoneNumberIn] | None = None
    emails: list[EmailIn] | None = None


class AddressIn(_In):
    """Address (all nullable strings)."""

    id: Text = None
    type: AddressType | None = None
    string: Text = None
    name: Text = None
    line1: Text = None
    line2: Text = None
    line3: Text = None
    line4: Text = None
    line5: Text = None
    street_number: Text = None
    city: Text = None
    state: Text = None
    postal_code: Text = None
    country: Text = None
    latitude: Text = None
    longitude: Text = None
    county: Text = None
    contact_name: Text = None
    salutation: Text = None
    phone_number: Text = None
    fax: Text = None
    email: Text = None
    website: Text = None
    notes: Text = None
    row_version: Text = None


class RecipientIn(_In):
    """``pickup_details.recipient``."""

    customer_id: Text = None
    display_name: Text = None
    address: AddressIn | None = None
    phone_number: PhoneNumberIn | None = None
    email: EmailIn | None = None


class CurbsideIn(_In):
    """``pickup_details.curbside_pickup_details``."""

    curbside_details: Annotated[str | None, BeforeValidator(_max_text(250))] = None
    buyer_arrived_at: DateTimeText = None


class PickupDetailsIn(_In):
    """``fulfillments[].pickup_details`` (``accepted_at`` is read-only)."""

    accepted_at: ReadOnly
    auto_complete_duration: Text = None
    cancel_reason: Text = None
    expires_at: DateTimeText = None
    schedule_type: Literal["scheduled"] | None = None
    pickup_at: DateTimeText = None
    pickup_window_duration: Text = None
    prep_time_duration: Text = None
    note: Text = None
    placed_at: DateTimeText = None
    rejected_at: DateTimeText = None
    ready_at: DateTimeText = None
    expired_at: DateTimeText = None
    picked_up_at: DateTimeText = None
    canceled_at: DateTimeText = None
    is_curbside_pickup: Flag = None
    curbside_pickup_details: CurbsideIn | None = None
    recipient: RecipientIn | None = None


class FulfillmentIn(_In):
    """``fulfillments[]``."""

    id: Text = None
    status: FulfillmentStatus | None = None
    type: Literal["pickup", "shipment"] | None = None
    pickup_details: PickupDetailsIn | None = None
    shipment_details: dict[str, Any] | None = None


class ItemRefIn(_In):
    """``line_items[].item``: its only member ``id`` is read-only (tolerated on create)."""

    id: ReadOnly


class AppliedTaxIn(_In):
    """``line_items[].applied_taxes[]``."""

    id: ReadOnly
    tax_id: Text = None
    amount: MinorInt = None
    currency: Currency = None


class AppliedDiscountIn(_In):
    """``line_items[].applied_discounts[]``."""

    id: ReadOnly
    discount_id: Text = None
    amount: MinorInt = None
    currency: Currency = None


class ModifierIn(_In):
    """``line_items[].modifiers[]`` (the modifier ``id`` is writable)."""

    id: Text = None
    name: Text = None
    amount: MinorInt = None
    currency: Currency = None
    alternate_name: Text = None
    modifier_group_id: Text = None


class LineItemIn(_In):
    """``line_items[]`` (§5.4)."""

    id: ReadOnly
    name: Text = None
    item: ItemRefIn | None = None
    total_tax: MinorInt = None
    total_discount: MinorInt = None
    total_amount: MinorInt = None
    quantity: Number = None
    unit_price: Number = None
    applied_taxes: list[AppliedTaxIn] | None = None
    applied_discounts: list[AppliedDiscountIn] | None = None
    modifiers: list[ModifierIn] | None = None


class PaymentIn(_In):
    """``payments[]``."""

    id: ReadOnly
    amount: MinorInt = None
    currency: Currency = None


class ServiceChargeIn(_In):
    """ServiceCharge (§5.5)."""

    id: ReadOnly
    name: Text = None
    amount: Number = None
    percentage: Number = None
    currency: Currency = None
    active: Flag = None
    type: Literal["auto_gratuity", "custom"] | None = None


class RefundIn(_In):
    """Refund (§5.5)."""

    id: ReadOnly
    location_id: ReadOnly
    amount: MinorInt = None
    currency: Currency = None
    reason: Text = None
    status: Literal["pending", "approved", "rejected", "failed"] | None = None
    tender_id: ReadOnly
    transaction_id: ReadOnly


class TaxIn(_In):
    """Tax (§5.5); its ``id`` is writable."""

    id: Text = None
    name: Text = None
    amount: MinorInt = None
    currency: Currency = None
    percentage: Number = None
    scope: Literal["order", "line_item"] | None = None
    type: Literal["unknown", "additive", "inclusive"] | None = None
    auto_applied: Flag = None


class DiscountIn(_In):
    """Discount (§5.5): ``type`` is required."""

    id: ReadOnly
    product_id: ReadOnly
    name: Text = None
    type: Literal["percentage", "flat_fee"]
    amount: MinorInt = None
    currency: Currency = None
    scope: Literal["order", "line_item"] | None = None


class TenderIn(_In):
    """Tender (§5.6); ``id`` is read-only (pay tolerates it from raw clients)."""

    id: ReadOnly
    name: Text = None
    type: Literal["cash", "card", "other"] | None = None
    note: Text = None
    amount: Number = None
    percentage: Number = None
    currency: Currency = None
    total_amount: MinorInt = None
    total_tip: MinorInt = None
    total_processing_fee: MinorInt = None
    total_tax: MinorInt = None
    total_discount: MinorInt = None
    total_refund: MinorInt = None
    total_service_charge: MinorInt = None
    buyer_tendered_cash_amount: MinorInt = None
    change_back_cash_amount: MinorInt = None
    card: dict[str, Any] | None = None
    card_status: Literal["authorized", "captured", "failed", "voided"] | None = None
    card_entry_method: Literal["evm", "swiped", "keyed", "on-file", "contactless"] | None = None
    payment_id: ReadOnly
    location_id: ReadOnly
    transaction_id: ReadOnly


class ExtendPathIn(_In):
    """``pass_through[].extend_paths[]``: both members required (``value`` may be null)."""

    path: Annotated[str, BeforeValidator(_text)]
    value: Any


class PassThroughIn(_In):
    """``pass_through[]`` (§5.7)."""

    service_id: Annotated[str, BeforeValidator(_text)]
    operation_id: Text = None
    extend_object: dict[str, Any] | None = None
    extend_paths: list[ExtendPathIn] | None = None


class OrderIn(_In):
    """The unified Order as a request body (§5.1).

    ``merchant_id``/``location_id`` are required by the schema; :func:`parse_order_body`
    enforces that where the operation needs it (create), so PATCH and pay may leave them out.
    """

    id: ReadOnly
    merchant_id: Text = None
    location_id: Text = None
    idempotency_key: Annotated[str | None, BeforeValidator(_max_text(45))] = None
    order_number: Text = None
    order_date: DateText = None
    closed_date: DateText = None
    reference_id: Text = None
    status: OrderStatus | None = None
    payment_status: PaymentStatus | None = None
    currency: Currency = None
    title: Text = None
    note: Text = None
    customer_id: Text = None
    employee_id: Text = None
    order_type_id: Text = None
    table: Text = None
    seat: Text = None
    total_amount: MinorInt = None
    total_tip: MinorInt = None
    total_tax: MinorInt = None
    total_discount: MinorInt = None
    total_refund: MinorInt = None
    total_service_charge: MinorInt = None
    refunded: Flag = None
    customers: list[CustomerIn] | None = None
    fulfillments: list[FulfillmentIn] | None = None
    line_items: list[LineItemIn] | None = None
    payments: list[PaymentIn] | None = None
    service_charges: list[ServiceChargeIn] | None = None
    refunds: list[RefundIn] | None = None
    taxes: list[TaxIn] | None = None
    discounts: list[DiscountIn] | None = None
    tenders: list[TenderIn] | None = None
    source: ReadOnly
    voided: Flag = None
    voided_at: ReadOnly
    custom_mappings: ReadOnly
    version: Text = None
    updated_by: ReadOnly
    created_by: ReadOnly
    updated_at: ReadOnly
    created_at: ReadOnly
    pass_through: list[PassThroughIn] | None = None

    def given(self) -> dict[str, Any]:
        """The writable members the body carried, as plain data (read-only ones left out)."""
        return self.model_dump(exclude_unset=True)


# --- errors -------------------------------------------------------------------------------


def path_text(location: Sequence[int | str]) -> str:
    """``("line_items", 0, "quantity")`` → ``line_items[0].quantity``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def bad_request(
    missing: Sequence[str] = (), invalid: Sequence[tuple[str, str]] = ()
) -> UnifiedError:
    """400 ``RequestValidationError`` naming every field: ``detail`` has ``missing``
    (Apideck's ``[{"<field>": "required"}]``) and/or ``invalid`` (``[{"<field>": why}]``)."""
    detail: dict[str, Any] = {}
    parts: list[str] = []
    if missing:
        detail["missing"] = [{name: "required"} for name in missing]
        parts.extend(f"{name} is required" for name in missing)
    if invalid:
        detail["invalid"] = [{name: why} for name, why in invalid]
        parts.extend(f"{name} {why}" for name, why in invalid)
    return UnifiedError(
        400, "RequestValidationError", "Invalid request body: " + "; ".join(parts), detail
    )


def _why(error: Mapping[str, Any]) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "is not a member of the Apideck Order schema"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"must be one of {expected}"
    if kind in ("model_type", "dict_type"):
        return "must be an object"
    if kind == "list_type":
        return "must be an array"
    text = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return text if text.startswith("must") else f"is invalid: {text}"


def parse_order_body(raw: Any, *, required: Sequence[str] = ()) -> OrderIn:
    """Validate a decoded JSON body as a unified Order; 400 naming every bad member.

    ``required`` lists the top-level members this operation needs (create:
    ``merchant_id``, ``location_id``); a required member sent as ``null`` is "missing".
    """
    if not isinstance(raw, Mapping):
        raise bad_request(invalid=[("body", "must be a JSON object (the Order)")])
    missing = [name for name in required if raw.get(name) is None]
    invalid: list[tuple[str, str]] = []
    for name in sorted(NON_NULLABLE - set(required)):
        if name in raw and raw[name] is None:
            invalid.append((name, "must not be null (the schema does not allow null here)"))
    try:
        parsed = OrderIn.model_validate(dict(raw))
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            location = tuple(error["loc"])
            name = path_text(location)
            if error["type"] == "missing":
                missing.append(name)
            elif location and location[0] in NON_NULLABLE and raw.get(location[0]) is None:
                continue  # already reported as "must not be null"
            else:
                invalid.append((name, _why(error)))
        raise bad_request(missing, invalid) from None
    if missing or invalid:
        raise bad_request(missing, invalid)
    return parsed
