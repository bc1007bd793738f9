"""``GET /customers``, ``GET /customers/{id}``, ``POST /customers`` (spec §9.4–§9.6)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Numeric, cast
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.models.customers import CustomerCreate
from clopos.server.api.customer_groups import present_group
from clopos.server.api.deps import Caller, CallerDep, SessionDep
from clopos.server.api.params import list_params, query_param
from clopos.server.domain.envelope import pagination_block
from clopos.server.domain.query import MAX_ID, LimitRule, ListQuery, Sort, parse_list_query, path_id
from clopos.server.domain.timestamps import day, iso_micro, plain
from clopos.server.errors import Conflict, InvalidParameter, ResourceNotFound, ValidationFailed
from clopos.server.events.outbox import record_event
from clopos.server.events.types import CUSTOMER_CREATED
from clopos.server.idempotency import header_parameter as idempotency_header
from clopos.server.idempotency import idempotent
from clopos.server.responses import respond
from clopos.server.store.models import Balance, Customer
from clopos.server.store.repositories import customers as repo
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=999)  # spec §9.4 (v2): 1–999, default 50
WITH_VALUES = ("group", "balance", "cashback_balance")
FILTER_FIELDS = ("name", "phones", "group_id")
# The docs list no customer sorts; these are the columns an integrator would page by.
SORTS = ("id", "name", "spent", "receipt_count", "created_at", "updated_at")
_SORT_COLUMNS = {
    "id": Customer.id,
    "name": Customer.name,
    # Money is text on SQLite; the cast makes 100 sort after 25 on both databases.
    "spent": cast(Customer.spent, Numeric),
    "receipt_count": Customer.receipt_count,
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
}


# --- presenters ---------------------------------------------------------------------------


def present_balance(balance: Balance) -> dict[str, Any]:
    """The Balance object of spec §9.4 (store credit, cashback, cash drawer, card)."""
    return {
        "id": balance.id,
        "system_type": balance.system_type,
        "venue_id": balance.venue_id,
        "name": balance.name,
        "description": balance.description,
        "type": balance.type,
        "amount": balance.amount,
        "position": balance.position,
        "created_at": iso_micro(balance.created_at),
        "updated_at": iso_micro(balance.updated_at),
        "deleted_at": iso_micro(balance.deleted_at),
    }


def present_customer(
    customer: Customer, embedded: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Every field of the customer object (spec §9.4), plus the relations in ``embedded``.

    ``embedded`` maps a ``with[]`` name (``group``, ``balance``, ``cashback_balance``) to the
    already-presented object or ``None``; relations not asked for are left out, as Laravel
    leaves out relations it did not load.
    """
    body: dict[str, Any] = {
        "id": customer.id,
        "cid": customer.cid,
        "venue_id": customer.venue_id,
        "group_id": customer.group_id,
        "balance_id": customer.balance_id,
        "name": customer.name,
        "discount": customer.discount,
        "email": customer.email,
        "phone": customer.phone,
        "phones": list(customer.phones or []),
        "address": customer.address,
        "addresses": list(customer.addresses or []),
        "address_data": customer.address_data,
        "description": customer.description,
        "bonus_balance_id": customer.bonus_balance_id,
        "cashback_balance_id": customer.cashback_balance_id,
        "spent": customer.spent,
        "total_discount": customer.total_discount,
        "total_bonus": customer.total_bonus,
        "receipt_count": customer.receipt_count,
        "gender": customer.gender,
        "date_of_birth": day(customer.date_of_birth),
        "code": customer.code,
        "source": customer.source,
        "reference_id": customer.reference_id,
        "phone_verified_at": plain(customer.phone_verified_at),
        "status": customer.status,
        "can_use_loyalty_system": customer.can_use_loyalty_system,
        "is_verified": customer.is_verified,
        "created_at": iso_micro(customer.created_at),
        "updated_at": iso_micro(customer.updated_at),
        "deleted_at": iso_micro(customer.deleted_at),
    }
    if embedded:
        body.update(embedded)
    return body


async def _present_all(
    session: AsyncSession, brand_id: int, customers: list[Customer], withs: list[str]
) -> list[dict[str, Any]]:
    """Present ``customers`` with the requested relations, loaded in one query per kind."""
    groups = (
        await repo.groups_by_id(session, brand_id, (c.group_id for c in customers))
        if "group" in withs
        else {}
    )
    balance_ids: list[int | None] = []
    if "balance" in withs:
        balance_ids += [c.balance_id for c in customers]
    if "cashback_balance" in withs:
        balance_ids += [c.cashback_balance_id for c in customers]
    balances = await repo.balances_by_id(session, brand_id, balance_ids)

    def embedded(customer: Customer) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if "group" in withs:
            group = groups.get(customer.group_id)
            found["group"] = present_group(group) if group else None
        for relation, balance_id in (
            ("balance", customer.balance_id),
            ("cashback_balance", customer.cashback_balance_id),
        ):
            if relation in withs:
                balance = balances.get(balance_id) if balance_id is not None else None
                found[relation] = present_balance(balance) if balance else None
        return found

    return [present_customer(c, embedded(c)) for c in customers]


# --- query reading ------------------------------------------------------------------------


def _withs(query: ListQuery) -> list[str]:
    """The requested relations; an unknown one is a 400 rather than silently dropped."""
    for name in query.with_:
        if name not in WITH_VALUES:
            raise InvalidParameter(
                f"Unknown relation in with[]: {name!r}; use one of {', '.join(WITH_VALUES)}",
                details={"parameter": "with", "provided_value": name},
            )
    return query.with_


def _invalid_filter(index: int, value: Any, hint: str) -> InvalidParameter:
    return InvalidParameter(
        "Invalid filter parameters",
        details={"parameter": f"filters[{index}]", "provided_value": value, "hint": hint},
    )


