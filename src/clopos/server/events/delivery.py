"""The webhook worker: claims due deliveries, POSTs signed events, retries with backoff.

Guarantees (docs/events.md):

* **At least once.** A delivery row is written with its event (same transaction); it stays
  ``pending`` until an endpoint answers 2xx or its retry window (24 h by default) is over.
  A worker that dies mid-request leaves a lease that expires; the delivery is then retried.
* **Never twice at the same time.** A worker *claims* rows by setting a lease (``lease_until``,
  ``lease_token``) in one ``UPDATE`` whose ``WHERE`` re-checks that the row is still due and
  unleased. On PostgreSQL the candidates are first selected ``FOR UPDATE SKIP LOCKED``, so
  workers skip each other's rows instead of queueing on them; on SQLite the database's single
  writer lock makes the ``UPDATE`` atomic. The lease outlasts the request timeout, and a
  result is recorded only by the lease's holder.
* **In order per endpoint.** Only an endpoint's *head* — its pending delivery with the
  lowest event id — can be claimed; event N+1 waits until N is delivered or given up.
  Different endpoints are served concurrently. A worker that has settled an endpoint's
  head leases its next event in the same transaction and carries on with it (up to
  ``CHAIN_LIMIT`` in a row), so a backlog costs one commit per event.

Retries: the n-th consecutive failure waits ``first × 2^(n-1)`` seconds, at most ``max``
(10 s, 20 s, 40 s … 1 h by default); the last attempt is made when the window closes, and a
failure then marks the delivery ``failed``. A 2xx answer is success; anything else — 3xx
(redirects are not followed), 4xx, 5xx, a timeout, a refused connection — is a failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import httpx
from sqlalchemy import ColumnElement, Select, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased

from clopos import __version__
from clopos._json import dumps
from clopos.server.domain.timestamps import utcnow
from clopos.server.events import signing
from clopos.server.events.outbox import EventRecord
from clopos.server.events.secrets import SecretBox, SecretUnreadable, load_secret_box
from clopos.server.events.tables import (
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryAttempt,
    Event,
    QueuedDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from clopos.server.store.models import Brand
from clopos.settings import Settings

log = logging.getLogger("clopos.webhooks")

RESPONSE_EXCERPT_BYTES = 1024
LEASE_MARGIN_SECONDS = 30.0
STOP_GRACE_SECONDS = 5.0
# Events sent to one endpoint in a row before the worker looks at the others again.
CHAIN_LIMIT = 100
USER_AGENT = f"clopos-webhooks/{__version__}"


# --- the retry schedule (pure) ------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff inside a retry window."""

    first_seconds: float = 10.0
    max_seconds: float = 3600.0
    window_seconds: float = 86400.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The schedule configured by ``CLOPOS_WEBHOOK_RETRY_*``."""
        return cls(
            first_seconds=settings.webhook_retry_first_seconds,
            max_seconds=settings.webhook_retry_max_seconds,
            window_seconds=settings.webhook_retry_window_seconds,
        )

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1-based)."""
        exponent = max(0, min(failures - 1, 64))
        return float(min(self.first_seconds * 2.0**exponent, self.max_seconds))

    def next_attempt(
        self, *, started_at: datetime, failures: int, now: datetime
    ) -> datetime | None:
        """When to try again after a failure at ``now``; ``None`` once the window that began
        at ``started_at`` is over (give up). The last try falls on the window's end."""
        deadline = started_at + timedelta(seconds=self.window_seconds)
        if now >= deadline:
            return None
        return min(now + timedelta(seconds=self.delay(failures)), deadline)


# --- claiming -----------------------------------------------------------------------------


MessageT = TypeVar("MessageT")


