"""``GET /venues`` — the brand's branches (spec §9.1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params
from clopos.server.domain.query import LimitRule, Sort, parse_list_query
from clopos.server.responses import respond
from clopos.server.store.models import Venue
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=100)
SORTS = ("id", "name", "created_at", "updated_at")
_SORT_COLUMNS = {
    "id": Venue.id,
    "name": Venue.name,
    "created_at": Venue.created_at,
    "updated_at": Venue.updated_at,
}


def present_venue(venue: Venue) -> dict[str, Any]:
    """The union of the prose and OAS venue objects (spec §9.1, §14.15)."""
    return {
        "id": venue.id,
        "name": venue.name,
        "address": venue.address,
        "status": venue.status,
        "phone": venue.phone,
        "email": venue.email,
        "is_main": venue.is_main,
        "media": venue.media or [],
    }


@router.get("/venues", summary="List venues", openapi_extra=list_params(LIMITS))
async def list_venues(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Active and inactive branches of the caller's brand."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=Sort("id", 1),
    )
    sort = query.sort or Sort("id", 1)
    column = _SORT_COLUMNS[sort.field]
    rows, total = await fetch_page(
        session,
        select(Venue).where(Venue.brand_id == caller.brand_id),
        query,
        order_by=[column.asc() if sort.direction == 1 else column.desc(), Venue.id.asc()],
    )
    return respond(request, [present_venue(v) for v in rows], total=total, sorts=SORTS)
