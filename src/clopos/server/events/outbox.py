"""The transactional outbox: record an event with the change, read events after a cursor.

``record_event`` adds the event row — and one delivery row per webhook endpoint of the
brand that wants it — to the caller's transaction and never commits: the change and its
event are committed together, or neither is (a rolled-back order emits nothing).

Ids are the feed's cursor (``after=<id>``), so a reader must never see event N+1 before
event N of the same brand becomes visible. Sequence values are taken at insert time, not at
commit, so two transactions could otherwise commit their events out of id order. Hence:

* on PostgreSQL ``record_event`` first takes a transaction-level advisory lock on the
  brand; the events of one brand are inserted and committed one transaction at a time, in
  id order (the lock is released after the commit is visible);
* on SQLite the single writer lock, held from a transaction's first write to its commit,
  gives the same order.

Call ``record_event`` as the last write before the commit, so the brand lock is held for
as short a time as possible and never while waiting for another row lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import iso_micro, utcnow
from clopos.server.events import types as event_types
from clopos.server.events.tables import PENDING, Event, WebhookDelivery, WebhookEndpoint
from clopos.server.store.models import Brand

# Namespace of the advisory locks (the first key of pg_advisory_xact_lock(int, int)).
_LOCK_NAMESPACE = 0x0C1005


@dataclass(frozen=True)
class EventRecord:
    """An event as readers see it."""

    id: int
    brand_id: int
    brand: str
    venue_id: int | None
    type: str
    occurred_at: datetime
    data: Any

    def wire(self) -> dict[str, Any]:
        """The event as the feed answers it and a webhook delivers it (docs/events.md)."""
        return {
            "id": self.id,
            "type": self.type,
            "brand": self.brand,
            "venue_id": self.venue_id,
            "occurred_at": iso_micro(self.occurred_at),
            "data": self.data,
        }


async def _lock_brand_events(session: AsyncSession, brand_id: int) -> None:
    """Serialize the brand's event-writing transactions (PostgreSQL; see the module doc)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, brand_id)))


async def record_event(
    session: AsyncSession,
    *,
    brand_id: int,
    venue_id: int | None,
    type: str,
    resource: Any,
) -> None:
    """Add an event (and its webhook deliveries) to the session's transaction; no commit.

    ``resource`` is the changed resource as the API would answer it (JSON-ready, Decimals
    kept exact). Any ``type`` made known by ``register_event_types`` may be recorded.
    """
    if type not in event_types.known_types():
        raise ValueError(f"unknown event type {type!r}; register it first")
    # Pending changes go out before the lock: rows are locked first, the brand last.
    await session.flush()
    await _lock_brand_events(session, brand_id)
    now = utcnow()
    event = Event(brand_id=brand_id, venue_id=venue_id, type=type, occurred_at=now, data=resource)
    session.add(event)
    await session.flush()
    endpoints = await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.types).where(
            WebhookEndpoint.brand_id == brand_id, WebhookEndpoint.enabled.is_(True)
        )
    )
    for endpoint_id, selectors in endpoints:
        if event_types.matches(list(selectors or []), type):
            session.add(
                WebhookDelivery(
                    brand_id=brand_id,
                    endpoint_id=endpoint_id,
                    event_id=event.id,
                    status=PENDING,
                    attempts=0,
                    window_attempts=0,
                    retry_started_at=now,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    await session.flush()


def type_condition(selectors: Sequence[str]) -> ColumnElement[bool] | None:
    """SQL for "the event's type is selected"; ``None`` when everything is."""
    if not selectors or event_types.ALL in selectors:
        return None
    exact = [s for s in selectors if not s.endswith(".*")]
    prefixes = [s[:-1] for s in selectors if s.endswith(".*")]
    conditions: list[ColumnElement[bool]] = []
    if exact:
        conditions.append(Event.type.in_(exact))
    conditions.extend(Event.type.startswith(prefix, autoescape=True) for prefix in prefixes)
    return or_(false(), *conditions)


async def read_events(
    session: AsyncSession,
    *,
    brand_id: int,
    after: int | None,
    types: Sequence[str] | None,
    limit: int,
    venue_id: int | None = None,
) -> list[EventRecord]:
    """The brand's events with ``id > after``, oldest first, at most ``limit``.

    ``types`` are selectors (names, ``order.*``, ``*``); ``None`` or empty means all.
    ``venue_id`` keeps that venue's events and those tied to no venue.
    """
    statement = (
        select(Event, Brand.slug)
        .join(Brand, Brand.id == Event.brand_id)
        .where(Event.brand_id == brand_id)
        .order_by(Event.id)
        .limit(max(0, limit))
    )
    if after is not None:
        statement = statement.where(Event.id > after)
    condition = type_condition(list(types or []))
    if condition is not None:
        statement = statement.where(condition)
    if venue_id is not None:
        statement = statement.where(or_(Event.venue_id == venue_id, Event.venue_id.is_(None)))
    rows = await session.execute(statement)
    return [
        EventRecord(
            id=event.id,
            brand_id=event.brand_id,
            brand=slug,
            venue_id=event.venue_id,
            type=event.type,
            occurred_at=event.occurred_at,
            data=event.data,
        )
        for event, slug in rows
    ]


async def event_by_id(session: AsyncSession, brand_id: int, event_id: int) -> EventRecord | None:
    """One event of the brand, or ``None``."""
    row = (
        await session.execute(
            select(Event, Brand.slug)
            .join(Brand, Brand.id == Event.brand_id)
            .where(Event.id == event_id, Event.brand_id == brand_id)
        )
    ).first()
    if row is None:
        return None
    event, slug = row
    return EventRecord(
        id=event.id,
        brand_id=event.brand_id,
        brand=slug,
        venue_id=event.venue_id,
        type=event.type,
        occurred_at=event.occurred_at,
        data=event.data,
    )
