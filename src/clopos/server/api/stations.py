"""``GET /stations`` and ``GET /stations/{id}`` — preparation stations (spec §10.6, §10.7)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.catalog_wire import present_station
from clopos.server.domain.query import LimitRule, parse_bool, parse_list_query, path_id
from clopos.server.errors import InvalidParameter, ResourceNotFound
from clopos.server.responses import respond
from clopos.server.store.models import Station
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=200)

_EXTRA_PARAMS = [
    query_param("status", "1 active, 0 inactive.", {"type": "integer", "enum": [1, 0]}),
    query_param(
        "can_print",
        "true: only stations that print tickets (`printable` 1); false: screen-only ones.",
        {"type": "boolean"},
    ),
]


@router.get(
    "/stations",
    summary="List stations",
    openapi_extra=list_params(LIMITS, extra=_EXTRA_PARAMS),
)
async def list_stations(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """The brand's stations, optionally only active/inactive or printing/screen-only ones."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    statement = select(Station).where(Station.brand_id == caller.brand_id)
    status = query.params.get("status")
    if status is not None and status != "":
        if not isinstance(status, str) or status.strip() not in {"0", "1"}:
            raise InvalidParameter(
                "The 'status' parameter must be 1 (active) or 0 (inactive)",
                details={"parameter": "status", "provided_value": status},
            )
        statement = statement.where(Station.status == int(status))
    if query.params.get("can_print") not in (None, ""):
        printable = parse_bool(query.params, "can_print", default=True)
        statement = statement.where(Station.printable == (1 if printable else 0))
    rows, total = await fetch_page(session, statement, query, order_by=[Station.id.asc()])
    return respond(request, [present_station(s) for s in rows], total=total)


@router.get("/stations/{station_id}", summary="Get a station")
async def get_station(
    station_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One station of the caller's brand; 404 ``resource_not_found`` otherwise (§10.7)."""
    station = None
    number = path_id(station_id)
    if number is not None:
        station = await session.scalar(
            select(Station).where(Station.id == number, Station.brand_id == caller.brand_id)
        )
    if station is None:
        raise ResourceNotFound("Station not found")
    return respond(request, present_station(station))
