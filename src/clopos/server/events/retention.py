"""Retention: delete outbox events older than ``CLOPOS_EVENT_RETENTION_DAYS`` with their
finished deliveries and delivery logs, so ``events`` and the delivery tables stop growing.

What is still owed to a receiver is never dropped. An old event stays while

* one of its webhook deliveries (``webhook_deliveries``) is ``pending``;
* one of the unified deliveries made from it (``unified_webhook_deliveries``) is
  ``pending``;
* an enabled unified subscription of its brand served by this server has not translated it
  yet (its ``cursor_event_id`` is below the event's id).

Delivered and failed deliveries of a pruned event go with it, and so do their attempts.

Work is done in batches (``batch`` events per transaction, 1000 by default), so no
transaction holds its locks for long: the events are read in id order page by page (ids grow
with time, so the old ones come first and the scan stops at the first event inside the
window), then each page's prunable events are deleted — attempts, deliveries, events, each
``DELETE`` re-checking that nothing became owed meanwhile. On PostgreSQL a transaction-level
advisory lock keeps two workers from pruning at the same moment (the second one stops); on
SQLite the single writer lock serializes them.

The feed's cursor is an event id and ids are never reused (``sqlite_autoincrement``, a
PostgreSQL sequence), so ``after=<id>`` keeps working: a cursor from before the window
resumes at the oldest event kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Delete, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clopos.server.domain.timestamps import utcnow
from clopos.server.events.tables import PENDING, Event, WebhookAttempt, WebhookDelivery
from clopos.server.store.models import Brand
from clopos.unified.tables import SELF_UPSTREAM, UnifiedConnection
from clopos.unified.webhook_tables import (
    UnifiedWebhook,
    UnifiedWebhookAttempt,
    UnifiedWebhookDelivery,
)

log = logging.getLogger("clopos.events")

DEFAULT_BATCH = 1000
# How often a webhook worker prunes (``WebhookWorker.run``).
PRUNE_INTERVAL_SECONDS = 3600.0
# Second key of the pruners' advisory lock (the first is the outbox's namespace).
_PRUNE_LOCK_KEY = -1
_LOCK_NAMESPACE = 0x0C1005


@dataclass(frozen=True)
class Pruned:
    """Rows deleted by one prune."""

    events: int = 0
    deliveries: int = 0
    attempts: int = 0
    unified_deliveries: int = 0
    unified_attempts: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(
            events=self.events + other.events,
            deliveries=self.deliveries + other.deliveries,
            attempts=self.attempts + other.attempts,
            unified_deliveries=self.unified_deliveries + other.unified_deliveries,
            unified_attempts=self.unified_attempts + other.unified_attempts,
        )

    def summary(self) -> str:
        """One line for the log."""
        return (
            f"{self.events} event(s), {self.deliveries} delivery(ies), {self.attempts} "
            f"attempt(s), {self.unified_deliveries} unified delivery(ies), "
            f"{self.unified_attempts} unified attempt(s)"
        )

    def lines(self) -> list[str]:
        """The counts as ``name  count`` lines (``clopos events prune``, the worker's log)."""
        return [
            f"events              {self.events}",
            f"deliveries          {self.deliveries}",
            f"attempts            {self.attempts}",
            f"unified deliveries  {self.unified_deliveries}",
            f"unified attempts    {self.unified_attempts}",
        ]


def retention_cutoff(days: int, now: datetime) -> datetime | None:
    """Events that occurred before this moment may be pruned; ``None`` for ``days == 0``
    (keep everything). Negative ``days`` are a mistake, not "keep forever"."""
    if days < 0:
        raise ValueError(f"retention days must be 0 or more, got {days}")
    if days == 0:
        return None
    return now - timedelta(days=days)


def old_prefix(rows: list[tuple[int, datetime]], cutoff: datetime) -> tuple[list[int], bool]:
    """The ids of a page of ``(id, occurred_at)`` rows (in id order) up to the first one
    inside the window, and whether the scan reached the window (stop there)."""
    ids: list[int] = []
    for event_id, occurred_at in rows:
        if occurred_at >= cutoff:
            return ids, True
        ids.append(event_id)
    return ids, False


def _still_owed() -> ColumnElement[bool]:
    """SQL for "the event is still owed to a receiver" (see the module docstring)."""
    pending_delivery = exists().where(
        WebhookDelivery.event_id == Event.id, WebhookDelivery.status == PENDING
    )
    pending_unified = exists().where(
        UnifiedWebhookDelivery.source_event_id == Event.id,
        UnifiedWebhookDelivery.status == PENDING,
    )
    untranslated = exists().where(
        UnifiedWebhook.connection_id == UnifiedConnection.id,
        UnifiedConnection.brand == Brand.slug,
        Brand.id == Event.brand_id,
        UnifiedWebhook.enabled.is_(True),
        or_(
            UnifiedConnection.base_url == SELF_UPSTREAM,
            UnifiedConnection.base_url == UnifiedWebhook.api_base_url,
        ),
        UnifiedWebhook.cursor_event_id < Event.id,
    )
    return or_(pending_delivery, pending_unified, untranslated)


async def _rowcount(session: AsyncSession, statement: Delete) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


async def _delete_events(session: AsyncSession, ids: list[int]) -> Pruned:
    """Delete the events of ``ids`` that are not owed, with their finished deliveries and
    attempts, in the session's transaction (no commit). Writes come first: on SQLite a
    transaction that read first could not write after another connection has."""
    finished = WebhookDelivery.status != PENDING
    finished_unified = UnifiedWebhookDelivery.status != PENDING
    attempts = await _rowcount(
        session,
        delete(WebhookAttempt).where(
            WebhookAttempt.delivery_id.in_(
                select(WebhookDelivery.id).where(WebhookDelivery.event_id.in_(ids), finished)
            )
        ),
    )
    unified_attempts = await _rowcount(
        session,
        delete(UnifiedWebhookAttempt).where(
            UnifiedWebhookAttempt.delivery_id.in_(
                select(UnifiedWebhookDelivery.id).where(
                    UnifiedWebhookDelivery.source_event_id.in_(ids), finished_unified
                )
            )
        ),
    )
    deliveries = await _rowcount(
        session,
        delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids), finished),
    )
    unified_deliveries = await _rowcount(
        session,
        delete(UnifiedWebhookDelivery).where(
            UnifiedWebhookDelivery.source_event_id.in_(ids), finished_unified
        ),
    )
    events = await _rowcount(session, delete(Event).where(Event.id.in_(ids), ~_still_owed()))
    return Pruned(events, deliveries, attempts, unified_deliveries, unified_attempts)


