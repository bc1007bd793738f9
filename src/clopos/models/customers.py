"""Customers (spec §9.4–§9.6): the Customer object and the body of ``POST /customers``."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clopos.models._base import MAX_ID, WireModel
from clopos.models.balances import Balance
from clopos.models.customer_groups import CustomerGroup

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Customer(WireModel):
    """A customer of the brand; ``group``, ``balance`` and ``cashback_balance`` appear only
    when asked for with ``with[]`` (spec §9.4)."""

    id: int
    name: str
    cid: str | None = None
    venue_id: int | None = None
    group_id: int | None = None
    balance_id: int | None = None
    discount: Decimal | None = None
    email: str | None = None
    phone: str | None = None
    phones: list[str] | None = None
    address: str | None = None
    addresses: list[Any] | None = None
    address_data: list[dict[str, Any]] | None = None
    description: str | None = None
    bonus_balance_id: int | None = None
    cashback_balance_id: int | None = None
    spent: Decimal | None = None
    total_discount: Decimal | None = None
    total_bonus: Decimal | None = None
    receipt_count: int | None = None
    gender: int | None = None
    date_of_birth: str | None = None
    code: str | None = None
    source: str | None = None
    reference_id: str | None = None
    phone_verified_at: str | None = None
    status: bool | None = None
    can_use_loyalty_system: bool | None = None
    is_verified: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    group: CustomerGroup | None = None
    balance: Balance | None = None
    cashback_balance: Balance | None = None


# --- request ------------------------------------------------------------------------------


class CustomerCreate(BaseModel):
    """Body of ``POST /customers`` (spec §9.6). Unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=255)]
    email: Annotated[str | None, Field(max_length=255)] = None
    phone: Annotated[str | None, Field(max_length=64)] = None
    code: Annotated[str | None, Field(max_length=64)] = None
    cid: Annotated[str | None, Field(max_length=64)] = None
    description: Annotated[str | None, Field(max_length=5000)] = None
    group_id: Annotated[int | None, Field(ge=1, le=MAX_ID)] = None
    gender: Literal[1, 2] | None = None
    date_of_birth: date | None = None

    @field_validator("name", "email", "phone", "code", "cid", "description")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL; refuse it here, naming the field.
        if value is not None and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("email", "phone", "code", "cid", "description")
    @classmethod
    def _blank_is_absent(cls, value: str | None) -> str | None:
        # "" would otherwise be stored and then collide as a duplicate phone/code.
        return value or None

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError("must be an email address such as name@example.com")
        return value

    @field_validator("date_of_birth", mode="before")
    @classmethod
    def _day_only(cls, value: Any) -> Any:
        # Only YYYY-MM-DD (spec §9.6); pydantic alone would also take timestamps.
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not _DAY.fullmatch(value.strip()):
            raise ValueError("must be a date in YYYY-MM-DD format")
        return value.strip()