@dataclass(frozen=True)
class Claim(Generic[MessageT]):
    """A delivery this worker holds the lease of, with what sending it needs: the Clopos
    event (:class:`EventRecord`) for an endpoint, the unified event
    (``unified_bridge.UnifiedEvent``) for a unified subscription."""

    delivery_id: int
    lease_token: str
    number: int  # this attempt's number, 1 for the first
    window_attempts: int
    retry_started_at: datetime
    owner_id: int  # the endpoint (or unified subscription) whose queue it heads
    url: str
    sealed_secret: str
    message: MessageT


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt came to."""

    started_at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None

    @property
    def succeeded(self) -> bool:
        """2xx: the endpoint took the event."""
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryQueue(Generic[MessageT]):
    """One kind of webhook delivery — its tables, how a claim is read and rendered. Every
    kind is claimed, leased and retried by the same rules (this module's docstring); the
    Clopos endpoints' is :data:`ENDPOINT_DELIVERIES`, the unified subscriptions' is in
    ``clopos.server.events.unified_bridge``."""

    deliveries: type[QueuedDelivery]
    attempts: type[DeliveryAttempt]
    # The delivery's endpoint (subscription), and the column whose lowest value among an
    # endpoint's pending deliveries is the head of its queue.
    owner: InstrumentedAttribute[int]
    order: InstrumentedAttribute[int]
    # Ids of the endpoints that receive deliveries (the enabled ones).
    enabled_owners: Select[int]
    # What claims are read with: each row is a delivery, its endpoint's URL and sealed
    # secret, then more columns; ``message(delivery, *more)`` is the claim's message.
    claim_query: Select[*tuple[Any, ...]]
    message: Callable[..., MessageT]
    # The body and headers of a claim, signed with its endpoint's secret.
    render: Callable[[Claim[MessageT], str], tuple[bytes, dict[str, str]]]
    # For the log: "<kind> to <owner_name> 12", "<kind> 34".
    kind: str
    owner_name: str

    def due_conditions(self, now: datetime) -> list[ColumnElement[bool]]:
        """A delivery that may be sent now: pending, due, unleased, its endpoint enabled,
        and the head of its endpoint's queue (no pending delivery before it)."""
        table = self.deliveries
        earlier = aliased(table)
        return [
            table.status == PENDING,
            table.next_attempt_at <= now,
            or_(table.lease_until.is_(None), table.lease_until < now),
            self.owner.in_(self.enabled_owners),
            ~exists().where(
                getattr(earlier, self.owner.key) == self.owner,
                earlier.status == PENDING,
                getattr(earlier, self.order.key) < self.order,
            ),
        ]

    async def due_ids(
        self, session: AsyncSession, now: datetime, *, batch: int, owner_id: int | None = None
    ) -> list[int]:
        """Ids of up to ``batch`` due deliveries (of one endpoint, or all); on PostgreSQL
        locked ``FOR UPDATE SKIP LOCKED``, so that workers claiming at the same moment take
        different rows."""
        table = self.deliveries
        candidates = (
            select(table.id)
            .where(*self.due_conditions(now))
            .order_by(table.next_attempt_at, table.id)
            .limit(batch)
        )
        if owner_id is not None:
            candidates = candidates.where(self.owner == owner_id)
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True, of=table)
        return list(await session.scalars(candidates))

    async def lease(
        self, session: AsyncSession, ids: Sequence[int], now: datetime, lease_seconds: float
    ) -> list[Claim[MessageT]]:
        """Lease those of ``ids`` that are still due (the ``WHERE`` re-checks), in the
        session's transaction; the caller commits."""
        token = uuid.uuid4().hex
        await session.execute(
            update(self.deliveries)
            .where(self.deliveries.id.in_(ids), *self.due_conditions(now))
            .values(lease_until=now + timedelta(seconds=lease_seconds), lease_token=token)
            .execution_options(synchronize_session=False)
        )
        rows = await session.execute(
            self.claim_query.where(self.deliveries.lease_token == token).order_by(
                self.deliveries.id
            )
        )
        return [
            Claim(
                delivery_id=delivery.id,
                lease_token=token,
                number=delivery.attempts + 1,
                window_attempts=delivery.window_attempts,
                retry_started_at=delivery.retry_started_at,
                owner_id=getattr(delivery, self.owner.key),
                url=url,
                sealed_secret=sealed,
                message=self.message(delivery, *rest),
            )
            for delivery, url, sealed, *rest in rows.all()
        ]

    async def claim_due(
        self,
        session: AsyncSession,
        *,
        batch: int,
        lease_seconds: float,
        now: datetime | None = None,
    ) -> list[Claim[MessageT]]:
        """Lease up to ``batch`` due deliveries (at most one per endpoint) and commit."""
        now = now or utcnow()
        ids = await self.due_ids(session, now, batch=batch)
        if not ids:
            await session.rollback()
            return []
        if session.get_bind().dialect.name != "postgresql":
            # End the read so the UPDATE opens a write transaction of its own: on SQLite a
            # read transaction cannot become a write one once another connection has written.
            await session.commit()
        claims = await self.lease(session, ids, now, lease_seconds)
        await session.commit()
        return claims