async def _take_prune_lock(session: AsyncSession) -> bool:
    """On PostgreSQL, this transaction becomes the only pruner (``False``: another one is
    at work); SQLite's writer lock serializes pruners by itself."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = await session.scalar(
        select(func.pg_try_advisory_xact_lock(_LOCK_NAMESPACE, _PRUNE_LOCK_KEY))
    )
    return bool(taken)


async def prune_events(
    sessions: async_sessionmaker[AsyncSession],
    *,
    days: int,
    now: datetime | None = None,
    batch: int = DEFAULT_BATCH,
) -> Pruned:
    """Delete the events that occurred more than ``days`` days before ``now`` and are owed
    to no receiver, with their finished deliveries and attempts; ``days == 0`` keeps
    everything. One transaction per ``batch`` events; returns what was deleted."""
    if batch < 1:
        raise ValueError(f"batch must be 1 or more, got {batch}")
    cutoff = retention_cutoff(days, now or utcnow())
    total = Pruned()
    if cutoff is None:
        return total
    after = 0
    while True:
        async with sessions() as session:
            page = [
                (int(event_id), occurred_at)
                for event_id, occurred_at in await session.execute(
                    select(Event.id, Event.occurred_at)
                    .where(Event.id > after)
                    .order_by(Event.id)
                    .limit(batch)
                )
            ]
            ids, reached_window = old_prefix(page, cutoff)
            prunable: list[int] = []
            if ids:
                prunable = list(
                    await session.scalars(select(Event.id).where(Event.id.in_(ids), ~_still_owed()))
                )
            # End the read before writing (SQLite; see _delete_events).
            await session.commit()
            if prunable:
                if not await _take_prune_lock(session):
                    await session.rollback()
                    log.info("another worker is pruning events; leaving it to it")
                    return total
                total = total + await _delete_events(session, prunable)
                await session.commit()
        if reached_window or len(page) < batch:
            return total
        after = page[-1][0]
