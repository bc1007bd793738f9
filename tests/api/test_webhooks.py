"""``/webhooks``: subscriptions, the delivery log, redelivery and secret rotation
(docs/events.md).

Deliveries go to a real HTTP server on 127.0.0.1 (``tests/webhook_receiver.py``) and are
made by a real ``WebhookWorker`` over the test database, driven round by round here so the
tests need no sleeping (the in-process worker of ``clopos serve`` is switched off; the
end-to-end tests run that one).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from clopos.client.webhooks import WebhookSignatureError, verify_signature
from clopos.server.domain.timestamps import utcnow
from clopos.server.events.delivery import WebhookWorker
from clopos.server.events.tables import WebhookDelivery
from clopos.settings import Settings
from webhook_receiver import Receiver

V2 = "/open-api/v2"
V1 = "/open-api"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Deliveries only when a test runs the worker; retries a few milliseconds apart."""
    return settings.model_copy(
        update={
            "webhook_worker": False,
            "webhook_retry_first_seconds": 0.01,
            "webhook_retry_max_seconds": 0.05,
            "webhook_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
async def worker(app: Any, settings: Settings) -> AsyncIterator[WebhookWorker]:
    delivery = WebhookWorker(app.state.clopos.sessions, settings, name="test-worker")
    yield delivery
    await delivery.aclose()


async def work_until(worker: WebhookWorker, done: Any, *, rounds: int = 400) -> None:
    """Run worker rounds until ``done()`` (retries are due a few ms apart)."""
    import asyncio

    for _ in range(rounds):
        if done():
            return
        if await worker.run_once() == 0:
            await asyncio.sleep(0.01)
    assert done(), "the worker did not get there"


def exact(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return json.loads(response.content, parse_float=Decimal)


async def add_webhook(
    client: httpx.AsyncClient, headers: dict[str, str], url: str, prefix: str = V2, **fields: Any
) -> dict[str, Any]:
    response = await client.post(f"{prefix}/webhooks", json={"url": url, **fields}, headers=headers)
    data: dict[str, Any] = exact(response)["data"]
    return data


async def add_customer(client: httpx.AsyncClient, v2: dict[str, str], phone: str) -> Any:
    response = await client.post(
        f"{V2}/customers", json={"name": "Webhook Tester", "phone": phone}, headers=v2
    )
    return exact(response)["data"]


async def last_event(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, Any]:
    body = exact(await client.get(f"{V2}/events", params={"limit": 200}, headers=v2))
    event: dict[str, Any] = body["data"][-1]
    return event


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the endpoints themselves -----------------------------------------------------------------


async def test_create_list_get_update_delete(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    prefix, headers = api
    created = await client.post(
        f"{prefix}/webhooks",
        json={"url": "https://example.com/hooks", "description": "orders to the kitchen"},
        headers=headers,
    )
    body = exact(created)
    assert body["message"] == "Webhook created"
    hook = body["data"]
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert (hook["url"], hook["types"], hook["enabled"]) == (
        "https://example.com/hooks",
        ["*"],
        True,
    )
    listed = exact(await client.get(f"{prefix}/webhooks", headers=headers))
    assert listed["total"] == 1
    assert listed["data"] == [{k: v for k, v in hook.items() if k != "secret"}]
    one = exact(await client.get(f"{prefix}/webhooks/{hook['id']}", headers=headers))["data"]
    assert "secret" not in one and one["id"] == hook["id"]

    patched = await client.patch(
        f"{prefix}/webhooks/{hook['id']}",
        json={"types": ["order.*", "receipt.closed"], "enabled": False, "description": None},
        headers=headers,
    )
    changed = exact(patched)["data"]
    assert (changed["types"], changed["enabled"], changed["description"]) == (
        ["order.*", "receipt.closed"],
        False,
        None,
    )
    assert changed["url"] == hook["url"]

    deleted = exact(await client.delete(f"{prefix}/webhooks/{hook['id']}", headers=headers))
    assert deleted["data"] == {"id": hook["id"], "deleted": True}
    gone = await client.get(f"{prefix}/webhooks/{hook['id']}", headers=headers)
    assert gone.status_code == 404
    assert exact(await client.get(f"{prefix}/webhooks", headers=headers))["data"] == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({}, "url", "The url field is required"),
        ({"url": "ftp://example.com/x"}, "url", "absolute http:// or https:// URL"),
        ({"url": "example.com/hooks"}, "url", "absolute http:// or https:// URL"),
        ({"url": "https://exa mple.com"}, "url", "spaces"),
        ({"url": "https://example.com", "types": ["order.made"]}, "types", "not an event type"),
        ({"url": "https://example.com", "types": []}, "types", "at least one event type"),
        ({"url": "https://example.com", "events": ["*"]}, "events", "Extra inputs"),
        ({"url": "https://example.com", "description": "x" * 501}, "description", "500"),
    ],
)
async def test_bad_bodies_are_400_naming_the_field(
    client: httpx.AsyncClient, v2: dict[str, str], body: dict[str, Any], field: str, words: str
) -> None:
    response = await client.post(f"{V2}/webhooks", json=body, headers=v2)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"] == "validation_failed"
    assert answer["details"]["field"] == field
    assert words in answer["message"]


async def test_bad_updates_are_400(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    hook = await add_webhook(client, v2, "https://example.com/hooks")
    url = f"{V2}/webhooks/{hook['id']}"
    empty = await client.patch(url, json={}, headers=v2)
    assert empty.status_code == 400 and "at least one of" in empty.json()["message"]
    null_url = await client.patch(url, json={"url": None}, headers=v2)
    assert null_url.status_code == 400 and null_url.json()["details"]["field"] == "url"
    bad_url = await client.patch(url, json={"url": "mailto:a@b.c"}, headers=v2)
    assert bad_url.status_code == 400 and bad_url.json()["details"]["field"] == "url"
    assert (await client.patch(f"{V2}/webhooks/999999", json={"enabled": True}, headers=v2)).json()[
        "error"
    ] == "resource_not_found"


async def test_webhooks_are_scoped_to_the_brand(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    hook = await add_webhook(client, v2, "https://example.com/mine")
    url = f"{V2}/webhooks/{hook['id']}"
    for response in (
        await client.get(url, headers=other_v2),
        await client.patch(url, json={"enabled": False}, headers=other_v2),
        await client.delete(url, headers=other_v2),
        await client.get(f"{url}/deliveries", headers=other_v2),
        await client.post(f"{url}/rotate-secret", headers=other_v2),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["message"] == "Webhook not found"
    assert exact(await client.get(f"{V2}/webhooks", headers=other_v2))["data"] == []
    # Their events never reach my endpoint.
    theirs = await add_customer(client, other_v2, "+994507770009")
    assert theirs["id"]
    log = exact(await client.get(f"{url}/deliveries", headers=v2))
    assert log["data"] == [] and log["total"] == 0


# --- deliveries ---------------------------------------------------------------------------------


async def test_delivery_log_and_redelivery(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        hook = await add_webhook(client, v2, f"{receiver.url}/hooks", types=["customer.created"])
        await add_customer(client, v2, "+994507770001")
        event = await last_event(client, v2)
        await work_until(worker, lambda: len(receiver.accepted()) == 1)

        (request,) = receiver.snapshot()
        assert request.path == "/hooks"
        assert verify_signature(request.body, request.headers, hook["secret"]) == json.loads(
            json.dumps(event), parse_float=Decimal
        )
        assert request.headers["Clopos-Event-Id"] == str(event["id"])
        assert request.headers["Clopos-Event-Type"] == "customer.created"
        assert request.headers["Clopos-Delivery-Attempt"] == "1"
        assert request.headers["Content-Type"] == "application/json"

        log_url = f"{V2}/webhooks/{hook['id']}/deliveries"
        log = exact(await client.get(log_url, headers=v2))
        (line,) = log["data"]
        assert log["total"] == 1
        assert (line["event_id"], line["event_type"], line["status"], line["attempts"]) == (
            event["id"],
            "customer.created",
            "delivered",
            1,
        )
        assert (line["last_status_code"], line["last_error"]) == (200, None)
        assert line["delivered_at"] and line["next_attempt_at"] is None
        assert request.headers["Clopos-Delivery-Id"] == str(line["id"])

        detail = exact(await client.get(f"{log_url}/{line['id']}", headers=v2))["data"]
        assert detail["event"] == event
        (attempt,) = detail["attempt_log"]
        assert (attempt["number"], attempt["status_code"], attempt["response_body"]) == (
            1,
            200,
            "ok",
        )
        assert attempt["worker"] == "test-worker"

        again = exact(await client.post(f"{log_url}/{line['id']}/redeliver", headers=v2))
        assert again["message"] == "Delivery queued"
        assert again["data"]["status"] == "pending"
        await work_until(worker, lambda: len(receiver.accepted()) == 2)
        second = receiver.snapshot()[1]
        assert second.event["id"] == event["id"]
        assert second.headers["Clopos-Delivery-Attempt"] == "2"
        detail = exact(await client.get(f"{log_url}/{line['id']}", headers=v2))["data"]
        assert (detail["status"], detail["attempts"]) == ("delivered", 2)
        assert [a["number"] for a in detail["attempt_log"]] == [1, 2]

        missing = await client.get(f"{log_url}/999999", headers=v2)
        assert missing.status_code == 404 and missing.json()["message"] == "Delivery not found"
        bad_status = await client.get(log_url, params={"status": "lost"}, headers=v2)
        assert bad_status.status_code == 400
        assert bad_status.json()["details"]["parameter"] == "status"


async def test_failures_are_retried_then_given_up_and_can_be_redelivered(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], settings: Settings
) -> None:
    short_window = settings.model_copy(update={"webhook_retry_window_seconds": 0.3})
    worker = WebhookWorker(app.state.clopos.sessions, short_window, name="impatient")
    try:
        with Receiver(failing=True, fail_status=500) as receiver:
            hook = await add_webhook(client, v2, f"{receiver.url}/down")
            await add_customer(client, v2, "+994507770002")
            log_url = f"{V2}/webhooks/{hook['id']}/deliveries"

            async def status() -> str:
                line = exact(await client.get(log_url, headers=v2))["data"][0]
                return str(line["status"])

            deadline = time.monotonic() + 20
            while await status() == "pending":
                assert time.monotonic() < deadline
                await worker.run_once()
            (line,) = exact(await client.get(log_url, params={"status": "failed"}, headers=v2))[
                "data"
            ]
            assert line["attempts"] >= 2
            assert (line["last_status_code"], line["last_error"]) == (500, "HTTP 500")
            detail = exact(await client.get(f"{log_url}/{line['id']}", headers=v2))["data"]
            assert {a["status_code"] for a in detail["attempt_log"]} == {500}
            assert len(detail["attempt_log"]) == line["attempts"]
            assert detail["attempt_log"][0]["response_body"] == "receiver outage"
            assert (
                exact(await client.get(log_url, params={"status": "delivered"}, headers=v2))["data"]
                == []
            )

            receiver.failing = False
            await client.post(f"{log_url}/{line['id']}/redeliver", headers=v2)
            await work_until(worker, lambda: len(receiver.accepted()) == 1)
            assert await status() == "delivered"
    finally:
        await worker.aclose()


async def test_an_unreachable_endpoint_is_logged(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    hook = await add_webhook(client, v2, f"http://127.0.0.1:{free_port()}/nobody")
    await add_customer(client, v2, "+994507770003")
    assert await worker.run_once() == 1
    (line,) = exact(await client.get(f"{V2}/webhooks/{hook['id']}/deliveries", headers=v2))["data"]
    assert line["status"] == "pending" and line["attempts"] == 1
    assert line["last_status_code"] is None
    assert line["last_error"].startswith("ConnectError")


async def test_types_select_events_and_disabled_endpoints_get_none(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        customers = await add_webhook(client, v2, f"{receiver.url}/c", types=["customer.*"])
        paused = await add_webhook(client, v2, f"{receiver.url}/p", enabled=False)
        await add_customer(client, v2, "+994507770004")
        await client.post(
            f"{V2}/webhooks/{customers['id']}/rotate-secret", headers=v2
        )  # a rotation does not disturb the queue
        await client.patch(
            f"{V2}/webhooks/{customers['id']}", json={"types": ["order.*"]}, headers=v2
        )
        await add_customer(client, v2, "+994507770005")
        await work_until(worker, lambda: len(receiver.accepted()) >= 1)
        assert await worker.run_once() == 0
        assert [r.path for r in receiver.accepted()] == ["/c"]
        assert receiver.accepted()[0].event["data"]["phone"] == "+994507770004"
        paused_log = exact(await client.get(f"{V2}/webhooks/{paused['id']}/deliveries", headers=v2))
        assert paused_log["data"] == []


async def test_rotated_secret_signs_from_then_on(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    with Receiver() as receiver:
        hook = await add_webhook(client, v2, f"{receiver.url}/r")
        rotated = exact(await client.post(f"{V2}/webhooks/{hook['id']}/rotate-secret", headers=v2))
        assert rotated["message"] == "Webhook secret rotated"
        new_secret = rotated["data"]["secret"]
        assert new_secret.startswith("whsec_") and new_secret != hook["secret"]
        await add_customer(client, v2, "+994507770006")
        await work_until(worker, lambda: len(receiver.accepted()) == 1)
        (request,) = receiver.accepted()
        assert verify_signature(request.body, request.headers, new_secret)["type"] == (
            "customer.created"
        )
        with pytest.raises(WebhookSignatureError):
            verify_signature(request.body, request.headers, hook["secret"])


async def test_redelivery_while_a_worker_sends_it_is_409(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    hook = await add_webhook(client, v2, "https://example.com/slow")
    await add_customer(client, v2, "+994507770007")
    (line,) = exact(await client.get(f"{V2}/webhooks/{hook['id']}/deliveries", headers=v2))["data"]
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == line["id"])
            .values(lease_until=utcnow() + timedelta(seconds=60), lease_token="someone-else")
        )
        await session.commit()
    response = await client.post(
        f"{V2}/webhooks/{hook['id']}/deliveries/{line['id']}/redeliver", headers=v2
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert "being sent right now" in response.json()["message"]


async def test_deleting_an_endpoint_removes_its_queue(
    client: httpx.AsyncClient, v2: dict[str, str], worker: WebhookWorker
) -> None:
    hook = await add_webhook(client, v2, "https://example.com/gone")
    await add_customer(client, v2, "+994507770008")
    deleted = await client.delete(f"{V2}/webhooks/{hook['id']}", headers=v2)
    assert deleted.status_code == 200
    assert await worker.run_once() == 0
    again = await client.get(f"{V2}/webhooks/{hook['id']}/deliveries", headers=v2)
    assert again.status_code == 404
