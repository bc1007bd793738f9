"""Sale types — dine-in, takeaway, delivery … (spec §10.10)."""

from __future__ import annotations

from decimal import Decimal

from clopos.models._base import Media, WireModel
from clopos.models.payment_methods import PaymentMethod


class SaleType(WireModel):
    """A sale type; ``status`` maps venue ids to 1 (enabled there) or 0."""

    id: int
    name: str
    system_type: str | None = None
    channel: str | None = None
    status: dict[str, int] | None = None
    service_charge_rate: Decimal | None = None
    position: int | None = None
    payment_method_id: int | None = None
    payment_method: PaymentMethod | None = None
    media: list[Media] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
