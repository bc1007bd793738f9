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

**Deliver.** Exactly the rules of the Clopos endpoints (:mod:`clopos.server.events.delivery`):
only the head of a subscription's queue (its pending delivery with the lowest id) can be
claimed, by a lease written in one ``UPDATE`` that re-checks the row is still free (on
PostgreSQL the candidates are picked ``FOR UPDATE SKIP LOCKED``); 2xx is success; failures
wait ``first × 2^(n-1)`` seconds up to the retry window, then the delivery is ``failed``;
a worker that settled a head leases the next event of that subscription in the same
transaction. Every attempt is logged in ``unified_webhook_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from clopos.server.domain.timestamps import utcnow
from clopos.server.events.delivery import CHAIN_LIMIT, Outcome
from clopos.server.events.secrets import SecretBox, SecretUnreadable
from clopos.server.events.tables import Event
from clopos.server.store.models import Brand
from clopos.unified import webhook_events
from clopos.unified.tables import SELF_UPSTREAM, UnifiedConnection
from clopos.unified.webhook_tables import (
    DELIVERED,
    FAILED,
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


# --- claiming -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnifiedClaim:
    """A unified delivery this worker holds the lease of, with what sending it needs."""

    delivery_id: int
    lease_token: str
    number: int
    window_attempts: int
    retry_started_at: datetime
    webhook_id: int
    url: str
    sealed_secret: str
    consumer_id: str
    event_id: str
    event_type: str
    entity_type: str
    entity_id: str
    entity_url: str
    occurred_at: datetime


def due_conditions(now: datetime) -> list[ColumnElement[bool]]:
    """A delivery that may be sent now: pending, due, unleased, its subscription enabled,
    and the head of its subscription's queue."""
    earlier = aliased(UnifiedWebhookDelivery)
    return [
        UnifiedWebhookDelivery.status == PENDING,
        UnifiedWebhookDelivery.next_attempt_at <= now,
        or_(
            UnifiedWebhookDelivery.lease_until.is_(None),
            UnifiedWebhookDelivery.lease_until < now,
        ),
        UnifiedWebhookDelivery.webhook_id.in_(
            select(UnifiedWebhook.id).where(UnifiedWebhook.enabled.is_(True))
        ),
        ~exists().where(
            earlier.webhook_id == UnifiedWebhookDelivery.webhook_id,
            earlier.status == PENDING,
            earlier.id < UnifiedWebhookDelivery.id,
        ),
    ]


async def _due_ids(
    session: AsyncSession, now: datetime, *, batch: int, webhook_id: int | None = None
) -> list[int]:
    candidates = (
        select(UnifiedWebhookDelivery.id)
        .where(*due_conditions(now))
        .order_by(UnifiedWebhookDelivery.next_attempt_at, UnifiedWebhookDelivery.id)
        .limit(batch)
    )
    if webhook_id is not None:
        candidates = candidates.where(UnifiedWebhookDelivery.webhook_id == webhook_id)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=UnifiedWebhookDelivery)
    return list(await session.scalars(candidates))


async def _lease(
    session: AsyncSession, ids: Sequence[int], now: datetime, lease_seconds: float
) -> list[UnifiedClaim]:
    token = uuid.uuid4().hex
    await session.execute(
        update(UnifiedWebhookDelivery)
        .where(UnifiedWebhookDelivery.id.in_(ids), *due_conditions(now))
        .values(lease_until=now + timedelta(seconds=lease_seconds), lease_token=token)
        .execution_options(synchronize_session=False)
    )
    rows = await session.execute(
        select(
            UnifiedWebhookDelivery,
            UnifiedWebhook.url,
            UnifiedWebhook.secret_encrypted,
            UnifiedConnection.consumer_id,
        )
        .join(UnifiedWebhook, UnifiedWebhook.id == UnifiedWebhookDelivery.webhook_id)
        .join(UnifiedConnection, UnifiedConnection.id == UnifiedWebhook.connection_id)
        .where(UnifiedWebhookDelivery.lease_token == token)
        .order_by(UnifiedWebhookDelivery.id)
    )
    return [
        UnifiedClaim(
            delivery_id=d.id,
            lease_token=token,
            number=d.attempts + 1,
            window_attempts=d.window_attempts,
            retry_started_at=d.retry_started_at,
            webhook_id=d.webhook_id,
            url=url,
            sealed_secret=sealed,
            consumer_id=consumer,
            event_id=d.event_id,
            event_type=d.event_type,
            entity_type=d.entity_type,
            entity_id=d.entity_id,
            entity_url=d.entity_url,
            occurred_at=d.occurred_at,
        )
        for d, url, sealed, consumer in rows.all()
    ]


async def claim_due(
    session: AsyncSession, *, batch: int, lease_seconds: float, now: datetime | None = None
) -> list[UnifiedClaim]:
    """Lease up to ``batch`` due deliveries (at most one per subscription) and commit."""
    now = now or utcnow()
    ids = await _due_ids(session, now, batch=batch)
    if not ids:
        await session.rollback()
        return []
    if session.get_bind().dialect.name != "postgresql":
        # A read transaction cannot become a write one on SQLite once another connection
        # has written: end it, so the UPDATE opens a write transaction of its own.
        await session.commit()
    claims = await _lease(session, ids, now, lease_seconds)
    await session.commit()
    return claims


