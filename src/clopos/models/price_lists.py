"""Price lists and their prices (spec §10.8, §10.9)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from clopos.models._base import WireModel
from clopos.models.products import Product


class PriceList(WireModel):
    """A named set of prices; ``prices`` only with ``with[]=prices``."""

    id: int
    name: str
    description: str | None = None
    status: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    prices: list[Price] | None = None


class Price(WireModel):
    """A product's price in one list; ``product`` and ``price_list`` (the wire's ``list``)
    only with ``with[]=product`` / ``with[]=list``."""

    id: int
    list_id: int
    product_id: int
    price: Decimal
    product: Product | None = None
    price_list: PriceList | None = Field(default=None, alias="list")


PriceList.model_rebuild()
