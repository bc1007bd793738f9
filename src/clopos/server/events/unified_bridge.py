"""Unified webhooks from the outbox: every worker round translates, then delivers.

The unified layer's subscriptions (``clopos.unified.webhook_tables``) are served by the same
``WebhookWorker`` as the Clopos endpoints, from the same outbox (``events``), with the same
retry policy, leases and HTTP client; only the body and headers are Apideck's.

**Translate.** For each enabled subscription whose connection's upstream is this server
(``self``, or its ``api_base_url``) and whose brand has events after the subscription's
cursor, one transaction:

1. an ``UPDATE`` of the subscription row first — the row lock on PostgreSQL, the writer
   lock on SQLite — so one translator at a time works on a subscription;
2. the brand's next events after the cursor (ids become visible in id order within a
   brand, see :mod:`clopos.server.events.outbox`, so the cursor never skips one);
3. each translated (``webhook_events.translate``), filtered by the connection's venue scope
   and the subscription's event types, and queued as one delivery row per unified event;
4. the cursor moved past the last event read, and commit.

The cursor moves only together with the rows it produced: a unified event is queued once
and never lost (a crash before the commit leaves both as they were).

**Deliver.** The Clopos endpoints' code and rules (:mod:`clopos.server.events.delivery`),
given this kind of delivery as :data:`UNIFIED_DELIVERIES` (a ``DeliveryQueue``): only the
head of a subscription's queue (its pending delivery with the lowest id) can be claimed, by
a lease written in one ``UPDATE`` that re-checks the row is still free (on PostgreSQL the
candidates are picked ``FOR UPDATE SKIP LOCKED``); 2xx is success; failures wait
``first × 2^(n-1)`` seconds up to the retry window, then the delivery is ``failed``; a
worker that settled a head leases the next event of that subscription in the same
transaction. Every attempt is logged in ``unified_webhook_attempts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import utcnow
from clopos.server.events.delivery import Claim, DeliveryQueue
from clopos.server.events.tables import Event
from clopos.server.store.models import Brand
from clopos.unified import webhook_events
from clopos.unified.tables import SELF_UPSTREAM, UnifiedConnection
from clopos.unified.webhook_tables import (
    PENDING,
    UnifiedWebhook,
    UnifiedWebhookAttempt,
    UnifiedWebhookDelivery,
)

if TYPE_CHECKING:
    from clopos.server.events.delivery import WebhookWorker

log = logging.getLogger("clopos.webhooks")

# Outbox events one subscription translates per transaction, and transactions per round.
TRANSLATE_BATCH = 200
TRANSLATE_ROUNDS = 10


# --- translating --------------------------------------------------------------------------


def _local_upstream() -> ColumnElement[bool]:
    """The connection's upstream is this server: ``self`` or the subscription's base URL."""
    return or_(
        UnifiedConnection.base_url == SELF_UPSTREAM,
        UnifiedConnection.base_url == UnifiedWebhook.api_base_url,
    )


async def subscriptions_with_work(session: AsyncSession) -> list[int]:
    """Ids of the enabled subscriptions whose brand has events after their cursor (one
    indexed read; an idle round writes nothing)."""
    newer = exists().where(Event.brand_id == Brand.id, Event.id > UnifiedWebhook.cursor_event_id)
    rows = await session.scalars(
        select(UnifiedWebhook.id)
        .join(UnifiedConnection, UnifiedConnection.id == UnifiedWebhook.connection_id)
        .join(Brand, Brand.slug == UnifiedConnection.brand)
        .where(UnifiedWebhook.enabled.is_(True), _local_upstream(), newer)
        .order_by(UnifiedWebhook.id)
    )
    return list(rows)


@dataclass(frozen=True)
class Translated:
    """What one translation transaction did."""

    events: int  # outbox events read (and the cursor moved past)
    queued: int  # deliveries queued


NOTHING = Translated(0, 0)


async def translate_subscription(
    session: AsyncSession, webhook_id: int, *, batch: int = TRANSLATE_BATCH
) -> Translated:
    """Queue the unified events of the subscription's next outbox events (at most
    ``batch``) and move its cursor past them, in one transaction (committed)."""
    locked = await session.execute(
        update(UnifiedWebhook)
        .where(UnifiedWebhook.id == webhook_id, UnifiedWebhook.enabled.is_(True))
        .values(cursor_event_id=UnifiedWebhook.cursor_event_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(locked, "rowcount", 0) != 1:
        await session.rollback()
        return NOTHING
    row = (
        await session.execute(
            select(UnifiedWebhook, UnifiedConnection, Brand.id)
            .join(UnifiedConnection, UnifiedConnection.id == UnifiedWebhook.connection_id)
            .join(Brand, Brand.slug == UnifiedConnection.brand)
            .where(UnifiedWebhook.id == webhook_id, _local_upstream())
        )
    ).first()
    if row is None:
        await session.rollback()
        return NOTHING
    webhook, conn, brand_id = row
    events = list(
        await session.scalars(
            select(Event)
            .where(Event.brand_id == brand_id, Event.id > webhook.cursor_event_id)
            .order_by(Event.id)
            .limit(batch)
        )
    )
    if not events:
        await session.rollback()
        return NOTHING
    translated = [
        (event, webhook_events.translate(event.type, event.data))
        for event in events
        if webhook_events.in_scope(
            event.venue_id, api_version=conn.api_version, venue_id=conn.venue_id
        )
    ]
    orders = {
        change.entity_id
        for _event, changes in translated
        for change in changes
        if change.entity_type == webhook_events.ORDER
    }
    deleted: frozenset[str] = frozenset()
    if orders:
        deleted = frozenset(
            await session.scalars(
                select(UnifiedWebhookDelivery.entity_id).where(
                    UnifiedWebhookDelivery.webhook_id == webhook.id,
                    UnifiedWebhookDelivery.event_type == webhook_events.POS_ORDER_DELETED,
                    UnifiedWebhookDelivery.entity_id.in_(sorted(orders)),
                )
            )
        )
    selectors = [str(s) for s in webhook.event_types or []]
    scope = f"{conn.id}/{conn.consumer_id}"
    now = utcnow()
    queued = 0
    for event, changes in translated:
        kept, deleted = webhook_events.select_changes(changes, selectors=selectors, deleted=deleted)
        for change in kept:
            index = changes.index(change)
            session.add(
                UnifiedWebhookDelivery(
                    webhook_id=webhook.id,
                    source_event_id=event.id,
                    event_key=f"{event.id}:{index}",
                    event_id=webhook_events.event_id(scope, event.id, index),
                    event_type=change.event_type,
                    entity_type=change.entity_type,
                    entity_id=change.entity_id,
                    entity_url=webhook_events.entity_url(
                        webhook.api_base_url, change.entity_type, change.entity_id
                    ),
                    occurred_at=event.occurred_at,
                    status=PENDING,
                    attempts=0,
                    window_attempts=0,
                    retry_started_at=now,
                    next_attempt_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            # One row at a time: ids (the queue's order) follow the events' order.
            await session.flush()
            queued += 1
    webhook.cursor_event_id = events[-1].id
    try:
        await session.commit()
    except IntegrityError:  # the subscription was deleted meanwhile
        await session.rollback()
        return NOTHING
    return Translated(len(events), queued)


async def translate_all(
    worker: WebhookWorker, *, batch: int = TRANSLATE_BATCH, max_batches: int = TRANSLATE_ROUNDS
) -> int:
    """Translate what is new for every subscription — a backlog up to ``max_batches``
    transactions each per round, so a busy brand is not translated slower than it writes;
    the number of deliveries queued."""
    async with worker.sessions() as session:
        ids = await subscriptions_with_work(session)
    queued = 0
    for webhook_id in ids:
        for _ in range(max_batches):
            async with worker.sessions() as session:
                done = await translate_subscription(session, webhook_id, batch=batch)
            queued += done.queued
            if done.events < batch:
                break
    return queued


# --- claiming and sending -----------------------------------------------------------------


@dataclass(frozen=True)
class UnifiedEvent:
    """A queued unified event, with what its Apideck body needs."""

    consumer_id: str
    event_id: str
    event_type: str
    entity_type: str
    entity_id: str
    entity_url: str
    occurred_at: datetime


def _unified_event(delivery: UnifiedWebhookDelivery, consumer_id: str) -> UnifiedEvent:
    return UnifiedEvent(
        consumer_id=consumer_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        entity_type=delivery.entity_type,
        entity_id=delivery.entity_id,
        entity_url=delivery.entity_url,
        occurred_at=delivery.occurred_at,
    )


def render(claim: Claim[UnifiedEvent], secret: str) -> tuple[bytes, dict[str, str]]:
    """The Apideck body (``execution_attempt`` = this attempt) and headers of a claim."""
    event = claim.message
    body = webhook_events.canonical(
        webhook_events.payload(
            event_type=event.event_type,
            consumer_id=event.consumer_id,
            event_id=event.event_id,
            entity_id=event.entity_id,
            entity_type=event.entity_type,
            entity_url=event.entity_url,
            execution_attempt=claim.number,
            occurred_at=event.occurred_at,
        )
    )
    headers = {
        "Content-Type": "application/json",
        webhook_events.EVENT_TYPE_HEADER: event.event_type,
        webhook_events.SIGNATURE_HEADER: webhook_events.signature(secret, body),
        webhook_events.IDEMPOTENCY_HEADER: event.event_id,
    }
    return body, headers


UNIFIED_DELIVERIES: DeliveryQueue[UnifiedEvent] = DeliveryQueue(
    deliveries=UnifiedWebhookDelivery,
    attempts=UnifiedWebhookAttempt,
    owner=UnifiedWebhookDelivery.webhook_id,
    # Rows are queued in event order (one translator per subscription), so id is that order.
    order=UnifiedWebhookDelivery.id,
    enabled_owners=select(UnifiedWebhook.id).where(UnifiedWebhook.enabled.is_(True)),
    claim_query=select(
        UnifiedWebhookDelivery,
        UnifiedWebhook.url,
        UnifiedWebhook.secret_encrypted,
        UnifiedConnection.consumer_id,
    )
    .join(UnifiedWebhook, UnifiedWebhook.id == UnifiedWebhookDelivery.webhook_id)
    .join(UnifiedConnection, UnifiedConnection.id == UnifiedWebhook.connection_id),
    message=_unified_event,
    render=render,
    kind="unified webhook delivery",
    owner_name="subscription",
)


async def deliver_due(worker: WebhookWorker) -> int:
    """Claim one batch of unified deliveries and send them (subscriptions in parallel)."""
    return await worker.deliver_due(UNIFIED_DELIVERIES)


async def unified_round(worker: WebhookWorker) -> int:
    """One round: translate what is new, then deliver what is due; attempts made."""
    await translate_all(worker)
    return await deliver_due(worker)