# --- sending ------------------------------------------------------------------------------


def render(claim: UnifiedClaim, secret: str) -> tuple[bytes, dict[str, str]]:
    """The Apideck body (``execution_attempt`` = this attempt) and headers of a claim."""
    body = webhook_events.canonical(
        webhook_events.payload(
            event_type=claim.event_type,
            consumer_id=claim.consumer_id,
            event_id=claim.event_id,
            entity_id=claim.entity_id,
            entity_type=claim.entity_type,
            entity_url=claim.entity_url,
            execution_attempt=claim.number,
            occurred_at=claim.occurred_at,
        )
    )
    headers = {
        "Content-Type": "application/json",
        webhook_events.EVENT_TYPE_HEADER: claim.event_type,
        webhook_events.SIGNATURE_HEADER: webhook_events.signature(secret, body),
        webhook_events.IDEMPOTENCY_HEADER: claim.event_id,
    }
    return body, headers


async def _send(worker: WebhookWorker, claim: UnifiedClaim, box: SecretBox) -> Outcome:
    started_at = utcnow()
    try:
        secret = box.open(claim.sealed_secret)
    except SecretUnreadable as exc:
        return Outcome(started_at, 0, None, str(exc)[:500], None)
    body, headers = render(claim, secret)
    return await worker.post(claim.url, body, headers, started_at=started_at)


async def _record(
    worker: WebhookWorker, claim: UnifiedClaim, outcome: Outcome, *, lease_next: bool
) -> UnifiedClaim | None:
    """Save the attempt and the delivery's new state (only while holding the lease); when
    the subscription's queue moved on and ``lease_next``, lease its next due event in the
    same transaction and return it."""
    now = utcnow()
    values: dict[str, object] = {
        "attempts": UnifiedWebhookDelivery.attempts + 1,
        "window_attempts": UnifiedWebhookDelivery.window_attempts + 1,
        "last_attempt_at": outcome.started_at,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "lease_until": None,
        "lease_token": None,
        "updated_at": now,
    }
    moved_on = True
    if outcome.succeeded:
        values.update(status=DELIVERED, delivered_at=now)
    else:
        retry_at = worker.policy.next_attempt(
            started_at=claim.retry_started_at, failures=claim.window_attempts + 1, now=now
        )
        if retry_at is None:
            values["status"] = FAILED
        else:
            values["next_attempt_at"] = retry_at
            moved_on = False
    async with worker.sessions() as session:
        changed = await session.execute(
            update(UnifiedWebhookDelivery)
            .where(
                UnifiedWebhookDelivery.id == claim.delivery_id,
                UnifiedWebhookDelivery.lease_token == claim.lease_token,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        held = getattr(changed, "rowcount", 0) == 1
        if not held:
            log.warning(
                "unified webhook delivery %s: lease lost before the result was saved",
                claim.delivery_id,
            )
        session.add(
            UnifiedWebhookAttempt(
                delivery_id=claim.delivery_id,
                number=claim.number,
                started_at=outcome.started_at,
                duration_ms=outcome.duration_ms,
                status_code=outcome.status_code,
                error=outcome.error,
                response_body=outcome.response_excerpt,
                worker=worker.name[:128],
            )
        )
        following: list[UnifiedClaim] = []
        if held and moved_on and lease_next:
            ids = await _due_ids(session, now, batch=1, webhook_id=claim.webhook_id)
            if ids:
                following = await _lease(session, ids, now, worker.lease_seconds)
        try:
            await session.commit()
        except IntegrityError:  # the delivery went with its subscription meanwhile
            await session.rollback()
            return None
    return following[0] if following else None


async def _deliver(worker: WebhookWorker, claim: UnifiedClaim, box: SecretBox) -> int:
    """Send ``claim``, then the subscription's next events while they are due."""
    sent = 0
    current: UnifiedClaim | None = claim
    while current is not None:
        outcome = await _send(worker, current, box)
        sent += 1
        keep_going = sent < CHAIN_LIMIT and not worker.stopping
        current = await _record(worker, current, outcome, lease_next=keep_going)
    return sent


async def deliver_due(worker: WebhookWorker) -> int:
    """Claim one batch of unified deliveries and send them (subscriptions in parallel)."""
    async with worker.sessions() as session:
        claims = await claim_due(
            session, batch=worker.settings.webhook_batch_size, lease_seconds=worker.lease_seconds
        )
    if not claims:
        return 0
    box = await worker._secret_box()
    results = await asyncio.gather(
        *(_deliver(worker, claim, box) for claim in claims), return_exceptions=True
    )
    sent = 0
    for claim, result in zip(claims, results, strict=True):
        if isinstance(result, BaseException):
            log.error(
                "unified webhook delivery to subscription %s failed to run: %r "
                "(its lease will expire)",
                claim.webhook_id,
                result,
            )
            sent += 1
        else:
            sent += result
    return sent


async def unified_round(worker: WebhookWorker) -> int:
    """One round: translate what is new, then deliver what is due; attempts made."""
    await translate_all(worker)
    return await deliver_due(worker)
