"""Products and the stop list (spec §10.1–§10.3): query rules and presenters — pure, no I/O.

The route module parses the query with ``parse_list_query``; this module turns its
``filters`` into typed conditions, checks ``selects`` and ``with[]``, and turns ORM rows
(already loaded by the repository) into the wire objects of spec §10.2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from clopos.server.domain.catalog_wire import present_category, present_station
from clopos.server.domain.query import MAX_ID, Filter, Nested, as_list
from clopos.server.domain.timestamps import plain, unix_millis
from clopos.server.errors import InvalidParameter
from clopos.server.store.models import (
    Category,
    Modifier,
    ModifierGroup,
    Package,
    Product,
    RecipeItem,
    Station,
    StopListEntry,
    Tag,
    Tax,
    Unit,
)

# --- vocabulary ---------------------------------------------------------------------------

# The list page names five types; the v2 field table adds MODIFICATION (variant rows) and
# MODIFIER (spec §10.1, §14.13). All seven are accepted in ``filters[..][0]=type``.
PRODUCT_TYPES = (
    "GOODS",
    "DISH",
    "TIMER",
    "PREPARATION",
    "INGREDIENT",
    "MODIFICATION",
    "MODIFIER",
)

# ``with[]`` relations this server knows (spec §10.1 [3P] list ∪ §10.2 list). ``media`` and
# ``setting`` are always part of the product object, so asking for them changes nothing.
# Unknown relation names are ignored: the docs warn the accepted set differs between
# backend versions, and a client written against another version should keep working.
WITH_RELATIONS = (
    "category",
    "station",
    "unit",
    "taxes",
    "tags",
    "modifications",
    "modifications.codes",
    "modificator_groups",
    "recipe",
    "packages",
    "codes",
    "media",
    "setting",
)

# Filter fields (spec §10.1 table) plus three plain column filters this server adds
# (``id``, ``parent_id``, ``status``) so variants and inactive items can be picked out.
_INT_LIST_FILTERS = (
    "id",
    "parent_id",
    "category_id",
    "station_id",
    "tags",
    "inventory_behavior",
    "status",
)
_FLAG_FILTERS = (
    "giftable",
    "discountable",
    "have_ingredients",
    "sold_by_portion",
    "has_variants",
    "has_modifiers",
    "has_barcode",
    "has_service_charge",
)
# The docs spell it ``haveIngredients``; the existing SDK ``have_ingredients``.
_FILTER_ALIASES = {"haveIngredients": "have_ingredients"}
PRODUCT_FILTER_FIELDS = ("type", *_INT_LIST_FILTERS, "haveIngredients", *_FLAG_FILTERS)

# ``selects`` always returns these, whatever was asked for (spec §4.3).
ALWAYS_SELECTED = ("id", "name", "type")

# Columns and ids are 32-bit integers in the store; larger numbers cannot match anything,
# and PostgreSQL would reject them as parameters, so they are refused up front.
_INT = re.compile(r"[+-]?[0-9]+")


# --- product list filters -----------------------------------------------------------------


@dataclass(frozen=True)
class ProductCondition:
    """One ``filters[N]`` tuple of ``GET /products``, checked and typed.

    Exactly one of ``numbers``, ``words`` or ``flag`` is set, depending on the field.
    """

    field: str
    numbers: tuple[int, ...] = ()
    words: tuple[str, ...] = ()
    flag: bool | None = None


def _bad_filter(message: str, index: int, value: Any) -> InvalidParameter:
    return InvalidParameter(
        message, details={"parameter": f"filters[{index}]", "provided_value": value}
    )


def _integers(values: Sequence[str], *, field_name: str, index: int) -> tuple[int, ...]:
    numbers: list[int] = []
    for raw in values:
        text = raw.strip()
        if not _INT.fullmatch(text) or not 0 <= int(text) <= MAX_ID:
            raise _bad_filter(
                f"The '{field_name}' filter takes integer ids; got {raw!r}", index, raw
            )
        numbers.append(int(text))
    return tuple(numbers)


def _flag(values: Sequence[str], *, field_name: str, index: int) -> bool:
    if len(values) == 1:
        lowered = values[0].strip().lower()
        if lowered in {"1", "true"}:
            return True
        if lowered in {"0", "false"}:
            return False
    raise _bad_filter(f'The \'{field_name}\' filter takes "1" or "0"', index, list(values) or None)


def parse_product_filters(filters: Iterable[Filter]) -> list[ProductCondition]:
    """Typed conditions for ``GET /products``; an unknown field or bad value is a 400.

    Several tuples are ANDed, including two on the same field (spec §4.3).
    """
    conditions: list[ProductCondition] = []
    for index, item in enumerate(filters):
        name = _FILTER_ALIASES.get(item.field, item.field)
        values = item.values()
        if name == "type":
            types = tuple(v.strip().upper() for v in values)
            unknown = [v for v in types if v not in PRODUCT_TYPES]
            if unknown or not types:
                raise _bad_filter(
                    f"The 'type' filter takes {', '.join(PRODUCT_TYPES)}; got {unknown or values}",
                    index,
                    values,
                )
            conditions.append(ProductCondition(name, words=types))
        elif name in _INT_LIST_FILTERS:
            numbers = _integers(values, field_name=item.field, index=index)
            if not numbers:
                raise _bad_filter(f"The '{item.field}' filter needs a value", index, values)
            conditions.append(ProductCondition(name, numbers=numbers))
        elif name in _FLAG_FILTERS:
            conditions.append(
                ProductCondition(name, flag=_flag(values, field_name=item.field, index=index))
            )
        else:
            raise _bad_filter(
                f"Unknown filter field '{item.field}'; allowed: {', '.join(PRODUCT_FILTER_FIELDS)}",
                index,
                item.field,
            )
    return conditions


def requested_relations(with_: Iterable[str]) -> frozenset[str]:
    """The known relations among ``with[]`` values; unknown names are dropped (see above)."""
    wanted = {value.strip() for value in with_ if value.strip() in WITH_RELATIONS}
    if "modifications.codes" in wanted:
        wanted.add("modifications")
    return frozenset(wanted)


def check_selects(selects: Sequence[str] | None) -> list[str] | None:
    """``selects`` fields, each a product field name, else 400 naming the unknown one."""
    if selects is None:
        return None
    unknown = [name for name in selects if name not in PRODUCT_FIELDS]
    if unknown:
        raise InvalidParameter(
            f"Unknown field '{unknown[0]}' in selects",
            details={"parameter": "selects", "provided_value": ",".join(selects)},
        )
    return list(selects)


def pick_fields(
    product: Mapping[str, Any], selects: Sequence[str] | None, relations: Iterable[str]
) -> dict[str, Any]:
    """Only the selected fields, plus ``id, name, type`` and every relation asked for."""
    if selects is None:
        return dict(product)
    keep = {*ALWAYS_SELECTED, *selects, *(r.split(".")[0] for r in relations)}
    return {key: value for key, value in product.items() if key in keep}


# --- stop list filters --------------------------------------------------------------------


@dataclass(frozen=True)
class StopListFilters:
    """What ``GET /products/stop-list`` was asked to narrow to (spec §10.3).

    ``product_ids`` holds one id set per ``id`` tuple (all must match); the ranges are
    inclusive ``(from, to)`` pairs with ``to`` optional, ``timestamp`` in Unix ms.
    """

    product_ids: list[tuple[int, ...]] = field(default_factory=list)
    limit_ranges: list[tuple[int, int | None]] = field(default_factory=list)
    timestamp_ranges: list[tuple[int, int | None]] = field(default_factory=list)


INVALID_STOP_LIST_FILTER = "Invalid filter parameters"
# 9999-12-31 23:59:59.999 UTC: the last millisecond a datetime can hold.
_MAX_MILLIS = 253402300799999


def _stop_list_error(index: int, value: Any) -> InvalidParameter:
    # The one message the docs give for this endpoint (spec §10.3).
    return InvalidParameter(
        INVALID_STOP_LIST_FILTER,
        details={"parameter": f"filters[{index}]", "provided_value": value},
    )


def _stop_list_int(raw: Any, index: int, maximum: int) -> int:
    if not isinstance(raw, str) or not _INT.fullmatch(raw.strip()):
        raise _stop_list_error(index, raw)
    number = int(raw)
    if not 0 <= number <= maximum:
        raise _stop_list_error(index, raw)
    return number


def parse_stop_list_filters(params: Nested) -> StopListFilters:
    """Read ``filters[N][0]`` ∈ ``id, limit, timestamp`` from bracket-parsed params.

    ``id`` takes a list of product ids (``filters[0][1][0]=1&filters[0][1][1]=332``, docs).
    ``limit`` and ``timestamp`` take a range ``[from]`` or ``[from, to]`` (SDK-only, spec
    §10.3); a scalar value is read as ``from``. Anything else answers 400
    "Invalid filter parameters".
    """
    result = StopListFilters()
    raw = params.get("filters")
    if raw is None:
        return result
    if not isinstance(raw, dict) or not all(key.isascii() and key.isdigit() for key in raw):
        raise _stop_list_error(0, raw)
    for index, entry in enumerate(as_list(raw)):
        if not isinstance(entry, dict) or set(entry) - {"0", "1"} or "1" not in entry:
            raise _stop_list_error(index, entry)
        name = entry.get("0")
        value = entry["1"]
        values = as_list(value) if isinstance(value, dict) else [value]
        if isinstance(value, dict) and not all(k.isascii() and k.isdigit() for k in value):
            raise _stop_list_error(index, value)
        if name == "id":
            if not values:
                raise _stop_list_error(index, value)
            result.product_ids.append(tuple(_stop_list_int(v, index, MAX_ID) for v in values))
        elif name in ("limit", "timestamp"):
            maximum = MAX_ID if name == "limit" else _MAX_MILLIS
            if not 1 <= len(values) <= 2:
                raise _stop_list_error(index, value)
            low = _stop_list_int(values[0], index, maximum)
            high = _stop_list_int(values[1], index, maximum) if len(values) == 2 else None
            if high is not None and high < low:
                raise _stop_list_error(index, value)
            target = result.limit_ranges if name == "limit" else result.timestamp_ranges
            target.append((low, high))
        else:
            raise _stop_list_error(index, name)
    return result


def millis_to_datetime(millis: int) -> datetime:
    """Naive-UTC datetime of a Unix-ms instant (exact, no float rounding)."""
    return datetime(1970, 1, 1) + timedelta(milliseconds=millis)


def present_stop_entry(entry: StopListEntry) -> dict[str, Any]:
    """``{id: product id, limit, timestamp: Unix ms}`` (spec §10.3)."""
    return {
        "id": entry.product_id,
        "limit": entry.limit,
        "timestamp": unix_millis(entry.updated_at),
    }


# --- product presenters -------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedGroup:
    """A modifier group attached to a product, with its choices and their ingredients."""

    group: ModifierGroup
    position: int
    modifiers: list[tuple[Modifier, Product | None]]


@dataclass
class ProductRelations:
    """Everything loaded around one product; fields stay empty unless ``with[]`` asked."""

    parent_name: str = ""
    has_variants: bool = False
    category: Category | None = None
    station: Station | None = None
    unit: Unit | None = None
    taxes: list[Tax] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)
    variants: list[Product] = field(default_factory=list)
    groups: list[LoadedGroup] = field(default_factory=list)
    recipe: list[tuple[RecipeItem, Product]] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)


def _number(value: Any, default: Decimal | int) -> Decimal | int:
    """A numeric attribute as an exact number (Decimal text stays as written)."""
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def _percent(numerator: Decimal, denominator: Decimal) -> Decimal:
    if denominator == 0:
        return Decimal("0.00")
    return (numerator / denominator * 100).quantize(Decimal("0.01"))


def markup_rate(price: Decimal, cost_price: Decimal) -> Decimal:
    """Profit as a percentage of cost, 2 places; 0 when there is no cost."""
    return _percent(price - cost_price, cost_price)


def gross_margin(price: Decimal, cost_price: Decimal) -> Decimal:
    """Profit as a percentage of price, 2 places; 0 when the price is 0."""
    return _percent(price - cost_price, price)


def full_name(name: str, parent_name: str) -> str:
    """``Fanta 0.5 L``: a variant's name with its parent's in front (once)."""
    if not parent_name or name.startswith(parent_name):
        return name
    return f"{parent_name} {name}"


def slugify(text: str) -> str:
    """Lower-case words joined by ``-`` (``Coca-Cola 0.5 L`` → ``coca-cola-0-5-l``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def present_setting(setting: Any) -> dict[str, Any] | None:
    """TIMER pricing ``{interval, prices: [{price, from}]}`` with prices as exact numbers."""
    if not isinstance(setting, dict):
        return None
    prices = [
        {**price, "price": _number(price.get("price"), Decimal(0))}
        for price in setting.get("prices") or []
        if isinstance(price, dict)
    ]
    return {**setting, "prices": prices}


def present_tax(tax: Tax) -> dict[str, Any]:
    """``{id, name, rate}``."""
    return {"id": tax.id, "name": tax.name, "rate": tax.rate}


def present_tag(tag: Tag) -> dict[str, Any]:
    """``{id, name}``."""
    return {"id": tag.id, "name": tag.name}


def present_unit(unit: Unit | None) -> dict[str, Any] | None:
    """``{id, name, short_name}`` (there is no units endpoint)."""
    if unit is None:
        return None
    return {"id": unit.id, "name": unit.name, "short_name": unit.short_name}


def present_package(package: Package) -> dict[str, Any]:
    """An INGREDIENT purchase unit ``{id, name, equal}``."""
    return {
        "id": package.id,
        "product_id": package.product_id,
        "name": package.name,
        "equal": package.equal,
    }


def present_codes(product: Product) -> list[dict[str, Any]]:
    """``with[]=codes``: the product's barcodes (the store keeps one, ``barcode``)."""
    if not product.barcode:
        return []
    return [{"product_id": product.id, "code": product.barcode}]


def _present_ingredient_brief(ingredient: Product | None) -> dict[str, Any] | None:
    if ingredient is None:
        return None
    return {
        "id": ingredient.id,
        "name": ingredient.name,
        "type": ingredient.type,
        "unit_id": ingredient.unit_id,
        "cost_price": ingredient.cost_price,
    }


def present_modificator(modifier: Modifier, ingredient: Product | None) -> dict[str, Any]:
    """One choice: ``{id, name, price, cost_price, max_count, status (bool), ingredient}``."""
    return {
        "id": modifier.id,
        "group_id": modifier.group_id,
        "name": modifier.name,
        "price": modifier.price,
        "cost_price": modifier.cost_price,
        "max_count": modifier.max_count,
        "status": modifier.status,
        "position": modifier.position,
        "ingredient_id": modifier.ingredient_id,
        "ingredient": _present_ingredient_brief(ingredient),
    }


def present_modificator_group(loaded: LoadedGroup, product_id: int) -> dict[str, Any]:
    """A ModificatorGroup (spec §10.2) with the SDK's extra keys.

    The choices appear twice: as ``modificators`` (the docs) and as ``modifiers`` (what the
    existing Python client's ``ModifierGroup`` reads). ``created_at``/``updated_at`` are
    required by that client's model.
    """
    group = loaded.group
    choices = [present_modificator(m, ingredient) for m, ingredient in loaded.modifiers]
    return {
        "id": group.id,
        "name": group.name,
        "type": group.type,
        "min_select": group.min_select,
        "max_select": group.max_select,
        "adjust_to_portion": group.adjust_to_portion,
        "status": group.status,
        "meta": group.meta or {},
        "pivot": {"product_id": product_id, "group_id": group.id, "position": loaded.position},
        "created_at": plain(group.created_at),
        "updated_at": plain(group.updated_at),
        "modificators": choices,
        "modifiers": choices,
    }


def present_recipe_item(item: RecipeItem, ingredient: Product) -> dict[str, Any]:
    """A RecipeItem: the ingredient product's ``id, type, name, cost_price`` with the
    recipe line's quantities; ``pivot.gross`` is a string as in the docs (spec §10.2).

    ``price`` is included because the existing client parses recipe lines as products.
    """
    return {
        "id": ingredient.id,
        "type": ingredient.type,
        "name": ingredient.name,
        "price": ingredient.price,
        "cost_price": ingredient.cost_price,
        "unit_id": ingredient.unit_id,
        "ingredient_id": ingredient.id,
        "net": item.net,
        "pivot": {
            "product_id": item.product_id,
            "ingredient_id": item.ingredient_id,
            "gross": str(item.gross),
            "net": str(item.net),
        },
    }


def present_product(
    product: Product, relations: ProductRelations, with_: frozenset[str]
) -> dict[str, Any]:
    """The Product object of spec §10.2, plus each relation named in ``with_``.

    Columns give the filterable fields; ``Product.attributes`` the display-only ones.
    Money is the stored ``Decimal`` (written as an exact JSON number).
    """
    attrs: dict[str, Any] = product.attributes or {}
    parent_name = relations.parent_name or ""
    name_with_parent = full_name(product.name, parent_name)
    color = attrs.get("color")
    body: dict[str, Any] = {
        "id": product.id,
        "cid": product.cid,
        "parent_id": product.parent_id,
        "station_id": product.station_id,
        "category_id": product.category_id,
        "unit_id": product.unit_id,
        "net_output": _number(attrs.get("net_output"), 1),
        "type": product.type,
        "name": product.name,
        "parent_name": parent_name,
        "full_name": name_with_parent,
        "image": attrs.get("image"),
        "position": product.position,
        "barcode": product.barcode,
        "gov_code": product.gov_code,
        "status": product.status,
        "hidden": 1 if product.hidden else 0,
        "sold_by_weight": product.sold_by_weight,
        "sold_by_portion": product.sold_by_portion,
        "max_age": product.max_age,
        "discountable": product.discountable,
        "giftable": product.giftable,
        "has_modifications": relations.has_variants,
        "meta": attrs.get("meta") or {},
        "setting": present_setting(attrs.get("setting")),
        "emenu_category_id": attrs.get("emenu_category_id"),
        "emenu_position": attrs.get("emenu_position"),
        "emenu_hidden": bool(attrs.get("emenu_hidden", False)),
        "accounting_category_id": attrs.get("accounting_category_id"),
        "description": product.description,
        "price": product.price,
        "cost_price": product.cost_price,
        "markup_rate": markup_rate(product.price, product.cost_price),
        "cooking_time": product.cooking_time,
        "ignore_service_charge": product.ignore_service_charge,
        "inventory_behavior": product.inventory_behavior,
        "low_stock": _number(attrs.get("low_stock"), 0),
        "unit_weight": _number(attrs.get("unit_weight"), 0),
        "name_slug": attrs.get("name_slug") or slugify(product.name),
        "slug": attrs.get("slug") or slugify(name_with_parent),
        "gross_margin": gross_margin(product.price, product.cost_price),
        # spec §10.2: hex without '#'
        "color": color.lstrip("#") if isinstance(color, str) else None,
        "is_inventory_behavior_changeable": bool(
            attrs.get("is_inventory_behavior_changeable", True)
        ),
        "venues": list(attrs.get("venues") or []),
        "media": list(attrs.get("media") or []),
        "created_at": plain(product.created_at),
        "updated_at": plain(product.updated_at),
        "deleted_at": plain(product.deleted_at),
    }
    if "category" in with_:
        body["category"] = present_category(relations.category) if relations.category else None
    if "station" in with_:
        body["station"] = present_station(relations.station) if relations.station else None
    if "unit" in with_:
        body["unit"] = present_unit(relations.unit)
    if "taxes" in with_:
        body["taxes"] = [present_tax(t) for t in relations.taxes]
    if "tags" in with_:
        body["tags"] = [present_tag(t) for t in relations.tags]
    if "codes" in with_:
        body["codes"] = present_codes(product)
    if "modifications" in with_:
        # Variants carry the full product schema (spec §10.2), their own codes on request.
        variant_with = frozenset({"codes"}) if "modifications.codes" in with_ else frozenset()
        body["modifications"] = [
            present_product(v, ProductRelations(parent_name=product.name), variant_with)
            for v in relations.variants
        ]
    if "modificator_groups" in with_:
        body["modificator_groups"] = [
            present_modificator_group(g, product.id) for g in relations.groups
        ]
    if "recipe" in with_:
        body["recipe"] = [present_recipe_item(i, ing) for i, ing in relations.recipe]
    if "packages" in with_:
        body["packages"] = [present_package(p) for p in relations.packages]
    return body


# The keys of a product object without relations, in wire order (spec §10.2). ``selects``
# may name these or a relation; tests check the presenter emits exactly these keys.
BASE_FIELDS = (
    "id",
    "cid",
    "parent_id",
    "station_id",
    "category_id",
    "unit_id",
    "net_output",
    "type",
    "name",
    "parent_name",
    "full_name",
    "image",
    "position",
    "barcode",
    "gov_code",
    "status",
    "hidden",
    "sold_by_weight",
    "sold_by_portion",
    "max_age",
    "discountable",
    "giftable",
    "has_modifications",
    "meta",
    "setting",
    "emenu_category_id",
    "emenu_position",
    "emenu_hidden",
    "accounting_category_id",
    "description",
    "price",
    "cost_price",
    "markup_rate",
    "cooking_time",
    "ignore_service_charge",
    "inventory_behavior",
    "low_stock",
    "unit_weight",
    "name_slug",
    "slug",
    "gross_margin",
    "color",
    "is_inventory_behavior_changeable",
    "venues",
    "media",
    "created_at",
    "updated_at",
    "deleted_at",
)
PRODUCT_FIELDS = frozenset(BASE_FIELDS) | {r for r in WITH_RELATIONS if "." not in r}
