"""How fast ``/pos`` calls stay correct: the short-lived connection cache and tombstones.

``connections.ConnectionCache`` reuses a resolved connection for a few seconds. What a user
can rely on (docs/unified.md, "Performance"):

* a change made through this server (``/pos/admin``, ``DELETE /pos/orders/{id}``) takes
  effect on the very next call;
* a change made by another process (the CLI, another worker — simulated here by writing
  to the database directly) takes effect within ``RESOLVE_TTL_SECONDS``;
* a deleted order is never shown again, even when the deleting process is another one;
* a failed check is never remembered, and a remembered success admits no other key.

Runs on SQLite and PostgreSQL (``database_url``), against the demo consumer whose
upstream is this same server.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import delete, select

from clopos.server.store.db import create_engine, session_factory
from clopos.settings import Settings
from clopos.unified import connections
from clopos.unified.connections import RESOLVE_TTL_SECONDS, ConnectionCache
from clopos.unified.tables import UnifiedApp, UnifiedConnection, UnifiedTombstone

ADMIN_TOKEN = "unified-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DEMO = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
ORDER = {
    "merchant_id": "openapitest",
    "location_id": "1",
    "customer_id": "1",
    "line_items": [{"name": "Margherita", "quantity": 1, "item": {}}],
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the admin routes switched on."""
    return settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)})


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def as_another_process(database_url: str, *statements: Any) -> None:
    """Run ``statements`` on a connection of its own, bypassing ``connections`` (as the CLI
    in another process, or another worker, would look from here)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            for statement in statements:
                await session.execute(statement)
            await session.commit()
    finally:
        await engine.dispose()


async def connection_id(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            found = await session.scalar(
                select(UnifiedConnection.id)
                .join(UnifiedApp, UnifiedApp.id == UnifiedConnection.unified_app_id)
                .where(
                    UnifiedApp.app_id == "demo-app",
                    UnifiedConnection.consumer_id == "demo-consumer",
                )
            )
    finally:
        await engine.dispose()
    assert found is not None
    return int(found)


async def new_order(client: httpx.AsyncClient) -> str:
    created = await client.post("/pos/orders", headers=DEMO, json=ORDER)
    assert created.status_code == 201, created.text
    order_id: str = created.json()["data"]["id"]
    return order_id


async def status_of(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> int:
    response = await client.get(path, headers=headers)
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code


async def test_admin_removal_takes_effect_on_the_next_call(client: httpx.AsyncClient) -> None:
    assert await status_of(client, "/pos/locations", DEMO) == 200  # now remembered
    removed = await client.delete(
        "/pos/admin/consumers/demo-consumer?app_id=demo-app", headers=ADMIN
    )
    assert removed.status_code == 200
    response = await client.get("/pos/locations", headers=DEMO)
    assert response.status_code == 404
    assert response.json()["type_name"] == "ConnectionNotFoundError"


async def test_admin_replace_takes_effect_on_the_next_call(client: httpx.AsyncClient) -> None:
    assert await status_of(client, "/pos/locations", DEMO) == 200
    replaced = await client.post(
        "/pos/admin/consumers",
        headers=ADMIN,
        json={
            "app_id": "demo-app",
            "consumer_id": "demo-consumer",
            "client_id": "demo-client",
            "client_secret": "not-the-secret",
            "brand": "openapitest",
            "integrator_id": "demo-integrator",
            "venue_id": 1,
            "replace": True,
        },
    )
    assert replaced.status_code == 201, replaced.text
    response = await client.get("/pos/locations", headers=DEMO)
    assert response.status_code == 401
    assert response.json()["type_name"] == "ConnectorCredentialsError"


async def test_removal_by_another_process_is_seen_within_the_ttl(
    app: Any, client: httpx.AsyncClient, database_url: str
) -> None:
    clock = Clock()
    app.state.unified.resolved = ConnectionCache(clock=clock)
    assert await status_of(client, "/pos/locations", DEMO) == 200
    await as_another_process(
        database_url,
        delete(UnifiedConnection).where(UnifiedConnection.consumer_id == "demo-consumer"),
    )
    clock.now += RESOLVE_TTL_SECONDS - 0.5
    # Still within the documented bound: the connection resolved a moment ago is reused.
    assert await status_of(client, "/pos/locations", DEMO) == 200
    clock.now += 0.5
    response = await client.get("/pos/locations", headers=DEMO)
    assert response.status_code == 404
    assert response.json()["type_name"] == "ConnectionNotFoundError"


async def test_failures_are_not_remembered_and_a_hit_admits_no_other_key(
    app: Any, client: httpx.AsyncClient
) -> None:
    wrong = {**DEMO, "Authorization": "Bearer not-the-key"}
    assert await status_of(client, "/pos/locations", wrong) == 401
    assert await status_of(client, "/pos/locations", DEMO) == 200
    assert await status_of(client, "/pos/locations", wrong) == 401
    other_consumer = {**DEMO, "x-apideck-consumer-id": "nobody"}
    assert await status_of(client, "/pos/locations", other_consumer) == 404
    bad_service = {**DEMO, "x-apideck-service-id": "square"}
    assert await status_of(client, "/pos/locations", bad_service) == 404
    clopos = {**DEMO, "x-apideck-service-id": "CLOPOS"}
    assert await status_of(client, "/pos/locations", clopos) == 200
    # Only the two successes are kept (without and with the service header).
    assert len(app.state.unified.resolved) == 2


async def test_deleted_order_is_gone_on_the_next_call(client: httpx.AsyncClient) -> None:
    order_id = await new_order(client)
    assert await status_of(client, f"/pos/orders/{order_id}", DEMO) == 200
    deleted = await client.delete(f"/pos/orders/{order_id}", headers=DEMO)
    assert deleted.status_code == 200, deleted.text
    assert await status_of(client, f"/pos/orders/{order_id}", DEMO) == 404
    assert await status_of(client, f"/pos/orders/{order_id}", DEMO) == 404  # remembered
    assert (await client.delete(f"/pos/orders/{order_id}", headers=DEMO)).status_code == 404


async def test_order_deleted_by_another_process_is_hidden_at_once(
    client: httpx.AsyncClient, database_url: str, v2: dict[str, str]
) -> None:
    order_id = await new_order(client)
    # Resolved and remembered while the connection has no tombstones at all.
    assert await status_of(client, f"/pos/orders/{order_id}", DEMO) == 200
    # Another process deletes it as DELETE /pos/orders does: cancel in Clopos, then tombstone.
    ignored = await client.put(
        f"/open-api/v2/orders/{order_id}", json={"status": "IGNORE"}, headers=v2
    )
    assert ignored.status_code == 200, ignored.text
    conn_id = await connection_id(database_url)
    await as_another_process(
        database_url,
        UnifiedTombstone.__table__.insert().values(connection_id=conn_id, unified_id=order_id),
    )
    response = await client.get(f"/pos/orders/{order_id}", headers=DEMO)
    assert response.status_code == 404, response.text
    assert response.json()["type_name"] == "EntityNotFoundError"


async def test_tombstoned_id_stays_hidden_even_if_clopos_shows_it_live(
    app: Any, client: httpx.AsyncClient, database_url: str
) -> None:
    # As if the cancelled order had been revived in Clopos after a delete: the id is still
    # deleted for this consumer (spec §6.4, "never sees the id again").
    order_id = await new_order(client)
    conn_id = await connection_id(database_url)
    await as_another_process(
        database_url,
        UnifiedTombstone.__table__.insert().values(connection_id=conn_id, unified_id=order_id),
    )
    app.state.unified.resolved.clear()  # as after RESOLVE_TTL_SECONDS
    response = await client.get(f"/pos/orders/{order_id}", headers=DEMO)
    assert response.status_code == 404, response.text


async def test_consumer_with_many_deleted_orders_is_checked_per_id(
    app: Any,
    client: httpx.AsyncClient,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Beyond KNOWN_TOMBSTONES_MAX the ids are not read with the connection; each GET looks
    # its id up while Clopos is asked.
    monkeypatch.setattr(connections, "KNOWN_TOMBSTONES_MAX", 1)
    first, second, revived, kept = [await new_order(client) for _ in range(4)]
    for order_id in (first, second):
        assert (await client.delete(f"/pos/orders/{order_id}", headers=DEMO)).status_code == 200
    conn_id = await connection_id(database_url)
    await as_another_process(
        database_url,
        UnifiedTombstone.__table__.insert().values(connection_id=conn_id, unified_id=revived),
    )
    app.state.unified.resolved.clear()  # as after RESOLVE_TTL_SECONDS
    for order_id in (first, second, revived):
        response = await client.get(f"/pos/orders/{order_id}", headers=DEMO)
        assert response.status_code == 404, response.text
        assert response.json()["type_name"] == "EntityNotFoundError"
    live = await client.get(f"/pos/orders/{kept}", headers=DEMO)
    assert live.status_code == 200 and live.json()["data"]["id"] == kept
    missing = await client.get("/pos/orders/999999", headers=DEMO)
    assert missing.status_code == 404
