"""Products and the stop list: brand-scoped queries (spec §10.1–§10.3).

Relations of a page are loaded with one query per relation for the whole page, never one
per product, so a page of 100 products costs the same number of queries as a page of 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Numeric, Select, and_, cast, exists, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from clopos.server.domain.products import (
    LoadedGroup,
    ProductCondition,
    ProductRelations,
    StopListFilters,
    millis_to_datetime,
)
from clopos.server.domain.query import MAX_ID, ListQuery, Sort, id_from_text
from clopos.server.store.models import (
    Category,
    Modifier,
    ModifierGroup,
    Package,
    Product,
    ProductModifierGroup,
    ProductTag,
    ProductTax,
    RecipeItem,
    Station,
    StopListEntry,
    Tag,
    Tax,
    Unit,
)
from clopos.server.store.repositories.paging import fetch_page

SORT_COLUMNS: dict[str, Any] = {
    "id": Product.id,
    "name": Product.name,
    # SQLite keeps Money as text (store/types.py); the cast makes "13.80" sort above "9.90".
    "price": cast(Product.price, Numeric),
    "position": Product.position,
    "created_at": Product.created_at,
    "updated_at": Product.updated_at,
}


def _live(brand_id: int) -> ColumnElement[bool]:
    """Products of the brand that are not deleted (deleted ones are never shown)."""
    return and_(Product.brand_id == brand_id, Product.deleted_at.is_(None))


def _has_variants() -> ColumnElement[bool]:
    variant = aliased(Product)
    return exists().where(variant.parent_id == Product.id, variant.deleted_at.is_(None))


def _condition(condition: ProductCondition) -> ColumnElement[bool]:
    """The SQL for one typed filter tuple."""
    name = condition.field
    columns: dict[str, Any] = {
        "id": Product.id,
        "parent_id": Product.parent_id,
        "category_id": Product.category_id,
        "station_id": Product.station_id,
        "inventory_behavior": Product.inventory_behavior,
        "status": Product.status,
    }
    if name == "type":
        return Product.type.in_(condition.words)
    if name in columns:
        column: ColumnElement[Any] = columns[name]
        return column.in_(condition.numbers)
    if name == "tags":
        return exists().where(
            ProductTag.product_id == Product.id, ProductTag.tag_id.in_(condition.numbers)
        )
    wanted = bool(condition.flag)
    if name in ("giftable", "discountable", "sold_by_portion"):
        flag_column: ColumnElement[bool] = getattr(Product, name)
        return flag_column == wanted
    if name == "has_service_charge":
        # "has service charge" = the product does not opt out of it (docs/decisions.md).
        return Product.ignore_service_charge == (not wanted)
    if name == "has_barcode":
        present = and_(Product.barcode.is_not(None), Product.barcode != "")
        return present if wanted else not_(present)
    found: ColumnElement[bool]
    if name == "have_ingredients":
        found = exists().where(RecipeItem.product_id == Product.id)
    elif name == "has_variants":
        found = _has_variants()
    elif name == "has_modifiers":
        found = exists().where(ProductModifierGroup.product_id == Product.id)
    else:  # pragma: no cover - parse_product_filters only lets known fields through
        raise ValueError(f"unknown product filter {name!r}")
    return found if wanted else not_(found)


async def list_products(
    session: AsyncSession,
    brand_id: int,
    conditions: Sequence[ProductCondition],
    query: ListQuery,
    sort: Sort,
) -> tuple[list[Product], int]:
    """One page of the brand's live products matching every condition, and the total."""
    statement: Select[Any] = select(Product).where(_live(brand_id))
    for condition in conditions:
        statement = statement.where(_condition(condition))
    column = SORT_COLUMNS[sort.field]
    ordered = column.asc() if sort.direction == 1 else column.desc()
    # NULL positions sort last on both databases; id breaks ties so pages never overlap.
    order_by = [ordered, Product.id.asc()]
    if sort.field == "position":
        order_by.insert(0, Product.position.is_(None))
    return await fetch_page(session, statement, query, order_by=order_by)


