"""The Clopos Open API SDK: ``CloposClient`` (sync) and ``AsyncCloposClient`` (async).

    from clopos.client import CloposClient

    with CloposClient() as clopos:          # credentials from CLOPOS_* env vars
        venues = clopos.get_venues()

Tokens, retries (with an ``Idempotency-Key`` on creates) and typed errors are handled by
the client; see ``_errors`` for the error tree.

Migrating from integrify-clopos is one import: ``CloposRequest``, ``CloposAsyncRequest`` and
``CloposClientClass`` (``compat``) keep its method names, its ``headers={"x-token": …}`` and its
``APIResponse(ok, status_code, headers, body)`` answers; the two singletons are built on first
use, from the ``CLOPOS_*`` variables set by then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clopos.client._base import AttemptInfo, ClientSettings, RetryPolicy, TokenState, TokenStore
from clopos.client._client import AsyncCloposClient, CloposClient
from clopos.client._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloposError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    ResponseValidationError,
    UnprocessableEntityError,
)
from clopos.client.compat import APIResponse, CloposClientClass, legacy_singleton
from clopos.client.webhooks import WebhookSignatureError, verify_signature

__all__ = [
    "APIConnectionError",
    "APIResponse",
    "APIStatusError",
    "APITimeoutError",
    "AsyncCloposClient",
    "AttemptInfo",
    "AuthenticationError",
    "BadRequestError",
    "ClientSettings",
    "CloposAsyncRequest",
    "CloposClient",
    "CloposClientClass",
    "CloposError",
    "CloposRequest",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseValidationError",
    "RetryPolicy",
    "TokenState",
    "TokenStore",
    "UnprocessableEntityError",
    "WebhookSignatureError",
    "verify_signature",
]

if TYPE_CHECKING:
    CloposRequest: CloposClientClass
    CloposAsyncRequest: CloposClientClass


def __getattr__(name: str) -> Any:
    """``CloposRequest`` / ``CloposAsyncRequest``: integrify's singletons, built on first use."""
    if name in ("CloposRequest", "CloposAsyncRequest"):
        return legacy_singleton(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
