"""Counting and paging a select, shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from clopos.server.domain.query import ListQuery


async def fetch_page(
    session: AsyncSession,
    statement: Select[Any],
    query: ListQuery,
    *,
    order_by: Sequence[ColumnElement[Any]] | None = None,
) -> tuple[list[Any], int]:
    """Rows of the requested page and the total before paging."""
    total = await session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    paged = statement
    if order_by is not None:
        paged = paged.order_by(None).order_by(*order_by)
    rows = (await session.scalars(paged.limit(query.limit).offset(query.offset))).all()
    return list(rows), int(total or 0)
