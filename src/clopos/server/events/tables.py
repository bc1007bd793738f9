"""Tables of the events package: the outbox, webhook endpoints, deliveries and attempts.

* ``events`` — the transactional outbox: one row per state change, written in the same
  transaction as the change. Ids grow in commit order within a brand (see
  :mod:`clopos.server.events.outbox`), so ``after=<id>`` is a safe cursor.
* ``webhook_endpoints`` — a brand's subscriptions; the signing secret is kept encrypted
  (Fernet), because signing needs it back in clear.
* ``webhook_deliveries`` — one row per (endpoint, event), written with the event; the
  worker claims due rows with a lease.
* ``webhook_attempts`` — every HTTP attempt, for the delivery log.

The unified webhooks (``clopos.unified.webhook_tables``) queue and log their deliveries the
same way: both delivery tables are :class:`QueuedDelivery` tables, both attempt tables
:class:`DeliveryAttempt` tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import Base, Timestamped
from clopos.server.store.types import ExactJSON

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, DELIVERED, FAILED)


class Event(Base):
    """Something that happened to a brand's resource, with the resource as the API shows it."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_brand_id_id", "brand_id", "id"),
        Index("ix_events_brand_id_type_id", "brand_id", "type", "id"),
        # Never reuse the id of a deleted row: ids are cursors.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    # No foreign key: an event outlives the venue it happened at.
    venue_id: Mapped[int | None] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    data: Mapped[Any] = mapped_column(ExactJSON)


class WebhookEndpoint(Base, Timestamped):
    """A URL of a brand that receives the events its ``types`` select (empty = all)."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(128))


class QueuedDelivery(Base, Timestamped):
    """The columns of a delivery queue: where one delivery stands, its retry window and the
    lease of the worker sending it (``clopos.server.events.delivery``).

    They follow the table's own columns (``id`` comes first, as in every table), then
    ``created_at`` and ``updated_at``.
    """

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # Every attempt ever made, and those since the retry window (24 h) last started.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A worker owns the row while lease_until is in the future (lease_token says which).
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    lease_token: Mapped[str | None] = mapped_column(String(64), index=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class DeliveryAttempt(Base):
    """The columns of a delivery log: one HTTP request made for a delivery. A table adds
    ``delivery_id``, the foreign key to its delivery table."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    response_body: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str] = mapped_column(String(128))


class WebhookDelivery(QueuedDelivery):
    """One event owed to one endpoint, and where its delivery stands."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint_status_event", "endpoint_id", "status", "event_id"),
    )

    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)


class WebhookAttempt(DeliveryAttempt):
    """One HTTP request made for a delivery, as the delivery log shows it."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
