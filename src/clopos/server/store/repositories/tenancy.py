"""Brands, integrators, API clients, venues and tokens: lookups and creation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.security import hash_secret, new_client_secret, token_digest
from clopos.server.store.models import ApiClient, Brand, Integrator, V1Token, Venue


class AlreadyExists(Exception):
    """A unique name (brand slug, integrator id, client id) is taken."""


async def brand_by_slug(session: AsyncSession, slug: str) -> Brand | None:
    """The brand with this slug, if any."""
    return await session.scalar(select(Brand).where(Brand.slug == slug))


async def integrator_by_id(session: AsyncSession, integrator_id: str) -> Integrator | None:
    """The integrator with this public id, if any."""
    return await session.scalar(select(Integrator).where(Integrator.integrator_id == integrator_id))


async def client_by_id(session: AsyncSession, client_id: str) -> ApiClient | None:
    """The API client with this public id, if any."""
    return await session.scalar(select(ApiClient).where(ApiClient.client_id == client_id))


async def brand_by_id(session: AsyncSession, brand_id: int) -> Brand | None:
    """The brand with this primary key, if any."""
    return await session.get(Brand, brand_id)


async def default_venue_id(session: AsyncSession, brand_id: int) -> int | None:
    """The brand's main venue, else its lowest-id venue (docs/decisions.md)."""
    return await session.scalar(
        select(Venue.id)
        .where(Venue.brand_id == brand_id)
        .order_by(Venue.is_main.desc(), Venue.id)
        .limit(1)
    )


async def venue_of_brand(session: AsyncSession, brand_id: int, venue_id: int) -> Venue | None:
    """The venue if it belongs to the brand."""
    return await session.scalar(
        select(Venue).where(Venue.id == venue_id, Venue.brand_id == brand_id)
    )


async def _commit_unique(session: AsyncSession, what: str) -> None:
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise AlreadyExists(what) from exc


async def create_brand(session: AsyncSession, slug: str, name: str, *, is_test: bool) -> Brand:
    """Register a brand; ``AlreadyExists`` if the slug is taken."""
    brand = Brand(slug=slug, name=name, is_test=is_test)
    session.add(brand)
    await _commit_unique(session, f"brand {slug!r} already exists")
    return brand


async def create_integrator(
    session: AsyncSession, integrator_id: str, name: str, *, is_test: bool
) -> Integrator:
    """Register an integrator; ``AlreadyExists`` if the id is taken."""
    integrator = Integrator(integrator_id=integrator_id, name=name, is_test=is_test)
    session.add(integrator)
    await _commit_unique(session, f"integrator {integrator_id!r} already exists")
    return integrator


@dataclass(frozen=True)
class IssuedClient:
    """A new client and its secret (shown once, never stored in clear)."""

    client: ApiClient
    secret: str


async def create_client(
    session: AsyncSession,
    brand: Brand,
    client_id: str,
    *,
    secret: str | None = None,
    name: str = "",
    hash_n: int = 2**14,
) -> IssuedClient:
    """Create API credentials for ``brand``; a secret is generated when not given."""
    plain = secret or new_client_secret()
    client = ApiClient(
        brand_id=brand.id, client_id=client_id, secret_hash=hash_secret(plain, n=hash_n), name=name
    )
    session.add(client)
    await _commit_unique(session, f"client {client_id!r} already exists")
    return IssuedClient(client, plain)


async def store_v1_token(
    session: AsyncSession,
    *,
    token: str,
    client: ApiClient,
    venue_id: int,
    expires_at: datetime,
) -> None:
    """Keep a v1 token's digest until it expires."""
    session.add(
        V1Token(
            brand_id=client.brand_id,
            api_client_id=client.id,
            venue_id=venue_id,
            token_hash=token_digest(token),
            expires_at=expires_at,
        )
    )
    await session.commit()
