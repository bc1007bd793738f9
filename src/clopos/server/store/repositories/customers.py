"""Customers, their groups and balance accounts: brand-scoped queries and creation.

Uniqueness of ``phone``, ``code`` and ``cid`` per brand is the database's job (unique
constraints on ``customers``); the read before the write only picks a friendlier message,
the ``IntegrityError`` on commit is what settles a race (DESIGN.md principle 6).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, String, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from clopos.server.store.models import Balance, Customer, CustomerGroup

UNIQUE_FIELDS = ("phone", "code", "cid")
DEFAULT_GROUP_SYSTEM_TYPE = "my_customers"
DEFAULT_GROUP_NAME = "My Customers"
# Characters people put between the digits of a phone number; the phones filter ignores them
# so that 994505550000 finds "+994505550000" and "+994 50 555 00 00" (spec §9.4).
PHONE_PUNCTUATION = ("+", " ", "-", "(", ")", ".")


class DuplicateCustomer(Exception):
    """Another customer of the brand already has this ``phone``, ``code`` or ``cid``."""

    def __init__(self, field: str | None) -> None:
        super().__init__(field or "customer")
        self.field = field


@dataclass(frozen=True)
class CustomerFilters:
    """What ``GET /customers`` narrows on.

    Each inner list is one ``filters[N]`` condition whose values are alternatives (OR);
    the conditions combine with AND (spec §4.3), also when two name the same field.
    """

    names: Sequence[Sequence[str]] = ()
    phone_digits: Sequence[Sequence[str]] = ()
    group_ids: Sequence[Sequence[int]] = ()
    search: str | None = None


def _without_punctuation(expression: SQLColumnExpression[Any]) -> SQLColumnExpression[Any]:
    """SQL that strips ``PHONE_PUNCTUATION`` from a text expression (SQLite and PostgreSQL)."""
    for character in PHONE_PUNCTUATION:
        expression = func.replace(expression, character, "")
    return expression


def _phone_matches(digits: str) -> ColumnElement[bool]:
    """The primary phone or any of ``phones`` contains ``digits`` once punctuation is dropped.

    ``phones`` is a JSON array; its text with punctuation removed still keeps the quotes and
    commas between numbers, so a match can never straddle two numbers.
    """
    pattern = f"%{digits}%"
    return or_(
        _without_punctuation(Customer.phone).like(pattern),
        _without_punctuation(cast(Customer.phones, String)).like(pattern),
    )


def customers_query(brand_id: int, filters: CustomerFilters) -> Select[Customer]:
    """The brand's customers (not soft-deleted) matching ``filters``."""
    statement = select(Customer).where(Customer.brand_id == brand_id, Customer.deleted_at.is_(None))
    for names in filters.names:
        statement = statement.where(
            or_(*(Customer.name.icontains(name, autoescape=True) for name in names))
        )
    for digits in filters.phone_digits:
        statement = statement.where(or_(*(_phone_matches(d) for d in digits)))
    for group_ids in filters.group_ids:
        statement = statement.where(Customer.group_id.in_(group_ids))
    if filters.search:
        statement = statement.where(
            or_(
                Customer.name.icontains(filters.search, autoescape=True),
                Customer.email.icontains(filters.search, autoescape=True),
            )
        )
    return statement


def phone_digits(value: str) -> str:
    """Only the digits of a phone number or fragment."""
    return re.sub(r"\D", "", value)


async def customer_by_id(session: AsyncSession, brand_id: int, customer_id: int) -> Customer | None:
    """One customer of the brand (not soft-deleted), if any."""
    return await session.scalar(
        customers_query(brand_id, CustomerFilters()).where(Customer.id == customer_id)
    )


async def groups_by_id(
    session: AsyncSession, brand_id: int, ids: Iterable[int]
) -> dict[int, CustomerGroup]:
    """The brand's customer groups with these ids, keyed by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(
        select(CustomerGroup).where(
            CustomerGroup.brand_id == brand_id, CustomerGroup.id.in_(wanted)
        )
    )
    return {group.id: group for group in rows}


async def balances_by_id(
    session: AsyncSession, brand_id: int, ids: Iterable[int | None]
) -> dict[int, Balance]:
    """The brand's balance accounts with these ids, keyed by id (``None`` ids skipped)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.scalars(
        select(Balance).where(Balance.brand_id == brand_id, Balance.id.in_(wanted))
    )
    return {balance.id: balance for balance in rows}


