"""``GET /sale-types`` and ``GET /payment-methods`` (spec §10.10, §10.11).

``status`` on both is a venue map ``{"<venue_id>": 0|1}`` — an object, never a number: the
existing client rejects anything else. Soft-deleted rows (``deleted_at`` set) are not
listed: a deleted sale type or tender must not be offered to new orders or receipts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.api.params import list_params
from clopos.server.domain.query import LimitRule, parse_list_query
from clopos.server.domain.timestamps import iso_micro
from clopos.server.responses import respond
from clopos.server.store.models import Balance, PaymentMethod, SaleType
from clopos.server.store.repositories.paging import fetch_page

router = APIRouter()

LIMITS = LimitRule(default=50, maximum=100)


def venue_map(status: dict[str, Any] | None) -> dict[str, int]:
    """The stored per-venue switch as ``{"<venue_id>": 0|1}`` with string keys."""
    return {str(venue): int(flag) for venue, flag in (status or {}).items()}


def present_balance(balance: Balance) -> dict[str, Any]:
    """A payment method's balance: v2's reduced ``{id, system_type, name, type}`` (§10.11)
    plus ``amount``, ``position`` and the timestamps, which the existing client's Balance
    model requires (existing-python-client.md §5.1) — without them it cannot parse the method.
    """
    return {
        "id": balance.id,
        "system_type": balance.system_type,
        "name": balance.name,
        "type": balance.type,
        "amount": balance.amount,
        "position": balance.position,
        "created_at": iso_micro(balance.created_at),
        "updated_at": iso_micro(balance.updated_at),
    }


def present_payment_method(method: PaymentMethod, balance: Balance | None) -> dict[str, Any]:
    """The union of the v2 and v1 payment method objects (spec §10.11)."""
    return {
        "id": method.id,
        "name": method.name,
        "status": venue_map(method.status),
        "split": method.split,
        "position": method.position,
        "customer_required": method.customer_required,
        "is_system": method.is_system,
        "balance_id": method.balance_id,
        "balance": present_balance(balance) if balance is not None else None,
        "service": method.service,
        "created_at": iso_micro(method.created_at),
        "updated_at": iso_micro(method.updated_at),
        "deleted_at": iso_micro(method.deleted_at),
    }


def present_sale_type(sale_type: SaleType, payment_method: dict[str, Any] | None) -> dict[str, Any]:
    """The union of the v2 and v1 sale type objects (spec §10.10)."""
    return {
        "id": sale_type.id,
        "name": sale_type.name,
        "system_type": sale_type.system_type,
        "channel": sale_type.channel,
        "status": venue_map(sale_type.status),
        "service_charge_rate": sale_type.service_charge_rate,
        "position": sale_type.position,
        "payment_method_id": sale_type.payment_method_id,
        "payment_method": payment_method,
        "media": sale_type.media or [],
        "created_at": iso_micro(sale_type.created_at),
        "updated_at": iso_micro(sale_type.updated_at),
        "deleted_at": iso_micro(sale_type.deleted_at),
    }


async def _balances(
    session: AsyncSession, brand_id: int, methods: Iterable[PaymentMethod]
) -> dict[int, Balance]:
    ids = sorted({m.balance_id for m in methods if m.balance_id is not None})
    if not ids:
        return {}
    rows = await session.scalars(
        select(Balance).where(Balance.brand_id == brand_id, Balance.id.in_(ids))
    )
    return {b.id: b for b in rows}


async def _present_methods(
    session: AsyncSession, brand_id: int, methods: list[PaymentMethod]
) -> list[dict[str, Any]]:
    balances = await _balances(session, brand_id, methods)
    return [
        present_payment_method(m, balances.get(m.balance_id) if m.balance_id is not None else None)
        for m in methods
    ]


@router.get("/sale-types", summary="List sale types", openapi_extra=list_params(LIMITS))
async def list_sale_types(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    """Sale types (dine-in, takeaway, delivery …) in POS order (``position``)."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    rows, total = await fetch_page(
        session,
        select(SaleType).where(SaleType.brand_id == caller.brand_id, SaleType.deleted_at.is_(None)),
        query,
        order_by=[SaleType.position.asc(), SaleType.id.asc()],
    )
    method_ids = sorted({r.payment_method_id for r in rows if r.payment_method_id is not None})
    methods: dict[int, dict[str, Any]] = {}
    if method_ids:
        found = list(
            await session.scalars(
                select(PaymentMethod).where(
                    PaymentMethod.brand_id == caller.brand_id, PaymentMethod.id.in_(method_ids)
                )
            )
        )
        methods = {m["id"]: m for m in await _present_methods(session, caller.brand_id, found)}
    data = [
        present_sale_type(
            r, methods.get(r.payment_method_id) if r.payment_method_id is not None else None
        )
        for r in rows
    ]
    return respond(request, data, total=total)


@router.get("/payment-methods", summary="List payment methods", openapi_extra=list_params(LIMITS))
async def list_payment_methods(
    request: Request, caller: CallerDep, session: SessionDep
) -> Response:
    """Tenders (cash, card, customer balance …) in POS order (``position``)."""
    query = parse_list_query(request.query_params.multi_items(), limit_rule=LIMITS)
    rows, total = await fetch_page(
        session,
        select(PaymentMethod).where(
            PaymentMethod.brand_id == caller.brand_id, PaymentMethod.deleted_at.is_(None)
        ),
        query,
        order_by=[PaymentMethod.position.asc(), PaymentMethod.id.asc()],
    )
    return respond(request, await _present_methods(session, caller.brand_id, rows), total=total)
