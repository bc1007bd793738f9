"""Auto-paging over the Open API's list endpoints (issue 5 item 7).

The page-stepping rules live once, here, as pure code over typed list answers
(``ListResponse[T]``: ``PageCursor``, ``remaining_pages``); ``iterate_pages`` /
``aiterate_pages`` and ``fetch_pages_concurrently`` are the thin sync and async loops around
them, yielding the typed items (``Venue``, ``Receipt`` …).

Stopping rule: a list envelope carries ``total`` (spec §6), or a ``pagination.total``
block on some deployments. When it is known, paging stops as soon as the items up to
this page reach it — never one request too many. Without it, paging stops on an empty
page or a page shorter than the page size.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

from clopos.models import ListResponse

T = TypeVar("T")

#: The list methods that take ``page``/``limit`` and so can be auto-paged.
PAGED_METHODS: tuple[str, ...] = (
    "get_venues",
    "get_users",
    "get_customers",
    "get_customer_groups",
    "get_categories",
    "get_stations",
    "get_products",
    "get_sale_types",
    "get_payment_methods",
    "get_orders",
    "get_receipts",
    "get_price_lists",
    "get_price_list_prices",
)


def page_items(envelope: ListResponse[T]) -> list[T]:
    """The items of one list page (``data``), as a new list."""
    return list(envelope.data)


def envelope_total(envelope: ListResponse[T]) -> int | None:
    """``total``, else ``pagination.total``; ``None`` when the page has neither."""
    return envelope.total_count


class PageCursor:
    """Which page to ask for next, and when to stop; fed one envelope at a time.

    ``limit`` is the page size asked for; when ``None`` (the server's default), the
    size of the first page read stands in for it.
    """

    def __init__(self, *, page: int | None = None, limit: int | None = None) -> None:
        if page is not None and page < 1:
            raise ValueError(f"page must be >= 1, got {page}")
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        self.page = page or 1
        self.page_size = limit
        self.done = False

    def advance(self, envelope: ListResponse[T]) -> list[T]:
        """Take the envelope of page ``self.page``: return its items, step or stop."""
        items = page_items(envelope)
        if self.page_size is None and items:
            self.page_size = len(items)
        total = envelope_total(envelope)
        if not items:
            self.done = True
        elif total is not None:
            # Items on this page and all before it (pages before the start page count as
            # full: the server numbers pages from 1 with a fixed size).
            reached = (self.page - 1) * (self.page_size or len(items)) + len(items)
            self.done = reached >= total
        else:
            self.done = self.page_size is not None and len(items) < self.page_size
        if not self.done:
            self.page += 1
        return items


def remaining_pages(first: ListResponse[T], limit: int | None) -> range | None:
    """Pages 2…N still to read after page 1, from its ``total``; ``None`` if it has none."""
    total = envelope_total(first)
    items = page_items(first)
    if total is None:
        return None
    size = limit or len(items)
    if not items or size < 1:
        return range(2, 2)
    return range(2, math.ceil(total / size) + 1)


def iterate_pages(
    fetch: Callable[[int], ListResponse[T]], *, page: int | None, limit: int | None
) -> Iterator[T]:
    """Yield every item, calling ``fetch(page_number)`` once per page, lazily."""
    cursor = PageCursor(page=page, limit=limit)
    while not cursor.done:
        yield from cursor.advance(fetch(cursor.page))


async def aiterate_pages(
    fetch: Callable[[int], Awaitable[ListResponse[T]]], *, page: int | None, limit: int | None
) -> AsyncIterator[T]:
    """The async twin of ``iterate_pages``."""
    cursor = PageCursor(page=page, limit=limit)
    while not cursor.done:
        for item in cursor.advance(await fetch(cursor.page)):
            yield item


async def fetch_pages_concurrently(
    fetch: Callable[[int], Awaitable[ListResponse[T]]], *, limit: int | None, concurrency: int
) -> list[T]:
    """Read page 1 for ``total``, then the other pages at most ``concurrency`` at a time.

    Items come back in page order. Without a ``total`` the pages are read one by one.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency}")
    first = await fetch(1)
    pages = remaining_pages(first, limit)
    if pages is None:
        # No total to plan with: continue page by page from page 2.
        cursor = PageCursor(page=1, limit=limit)
        items = cursor.advance(first)
        while not cursor.done:
            items.extend(cursor.advance(await fetch(cursor.page)))
        return items
    gate = asyncio.Semaphore(concurrency)

    async def one(number: int) -> list[T]:
        async with gate:
            return page_items(await fetch(number))

    rest = await asyncio.gather(*(one(number) for number in pages))
    items = page_items(first)
    for chunk in rest:
        items.extend(chunk)
    return items
