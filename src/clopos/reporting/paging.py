"""Reading a whole list endpoint page by page, in order, with bounded concurrency.

The SDK's ``fetch_all`` returns every item in one list; an export of 100 000 receipts must
never hold them all, so these helpers hand over one page at a time. They use only the
client's public list methods (``get_receipts(page=, limit=, …)``) and accept envelopes as
dicts or as pydantic models.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

from clopos.reporting.records import (
    RecordError,
    as_plain,
    envelope_items,
    envelope_total,
    page_count,
)

Item = dict[str, Any]


async def pages_in_order(
    fetch: Callable[[int], Awaitable[Any]],
    *,
    start: int,
    page_size: int,
    concurrency: int,
    total: int | None,
    first_alone: bool = False,
) -> AsyncGenerator[tuple[int, list[Item]], None]:
    """``(page, items)`` from page ``start`` on, strictly in page order, with at most
    ``concurrency`` requests in flight (so at most that many pages held in memory).

    The last page is planned from ``total`` and re-planned from each page's own ``total``
    (rows added meanwhile are not cut off); without one, reading stops at a short page.
    ``first_alone`` reads page ``start`` on its own first, so that its ``total`` plans the
    rest (no requests past the end of a small result).
    """
    last = page_count(total, page_size) if total is not None else None
    pending: dict[int, asyncio.Task[Any]] = {}
    next_page = start

    def fill() -> None:
        nonlocal next_page
        room = 1 if first_alone and head == start else concurrency
        while len(pending) < room and (last is None or next_page <= last):
            pending[next_page] = asyncio.ensure_future(fetch(next_page))
            next_page += 1

    head = start
    try:
        fill()
        while head in pending:
            envelope = as_plain(await pending.pop(head))
            if not isinstance(envelope, Mapping):
                raise RecordError(f"page {head}: expected a JSON object")
            items = envelope_items(envelope)
            reported = envelope_total(envelope)
            if reported is not None:
                last = page_count(reported, page_size)
            yield head, items
            if len(items) < page_size or (last is not None and head >= last):
                return
            head += 1
            fill()
    finally:
        for task in pending.values():
            task.cancel()
        await asyncio.gather(*pending.values(), return_exceptions=True)


async def all_items(
    method: Callable[..., Awaitable[Any]],
    *,
    page_size: int,
    concurrency: int = 4,
    **params: Any,
) -> AsyncGenerator[Item, None]:
    """Every item of list method ``method`` (called with ``page=``, ``limit=`` and
    ``params``): page 1 first for ``total``, then the rest ``concurrency`` at a time."""

    def fetch(page: int) -> Awaitable[Any]:
        return method(page=page, limit=page_size, **params)

    async with contextlib.aclosing(
        pages_in_order(
            fetch,
            start=1,
            page_size=page_size,
            concurrency=concurrency,
            total=None,
            first_alone=True,
        )
    ) as pages:
        async for _page, chunk in pages:
            for item in chunk:
                yield item
