"""Payment methods — cash, card, customer balance … (spec §10.11)."""

from __future__ import annotations

from typing import Any

from clopos.models._base import WireModel
from clopos.models.balances import Balance


class PaymentMethod(WireModel):
    """A payment method; ``status`` maps venue ids to 1 (enabled there) or 0; its id is
    what ``payment_methods[].id`` of a receipt names."""

    id: int
    name: str
    status: dict[str, int] | None = None
    split: int | None = None
    position: int | None = None
    customer_required: int | None = None
    is_system: int | None = None
    balance_id: int | None = None
    balance: Balance | None = None
    service: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
