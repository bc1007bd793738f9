"""What the app holds for its lifetime: settings, database, JWT key, rate limiter."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from clopos.server.ratelimit import RateLimiter
from clopos.server.security import new_jwt_secret
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.models import ServerSetting
from clopos.settings import Settings

JWT_SECRET_KEY = "jwt_secret"  # noqa: S105 - a settings row name, not a secret


@dataclass
class AppState:
    """Per-app objects; nothing here matters across requests except caches safe to lose."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    limiter: RateLimiter
    jwt_key: str = field(default="", repr=False)

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        """Create the engine (lazily connecting) and the limiter."""
        engine = create_engine(settings.database_url)
        return cls(settings, engine, session_factory(engine), RateLimiter(settings))

    async def load_jwt_key(self) -> None:
        """Use ``CLOPOS_JWT_SECRET``, else the key stored in the database (made on first start)."""
        if self.settings.jwt_secret is not None:
            self.jwt_key = self.settings.jwt_secret.get_secret_value()
            return
        async with self.sessions() as session:
            stored = await session.scalar(
                select(ServerSetting.value).where(ServerSetting.key == JWT_SECRET_KEY)
            )
            if stored is None:
                session.add(ServerSetting(key=JWT_SECRET_KEY, value=new_jwt_secret()))
                try:
                    await session.commit()
                except IntegrityError:  # another worker stored one first
                    await session.rollback()
                stored = await session.scalar(
                    select(ServerSetting.value).where(ServerSetting.key == JWT_SECRET_KEY)
                )
            assert stored is not None
            self.jwt_key = stored

    async def close(self) -> None:
        """Release connections (database, and Redis when rate limits live there)."""
        try:
            await self.limiter.close()
        finally:
            await self.engine.dispose()
