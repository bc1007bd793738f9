"""Connections of the unified layer over a real database (SQLite and PostgreSQL).

The repository (apps, consumers, tombstones, idempotency keys), the header check of every
``/pos`` call (unified-pos.md §1.2), encryption of connection secrets at rest, the upstream
pool (including "self", this same server in-process) and the ``/pos/admin`` routes.

Demo data relied on (src/clopos/server/demo.py): app ``demo-app`` with API key
``demo-unified-key``, consumer ``demo-consumer`` connected to brand ``openapitest`` (client
``demo-client``/``demo-secret``, integrator ``demo-integrator``, venue 1, v2, base URL
``self``); the brand has venues 1 and 2.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.app import create_app
from clopos.server.domain.timestamps import utcnow
from clopos.server.store.db import create_engine, session_factory
from clopos.settings import Settings
from clopos.unified import connections
from clopos.unified.connections import Connection, ConsumerSpec
from clopos.unified.crypto import SecretCipher
from clopos.unified.errors import UnifiedError
from clopos.unified.pool import UpstreamPool
from clopos.unified.tables import (
    UnifiedConnection,
    UnifiedIdempotencyKey,
    UnifiedTombstone,
)
from clopos.unified.upstream import data_of, plain

ADMIN_TOKEN = "unified-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DEMO_HEADERS = {
    "authorization": "Bearer demo-unified-key",
    "app_id": "demo-app",
    "consumer_id": "demo-consumer",
    "service_id": None,
}
KEY_A = "key-a-0123456789abcdef"
KEY_B = "key-b-0123456789abcdef"


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as db:
            yield db
    finally:
        await engine.dispose()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the admin routes switched on."""
    return settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})


def spec(**overrides: Any) -> ConsumerSpec:
    values: dict[str, Any] = {
        "app_id": "shop-app",
        "consumer_id": "cafe-1",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "brand": "openapitest",
        "integrator_id": "demo-integrator",
        "venue_id": 1,
    }
    values.update(overrides)
    return connections.check_consumer(**values)


async def refused(call: Any) -> UnifiedError:
    with pytest.raises(UnifiedError) as caught:
        await call
    return caught.value


async def resolve(
    session: AsyncSession, cipher: SecretCipher | None = None, **headers: Any
) -> Connection:
    return await connections.resolve(session, **{**DEMO_HEADERS, **headers}, cipher=cipher)


# --- the demo consumer ----------------------------------------------------------------------


async def test_demo_consumer_exists_after_seeding(session: AsyncSession) -> None:
    conn = await resolve(session)
    assert (conn.app_id, conn.consumer_id, conn.service_id) == (
        "demo-app",
        "demo-consumer",
        "clopos",
    )
    assert (conn.brand, conn.client_id, conn.client_secret) == (
        "openapitest",
        "demo-client",
        "demo-secret",
    )
    assert (conn.integrator_id, conn.venue_id, conn.api_version) == ("demo-integrator", 1, "v2")
    assert conn.base_url == "self" and conn.is_self


async def test_demo_seed_is_idempotent_and_repairs_an_unreadable_demo_secret(
    session: AsyncSession,
) -> None:
    from clopos.server.demo import seed_demo

    await seed_demo(session, hash_n=256)
    assert await session.scalar(select(func.count()).select_from(UnifiedConnection)) == 1
    # The operator sets CLOPOS_SECRET_KEY after the first seed: the demo secret (public
    # anyway) is stored again under the new key, so the demo keeps working.
    await seed_demo(session, hash_n=256, secret_key=KEY_A)
    conn = await resolve(session, cipher=SecretCipher(KEY_A))
    assert conn.client_secret == "demo-secret"
    assert await session.scalar(select(func.count()).select_from(UnifiedConnection)) == 1


# --- apps and API keys ------------------------------------------------------------------------


async def test_api_key_is_stored_only_as_its_digest(session: AsyncSession) -> None:
    key = await connections.add_app(session, "shop-app", name="Shop")
    assert key.startswith("ukey_") and len(key) >= 40
    rows = (
        await session.execute(text("SELECT * FROM unified_apps WHERE app_id = 'shop-app'"))
    ).all()
    assert len(rows) == 1
    stored = [str(value) for value in rows[0]]
    assert key not in stored
    assert hashlib.sha256(key.encode()).hexdigest() in stored
    conn_key = await connections.add_app(session, "other-app")
    assert conn_key != key


