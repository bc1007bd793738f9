"""Auto-paging on the wire (httpx.MockTransport): how many requests, which pages, what order.

A fake list endpoint serves ``n`` numbered items in pages of ``limit`` and reports the
total as top-level ``total``, as a ``pagination`` block, or not at all; the tests count
every non-auth request it received.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from clopos.client import AsyncCloposClient, CloposClient
from clopos.client._pagination import PageCursor, remaining_pages
from clopos.models import (
    Category,
    Customer,
    CustomerGroup,
    ListResponse,
    Order,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    Receipt,
    SaleType,
    Station,
    User,
    Venue,
)

BASE = "http://clopos.test"
CREDS: dict[str, Any] = {
    "client_id": "cid",
    "client_secret": "secret",
    "brand": "openapitest",
    "integrator_id": "integ",
}


@pytest.fixture(autouse=True)
def _no_clopos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CLOPOS_* variables must not leak into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("CLOPOS_"):
            monkeypatch.delenv(name)


# What each list's items need beside ``id`` to be valid objects of their model.
REQUIRED: dict[str, Any] = {
    "users": lambda i: {"username": f"user {i}"},
    "orders": lambda i: {"status": "PENDING"},
    "receipts": lambda i: {"cid": f"c-{i}", "status": 2, "total": 9.90},
    "prices": lambda i: {"list_id": 1, "product_id": i, "price": 8.50},
}


def item(resource: str, i: int) -> dict[str, Any]:
    """Item ``i`` of list ``resource`` (the last path segment), e.g. a receipt ``{id, cid…}``."""
    extra = REQUIRED.get(resource, lambda i: {"name": f"item {i}"})
    return {"id": i, **extra(i)}


class ListApi:
    """``n`` items with ids 1..n paged by ``page``/``limit`` (default page size 3)."""

    def __init__(self, n: int, total: str = "total", delay: float = 0.0) -> None:
        self.n = n
        self.total = total  # "total", "pagination" or "none"
        self.delay = delay
        self.pages: list[tuple[str, int, int]] = []  # (path, page, limit) per request
        self.in_flight = 0
        self.max_in_flight = 0

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            body = {"success": True, "token": "tok", "expires_at": time.time() + 3600}
            return httpx.Response(200, json=body)
        page = int(request.url.params.get("page", "1"))
        limit = int(request.url.params.get("limit", "3"))
        resource = request.url.path.rsplit("/", 1)[-1]
        self.pages.append((resource, page, limit))
        start = (page - 1) * limit
        data = [item(resource, i) for i in range(start + 1, min(start + limit, self.n) + 1)]
        envelope: dict[str, Any] = {"success": True, "data": data}
        if self.total == "total":
            envelope["total"] = self.n
        elif self.total == "pagination":
            envelope["pagination"] = {"total": self.n, "page": page, "limit": limit}
        return httpx.Response(200, json=envelope)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.answer(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/auth"):
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(self.delay)
            self.in_flight -= 1
        return self.answer(request)


def sync_client(api: ListApi) -> CloposClient:
    http = httpx.Client(transport=httpx.MockTransport(api))
    return CloposClient(base_url=BASE, http_client=http, **CREDS)


def async_client(api: ListApi) -> AsyncCloposClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(api.handle_async))
    return AsyncCloposClient(base_url=BASE, http_client=http, **CREDS)


def ids(items: list[Any]) -> list[int]:
    return [item.id for item in items]


def test_total_known_makes_exactly_the_needed_requests() -> None:
    api = ListApi(5)
    items = list(sync_client(api).iter_receipts(limit=2))
    assert ids(items) == [1, 2, 3, 4, 5]
    assert api.pages == [("receipts", 1, 2), ("receipts", 2, 2), ("receipts", 3, 2)]


def test_total_reached_on_a_full_page_makes_no_extra_request() -> None:
    api = ListApi(4)
    items = list(sync_client(api).iter_products(limit=2))
    assert ids(items) == [1, 2, 3, 4]
    assert [page for _, page, _ in api.pages] == [1, 2]


def test_pagination_block_total_is_honoured() -> None:
    api = ListApi(4, total="pagination")
    items = list(sync_client(api).iter_customers(limit=2))
    assert ids(items) == [1, 2, 3, 4]
    assert [page for _, page, _ in api.pages] == [1, 2]


def test_missing_total_stops_on_a_short_page() -> None:
    api = ListApi(5, total="none")
    assert ids(list(sync_client(api).iter_orders(limit=2))) == [1, 2, 3, 4, 5]
    assert [page for _, page, _ in api.pages] == [1, 2, 3]


def test_missing_total_on_an_exact_multiple_stops_on_the_empty_page() -> None:
    api = ListApi(4, total="none")
    assert ids(list(sync_client(api).iter_orders(limit=2))) == [1, 2, 3, 4]
    assert [page for _, page, _ in api.pages] == [1, 2, 3]


def test_missing_total_without_limit_uses_the_first_page_size() -> None:
    api = ListApi(7, total="none")  # server default page size 3
    assert ids(list(sync_client(api).iter_users())) == list(range(1, 8))
    assert [page for _, page, _ in api.pages] == [1, 2, 3]


def test_empty_first_page_yields_nothing_after_one_request() -> None:
    api = ListApi(0)
    assert list(sync_client(api).iter_venues(limit=10)) == []
    assert api.pages == [("venues", 1, 10)]


def test_start_page_is_honoured_and_total_counts_earlier_pages() -> None:
    api = ListApi(5)
    items = list(sync_client(api).iter_receipts(page=2, limit=2))
    assert ids(items) == [3, 4, 5]
    assert [page for _, page, _ in api.pages] == [2, 3]


def test_iteration_is_lazy_and_passes_other_params_on_every_page() -> None:
    seen: list[httpx.URL] = []
    api = ListApi(6)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return api(request)

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = CloposClient(base_url=BASE, http_client=http, **CREDS)
    iterator = client.iter_receipts(limit=2, date_from="2026-01-01", date_to="2026-01-31")
    assert api.pages == []  # nothing sent before the first item is asked for
    first = next(iterator)
    assert isinstance(first, Receipt) and (first.id, first.cid) == (1, "c-1")
    assert len(api.pages) == 1
    rest = list(iterator)
    assert ids(rest) == [2, 3, 4, 5, 6]
    listed = [url for url in seen if url.path.endswith("/receipts")]
    assert len(listed) == 3
    for url in listed:
        assert url.params["date[0]"] == "2026-01-01"
        assert url.params["date[1]"] == "2026-01-31"


@pytest.mark.parametrize(
    ("method", "model"),
    [
        ("venues", Venue),
        ("users", User),
        ("customers", Customer),
        ("customer_groups", CustomerGroup),
        ("categories", Category),
        ("stations", Station),
        ("products", Product),
        ("sale_types", SaleType),
        ("payment_methods", PaymentMethod),
        ("orders", Order),
        ("receipts", Receipt),
        ("price_lists", PriceList),
        ("price_list_prices", Price),
    ],
)
def test_every_list_endpoint_has_an_iterator_on_both_clients(method: str, model: type) -> None:
    api = ListApi(3)
    items = list(getattr(sync_client(api), f"iter_{method}")(limit=2))
    assert ids(items) == [1, 2, 3]
    assert all(type(i) is model for i in items)
    assert len(api.pages) == 2

    async def collect() -> list[Any]:
        return [item async for item in getattr(async_client(api), f"iter_{method}")(limit=2)]

    async_items = asyncio.run(collect())
    assert ids(async_items) == [1, 2, 3]
    assert all(type(i) is model for i in async_items)
    assert len(api.pages) == 4


def test_async_iterator_pages_like_the_sync_one() -> None:
    api = ListApi(5)

    async def collect() -> list[Receipt]:
        async with async_client(api) as client:
            return [item async for item in client.iter_receipts(limit=2)]

    assert ids(asyncio.run(collect())) == [1, 2, 3, 4, 5]
    assert [page for _, page, _ in api.pages] == [1, 2, 3]


def test_fetch_all_returns_items_in_page_order_within_the_concurrency_bound() -> None:
    api = ListApi(23, delay=0.02)

    async def run() -> list[Receipt]:
        async with async_client(api) as client:
            return await client.fetch_all("get_receipts", limit=2, concurrency=3)

    receipts = asyncio.run(run())
    assert ids(receipts) == list(range(1, 24))
    assert all(isinstance(r, Receipt) and str(r.total) == "9.9" for r in receipts)
    assert sorted(page for _, page, _ in api.pages) == list(range(1, 13))
    assert api.pages[0][1] == 1  # page 1 first, to learn the total
    assert api.max_in_flight == 3


def test_fetch_all_without_total_reads_page_by_page() -> None:
    api = ListApi(5, total="none", delay=0.001)

    async def run() -> list[Product]:
        async with async_client(api) as client:
            return await client.fetch_all("get_products", limit=2, concurrency=4)

    assert ids(asyncio.run(run())) == [1, 2, 3, 4, 5]
    assert [page for _, page, _ in api.pages] == [1, 2, 3]
    assert api.max_in_flight == 1


def test_fetch_all_rejects_a_method_that_does_not_page() -> None:
    async def run() -> None:
        async with async_client(ListApi(1)) as client:
            await client.fetch_all("get_stop_list")

    with pytest.raises(ValueError, match="not a paged list method"):
        asyncio.run(run())


def page(**envelope: Any) -> ListResponse[int]:
    return ListResponse[int].model_validate(envelope)


def test_cursor_and_remaining_pages_are_pure() -> None:
    cursor = PageCursor(limit=2)
    assert cursor.advance(page(data=[1, 2], total="3")) == [1, 2]
    assert (cursor.page, cursor.done) == (2, False)
    cursor.advance(page(data=[3], total="3"))
    assert cursor.done
    assert remaining_pages(page(data=[1, 2], total=5), 2) == range(2, 4)
    assert remaining_pages(page(data=[1, 2], pagination={"total": 5}), 2) == range(2, 4)
    assert remaining_pages(page(data=[], total=0), 2) == range(2, 2)
    assert remaining_pages(page(data=[1]), 2) is None
    with pytest.raises(ValueError):
        PageCursor(page=0)
