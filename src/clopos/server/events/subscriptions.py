"""Webhook endpoints and their delivery log: brand-scoped store access, shared by the
``/webhooks`` routes and the ``clopos webhook`` commands.

Input rules (:func:`check_url`, :func:`check_description`, selectors via
``clopos.server.events.types``) are pure and raise ``ValueError`` with a message that names
what is wrong; the callers turn that into a 400 or a one-line CLI error. Nothing here
commits except where a function says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import iso_micro, utcnow
from clopos.server.events.secrets import SecretBox
from clopos.server.events.signing import new_secret
from clopos.server.events.tables import (
    PENDING,
    DeliveryAttempt,
    Event,
    QueuedDelivery,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 500
MAX_ENDPOINTS_PER_BRAND = 50


class TooManyEndpoints(Exception):
    """The brand already has :data:`MAX_ENDPOINTS_PER_BRAND` endpoints."""


class DeliveryInFlight(Exception):
    """A worker is sending this delivery right now."""


# --- input rules (pure) -------------------------------------------------------------------


def check_url(url: str) -> str:
    """An absolute ``http``/``https`` URL with a host, stripped; else ``ValueError``."""
    text = url.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise ValueError("must not contain spaces or control characters")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise ValueError("must be a URL such as https://example.com/clopos/webhooks") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("must be an absolute http:// or https:// URL with a host")
    return text


def check_description(description: str | None) -> str | None:
    """A description of at most 500 characters, blank meaning none."""
    text = (description or "").strip()
    if len(text) > MAX_DESCRIPTION_LENGTH:
        raise ValueError(f"must be at most {MAX_DESCRIPTION_LENGTH} characters")
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text or None


# --- presenting ---------------------------------------------------------------------------


def present_endpoint(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    """The endpoint as the API shows it; ``secret`` only when just created or rotated."""
    body: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "types": list(endpoint.types or []) or ["*"],
        "description": endpoint.description,
        "enabled": endpoint.enabled,
        "created_at": iso_micro(endpoint.created_at),
        "updated_at": iso_micro(endpoint.updated_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def present_delivery(delivery: WebhookDelivery, event_type: str) -> dict[str, Any]:
    """One line of the delivery log."""
    return {
        "id": delivery.id,
        "endpoint_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": event_type,
        **present_delivery_state(delivery),
    }


def present_delivery_state(
    delivery: QueuedDelivery, iso: Callable[[datetime | None], str | None] = iso_micro
) -> dict[str, Any]:
    """Where a delivery stands, as every delivery log ends a line (instants written by
    ``iso``); ``next_attempt_at`` only while it is pending."""
    return {
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == PENDING else None,
        "last_attempt_at": iso(delivery.last_attempt_at),
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": iso(delivery.delivered_at),
        "created_at": iso(delivery.created_at),
    }


def present_attempt(
    attempt: DeliveryAttempt, iso: Callable[[datetime | None], str | None] = iso_micro
) -> dict[str, Any]:
    """One HTTP attempt of a delivery (instants written by ``iso``)."""
    return {
        "number": attempt.number,
        "started_at": iso(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "response_body": attempt.response_body,
        "worker": attempt.worker,
    }


# --- endpoints ----------------------------------------------------------------------------


async def create_endpoint(
    session: AsyncSession,
    box: SecretBox,
    *,
    brand_id: int,
    url: str,
    types: Sequence[str],
    description: str | None = None,
    enabled: bool = True,
    created_by: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint (inputs already checked) and flush; returns it with its new secret."""
    count = await session.scalar(select(func.count()).where(WebhookEndpoint.brand_id == brand_id))
    if (count or 0) >= MAX_ENDPOINTS_PER_BRAND:
        raise TooManyEndpoints(
            f"a brand may have at most {MAX_ENDPOINTS_PER_BRAND} webhook endpoints; "
            "delete one first"
        )
    secret = new_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        brand_id=brand_id,
        url=url,
        types=[t for t in types if t != "*"],
        description=description,
        enabled=enabled,
        secret_encrypted=box.seal(secret),
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def endpoints_of(session: AsyncSession, brand_id: int) -> list[WebhookEndpoint]:
    """The brand's endpoints, oldest first."""
    rows = await session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.brand_id == brand_id)
        .order_by(WebhookEndpoint.id)
    )
    return list(rows)


async def endpoint_of_brand(
    session: AsyncSession, brand_id: int, endpoint_id: int
) -> WebhookEndpoint | None:
    """One endpoint of the brand, or ``None``."""
    found: WebhookEndpoint | None = await session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.brand_id == brand_id
        )
    )
    return found


def rotate_secret(endpoint: WebhookEndpoint, box: SecretBox) -> str:
    """Give the endpoint a new secret (the old one stops working at once); returns it."""
    secret = new_secret()
    endpoint.secret_encrypted = box.seal(secret)
    endpoint.updated_at = utcnow()
    return secret


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and their attempts (flushes)."""
    delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    # Explicit, so that removal does not depend on the database enforcing foreign keys.
    await session.execute(
        delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
    )
    await session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    await session.delete(endpoint)
    await session.flush()


# --- the delivery log ---------------------------------------------------------------------


def deliveries_query(endpoint: WebhookEndpoint, status: str | None) -> Select[WebhookDelivery, str]:
    """The endpoint's deliveries with their event type, newest event first."""
    statement = (
        select(WebhookDelivery, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.brand_id == endpoint.brand_id,
        )
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    return statement


async def list_deliveries(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    status: str | None,
    page: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the delivery log (newest event first) and the total count."""
    statement = deliveries_query(endpoint, status)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = await session.execute(
        statement.order_by(WebhookDelivery.event_id.desc(), WebhookDelivery.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [present_delivery(d, event_type) for d, event_type in rows], int(total or 0)


async def delivery_of_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: int
) -> tuple[WebhookDelivery, str] | None:
    """One delivery of the endpoint with its event type, or ``None``."""
    row = (
        await session.execute(
            deliveries_query(endpoint, None).where(WebhookDelivery.id == delivery_id)
        )
    ).first()
    if row is None:
        return None
    delivery, event_type = row
    return delivery, event_type


async def attempts_of(session: AsyncSession, delivery_id: int) -> list[WebhookAttempt]:
    """Every attempt of a delivery, first first."""
    rows = await session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.number, WebhookAttempt.id)
    )
    return list(rows)


async def requeue(
    session: AsyncSession, table: type[QueuedDelivery], delivery_id: int, now: datetime
) -> bool:
    """Make a delivery of ``table`` pending again, due now, with a fresh retry window —
    unless a worker holds its lease; whether it did. Neither flushes nor commits."""
    changed = await session.execute(
        update(table)
        .where(
            table.id == delivery_id,
            (table.lease_until.is_(None)) | (table.lease_until < now),
        )
        .values(
            status=PENDING,
            window_attempts=0,
            retry_started_at=now,
            next_attempt_at=now,
            lease_until=None,
            lease_token=None,
            delivered_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return getattr(changed, "rowcount", 0) == 1


async def redeliver(
    session: AsyncSession, delivery: WebhookDelivery, *, now: datetime | None = None
) -> None:
    """Queue the delivery again, due now, with a fresh retry window (flushes).

    A delivered or failed event becomes pending again; being the oldest pending event of
    its endpoint, it goes out before the ones queued after it. ``DeliveryInFlight`` while a
    worker holds it.
    """
    if not await requeue(session, WebhookDelivery, delivery.id, now or utcnow()):
        raise DeliveryInFlight("this delivery is being sent right now; try again in a moment")
    await session.refresh(delivery)
