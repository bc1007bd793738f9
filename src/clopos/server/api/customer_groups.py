"""``GET /customer-groups`` — the brand's customer groups (spec §9.7).

``present_group`` is also used by ``GET /customers?with[]=group`` (spec §9.4).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Numeric, cast, select

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params
from clopos.server.domain.query import LimitRule, Sort, parse_list_query
from clopos.server.domain.timestamps import iso_micro
from clopos.server.responses import respond
from clopos.server.store.models import CustomerGroup
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=200)  # spec §9.7: 1–200, default 50
# Exactly the list of the docs' example response (spec §9.7).
SORTS = (
    "id",
    "name",
    "discount_type",
    "discount_value",
    "total_amount",
    "created_at",
    "updated_at",
    "deleted_at",
)
_SORT_COLUMNS = {
    "id": CustomerGroup.id,
    "name": CustomerGroup.name,
    "discount_type": CustomerGroup.discount_type,
    # Money is text on SQLite; the cast makes 100 sort after 25 on both databases.
    "discount_value": cast(CustomerGroup.discount_value, Numeric),
    "total_amount": cast(CustomerGroup.total_amount, Numeric),
    "created_at": CustomerGroup.created_at,
    "updated_at": CustomerGroup.updated_at,
    "deleted_at": CustomerGroup.deleted_at,
}

# The docs type ``discount_type`` as a string (spec §9.7), the existing client parses it as
# the DiscountType enum 0/1/2 (existing-python-client.md §5.2) and rejects words such as
# "PERCENT". A numeric string satisfies both, so stored words are written as their code.
_DISCOUNT_TYPE_CODES = {
    "NONE": "0",
    "PERCENT": "1",
    "PERCENTAGE": "1",
    "FIXED": "2",
    "AMOUNT": "2",
}


def discount_type_code(stored: str | None) -> str | None:
    """``"PERCENT"`` → ``"1"``, ``"FIXED"`` → ``"2"``; codes and ``None`` pass through."""
    if stored is None:
        return None
    return _DISCOUNT_TYPE_CODES.get(stored.strip().upper(), stored)


def present_group(group: CustomerGroup) -> dict[str, Any]:
    """The group object of spec §9.7.

    ``system_type`` is ``""`` for ordinary groups rather than ``null``: the docs allow null,
    but the existing client requires a string (existing-python-client.md §5.1).
    """
    return {
        "id": group.id,
        "name": group.name,
        "discount_type": discount_type_code(group.discount_type),
        "discount_value": group.discount_value,
        "system_type": group.system_type or "",
        "total_amount": group.total_amount,
        "created_at": iso_micro(group.created_at),
        "updated_at": iso_micro(group.updated_at),
        "deleted_at": iso_micro(group.deleted_at),
    }


@router.get(
    "/customer-groups",
    summary="List customer groups",
    openapi_extra=list_params(LIMITS, sorts=SORTS),
)
async def list_customer_groups(
    request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Customer groups of the caller's brand (soft-deleted ones left out), by id ascending."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=Sort("id", 1),
    )
    query.reject_filters()
    sort = query.sort or Sort("id", 1)
    column = _SORT_COLUMNS[sort.field]
    rows, total = await fetch_page(
        session,
        select(CustomerGroup).where(
            CustomerGroup.brand_id == caller.brand_id, CustomerGroup.deleted_at.is_(None)
        ),
        query,
        order_by=[column.asc() if sort.direction == 1 else column.desc(), CustomerGroup.id.asc()],
    )
    return respond(request, [present_group(g) for g in rows], total=total, sorts=SORTS)
