"""Many sample sales at once, straight into a server database (tests and the benchmark).

The API imports one receipt per request; a benchmark of 100 000 receipts needs them in
seconds, so :func:`insert_receipts` writes rows with bulk ``INSERT``s through the store's
own table definitions (the same column types as the server: exact money, exact JSON).
The rows are what the till would have written for a closed sale: totals, ``payment_methods``
adding up to the total, ``meta.sale_type.name``. Every ``open_every``-th receipt is left
open (no payment yet). The generator is seeded, so the same call makes the same data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from clopos.server.store.db import create_engine
from clopos.server.store.models import Brand, PaymentMethod, Receipt, SaleType, Venue

CHUNK_ROWS = 2000


@dataclass(frozen=True)
class Catalog:
    """The ids a sample receipt refers to."""

    brand_id: int
    venue_id: int
    sale_types: tuple[tuple[int, str], ...]
    payment_methods: tuple[tuple[int, str], ...]


async def _catalog(connection: Any, brand: str, venue_id: int | None) -> Catalog:
    brand_id = await connection.scalar(select(Brand.id).where(Brand.slug == brand))
    if brand_id is None:
        raise ValueError(f"no brand {brand!r} in the database")
    if venue_id is None:
        venue_id = await connection.scalar(
            select(Venue.id)
            .where(Venue.brand_id == brand_id)
            .order_by(Venue.is_main.desc(), Venue.id)
        )
    sale_types = (
        await connection.execute(
            select(SaleType.id, SaleType.name)
            .where(SaleType.brand_id == brand_id)
            .order_by(SaleType.id)
        )
    ).all()
    methods = (
        await connection.execute(
            select(PaymentMethod.id, PaymentMethod.name)
            .where(PaymentMethod.brand_id == brand_id, PaymentMethod.customer_required == 0)
            .order_by(PaymentMethod.id)
        )
    ).all()
    if venue_id is None or not sale_types or not methods:
        raise ValueError(f"brand {brand!r} needs a venue, sale types and payment methods")
    return Catalog(
        brand_id=brand_id,
        venue_id=venue_id,
        sale_types=tuple((row[0], row[1]) for row in sale_types),
        payment_methods=tuple((row[0], row[1]) for row in methods),
    )


def sample_rows(
    catalog: Catalog, count: int, days: Sequence[date], *, open_every: int = 0, seed: int = 7
) -> Iterator[dict[str, Any]]:
    """``count`` receipt rows spread evenly over ``days``, lazily."""
    rng = random.Random(seed)  # noqa: S311 - sample data, not secrets
    per_day = max(1, -(-count // len(days)))
    for index in range(count):
        day = days[index // per_day]
        created = datetime.combine(day, time(8, 0)) + timedelta(
            seconds=(index % per_day) * 50400 // per_day
        )
        sale_type_id, sale_type_name = catalog.sale_types[index % len(catalog.sale_types)]
        total = Decimal(rng.randint(300, 15000)).scaleb(-2)
        is_open = open_every > 0 and index % open_every == open_every - 1
        payments: list[dict[str, Any]] = []
        by_cash = by_card = Decimal(0)
        if not is_open:
            first_id, first_name = catalog.payment_methods[index % len(catalog.payment_methods)]
            if index % 7 == 3 and len(catalog.payment_methods) > 1:  # some split payments
                second_id, second_name = catalog.payment_methods[
                    (index + 1) % len(catalog.payment_methods)
                ]
                part = (total / 3).quantize(Decimal("0.01"))
                payments = [
                    {"id": first_id, "name": first_name, "amount": part},
                    {"id": second_id, "name": second_name, "amount": total - part},
                ]
            else:
                payments = [{"id": first_id, "name": first_name, "amount": total}]
            for payment in payments:
                if payment["name"] == "Cash":
                    by_cash += payment["amount"]
                else:
                    by_card += payment["amount"]
        yield {
            "brand_id": catalog.brand_id,
            "venue_id": catalog.venue_id,
            "cid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "source": "pos",
            "sale_type_id": sale_type_id,
            "guests": 1 + index % 4,
            "status": 1 if is_open else 2,
            "meta": {"preprint_count": 0, "sale_type": {"name": sale_type_name}},
            "total": total,
            "subtotal": total,
            "original_subtotal": total,
            "payment_methods": payments,
            "by_cash": by_cash,
            "by_card": by_card,
            "created_at": created,
            "updated_at": created + timedelta(minutes=25),
            "closed_at": None if is_open else created + timedelta(minutes=25),
            "shift_date": day,
            "properties": {"daily_id": index % per_day + 1, "monthly_id": index + 1},
        }


async def insert_receipts(
    database_url: str,
    count: int,
    *,
    days: Sequence[date],
    brand: str = "openapitest",
    venue_id: int | None = None,
    open_every: int = 0,
    seed: int = 7,
) -> Catalog:
    """Insert ``count`` sample receipts for ``brand`` (its main venue unless ``venue_id``)
    into a migrated database, ``CHUNK_ROWS`` per statement, in one transaction."""
    if not days:
        raise ValueError("days must name at least one day")
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            catalog = await _catalog(connection, brand, venue_id)
            chunk: list[dict[str, Any]] = []
            for row in sample_rows(catalog, count, days, open_every=open_every, seed=seed):
                chunk.append(row)
                if len(chunk) >= CHUNK_ROWS:
                    await connection.execute(insert(Receipt), chunk)
                    chunk = []
            if chunk:
                await connection.execute(insert(Receipt), chunk)
    finally:
        await engine.dispose()
    return catalog
