"""End to end: SIGKILL the server in the middle of a write load, restart, lose nothing.

A real ``clopos serve`` (one worker) takes a steady stream of creates — v2 orders and v1
receipts, each with its own ``Idempotency-Key`` (and, for receipts, its own ``cid``) — from
several concurrent clients, and is killed with SIGKILL at random moments three times, then
restarted on the same database. A client whose connection breaks retries the *same* request
(same body, same key), as an integrator following spec §5.4/§6 would.

At the end, behind the API's back:

* every create answered 2xx exists exactly once, with the id the answer gave;
* nothing exists that no answer promised: a key still answered 409
  ``idempotency_key_in_progress`` after a kill (its holder died before committing) has no
  row, and no row exists for a request that was never answered 2xx;
* no receipt cid appears twice.

The demo seed's own sales are left out of the count.

The run is bounded (about ten seconds of load, every request with a timeout) and stops by
itself. SQLite always; PostgreSQL when reachable.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clopos.server.store.models import Order, Receipt

from .test_concurrency import (
    ConfiguredServer,
    Database,
    Session,
    error_code,
    no_rate_limits,
    open_session,
    v1_receipt_body,
    v2_order_body,
)

pytestmark = pytest.mark.e2e

KILLS = 3
CLIENTS_PER_KIND = 3
REQUEST_TIMEOUT_SECONDS = 10.0
# How long one create may keep retrying through kills and restarts before we give up on it.
ANSWER_BUDGET_SECONDS = 60.0
# A connection refused while the server restarts: try again shortly.
RETRY_PAUSE_SECONDS = 0.05
TRANSPORT_ERRORS = (httpx.TransportError,)


@dataclass
class Ledger:
    """What the clients were told."""

    orders: dict[str, int] = field(default_factory=dict)  # key → order id answered 2xx
    receipts: dict[str, int] = field(default_factory=dict)  # cid → receipt id answered 2xx
    abandoned_orders: set[str] = field(default_factory=set)  # keys still "in progress"
    abandoned_receipts: set[str] = field(default_factory=set)  # cids of such keys
    retries: int = 0
    unexpected: list[str] = field(default_factory=list)


async def send_until_answered(
    http: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    ledger: Ledger,
) -> httpx.Response | None:
    """POST and, while the connection breaks (server killed or restarting), send the very
    same request again. ``None`` when no answer came within the budget."""
    deadline = asyncio.get_running_loop().time() + ANSWER_BUDGET_SECONDS
    while True:
        try:
            return await http.post(path, json=body, headers=headers)
        except TRANSPORT_ERRORS:
            ledger.retries += 1
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(RETRY_PAUSE_SECONDS)


async def order_client(
    http: httpx.AsyncClient, s: Session, ledger: Ledger, stop: asyncio.Event
) -> None:
    """Create v2 orders, one key each, until told to stop."""
    while not stop.is_set():
        key = f"crash-order-{uuid.uuid4()}"
        headers = {**s.v2, "Idempotency-Key": key}
        response = await send_until_answered(
            http, "/open-api/v2/orders", v2_order_body(s, comment=key), headers, ledger
        )
        if response is None:
            ledger.unexpected.append(f"order {key}: never answered")
        elif response.is_success:
            ledger.orders[key] = response.json()["data"]["id"]
        elif response.status_code == 409 and error_code(response) == "idempotency_key_in_progress":
            ledger.abandoned_orders.add(key)
        else:
            ledger.unexpected.append(f"order {key}: {response.status_code} {response.text}")


async def receipt_client(
    http: httpx.AsyncClient, s: Session, ledger: Ledger, stop: asyncio.Event
) -> None:
    """Create v1 receipts, one cid and one key each, until told to stop."""
    while not stop.is_set():
        cid = str(uuid.uuid4())
        headers = {**s.v1, "Idempotency-Key": f"crash-receipt-{cid}"}
        response = await send_until_answered(
            http, "/open-api/receipts", v1_receipt_body(s, cid), headers, ledger
        )
        if response is None:
            ledger.unexpected.append(f"receipt {cid}: never answered")
        elif response.is_success:
            ledger.receipts[cid] = response.json()["data"]["id"]
        elif response.status_code == 409 and error_code(response) == "idempotency_key_in_progress":
            ledger.abandoned_receipts.add(cid)
        else:
            ledger.unexpected.append(f"receipt {cid}: {response.status_code} {response.text}")


async def existing_rows(database_url: str) -> tuple[set[int], set[int]]:
    """Ids of the orders and receipts already in the database."""
    db = Database(database_url)
    try:
        orders = {row.id for row in await db.all(select(Order.id))}
        receipts = {row.id for row in await db.all(select(Receipt.id))}
    finally:
        await db.close()
    return orders, receipts


async def test_sigkill_mid_load_loses_no_answered_write(
    empty_database_url: str, tmp_path: Path
) -> None:
    log_dir = tmp_path / "server"
    log_dir.mkdir()
    server = ConfiguredServer(empty_database_url, log_dir, env=no_rate_limits())
    rng = random.Random()
    try:
        await asyncio.to_thread(server.start)
        # The demo seed has sales of its own: only rows made by the load are judged.
        seeded_orders, seeded_receipts = await existing_rows(empty_database_url)
        async with httpx.AsyncClient(
            base_url=server.base_url, timeout=REQUEST_TIMEOUT_SECONDS
        ) as http:
            s = await open_session(http)
            ledger = Ledger()
            stop = asyncio.Event()
            clients = [
                asyncio.create_task(order_client(http, s, ledger, stop))
                for _ in range(CLIENTS_PER_KIND)
            ] + [
                asyncio.create_task(receipt_client(http, s, ledger, stop))
                for _ in range(CLIENTS_PER_KIND)
            ]
            try:
                for _ in range(KILLS):
                    await asyncio.sleep(rng.uniform(0.7, 2.0))
                    server.kill()  # SIGKILL: no shutdown, no flush, mid-request
                    await asyncio.sleep(rng.uniform(0.0, 0.3))
                    await asyncio.to_thread(server.start)
                await asyncio.sleep(1.0)
            finally:
                stop.set()
                await asyncio.wait_for(asyncio.gather(*clients), ANSWER_BUDGET_SECONDS + 30)
        server.stop()
    finally:
        server.kill()

    # The kills really cut the load: some requests found the server gone and were retried.
    assert ledger.retries > 0
    assert not ledger.unexpected, "\n".join(ledger.unexpected[:5])
    assert ledger.orders and ledger.receipts, "the load never got an answer"

    db = Database(empty_database_url)
    try:
        orders = await db.all(select(Order.id, Order.payload))
        receipts = await db.all(select(Receipt.id, Receipt.cid))
        duplicate_cids = await db.all(
            select(Receipt.cid).group_by(Receipt.cid).having(func.count() > 1)
        )
    finally:
        await db.close()

    # Orders carry their key in the comment (payload.meta.comment, spec §11.4 mapping).
    by_key: dict[str, list[int]] = {}
    for order_id, payload in orders:
        if order_id in seeded_orders:
            continue
        by_key.setdefault(str(payload["meta"]["comment"]), []).append(order_id)
    for key, order_id in ledger.orders.items():
        assert by_key.get(key) == [order_id], (
            f"order {key}: answered {order_id}, stored {by_key.get(key)}"
        )
    for key in ledger.abandoned_orders:
        assert key not in by_key, f"order {key} was refused as in progress but exists"
    assert set(by_key) <= set(ledger.orders), "orders no answer promised"

    by_cid: dict[str, list[int]] = {}
    for receipt_id, cid in receipts:
        if receipt_id in seeded_receipts:
            continue
        by_cid.setdefault(cid, []).append(receipt_id)
    for cid, receipt_id in ledger.receipts.items():
        assert by_cid.get(cid) == [receipt_id], (
            f"receipt {cid}: answered {receipt_id}, stored {by_cid.get(cid)}"
        )
    for cid in ledger.abandoned_receipts:
        assert cid not in by_cid, f"receipt {cid} was refused as in progress but exists"
    assert set(by_cid) <= set(ledger.receipts), "receipts no answer promised"
    assert duplicate_cids == []