async def group_of_brand(
    session: AsyncSession, brand_id: int, group_id: int
) -> CustomerGroup | None:
    """The group if it belongs to the brand and is not soft-deleted."""
    return await session.scalar(
        select(CustomerGroup).where(
            CustomerGroup.id == group_id,
            CustomerGroup.brand_id == brand_id,
            CustomerGroup.deleted_at.is_(None),
        )
    )


async def default_group(session: AsyncSession, brand_id: int) -> CustomerGroup:
    """The brand's ``my_customers`` group, created (uncommitted) when the brand lacks one."""
    group = await session.scalar(
        select(CustomerGroup)
        .where(
            CustomerGroup.brand_id == brand_id,
            CustomerGroup.system_type == DEFAULT_GROUP_SYSTEM_TYPE,
            CustomerGroup.deleted_at.is_(None),
        )
        .order_by(CustomerGroup.id)
        .limit(1)
    )
    if group is None:
        group = CustomerGroup(
            brand_id=brand_id,
            name=DEFAULT_GROUP_NAME,
            discount_type=None,
            discount_value=Decimal(0),
            system_type=DEFAULT_GROUP_SYSTEM_TYPE,
        )
        session.add(group)
        await session.flush()
    return group


async def taken_field(
    session: AsyncSession, brand_id: int, *, phone: str | None, code: str | None, cid: str
) -> str | None:
    """The first of ``phone``, ``code``, ``cid`` another customer of the brand already has."""
    wanted = {"phone": phone, "code": code, "cid": cid}
    conditions = [
        getattr(Customer, name) == value for name, value in wanted.items() if value is not None
    ]
    rows = (
        await session.execute(
            select(Customer.phone, Customer.code, Customer.cid).where(
                Customer.brand_id == brand_id, or_(*conditions)
            )
        )
    ).all()
    for name in UNIQUE_FIELDS:
        if any(getattr(row, name) == wanted[name] for row in rows if wanted[name] is not None):
            return name
    return None


def _duplicate_field(error: IntegrityError) -> str | None:
    """Which unique column a violation is about, read from the driver's message.

    SQLite says ``UNIQUE constraint failed: customers.brand_id, customers.phone``;
    PostgreSQL names the constraint, ``uq_customers_brand_id_phone``.
    """
    text = str(error.orig)
    for name in UNIQUE_FIELDS:
        if re.search(rf"[._]{name}\b", text):
            return name
    return None


async def create_customer(
    session: AsyncSession,
    *,
    brand_id: int,
    venue_id: int,
    name: str,
    group: CustomerGroup | None = None,
    email: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    cid: str | None = None,
    description: str | None = None,
    gender: int | None = None,
    date_of_birth: date | None = None,
) -> Customer:
    """Create and commit a customer with its own balance account (spec §9.6).

    ``group`` must be a group of the brand (the caller looks it up); without one the
    brand's default group is used. The customer takes the group's discount, as the POS
    does. Raises ``DuplicateCustomer`` when ``phone``, ``code`` or ``cid`` is taken,
    whether seen before the write or reported by the constraint.
    """
    cid = cid or str(uuid.uuid4())
    taken = await taken_field(session, brand_id, phone=phone, code=code, cid=cid)
    if taken is not None:
        raise DuplicateCustomer(taken)
    try:
        if group is None:
            group = await default_group(session, brand_id)
        balance = Balance(brand_id=brand_id, name=name, type="CUSTOMER", amount=Decimal(0))
        session.add(balance)
        await session.flush()
        customer = Customer(
            brand_id=brand_id,
            cid=cid,
            venue_id=venue_id,
            group_id=group.id,
            balance_id=balance.id,
            name=name,
            discount=group.discount_value,
            email=email,
            phone=phone,
            phones=[phone] if phone else [],
            addresses=[],
            description=description,
            gender=gender,
            date_of_birth=date_of_birth,
            code=code,
            can_use_loyalty_system=False,
            is_verified=False,
        )
        session.add(customer)
        # Flush, not commit: the route commits the customer together with its
        # Idempotency-Key completion, so a crash cannot keep one without the other.
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise DuplicateCustomer(_duplicate_field(exc)) from exc
    return customer
