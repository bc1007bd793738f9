"""``UpstreamPool``: one ``AsyncCloposClient`` per connection, built on first use, reused.

Reusing the client keeps its token (one ``/auth`` per hour, not per request) and its HTTP
keep-alive connections. A client is rebuilt when its connection's settings change (a
``consumer add --replace`` or a new secret key): the pool compares ``Connection.fingerprint``.
The replaced client is closed when the pool closes (app shutdown), so requests still using
it finish normally.

The ``"self"`` upstream (``tables.SELF_UPSTREAM``) is the Clopos server this layer is
attached to: given ``self_app`` (``clopos serve``), calls go to that ASGI app in-process —
the same routes, middleware, rate limits and database, without a socket; given
``self_url`` (``clopos unified serve --upstream URL``), they go to that URL.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from starlette.types import ASGIApp

from clopos.client import AsyncCloposClient, RetryPolicy
from clopos.unified.connections import Connection
from clopos.unified.errors import UnifiedError

# A unified request should fail in seconds, not after the SDK's default two minutes of
# retries: the Apideck SDKs retry on their side too.
UPSTREAM_RETRY = RetryPolicy(max_attempts=3, base_delay=0.2, max_delay=2.0, deadline=10.0)
UPSTREAM_TIMEOUT_SECONDS = 15.0
# Any host will do for in-process calls; this one shows up in the SDK's error messages.
IN_PROCESS_BASE_URL = "http://clopos.in-process"
# How long reference data (venues, sale types, payment methods) is reused: a change at the
# till shows up in the unified API within this many seconds.
REFERENCE_TTL_SECONDS = 60.0
T = TypeVar("T")


@dataclass
class _Entry:
    fingerprint: str
    client: AsyncCloposClient
    http: httpx.AsyncClient
    # name → (monotonic expiry, value): reference data of this connection, see remembered()
    remembered: dict[str, tuple[float, Any]] = field(default_factory=dict)


class UpstreamPool:
    """SDK clients keyed by connection id. Not shared between processes (a cache: losing
    it costs one ``/auth`` per connection)."""

    def __init__(
        self,
        *,
        self_app: ASGIApp | None = None,
        self_url: str | None = None,
        retry: RetryPolicy = UPSTREAM_RETRY,
        timeout: float = UPSTREAM_TIMEOUT_SECONDS,
    ) -> None:
        self._self_app = self_app
        self._self_url = self_url.rstrip("/") if self_url else None
        self._retry = retry
        self._timeout = timeout
        self._entries: dict[int, _Entry] = {}
        self._retired: list[_Entry] = []
        self._closed = False

    def __len__(self) -> int:
        return len(self._entries)

    def attach_self_app(self, app: ASGIApp) -> None:
        """Name the in-process app ``"self"`` means (set once the app object exists)."""
        self._self_app = app

    def client(self, conn: Connection) -> AsyncCloposClient:
        """The SDK client for ``conn``: the cached one, or a new one if none or stale."""
        if self._closed:
            raise RuntimeError("the upstream pool is closed")
        entry = self._entries.get(conn.id)
        if entry is not None and entry.fingerprint == conn.fingerprint:
            return entry.client
        if entry is not None:
            self._retired.append(entry)
        # Built synchronously (no await between the lookup and the store), so concurrent
        # requests of one connection cannot build two clients.
        entry = self._build(conn)
        self._entries[conn.id] = entry
        return entry.client

    async def remembered(
        self,
        conn: Connection,
        name: str,
        load: Callable[[], Awaitable[T]],
        *,
        ttl: float = REFERENCE_TTL_SECONDS,
    ) -> T:
        """``load()``'s result for ``conn``, reused for ``ttl`` seconds.

        For reference data that changes rarely and is read on every request (venues, sale
        types, payment methods): one upstream call a minute instead of one per request.
        Dropped with the client when the connection changes. Treat the value as read-only:
        it is shared by every request of the connection. Not shared between processes (a
        cache: losing it costs one upstream call).
        """
        self.client(conn)  # make sure the entry exists and matches conn
        entry = self._entries[conn.id]
        now = time.monotonic()
        cached = entry.remembered.get(name)
        if cached is not None and cached[0] > now:
            value: T = cached[1]
            return value
        loaded = await load()
        entry.remembered[name] = (time.monotonic() + ttl, loaded)
        return loaded

    def forget(self, conn: Connection, name: str | None = None) -> None:
        """Drop remembered data of ``conn`` (one ``name``, or all), e.g. after a write."""
        entry = self._entries.get(conn.id)
        if entry is None:
            return
        if name is None:
            entry.remembered.clear()
        else:
            entry.remembered.pop(name, None)

    def discard(self, connection_id: int) -> None:
        """Drop the client of a removed connection (closed with the pool)."""
        entry = self._entries.pop(connection_id, None)
        if entry is not None:
            self._retired.append(entry)

    def _build(self, conn: Connection) -> _Entry:
        base_url = conn.base_url
        if conn.is_self:
            if self._self_app is not None:
                # raise_app_exceptions=False: an upstream 500 comes back as a response
                # (the SDK's InternalServerError), not as an exception inside this request.
                transport = httpx.ASGITransport(app=self._self_app, raise_app_exceptions=False)
                http = httpx.AsyncClient(transport=transport, timeout=self._timeout)
                base_url = IN_PROCESS_BASE_URL
            elif self._self_url is not None:
                http = httpx.AsyncClient(timeout=self._timeout)
                base_url = self._self_url
            else:
                raise UnifiedError(
                    400,
                    "ConnectionSettingsError",
                    "This connection's upstream is 'self', but this server has no Clopos "
                    "upstream of its own; give the connection a base URL",
                    {"consumer_id": conn.consumer_id, "base_url": conn.base_url},
                )
        else:
            http = httpx.AsyncClient(timeout=self._timeout)
        client = AsyncCloposClient(
            client_id=conn.client_id,
            client_secret=conn.client_secret,
            brand=conn.brand,
            integrator_id=conn.integrator_id,
            venue_id=conn.venue_id,
            base_url=base_url,
            api_version=conn.api_version,
            timeout=self._timeout,
            retry=self._retry,
            http_client=http,
        )
        return _Entry(conn.fingerprint, client, http)

    async def aclose(self) -> None:
        """Close every client (app shutdown); the pool refuses new work afterwards."""
        self._closed = True
        entries = [*self._entries.values(), *self._retired]
        self._entries.clear()
        self._retired.clear()
        for entry in entries:
            await entry.client.aclose()
            await entry.http.aclose()
