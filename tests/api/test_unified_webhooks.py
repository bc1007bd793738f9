"""Unified webhooks over a real database (SQLite and PostgreSQL): ``/pos/admin/webhooks``,
translation of the outbox into ``pos.*`` events, delivery in Apideck's format to a real
HTTP receiver on 127.0.0.1 (``tests/webhook_receiver.py``), retries, the delivery log.

A real ``WebhookWorker`` over the test database is driven round by round (the in-process
worker is switched off; ``tests/e2e/test_unified_webhook_delivery.py`` runs that one).
Orders are made through ``/pos/orders`` with the demo consumer (``self`` upstream: this same
app, in-process) and the till plays the POS side through ``/sandbox``.

Demo data relied on (src/clopos/server/demo.py): app ``demo-app`` / key ``demo-unified-key``
/ consumer ``demo-consumer`` → brand ``openapitest`` (v2, venue 1, base URL ``self``);
product "Margherita" (8.50 AZN), customer 1, venues 1 and 2, a cash payment method.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from clopos.server.events.delivery import WebhookWorker
from clopos.server.events.unified_bridge import Translated, translate_subscription
from clopos.settings import Settings
from clopos.unified.webhook_events import verify
from webhook_receiver import Received, Receiver

ADMIN_TOKEN = "unified-webhooks-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
HOOKS = "/pos/admin/webhooks"
TILL = "/sandbox/brands/openapitest"
DEMO = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
IDENTITY = {"merchant_id": "openapitest", "location_id": "1"}
ORDER_BODY = {
    **IDENTITY,
    "customer_id": "1",
    "line_items": [{"name": "Margherita", "quantity": 2, "item": {}}],
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The admin and till routes on; deliveries only when a test runs the worker."""
    return settings.model_copy(
        update={
            "admin_token": SecretStr(ADMIN_TOKEN),
            "webhook_worker": False,
            "webhook_retry_first_seconds": 0.01,
            "webhook_retry_max_seconds": 0.05,
            "webhook_timeout_seconds": 5.0,
            "rate_limit_enabled": False,
        }
    )


@pytest.fixture
async def worker(app: Any, settings: Settings) -> AsyncIterator[WebhookWorker]:
    delivery = WebhookWorker(app.state.clopos.sessions, settings, name="unified-test-worker")
    yield delivery
    await delivery.aclose()


async def work_until(worker: WebhookWorker, done: Callable[[], bool], rounds: int = 400) -> None:
    for _ in range(rounds):
        if done():
            return
        if await worker.run_once() == 0:
            await asyncio.sleep(0.01)
    assert done(), "the worker did not get there"


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status and body["service"] == "clopos"
    return body["data"]


def refused(response: httpx.Response, status: int, type_name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["type_name"] == type_name, body
    return body


async def subscribe(client: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"app_id": "demo-app", "consumer_id": "demo-consumer", "url": url, **fields}
    data: dict[str, Any] = ok(await client.post(HOOKS, json=body, headers=ADMIN), 201)
    return data


async def new_order(client: httpx.AsyncClient) -> str:
    created = ok(await client.post("/pos/orders", json=ORDER_BODY, headers=DEMO), 201)
    order_id: str = created["id"]
    return order_id


def events(requests: list[Received]) -> list[tuple[str, str]]:
    return [(r.event["payload"]["event_type"], r.event["payload"]["entity_id"]) for r in requests]


# --- subscriptions ----------------------------------------------------------------------------


async def test_subscribe_list_change_rotate_delete(client: httpx.AsyncClient) -> None:
    hook = await subscribe(client, "https://example.com/apideck", description="to the CRM")
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert (hook["app_id"], hook["consumer_id"], hook["service_id"]) == (
        "demo-app",
        "demo-consumer",
        "clopos",
    )
    assert (hook["event_types"], hook["enabled"], hook["description"]) == (
        ["*"],
        True,
        "to the CRM",
    )
    # entity_url will start with the URL the admin reached this server on.
    assert hook["api_base_url"] == "http://testserver"

    listed = ok(await client.get(HOOKS, params={"app_id": "demo-app"}, headers=ADMIN))
    shown = {k: v for k, v in hook.items() if k != "secret"}
    assert listed == [{**shown, "deliveries": {"pending": 0, "delivered": 0, "failed": 0}}]
    assert ok(await client.get(HOOKS, params={"consumer_id": "nobody"}, headers=ADMIN)) == []
    one = ok(await client.get(f"{HOOKS}/{hook['id']}", headers=ADMIN))
    assert "secret" not in one and one["id"] == hook["id"]

    changed = ok(
        await client.patch(
            f"{HOOKS}/{hook['id']}",
            json={"event_types": ["pos.order.*"], "enabled": False, "description": None},
            headers=ADMIN,
        )
    )
    assert (changed["event_types"], changed["enabled"], changed["description"]) == (
        ["pos.order.*"],
        False,
        None,
    )
    rotated = ok(await client.post(f"{HOOKS}/{hook['id']}/rotate-secret", headers=ADMIN))
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]

    deleted = ok(await client.delete(f"{HOOKS}/{hook['id']}", headers=ADMIN))
    assert deleted == {"id": hook["id"]}
    refused(await client.get(f"{HOOKS}/{hook['id']}", headers=ADMIN), 404, "EntityNotFoundError")
    assert ok(await client.get(HOOKS, headers=ADMIN)) == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"url": "ftp://example.com/x"}, "url", "absolute http:// or https:// URL"),
        ({"url": 7}, "url", "must be a string"),
        ({"event_types": ["order.created"]}, "event_types", "not a unified event type"),
        ({"event_types": []}, "event_types", "at least one event type"),
        ({"event_types": "pos.order.*"}, "event_types", "must be a list"),
        ({"enabled": "yes"}, "enabled", "boolean"),
        ({"api_base_url": "not a url"}, "api_base_url", "http(s) URL"),
        ({"description": "x" * 501}, "description", "500"),
        ({"events": ["*"]}, "events", "Unknown field 'events'"),
        ({"secret": "too-short"}, "secret", "16-512 printable ASCII"),
        ({"secret": "has a space in it, sadly"}, "secret", "without spaces"),
        ({"secret": 1234567890123456}, "secret", "printable ASCII"),
    ],
)
async def test_bad_subscriptions_are_400_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str, words: str
) -> None:
    complete = {"app_id": "demo-app", "consumer_id": "demo-consumer", "url": "https://e.com/h"}
    answer = refused(
        await client.post(HOOKS, json={**complete, **body}, headers=ADMIN),
        400,
        "RequestValidationError",
    )
    assert words in answer["message"]
    assert field in json.dumps(answer["detail"])


