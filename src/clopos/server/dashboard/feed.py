"""What changed for a brand since the dashboard last looked: the source of the live updates.

The ``/till/events`` stream calls :func:`changes_since` about once a second with the
cursor it last handed out, and tells the page which *topics* changed (``orders``,
``receipts``, ``stop_list``); the page then re-fetches the parts that show them. The
cursor travels as the SSE event id, so a reconnecting browser (``Last-Event-ID``) picks up
exactly where it left off.

:func:`changes_since` is the one switch point between two sources:

* :func:`outbox_changes` (in use) reads the transactional outbox
  (``clopos.server.events.outbox.read_events``): every order, receipt and stop-list change
  is an event written in the same transaction, and the event id is the cursor;
* :func:`table_changes` compares a digest of the brand's orders, receipts and stop-list
  tables — no outbox needed, a fallback one line away.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.events.outbox import read_events
from clopos.server.events.tables import Event
from clopos.server.store.models import Order, Receipt, StopListEntry

__all__ = ["TOPICS", "changes_since", "outbox_changes", "table_changes", "topic_of"]

TOPICS = ("orders", "receipts", "stop_list")
# Events read per look; a burst larger than this is reported over the next looks.
EVENT_BATCH = 200
_EVENT_CURSOR = "e:"


async def changes_since(
    session: AsyncSession, brand_id: int, cursor: str | None
) -> tuple[frozenset[str], str]:
    """The topics that changed for ``brand_id`` since ``cursor``, and the new cursor.

    Without a cursor (a first look) nothing is reported as changed.
    """
    return await outbox_changes(session, brand_id, cursor)


# --- from the event outbox ----------------------------------------------------------------


def topic_of(event_type: str) -> str | None:
    """The dashboard topic an event type touches (``order.accepted`` → ``orders``)."""
    resource = event_type.split(".", 1)[0]
    return {"order": "orders", "receipt": "receipts", "stop_list": "stop_list"}.get(resource)


def _event_id(cursor: str | None) -> int | None:
    """``e:123`` → 123; anything else (no cursor, a table-digest cursor) → ``None``."""
    if not cursor or not cursor.startswith(_EVENT_CURSOR):
        return None
    digits = cursor[len(_EVENT_CURSOR) :]
    return int(digits) if digits.isdigit() and len(digits) <= 18 else None


async def outbox_changes(
    session: AsyncSession, brand_id: int, cursor: str | None
) -> tuple[frozenset[str], str]:
    """Changes read from the brand's events after the event id in ``cursor``."""
    after = _event_id(cursor)
    if after is None:
        latest = await session.scalar(select(func.max(Event.id)).where(Event.brand_id == brand_id))
        return frozenset(), f"{_EVENT_CURSOR}{latest or 0}"
    events = await read_events(
        session, brand_id=brand_id, after=after, types=None, limit=EVENT_BATCH
    )
    topics = {topic_of(event.type) for event in events}
    last = events[-1].id if events else after
    return frozenset(t for t in topics if t is not None), f"{_EVENT_CURSOR}{last}"


# --- from the tables (no outbox needed) ---------------------------------------------------


def _digest(row: Any) -> str:
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:12]


async def _table_digests(session: AsyncSession, brand_id: int) -> dict[str, str]:
    """One short digest per topic of what the dashboard shows from each table.

    Count, highest id and latest ``updated_at`` change with every insert, update and
    delete the till or the API makes (each write sets ``updated_at``), in one cheap
    indexed query per table.
    """
    orders = (
        await session.execute(
            select(func.count(), func.max(Order.id), func.max(Order.updated_at)).where(
                Order.brand_id == brand_id
            )
        )
    ).one()
    receipts = (
        await session.execute(
            select(func.count(), func.max(Receipt.id), func.max(Receipt.updated_at)).where(
                Receipt.brand_id == brand_id, Receipt.deleted_at.is_(None)
            )
        )
    ).one()
    stops = (
        await session.execute(
            select(
                func.count(), func.max(StopListEntry.id), func.max(StopListEntry.updated_at)
            ).where(StopListEntry.brand_id == brand_id)
        )
    ).one()
    return {"orders": _digest(orders), "receipts": _digest(receipts), "stop_list": _digest(stops)}


def _parse_cursor(cursor: str | None) -> dict[str, str]:
    """``orders:ab12…,receipts:…`` → ``{topic: digest}``; anything unreadable is empty."""
    found: dict[str, str] = {}
    for part in (cursor or "").split(","):
        topic, _, digest = part.partition(":")
        if topic in TOPICS and digest:
            found[topic] = digest
    return found


async def table_changes(
    session: AsyncSession, brand_id: int, cursor: str | None
) -> tuple[frozenset[str], str]:
    """Changes found by comparing table digests with those in ``cursor`` (polling)."""
    now = await _table_digests(session, brand_id)
    before = _parse_cursor(cursor)
    changed = frozenset(t for t in TOPICS if before and before.get(t) != now[t])
    return changed, ",".join(f"{t}:{now[t]}" for t in TOPICS)
