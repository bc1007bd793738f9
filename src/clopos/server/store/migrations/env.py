"""Alembic environment: runs migrations over the async engine of the configured URL."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

# Tables defined outside store/models.py register on the same metadata when imported, so
# autogenerate sees them rather than proposing to drop them.
import clopos.server.events.tables
import clopos.unified.tables
import clopos.unified.webhook_tables  # noqa: F401
from clopos.server.store.db import create_engine
from clopos.server.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    """Apply migrations to ``sqlalchemy.url``."""
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    asyncio.run(_run_async(url))


if context.is_offline_mode():  # pragma: no cover - offline SQL generation is not offered
    raise SystemExit("offline migrations are not supported; use `clopos db upgrade`")
run_migrations_online()
