"""Stock operations — what selling a receipt's products wrote off (spec §12.10)."""

from __future__ import annotations

from decimal import Decimal

from clopos.models._base import Named, WireModel


class StockRef(WireModel):
    """``stock {id, storage {id, name}}`` of an operation."""

    id: int | None = None
    storage: Named | None = None


class StockOperation(WireModel):
    """One write-off: ``quantity`` deducted, ``cost`` per unit, ``total_cost``; quantities
    and costs are exact ``Decimal``, ``operated_at`` is ``YYYY-MM-DD HH:mm:ss``."""

    id: int
    product_id: int
    quantity: Decimal
    receipt_id: int | None = None
    receipt_product_id: int | None = None
    operation_id: int | None = None
    stock_id: int | None = None
    storage_id: int | None = None
    before_quantity: Decimal | None = None
    after_quantity: Decimal | None = None
    cost: Decimal | None = None
    before_cost: Decimal | None = None
    total_cost: Decimal | None = None
    operated_at: str | None = None
    product: Named | None = None
    stock: StockRef | None = None
