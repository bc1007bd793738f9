"""Retention of the outbox (docs/events.md "Retention"): ``prune_events`` and
``clopos events prune`` delete events older than the window with their delivered or failed
deliveries and delivery logs — never an event still owed to a receiver — and the feed keeps
answering, cursors included.

Events are made through the API, then aged by moving their ``occurred_at`` back in the
database (the one thing a test cannot wait for). Deliveries go to a real HTTP receiver.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from clopos.cli import app as cli_app
from clopos.server.domain.timestamps import utcnow
from clopos.server.events.delivery import WebhookWorker
from clopos.server.events.outbox import record_event
from clopos.server.events.retention import Pruned, prune_events
from clopos.server.events.tables import (
    PENDING,
    Event,
    WebhookAttempt,
    WebhookDelivery,
)
from clopos.server.events.unified_bridge import translate_subscription
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.repositories import tenancy
from clopos.settings import Settings
from clopos.unified.webhook_tables import UnifiedWebhookAttempt, UnifiedWebhookDelivery
from webhook_receiver import Receiver

V2 = "/open-api/v2"
ADMIN_TOKEN = "retention-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DEMO_UNIFIED = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
ORDER_BODY = {
    "merchant_id": "openapitest",
    "location_id": "1",
    "customer_id": "1",
    "line_items": [{"name": "Margherita", "quantity": 1, "item": {}}],
}
runner = CliRunner()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Deliveries only when a test runs the worker."""
    return settings.model_copy(
        update={
            "admin_token": SecretStr(ADMIN_TOKEN),
            "webhook_worker": False,
            "webhook_timeout_seconds": 5.0,
            "rate_limit_enabled": False,
        }
    )


@pytest.fixture
async def worker(app: Any, settings: Settings) -> AsyncIterator[WebhookWorker]:
    delivery = WebhookWorker(app.state.clopos.sessions, settings, name="retention-worker")
    yield delivery
    await delivery.aclose()


async def work_until(worker: WebhookWorker, done: Callable[[], bool]) -> None:
    for _ in range(400):
        if done():
            return
        if await worker.run_once() == 0:
            await asyncio.sleep(0.01)
    assert done(), "the worker did not get there"


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def add_customer(client: httpx.AsyncClient, v2: dict[str, str], phone: str) -> int:
    body = ok(
        await client.post(f"{V2}/customers", json={"name": "Old", "phone": phone}, headers=v2)
    )
    customer_id: int = body["data"]["id"]
    return customer_id


async def feed(client: httpx.AsyncClient, v2: dict[str, str], **params: Any) -> Any:
    return ok(await client.get(f"{V2}/events", params={"limit": 200, **params}, headers=v2))


async def age_events(app: Any, days: int) -> list[int]:
    """Move every event recorded so far ``days`` days into the past; their ids."""
    async with app.state.clopos.sessions() as session:
        ids = list(await session.scalars(select(Event.id).order_by(Event.id)))
        await session.execute(
            update(Event).values(occurred_at=utcnow() - timedelta(days=days, minutes=1))
        )
        await session.commit()
    return ids


async def count(app: Any, column: Any, *where: Any) -> int:
    async with app.state.clopos.sessions() as session:
        return int(await session.scalar(select(func.count(column)).where(*where)) or 0)