async def test_duplicate_app_is_a_conflict(session: AsyncSession) -> None:
    error = await refused(connections.add_app(session, "demo-app"))
    assert (error.status_code, error.type_name) == (409, "ConflictError")
    error = await refused(connections.add_app(session, "bad app id"))
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert error.message.startswith("app_id ")


async def test_issued_key_opens_the_app_and_nothing_else(session: AsyncSession) -> None:
    key = await connections.add_app(session, "shop-app")
    cipher = await connections.load_cipher(session)
    await connections.add_consumer(session, cipher, spec())
    conn = await resolve(
        session, authorization=f"Bearer {key}", app_id="shop-app", consumer_id="cafe-1"
    )
    assert conn.app_id == "shop-app" and conn.consumer_id == "cafe-1"
    # The demo key does not open shop-app, and shop-app's key does not open demo-app.
    for authorization, app_id in [
        ("Bearer demo-unified-key", "shop-app"),
        (f"Bearer {key}", "demo-app"),
    ]:
        error = await refused(
            resolve(session, authorization=authorization, app_id=app_id, consumer_id="cafe-1")
        )
        assert (error.status_code, error.type_name) == (401, "UnauthorizedError")


# --- header errors (spec §1.2) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "type_name", "detail"),
    [
        ({"authorization": None}, 401, "UnauthorizedError", None),
        ({"authorization": "  "}, 401, "UnauthorizedError", None),
        ({"authorization": "demo-unified-key"}, 401, "UnauthorizedError", None),
        ({"authorization": "Basic demo-unified-key"}, 401, "UnauthorizedError", None),
        ({"authorization": "Bearer wrong-key"}, 401, "UnauthorizedError", None),
        (
            {"app_id": None},
            400,
            "RequestHeadersValidationError",
            "Missing Header: x-apideck-app-id",
        ),
        ({"app_id": "no-such-app"}, 401, "UnauthorizedError", None),
        (
            {"consumer_id": None},
            400,
            "RequestHeadersValidationError",
            "Missing Header: x-apideck-consumer-id",
        ),
        (
            {"consumer_id": " "},
            400,
            "RequestHeadersValidationError",
            "Missing Header: x-apideck-consumer-id",
        ),
        ({"service_id": "square"}, 404, "ConnectorNotFoundError", {"service_id": "square"}),
        ({"consumer_id": "nobody"}, 404, "ConnectionNotFoundError", None),
        ({"consumer_id": "demo\x00consumer"}, 404, "ConnectionNotFoundError", None),
    ],
)
async def test_header_errors(
    session: AsyncSession,
    headers: dict[str, Any],
    status: int,
    type_name: str,
    detail: Any,
) -> None:
    error = await refused(resolve(session, **headers))
    assert (error.status_code, error.type_name) == (status, type_name), error.message
    if detail is not None:
        assert error.detail == detail
    assert error.message


async def test_header_checks_run_in_the_documented_order(session: AsyncSession) -> None:
    # No key and no consumer: the key is checked first.
    error = await refused(resolve(session, authorization=None, consumer_id=None))
    assert error.status_code == 401
    # A wrong key with an unknown service: still 401, nothing about connectors leaks.
    error = await refused(resolve(session, authorization="Bearer x", service_id="square"))
    assert error.status_code == 401
    # Unknown app and wrong key answer the same words.
    unknown_app = await refused(resolve(session, app_id="no-such-app"))
    wrong_key = await refused(resolve(session, authorization="Bearer nope"))
    assert unknown_app.message == wrong_key.message


async def test_service_id_is_case_insensitive_and_optional(session: AsyncSession) -> None:
    assert (await resolve(session, service_id="clopos")).consumer_id == "demo-consumer"
    assert (await resolve(session, service_id="Clopos")).service_id == "clopos"
    assert (await resolve(session, authorization="bearer demo-unified-key")).id > 0


async def test_consumers_are_scoped_to_their_app(session: AsyncSession) -> None:
    key = await connections.add_app(session, "shop-app")
    error = await refused(
        resolve(
            session, authorization=f"Bearer {key}", app_id="shop-app", consumer_id="demo-consumer"
        )
    )
    assert (error.status_code, error.type_name) == (404, "ConnectionNotFoundError")


# --- secrets at rest ----------------------------------------------------------------------------


