"""Tables of the unified webhooks (migration ``0004``).

* ``unified_webhooks`` — a consumer connection's subscription: URL, unified event types,
  the signing secret (Fernet-encrypted, like the events package's endpoint secrets: it must
  come back in clear to sign), the base URL ``entity_url`` points at, and the translation
  cursor — the id of the last outbox event (``events``) of the brand translated for it.
* ``unified_webhook_deliveries`` — one row per unified event owed to a subscription,
  written in the same transaction that moves the cursor past its Clopos event; claimed,
  leased, retried and logged exactly like ``webhook_deliveries``, with the same columns for
  that (``QueuedDelivery``, ``DeliveryAttempt`` of ``clopos.server.events.tables``).
* ``unified_webhook_attempts`` — every HTTP attempt, for the delivery log.

Everything goes with its connection (``ON DELETE CASCADE``), and is also removed
explicitly, since SQLite enforces foreign keys only where they were switched on.
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

from clopos.server.events.tables import (
    DELIVERED,
    DELIVERY_STATUSES,
    FAILED,
    PENDING,
    DeliveryAttempt,
    QueuedDelivery,
)
from clopos.server.store.models import Base, Timestamped

__all__ = [
    "DELIVERED",
    "DELIVERY_STATUSES",
    "FAILED",
    "PENDING",
    "UnifiedWebhook",
    "UnifiedWebhookAttempt",
    "UnifiedWebhookDelivery",
]


class UnifiedWebhook(Base, Timestamped):
    """A URL of a consumer that receives the unified events its ``event_types`` select."""

    __tablename__ = "unified_webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("unified_connections.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    # Selectors (``pos.order.created``, ``pos.order.*``); empty = every unified event.
    event_types: Mapped[list[Any]] = mapped_column(JSON, default=list)
    description: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    # Where consumers reach this server's /pos (entity_url = api_base_url + /pos/orders/…).
    api_base_url: Mapped[str] = mapped_column(String(500))
    # The last outbox event id of the brand already translated for this subscription.
    cursor_event_id: Mapped[int] = mapped_column(Integer, default=0)


class UnifiedWebhookDelivery(QueuedDelivery):
    """One unified event owed to one subscription, and where its delivery stands.

    ``id`` orders a subscription's queue: rows are inserted in event order, by one
    translator at a time per subscription.
    """

    __tablename__ = "unified_webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_key"),
        Index("ix_unified_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_unified_webhook_deliveries_webhook_status_id", "webhook_id", "status", "id"),
        Index("ix_unified_webhook_deliveries_webhook_entity", "webhook_id", "entity_id"),
    )

    webhook_id: Mapped[int] = mapped_column(ForeignKey("unified_webhooks.id", ondelete="CASCADE"))
    # The outbox event it comes from, and its place among that event's unified events.
    source_event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    event_key: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    entity_url: Mapped[str] = mapped_column(String(700))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)


class UnifiedWebhookAttempt(DeliveryAttempt):
    """One HTTP request made for a unified delivery, as the delivery log shows it."""

    __tablename__ = "unified_webhook_attempts"

    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("unified_webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
