"""Record the server's own events with their resource presented as the API shows it.

One function per kind of resource, called by the write paths (API routes and the till)
just before they commit:

* orders: ``GET /orders/{id}?with[0]=receipt:id,service_notification_id,status`` — the
  full order with its ``payload`` and the link to its receipt (``null`` before acceptance);
* receipts: ``GET /receipts/{id}?with[]=receipt_products`` — the full receipt with its
  lines (a deleted receipt as it was just before);
* stop list: ``GET /products/stop-list``'s entry plus ``venue_id``; a lifted limit has
  ``limit: null`` (no limit);
* customers: ``GET /customers/{id}`` (the route presents it and calls ``record_event``).

Nothing here commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.orders import present_order
from clopos.server.domain.receipts import present_receipt, present_receipt_product
from clopos.server.domain.timestamps import unix_millis, utcnow
from clopos.server.events.outbox import record_event
from clopos.server.events.types import STOP_LIST_CHANGED
from clopos.server.store.models import Order, Receipt, StopListEntry
from clopos.server.store.repositories import receipts as receipts_repo


async def order_event(session: AsyncSession, event_type: str, order: Order) -> None:
    """Record ``event_type`` for ``order`` (with its receipt link)."""
    receipt = None
    if order.receipt_id is not None:
        receipt = await receipts_repo.receipt_of_brand(session, order.brand_id, order.receipt_id)
    resource = present_order(order, receipt=receipt, include_receipt=True)
    await record_event(
        session,
        brand_id=order.brand_id,
        venue_id=order.venue_id,
        type=event_type,
        resource=resource,
    )


async def receipt_resource(session: AsyncSession, receipt: Receipt) -> dict[str, Any]:
    """The receipt with its lines, as ``with[]=receipt_products`` shows it."""
    lines = (await receipts_repo.lines_of(session, [receipt.id]))[receipt.id]
    return present_receipt(receipt, [present_receipt_product(line) for line in lines])


async def receipt_event(
    session: AsyncSession,
    event_type: str,
    receipt: Receipt,
    *,
    resource: dict[str, Any] | None = None,
) -> None:
    """Record ``event_type`` for ``receipt``; ``resource`` when it was presented before
    (a deleted receipt, presented before it went)."""
    if resource is None:
        resource = await receipt_resource(session, receipt)
    await record_event(
        session,
        brand_id=receipt.brand_id,
        venue_id=receipt.venue_id,
        type=event_type,
        resource=resource,
    )


async def stop_list_set(session: AsyncSession, entry: StopListEntry) -> None:
    """Record ``stop_list.changed`` for a limit set (0 = sold out)."""
    resource = {
        "id": entry.product_id,
        "venue_id": entry.venue_id,
        "limit": entry.limit,
        "timestamp": unix_millis(entry.updated_at),
    }
    await record_event(
        session,
        brand_id=entry.brand_id,
        venue_id=entry.venue_id,
        type=STOP_LIST_CHANGED,
        resource=resource,
    )


async def stop_list_lifted(
    session: AsyncSession, *, brand_id: int, venue_id: int, product_id: int
) -> None:
    """Record ``stop_list.changed`` for a limit lifted: ``limit`` null means unlimited."""
    resource = {
        "id": product_id,
        "venue_id": venue_id,
        "limit": None,
        "timestamp": unix_millis(utcnow()),
    }
    await record_event(
        session, brand_id=brand_id, venue_id=venue_id, type=STOP_LIST_CHANGED, resource=resource
    )
