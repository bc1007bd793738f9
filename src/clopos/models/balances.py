"""Balances — store credit, cashback, cash drawer and card accounts (spec §9.4, §10.11)."""

from __future__ import annotations

from decimal import Decimal

from clopos.models._base import WireModel


class Balance(WireModel):
    """A balance account: a customer's ``balance``/``cashback_balance`` or a payment
    method's ``balance`` (v2 reduces that one to ``{id, system_type, name, type}`` …)."""

    id: int
    system_type: str | None = None
    venue_id: int | None = None
    name: str | None = None
    description: str | None = None
    type: str | None = None
    amount: Decimal | None = None
    position: int | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
