"""The SDK against a real ``clopos serve`` process: auth, reads, creates, a retried create.

One server (SQLite, demo-seeded) serves the whole module. The retried-create tests wrap
the real transport in one that drops the connection AFTER the server has answered the
first POST — the worst case for a client — and check the server holds exactly one
customer afterwards, because every retry carried the same ``Idempotency-Key``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from clopos.client import APIConnectionError, AsyncCloposClient, CloposClient, NotFoundError
from clopos.client._errors import RequestValidationError
from clopos.models import Customer
from clopos.server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_INTEGRATOR,
)
from e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e

CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A ``clopos serve --seed-demo`` process on a free port, for the whole module."""
    root: Path = tmp_path_factory.mktemp("client-live")
    server = ServerProcess(f"sqlite+aiosqlite:///{root / 'clopos.db'}", root)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()


def unique_phone() -> str:
    return "+99450" + str(uuid.uuid4().int)[:7]


class DropAfterAnswer(httpx.BaseTransport):
    """Forwards to the real server, then loses the first POST's answer on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.posts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and not request.url.path.endswith("/auth"):
            self.posts += 1
            if self.posts == 1:
                response.read()  # the server has committed the customer by now
                response.close()
                raise httpx.ReadError("connection reset after the server answered")
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncDropAfterAnswer(httpx.AsyncBaseTransport):
    """The async twin of ``DropAfterAnswer``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.posts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and not request.url.path.endswith("/auth"):
            self.posts += 1
            if self.posts == 1:
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("connection reset after the server answered")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def no_sleep(seconds: float) -> None:
    """Retries in these tests need no real wait."""


async def no_async_sleep(seconds: float) -> None:
    """Retries in these tests need no real wait."""


def customers_named(client: CloposClient, name: str) -> list[Customer]:
    found = client.get_customers(filters={"name": name}, limit=50).data
    return [c for c in found if c.name == name]


def test_sync_v2_authenticates_and_reads(base_url: str) -> None:
    with CloposClient(base_url=base_url, **CREDS) as client:
        venues = client.get_venues()
        assert [v.id for v in venues.data] == [1, 2]
        assert client.token is not None
        token = client.token
        groups = client.get_customer_groups()
        assert len(groups.data) == 3
        page = client.get_customers(page=1, limit=5)
        assert len(page.data) == 5
        assert page.total is not None and page.total >= 22
        products = client.get_products(limit=3)
        assert len(products.data) == 3
        assert all(isinstance(p.price, Decimal) for p in products.data)
        user_id = first_user_id(client)
        assert client.get_user_by_id(user_id).data.id == user_id
        assert client.token == token  # one token for the whole session
        with pytest.raises(NotFoundError) as caught:
            client.get_customer_by_id(999_999)
        assert caught.value.code == "resource_not_found"


def first_user_id(client: CloposClient) -> int:
    user_id = client.get_users(limit=1).data[0].id
    assert isinstance(user_id, int)
    return user_id


def test_sync_v1_authenticates_and_reads(base_url: str) -> None:
    creds = {k: v for k, v in CREDS.items() if k != "integrator_id"}
    with CloposClient(base_url=base_url, api_version="v1", venue_id=1, **creds) as client:
        venues = client.get_venues()
        assert {v.name for v in venues.data} == {"Main", "Airport"}
        categories = client.get_categories(limit=5)
        assert len(categories.data) == 5
        assert client.get_stations().data


async def test_async_v2_authenticates_reads_and_creates(base_url: str) -> None:
    async with AsyncCloposClient(base_url=base_url, **CREDS) as client:
        venues = await client.get_venues()
        assert [v.id for v in venues.data] == [1, 2]
        sale_types = await client.get_sale_types()
        assert len(sale_types.data) == 3
        name = f"Async {uuid.uuid4().hex[:8]}"
        created = await client.create_customer(name=name, phone=unique_phone())
        assert created.data.name == name
        fetched = await client.get_customer_by_id(created.data.id)
        assert fetched.data.name == name


def test_create_customer_then_read_it_back(base_url: str) -> None:
    name = f"Sync {uuid.uuid4().hex[:8]}"
    with CloposClient(base_url=base_url, **CREDS) as client:
        created = client.create_customer(name=name, phone=unique_phone())
        customer_id = created.data.id
        assert client.get_customer_by_id(customer_id).data.name == name
        assert len(customers_named(client, name)) == 1


