"""The Clopos Open API SDK: ``CloposClient`` (sync) and ``AsyncCloposClient`` (async).

    from clopos.client import CloposClient

    with CloposClient() as clopos:          # credentials from CLOPOS_* env vars
        venues = clopos.get_venues()

Tokens, retries (with an ``Idempotency-Key`` on creates) and typed errors are handled by
the client; see ``_errors`` for the error tree.

Migrating from integrify-clopos is one import: ``CloposRequest`` and ``CloposAsyncRequest``
are module-level clients (built on first use, from the ``CLOPOS_*`` variables set by then),
and calls that pass ``headers={"x-token": …}`` send that token instead of managing one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from clopos.client._base import AttemptInfo, ClientSettings, RetryPolicy, TokenState, TokenStore
from clopos.client._client import AsyncCloposClient, CloposClient, CloposClientClass
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
    UnprocessableEntityError,
)

__all__ = [
    "APIConnectionError",
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
    "RetryPolicy",
    "TokenState",
    "TokenStore",
    "UnprocessableEntityError",
]

if TYPE_CHECKING:
    CloposRequest: CloposClient
    CloposAsyncRequest: AsyncCloposClient

_singletons: dict[str, CloposClient | AsyncCloposClient] = {}
_singletons_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    """Build ``CloposRequest`` / ``CloposAsyncRequest`` on first use, not at import.

    The old package bound its singletons to production and read env vars at import
    (existing-python-client.md §7.8); these read them when first touched.
    """
    if name not in ("CloposRequest", "CloposAsyncRequest"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _singletons_lock:
        if name not in _singletons:
            _singletons[name] = CloposClient() if name == "CloposRequest" else AsyncCloposClient()
        return _singletons[name]
