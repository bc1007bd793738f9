"""Users — the brand's staff accounts (spec §9.2, §9.3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clopos.models._base import WireModel


class User(WireModel):
    """A staff account: the full object of spec §9.2 (the reduced v2 form is a subset)."""

    id: int
    username: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    pin: str | None = None
    card: str | None = None
    mobile_number: str | None = None
    owner: int | None = None
    hide: int | None = None
    salary: Decimal | None = None
    barcode: str | None = None
    tip_message: str | None = None
    can_receive_tips: bool | None = None
    login_at: str | None = None
    status: bool | None = None
    bonus_balance_id: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    properties: list[Any] | dict[str, Any] | None = None
    image: Any = None