async def test_refusals(client: httpx.AsyncClient) -> None:
    body = {"app_id": "demo-app", "consumer_id": "demo-consumer", "url": "https://e.com/h"}
    refused(await client.post(HOOKS, json=body), 401, "UnauthorizedError")
    refused(
        await client.get(HOOKS, headers={"Authorization": "Bearer nope"}), 401, "UnauthorizedError"
    )
    stranger = {**body, "consumer_id": "nobody"}
    refused(await client.post(HOOKS, json=stranger, headers=ADMIN), 404, "ConnectionNotFoundError")
    refused(await client.get(f"{HOOKS}/abc", headers=ADMIN), 404, "EntityNotFoundError")
    refused(
        await client.get(f"{HOOKS}/999999/deliveries", headers=ADMIN), 404, "EntityNotFoundError"
    )
    hook = await subscribe(client, "https://e.com/h")
    refused(
        await client.get(
            f"{HOOKS}/{hook['id']}/deliveries", params={"status": "lost"}, headers=ADMIN
        ),
        400,
        "RequestValidationError",
    )
    refused(
        await client.patch(f"{HOOKS}/{hook['id']}", json={}, headers=ADMIN),
        400,
        "RequestValidationError",
    )

    # A consumer whose upstream is another server: this server never sees its changes.
    remote = {
        "app_id": "demo-app",
        "consumer_id": "elsewhere",
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "brand": "openapitest",
        "integrator_id": "demo-integrator",
        "base_url": "https://clopos.example.com",
    }
    ok(await client.post("/pos/admin/consumers", json=remote, headers=ADMIN), 201)
    far = refused(
        await client.post(HOOKS, json={**body, "consumer_id": "elsewhere"}, headers=ADMIN),
        422,
        "InvalidStateError",
    )
    assert "another server" in far["message"]
    # …unless that URL is where this server is reached.
    near = await subscribe(
        client,
        "https://e.com/h",
        consumer_id="elsewhere",
        api_base_url="https://clopos.example.com",
    )
    assert near["api_base_url"] == "https://clopos.example.com"
    # Subscriptions go with their consumer.
    removed = await client.delete(
        "/pos/admin/consumers/elsewhere", params={"app_id": "demo-app"}, headers=ADMIN
    )
    ok(removed)
    refused(await client.get(f"{HOOKS}/{near['id']}", headers=ADMIN), 404, "EntityNotFoundError")


# --- delivery ------------------------------------------------------------------------------