async def product_by_ref(session: AsyncSession, brand_id: int, ref: str) -> Product | None:
    """A live product by integer ``id`` or by ``cid`` UUID (spec §10.2), else ``None``."""
    text = ref.strip()
    number = id_from_text(text)
    if number is not None:
        if number > MAX_ID:
            return None
        match: ColumnElement[bool] = Product.id == number
    elif "\x00" in text:  # PostgreSQL text cannot hold NUL; no cid contains one
        return None
    else:
        match = Product.cid == text
    return await session.scalar(select(Product).where(_live(brand_id), match))


async def load_relations(
    session: AsyncSession,
    brand_id: int,
    products: Sequence[Product],
    with_: frozenset[str],
) -> dict[int, ProductRelations]:
    """What each product needs besides its own row: parent name, variant flag and the
    relations named in ``with_``. One query per relation for the whole list."""
    loaded = {p.id: ProductRelations() for p in products}
    if not products:
        return loaded
    ids = list(loaded)

    parent_ids = {p.parent_id for p in products if p.parent_id is not None}
    if parent_ids:
        parent_rows = await session.execute(
            select(Product.id, Product.name).where(
                Product.brand_id == brand_id, Product.id.in_(parent_ids)
            )
        )
        names = {parent_id: name for parent_id, name in parent_rows}
        for p in products:
            if p.parent_id is not None:
                loaded[p.id].parent_name = names.get(p.parent_id, "")

    variants = (
        await session.scalars(
            select(Product)
            .where(_live(brand_id), Product.parent_id.in_(ids))
            .order_by(Product.parent_id, Product.position.is_(None), Product.position, Product.id)
        )
    ).all()
    for variant in variants:
        assert variant.parent_id is not None
        loaded[variant.parent_id].has_variants = True
        if "modifications" in with_:
            loaded[variant.parent_id].variants.append(variant)

    if "category" in with_:
        categories = await _by_id(
            session, brand_id, Category, {p.category_id for p in products if p.category_id}
        )
        for p in products:
            loaded[p.id].category = categories.get(p.category_id or 0)
    if "station" in with_:
        stations = await _by_id(
            session, brand_id, Station, {p.station_id for p in products if p.station_id}
        )
        for p in products:
            loaded[p.id].station = stations.get(p.station_id or 0)
    if "unit" in with_:
        units = await _by_id(session, brand_id, Unit, {p.unit_id for p in products if p.unit_id})
        for p in products:
            loaded[p.id].unit = units.get(p.unit_id or 0)
    if "taxes" in with_:
        tax_rows = await session.execute(
            select(ProductTax.product_id, Tax)
            .join(Tax, Tax.id == ProductTax.tax_id)
            .where(ProductTax.product_id.in_(ids), Tax.brand_id == brand_id)
            .order_by(Tax.id)
        )
        for product_id, tax in tax_rows:
            loaded[product_id].taxes.append(tax)
    if "tags" in with_:
        tag_rows = await session.execute(
            select(ProductTag.product_id, Tag)
            .join(Tag, Tag.id == ProductTag.tag_id)
            .where(ProductTag.product_id.in_(ids), Tag.brand_id == brand_id)
            .order_by(Tag.id)
        )
        for product_id, tag in tag_rows:
            loaded[product_id].tags.append(tag)
    if "modificator_groups" in with_:
        await _load_groups(session, brand_id, ids, loaded)
    if "recipe" in with_:
        ingredient = aliased(Product)
        recipe_rows = await session.execute(
            select(RecipeItem, ingredient)
            .join(ingredient, ingredient.id == RecipeItem.ingredient_id)
            .where(RecipeItem.product_id.in_(ids), RecipeItem.brand_id == brand_id)
            .order_by(RecipeItem.id)
        )
        for item, ingredient_row in recipe_rows:
            loaded[item.product_id].recipe.append((item, ingredient_row))
    if "packages" in with_:
        packages = await session.scalars(
            select(Package)
            .where(Package.product_id.in_(ids), Package.brand_id == brand_id)
            .order_by(Package.id)
        )
        for package in packages:
            loaded[package.product_id].packages.append(package)
    return loaded


