"""Customer groups (spec §9.7)."""

from __future__ import annotations

from decimal import Decimal

from clopos.models._base import WireModel


class CustomerGroup(WireModel):
    """A group with its discount; ``discount_type`` is a string code (``"0"``/``"1"``/``"2"``)
    or ``None``, ``system_type`` names built-in groups (``my_customers``)."""

    id: int
    name: str
    discount_type: str | None = None
    discount_value: Decimal | None = None
    system_type: str | None = None
    total_amount: Decimal | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