async def test_secret_is_encrypted_at_rest(session: AsyncSession) -> None:
    key = await connections.add_app(session, "shop-app")
    plaintext = "s3cret-Value-for-the-column-check"
    await connections.add_consumer(session, SecretCipher(KEY_A), spec(client_secret=plaintext))
    rows = (
        await session.execute(
            text("SELECT * FROM unified_connections WHERE consumer_id = 'cafe-1'")
        )
    ).all()
    assert len(rows) == 1
    dump = " ".join(str(value) for value in rows[0])
    assert plaintext not in dump
    stored = await session.scalar(
        select(UnifiedConnection.client_secret_encrypted).where(
            UnifiedConnection.consumer_id == "cafe-1"
        )
    )
    assert stored is not None and stored.startswith("gAAAA")  # a Fernet token
    # Two encryptions of one secret differ (fresh IV): equal secrets are not visible as such.
    assert SecretCipher(KEY_A).encrypt(plaintext) != SecretCipher(KEY_A).encrypt(plaintext)
    conn = await resolve(
        session,
        cipher=SecretCipher(KEY_A),
        authorization=f"Bearer {key}",
        app_id="shop-app",
        consumer_id="cafe-1",
    )
    assert conn.client_secret == plaintext


async def test_wrong_key_is_a_clear_error(
    session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    key = await connections.add_app(session, "shop-app")
    await connections.add_consumer(session, SecretCipher(KEY_A), spec())
    headers = {"authorization": f"Bearer {key}", "app_id": "shop-app", "consumer_id": "cafe-1"}
    assert (await resolve(session, cipher=SecretCipher(KEY_A), **headers)).client_secret == (
        "demo-secret"
    )
    with caplog.at_level(logging.ERROR, logger="clopos.unified"):
        error = await refused(resolve(session, cipher=SecretCipher(KEY_B), **headers))
    assert (error.status_code, error.type_name) == (401, "ConnectorCredentialsError")
    assert "cannot be read" in error.message and "add the connection again" in error.message
    # The operator's log says why (the key) and what to do; the secret is in neither.
    logged = caplog.text
    assert "CLOPOS_SECRET_KEY" in logged and "--replace" in logged
    assert "demo-secret" not in logged + error.message + str(error.detail)
    listed = await connections.list_consumers(
        session, app_id="shop-app", cipher=SecretCipher(KEY_B)
    )
    assert [c.secret_readable for c in listed] == [False]
    listed = await connections.list_consumers(
        session, app_id="shop-app", cipher=SecretCipher(KEY_A)
    )
    assert [c.secret_readable for c in listed] == [True]


async def test_key_generated_without_setting_is_stored_once(session: AsyncSession) -> None:
    first = await connections.load_cipher(session)
    second = await connections.load_cipher(session, None)
    assert first.source == second.source == "database"
    assert second.decrypt(first.encrypt("x")) == "x"
    count = await session.scalar(
        text("SELECT count(*) FROM server_settings WHERE key = 'unified_secret_key'")
    )
    assert count == 1
    configured = await connections.load_cipher(session, SecretStr(KEY_A))
    assert configured.source == "CLOPOS_SECRET_KEY"
    assert not configured.can_decrypt(first.encrypt("x"))


async def test_connection_repr_hides_the_secret(session: AsyncSession) -> None:
    conn = await resolve(session)
    for shown in (repr(conn), str(conn), f"{conn}", repr(spec())):
        assert "demo-secret" not in shown
    assert "client_secret='***'" in repr(conn)


# --- adding, listing, removing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"integrator_id": None}, "integrator_id"),
        ({"api_version": "v1", "venue_id": None}, "venue_id"),
        ({"api_version": "v3"}, "api_version"),
        ({"venue_id": "abc"}, "venue_id"),
        ({"venue_id": 0}, "venue_id"),
        ({"base_url": "ftp://example.com"}, "base_url"),
        ({"base_url": "http://"}, "base_url"),
        ({"base_url": "https://example.com/?x=1"}, "base_url"),
        ({"client_secret": ""}, "client_secret"),
        ({"client_id": " "}, "client_id"),
        ({"brand": None}, "brand"),
        ({"consumer_id": "x" * 256}, "consumer_id"),
        ({"consumer_id": "tab\there"}, "consumer_id"),
        ({"service_id": "square"}, "service_id"),
        ({"app_id": ""}, "app_id"),
    ],
)
def test_bad_connection_input_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(UnifiedError) as caught:
        spec(**overrides)
    error = caught.value
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert error.message.startswith(field + " "), error.message


