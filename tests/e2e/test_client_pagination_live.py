"""Auto-paging against a real ``clopos serve`` process (demo brand, SQLite).

The module's server gets a dozen closed receipts (v1 ``create_receipt``) so receipts span
several pages; products come from the demo catalog.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from clopos.client import AsyncCloposClient, CloposClient
from clopos.models import Receipt
from e2e.conftest import ServerProcess
from e2e.test_client_live import CREDS

pytestmark = pytest.mark.e2e

RECEIPTS = 12


def make_receipt(client: CloposClient, product_id: int, cash_id: int) -> None:
    client.create_receipt(
        cid=str(uuid.uuid4()),
        payment_methods=[{"id": cash_id, "name": "Cash", "amount": Decimal("8.50")}],
        user_id=2,
        sale_type_id=1,
        status=2,
        by_cash=Decimal("8.50"),
        subtotal=Decimal("8.50"),
        total=Decimal("8.50"),
        receipt_products=[
            {
                "cid": str(uuid.uuid4()),
                "product_id": product_id,
                "count": 1,
                "price": Decimal("8.50"),
                "subtotal": Decimal("8.50"),
                "total": Decimal("8.50"),
            }
        ],
    )


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo-seeded server holding ``RECEIPTS`` extra closed receipts."""
    root: Path = tmp_path_factory.mktemp("client-paging-live")
    server = ServerProcess(f"sqlite+aiosqlite:///{root / 'clopos.db'}", root)
    server.start()
    try:
        with CloposClient(base_url=server.base_url, api_version="v1", venue_id=1, **CREDS) as v1:
            products = {p.name: p.id for p in v1.get_products(limit=100).data}
            methods = {m.name: m.id for m in v1.get_payment_methods(limit=100).data}
            for _ in range(RECEIPTS):
                make_receipt(v1, products["Margherita"], methods["Cash"])
        yield server.base_url
    finally:
        server.stop()


def test_iter_products_yields_each_product_once_up_to_total(base_url: str) -> None:
    with CloposClient(base_url=base_url, **CREDS) as client:
        total = client.get_products(limit=1).total
        ids = [product.id for product in client.iter_products(limit=7)]
    assert total is not None and total > 7  # several pages, the last one short
    assert len(ids) == total
    assert len(set(ids)) == total


def test_v1_iterator_matches_v2(base_url: str) -> None:
    with CloposClient(base_url=base_url, **CREDS) as v2:
        v2_ids = [c.id for c in v2.iter_customers(limit=5)]
    with CloposClient(base_url=base_url, api_version="v1", venue_id=1, **CREDS) as v1:
        v1_ids = [c.id for c in v1.iter_customers(limit=5)]
    assert len(v2_ids) >= 22
    assert v1_ids == v2_ids


def test_fetch_all_receipts_equals_iterated_receipts(base_url: str) -> None:
    async def run() -> tuple[list[Receipt], list[Receipt], int | None]:
        async with AsyncCloposClient(base_url=base_url, **CREDS) as client:
            total = (await client.get_receipts(limit=1)).total
            iterated = [r async for r in client.iter_receipts(limit=5)]
            fetched = await client.fetch_all("get_receipts", limit=5, concurrency=3)
            return iterated, fetched, total

    iterated, fetched, total = asyncio.run(run())
    assert total is not None and total >= RECEIPTS
    assert len(fetched) == total
    assert [r.id for r in fetched] == [r.id for r in iterated]
    assert len({r.id for r in fetched}) == total
    # the imported sales kept their exact amounts
    assert sum(1 for r in fetched if str(r.total) == "8.50") >= RECEIPTS
