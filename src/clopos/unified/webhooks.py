"""Unified webhook subscriptions and their delivery log: store access shared by the
``/pos/admin/webhooks`` routes and ``clopos unified webhook …``.

A subscription belongs to one consumer connection (app + consumer). It receives the
unified events (``pos.order.*``, ``pos.payment.created``; ``webhook_events``) of the
brand its connection acts for — so the connection's upstream must be this server: the
``self`` upstream, or a base URL equal to the subscription's ``api_base_url`` (where this
server is reached). A remote upstream has no event source here: creating a subscription
for it is refused (422), as is one whose brand this database does not serve.

Input rules raise ``UnifiedError`` (400 naming the field); every function that writes
commits before returning, like ``clopos.unified.connections``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import utcnow
from clopos.server.events import subscriptions as endpoint_rules
from clopos.server.events.secrets import SecretBox
from clopos.server.events.signing import new_secret
from clopos.server.events.tables import Event
from clopos.server.store.models import Brand
from clopos.unified import webhook_events
from clopos.unified.connections import SERVICE_ID, check_app_id, check_base_url
from clopos.unified.errors import UnifiedError
from clopos.unified.tables import SELF_UPSTREAM, UnifiedApp, UnifiedConnection
from clopos.unified.webhook_tables import (
    DELIVERY_STATUSES,
    UnifiedWebhook,
    UnifiedWebhookAttempt,
    UnifiedWebhookDelivery,
)

MAX_WEBHOOKS_PER_CONSUMER = 20
MAX_EVENT_TYPES = 20


# --- input rules (pure) -------------------------------------------------------------------


def _invalid(field: str, reason: str) -> UnifiedError:
    return UnifiedError(
        400, "RequestValidationError", f"{field} {reason}", {"invalid": [{field: reason}]}
    )


def check_url(url: Any) -> str:
    """An absolute http(s) URL (the events package's rule); else 400 naming ``url``."""
    if not isinstance(url, str):
        raise _invalid("url", "must be a string")
    try:
        return endpoint_rules.check_url(url)
    except ValueError as exc:
        raise _invalid("url", str(exc)) from None


def check_event_types(value: Any) -> list[str]:
    """Selectors of unified events; ``["*"]`` (everything) when ``None``."""
    if value is None:
        return [webhook_events.ALL]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _invalid("event_types", "must be a list of event types such as pos.order.created")
    if not value:
        raise _invalid("event_types", "must name at least one event type, or '*'")
    if len(value) > MAX_EVENT_TYPES:
        raise _invalid("event_types", f"must list at most {MAX_EVENT_TYPES} event types")
    try:
        return webhook_events.check_event_types(value)
    except ValueError as exc:
        raise _invalid("event_types", str(exc)) from None


def check_description(value: Any) -> str | None:
    """At most 500 characters; blank means none."""
    if value is not None and not isinstance(value, str):
        raise _invalid("description", "must be a string")
    try:
        return endpoint_rules.check_description(value)
    except ValueError as exc:
        raise _invalid("description", str(exc)) from None


def check_api_base_url(value: Any) -> str:
    """Where consumers reach this server (``https://pos.example.com``): ``entity_url``
    starts with it. An http(s) URL without query; trailing ``/`` dropped."""
    if not isinstance(value, str) or not value.strip():
        raise _invalid("api_base_url", "must be the http(s) URL this server is reached at")
    try:
        checked = check_base_url(value)
    except UnifiedError:
        checked = SELF_UPSTREAM
    if checked == SELF_UPSTREAM:
        raise _invalid("api_base_url", "must be the http(s) URL this server is reached at")
    return checked


def is_local_upstream(base_url: str, api_base_url: str) -> bool:
    """Whether a connection's upstream is this server: ``self``, or this server's URL."""
    return base_url == SELF_UPSTREAM or base_url.rstrip("/") == api_base_url.rstrip("/")


# --- presenting ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else webhook_events.occurred(value)


def present_webhook(
    webhook: UnifiedWebhook,
    *,
    app_id: str,
    consumer_id: str,
    counts: dict[str, int] | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    """The subscription as the admin API shows it; ``secret`` only when new or rotated."""
    body: dict[str, Any] = {
        "id": webhook.id,
        "app_id": app_id,
        "consumer_id": consumer_id,
        "service_id": SERVICE_ID,
        "url": webhook.url,
        "event_types": list(webhook.event_types or []) or [webhook_events.ALL],
        "description": webhook.description,
        "enabled": webhook.enabled,
        "api_base_url": webhook.api_base_url,
        "created_at": _iso(webhook.created_at),
        "updated_at": _iso(webhook.updated_at),
    }
    if counts is not None:
        body["deliveries"] = {status: counts.get(status, 0) for status in DELIVERY_STATUSES}
    if secret is not None:
        body["secret"] = secret
    return body


def present_delivery(delivery: UnifiedWebhookDelivery) -> dict[str, Any]:
    """One line of the delivery log."""
    return {
        "id": delivery.id,
        "webhook_id": delivery.webhook_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "entity_type": delivery.entity_type,
        "entity_id": delivery.entity_id,
        "entity_url": delivery.entity_url,
        "occurred_at": _iso(delivery.occurred_at),
        "source_event_id": delivery.source_event_id,
        **endpoint_rules.present_delivery_state(delivery, _iso),
    }


def present_attempt(attempt: UnifiedWebhookAttempt) -> dict[str, Any]:
    """One HTTP attempt of a delivery."""
    return endpoint_rules.present_attempt(attempt, _iso)


def delivery_payload(
    delivery: UnifiedWebhookDelivery, consumer_id: str, attempt: int
) -> dict[str, Any]:
    """The Apideck body of ``delivery`` for its ``attempt``-th try."""
    return webhook_events.payload(
        event_type=delivery.event_type,
        consumer_id=consumer_id,
        event_id=delivery.event_id,
        entity_id=delivery.entity_id,
        entity_type=delivery.entity_type,
        entity_url=delivery.entity_url,
        execution_attempt=attempt,
        occurred_at=delivery.occurred_at,
    )


# --- subscriptions ------------------------------------------------------------------------


def _not_found(entity: str, entity_id: Any) -> UnifiedError:
    return UnifiedError(
        404,
        "EntityNotFoundError",
        f"Unknown {entity.replace('_', ' ')} {entity_id}",
        {"not_found": {"entity": entity, "id": str(entity_id)}},
    )


def _no_event_source(reason: str, consumer_id: str) -> UnifiedError:
    return UnifiedError(
        422,
        "InvalidStateError",
        f"Consumer {consumer_id!r} cannot have webhooks: {reason}",
        {"consumer_id": consumer_id, "service_id": SERVICE_ID},
    )


async def _connection(session: AsyncSession, app_id: str, consumer_id: str) -> UnifiedConnection:
    found: UnifiedConnection | None = await session.scalar(
        select(UnifiedConnection)
        .join(UnifiedApp, UnifiedApp.id == UnifiedConnection.unified_app_id)
        .where(
            UnifiedApp.app_id == app_id,
            UnifiedConnection.consumer_id == consumer_id,
            UnifiedConnection.service_id == SERVICE_ID,
        )
    )
    if found is None:
        raise UnifiedError(
            404,
            "ConnectionNotFoundError",
            f"No clopos connection for consumer {consumer_id!r} of application {app_id!r}",
            {"consumer_id": consumer_id, "service_id": SERVICE_ID},
        )
    return found


async def _latest_event_id(session: AsyncSession, brand_id: int) -> int:
    latest = await session.scalar(select(func.max(Event.id)).where(Event.brand_id == brand_id))
    return int(latest or 0)


async def _brand_id(session: AsyncSession, slug: str) -> int | None:
    found: int | None = await session.scalar(select(Brand.id).where(Brand.slug == slug))
    return found


MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512


def check_secret(value: Any) -> str | None:
    """A caller-chosen signing secret: printable ASCII without spaces, 16–512 characters
    (long enough to resist guessing); ``None`` when absent, meaning "generate one"."""
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH
        or not all("!" <= ch <= "~" for ch in value)
    ):
        message = (
            f"secret must be {MIN_SECRET_LENGTH}-{MAX_SECRET_LENGTH} printable ASCII "
            "characters without spaces"
        )
        raise UnifiedError(
            400, "RequestValidationError", message, {"invalid": [{"secret": message}]}
        )
    return value


async def create_webhook(
    session: AsyncSession,
    box: SecretBox,
    *,
    app_id: Any,
    consumer_id: Any,
    url: Any,
    event_types: Any = None,
    description: Any = None,
    enabled: bool = True,
    api_base_url: Any,
    secret: Any = None,
) -> dict[str, Any]:
    """Subscribe a consumer's URL to its unified events from now on; commits.

    Returns the subscription with its new ``secret`` (shown only here and on rotation).
    ``secret`` may be chosen by the caller — an app built for Apideck verifies signatures
    with its API key, so it passes that key here; otherwise one is generated.
    400 for bad input, 404 ``ConnectionNotFoundError``, 422 when the connection has no
    event source here, 409 past :data:`MAX_WEBHOOKS_PER_CONSUMER`.
    """
    app = check_app_id(app_id)
    if not isinstance(consumer_id, str) or not consumer_id.strip():
        raise UnifiedError(
            400,
            "RequestValidationError",
            "consumer_id is required",
            {"missing": [{"consumer_id": "required"}]},
        )
    consumer = consumer_id.strip()
    target = check_url(url)
    selectors = check_event_types(event_types)
    text = check_description(description)
    base = check_api_base_url(api_base_url)
    chosen = check_secret(secret)
    conn = await _connection(session, app, consumer)
    if not is_local_upstream(conn.base_url, base):
        raise _no_event_source(
            f"its upstream {conn.base_url} is another server, whose changes this server "
            "does not see (only connections to this server, base URL 'self' or "
            f"{base}, have unified webhooks)",
            consumer,
        )
    brand_id = await _brand_id(session, conn.brand)
    if brand_id is None:
        raise _no_event_source(f"brand {conn.brand!r} is not served by this database", consumer)
    count = await session.scalar(
        select(func.count()).where(UnifiedWebhook.connection_id == conn.id)
    )
    if (count or 0) >= MAX_WEBHOOKS_PER_CONSUMER:
        raise UnifiedError(
            409,
            "ConflictError",
            f"A consumer may have at most {MAX_WEBHOOKS_PER_CONSUMER} webhooks; delete one first",
            {"consumer_id": consumer},
        )
    secret = chosen or new_secret()
    now = utcnow()
    webhook = UnifiedWebhook(
        connection_id=conn.id,
        url=target,
        event_types=[t for t in selectors if t != webhook_events.ALL],
        description=text,
        enabled=enabled,
        secret_encrypted=box.seal(secret),
        api_base_url=base,
        # Events from now on: what happened before the subscription is not sent.
        cursor_event_id=await _latest_event_id(session, brand_id),
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    await session.commit()
    return present_webhook(webhook, app_id=app, consumer_id=consumer, secret=secret)


def _webhooks_query() -> Select[UnifiedWebhook, str, str]:
    return (
        select(UnifiedWebhook, UnifiedApp.app_id, UnifiedConnection.consumer_id)
        .join(UnifiedConnection, UnifiedConnection.id == UnifiedWebhook.connection_id)
        .join(UnifiedApp, UnifiedApp.id == UnifiedConnection.unified_app_id)
    )


async def _counts(session: AsyncSession, ids: Sequence[int]) -> dict[int, dict[str, int]]:
    if not ids:
        return {}
    rows = await session.execute(
        select(UnifiedWebhookDelivery.webhook_id, UnifiedWebhookDelivery.status, func.count())
        .where(UnifiedWebhookDelivery.webhook_id.in_(ids))
        .group_by(UnifiedWebhookDelivery.webhook_id, UnifiedWebhookDelivery.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for webhook_id, status, number in rows.all():
        counts.setdefault(webhook_id, {})[status] = int(number)
    return counts


async def list_webhooks(
    session: AsyncSession, *, app_id: str | None = None, consumer_id: str | None = None
) -> list[dict[str, Any]]:
    """Subscriptions (of one app, of one consumer), oldest first, with delivery counts."""
    query = _webhooks_query().order_by(UnifiedWebhook.id)
    if app_id is not None:
        query = query.where(UnifiedApp.app_id == app_id)
    if consumer_id is not None:
        query = query.where(UnifiedConnection.consumer_id == consumer_id)
    rows = (await session.execute(query)).all()
    counts = await _counts(session, [row[0].id for row in rows])
    return [
        present_webhook(w, app_id=app, consumer_id=consumer, counts=counts.get(w.id, {}))
        for w, app, consumer in rows
    ]


async def _webhook(session: AsyncSession, webhook_id: int) -> tuple[UnifiedWebhook, str, str]:
    row = (await session.execute(_webhooks_query().where(UnifiedWebhook.id == webhook_id))).first()
    if row is None:
        raise _not_found("webhook", webhook_id)
    webhook, app, consumer = row
    return webhook, app, consumer


async def get_webhook(session: AsyncSession, webhook_id: int) -> dict[str, Any]:
    """One subscription with its delivery counts; 404 ``EntityNotFoundError``."""
    webhook, app, consumer = await _webhook(session, webhook_id)
    counts = await _counts(session, [webhook.id])
    return present_webhook(webhook, app_id=app, consumer_id=consumer, counts=counts.get(webhook.id))


async def update_webhook(
    session: AsyncSession, webhook_id: int, changes: dict[str, Any]
) -> dict[str, Any]:
    """Change ``url``, ``event_types``, ``description`` or ``enabled``; commits.

    A disabled subscription gets no new events and its queue waits; enabling it again
    starts from the events recorded after that moment.
    """
    if not changes:
        raise UnifiedError(
            400,
            "RequestValidationError",
            "Send at least one of url, event_types, description, enabled",
            {"missing": [{"body": "a field to change"}]},
        )
    webhook, _app, _consumer = await _webhook(session, webhook_id)
    if "url" in changes:
        webhook.url = check_url(changes["url"])
    if "event_types" in changes:
        selectors = check_event_types(changes["event_types"] or [])
        webhook.event_types = [t for t in selectors if t != webhook_events.ALL]
    if "description" in changes:
        webhook.description = check_description(changes["description"])
    if "enabled" in changes:
        enabled = changes["enabled"]
        if not isinstance(enabled, bool):
            raise _invalid("enabled", "must be a boolean")
        if enabled and not webhook.enabled:
            conn = await session.get(UnifiedConnection, webhook.connection_id)
            brand_id = await _brand_id(session, conn.brand) if conn is not None else None
            if brand_id is not None:
                webhook.cursor_event_id = await _latest_event_id(session, brand_id)
        webhook.enabled = enabled
    webhook.updated_at = utcnow()
    await session.commit()
    return await get_webhook(session, webhook_id)


async def rotate_secret(session: AsyncSession, box: SecretBox, webhook_id: int) -> dict[str, Any]:
    """A new signing secret (shown once); the old one stops working at once. Commits."""
    webhook, app, consumer = await _webhook(session, webhook_id)
    secret = new_secret()
    webhook.secret_encrypted = box.seal(secret)
    webhook.updated_at = utcnow()
    await session.commit()
    return present_webhook(webhook, app_id=app, consumer_id=consumer, secret=secret)


async def delete_webhook(session: AsyncSession, webhook_id: int) -> None:
    """Remove the subscription with its queue and delivery log; commits."""
    webhook, _app, _consumer = await _webhook(session, webhook_id)
    deliveries = select(UnifiedWebhookDelivery.id).where(
        UnifiedWebhookDelivery.webhook_id == webhook.id
    )
    await session.execute(
        delete(UnifiedWebhookAttempt).where(UnifiedWebhookAttempt.delivery_id.in_(deliveries))
    )
    await session.execute(
        delete(UnifiedWebhookDelivery).where(UnifiedWebhookDelivery.webhook_id == webhook.id)
    )
    await session.delete(webhook)
    await session.commit()


# --- the delivery log ---------------------------------------------------------------------


def check_status(value: str | None) -> str | None:
    """``pending``, ``delivered`` or ``failed`` (any case); blank means all."""
    text = (value or "").strip().lower()
    if not text:
        return None
    if text not in DELIVERY_STATUSES:
        raise _invalid("status", f"must be one of {', '.join(DELIVERY_STATUSES)}")
    return text


async def list_deliveries(
    session: AsyncSession, webhook_id: int, *, status: str | None, page: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of the subscription's delivery log, newest first, and the total."""
    await _webhook(session, webhook_id)
    condition = [UnifiedWebhookDelivery.webhook_id == webhook_id]
    if status is not None:
        condition.append(UnifiedWebhookDelivery.status == status)
    total = await session.scalar(select(func.count()).where(*condition))
    rows = await session.scalars(
        select(UnifiedWebhookDelivery)
        .where(*condition)
        .order_by(UnifiedWebhookDelivery.id.desc())
        .limit(limit)
        .offset((page - 1) * limit)
    )
    return [present_delivery(d) for d in rows], int(total or 0)


async def _delivery(
    session: AsyncSession, webhook_id: int, delivery_id: int
) -> tuple[UnifiedWebhookDelivery, str]:
    _webhook_row, _app, consumer = await _webhook(session, webhook_id)
    found: UnifiedWebhookDelivery | None = await session.scalar(
        select(UnifiedWebhookDelivery).where(
            UnifiedWebhookDelivery.id == delivery_id,
            UnifiedWebhookDelivery.webhook_id == webhook_id,
        )
    )
    if found is None:
        raise _not_found("delivery", delivery_id)
    return found, consumer


async def get_delivery(session: AsyncSession, webhook_id: int, delivery_id: int) -> dict[str, Any]:
    """A delivery with every HTTP attempt and the body of its latest (or next) attempt."""
    delivery, consumer = await _delivery(session, webhook_id, delivery_id)
    attempts = list(
        await session.scalars(
            select(UnifiedWebhookAttempt)
            .where(UnifiedWebhookAttempt.delivery_id == delivery.id)
            .order_by(UnifiedWebhookAttempt.number, UnifiedWebhookAttempt.id)
        )
    )
    return {
        **present_delivery(delivery),
        "attempt_log": [present_attempt(a) for a in attempts],
        "body": delivery_payload(delivery, consumer, max(1, delivery.attempts)),
    }


async def redeliver(session: AsyncSession, webhook_id: int, delivery_id: int) -> dict[str, Any]:
    """Queue a delivery again, due now, with a fresh retry window; commits. Being the
    oldest pending event of its subscription, it goes out before those queued after it.
    409 while a worker is sending it."""
    delivery, _consumer = await _delivery(session, webhook_id, delivery_id)
    if not await endpoint_rules.requeue(session, UnifiedWebhookDelivery, delivery.id, utcnow()):
        await session.rollback()
        raise UnifiedError(
            409,
            "ConflictError",
            "This delivery is being sent right now; try again in a moment",
            {"delivery_id": delivery_id},
        )
    await session.commit()
    await session.refresh(delivery)
    return await get_delivery(session, webhook_id, delivery_id)