def test_valid_input_is_normalised() -> None:
    made = spec(base_url="https://clopos.example.com/api/", api_version="V1", venue_id="2")
    assert made.base_url == "https://clopos.example.com/api"
    assert (made.api_version, made.venue_id) == ("v1", 2)
    assert spec(base_url="SELF").base_url == "self"
    assert spec(base_url=None).base_url == "self"


async def test_add_list_replace_remove(session: AsyncSession) -> None:
    cipher = await connections.load_cipher(session)
    error = await refused(connections.add_consumer(session, cipher, spec()))
    assert error.status_code == 400 and "shop-app" in error.message  # no such app yet
    await connections.add_app(session, "shop-app")
    added = await connections.add_consumer(session, cipher, spec())
    assert (added.app_id, added.consumer_id, added.base_url) == ("shop-app", "cafe-1", "self")

    error = await refused(connections.add_consumer(session, cipher, spec(client_id="other")))
    assert (error.status_code, error.type_name) == (409, "ConflictError")

    listed = await connections.list_consumers(session, cipher=cipher)
    assert [(c.app_id, c.consumer_id) for c in listed] == [
        ("demo-app", "demo-consumer"),
        ("shop-app", "cafe-1"),
    ]
    assert all(c.secret_readable for c in listed)
    assert [
        c.consumer_id for c in await connections.list_consumers(session, app_id="shop-app")
    ] == ["cafe-1"]

    before = await connections.get_connection(
        session, cipher, app_id="shop-app", consumer_id="cafe-1"
    )
    await connections.add_consumer(
        session,
        cipher,
        spec(base_url="https://clopos.example.com", client_secret="new-secret"),
        replace=True,
    )
    after = await connections.get_connection(
        session, cipher, app_id="shop-app", consumer_id="cafe-1"
    )
    assert after.id == before.id
    assert (after.base_url, after.client_secret) == ("https://clopos.example.com", "new-secret")
    assert after.fingerprint != before.fingerprint

    apps = {a.app_id: a.consumers for a in await connections.list_apps(session)}
    assert apps == {"demo-app": 1, "shop-app": 1}

    await connections.remove_consumer(session, app_id="shop-app", consumer_id="cafe-1")
    error = await refused(
        connections.remove_consumer(session, app_id="shop-app", consumer_id="cafe-1")
    )
    assert (error.status_code, error.type_name) == (404, "ConnectionNotFoundError")
    error = await refused(connections.remove_consumer(session, app_id="nope", consumer_id="cafe-1"))
    assert error.status_code == 404


async def test_removing_a_consumer_drops_its_tombstones_and_keys(session: AsyncSession) -> None:
    conn = await resolve(session)
    await connections.tombstone(session, conn, "5")
    await connections.claim_idempotency(session, conn, "k1", "f" * 64)
    await connections.remove_consumer(session, app_id="demo-app", consumer_id="demo-consumer")
    for table in (UnifiedTombstone, UnifiedIdempotencyKey, UnifiedConnection):
        assert await session.scalar(select(func.count()).select_from(table)) == 0
    error = await refused(resolve(session))
    assert error.type_name == "ConnectionNotFoundError"


async def test_replacing_keeps_history_only_for_the_same_upstream(session: AsyncSession) -> None:
    cipher = await connections.load_cipher(session)
    await connections.add_app(session, "shop-app")
    await connections.add_consumer(session, cipher, spec())
    conn = await connections.get_connection(
        session, cipher, app_id="shop-app", consumer_id="cafe-1"
    )
    await connections.tombstone(session, conn, "5")
    await connections.claim_idempotency(session, conn, "k", "f" * 64)

    # New secret, same brand and server: order 5 stays deleted.
    await connections.add_consumer(session, cipher, spec(client_secret="rotated"), replace=True)
    assert await connections.is_tombstoned(session, conn, "5")
    assert await session.scalar(select(func.count()).select_from(UnifiedIdempotencyKey)) == 1

    # Another brand: its order 5 is another order, so nothing carries over.
    await connections.add_consumer(session, cipher, spec(brand="otherbrand"), replace=True)
    assert not await connections.is_tombstoned(session, conn, "5")
    assert await session.scalar(select(func.count()).select_from(UnifiedIdempotencyKey)) == 0


