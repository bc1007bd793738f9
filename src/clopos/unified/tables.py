"""Tables of the unified layer, in the server's database (migration ``0002``).

* ``unified_apps`` — an application calling ``/pos/*`` (Apideck's "Unify app"): its public
  ``app_id`` and the SHA-256 of its API key (keys are random and high-entropy, so a plain
  digest is enough; the key itself is shown once and never stored).
* ``unified_connections`` — which Clopos upstream a consumer of an app uses: base URL (or
  ``"self"``), API version, credentials (the client secret Fernet-encrypted), brand,
  integrator and venue. One row per (app, consumer, service).
* ``unified_tombstones`` — unified order ids deleted through ``DELETE /pos/orders/{id}``
  (spec §6.4): Clopos cannot delete an order, so the unified layer hides it.
* ``unified_idempotency_keys`` — ``idempotency_key`` of a create → the unified id it made
  (spec §6.1), kept at least 24 hours.

Tombstones and idempotency keys belong to one connection and go with it (``ON DELETE
CASCADE``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import Base

SELF_UPSTREAM = "self"
"""``base_url`` sentinel: "the Clopos server this unified layer is attached to".

Inside ``clopos serve`` that is the same process (called in-process, no socket); inside
``clopos unified serve --upstream URL`` it is ``URL``. The demo consumer uses it because the
server's own port is known only when it starts.
"""


class UnifiedApp(Base):
    """An application allowed to call ``/pos/*`` with ``Authorization: Bearer <api key>``."""

    __tablename__ = "unified_apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    # hex SHA-256 of the API key
    api_key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UnifiedConnection(Base):
    """A consumer's connection to a Clopos upstream (Apideck: consumer + connection)."""

    __tablename__ = "unified_connections"
    __table_args__ = (UniqueConstraint("unified_app_id", "consumer_id", "service_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unified_app_id: Mapped[int] = mapped_column(
        ForeignKey("unified_apps.id", ondelete="CASCADE"), index=True
    )
    consumer_id: Mapped[str] = mapped_column(String(255))
    service_id: Mapped[str] = mapped_column(String(32), default="clopos")
    base_url: Mapped[str] = mapped_column(String(500), default=SELF_UPSTREAM)
    api_version: Mapped[str] = mapped_column(String(2), default="v2")
    client_id: Mapped[str] = mapped_column(String(128))
    # Fernet token (AES-128-CBC + HMAC-SHA256) of the client secret; see unified/crypto.py.
    client_secret_encrypted: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(String(64))
    integrator_id: Mapped[str | None] = mapped_column(String(128))
    venue_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class UnifiedTombstone(Base):
    """A unified order id deleted through the unified API: never listed or found again."""

    __tablename__ = "unified_tombstones"
    __table_args__ = (UniqueConstraint("connection_id", "unified_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("unified_connections.id", ondelete="CASCADE"), index=True
    )
    unified_id: Mapped[str] = mapped_column(String(64))
    deleted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UnifiedIdempotencyKey(Base):
    """An ``idempotency_key`` of a unified create and the order it made.

    ``unified_id`` is null while the create is in flight (or if it died half-way; the
    upstream call carries a key derived from this one, so a retry cannot duplicate).
    """

    __tablename__ = "unified_idempotency_keys"
    __table_args__ = (UniqueConstraint("connection_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("unified_connections.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255))
    # hex SHA-256 of the canonical request body
    fingerprint: Mapped[str] = mapped_column(String(64))
    unified_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
