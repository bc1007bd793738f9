"""What the unified layer costs over the Clopos calls behind it.

Run: ``.venv/bin/python bench/unified_overhead.py [N]`` (or ``make bench``). Starts
``clopos serve --seed-demo`` on a free port with a temporary SQLite database (rate limits
off), creates two orders — one left PENDING, one accepted at the till (so it has a receipt)
— and compares, for each,

* **unified**: ``GET /pos/orders/{id}`` as the demo consumer (``demo-unified-key`` /
  ``demo-app`` / ``demo-consumer``, whose connection is this same server), through one
  keep-alive ``httpx.Client``, the answer decoded with ``response.json()``;
* **direct**: the SDK calls that route makes, made by an app itself through
  ``CloposClient`` configured exactly like the demo connection (same credentials, default
  venue 1, so the same ``x-venue`` header): ``get_order_by_id(id, with_receipt=True)`` and,
  for the accepted order, ``get_receipt_by_id(receipt, with_=RECEIPT_RELATIONS)`` too —
  Clopos returns only the receipt's id and status with an order (``with[0]=receipt:id,
  service_notification_id,status`` is its one relation), and a unified Order needs the
  receipt's lines and payments, so a direct app needs both calls for the same answer.
  For reference the accepted order's row also shows the order call alone.

Method: a warm-up of both sides, then N calls per side (default 400) in rounds of 10,
alternating which side goes first (A B B A …), so that load from other processes on the
machine falls on both sides alike. Each call is timed on its own; the report gives the
median and the 90th percentile per side and the ratio of the medians (target <= 1.3).

A third row repeats the PENDING order for a consumer that has deleted an order through the
unified API (so the per-id tombstone lookup runs, alongside the Clopos call).

It prints figures only (no assertions); the server is stopped at the end.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _server import start_server

from clopos.client import CloposClient
from clopos.server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_INTEGRATOR,
    DEMO_UNIFIED_API_KEY,
    DEMO_UNIFIED_APP_ID,
    DEMO_UNIFIED_CONSUMER_ID,
)
from clopos.unified.upstream import RECEIPT_RELATIONS

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 400
WARMUP = 50
ROUND = 10
TARGET = 1.3
ADMIN_TOKEN = "bench-admin"
DEMO_VENUE = 1  # the demo connection's default venue (x-venue on every call it makes)
CREDS: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
UNIFIED_HEADERS = {
    "Authorization": f"Bearer {DEMO_UNIFIED_API_KEY}",
    "x-apideck-app-id": DEMO_UNIFIED_APP_ID,
    "x-apideck-consumer-id": DEMO_UNIFIED_CONSUMER_ID,
}

Call = Callable[[], object]


def _data(answer: Any) -> Any:
    return answer["data"] if isinstance(answer, dict) else answer.data


def _field(record: Any, name: str) -> Any:
    return record[name] if isinstance(record, dict) else getattr(record, name)


def make_orders(client: CloposClient, base_url: str, count: int = 2) -> list[int]:
    """``count`` PENDING orders; the second is then accepted at the till (it gets an open
    receipt)."""
    dish = _data(client.get_products(filters={"type": ["DISH"]}, limit=1))[0]
    ids = []
    for number in range(count):
        order = _data(
            client.create_order(
                sale_type_id=2,
                venue_id=DEMO_VENUE,
                customer={"id": 0, "name": f"Bench guest {number}"},
                products=[{"product_id": _field(dish, "id"), "count": 2}],
            )
        )
        ids.append(int(_field(order, "id")))
    accepted = httpx.post(
        f"{base_url}/sandbox/brands/{DEMO_BRAND}/orders/{ids[1]}/accept",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    accepted.raise_for_status()
    return ids


def direct_calls(client: CloposClient, order_id: int) -> tuple[Call, Call]:
    """The SDK calls behind ``GET /pos/orders/{order_id}`` (order, then its receipt with
    lines when it has one), and the order call alone."""
    order = _data(client.get_order_by_id(order_id, with_receipt=True))
    receipt = _field(order, "receipt")
    receipt_id = None if receipt is None else int(_field(receipt, "id"))
    venue = {"x-venue": str(_field(order, "venue_id"))}

    def order_call() -> object:
        return client.get_order_by_id(order_id, with_receipt=True)

    def both() -> object:
        found = client.get_order_by_id(order_id, with_receipt=True)
        if receipt_id is not None:
            client.get_receipt_by_id(receipt_id, with_=list(RECEIPT_RELATIONS), headers=venue)
        return found

    return both, order_call


def unified_call(http: httpx.Client, base_url: str, order_id: int) -> Call:
    """``GET /pos/orders/{order_id}`` as the demo consumer, answer decoded."""
    url = f"{base_url}/pos/orders/{order_id}"

    def call() -> object:
        response = http.get(url, headers=UNIFIED_HEADERS)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}: {response.text}")
        return response.json()

    return call


def measure(sides: list[Call]) -> list[list[float]]:
    """Seconds per call of each side: a warm-up, then ``CALLS`` timed calls each, in
    rounds of ``ROUND`` whose order rotates (A B, then B A, …)."""
    for call in sides:
        for _ in range(WARMUP):
            call()
    timings: list[list[float]] = [[] for _ in sides]
    turn = 0
    while len(timings[0]) < CALLS:
        count = min(ROUND, CALLS - len(timings[0]))
        order = range(len(sides)) if turn % 2 == 0 else reversed(range(len(sides)))
        for index in order:
            call, record = sides[index], timings[index].append
            for _ in range(count):
                started = time.perf_counter()
                call()
                record(time.perf_counter() - started)
        turn += 1
    return timings


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def report(label: str, unified: list[float], direct: list[float], extra: str = "") -> None:
    """One line: median and p90 of both sides (ms) and the ratio of the medians."""
    u, d = statistics.median(unified), statistics.median(direct)
    print(
        f"{label:<30} unified {u * 1000:6.2f} ms (p90 {_p90(unified) * 1000:6.2f})"
        f"   direct {d * 1000:6.2f} ms (p90 {_p90(direct) * 1000:6.2f})"
        f"   ratio {u / d:.2f} (target <= {TARGET}){extra}"
    )


def delete_through_pos(http: httpx.Client, base_url: str, order_id: int) -> None:
    """``DELETE /pos/orders/{order_id}``: the consumer now has a tombstone."""
    response = http.delete(f"{base_url}/pos/orders/{order_id}", headers=UNIFIED_HEADERS)
    if response.status_code != 200:
        raise SystemExit(f"DELETE answered {response.status_code}: {response.text}")


def main() -> None:
    """Start the server, measure both orders (and a consumer with a tombstone), stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        process, base_url = start_server(
            Path(tmp),
            extra_env={"CLOPOS_ADMIN_TOKEN": ADMIN_TOKEN, "CLOPOS_WEBHOOK_WORKER": "false"},
        )
        try:
            with (
                CloposClient(base_url=base_url, venue_id=DEMO_VENUE, **CREDS) as client,
                httpx.Client() as http,
            ):
                pending, accepted, doomed = make_orders(client, base_url, count=3)
                print(
                    f"median of {CALLS} calls per side, interleaved in rounds of {ROUND}"
                    f" after {WARMUP} warm-up calls each"
                )
                both, alone = direct_calls(client, pending)
                unified, direct = measure([unified_call(http, base_url, pending), both])
                report("PENDING order (no receipt)", unified, direct)

                both, alone = direct_calls(client, accepted)
                unified, direct, order_only = measure(
                    [unified_call(http, base_url, accepted), both, alone]
                )
                only = statistics.median(order_only)
                report(
                    "accepted order (receipt)",
                    unified,
                    direct,
                    f"   [order call alone {only * 1000:.2f} ms:"
                    f" ratio {statistics.median(unified) / only:.2f}]",
                )

                delete_through_pos(http, base_url, doomed)
                both, alone = direct_calls(client, pending)
                unified, direct = measure([unified_call(http, base_url, pending), both])
                report("PENDING, consumer w/ deletes", unified, direct)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