# --- tombstones (spec §6.4) ---------------------------------------------------------------------


async def test_tombstones_hide_ids_per_connection(session: AsyncSession) -> None:
    demo = await resolve(session)
    key = await connections.add_app(session, "shop-app")
    await connections.add_consumer(session, await connections.load_cipher(session), spec())
    other = await resolve(
        session, authorization=f"Bearer {key}", app_id="shop-app", consumer_id="cafe-1"
    )

    assert not await connections.is_tombstoned(session, demo, "108")
    assert demo.has_tombstones is False  # routes may skip the lookup
    assert await connections.tombstone(session, demo, "108") is True
    assert (await resolve(session)).has_tombstones is True
    cipher = await connections.load_cipher(session)
    fetched = await connections.get_connection(
        session, cipher, app_id="demo-app", consumer_id="demo-consumer"
    )
    assert fetched.has_tombstones is True and other.has_tombstones is False
    assert await connections.tombstone(session, demo, "108") is False  # already gone
    await connections.tombstone(session, demo, "r6")
    assert await connections.is_tombstoned(session, demo, "108")
    assert await connections.tombstoned_ids(session, demo) == {"108", "r6"}
    assert await connections.tombstoned_ids(session, demo, among=["1", "r6", "r6"]) == {"r6"}
    assert await connections.tombstoned_ids(session, demo, among=[]) == frozenset()
    # Another consumer's view is its own.
    assert not await connections.is_tombstoned(session, other, "108")
    assert await connections.tombstoned_ids(session, other) == frozenset()


# --- idempotency keys (spec §6.1) ---------------------------------------------------------------


async def test_idempotency_key_lifecycle(session: AsyncSession) -> None:
    conn = await resolve(session)
    body = {"merchant_id": "openapitest", "location_id": "1", "note": "hi"}
    same_body_reordered = {"note": "hi", "location_id": "1", "merchant_id": "openapitest"}
    fingerprint = connections.body_fingerprint(body)
    assert connections.body_fingerprint(same_body_reordered) == fingerprint

    assert await connections.claim_idempotency(session, conn, "order-1", fingerprint) is None
    # In flight (or died half-way): the same request may go ahead; the upstream key is
    # stable, so the upstream makes it one order.
    assert await connections.claim_idempotency(session, conn, "order-1", fingerprint) is None
    upstream_key = connections.upstream_idempotency_key(conn, "order-1")
    assert upstream_key == connections.upstream_idempotency_key(conn, "order-1")
    assert upstream_key != connections.upstream_idempotency_key(conn, "order-2")

    await connections.complete_idempotency(session, conn, "order-1", "108")
    assert await connections.claim_idempotency(session, conn, "order-1", fingerprint) == "108"

    other = connections.body_fingerprint({**body, "note": "changed"})
    error = await refused(connections.claim_idempotency(session, conn, "order-1", other))
    assert (error.status_code, error.type_name) == (409, "ConflictError")
    assert error.detail == {"idempotency_key": "order-1"}

    # A completed key survives release; an unfinished one is freed for a corrected body.
    await connections.release_idempotency(session, conn, "order-1")
    assert await connections.claim_idempotency(session, conn, "order-1", fingerprint) == "108"
    assert await connections.claim_idempotency(session, conn, "order-2", fingerprint) is None
    await connections.release_idempotency(session, conn, "order-2")
    assert await connections.claim_idempotency(session, conn, "order-2", other) is None