async def test_old_delivered_events_go_with_their_deliveries_and_attempts(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        hook = ok(
            await client.post(f"{V2}/webhooks", json={"url": f"{receiver.url}/h"}, headers=v2)
        )["data"]
        await add_customer(client, v2, "+994507771001")
        await add_customer(client, v2, "+994507771002")
        await work_until(worker, lambda: len(receiver.accepted()) == 2)
        old_ids = await age_events(app, 31)
        recent = await add_customer(client, v2, "+994507771003")
        await work_until(worker, lambda: len(receiver.accepted()) == 3)

    pruned = await prune_events(app.state.clopos.sessions, days=30, batch=1)
    assert pruned == Pruned(events=len(old_ids), deliveries=2, attempts=2)

    remaining = (await feed(client, v2, after=0))["data"]
    assert [(e["type"], e["data"]["id"]) for e in remaining] == [("customer.created", recent)]
    assert remaining[0]["id"] > max(old_ids)
    log = ok(await client.get(f"{V2}/webhooks/{hook['id']}/deliveries", headers=v2))
    assert [line["event_id"] for line in log["data"]] == [remaining[0]["id"]]
    assert await count(app, WebhookAttempt.id) == 1
    # A cursor from inside the pruned range resumes at the oldest event kept; later ones work.
    assert (await feed(client, v2, after=old_ids[0]))["data"] == remaining
    after_kept = await feed(client, v2, after=remaining[0]["id"])
    assert (after_kept["data"], after_kept["next_after"]) == ([], remaining[0]["id"])
    assert (await feed(client, v2, after="latest"))["next_after"] == remaining[0]["id"]
    # Ids are never reused: the next event comes after every pruned one.
    newer = await add_customer(client, v2, "+994507771004")
    (event,) = (await feed(client, v2, after=remaining[0]["id"]))["data"]
    assert event["data"]["id"] == newer and event["id"] > remaining[0]["id"]
    # Nothing more to do: a second prune deletes nothing.
    assert await prune_events(app.state.clopos.sessions, days=30) == Pruned()


async def test_an_old_event_with_a_pending_delivery_stays_until_delivered(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    before_hook = await add_customer(client, v2, "+994507772001")
    with Receiver() as receiver:
        ok(await client.post(f"{V2}/webhooks", json={"url": f"{receiver.url}/h"}, headers=v2))
        owed = await add_customer(client, v2, "+994507772002")
        old_ids = await age_events(app, 45)

        pruned = await prune_events(app.state.clopos.sessions, days=30)
        # Only the event owed to the endpoint (its delivery still pending) is left.
        assert pruned == Pruned(events=len(old_ids) - 1)
        (kept,) = (await feed(client, v2, after=0))["data"]
        assert (kept["type"], kept["data"]["id"]) == ("customer.created", owed)
        assert before_hook != owed
        assert await count(app, WebhookDelivery.id, WebhookDelivery.status == PENDING) == 1

        # It is still delivered; once it is, the next prune takes it.
        await work_until(worker, lambda: len(receiver.accepted()) == 1)
        assert receiver.accepted()[0].event["id"] == kept["id"]
    assert await prune_events(app.state.clopos.sessions, days=30) == Pruned(
        events=1, deliveries=1, attempts=1
    )
    assert (await feed(client, v2, after=0))["data"] == []


async def test_recent_events_stay_and_zero_days_keeps_everything(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    await add_customer(client, v2, "+994507773001")
    before = (await feed(client, v2, after=0))["data"]
    assert before
    assert await prune_events(app.state.clopos.sessions, days=30) == Pruned()
    old_ids = await age_events(app, 400)
    assert await prune_events(app.state.clopos.sessions, days=0) == Pruned()
    assert await prune_events(app.state.clopos.sessions, days=401) == Pruned()
    assert [e["id"] for e in (await feed(client, v2, after=0))["data"]] == old_ids
    with pytest.raises(ValueError, match="0 or more"):
        await prune_events(app.state.clopos.sessions, days=-1)


async def test_unified_subscriptions_keep_what_they_still_owe(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        subscription = {
            "app_id": "demo-app",
            "consumer_id": "demo-consumer",
            "url": f"{receiver.url}/apideck",
        }
        hook = ok(await client.post("/pos/admin/webhooks", json=subscription, headers=ADMIN))
        ok(await client.post("/pos/orders", json=ORDER_BODY, headers=DEMO_UNIFIED))
        old_ids = await age_events(app, 60)

        # Not translated yet: the subscription's cursor is behind every event of the brand.
        assert await prune_events(app.state.clopos.sessions, days=30) == Pruned()
        # Translated but not delivered: the event with a pending unified delivery stays.
        async with app.state.clopos.sessions() as session:
            done = await translate_subscription(session, int(hook["data"]["id"]))
        assert done.queued == 1
        pruned = await prune_events(app.state.clopos.sessions, days=30)
        assert pruned.events == len(old_ids) - 1
        assert len((await feed(client, v2, after=0))["data"]) == 1
        # Delivered: it goes, with its unified delivery and attempt.
        await work_until(worker, lambda: len(receiver.accepted()) == 1)
    assert await prune_events(app.state.clopos.sessions, days=30) == Pruned(
        events=1, unified_deliveries=1, unified_attempts=1
    )
    assert await count(app, UnifiedWebhookDelivery.id) == 0
    assert await count(app, UnifiedWebhookAttempt.id) == 0


async def test_the_worker_prunes_at_most_once_an_hour(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    await add_customer(client, v2, "+994507774001")
    await age_events(app, 31)
    await worker.prune_if_due()  # the first round of a worker prunes
    assert (await feed(client, v2, after=0))["data"] == []
    await add_customer(client, v2, "+994507774002")
    await age_events(app, 31)
    await worker.prune_if_due()  # within the hour: only a clock check
    assert len((await feed(client, v2, after=0))["data"]) == 1


# --- clopos events prune ---------------------------------------------------------------------


async def _record_old_and_new(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            brand = await tenancy.brand_by_slug(session, "openapitest")
            assert brand is not None
            for number in (1, 2, 3):
                await record_event(
                    session,
                    brand_id=brand.id,
                    venue_id=1,
                    type="customer.created",
                    resource={"id": number},
                )
            await session.commit()
            first_two = list(await session.scalars(select(Event.id).order_by(Event.id).limit(2)))
            await session.execute(
                update(Event)
                .where(Event.id.in_(first_two))
                .values(occurred_at=utcnow() - timedelta(days=10))
            )
            await session.commit()
    finally:
        await engine.dispose()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CLOPOS_DATABASE_URL", database_url)
    return database_url


def test_cli_prune_prints_the_counts(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_record_old_and_new(cli_env))
    # The default window (30 days) keeps events 10 days old.
    kept = runner.invoke(cli_app, ["events", "prune"])
    assert kept.exit_code == 0, kept.output
    assert re.search(r"^events\s+0$", kept.output, re.M), kept.output
    # So does the setting's 0, which --days overrides.
    monkeypatch.setenv("CLOPOS_EVENT_RETENTION_DAYS", "0")
    forever = runner.invoke(cli_app, ["events", "prune"])
    assert forever.exit_code == 0 and "every event is kept" in forever.output
    pruned = runner.invoke(cli_app, ["events", "prune", "--days", "7"])
    assert pruned.exit_code == 0, pruned.output
    assert re.search(r"^events\s+2$", pruned.output, re.M), pruned.output
    assert re.search(r"^deliveries\s+0$", pruned.output, re.M), pruned.output
    again = runner.invoke(cli_app, ["events", "prune", "--days", "7"])
    assert re.search(r"^events\s+0$", again.output, re.M), again.output


@pytest.mark.parametrize("days", ["-1", "abc", "1.5", ""])
def test_cli_prune_refuses_bad_days(cli_env: str, days: str) -> None:
    result = runner.invoke(cli_app, ["events", "prune", "--days", days])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "--days must be a whole number of days" in result.stderr


def test_cli_bad_retention_setting_is_one_line(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOPOS_EVENT_RETENTION_DAYS", "-3")
    result = runner.invoke(cli_app, ["events", "prune"])
    assert result.exit_code == 2
    assert "CLOPOS_EVENT_RETENTION_DAYS" in result.stderr
