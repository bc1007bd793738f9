"""``Idempotency-Key`` on creating POSTs (orders, receipts, customers; both prefixes).

The Clopos docs recommend the header without saying what it does (spec §6); we follow what
integrators know from Stripe:

* same key, same body → the stored status and body again, with ``Idempotent-Replayed: true``;
* same key, different body → 422 ``idempotency_key_reused``;
* same key while the first request still runs → wait for it (a few seconds), else 409
  ``idempotency_key_in_progress``.

Keys are scoped per brand and API client and kept 24 hours. A key is *claimed* by inserting a
row (the unique constraint decides the race, never a read-then-write) and *completed* in the
same transaction as the write it protects, so a crash can never leave a write without its key:
a claim whose holder died before committing goes stale and is taken over. A request whose
block fails (a validation error, a conflict) releases its claim, so fixing the body and
retrying with the same key works; a body refused before the route runs never claims at all.

Connections: claims and releases run in short sessions of their own, so the route's session
must never hold a connection (or, on SQLite, the write lock) while they run — otherwise
twenty requests waiting on one key would each hold one pooled connection and wait for a
second (pool exhaustion), and a release would wait on the row lock its own request holds.
``idempotent`` therefore ends the route session's read-only transaction before claiming and
rolls the route session back before releasing.

Use::

    async with idempotent(request, caller, session) as guard:
        if guard.replay is not None:
            return guard.replay
        ...write...
        response = await guard.complete(respond(request, data, message="Order created"))
        await session.commit()
        return response
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.timestamps import utcnow
from clopos.server.errors import ApiError, InvalidParameter
from clopos.server.store.models import IdempotencyKey

if TYPE_CHECKING:
    from clopos.server.api.deps import Caller
    from clopos.server.state import AppState

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEEP_FOR = timedelta(hours=24)
# A claim older than this whose holder never completed it belongs to a crashed request.
STALE_AFTER = timedelta(seconds=30)
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.05
MAX_KEY_LENGTH = 255


def header_parameter() -> dict[str, Any]:
    """The ``Idempotency-Key`` header as an OpenAPI parameter, for a route's ``openapi_extra``."""
    return {
        "name": HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Optional. Repeating the request with the same key and body returns the first "
            "answer again (header `Idempotent-Replayed: true`) instead of writing twice; the "
            "same key with another body answers 422 `idempotency_key_reused`, and while the "
            "first request still runs, 409 `idempotency_key_in_progress`. Keys are kept 24 "
            f"hours per brand and client; at most {MAX_KEY_LENGTH} printable characters."
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    }


class KeyReused(ApiError):
    """The key was first used with a different request body."""

    status_code = 422
    code = "idempotency_key_reused"
    exception_name = "UnprocessableEntityHttpException"


class KeyInProgress(ApiError):
    """Another request with this key has not finished yet."""

    status_code = 409
    code = "idempotency_key_in_progress"
    exception_name = "ConflictHttpException"


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of the request; JSON bodies are canonicalized (key order does not matter)."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\n", path.encode(), b"\n", canonical):
        digest.update(part)
    return digest.hexdigest()


@dataclass
class Guard:
    """One request's hold on its key (or nothing, when no key was sent)."""

    row_id: int | None = None
    replay: Response | None = None
    session: AsyncSession | None = field(default=None, repr=False)
    completed: bool = False

    async def complete(self, response: Response) -> Response:
        """Record the response in the route's open transaction, so that its commit makes the
        write and the key durable together."""
        if self.row_id is not None and self.session is not None:
            await self.session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.id == self.row_id)
                .values(
                    status="completed",
                    response_status=response.status_code,
                    response_body=bytes(response.body).decode(),
                )
            )
            self.completed = True
        return response


def _replay(row: IdempotencyKey) -> Response:
    return Response(
        content=(row.response_body or "").encode(),
        status_code=row.response_status or 200,
        media_type="application/json",
        headers={REPLAY_HEADER: "true"},
    )