def _event_record(_delivery: WebhookDelivery, event: Event, brand: str) -> EventRecord:
    return EventRecord(
        id=event.id,
        brand_id=event.brand_id,
        brand=brand,
        venue_id=event.venue_id,
        type=event.type,
        occurred_at=event.occurred_at,
        data=event.data,
    )


def _render_event(claim: Claim[EventRecord], secret: str) -> tuple[bytes, dict[str, str]]:
    """The event as the feed shows it, with the ``X-Clopos-*`` headers and signature."""
    event = claim.message
    body = dumps(event.wire())
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature_header(secret, timestamp, body),
        signing.EVENT_ID_HEADER: str(event.id),
        signing.EVENT_TYPE_HEADER: event.type,
        signing.DELIVERY_ID_HEADER: str(claim.delivery_id),
        signing.ATTEMPT_HEADER: str(claim.number),
    }
    return body, headers


ENDPOINT_DELIVERIES: DeliveryQueue[EventRecord] = DeliveryQueue(
    deliveries=WebhookDelivery,
    attempts=WebhookAttempt,
    owner=WebhookDelivery.endpoint_id,
    order=WebhookDelivery.event_id,  # an endpoint gets its events in event order
    enabled_owners=select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True)),
    claim_query=select(
        WebhookDelivery, WebhookEndpoint.url, WebhookEndpoint.secret_encrypted, Event, Brand.slug
    )
    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    .join(Event, Event.id == WebhookDelivery.event_id)
    .join(Brand, Brand.id == Event.brand_id),
    message=_event_record,
    render=_render_event,
    kind="webhook delivery",
    owner_name="endpoint",
)


# --- the worker ---------------------------------------------------------------------------


