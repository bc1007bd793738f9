"""End to end: webhooks from a real ``clopos serve`` and real ``clopos worker`` processes to
a real HTTP receiver on 127.0.0.1 (``tests/webhook_receiver.py``).

* A receiver that is down for its first N requests still gets every event exactly once,
  in order: the worker inside ``clopos serve`` retries the first event (backoff shortened
  by settings) and sends nothing newer until it went through.
* Two ``clopos worker`` processes drain 1 000 events from one database — PostgreSQL
  (``FOR UPDATE SKIP LOCKED``) and SQLite (the writer lock) — and no event is ever in
  flight twice at once; each is delivered once, in order per endpoint, and both workers
  take part.

Everything is bounded: every wait has a timeout and every process is stopped at the end.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clopos.client.webhooks import verify_signature
from clopos.server.events import subscriptions as store
from clopos.server.events.outbox import record_event
from clopos.server.events.secrets import load_secret_box
from clopos.server.events.tables import DELIVERED, WebhookAttempt, WebhookDelivery
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.migrate import upgrade
from clopos.server.store.repositories import tenancy
from clopos.settings import Settings
from webhook_receiver import Receiver

from .conftest import CLOPOS, server_env
from .test_concurrency import ConfiguredServer

pytestmark = pytest.mark.e2e

V2 = "/open-api/v2"
TILL_TOKEN = "till-e2e-token"
TILL = {"Authorization": f"Bearer {TILL_TOKEN}"}
OUTAGE_ATTEMPTS = 5
FAST_RETRIES = {
    "CLOPOS_WEBHOOK_RETRY_FIRST_SECONDS": "0.05",
    "CLOPOS_WEBHOOK_RETRY_MAX_SECONDS": "0.2",
    "CLOPOS_WEBHOOK_POLL_SECONDS": "0.05",
}


@pytest.fixture
def configured(tmp_path: Path) -> Iterator[Callable[..., ConfiguredServer]]:
    started: list[ConfiguredServer] = []

    def launch(database_url: str, env: dict[str, str]) -> ConfiguredServer:
        log_dir = tmp_path / f"server-{len(started)}"
        log_dir.mkdir()
        server = ConfiguredServer(database_url, log_dir, env=env)
        started.append(server)
        server.start()
        return server

    yield launch
    for server in started:
        server.kill()


def v2_headers(base_url: str) -> dict[str, str]:
    response = httpx.post(
        f"{base_url}{V2}/auth",
        json={
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "brand": "openapitest",
            "integrator_id": "demo-integrator",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"x-token": response.json()["token"]}


def order_body(product_id: int, sale_type_id: int, n: int) -> dict[str, Any]:
    return {
        "sale_type_id": sale_type_id,
        "venue_id": 1,
        "customer": {"id": 0, "name": f"Guest {n}", "phone": "+994500000000"},
        "products": [{"product_id": product_id, "count": 1}],
    }


def all_events(http: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    after = 0
    while True:
        body = http.get(f"{V2}/events", params={"after": after, "limit": 200}, headers=headers)
        assert body.status_code == 200, body.text
        page = body.json()
        events.extend(page["data"])
        after = page["next_after"]
        if not page["has_more"]:
            return events


def test_outage_then_every_event_exactly_once_in_order(
    configured: Callable[..., ConfiguredServer], empty_database_url: str
) -> None:
    env = {**FAST_RETRIES, "CLOPOS_ADMIN_TOKEN": TILL_TOKEN}
    server = configured(empty_database_url, env)
    with (
        Receiver(fail_first=OUTAGE_ATTEMPTS, fail_status=503) as receiver,
        httpx.Client(base_url=server.base_url, timeout=10) as http,
    ):
        headers = v2_headers(server.base_url)
        created = http.post(
            f"{V2}/webhooks", json={"url": f"{receiver.url}/clopos"}, headers=headers
        )
        assert created.status_code == 200, created.text
        hook = created.json()["data"]

        products = http.get(f"{V2}/products", params={"limit": 100}, headers=headers).json()
        sale_types = http.get(f"{V2}/sale-types", headers=headers).json()
        product_id = {p["name"]: p["id"] for p in products["data"]}["Margherita"]
        sale_type_id = {s["name"]: s["id"] for s in sale_types["data"]}["Delivery"]
        order_ids = []
        for n in range(4):
            made = http.post(
                f"{V2}/orders", json=order_body(product_id, sale_type_id, n), headers=headers
            )
            assert made.status_code == 200, made.text
            order_ids.append(made.json()["data"]["id"])
        accepted = http.post(
            f"/sandbox/brands/openapitest/orders/{order_ids[0]}/accept", headers=TILL
        )
        assert accepted.status_code == 200, accepted.text
        ignored = http.put(
            f"{V2}/orders/{order_ids[1]}", json={"status": "IGNORE"}, headers=headers
        )
        assert ignored.status_code == 200, ignored.text
        customer = http.post(
            f"{V2}/customers", json={"name": "Ada", "phone": "+994507770100"}, headers=headers
        )
        assert customer.status_code == 200, customer.text

        events = all_events(http, headers)
        assert len(events) == 8  # 4 created, accepted + receipt, ignored, customer
        receiver.wait_for(lambda r: len(r.accepted()) >= len(events), timeout=60)
        # A few more poll intervals: nothing is sent twice.
        time.sleep(0.5)

        requests = receiver.snapshot()
        got = [r.event["id"] for r in requests if r.accepted]
        assert got == [e["id"] for e in events]  # every event, once, in order
        # The outage: the first event was retried and nothing newer went out meanwhile.
        outage = requests[: OUTAGE_ATTEMPTS + 1]
        assert [r.status for r in outage] == [503] * OUTAGE_ATTEMPTS + [200]
        assert {r.event["id"] for r in outage} == {events[0]["id"]}
        assert [r.headers["Clopos-Delivery-Attempt"] for r in outage] == [
            str(n) for n in range(1, OUTAGE_ATTEMPTS + 2)
        ]
        for request in requests:
            event = verify_signature(request.body, request.headers, hook["secret"])
            assert request.headers["Clopos-Event-Type"] == event["type"]
        # The body is the event as the feed shows it.
        assert [r.event for r in requests if r.accepted] == events

        log = http.get(f"{V2}/webhooks/{hook['id']}/deliveries", headers=headers).json()
        assert {line["status"] for line in log["data"]} == {"delivered"}
        first = next(line for line in log["data"] if line["event_id"] == events[0]["id"])
        assert first["attempts"] == OUTAGE_ATTEMPTS + 1
    server.stop()  # the in-process worker stops with the server, cleanly


async def _prepare(url: str, events_per_endpoint: int, receiver_url: str) -> list[int]:
    """Four endpoints, each subscribed to one event type, and their events."""
    kinds = ["order.created", "receipt.created", "customer.created", "stop_list.changed"]
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            brand = await tenancy.brand_by_slug(session, "openapitest")
            assert brand is not None
            box = await load_secret_box(session, Settings(database_url=url))
            for index, kind in enumerate(kinds):
                await store.create_endpoint(
                    session, box, brand_id=brand.id, url=f"{receiver_url}/e{index}", types=[kind]
                )
            await session.commit()
        for batch in range(events_per_endpoint // 25):
            async with sessions() as session:
                for n in range(25):
                    for kind in kinds:
                        number = batch * 25 + n
                        await record_event(
                            session,
                            brand_id=brand.id,
                            venue_id=1,
                            type=kind,
                            resource={"id": number, "kind": kind},
                        )
                await session.commit()
        async with sessions() as session:
            ids = list(await session.scalars(select(WebhookDelivery.event_id)))
        return sorted(ids)
    finally:
        await engine.dispose()


async def _attempts_by_worker(url: str) -> tuple[dict[str, int], list[tuple[str, int]]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            by_worker = dict(
                (
                    await session.execute(
                        select(WebhookAttempt.worker, func.count()).group_by(WebhookAttempt.worker)
                    )
                ).all()
            )
            states = list(
                (
                    await session.execute(select(WebhookDelivery.status, WebhookDelivery.attempts))
                ).all()
            )
        return by_worker, [(s, a) for s, a in states]
    finally:
        await engine.dispose()


def test_two_workers_deliver_1000_events_never_twice_at_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    url = empty_database_url
    upgrade(url)
    env = {**server_env(url), "CLOPOS_WEBHOOK_BATCH_SIZE": "2", **FAST_RETRIES}
    seeded = subprocess.run(
        [str(CLOPOS), "demo", "seed"], env=env, capture_output=True, timeout=120, check=False
    )
    assert seeded.returncode == 0, seeded.stderr.decode()
    with Receiver(delay=0.002) as receiver:
        event_ids = asyncio.run(_prepare(url, 250, receiver.url))
        assert len(event_ids) == 1000

        workers = []
        for n in range(2):
            log = (tmp_path / f"worker-{n}.log").open("wb")
            workers.append(
                (
                    subprocess.Popen(
                        [str(CLOPOS), "worker"],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                    ),
                    log,
                )
            )
        try:
            receiver.wait_for(lambda r: len(r.accepted()) >= 1000, timeout=240)
            time.sleep(0.3)  # anything sent twice would arrive meanwhile
        finally:
            for process, log in workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process, log in workers:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
                log.close()

    outputs = [(tmp_path / f"worker-{n}.log").read_text() for n in range(2)]
    for (process, _log), output in zip(workers, outputs, strict=True):
        assert process.returncode == 0, output
        assert "Traceback" not in output, output

    assert receiver.overlaps == []  # no event was ever in flight twice at once
    requests = receiver.snapshot()
    delivered = [r.event["id"] for r in requests]
    assert sorted(delivered) == event_ids  # each event exactly once
    for index in range(4):
        per_endpoint = [r.event["id"] for r in requests if r.path == f"/e{index}"]
        assert len(per_endpoint) == 250
        assert per_endpoint == sorted(per_endpoint)  # in order per endpoint

    by_worker, states = asyncio.run(_attempts_by_worker(url))
    assert len(by_worker) == 2 and all(count > 0 for count in by_worker.values()), by_worker
    assert sum(by_worker.values()) == 1000
    assert set(states) == {(DELIVERED, 1)}