async def test_a_chosen_secret_such_as_the_api_key_signs_the_deliveries(
    client: httpx.AsyncClient, worker: WebhookWorker
) -> None:
    # An app built for Apideck verifies x-apideck-signature with its API key (Apideck's
    # guide); it subscribes with that key as the secret and its verification code works as is.
    with Receiver() as receiver:
        hook = await subscribe(client, f"{receiver.url}/keyed", secret="demo-unified-key")
        assert hook["secret"] == "demo-unified-key"
        order_id = await new_order(client)
        await work_until(worker, lambda: len(receiver.accepted("/keyed")) >= 1)
        (request,) = receiver.accepted("/keyed")
        document = verify("demo-unified-key", request.body, request.headers["x-apideck-signature"])
        assert document["payload"]["entity_id"] == order_id
        listed = ok(await client.get(HOOKS, headers=ADMIN))
        assert "demo-unified-key" not in json.dumps(listed)


async def test_the_order_life_in_apideck_format_next_to_clopos_webhooks(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        hook = await subscribe(client, f"{receiver.url}/apideck")
        # A Clopos endpoint of the same brand keeps getting the Clopos events.
        clopos_hook = await client.post(
            "/open-api/v2/webhooks", json={"url": f"{receiver.url}/clopos"}, headers=v2
        )
        assert clopos_hook.status_code == 200, clopos_hook.text

        order_id = await new_order(client)
        accepted = await client.post(f"{TILL}/orders/{order_id}/accept", headers=ADMIN)
        assert accepted.status_code == 200, accepted.text
        pay = {**IDENTITY, "tenders": [{"type": "cash", "amount": 1700}]}
        ok(await client.post(f"/pos/orders/{order_id}/pay", json=pay, headers=DEMO), 201)
        receipt_id = ok(await client.get(f"/pos/orders/{order_id}", headers=DEMO))["payments"][0][
            "id"
        ].split("-")[0]
        ok(await client.delete(f"/pos/orders/{order_id}", headers=DEMO))

        await work_until(worker, lambda: len(receiver.accepted("/apideck")) >= 5)
        assert await worker.run_once() == 0  # nothing more, nothing twice
        got = receiver.accepted("/apideck")
        assert events(got) == [
            ("pos.order.created", order_id),
            ("pos.order.updated", order_id),  # accepted at the till
            ("pos.payment.created", f"{receipt_id}-0"),
            ("pos.order.updated", order_id),  # paid: completed
            ("pos.order.deleted", order_id),  # DELETE cancelled the receipt
        ]
        for request in got:
            document = verify(hook["secret"], request.body, request.headers["x-apideck-signature"])
            body = document["payload"]
            assert set(body) == {
                "event_type", "unified_api", "service_id", "consumer_id", "event_id",
                "entity_id", "entity_type", "entity_url", "execution_attempt", "occurred_at",
            }  # fmt: skip
            assert (body["unified_api"], body["service_id"], body["consumer_id"]) == (
                "pos",
                "clopos",
                "demo-consumer",
            )
            assert body["execution_attempt"] == 1
            assert request.headers["x-apideck-event-type"] == body["event_type"]
            assert request.headers["x-apideck-idempotency-key"] == body["event_id"]
            kind = "payments" if body["entity_type"] == "payment" else "orders"
            assert body["entity_url"] == f"http://testserver/pos/{kind}/{body['entity_id']}"
            assert body["occurred_at"].endswith("Z")
        assert len({r.event["payload"]["event_id"] for r in got}) == 5
        # The entity_url of the payment answers in the unified API.
        payment = ok(await client.get(got[2].event["payload"]["entity_url"], headers=DEMO))
        assert payment["order_id"] == order_id

        clopos_types = [r.event["type"] for r in receiver.accepted("/clopos")]
        assert clopos_types[:2] == ["order.created", "order.accepted"]
        assert "receipt.closed" in clopos_types and "pos.order.created" not in clopos_types


async def test_an_outage_is_retried_in_order_and_logged(
    client: httpx.AsyncClient, worker: WebhookWorker
) -> None:
    with Receiver(fail_first=2, fail_status=503) as receiver:
        hook = await subscribe(client, f"{receiver.url}/down", event_types=["pos.order.created"])
        first, second = await new_order(client), await new_order(client)
        await work_until(worker, lambda: len(receiver.accepted()) == 2)
        tries = receiver.snapshot()
        # Attempts 1 and 2 of the first event failed; nothing newer went out meanwhile.
        assert [(r.status, r.event["payload"]["entity_id"]) for r in tries] == [
            (503, first),
            (503, first),
            (200, first),
            (200, second),
        ]
        assert [r.event["payload"]["execution_attempt"] for r in tries] == [1, 2, 3, 1]
        keys = {r.headers["x-apideck-idempotency-key"] for r in tries[:3]}
        assert keys == {tries[0].event["payload"]["event_id"]}  # one event, one key
        for request in tries:
            verify(hook["secret"], request.body, request.headers["x-apideck-signature"])

        log_url = f"{HOOKS}/{hook['id']}/deliveries"
        log = await client.get(log_url, headers=ADMIN)
        lines = ok(log)
        assert log.json()["meta"]["total"] == 2
        assert [(line["entity_id"], line["status"], line["attempts"]) for line in lines] == [
            (second, "delivered", 1),
            (first, "delivered", 3),
        ]
        detail = ok(await client.get(f"{log_url}/{lines[1]['id']}", headers=ADMIN))
        assert [(a["number"], a["status_code"]) for a in detail["attempt_log"]] == [
            (1, 503),
            (2, 503),
            (3, 200),
        ]
        assert detail["attempt_log"][0]["response_body"] == "receiver outage"
        assert detail["body"]["payload"]["event_id"] == tries[0].event["payload"]["event_id"]
        counts = ok(await client.get(f"{HOOKS}/{hook['id']}", headers=ADMIN))["deliveries"]
        assert counts == {"pending": 0, "delivered": 2, "failed": 0}

        again = ok(await client.post(f"{log_url}/{lines[1]['id']}/redeliver", headers=ADMIN))
        assert again["status"] == "pending"
        await work_until(worker, lambda: len(receiver.accepted()) == 3)
        resent = receiver.accepted()[-1].event["payload"]
        assert (resent["entity_id"], resent["execution_attempt"]) == (first, 4)


async def test_types_venue_scope_and_disabled_subscriptions(
    client: httpx.AsyncClient, worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        await subscribe(client, f"{receiver.url}/payments", event_types=["pos.payment.created"])
        paused = await subscribe(client, f"{receiver.url}/paused", enabled=False)
        # A v1 consumer sees its own venue only.
        airport = {
            "app_id": "demo-app",
            "consumer_id": "airport",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "brand": "openapitest",
            "venue_id": 2,
            "api_version": "v1",
        }
        ok(await client.post("/pos/admin/consumers", json=airport, headers=ADMIN), 201)
        await subscribe(client, f"{receiver.url}/airport", consumer_id="airport")

        order_id = await new_order(client)  # venue 1
        accepted = await client.post(f"{TILL}/orders/{order_id}/accept", headers=ADMIN)
        receipt_id = accepted.json()["data"]["receipt"]["id"]
        pay = {**IDENTITY, "tenders": [{"type": "cash", "amount": 1700}]}
        ok(await client.post(f"/pos/orders/{order_id}/pay", json=pay, headers=DEMO), 201)
        await work_until(worker, lambda: len(receiver.accepted()) >= 1)
        assert await worker.run_once() == 0
        assert events(receiver.accepted()) == [("pos.payment.created", f"{receipt_id}-0")]
        assert [r.path for r in receiver.accepted()] == ["/payments"]

        # Enabled again: what happens from then on, not what it missed.
        ok(await client.patch(f"{HOOKS}/{paused['id']}", json={"enabled": True}, headers=ADMIN))
        later = await new_order(client)
        await work_until(worker, lambda: len(receiver.accepted("/paused")) == 1)
        assert events(receiver.accepted("/paused")) == [("pos.order.created", later)]


async def test_two_workers_translate_and_deliver_each_event_once(
    app: Any, client: httpx.AsyncClient, settings: Settings
) -> None:
    with Receiver(delay=0.02) as receiver:
        hook = await subscribe(client, f"{receiver.url}/twice")
        orders = [await new_order(client) for _ in range(6)]
        sessions = app.state.clopos.sessions

        # Translators racing on one subscription, one event per transaction: the row lock
        # (PostgreSQL) or the writer lock (SQLite) lets each event through once.
        async def translate_one() -> Translated:
            async with sessions() as session:
                return await translate_subscription(session, hook["id"], batch=1)

        raced = await asyncio.gather(*(translate_one() for _ in range(4)))
        assert sum(r.events for r in raced) == sum(r.queued for r in raced) == 4

        first = WebhookWorker(sessions, settings, name="first")
        second = WebhookWorker(sessions, settings, name="second")
        try:
            for _ in range(400):
                if len(receiver.accepted()) >= 6:
                    break
                if sum(await asyncio.gather(first.run_once(), second.run_once())) == 0:
                    await asyncio.sleep(0.01)
            await asyncio.gather(first.run_once(), second.run_once())
        finally:
            await first.aclose()
            await second.aclose()
        assert events(receiver.snapshot()) == [("pos.order.created", o) for o in orders]
        lines = ok(await client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=ADMIN))
        assert [(line["entity_id"], line["attempts"]) for line in lines] == [
            (o, 1) for o in reversed(orders)
        ]
