"""What the SDK costs over raw httpx, and what bounded-concurrency paging gains.

Run: ``.venv/bin/python bench/client_overhead.py``. Starts ``clopos serve --seed-demo`` on a
free port with a temporary SQLite database (rate limiting off), then prints:

1. 1000 sequential ``get_order_by_id`` through ``CloposClient`` (which decodes the answer
   and validates it into ``ItemResponse[Order]``) vs the same GETs through one raw
   ``httpx.Client`` with the very headers the SDK sent, decoding the JSON
   (``response.json()``) (ratio; target <= 1.10); then the SDK's own parsing cost per call
   (decode with exact Decimals + model validation) measured on the same body;
2. every receipt through ``AsyncCloposClient.fetch_all`` (concurrent pages) vs an async
   page-by-page loop (ratio).

It prints figures and asserts nothing; the server is stopped at the end.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from _server import start_server

from clopos.client import AsyncCloposClient, CloposClient, _parsing
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR

CALLS = 1000
WARMUP = 50
BLOCK = 100
RECEIPTS = 200
PAGE_SIZE = 10
CONCURRENCY = 4
ROUNDS = 5
CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}


def seed_receipts(base_url: str) -> None:
    """``RECEIPTS`` closed receipts (v1 ``create_receipt``) so receipts span many pages."""
    with CloposClient(base_url=base_url, api_version="v1", venue_id=1, **CREDS) as v1:
        products = {p.name: p.id for p in v1.get_products(limit=100).data}
        methods = {m.name: m.id for m in v1.get_payment_methods(limit=100).data}
        price = Decimal("8.50")
        for _ in range(RECEIPTS):
            v1.create_receipt(
                cid=str(uuid.uuid4()),
                payment_methods=[{"id": methods["Cash"], "name": "Cash", "amount": price}],
                user_id=2,
                sale_type_id=1,
                status=2,
                by_cash=price,
                subtotal=price,
                total=price,
                receipt_products=[
                    {"product_id": products["Margherita"], "count": 1, "price": price}
                ],
            )


def bench_get_order(base_url: str) -> None:
    """1000 ``get_order_by_id`` via the SDK vs raw httpx with the same headers."""
    sent: list[httpx.Headers] = []
    recorder = httpx.Client(event_hooks={"request": [lambda r: sent.append(r.headers)]})
    with CloposClient(base_url=base_url, http_client=recorder, **CREDS) as client:
        dishes = client.get_products(filters={"type": ["DISH"]}, limit=1).data
        order = client.create_order(
            sale_type_id=2,
            venue_id=1,
            customer={"id": 0, "name": "Bench"},
            products=[{"product_id": dishes[0].id, "count": 1}],
        ).data
        order_id = order.id
        client.get_order_by_id(order_id)
    recorder.close()
    headers = {k: v for k, v in sent[-1].items() if k.lower() not in ("host", "content-length")}
    url = f"{base_url}/open-api/v2/orders/{order_id}"

    # Alternate blocks of the two, so server warm-up and machine drift hit both alike.
    sdk = plain = 0.0
    with CloposClient(base_url=base_url, **CREDS) as client, httpx.Client() as raw:
        for _ in range(WARMUP):
            client.get_order_by_id(order_id)
            raw.get(url, headers=headers).raise_for_status()
        for _ in range(CALLS // BLOCK):
            started = time.perf_counter()
            for _ in range(BLOCK):
                client.get_order_by_id(order_id)
            sdk += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(BLOCK):
                response = raw.get(url, headers=headers)
                response.raise_for_status()
                response.json()
            plain += time.perf_counter() - started

    print(f"{CALLS} x get_order_by_id   SDK {sdk:7.3f} s   raw httpx {plain:7.3f} s", end="")
    print(f"   ratio {sdk / plain:.3f} (target <= 1.10)")
    bench_parsing(body(url, headers))


def body(url: str, headers: dict[str, str]) -> bytes:
    """One answer's bytes, for the parsing measurement."""
    with httpx.Client() as raw:
        response = raw.get(url, headers=headers)
        response.raise_for_status()
        return response.content


def bench_parsing(raw_body: bytes) -> None:
    """The SDK's per-call parsing (exact-Decimal decode + ``ItemResponse[Order]``) vs a plain
    ``json.loads``, on the same body, in-process: what typing costs without the network."""
    rounds = 2000
    started = time.perf_counter()
    for _ in range(rounds):
        json.loads(raw_body)
    plain = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        _parsing.parse_response(_parsing.ORDER, _parsing.decode(raw_body))
    typed = (time.perf_counter() - started) / rounds
    print(
        f"parsing one order ({len(raw_body)} bytes)   json.loads {plain * 1e6:6.1f} us"
        f"   decode + ItemResponse[Order] {typed * 1e6:6.1f} us"
    )


async def bench_receipts(base_url: str) -> None:
    """All receipts: ``fetch_all`` (bounded concurrency) vs a page-by-page async loop."""
    async with AsyncCloposClient(base_url=base_url, **CREDS) as client:
        total = (await client.get_receipts(limit=1)).total or 0
        concurrent = sequential = 0.0
        for _ in range(ROUNDS):
            started = time.perf_counter()
            fetched = await client.fetch_all(
                "get_receipts", limit=PAGE_SIZE, concurrency=CONCURRENCY
            )
            concurrent += time.perf_counter() - started
            started = time.perf_counter()
            looped = [r async for r in client.iter_receipts(limit=PAGE_SIZE)]
            sequential += time.perf_counter() - started
            if [r.id for r in fetched] != [r.id for r in looped]:
                print("WARNING: fetch_all and the page loop returned different receipts")
    pages = -(-total // PAGE_SIZE)
    print(
        f"{total} receipts in {pages} pages of {PAGE_SIZE}, mean of {ROUNDS} rounds:"
        f"   fetch_all(concurrency={CONCURRENCY}) {concurrent / ROUNDS:.3f} s"
        f"   page loop {sequential / ROUNDS:.3f} s"
        f"   ratio {concurrent / sequential:.3f}"
    )


def main() -> None:
    """Start the server, run both benchmarks, stop the server."""
    with tempfile.TemporaryDirectory() as tmp:
        process, base_url = start_server(Path(tmp))
        try:
            seed_receipts(base_url)
            bench_get_order(base_url)
            asyncio.run(bench_receipts(base_url))
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
