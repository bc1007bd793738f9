"""``GET /categories`` and ``GET /categories/{id}`` — the category tree (spec §10.4, §10.5).

Without ``parent_id`` the list is the brand's top-level categories (``depth`` 0); with it,
the direct children of that parent. ``page``/``limit``/``total`` count those listed rows
only — nested ``children`` come on top and are never cut by the page size. Rows are in
tree order (``_lft``), the order the POS shows them in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.catalog_wire import present_category
from clopos.server.domain.category_tree import (
    Place,
    TreeNode,
    attach_descendants,
    subtree_span,
)
from clopos.server.domain.query import (
    MAX_ID,
    LimitRule,
    ListQuery,
    as_list,
    id_from_text,
    parse_bool,
    parse_list_query,
    path_id,
)
from clopos.server.errors import InvalidParameter, ResourceNotFound
from clopos.server.responses import respond
from clopos.server.store.models import Category
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=999)
TYPES = ("PRODUCT", "INGREDIENT", "ACCOUNTING")
FILTER_FIELDS = ("type",)

_EXTRA_PARAMS = [
    query_param(
        "parent_id",
        "Only the direct children of this category (default: top-level categories).",
        {"type": "integer", "minimum": 1},
    ),
    query_param("type", "Category type.", {"type": "string", "enum": list(TYPES)}),
    query_param(
        "include_children",
        "Nest each category's sub-categories in `children`, recursively "
        "(false: `children` is left out).",
        {"type": "boolean", "default": True},
    ),
    query_param(
        "include_inactive",
        "Also return inactive (status 0) categories, in the list and inside `children`.",
        {"type": "boolean", "default": False},
    ),
]


@dataclass(frozen=True)
class _Scope:
    """Which categories a request may see: inactive ones? only some types?"""

    include_inactive: bool
    types: frozenset[str] | None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        """Add this scope's conditions to a ``select(Category)``."""
        if not self.include_inactive:
            statement = statement.where(Category.status == 1)
        if self.types is not None:
            statement = statement.where(Category.type.in_(sorted(self.types)))
        return statement


def _place(category: Category) -> Place:
    return Place(category.id, category.parent_id, category.lft, category.rgt)


def present_tree(node: TreeNode[Category]) -> dict[str, Any]:
    """A category with its ``children`` nested recursively."""
    return {**present_category(node.row), "children": [present_tree(c) for c in node.children]}


def _category_types(query: ListQuery) -> frozenset[str] | None:
    """Types asked for by ``type=`` and/or ``filters[N][0]=type`` (both forms, spec §10.4)."""
    for f in query.filters:
        if f.field not in FILTER_FIELDS:
            raise InvalidParameter(
                f"Unknown filter field '{f.field}'; categories can be filtered by: "
                + ", ".join(FILTER_FIELDS),
                details={"parameter": "filters", "provided_value": f.field},
            )
    requested: list[tuple[str, list[Any]]] = []
    plain = query.params.get("type")
    if plain is not None and plain != "":
        requested.append(("type", [plain] if isinstance(plain, str) else as_list(plain)))
    from_filters = query.filter_values("type")
    if from_filters is not None:
        requested.append(("filters[][1]", from_filters))
    types: frozenset[str] | None = None
    for parameter, values in requested:
        # Case-insensitive: "product" is an obvious typo of PRODUCT, not a different type.
        normalized = {v.strip().upper() for v in values if isinstance(v, str)}
        bad = [v for v in values if not isinstance(v, str) or v.strip().upper() not in TYPES]
        if bad or not normalized:
            raise InvalidParameter(
                "The 'type' parameter must be one of: " + ", ".join(TYPES),
                details={"parameter": parameter, "provided_value": bad or values},
            )
        # Both forms given: a category must satisfy both (filters are ANDed, spec §4.3).
        types = frozenset(normalized) if types is None else types & normalized
    return types


def _parent_id(query: ListQuery) -> int | None:
    raw = query.params.get("parent_id")
    if raw is None or raw == "":
        return None
    number = id_from_text(raw) if isinstance(raw, str) else None
    if number is None or number > MAX_ID:
        raise InvalidParameter(
            "The 'parent_id' parameter must be a category id (a positive integer)",
            details={"parameter": "parent_id", "provided_value": raw},
        )
    return number


async def _nest(
    session: AsyncSession, brand_id: int, tops: Sequence[Category], scope: _Scope
) -> list[TreeNode[Category]]:
    """Fetch every visible descendant of ``tops`` in one range query and nest them."""
    span = subtree_span(_place(t) for t in tops)
    if span is None:
        return []
    low, high = span
    statement = select(Category).where(
        Category.brand_id == brand_id, Category.lft > low, Category.lft < high
    )
    descendants = (await session.scalars(scope.apply(statement))).all()
    return attach_descendants(tops, descendants, _place)


@router.get(
    "/categories",
    summary="List categories",
    openapi_extra=list_params(LIMITS, filter_fields=FILTER_FIELDS, extra=_EXTRA_PARAMS),
)
async def list_categories(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Top-level categories (or a parent's children), each with its sub-tree."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    include_children = parse_bool(query.params, "include_children", default=True)
    scope = _Scope(
        include_inactive=parse_bool(query.params, "include_inactive", default=False),
        types=_category_types(query),
    )
    parent_id = _parent_id(query)
    statement = select(Category).where(Category.brand_id == caller.brand_id)
    if parent_id is None:
        statement = statement.where(Category.parent_id.is_(None))
    else:
        statement = statement.where(Category.parent_id == parent_id)
    rows, total = await fetch_page(
        session, scope.apply(statement), query, order_by=[Category.lft.asc(), Category.id.asc()]
    )
    if include_children:
        data = [present_tree(n) for n in await _nest(session, caller.brand_id, rows, scope)]
    else:
        data = [present_category(row) for row in rows]
    return respond(request, data, total=total)


@router.get(
    "/categories/{category_id}",
    summary="Get a category",
    openapi_extra={"parameters": _EXTRA_PARAMS[2:]},
)
async def get_category(
    category_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One category of the caller's brand; 404 ``resource_not_found`` otherwise (§10.5).

    An inactive category is still returned by id; ``include_inactive`` only decides
    whether inactive descendants appear in its ``children``.
    """
    params = dict(request.query_params)
    include_children = parse_bool(params, "include_children", default=True)
    scope = _Scope(
        include_inactive=parse_bool(params, "include_inactive", default=False), types=None
    )
    category = None
    number = path_id(category_id)
    if number is not None:
        category = await session.scalar(
            select(Category).where(Category.id == number, Category.brand_id == caller.brand_id)
        )
    if category is None:
        raise ResourceNotFound("Category not found")
    if not include_children:
        return respond(request, present_category(category))
    (node,) = await _nest(session, caller.brand_id, [category], scope)
    return respond(request, present_tree(node))
