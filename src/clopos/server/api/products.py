"""``GET /products``, ``GET /products/stop-list``, ``GET /products/{id}`` (spec §10.1–§10.3).

The stop-list route is declared first so that ``/products/stop-list`` is not taken for a
product id. Query rules and the product object live in ``domain/products.py``; the SQL in
``store/repositories/products.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.products import (
    PRODUCT_FILTER_FIELDS,
    WITH_RELATIONS,
    check_selects,
    parse_product_filters,
    parse_stop_list_filters,
    pick_fields,
    present_product,
    present_stop_entry,
    requested_relations,
)
from clopos.server.domain.query import (
    LimitRule,
    Nested,
    Sort,
    as_list,
    parse_brackets,
    parse_list_query,
)
from clopos.server.errors import ResourceNotFound
from clopos.server.responses import respond
from clopos.server.store.repositories import products as repo

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=100)  # spec §10.1: max 100
# Whether products are sortable is undocumented (spec §15.11); these are accepted and
# announced in ``sorts``. Catalog order by id is the default, so paging is stable.
SORTS = tuple(repo.SORT_COLUMNS)
DEFAULT_SORT = Sort("id", 1)

_WITH_PARAM = query_param(
    "with[]",
    "Related resources to include (repeatable; `with[0]`, `with[1]` also accepted). "
    "Unknown names are ignored.",
    {"type": "array", "items": {"type": "string", "enum": list(WITH_RELATIONS)}},
)


@router.get(
    "/products/stop-list",
    summary="Stop list (stock limits) of the venue",
    openapi_extra={
        "parameters": [
            query_param(
                "filters[0][0]",
                "`id` (then `filters[0][1][i]` = product ids), or `limit` / `timestamp` "
                "(then `filters[0][1][0]` = from, optional `filters[0][1][1]` = to; "
                "timestamp in Unix ms). Increment the first index for more filters (AND).",
                {"type": "string", "enum": ["id", "limit", "timestamp"]},
            ),
            query_param("filters[0][1][0]", "First value.", {"type": "integer"}),
        ]
    },
)
async def get_stop_list(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Stock limits at the caller's venue (v2: the token's venue or ``x-venue``; v1:
    ``x-venue``). A product that is absent has no limit; ``limit`` 0 means sold out."""
    filters = parse_stop_list_filters(parse_brackets(request.query_params.multi_items()))
    entries = await repo.stop_list_entries(session, caller.brand_id, caller.venue_id, filters)
    data = [present_stop_entry(entry) for entry in entries]
    return respond(request, data, total=len(data))


@router.get(
    "/products",
    summary="List products",
    openapi_extra=list_params(
        LIMITS,
        with_values=WITH_RELATIONS,
        filter_fields=PRODUCT_FILTER_FIELDS,
        sorts=SORTS,
        selects=True,
    ),
)
async def list_products(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Live (not deleted) products of every type, variants included, active or not.

    Also accepts the old client's single JSON-object query key (``?{"page":1,…}=``).
    """
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=DEFAULT_SORT,
    )
    conditions = parse_product_filters(query.filters)
    selects = check_selects(query.selects)
    relations = requested_relations(query.with_)
    rows, total = await repo.list_products(
        session, caller.brand_id, conditions, query, query.sort or DEFAULT_SORT
    )
    loaded = await repo.load_relations(session, caller.brand_id, rows, relations)
    data = [
        pick_fields(present_product(row, loaded[row.id], relations), selects, relations)
        for row in rows
    ]
    return respond(request, data, total=total, sorts=SORTS)


@router.get(
    "/products/{product_id}",
    summary="Get a product by id or cid",
    openapi_extra={"parameters": [_WITH_PARAM]},
)
async def get_product(
    product_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One live product by integer id or ``cid`` UUID; 404 ``resource_not_found``."""
    product = await repo.product_by_ref(session, caller.brand_id, product_id)
    if product is None:
        raise ResourceNotFound("Product not found")
    query = parse_brackets(request.query_params.multi_items())
    relations = requested_relations(_with_values(query))
    loaded = await repo.load_relations(session, caller.brand_id, [product], relations)
    return respond(request, present_product(product, loaded[product.id], relations))


def _with_values(params: Nested) -> list[str]:
    """``with[]``, ``with[N]``, ``with=a,b`` and the old client's ``with_``, flattened."""
    return [
        name
        for key in ("with", "with_")
        for item in as_list(params.get(key))
        if isinstance(item, str)
        for name in item.split(",")
    ]