async def test_idempotency_keys_expire_after_24_hours(session: AsyncSession) -> None:
    conn = await resolve(session)
    fingerprint = connections.body_fingerprint({"a": 1})
    await connections.claim_idempotency(session, conn, "old", fingerprint)
    await connections.complete_idempotency(session, conn, "old", "7")
    expires = await session.scalar(
        select(UnifiedIdempotencyKey.expires_at).where(UnifiedIdempotencyKey.key == "old")
    )
    assert expires is not None and expires - utcnow() > timedelta(hours=23, minutes=59)
    await session.execute(
        update(UnifiedIdempotencyKey)
        .where(UnifiedIdempotencyKey.key == "old")
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    await session.commit()
    other = connections.body_fingerprint({"a": 2})
    assert await connections.claim_idempotency(session, conn, "old", other) is None


@pytest.mark.parametrize("key", ["", "x" * 256, "bad\nkey"])
async def test_bad_idempotency_key_is_a_400(session: AsyncSession, key: str) -> None:
    conn = await resolve(session)
    error = await refused(connections.claim_idempotency(session, conn, key, "f" * 64))
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert error.message.startswith("idempotency_key ")


# --- the upstream pool ----------------------------------------------------------------------------


async def test_pool_reuses_a_client_and_rebuilds_it_on_change(session: AsyncSession) -> None:
    conn = await resolve(session)
    pool = UpstreamPool(self_url="http://127.0.0.1:9")
    first = pool.client(conn)
    assert pool.client(conn) is first
    from dataclasses import replace

    changed = replace(conn, client_secret="rotated")
    rebuilt = pool.client(changed)
    assert rebuilt is not first and pool.client(changed) is rebuilt
    assert rebuilt.settings.base_url == "http://127.0.0.1:9"  # "self" → the upstream URL
    assert len(pool) == 1
    pool.discard(conn.id)
    assert len(pool) == 0
    await pool.aclose()
    with pytest.raises(RuntimeError):
        pool.client(conn)


async def test_pool_remembers_reference_data_per_connection(session: AsyncSession) -> None:
    from dataclasses import replace

    conn = await resolve(session)
    pool = UpstreamPool(self_url="http://127.0.0.1:9")
    loads: list[int] = []

    async def load() -> list[int]:
        loads.append(1)
        return [1, 2]

    assert await pool.remembered(conn, "venues", load) == [1, 2]
    assert await pool.remembered(conn, "venues", load) == [1, 2]
    assert len(loads) == 1  # reused within the TTL
    pool.forget(conn, "venues")
    await pool.remembered(conn, "venues", load, ttl=0)
    assert len(loads) == 2  # forgotten: loaded again
    await pool.remembered(conn, "venues", load, ttl=0)
    assert len(loads) == 3  # stored with no lifetime: expired at once
    # A changed connection starts with nothing remembered.
    await pool.remembered(replace(conn, venue_id=2), "venues", load)
    assert len(loads) == 4
    await pool.aclose()


async def test_pool_self_without_an_upstream_is_a_clear_error(session: AsyncSession) -> None:
    pool = UpstreamPool()
    with pytest.raises(UnifiedError) as caught:
        pool.client(await resolve(session))
    assert (caught.value.status_code, caught.value.type_name) == (400, "ConnectionSettingsError")
    await pool.aclose()


async def test_self_connection_calls_this_server_in_process(app: Any) -> None:
    state = app.state.unified
    async with state.sessions() as db:
        conn = await resolve(db, cipher=await state.ensure_cipher())
    client = state.pool.client(conn)
    # The SDK answers typed models or envelopes; plain/data_of read either.
    venues = data_of(plain(await client.get_venues()))
    assert sorted(v["id"] for v in venues) == [1, 2]
    # One client per connection, its token reused: no second /auth.
    token = client.token
    assert state.pool.client(conn) is client
    await client.get_venues()
    assert client.token == token


# --- /pos/admin -------------------------------------------------------------------------------


async def test_admin_routes_need_the_admin_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.get("/pos/admin/consumers")
    assert response.status_code == 401
    assert response.json()["type_name"] == "UnauthorizedError"
    response = await client.get("/pos/admin/consumers", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401

    disabled = create_app(settings.model_copy(update={"admin_token": None}))
    async with (
        LifespanManager(disabled),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=disabled), base_url="http://t") as http,
    ):
        response = await http.get("/pos/admin/consumers", headers=ADMIN)
    assert response.status_code == 403
    body = response.json()
    assert body["type_name"] == "ForbiddenError" and "CLOPOS_ADMIN_TOKEN" in body["message"]
    assert response.headers["content-type"].startswith("application/json")


