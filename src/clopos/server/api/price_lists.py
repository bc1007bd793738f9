"""``GET /price-lists`` and ``GET /price-lists/prices`` (spec §10.8, §10.9).

Both answer the full envelope with ``total`` **and** the ``pagination`` block the price-list
examples show (``{page, per_page, total, total_pages}``), so clients written against either
shape work (spec §14.7).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.envelope import pagination_block
from clopos.server.domain.query import (
    MAX_ID,
    LimitRule,
    ListQuery,
    Sort,
    id_from_text,
    parse_list_query,
)
from clopos.server.domain.timestamps import iso_micro, plain
from clopos.server.errors import InvalidParameter
from clopos.server.responses import respond
from clopos.server.store.models import Price, PriceList, Product
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=999)
LIST_SORTS = ("id", "name", "created_at")
LIST_WITH = ("prices",)
# ``selects`` picks among these; id and name are always returned (spec §10.8).
LIST_FIELDS = ("id", "name", "description", "status", "created_at", "updated_at")
PRICE_FILTERS = ("id", "product_id", "list_id")
PRICE_WITH = ("product", "list")
# The price-list pages document their own sort syntax (spec §4.3, §14.10); the common
# ``sort[0]=name&sort[1]=1`` form is accepted too.
_LIST_SORT_PARAMS = [
    query_param(
        "sort[0][0]",
        "Sort field (price-list syntax).",
        {"type": "string", "enum": list(LIST_SORTS)},
    ),
    query_param("sort[0][1]", "Sort direction.", {"type": "string", "enum": ["asc", "desc"]}),
]
_SORT_COLUMNS = {"id": PriceList.id, "name": PriceList.name, "created_at": PriceList.created_at}


def present_price_list(price_list: PriceList) -> dict[str, Any]:
    """A PriceList without ``prices`` (spec §10.8)."""
    return {
        "id": price_list.id,
        "name": price_list.name,
        "description": price_list.description,
        "status": price_list.status,
        "created_at": iso_micro(price_list.created_at),
        "updated_at": iso_micro(price_list.updated_at),
    }


def present_price(price: Price) -> dict[str, Any]:
    """A Price row: the amount exactly as stored (spec §4.5)."""
    return {
        "id": price.id,
        "list_id": price.list_id,
        "product_id": price.product_id,
        "price": price.price,
    }


def present_product_summary(product: Product) -> dict[str, Any]:
    """The compact product shown under ``with[]=product``: what a price needs to be read.

    The full product object belongs to ``GET /products/{id}``; timestamps use the product
    format ``YYYY-MM-DD HH:mm:ss`` (spec §4.4).
    """
    return {
        "id": product.id,
        "parent_id": product.parent_id,
        "category_id": product.category_id,
        "station_id": product.station_id,
        "type": product.type,
        "name": product.name,
        "price": product.price,
        "cost_price": product.cost_price,
        "status": product.status,
        "created_at": plain(product.created_at),
        "updated_at": plain(product.updated_at),
    }


def _check_with(query: ListQuery, allowed: Sequence[str]) -> None:
    unknown = [w for w in query.with_ if w not in allowed]
    if unknown:
        raise InvalidParameter(
            f"Unknown with[] value '{unknown[0]}'; allowed: " + ", ".join(allowed),
            details={"parameter": "with", "provided_value": unknown},
        )


def _selected_fields(query: ListQuery) -> list[str] | None:
    """The ``selects`` fields (id and name forced), or ``None`` for every field."""
    if query.selects is None:
        return None
    unknown = [f for f in query.selects if f not in LIST_FIELDS]
    if unknown:
        raise InvalidParameter(
            f"Unknown field '{unknown[0]}' in selects; allowed: " + ", ".join(LIST_FIELDS),
            details={"parameter": "selects", "provided_value": unknown},
        )
    return [f for f in LIST_FIELDS if f in {"id", "name", *query.selects}]


def _id_values(name: str, values: Iterable[str]) -> list[int]:
    ids: list[int] = []
    for value in values:
        number = id_from_text(value)
        if number is None or number > MAX_ID:
            raise InvalidParameter(
                f"Filter '{name}' needs integer ids",
                details={"parameter": "filters", "field": name, "provided_value": value},
            )
        ids.append(number)
    return ids


async def _prices_by_list(
    session: AsyncSession, brand_id: int, list_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {list_id: [] for list_id in list_ids}
    if not list_ids:
        return grouped
    rows = await session.scalars(
        select(Price)
        .where(Price.brand_id == brand_id, Price.list_id.in_(list_ids))
        .order_by(Price.id)
    )
    for price in rows:
        grouped[price.list_id].append(present_price(price))
    return grouped


@router.get(
    "/price-lists",
    summary="List price lists",
    openapi_extra=list_params(
        LIMITS, with_values=LIST_WITH, sorts=LIST_SORTS, selects=True, extra=_LIST_SORT_PARAMS
    ),
)
async def list_price_lists(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Price lists; ``sort[0][0]=name&sort[0][1]=asc`` or ``sort[0]=name&sort[1]=1``."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=LIST_SORTS,
        default_sort=Sort("id", 1),
    )
    _check_with(query, LIST_WITH)
    if query.filters:
        raise InvalidParameter(
            "Price lists cannot be filtered; use GET /price-lists/prices to filter prices",
            details={"parameter": "filters"},
        )
    fields = _selected_fields(query)
    sort = query.sort or Sort("id", 1)
    column = _SORT_COLUMNS[sort.field]
    rows, total = await fetch_page(
        session,
        select(PriceList).where(PriceList.brand_id == caller.brand_id),
        query,
        order_by=[column.asc() if sort.direction == 1 else column.desc(), PriceList.id.asc()],
    )
    data = [present_price_list(row) for row in rows]
    if fields is not None:
        data = [{k: item[k] for k in fields} for item in data]
    if query.has_with("prices"):
        prices = await _prices_by_list(session, caller.brand_id, [row.id for row in rows])
        for item, row in zip(data, rows, strict=True):
            item["prices"] = prices[row.id]
    return respond(
        request,
        data,
        total=total,
        sorts=LIST_SORTS,
        extra={"pagination": pagination_block(page=query.page, per_page=query.limit, total=total)},
    )


@router.get(
    "/price-lists/prices",
    summary="List prices",
    openapi_extra=list_params(LIMITS, with_values=PRICE_WITH, filter_fields=PRICE_FILTERS),
)
async def list_prices(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Prices across the brand's lists, filtered by ``id``, ``product_id``, ``list_id``."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    _check_with(query, PRICE_WITH)
    statement = select(Price).where(Price.brand_id == caller.brand_id)
    columns = {"id": Price.id, "product_id": Price.product_id, "list_id": Price.list_id}
    for f in query.filters:
        if f.field not in columns:
            raise InvalidParameter(
                f"Unknown filter field '{f.field}'; prices can be filtered by: "
                + ", ".join(PRICE_FILTERS),
                details={"parameter": "filters", "provided_value": f.field},
            )
        statement = statement.where(columns[f.field].in_(_id_values(f.field, f.values())))
    rows, total = await fetch_page(session, statement, query, order_by=[Price.id.asc()])
    data = [present_price(row) for row in rows]
    if query.has_with("product"):
        product_ids = sorted({row.product_id for row in rows})
        products = {
            p.id: present_product_summary(p)
            for p in await session.scalars(
                select(Product).where(
                    Product.brand_id == caller.brand_id, Product.id.in_(product_ids)
                )
            )
        }
        for item in data:
            item["product"] = products.get(item["product_id"])
    if query.has_with("list"):
        list_ids = sorted({row.list_id for row in rows})
        lists = {
            pl.id: present_price_list(pl)
            for pl in await session.scalars(
                select(PriceList).where(
                    PriceList.brand_id == caller.brand_id, PriceList.id.in_(list_ids)
                )
            )
        }
        for item in data:
            item["list"] = lists.get(item["list_id"])
    return respond(
        request,
        data,
        total=total,
        extra={"pagination": pagination_block(page=query.page, per_page=query.limit, total=total)},
    )