def test_retried_create_makes_exactly_one_customer(base_url: str) -> None:
    name = f"Retried {uuid.uuid4().hex[:8]}"
    transport = DropAfterAnswer()
    attempts: list[tuple[str, int, bool]] = []
    http = httpx.Client(transport=transport)
    with CloposClient(
        base_url=base_url,
        http_client=http,
        sleep=no_sleep,
        on_attempt=lambda a: attempts.append((a.url, a.attempt, a.error is None)),
        **CREDS,
    ) as client:
        created = client.create_customer(name=name, phone=unique_phone())
        assert created.data.name == name
        assert transport.posts == 2
        creates = [a[1:] for a in attempts if a[0].endswith("/open-api/v2/customers")]
        assert creates == [(1, False), (2, True)]  # lost answer, then the replayed one
        assert len(customers_named(client, name)) == 1
    http.close()


async def test_async_retried_create_makes_exactly_one_customer(base_url: str) -> None:
    name = f"AsyncRetried {uuid.uuid4().hex[:8]}"
    transport = AsyncDropAfterAnswer()
    http = httpx.AsyncClient(transport=transport)
    async with AsyncCloposClient(
        base_url=base_url, http_client=http, sleep=no_async_sleep, **CREDS
    ) as client:
        created = await client.create_customer(name=name, phone=unique_phone())
        assert transport.posts == 2
        found = await client.get_customers(filters={"name": name}, limit=50)
        assert [c.id for c in found.data if c.name == name] == [created.data.id]
    await http.aclose()


def test_a_whole_sale_typed_from_order_to_stock(base_url: str) -> None:
    """Order (auto-accepted, so its receipt opens), receipt, close, stock: typed throughout."""
    with CloposClient(base_url=base_url, **CREDS) as client:
        dish = client.get_products(filters={"type": ["DISH"]}, limit=1).data[0]
        assert dish.price is not None
        order = client.create_order(
            sale_type_id=2,
            venue_id=1,
            customer={"id": 0, "name": "Walk-in"},
            products=[{"product_id": dish.id, "count": 2}],
            delivery_fee=Decimal("1.50"),
            auto_order_accept=True,
        ).data
        assert order.status == "RECEIVED"
        assert order.payload is not None and order.payload.delivery_fee == Decimal("1.50")
        linked = client.get_order_by_id(order.id, with_receipt=True).data.receipt
        assert linked is not None and linked.id is not None
        receipt = client.get_receipt_by_id(linked.id, with_="receipt_products").data
        assert receipt.total == dish.price * 2 + Decimal("1.50") == order.total_amount
        lines = receipt.receipt_products or []
        assert [(line.product_id, line.count) for line in lines] == [(dish.id, 2)]
        with pytest.raises(RequestValidationError) as refused:
            client.close_receipt(receipt.id, [{"id": 1, "name": "Cash", "amount": "-5"}])
        assert refused.value.fields == ("payment_methods.0.amount",)
        closed = client.close_receipt(
            receipt.id, [{"id": 1, "name": "Cash", "amount": receipt.total}]
        )
        assert closed.message == "Receipt closed" and closed.data.status == 2
        assert closed.data.payment_methods is not None
        assert closed.data.payment_methods[0].amount == receipt.total
        operations = client.get_receipt_stock_operations(receipt.id).data
        assert operations and all(op.quantity > 0 for op in operations)


def test_without_a_key_the_lost_answer_surfaces(base_url: str) -> None:
    """Contrast: the same failure on a POST the client may not retry is raised, not hidden."""
    transport = DropAfterAnswer()
    http = httpx.Client(transport=transport)
    with CloposClient(base_url=base_url, http_client=http, sleep=no_sleep, **CREDS) as client:
        from clopos.client._endpoints import create_customer

        spec = create_customer(name="No key", phone=unique_phone())
        plain = type(spec)(spec.method, spec.path, spec.params, spec.json, creates=False)
        with pytest.raises(APIConnectionError):
            client._call(plain)
        assert transport.posts == 1
    http.close()


def test_old_integrify_style_calls_run_after_swapping_the_import(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``from integrify.clopos import CloposRequest`` → ``from clopos.client import …``: the
    same calls, the same ``APIResponse`` answers (the full check is
    ``tests/compat/test_migration_script.py``)."""
    from clopos.client import compat

    monkeypatch.setattr(compat, "_SINGLETONS", {})
    monkeypatch.setenv("CLOPOS_BASE_URL", base_url)
    from clopos.client import CloposRequest

    auth = CloposRequest.auth(**CREDS)
    assert auth.ok and auth.status_code == 200
    venues = CloposRequest.get_venues(headers={"x-token": auth.body.token})
    assert venues.ok
    assert [v.id for v in venues.body.data] == [1, 2]
    missing = CloposRequest.get_customer_by_id(999_999, headers={"x-token": auth.body.token})
    assert (missing.ok, missing.status_code) == (False, 404)
    assert missing.body.code == "resource_not_found"
    CloposRequest.close()