async def test_admin_app_and_consumer_lifecycle(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/pos/admin/apps", headers=ADMIN, json={"app_id": "shop-app", "name": "Shop"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status_code"], body["resource"], body["operation"]) == (201, "apps", "add")
    api_key = body["data"]["api_key"]
    assert api_key.startswith("ukey_")
    again = await client.post("/pos/admin/apps", headers=ADMIN, json={"app_id": "shop-app"})
    assert again.status_code == 409 and again.json()["type_name"] == "ConflictError"

    new_consumer = {
        "app_id": "shop-app",
        "consumer_id": "cafe-1",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "brand": "openapitest",
        "integrator_id": "demo-integrator",
        "venue_id": 2,
    }
    added = await client.post("/pos/admin/consumers", headers=ADMIN, json=new_consumer)
    assert added.status_code == 201, added.text
    data = added.json()["data"]
    assert (data["consumer_id"], data["base_url"], data["venue_id"]) == ("cafe-1", "self", 2)
    assert "client_secret" not in data and "demo-secret" not in added.text

    duplicate = await client.post("/pos/admin/consumers", headers=ADMIN, json=new_consumer)
    assert duplicate.status_code == 409

    listed = await client.get("/pos/admin/consumers?app_id=shop-app", headers=ADMIN)
    assert listed.status_code == 200
    assert [c["consumer_id"] for c in listed.json()["data"]] == ["cafe-1"]
    assert listed.json()["data"][0]["secret_readable"] is True
    everyone = await client.get("/pos/admin/consumers", headers=ADMIN)
    assert {c["consumer_id"] for c in everyone.json()["data"]} == {"demo-consumer", "cafe-1"}
    assert "demo-secret" not in everyone.text
    apps = await client.get("/pos/admin/apps", headers=ADMIN)
    assert {a["app_id"]: a["consumers"] for a in apps.json()["data"]} == {
        "demo-app": 1,
        "shop-app": 1,
    }
    assert api_key not in apps.text

    # The new consumer works: its credentials authenticate upstream (this server).
    checked = await client.post("/pos/admin/consumers/cafe-1/check?app_id=shop-app", headers=ADMIN)
    assert checked.status_code == 200, checked.text
    assert checked.json()["data"]["authenticated"] is True

    removed = await client.delete("/pos/admin/consumers/cafe-1?app_id=shop-app", headers=ADMIN)
    assert removed.status_code == 200 and removed.json()["data"] == {"id": "cafe-1"}
    gone = await client.delete("/pos/admin/consumers/cafe-1?app_id=shop-app", headers=ADMIN)
    assert gone.status_code == 404 and gone.json()["type_name"] == "ConnectionNotFoundError"


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (b'{"app_id": "demo-app", "consumer_id": "x", "surprise": 1}', "surprise"),
        (b'{"app_id": "demo-app", "consumer_id": 5}', "consumer_id must be a string"),
        (
            b'{"app_id": "demo-app", "consumer_id": "x", "client_id": "c", "client_secret": "s",'
            b' "brand": "b"}',
            "integrator_id is required",
        ),
        (
            b'{"app_id": "demo-app", "consumer_id": "x", "client_id": "c", "client_secret": "s",'
            b' "brand": "b", "integrator_id": "i", "base_url": "nope"}',
            "base_url must be",
        ),
    ],
)
async def test_admin_bad_bodies_are_400_naming_the_problem(
    client: httpx.AsyncClient, body: bytes, needle: str
) -> None:
    response = await client.post(
        "/pos/admin/consumers",
        headers={**ADMIN, "content-type": "application/json"},
        content=body,
    )
    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["type_name"] == "RequestValidationError"
    assert needle in payload["message"], payload
    assert payload["ref"].endswith("#requestvalidationerror")


async def test_admin_check_reports_refused_credentials(client: httpx.AsyncClient) -> None:
    wrong = {
        "app_id": "demo-app",
        "consumer_id": "wrong-secret",
        "client_id": "demo-client",
        "client_secret": "not-the-secret",
        "brand": "openapitest",
        "integrator_id": "demo-integrator",
    }
    assert (await client.post("/pos/admin/consumers", headers=ADMIN, json=wrong)).status_code == 201
    checked = await client.post(
        "/pos/admin/consumers/wrong-secret/check?app_id=demo-app", headers=ADMIN
    )
    assert checked.status_code == 401, checked.text
    assert checked.json()["type_name"] == "ConnectorCredentialsError"
    assert "not-the-secret" not in checked.text
    missing = await client.post("/pos/admin/consumers/nobody/check?app_id=demo-app", headers=ADMIN)
    assert missing.status_code == 404
    no_app = await client.delete("/pos/admin/consumers/x", headers=ADMIN)
    assert no_app.status_code == 400 and "app_id" in no_app.json()["message"]
