"""Unified webhook events (pure): Clopos events → Apideck's ``pos.*`` events, and their wire.

Apideck's POS webhooks (unified-pos.md §7, last paragraph) tell a consumer *that* an entity
changed — ``pos.order.created|updated|deleted``, ``pos.payment.created`` — and where to read
it (``entity_url``); the entity itself is fetched with a GET. This module decides which
unified events a Clopos event (``clopos.server.events.types``) stands for and renders them.

Translation (:func:`translate`), with the unified ids of spec §8 (``"<order id>"``, or
``"r<receipt id>"`` for a receipt rung up without an order; a receipt linked to an order is
that order):

==================== =================================================================
Clopos event          unified events
==================== =================================================================
``order.created``     ``pos.order.created`` (``pos.order.deleted`` if already ignored)
``order.accepted``    ``pos.order.updated``
``order.delivered``   ``pos.order.updated``
``order.ignored``     ``pos.order.deleted``
``receipt.created``   receipt-only sale: ``pos.order.created``; a receipt linked to an order:
                      nothing — its order's ``order.accepted`` is recorded with it
``receipt.updated``   ``pos.order.updated`` of the sale; ``pos.order.deleted`` once the
                      receipt is cancelled (``order_status: CANCELLED``)
``receipt.closed``    ``pos.payment.created`` per ``payment_methods[]`` entry
                      (``"<receipt id>-<index>"``), then ``pos.order.updated`` of the sale
``receipt.deleted``   ``pos.order.deleted`` of the sale
others                nothing (stop list, customers have no unified webhook here)
==================== =================================================================

"Deleted" is what the unified API calls a *voided* sale (order ``IGNORE``, receipt
cancelled or deleted — ``mapping.unified_status``): ``DELETE /pos/orders/{id}`` voids the
sale downstream before it hides the id, so a unified delete reaches every consumer as the
Clopos change it makes. A subscription that got ``pos.order.deleted`` for an order gets
nothing more about it (:func:`select_changes`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from clopos.server.events.types import matches, selects_any
from clopos.unified import mapping

POS_ORDER_CREATED = "pos.order.created"
POS_ORDER_UPDATED = "pos.order.updated"
POS_ORDER_DELETED = "pos.order.deleted"
POS_PAYMENT_CREATED = "pos.payment.created"
UNIFIED_EVENT_TYPES: tuple[str, ...] = (
    POS_ORDER_CREATED,
    POS_ORDER_UPDATED,
    POS_ORDER_DELETED,
    POS_PAYMENT_CREATED,
)
ALL = "*"
ORDER = "order"
PAYMENT = "payment"
UNIFIED_API = "pos"
SERVICE_ID = "clopos"

EVENT_TYPE_HEADER = "x-apideck-event-type"
SIGNATURE_HEADER = "x-apideck-signature"
IDEMPOTENCY_HEADER = "x-apideck-idempotency-key"

# Namespace of the deterministic event ids (uuid5); changing it changes every event id.
_EVENT_NAMESPACE = uuid.UUID("6f3c1d2e-8a4b-5c6d-9e0f-1a2b3c4d5e6f")


class SignatureMismatch(ValueError):
    """The ``x-apideck-signature`` does not sign the body with the secret."""


@dataclass(frozen=True)
class UnifiedChange:
    """One unified event a Clopos event stands for."""

    event_type: str
    entity_type: str  # ORDER or PAYMENT
    entity_id: str


# --- selectors ----------------------------------------------------------------------------


def check_event_types(selectors: Sequence[str]) -> list[str]:
    """Each selector stripped, duplicates dropped, order kept; ``ValueError`` naming the
    first that selects no unified event. A selector is a name, ``pos.order.*``,
    ``pos.payment.*``, ``pos.*`` or ``*``; :func:`matches` (the Clopos events' rule) says
    what it selects."""
    seen: dict[str, None] = {}
    for selector in selectors:
        text = selector.strip() if isinstance(selector, str) else ""
        if not selects_any(text, UNIFIED_EVENT_TYPES):
            raise ValueError(
                f"{selector!r} is not a unified event type; use one of "
                f"{', '.join(UNIFIED_EVENT_TYPES)}, 'pos.order.*', 'pos.payment.*' or '*'"
            )
        seen[text] = None
    return list(seen)


# --- translation --------------------------------------------------------------------------


def _order_id(data: Mapping[str, Any]) -> str | None:
    value = data.get("id")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return str(value)


def _sale_id(receipt: Mapping[str, Any]) -> str | None:
    """The unified order id of a receipt: its order's id, else ``r<receipt id>``."""
    receipt_id = receipt.get("id")
    if isinstance(receipt_id, bool) or not isinstance(receipt_id, int) or receipt_id <= 0:
        return None
    return mapping.unified_order_id(None, receipt)


def _voided(order: Mapping[str, Any] | None, receipt: Mapping[str, Any] | None) -> bool:
    return mapping.unified_status(order, receipt) == "voided"


def _order_changes(event_type: str, order: Mapping[str, Any]) -> list[UnifiedChange]:
    entity = _order_id(order)
    if entity is None:
        return []
    if event_type == "order.ignored" or _voided(order, None):
        return [UnifiedChange(POS_ORDER_DELETED, ORDER, entity)]
    if event_type == "order.created":
        return [UnifiedChange(POS_ORDER_CREATED, ORDER, entity)]
    if event_type in ("order.accepted", "order.delivered"):
        return [UnifiedChange(POS_ORDER_UPDATED, ORDER, entity)]
    return []


def _payments(receipt: Mapping[str, Any]) -> list[UnifiedChange]:
    methods = receipt.get("payment_methods")
    count = len(methods) if isinstance(methods, list) else 0
    return [
        UnifiedChange(POS_PAYMENT_CREATED, PAYMENT, f"{receipt['id']}-{index}")
        for index in range(count)
    ]


def _receipt_changes(event_type: str, receipt: Mapping[str, Any]) -> list[UnifiedChange]:
    entity = _sale_id(receipt)
    if entity is None:
        return []
    linked = mapping.receipt_order_id(receipt) is not None
    if event_type == "receipt.deleted" or _voided(None, receipt):
        sale = UnifiedChange(POS_ORDER_DELETED, ORDER, entity)
    elif event_type == "receipt.created":
        if linked:  # opened by accepting its order: order.accepted says it
            return []
        sale = UnifiedChange(POS_ORDER_CREATED, ORDER, entity)
    else:
        sale = UnifiedChange(POS_ORDER_UPDATED, ORDER, entity)
    if event_type == "receipt.closed":
        # The payments first: taking them is what completed the sale.
        return [*_payments(receipt), sale]
    return [sale]


def translate(event_type: str, data: Any) -> list[UnifiedChange]:
    """The unified events a Clopos event of ``event_type`` with ``data`` (the resource as
    the event carries it) stands for; ``[]`` for events without a unified counterpart and
    for data that names no entity."""
    if not isinstance(data, Mapping):
        return []
    if event_type.startswith("order."):
        return _order_changes(event_type, data)
    if event_type.startswith("receipt."):
        return _receipt_changes(event_type, data)
    return []


def in_scope(event_venue_id: int | None, *, api_version: str, venue_id: int | None) -> bool:
    """Whether a connection sees an event of ``event_venue_id``: v1 connections are
    venue-scoped (their venue and events tied to none), v2 connections see the brand."""
    if api_version != "v1" or venue_id is None or event_venue_id is None:
        return True
    return event_venue_id == venue_id


def select_changes(
    changes: Iterable[UnifiedChange], *, selectors: Sequence[str], deleted: frozenset[str]
) -> tuple[list[UnifiedChange], frozenset[str]]:
    """What one subscription is sent of ``changes``, and its deleted orders afterwards.

    ``deleted`` are the orders the subscription already got ``pos.order.deleted`` for:
    nothing more about them is sent (a deleted entity does not come back to life). A
    deletion counts only once it is sent (selected by ``selectors``).
    """
    kept: list[UnifiedChange] = []
    gone = set(deleted)
    for change in changes:
        if change.entity_type == ORDER and change.entity_id in gone:
            continue
        if not matches(selectors, change.event_type):
            continue
        kept.append(change)
        if change.event_type == POS_ORDER_DELETED:
            gone.add(change.entity_id)
    return kept, frozenset(gone)


# --- the wire -----------------------------------------------------------------------------


def event_id(scope: str, source_event_id: int, index: int) -> str:
    """A stable event id (UUID) for the ``index``-th unified event of a Clopos event, for one
    consumer connection (``scope``): the same on every attempt and every re-translation."""
    return str(uuid.uuid5(_EVENT_NAMESPACE, f"{scope}/{source_event_id}/{index}"))


def entity_url(api_base_url: str, entity_type: str, entity_id: str) -> str:
    """The unified GET URL of the entity (``…/pos/orders/108``, ``…/pos/payments/12-0``)."""
    collection = "payments" if entity_type == PAYMENT else "orders"
    return f"{api_base_url.rstrip('/')}/pos/{collection}/{quote(entity_id, safe='')}"


def occurred(moment: datetime) -> str:
    """``2026-11-26T15:06:23.316Z``: UTC with milliseconds, as Apideck writes instants."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def payload(
    *,
    event_type: str,
    consumer_id: str,
    event_id: str,
    entity_id: str,
    entity_type: str,
    entity_url: str,
    execution_attempt: int,
    occurred_at: datetime,
) -> dict[str, Any]:
    """Apideck's webhook body: ``{"payload": {…}}``."""
    return {
        "payload": {
            "event_type": event_type,
            "unified_api": UNIFIED_API,
            "service_id": SERVICE_ID,
            "consumer_id": consumer_id,
            "event_id": event_id,
            "entity_id": entity_id,
            "entity_type": entity_type,
            "entity_url": entity_url,
            "execution_attempt": execution_attempt,
            "occurred_at": occurred(occurred_at),
        }
    }


def canonical(document: Any) -> bytes:
    """Keys sorted at every level, no spaces, UTF-8: what ``JSON.stringify`` of a
    recursively key-sorted object gives — the form Apideck signs."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def signature(secret: str, body: bytes) -> str:
    """``x-apideck-signature``: base64 of HMAC-SHA256 over the key-sorted body, keyed with
    the subscription's secret (UTF-8)."""
    digest = hmac.new(secret.encode(), canonical(json.loads(body)), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, body: bytes | str, header: str | None) -> dict[str, Any]:
    """The delivered document if ``header`` signs ``body`` under ``secret``; else
    :class:`SignatureMismatch`. ``body`` is the raw request body; it is parsed and its keys
    sorted again, as Apideck's own verification does, so a body re-serialized with
    another key order still verifies."""
    raw = body.encode() if isinstance(body, str) else body
    if not header or not header.strip():
        raise SignatureMismatch(f"{SIGNATURE_HEADER} is missing")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise SignatureMismatch("the body is not JSON") from None
    if not isinstance(document, dict):
        raise SignatureMismatch("the body is not a JSON object")
    expected = signature(secret, canonical(document))
    if not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise SignatureMismatch("the signature does not match the body")
    return document
