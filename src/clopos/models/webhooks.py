"""Webhook endpoints and their delivery log (``/webhooks``, a clopos server extension;
docs/events.md).

Answers (lenient, unknown keys kept): :class:`Webhook` (an endpoint; ``secret`` only in the
answers of create and rotate-secret), :class:`WebhookDeleted`, :class:`WebhookDelivery` (a
line of the delivery log), :class:`WebhookAttempt` and :class:`WebhookDeliveryDetail` (a
delivery with every HTTP attempt and its event).

Request bodies (strict, checked by the SDK before sending): :class:`WebhookCreate` and
:class:`WebhookUpdate`. They check the shape only; which event types exist is the server's
to say (it answers 400 naming an unknown type).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clopos.models._base import WireModel
from clopos.models.events import Event

#: The states of a delivery (``GET webhooks/{id}/deliveries?status=``).
DELIVERY_STATUSES = ("pending", "delivered", "failed")
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION_LENGTH = 500
MAX_TYPES = 50


class Webhook(WireModel):
    """A webhook endpoint: where events are POSTed and which ones (``["*"]``: all)."""

    id: int
    url: str
    types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    # The signing secret (``whsec_…``): only in the answers of create and rotate-secret.
    # Kept out of ``repr`` so that logging the model never prints it.
    secret: str | None = Field(default=None, repr=False)


class WebhookDeleted(WireModel):
    """``DELETE webhooks/{id}``: ``{"id": …, "deleted": true}``."""

    id: int
    deleted: bool | None = None


class WebhookDelivery(WireModel):
    """One event queued for one endpoint: ``status`` (pending, delivered, failed), how many
    ``attempts`` were made and what the last one got."""

    id: int
    endpoint_id: int | None = None
    event_id: int | None = None
    event_type: str | None = None
    status: str | None = None
    attempts: int | None = None
    next_attempt_at: str | None = None
    last_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: str | None = None
    created_at: str | None = None


class WebhookAttempt(WireModel):
    """One HTTP attempt of a delivery: the status code or the error, the first KB of the
    answer, how long it took and which worker made it."""

    number: int | None = None
    started_at: str | None = None
    duration_ms: int | None = None
    status_code: int | None = None
    error: str | None = None
    response_body: str | None = None
    worker: str | None = None


class WebhookDeliveryDetail(WebhookDelivery):
    """``GET webhooks/{id}/deliveries/{delivery_id}`` and ``…/redeliver``: the delivery,
    its ``attempt_log`` (first attempt first) and the ``event`` it carries."""

    attempt_log: list[WebhookAttempt] | None = None
    event: Event | None = None


def _check_url(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    scheme, sep, rest = text.partition("://")
    if not sep or scheme.lower() not in ("http", "https") or not rest.split("/", 1)[0]:
        raise ValueError("must be an absolute http:// or https:// URL with a host")
    return value


def _check_types(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    if not value:
        raise ValueError("must name at least one event type, or '*'")
    for index, name in enumerate(value):
        if not name.strip():
            raise ValueError(f"item {index} must not be empty")
    return value


class _WebhookBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("url", check_fields=False)
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value)

    @field_validator("types", check_fields=False)
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return _check_types(value)


class WebhookCreate(_WebhookBody):
    """``POST webhooks``: ``url`` (http/https), ``types`` (default ``["*"]``: every event;
    names such as ``order.created``, ``<resource>.*``), ``description``, ``enabled``."""

    url: Annotated[str, Field(max_length=MAX_URL_LENGTH)]
    types: Annotated[list[str] | None, Field(max_length=MAX_TYPES)] = None
    description: Annotated[str | None, Field(max_length=MAX_DESCRIPTION_LENGTH)] = None
    enabled: bool | None = None


class WebhookUpdate(_WebhookBody):
    """``PATCH webhooks/{id}``: any of the fields; those not sent keep their value. An empty
    ``description`` clears it."""

    url: Annotated[str | None, Field(max_length=MAX_URL_LENGTH)] = None
    types: Annotated[list[str] | None, Field(max_length=MAX_TYPES)] = None
    description: Annotated[str | None, Field(max_length=MAX_DESCRIPTION_LENGTH)] = None
    enabled: bool | None = None


DeliveryStatus = Literal["pending", "delivered", "failed"]
