"""Products and what hangs off them (spec §10.1, §10.2): variants, modifier groups and
their choices, recipes, packages, taxes, tags, units, codes and TIMER pricing.

Relations are present only when asked for with ``with[]``, and ``selects`` returns only
the named fields (``id``, ``name`` and ``type`` always), so every other field is optional.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field

from clopos.models._base import Media, WireModel
from clopos.models.categories import Category
from clopos.models.stations import Station


class Tax(WireModel):
    """``{id, name, rate}``; ``rate`` is a percentage."""

    id: int | None = None
    name: str | None = None
    rate: Decimal | None = None


class Tag(WireModel):
    """``{id, name}``."""

    id: int | None = None
    name: str | None = None


class Unit(WireModel):
    """A unit of measure ``{id, name, short_name}`` (there is no units endpoint)."""

    id: int | None = None
    name: str | None = None
    short_name: str | None = None


class ProductCode(WireModel):
    """A barcode of a product (``with[]=codes``)."""

    product_id: int | None = None
    code: str | None = None


class Package(WireModel):
    """An INGREDIENT purchase unit: ``equal`` base units per package."""

    id: int | None = None
    product_id: int | None = None
    name: str | None = None
    equal: Decimal | None = None


class TimerPrice(WireModel):
    """One step of TIMER pricing: ``price`` from minute ``from`` (``from_`` here)."""

    price: Decimal | None = None
    from_: Decimal | None = Field(default=None, alias="from")


class TimerSetting(WireModel):
    """TIMER pricing ``{interval, prices: [{price, from}]}``."""

    interval: Decimal | None = None
    prices: list[TimerPrice] | None = None


class Ingredient(WireModel):
    """The ingredient a modifier choice adds: ``{id, name, type, unit_id, cost_price}``."""

    id: int | None = None
    name: str | None = None
    type: str | None = None
    unit_id: int | None = None
    cost_price: Decimal | None = None


class Modificator(WireModel):
    """A modifier choice (``modificators[]`` of a group)."""

    id: int | None = None
    group_id: int | None = None
    name: str | None = None
    price: Decimal | None = None
    cost_price: Decimal | None = None
    max_count: int | None = None
    status: bool | None = None
    position: int | None = None
    ingredient_id: int | None = None
    ingredient: Ingredient | None = None


class ModificatorGroup(WireModel):
    """A modifier group of a DISH; its choices appear as ``modificators`` (the docs) and
    ``modifiers`` (what integrify reads). ``type`` 1 is single choice, 0 multiple."""

    id: int | None = None
    name: str | None = None
    type: int | None = None
    min_select: int | None = None
    max_select: int | None = None
    adjust_to_portion: bool | None = None
    status: int | None = None
    meta: dict[str, Any] | None = None
    pivot: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    modificators: list[Modificator] | None = None
    modifiers: list[Modificator] | None = None


class RecipePivot(WireModel):
    """The recipe line's quantities; ``gross`` and ``net`` are strings on the wire."""

    product_id: int | None = None
    ingredient_id: int | None = None
    gross: str | None = None
    net: str | None = None


class RecipeItem(WireModel):
    """One ingredient of a recipe: the ingredient product with the line's ``pivot``."""

    id: int | None = None
    type: str | None = None
    name: str | None = None
    price: Decimal | None = None
    cost_price: Decimal | None = None
    unit_id: int | None = None
    ingredient_id: int | None = None
    net: Decimal | None = None
    pivot: RecipePivot | None = None


class Product(WireModel):
    """A catalog item: DISH, GOODS, MODIFICATION (a variant, ``parent_id`` set), TIMER,
    PREPARATION or INGREDIENT. Money (``price``, ``cost_price`` …) is exact ``Decimal``."""

    id: int
    name: str
    type: str | None = None
    cid: str | None = None
    parent_id: int | None = None
    station_id: int | None = None
    category_id: int | None = None
    unit_id: int | None = None
    net_output: Decimal | None = None
    parent_name: str | None = None
    full_name: str | None = None
    image: dict[str, Any] | None = None
    position: int | None = None
    barcode: str | None = None
    gov_code: str | None = None
    status: int | None = None
    hidden: int | None = None
    sold_by_weight: bool | None = None
    sold_by_portion: bool | None = None
    max_age: int | None = None
    discountable: bool | None = None
    giftable: bool | None = None
    has_modifications: bool | None = None
    meta: dict[str, Any] | None = None
    setting: TimerSetting | None = None
    emenu_category_id: int | None = None
    emenu_position: int | None = None
    emenu_hidden: bool | None = None
    accounting_category_id: int | None = None
    description: str | None = None
    price: Decimal | None = None
    cost_price: Decimal | None = None
    markup_rate: Decimal | None = None
    cooking_time: int | None = None
    ignore_service_charge: bool | None = None
    inventory_behavior: int | None = None
    low_stock: Decimal | None = None
    unit_weight: Decimal | None = None
    name_slug: str | None = None
    slug: str | None = None
    gross_margin: Decimal | None = None
    color: str | None = None
    is_inventory_behavior_changeable: bool | None = None
    venues: list[Any] | None = None
    media: list[Media] | None = None
    created_at: str | None = None
    updated_at: str | None = None
    deleted_at: str | None = None
    # with[] relations
    category: Category | None = None
    station: Station | None = None
    unit: Unit | None = None
    taxes: list[Tax] | None = None
    tags: list[Tag] | None = None
    codes: list[ProductCode] | None = None
    modifications: list[Product] | None = None
    modificator_groups: list[ModificatorGroup] | None = None
    recipe: list[RecipeItem] | None = None
    packages: list[Package] | None = None