_Row = TypeVar("_Row", Category, Station, Unit)


async def _by_id(
    session: AsyncSession, brand_id: int, model: type[_Row], ids: set[int]
) -> dict[int, _Row]:
    """Rows of a to-one relation (category, station, unit) for a whole page, in one query."""
    if not ids:
        return {}
    rows = await session.scalars(select(model).where(model.brand_id == brand_id, model.id.in_(ids)))
    return {row.id: row for row in rows}


async def _load_groups(
    session: AsyncSession, brand_id: int, ids: list[int], loaded: dict[int, ProductRelations]
) -> None:
    """Modifier groups of the products, their choices, and the choices' ingredients."""
    link_rows = await session.execute(
        select(ProductModifierGroup.product_id, ProductModifierGroup.position, ModifierGroup)
        .join(ModifierGroup, ModifierGroup.id == ProductModifierGroup.group_id)
        .where(ProductModifierGroup.product_id.in_(ids), ModifierGroup.brand_id == brand_id)
        .order_by(ProductModifierGroup.product_id, ProductModifierGroup.position)
    )
    links = list(link_rows)
    if not links:
        return
    group_ids = {group.id for _pid, _pos, group in links}
    modifiers = list(
        (
            await session.scalars(
                select(Modifier)
                .where(Modifier.group_id.in_(group_ids), Modifier.brand_id == brand_id)
                .order_by(Modifier.group_id, Modifier.position, Modifier.id)
            )
        ).all()
    )
    ingredient_ids = {m.ingredient_id for m in modifiers if m.ingredient_id is not None}
    ingredients: dict[int, Product] = {}
    if ingredient_ids:
        ingredients = {
            p.id: p
            for p in await session.scalars(
                select(Product).where(Product.brand_id == brand_id, Product.id.in_(ingredient_ids))
            )
        }
    choices: dict[int, list[tuple[Modifier, Product | None]]] = {gid: [] for gid in group_ids}
    for modifier in modifiers:
        ingredient = ingredients.get(modifier.ingredient_id) if modifier.ingredient_id else None
        choices[modifier.group_id].append((modifier, ingredient))
    for product_id, position, group in links:
        loaded[product_id].groups.append(LoadedGroup(group, position, choices[group.id]))


async def stop_list_entries(
    session: AsyncSession, brand_id: int, venue_id: int, filters: StopListFilters
) -> list[StopListEntry]:
    """The venue's stop-list entries of live products, by product id (spec §10.3)."""
    statement = (
        select(StopListEntry)
        .join(Product, Product.id == StopListEntry.product_id)
        .where(
            StopListEntry.brand_id == brand_id,
            StopListEntry.venue_id == venue_id,
            _live(brand_id),
        )
        .order_by(StopListEntry.product_id)
    )
    for product_ids in filters.product_ids:
        statement = statement.where(StopListEntry.product_id.in_(product_ids))
    for low, high in filters.limit_ranges:
        statement = statement.where(StopListEntry.limit >= low)
        if high is not None:
            statement = statement.where(StopListEntry.limit <= high)
    for low, high in filters.timestamp_ranges:
        # Stored times keep microseconds; a whole millisecond matches inclusively.
        statement = statement.where(StopListEntry.updated_at >= millis_to_datetime(low))
        if high is not None:
            upper = millis_to_datetime(high) + timedelta(milliseconds=1)
            statement = statement.where(StopListEntry.updated_at < upper)
    return list((await session.scalars(statement)).all())