def worker_name() -> str:
    """``host:pid:random``: which worker made an attempt (shown in the delivery log)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WebhookWorker:
    """Delivers pending webhooks until told to stop. Safe to run in several processes."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        name: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.policy = RetryPolicy.from_settings(settings)
        self.name = name or worker_name()
        self.timeout = settings.webhook_timeout_seconds
        self.lease_seconds = self.timeout + LEASE_MARGIN_SECONDS
        self._box: SecretBox | None = None
        self._stop: asyncio.Event | None = None
        # time.monotonic() at which run() next prunes old events (retention); 0 = at once.
        self._next_prune_at = 0.0
        self._http = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.aclose()

    @property
    def stopping(self) -> bool:
        """Whether ``run`` was told to stop: a chain of deliveries ends after the current one."""
        return self._stop is not None and self._stop.is_set()

    async def _secret_box(self) -> SecretBox:
        if self._box is None:
            async with self.sessions() as session:
                self._box = await load_secret_box(session, self.settings)
        return self._box

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; an idle worker looks for work every poll interval."""
        log.info("webhook worker %s started", self.name)
        self._stop = stop
        while not stop.is_set():
            await self.prune_if_due()
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("webhook worker %s: a round failed; retrying", self.name)
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.settings.webhook_poll_seconds)
        log.info("webhook worker %s stopped", self.name)

    async def prune_if_due(self) -> None:
        """Prune events past ``CLOPOS_EVENT_RETENTION_DAYS`` at most once an hour (a
        clock check otherwise); a failed prune is logged and tried again next hour."""
        from clopos.server.events.retention import PRUNE_INTERVAL_SECONDS, prune_events

        if self.settings.event_retention_days == 0 or time.monotonic() < self._next_prune_at:
            return
        self._next_prune_at = time.monotonic() + PRUNE_INTERVAL_SECONDS
        try:
            pruned = await prune_events(self.sessions, days=self.settings.event_retention_days)
        except Exception:
            log.exception("webhook worker %s: pruning old events failed", self.name)
            return
        if pruned.events:
            log.info("webhook worker %s pruned %s", self.name, pruned.summary())

    async def run_once(self) -> int:
        """One round: the Clopos endpoints' due deliveries and the unified subscriptions'
        (``unified_bridge``: translate new events, then deliver), side by side; the number
        of attempts made."""
        clopos, unified = await asyncio.gather(
            self.deliver_due(ENDPOINT_DELIVERIES), self._unified_round()
        )
        return clopos + unified

    async def _unified_round(self) -> int:
        """The unified webhooks' round; its failure never holds up the Clopos endpoints."""
        from clopos.server.events.unified_bridge import unified_round

        try:
            return await unified_round(self)
        except Exception:
            log.exception("webhook worker %s: the unified round failed; retrying", self.name)
            return 0

    async def deliver_due(self, queue: DeliveryQueue[MessageT]) -> int:
        """Claim one batch of ``queue`` and deliver it (endpoints in parallel); the number
        of attempts made."""
        async with self.sessions() as session:
            claims = await queue.claim_due(
                session, batch=self.settings.webhook_batch_size, lease_seconds=self.lease_seconds
            )
        if not claims:
            return 0  # an idle round reads one index and writes nothing
        box = await self._secret_box()
        sent = 0
        results = await asyncio.gather(
            *(self._deliver(queue, claim, box) for claim in claims), return_exceptions=True
        )
        for claim, result in zip(claims, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "%s to %s %s failed to run: %r (its lease will expire)",
                    queue.kind,
                    queue.owner_name,
                    claim.owner_id,
                    result,
                )
                sent += 1
            else:
                sent += result
        return sent

    async def _deliver(
        self, queue: DeliveryQueue[MessageT], claim: Claim[MessageT], box: SecretBox
    ) -> int:
        """Send ``claim``, then the endpoint's next events while they are due: each result
        is saved in the same transaction that leases the next one (one commit per event)."""
        sent = 0
        current: Claim[MessageT] | None = claim
        while current is not None:
            outcome = await self._send(queue, current, box)
            sent += 1
            keep_going = sent < CHAIN_LIMIT and not self.stopping
            current = await self._record(queue, current, outcome, lease_next=keep_going)
        return sent

    async def _send(
        self, queue: DeliveryQueue[MessageT], claim: Claim[MessageT], box: SecretBox
    ) -> Outcome:
        started_at = utcnow()
        clock = time.perf_counter()
        try:
            secret = box.open(claim.sealed_secret)
        except SecretUnreadable as exc:
            return Outcome(started_at, 0, None, str(exc)[:500], None)
        body, headers = queue.render(claim, secret)
        return await self.post(claim.url, body, headers, started_at=started_at, clock=clock)

    async def post(
        self,
        url: str,
        body: bytes,
        headers: dict[str, str],
        *,
        started_at: datetime | None = None,
        clock: float | None = None,
    ) -> Outcome:
        """POST one delivery (redirects not followed, the whole request within the
        timeout) and say how it went; shared by every kind of delivery."""
        started_at = started_at or utcnow()
        clock = time.perf_counter() if clock is None else clock
        status: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            async with asyncio.timeout(self.timeout):
                async with self._http.stream(
                    "POST", url, content=body, headers=headers
                ) as response:
                    status = response.status_code
                    excerpt = await _excerpt(response)
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        duration_ms = int((time.perf_counter() - clock) * 1000)
        if error is None and status is not None and not 200 <= status < 300:
            error = f"HTTP {status}"
        return Outcome(started_at, duration_ms, status, error[:500] if error else None, excerpt)

    async def _record(
        self,
        queue: DeliveryQueue[MessageT],
        claim: Claim[MessageT],
        outcome: Outcome,
        *,
        lease_next: bool,
    ) -> Claim[MessageT] | None:
        """Save the attempt and the delivery's new state (only while holding the lease);
        when the endpoint's queue moved on (delivered or given up) and ``lease_next``, lease
        its next due event in the same transaction and return it."""
        now = utcnow()
        table = queue.deliveries
        values: dict[str, object] = {
            "attempts": table.attempts + 1,
            "window_attempts": table.window_attempts + 1,
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
            retry_at = self.policy.next_attempt(
                started_at=claim.retry_started_at, failures=claim.window_attempts + 1, now=now
            )
            if retry_at is None:
                values["status"] = FAILED
            else:
                values["next_attempt_at"] = retry_at
                moved_on = False
        async with self.sessions() as session:
            changed = await session.execute(
                update(table)
                .where(table.id == claim.delivery_id, table.lease_token == claim.lease_token)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            held = getattr(changed, "rowcount", 0) == 1
            if not held:
                # The lease ran out (or the endpoint was deleted) while we were sending.
                log.warning(
                    "%s %s: lease lost before the result was saved",
                    queue.kind,
                    claim.delivery_id,
                )
            session.add(
                queue.attempts(
                    delivery_id=claim.delivery_id,
                    number=claim.number,
                    started_at=outcome.started_at,
                    duration_ms=outcome.duration_ms,
                    status_code=outcome.status_code,
                    error=outcome.error,
                    response_body=outcome.response_excerpt,
                    worker=self.name[:128],
                )
            )
            following: list[Claim[MessageT]] = []
            if held and moved_on and lease_next:
                # This transaction has written already, so on SQLite it holds the writer
                # lock; on PostgreSQL it sees its own update: the next event is the head.
                ids = await queue.due_ids(session, now, batch=1, owner_id=claim.owner_id)
                if ids:
                    following = await queue.lease(session, ids, now, self.lease_seconds)
            try:
                await session.commit()
            except IntegrityError:  # the delivery was deleted with its endpoint meanwhile
                await session.rollback()
                return None
        return following[0] if following else None


async def _excerpt(response: httpx.Response) -> str:
    """The first KB of the answer, for the delivery log (never the whole of a large body)."""
    collected = b""
    async for chunk in response.aiter_bytes():
        collected += chunk
        if len(collected) >= RESPONSE_EXCERPT_BYTES:
            break
    return collected[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")


# --- in-process worker (clopos serve) -----------------------------------------------------


class BackgroundWorker:
    """A worker running as a task of the server's event loop."""

    def __init__(self, worker: WebhookWorker) -> None:
        self.worker = worker
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(worker.run(self._stop), name="clopos-webhook-worker")

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Let the deliveries in flight finish (up to ``grace`` seconds), then cancel."""
        self._stop.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=grace)
        except TimeoutError:
            # Cancelled mid-request: the lease expires and the delivery is retried later.
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        finally:
            await self.worker.aclose()


def start_background_worker(
    sessions: async_sessionmaker[AsyncSession], settings: Settings
) -> BackgroundWorker | None:
    """Start delivering inside this process, unless ``CLOPOS_WEBHOOK_WORKER=false``."""
    if not settings.webhook_worker:
        return None
    return BackgroundWorker(WebhookWorker(sessions, settings))


async def pending_count(session: AsyncSession, endpoint_ids: Sequence[int] | None = None) -> int:
    """How many deliveries are still pending (all, or of some endpoints)."""
    statement = select(func.count()).where(WebhookDelivery.status == PENDING)
    if endpoint_ids is not None:
        statement = statement.where(WebhookDelivery.endpoint_id.in_(endpoint_ids))
    return int(await session.scalar(statement) or 0)