async def _claim(
    state: AppState, brand_id: int, client_id: str, key: str, fingerprint: str
) -> tuple[int | None, Response | None]:
    """Insert the key, or explain why not: ``(row_id, None)`` owns it, ``(None, replay)``."""
    deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
    # Insert first (a new key, the usual case, costs one statement); while waiting on a
    # key in progress, read first, so the poll does not fail an INSERT every round.
    insert_first = True
    while True:
        now = utcnow()
        async with state.sessions() as session:
            if insert_first:
                row = IdempotencyKey(
                    brand_id=brand_id,
                    client_id=client_id,
                    key=key,
                    request_hash=fingerprint,
                    status="in_progress",
                    created_at=now,
                    expires_at=now + KEEP_FOR,
                )
                session.add(row)
                try:
                    await session.commit()
                    return row.id, None
                except IntegrityError:
                    await session.rollback()
            existing = await session.scalar(
                select(IdempotencyKey).where(
                    IdempotencyKey.brand_id == brand_id,
                    IdempotencyKey.client_id == client_id,
                    IdempotencyKey.key == key,
                )
            )
            if existing is None:  # released (or never there): try to insert it
                insert_first = True
                continue
            if existing.expires_at <= now:
                await session.execute(
                    delete(IdempotencyKey).where(IdempotencyKey.id == existing.id)
                )
                await session.commit()
                insert_first = True
                continue
            if existing.request_hash != fingerprint:
                raise KeyReused(
                    "This Idempotency-Key was already used with a different request body; "
                    "use a new key for a new request",
                    details={"header": HEADER},
                )
            if existing.status == "completed":
                return None, _replay(existing)
            if existing.created_at <= now - STALE_AFTER:
                # Its holder crashed before committing: take the claim over, atomically.
                taken = await session.execute(
                    update(IdempotencyKey)
                    .where(
                        IdempotencyKey.id == existing.id,
                        IdempotencyKey.status == "in_progress",
                        IdempotencyKey.created_at == existing.created_at,
                    )
                    .values(created_at=now)
                )
                await session.commit()
                if getattr(taken, "rowcount", 0) == 1:
                    return existing.id, None
                continue
            insert_first = False  # still in progress: wait for its holder
        if asyncio.get_running_loop().time() >= deadline:
            raise KeyInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly",
                details={"header": HEADER},
            )
        await asyncio.sleep(POLL_SECONDS)


async def _end_read_transaction(session: AsyncSession) -> None:
    """Give the route session's connection back to the pool before waiting on a key.

    Only the authentication reads have run in it yet; committing them changes nothing. A
    session already holding unsaved changes is left alone (its writes are the route's).
    """
    if session.in_transaction() and not (session.new or session.dirty or session.deleted):
        await session.commit()


async def _release(state: AppState, row_id: int) -> None:
    async with state.sessions() as session:
        await session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.id == row_id, IdempotencyKey.status == "in_progress"
            )
        )
        await session.commit()


@asynccontextmanager
async def idempotent(
    request: Request, caller: Caller, session: AsyncSession
) -> AsyncIterator[Guard]:
    """Claim the request's ``Idempotency-Key`` (if any) for the duration of the block."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key:
        yield Guard()
        return
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidParameter(
            f"The {HEADER} header must be 1–{MAX_KEY_LENGTH} printable characters",
            details={"parameter": HEADER},
        )
    state: AppState = request.app.state.clopos
    fingerprint = request_fingerprint(request.method, request.url.path, await request.body())
    await _end_read_transaction(session)
    row_id, replay = await _claim(state, caller.brand_id, caller.client_id, key, fingerprint)
    guard = Guard(row_id=row_id, replay=replay, session=session)
    try:
        yield guard
    except BaseException:
        if row_id is not None:
            # The route's uncommitted writes (and, after ``complete``, its lock on the key
            # row) must go before another session can delete the claim.
            await session.rollback()
            await _release(state, row_id)
        raise
    else:
        if row_id is not None and not guard.completed:
            # The block answered without writing (e.g. a validation error it returned itself).
            await _release(state, row_id)
