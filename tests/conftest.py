"""Shared fixtures: a migrated, demo-seeded database per test on SQLite and PostgreSQL.

The demo brand is seeded once per backend into a template; each test gets a copy (a file
copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so tests never see each
other's writes. PostgreSQL tests skip with a printed reason when it is unreachable.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.engine import make_url

from clopos.server.app import create_app
from clopos.server.demo import seed_demo
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.migrate import upgrade
from clopos.settings import Settings

POSTGRES_URL = os.environ.get(
    "CLOPOS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
FAST_HASH_N = 2**8
DEMO_V2_AUTH = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "brand": "openapitest",
    "integrator_id": "demo-integrator",
}
DEMO_V1_AUTH = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "brand": "openapitest",
    "venue_id": "1",
}


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session, hash_n=FAST_HASH_N)
    finally:
        await engine.dispose()


def _pg_admin_dsn() -> str:
    url = make_url(POSTGRES_URL)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin_dsn(), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


_pg_problem: str | None = None


def postgres_unreachable() -> str | None:
    """Why PostgreSQL cannot be used, or ``None`` when it can."""
    global _pg_problem
    if _pg_problem is None:
        try:
            asyncio.run(_pg_exec("SELECT 1"))
            _pg_problem = ""
        except Exception as exc:
            _pg_problem = f"PostgreSQL not reachable at {POSTGRES_URL}: {exc!r}"
    return _pg_problem or None


async def _clone_database(template: str, name: str) -> None:
    """``CREATE DATABASE … TEMPLATE``; FILE_COPY (PostgreSQL 15+) is ~4x faster than the
    default WAL_LOG for a small template, which adds up over a thousand tests."""
    import asyncpg

    try:
        await _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    except asyncpg.PostgresSyntaxError:  # PostgreSQL < 15 has no STRATEGY
        await _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def _pg_url(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    problem = postgres_unreachable()
    if problem:
        pytest.skip(problem)
    name = f"clopos_tmpl_{os.getpid()}"
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url(name))
    asyncio.run(_seed(_pg_url(name)))
    yield name
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database holding the demo brand."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "clopos.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"clopos_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_clone_database(template_name, name))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, secret_hash_n=FAST_HASH_N, redis_url=None)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def v2_token(client: httpx.AsyncClient) -> str:
    response = await client.post("/open-api/v2/auth", json=DEMO_V2_AUTH)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


@pytest.fixture
def v2(v2_token: str) -> dict[str, str]:
    """Headers for a v2 call as the demo integrator."""
    return {"x-token": v2_token}


@pytest.fixture
async def v1(client: httpx.AsyncClient) -> dict[str, str]:
    """Headers for a v1 call on the demo brand, venue 1."""
    response = await client.post("/open-api/auth", json=DEMO_V1_AUTH)
    assert response.status_code == 200, response.text
    return {"x-token": response.json()["token"], "x-brand": "openapitest", "x-venue": "1"}


@pytest.fixture(params=["v1", "v2"])
def api(request: pytest.FixtureRequest) -> tuple[str, dict[str, str]]:
    """``(prefix, headers)`` for each API version, to run a test on both."""
    headers: dict[str, str] = request.getfixturevalue(request.param)
    prefix = "/open-api/v2" if request.param == "v2" else "/open-api"
    return prefix, headers


OTHER_BRAND = "otherbrand"


@pytest.fixture
async def other_v2(app: Any, client: httpx.AsyncClient) -> dict[str, str]:
    """v2 headers for a second test brand with its own copy of the catalog.

    Use it to show that one brand's token never sees another brand's rows.
    """
    from clopos.server.demo import seed_brand_catalog
    from clopos.server.store.repositories import tenancy

    async with app.state.clopos.sessions() as session:
        brand = await tenancy.create_brand(session, OTHER_BRAND, "Other", is_test=True)
        await seed_brand_catalog(session, brand)
        await tenancy.create_client(
            session, brand, "other-client", secret="other-secret", hash_n=FAST_HASH_N
        )
    response = await client.post(
        "/open-api/v2/auth",
        json={
            **DEMO_V2_AUTH,
            "client_id": "other-client",
            "client_secret": "other-secret",
            "brand": OTHER_BRAND,
        },
    )
    assert response.status_code == 200, response.text
    return {"x-token": response.json()["token"]}
