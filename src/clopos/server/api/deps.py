"""Dependencies shared by the routes: the database session and the authenticated caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.domain.query import MAX_ID, id_from_text
from clopos.server.domain.timestamps import unix_seconds, utcnow
from clopos.server.errors import AuthFailed, Forbidden, InvalidParameter
from clopos.server.middleware import api_version_of
from clopos.server.security import (
    TokenExpired,
    TokenInvalid,
    decode_v2_token,
    iso_from_epoch,
    token_digest,
)
from clopos.server.state import AppState
from clopos.server.store.models import ApiClient, Brand, Integrator, V1Token, Venue

TEST_MODE_MISMATCH = "Integrator is in test mode. But brand is not in test mode"


def app_state(request: Request) -> AppState:
    """The running app's ``AppState``."""
    state: AppState = request.app.state.clopos
    return state


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; handlers commit what they write."""
    async with app_state(request).sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(db_session)]
StateDep = Annotated[AppState, Depends(app_state)]


@dataclass(frozen=True)
class Caller:
    """Who is calling: brand, active venue and the prefix's rules."""

    brand_id: int
    brand_slug: str
    venue_id: int
    api_version: str
    client_id: str
    integrator_id: str | None = None


async def _venue_of_brand(session: AsyncSession, brand_id: int, raw: str) -> int:
    """Resolve an ``x-venue`` header to a venue id the brand owns (else 400/403)."""
    venue_id = id_from_text(raw)
    if venue_id is None:
        raise InvalidParameter(
            "The x-venue header must be a venue id (an integer)",
            details={"parameter": "x-venue", "provided_value": raw},
        )
    found = None
    if venue_id <= MAX_ID:
        found = await session.scalar(
            select(Venue.id).where(Venue.id == venue_id, Venue.brand_id == brand_id)
        )
    if found is None:
        raise Forbidden(
            f"Venue {venue_id} does not belong to this brand; use an id from GET /venues in x-venue"
        )
    return venue_id


async def _v2_caller(request: Request, session: AsyncSession, state: AppState) -> Caller:
    token = request.headers.get("x-token")
    if not token:
        raise AuthFailed(
            "Send the token from POST /open-api/v2/auth in the x-token header",
            code="Headers are missing",
        )
    now = utcnow()
    try:
        claims = decode_v2_token(token, key=state.jwt_key, now=unix_seconds(now))
    except TokenExpired as expired:
        raise AuthFailed(
            "The token has expired; call POST /open-api/v2/auth for a new one",
            code="Token expired",
            body_extra={"expires_at": iso_from_epoch(expired.expires_at)},
        ) from None
    except TokenInvalid:
        raise AuthFailed(
            "The token is malformed or its signature is wrong; re-authenticate",
            code="Invalid token",
        ) from None
    row = (
        await session.execute(
            select(Brand, Integrator, ApiClient)
            .join(ApiClient, ApiClient.brand_id == Brand.id)
            .join(Integrator, Integrator.integrator_id == claims.integrator_id)
            .where(Brand.slug == claims.brand, ApiClient.client_id == claims.client_id)
        )
    ).first()
    if row is None:
        # Brand, client or integrator vanished since the token was minted.
        raise AuthFailed("Invalid integrator_id", code="Invalid integrator_id")
    brand, integrator, client = row
    if not integrator.enabled:
        raise AuthFailed("Invalid integrator_id", code="Invalid integrator_id")
    if not client.enabled:
        raise AuthFailed("Client is disabled", code="Client is disabled")
    if integrator.is_test and not brand.is_test:
        raise AuthFailed(TEST_MODE_MISMATCH, code=TEST_MODE_MISMATCH)
    venue_header = request.headers.get("x-venue")
    venue_id = claims.venue_id
    if venue_header:
        venue_id = await _venue_of_brand(session, brand.id, venue_header)
    window = await state.limiter.hit_tenant(integrator.integrator_id, brand.slug)
    if window is not None:
        request.state.ratelimit.append(window)
    return Caller(
        brand_id=brand.id,
        brand_slug=brand.slug,
        venue_id=venue_id,
        api_version="v2",
        client_id=client.client_id,
        integrator_id=integrator.integrator_id,
    )


async def _v1_caller(request: Request, session: AsyncSession, state: AppState) -> Caller:
    token = request.headers.get("x-token")
    brand_slug = request.headers.get("x-brand")
    venue_header = request.headers.get("x-venue")
    if not token or not brand_slug or not venue_header:
        missing = [
            name
            for name, value in (
                ("x-token", token),
                ("x-brand", brand_slug),
                ("x-venue", venue_header),
            )
            if not value
        ]
        raise AuthFailed(
            "Missing authentication headers",
            details={"missing_headers": missing},
        )
    row = (
        await session.execute(
            select(V1Token, Brand, ApiClient)
            .join(Brand, Brand.id == V1Token.brand_id)
            .join(ApiClient, ApiClient.id == V1Token.api_client_id)
            .where(V1Token.token_hash == token_digest(token))
        )
    ).first()
    if row is None or row[0].expires_at <= utcnow():
        raise AuthFailed("Invalid or expired token; call POST /open-api/auth again")
    _token, brand, client = row
    if brand.slug != brand_slug:
        raise AuthFailed("The x-brand header does not match the token's brand")
    if not client.enabled:
        raise AuthFailed("Client is disabled")
    venue_id = await _venue_of_brand(session, brand.id, venue_header)
    request.state.ratelimit.extend(await state.limiter.hit_v1(client.client_id))
    return Caller(
        brand_id=brand.id,
        brand_slug=brand.slug,
        venue_id=venue_id,
        api_version="v1",
        client_id=client.client_id,
    )


async def current_caller(request: Request, session: SessionDep, state: StateDep) -> Caller:
    """Authenticate by the rules of the prefix the request came in on (spec §3)."""
    if api_version_of(request.url.path) == "v2":
        return await _v2_caller(request, session, state)
    return await _v1_caller(request, session, state)


CallerDep = Annotated[Caller, Depends(current_caller)]
