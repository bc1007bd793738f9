"""Auto-paging over the Open API's list endpoints (issue 5 item 7).

The page-stepping rules live once, here, as pure code over typed list answers
(``ListResponse[T]``: ``PageCursor``, ``remaining_pages``); ``iterate_pages`` /
``aiterate_pages`` and ``fetch_pages_concurrently`` are the thin sync and async loops around
them, yielding the typed items (``Venue``, ``Receipt`` …).

The event feed (``GET events``) pages by cursor instead: :class:`FeedCursor` follows
``next_after`` and stops when ``has_more`` is false, or never with ``follow=True``;
``iterate_events`` / ``aiterate_events`` are its loops.

Stopping rule: a list envelope carries ``total`` (spec §6), or a ``pagination.total``
block on some deployments. When it is known, paging stops as soon as the items up to
this page reach it — never one request too many. Without it, paging stops on an empty
page or a page shorter than the page size.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Literal, TypeVar

from clopos.client._errors import RequestValidationError
from clopos.models import Event, EventPage, ListResponse

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
    "get_webhooks",
    "get_webhook_deliveries",
)
#: How long ``iter_events(follow=True)`` holds each request open when caught up (the
#: server allows 30; a little less stays clear of proxies that cut idle requests at 30 s).
FOLLOW_WAIT_SECONDS = 25


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


# --- the event feed (cursor paging) ------------------------------------------------------

#: An ``after`` value: an event id, ``"latest"``, or ``None`` (the server's default, 0).
Cursor = int | Literal["latest"] | None


def follow_wait(wait: int | None, follow: bool) -> int | None:
    """The ``wait`` each feed request sends: as given, or :data:`FOLLOW_WAIT_SECONDS` when
    following; following without a long poll would hammer the server, so ``wait=0`` with
    ``follow=True`` is refused."""
    if not follow:
        return wait
    if wait is None:
        return FOLLOW_WAIT_SECONDS
    if isinstance(wait, int) and not isinstance(wait, bool) and wait < 1:
        raise RequestValidationError.for_field(
            "wait", f"follow=True needs a long poll: wait must be at least 1 second, got {wait}"
        )
    return wait


class FeedCursor:
    """The ``after`` to send next, and when to stop; fed one ``EventPage`` at a time.

    The cursor moves to the answer's ``next_after`` (or, from a server that sends none, the
    last event's id). Without ``follow`` reading stops on a page with no events or with
    ``has_more`` not true; with ``follow`` it never stops.
    """

    def __init__(self, *, after: Cursor = None, follow: bool = False) -> None:
        self.after = after
        self.follow = follow
        self.done = False

    def advance(self, page: EventPage) -> list[Event]:
        """Take the answer to ``after=self.after``: return its events, move or stop."""
        events = list(page.data)
        if page.next_after is not None:
            self.after = page.next_after
        elif events:
            self.after = events[-1].id
        if not self.follow:
            self.done = not events or page.has_more is not True
        return events


def iterate_events(
    fetch: Callable[[Cursor], EventPage], *, after: Cursor, follow: bool
) -> Iterator[Event]:
    """Yield every event, calling ``fetch(after)`` once per answer, lazily."""
    cursor = FeedCursor(after=after, follow=follow)
    while not cursor.done:
        yield from cursor.advance(fetch(cursor.after))


async def aiterate_events(
    fetch: Callable[[Cursor], Awaitable[EventPage]], *, after: Cursor, follow: bool
) -> AsyncIterator[Event]:
    """The async twin of ``iterate_events``."""
    cursor = FeedCursor(after=after, follow=follow)
    while not cursor.done:
        for event in cursor.advance(await fetch(cursor.after)):
            yield event
