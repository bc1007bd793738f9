"""What the unified layer holds for an app's lifetime, and the dependencies routes use.

``install(app, …)`` attaches the layer to a FastAPI app (``clopos serve``'s, or the
standalone one of ``clopos unified serve``): it stores a ``UnifiedState`` in
``app.state.unified``, loads the secret key at startup, closes the upstream pool at
shutdown and mounts the admin routes. Routes then take:

* ``ConnectionDep`` — the caller's ``Connection`` (headers checked, spec §1.2), resolved in
  a short session of its own that is closed before the route runs, or reused from the last
  few seconds (``UnifiedState.connection``, ``connections.ConnectionCache``);
* ``UpstreamDep`` — the pooled ``AsyncCloposClient`` of that connection;
* ``UnifiedStateDep`` — the state itself (``sessions`` for tombstones and idempotency keys).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clopos.client import AsyncCloposClient
from clopos.settings import Settings
from clopos.unified.connections import Connection, ConnectionCache, load_cipher
from clopos.unified.crypto import SecretCipher
from clopos.unified.pool import UpstreamPool

log = logging.getLogger("clopos.unified")

KEY_IN_DATABASE_WARNING = (
    "CLOPOS_SECRET_KEY is unset: unified connection secrets are encrypted with a key kept "
    "in the same database (fine for development, not for production)"
)


@dataclass
class UnifiedState:
    """Settings, sessions, the secret cipher (after startup), the upstream pool and the
    recently resolved connections."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    pool: UpstreamPool
    cipher: SecretCipher | None = field(default=None, repr=False)
    resolved: ConnectionCache = field(default_factory=ConnectionCache, repr=False)

    async def start(self) -> None:
        """Load (or, first time without ``CLOPOS_SECRET_KEY``, create) the secret key."""
        async with self.sessions() as session:
            self.cipher = await load_cipher(session, self.settings.secret_key)
        if self.cipher.source == "database":
            log.warning(KEY_IN_DATABASE_WARNING)

    async def close(self) -> None:
        """Close the pooled upstream clients."""
        await self.pool.aclose()

    async def ensure_cipher(self) -> SecretCipher:
        """The cipher, loading it if the app was used without its lifespan (tests)."""
        if self.cipher is None:
            await self.start()
        assert self.cipher is not None
        return self.cipher

    async def connection(self, headers: Mapping[str, str]) -> Connection:
        """The caller's connection from its Apideck headers (errors: spec §1.2), reused for
        a few seconds (``connections.ConnectionCache``)."""
        return await self.resolved.resolve(
            self.sessions,
            authorization=headers.get("authorization"),
            app_id=headers.get("x-apideck-app-id"),
            consumer_id=headers.get("x-apideck-consumer-id"),
            service_id=headers.get("x-apideck-service-id"),
            cipher=await self.ensure_cipher(),
        )


def install(
    app: FastAPI,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    upstream_url: str | None = None,
) -> UnifiedState:
    """Attach the unified layer to ``app`` (call before including the ``/pos`` routes).

    ``"self"`` connections go to ``app`` itself in-process, or to ``upstream_url`` when
    given (the standalone server, which has no Clopos routes of its own).
    """
    from clopos.unified.admin import admin_router

    pool = UpstreamPool(self_url=upstream_url) if upstream_url else UpstreamPool(self_app=app)
    state = UnifiedState(settings=settings, sessions=sessions, pool=pool)
    app.state.unified = state
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as inner_state:
            await state.start()
            try:
                yield inner_state
            finally:
                await state.close()

    app.router.lifespan_context = lifespan
    # Before the /pos resource routes, so that /pos/admin/… is never taken for a resource.
    app.include_router(admin_router, prefix="/pos/admin")
    return state


def unified_state(request: Request) -> UnifiedState:
    """The running app's ``UnifiedState``."""
    state: UnifiedState = request.app.state.unified
    return state


UnifiedStateDep = Annotated[UnifiedState, Depends(unified_state)]


async def current_connection(request: Request, state: UnifiedStateDep) -> Connection:
    """The caller's connection, from the Apideck headers (errors: spec §1.2)."""
    return await state.connection(request.headers)


ConnectionDep = Annotated[Connection, Depends(current_connection)]


async def upstream_client(conn: ConnectionDep, state: UnifiedStateDep) -> AsyncCloposClient:
    """The pooled SDK client of the caller's connection."""
    return state.pool.client(conn)


UpstreamDep = Annotated[AsyncCloposClient, Depends(upstream_client)]