def _customer_filters(query: ListQuery) -> repo.CustomerFilters:
    """``filters[N]`` on ``name``/``phones``/``group_id`` plus ``search`` (spec §9.4)."""
    names: list[list[str]] = []
    digits: list[list[str]] = []
    group_ids: list[list[int]] = []
    for index, item in enumerate(query.filters):
        values = item.values()
        if item.field == "name":
            names.append(values)
        elif item.field == "phones":
            found = [repo.phone_digits(v) for v in values]
            if not found or not all(found):
                raise _invalid_filter(index, item.value, "a phones filter needs digits")
            digits.append(found)
        elif item.field == "group_id":
            if not values or not all(
                re.fullmatch(r"\d+", v.strip()) and int(v) <= MAX_ID for v in values
            ):
                raise _invalid_filter(index, item.value, "group_id takes integer ids")
            group_ids.append([int(v) for v in values])
        else:
            raise _invalid_filter(
                index, item.field, f"filter fields are {', '.join(FILTER_FIELDS)}"
            )
    # The v1 docs have ``search`` (name or email); v2 dropped it from the docs, but a v2
    # caller who sends it means it, so it is honoured on both prefixes (docs/decisions.md).
    search = (query.scalar("search") or "").strip() or None
    return repo.CustomerFilters(
        names=names, phone_digits=digits, group_ids=group_ids, search=search
    )


# --- routes -------------------------------------------------------------------------------


@router.get(
    "/customers",
    summary="List customers",
    openapi_extra=list_params(
        LIMITS,
        with_values=WITH_VALUES,
        filter_fields=FILTER_FIELDS,
        sorts=SORTS,
        extra=[
            query_param(
                "search",
                "Partial, case-insensitive match on name or email (v1 docs; honoured on v2 too).",
                {"type": "string"},
            )
        ],
    ),
)
async def list_customers(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Customers of the caller's brand, by id ascending unless ``sort[0]`` says otherwise."""
    query = parse_list_query(
        request.query_params.multi_items(),
        limit_rule=LIMITS,
        sortable=SORTS,
        default_sort=Sort("id", 1),
    )
    withs = _withs(query)
    filters = _customer_filters(query)
    sort = query.sort or Sort("id", 1)
    column = _SORT_COLUMNS[sort.field]
    rows, total = await fetch_page(
        session,
        repo.customers_query(caller.brand_id, filters),
        query,
        order_by=[column.asc() if sort.direction == 1 else column.desc(), Customer.id.asc()],
    )
    data = await _present_all(session, caller.brand_id, rows, withs)
    # The v2 OAS shows a ``pagination`` block for customers (spec §4.1); both are sent.
    pagination = pagination_block(page=query.page, per_page=query.limit, total=total)
    return respond(request, data, total=total, sorts=SORTS, extra={"pagination": pagination})


@router.get(
    "/customers/{customer_id}",
    summary="Get a customer",
    openapi_extra={
        "parameters": [
            query_param(
                "with[]",
                "Related resources to include (repeatable).",
                {"type": "array", "items": {"type": "string", "enum": list(WITH_VALUES)}},
            )
        ]
    },
)
async def get_customer(
    customer_id: str, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """One customer of the caller's brand (``with[]`` accepted); 404 ``resource_not_found``."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    withs = _withs(query)
    customer = None
    number = path_id(customer_id)
    if number is not None:
        customer = await repo.customer_by_id(session, caller.brand_id, number)
    if customer is None:
        raise ResourceNotFound("Customer not found")
    (data,) = await _present_all(session, caller.brand_id, [customer], withs)
    return respond(request, data)


@router.post(
    "/customers",
    summary="Create a customer",
    openapi_extra={"parameters": [idempotency_header()]},
)
async def create_customer(
    body: CustomerCreate, request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Register a customer; 409 when ``phone``, ``code`` or ``cid`` is taken in the brand.

    An ``Idempotency-Key`` header makes a retried request answer the first response again
    instead of creating a second customer (spec §6, clopos.server.idempotency).
    """
    async with idempotent(request, caller, session) as guard:
        if guard.replay is not None:
            return guard.replay
        customer = await _create(body, caller, session)
        await record_event(
            session,
            brand_id=caller.brand_id,
            venue_id=customer.venue_id,
            type=CUSTOMER_CREATED,
            resource=present_customer(customer),
        )
        # spec §9.6: 200 (not 201) with the full customer and a message.
        response = await guard.complete(
            respond(request, present_customer(customer), message="Customer created")
        )
        await session.commit()
        return response


async def _create(body: CustomerCreate, caller: Caller, session: AsyncSession) -> Customer:
    """Write the customer of ``body``; 400 for an unknown group, 409 for a taken unique field."""
    group = None
    if body.group_id is not None:
        group = await repo.group_of_brand(session, caller.brand_id, body.group_id)
        if group is None:
            message = f"The group_id field is invalid: no customer group {body.group_id}"
            raise ValidationFailed(
                message,
                details={
                    "field": "group_id",
                    "errors": [{"field": "group_id", "message": message}],
                },
            )
    try:
        return await repo.create_customer(
            session,
            brand_id=caller.brand_id,
            venue_id=caller.venue_id,
            name=body.name,
            group=group,
            email=body.email,
            phone=body.phone,
            code=body.code,
            cid=body.cid,
            description=body.description,
            gender=body.gender,
            date_of_birth=body.date_of_birth,
        )
    except repo.DuplicateCustomer as duplicate:
        field = duplicate.field
        message = (
            f"A customer with this {field} already exists"
            if field
            else "A customer with these details already exists"
        )
        raise Conflict(message, details={"field": field} if field else None) from None
