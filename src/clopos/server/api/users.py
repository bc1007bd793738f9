"""``GET /users`` and ``GET /users/{id}`` — the brand's staff accounts (spec §9.2, §9.3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, select

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params
from clopos.server.domain.query import LimitRule, Sort, parse_list_query, path_id
from clopos.server.domain.timestamps import iso_micro
from clopos.server.errors import ResourceNotFound
from clopos.server.responses import respond
from clopos.server.store.models import User
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

# The docs give no bound for users; the existing client's 1–100 is used (spec §4.2).
LIMITS = LimitRule(default=50, maximum=100)
SORTS = ("id", "username", "created_at", "updated_at")
_SORT_COLUMNS = {
    "id": User.id,
    "username": User.username,
    "created_at": User.created_at,
    "updated_at": User.updated_at,
}
# Ids are 32-bit integers in the store; a larger number cannot name a user (404, not a 500).


def present_user(user: User) -> dict[str, Any]:
    """The full user object of spec §9.2 (the reduced v2 form is a subset of it)."""
    return {
        "id": user.id,
        "email": user.email,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "pin": user.pin,
        "card": user.card,
        "mobile_number": user.mobile_number,
        "owner": user.owner,
        "hide": user.hide,
        "salary": user.salary,
        "barcode": user.barcode,
        "tip_message": user.tip_message,
        "can_receive_tips": user.can_receive_tips,
        "login_at": iso_micro(user.login_at),
        "status": user.status,
        "bonus_balance_id": user.bonus_balance_id,
        "created_at": iso_micro(user.created_at),
        "updated_at": iso_micro(user.updated_at),
        "deleted_at": iso_micro(user.deleted_at),
        "properties": user.properties if user.properties is not None else [],
        # The store keeps no user images; the docs show the key as nullable.
        "image": None,
    }


def _visible_users(brand_id: int) -> Select[User]:
    """The brand's users that are not soft-deleted."""
    return select(User).where(User.brand_id == brand_id, User.deleted_at.is_(None))


@router.get(
    "/users",
    summary="List users",
    openapi_extra=list_params(LIMITS, sorts=SORTS),
)
async def list_users(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Staff accounts of the caller's brand, by id ascending unless ``sort[0]`` says otherwise."""
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
        _visible_users(caller.brand_id),
        query,
        order_by=[column.asc() if sort.direction == 1 else column.desc(), User.id.asc()],
    )
    return respond(request, [present_user(u) for u in rows], total=total, sorts=SORTS)


@router.get("/users/{user_id}", summary="Get a user")
async def get_user(
    user_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One staff account of the caller's brand; 404 ``resource_not_found`` otherwise."""
    user = None
    number = path_id(user_id)
    if number is not None:
        user = await session.scalar(_visible_users(caller.brand_id).where(User.id == number))
    if user is None:
        raise ResourceNotFound("User not found")
    return respond(request, present_user(user))
