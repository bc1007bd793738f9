"""End to end: unified webhooks from a real ``clopos serve`` to a real HTTP receiver.

The demo consumer subscribes through ``/pos/admin/webhooks``; an app then lives one order
through ``/pos`` while the clerk plays the till through ``/sandbox``. After each step the
receiver (``tests/webhook_receiver.py``) must get the matching unified event in Apideck's
format with a valid ``x-apideck-signature``: create → ``pos.order.created``, accept →
``pos.order.updated``, pay → ``pos.payment.created`` (and the order's update), DELETE →
``pos.order.deleted`` — each once, in order, although the receiver's first answers are
503s (the in-process worker retries; backoff shortened by settings). An event queued while
the receiver is down survives a restart of the server and is delivered once after it. On
SQLite and PostgreSQL. Every wait is bounded and the server is stopped at the end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from clopos.unified.webhook_events import verify
from webhook_receiver import Receiver

from .test_concurrency import ConfiguredServer

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "unified-hooks-e2e"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
DEMO = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
IDENTITY = {"merchant_id": "openapitest", "location_id": "1"}
ENV = {
    "CLOPOS_ADMIN_TOKEN": ADMIN_TOKEN,
    "CLOPOS_WEBHOOK_RETRY_FIRST_SECONDS": "0.05",
    "CLOPOS_WEBHOOK_RETRY_MAX_SECONDS": "0.2",
    "CLOPOS_WEBHOOK_POLL_SECONDS": "0.05",
    "CLOPOS_RATE_LIMIT_TENANT_PER_MINUTE": "100000",
}
OUTAGE_ATTEMPTS = 2


@pytest.fixture
def server(tmp_path: Path, empty_database_url: str) -> Iterator[ConfiguredServer]:
    process = ConfiguredServer(empty_database_url, tmp_path, env=ENV)
    process.start()
    try:
        yield process
    finally:
        process.kill()


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def test_an_order_life_reaches_the_consumer_in_apideck_format(server: ConfiguredServer) -> None:
    with (
        Receiver(fail_first=OUTAGE_ATTEMPTS, fail_status=503) as receiver,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        hook = ok(
            http.post(
                "/pos/admin/webhooks",
                json={
                    "app_id": "demo-app",
                    "consumer_id": "demo-consumer",
                    "url": f"{receiver.url}/apideck",
                },
                headers=ADMIN,
            ),
            201,
        )
        secret = hook["secret"]

        def received(count: int) -> list[dict[str, Any]]:
            """Wait until ``count`` events were accepted; their payloads, checked."""
            receiver.wait_for(lambda r: len(r.accepted()) >= count, timeout=30)
            payloads = []
            for request in receiver.accepted():
                signature = request.headers["x-apideck-signature"]
                body = verify(secret, request.body, signature)["payload"]
                assert request.headers["x-apideck-event-type"] == body["event_type"]
                assert request.headers["x-apideck-idempotency-key"] == body["event_id"]
                payloads.append(body)
            return payloads

        order_body = {
            **IDENTITY,
            "customer_id": "1",
            "line_items": [{"name": "Margherita", "quantity": 2, "item": {}}],
        }
        order_id = ok(http.post("/pos/orders", json=order_body, headers=DEMO), 201)["id"]
        (created,) = received(1)
        assert (created["event_type"], created["entity_id"]) == ("pos.order.created", order_id)
        assert created["entity_url"] == f"{server.base_url}/pos/orders/{order_id}"
        assert (created["consumer_id"], created["unified_api"], created["service_id"]) == (
            "demo-consumer",
            "pos",
            "clopos",
        )
        # What the event points at is the order the app made.
        assert ok(http.get(created["entity_url"], headers=DEMO))["id"] == order_id

        accepted = http.post(f"/sandbox/brands/openapitest/orders/{order_id}/accept", headers=ADMIN)
        assert accepted.status_code == 200, accepted.text
        receipt_id = accepted.json()["data"]["receipt"]["id"]
        updated = received(2)[1]
        assert (updated["event_type"], updated["entity_id"]) == ("pos.order.updated", order_id)

        pay = {**IDENTITY, "tenders": [{"type": "cash", "amount": 1700}]}
        ok(http.post(f"/pos/orders/{order_id}/pay", json=pay, headers=DEMO), 201)
        payment, completed = received(4)[2:4]
        assert (payment["event_type"], payment["entity_id"]) == (
            "pos.payment.created",
            f"{receipt_id}-0",
        )
        assert payment["entity_url"] == f"{server.base_url}/pos/payments/{receipt_id}-0"
        assert ok(http.get(payment["entity_url"], headers=DEMO))["order_id"] == order_id
        assert (completed["event_type"], completed["entity_id"]) == (
            "pos.order.updated",
            order_id,
        )

        ok(http.delete(f"/pos/orders/{order_id}", headers=DEMO))
        deleted = received(5)[4]
        assert (deleted["event_type"], deleted["entity_id"]) == ("pos.order.deleted", order_id)

        time.sleep(0.5)  # ten more poll intervals: nothing is sent twice, nothing else
        everything = received(5)
        assert [(p["event_type"], p["entity_id"]) for p in everything] == [
            ("pos.order.created", order_id),
            ("pos.order.updated", order_id),
            ("pos.payment.created", f"{receipt_id}-0"),
            ("pos.order.updated", order_id),
            ("pos.order.deleted", order_id),
        ]
        assert len({p["event_id"] for p in everything}) == 5
        # The outage: the first event was retried, with the same event id, before anything newer.
        requests = receiver.snapshot()
        outage = requests[: OUTAGE_ATTEMPTS + 1]
        assert [r.status for r in outage] == [503] * OUTAGE_ATTEMPTS + [200]
        assert {r.event["payload"]["event_id"] for r in outage} == {created["event_id"]}
        assert [r.event["payload"]["execution_attempt"] for r in outage] == [1, 2, 3]
        assert len(requests) == 5 + OUTAGE_ATTEMPTS

        log = http.get(f"/pos/admin/webhooks/{hook['id']}/deliveries", headers=ADMIN)
        lines = ok(log)
        assert [line["status"] for line in lines] == ["delivered"] * 5
        assert lines[-1]["attempts"] == OUTAGE_ATTEMPTS + 1
    server.stop()  # the in-process worker stops with the server, cleanly


def test_queued_events_survive_a_restart(server: ConfiguredServer) -> None:
    with (
        Receiver(failing=True, fail_status=500) as receiver,
        httpx.Client(base_url=server.base_url, timeout=30) as http,
    ):
        hook = ok(
            http.post(
                "/pos/admin/webhooks",
                json={
                    "app_id": "demo-app",
                    "consumer_id": "demo-consumer",
                    "url": f"{receiver.url}/down",
                    "event_types": ["pos.order.created"],
                },
                headers=ADMIN,
            ),
            201,
        )
        body = {
            **IDENTITY,
            "customer_id": "1",
            "line_items": [{"name": "Margherita", "quantity": 1, "item": {}}],
        }
        order_id = ok(http.post("/pos/orders", json=body, headers=DEMO), 201)["id"]
        receiver.wait_for(lambda r: len(r.snapshot()) >= 2, timeout=30)  # retried, refused
        server.stop()

        receiver.failing = False
        server.start()
        receiver.wait_for(lambda r: len(r.accepted()) == 1, timeout=30)
        time.sleep(0.5)
        (delivered,) = receiver.accepted()
        payload = verify(hook["secret"], delivered.body, delivered.headers["x-apideck-signature"])[
            "payload"
        ]
        assert (payload["event_type"], payload["entity_id"]) == ("pos.order.created", order_id)
        assert payload["execution_attempt"] == len(receiver.snapshot())
        (line,) = ok(http.get(f"/pos/admin/webhooks/{hook['id']}/deliveries", headers=ADMIN))
        assert (line["status"], line["attempts"]) == ("delivered", len(receiver.snapshot()))
    server.stop()
