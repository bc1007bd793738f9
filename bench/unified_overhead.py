"""What the unified layer costs over the Clopos call behind it.

Run: ``.venv/bin/python bench/unified_overhead.py [N]``. Starts ``clopos serve --seed-demo``
on a free port with a temporary SQLite database (rate limits off), creates two orders — one
left PENDING, one accepted at the till (so it has a receipt) — then, for each, alternates
blocks of

* ``GET /pos/orders/{id}`` as the demo consumer (``demo-unified-key`` / ``demo-app`` /
  ``demo-consumer``, whose connection is this same server), through one keep-alive
  ``httpx.Client``, and
* the direct SDK call behind it, ``CloposClient.get_order_by_id(id, with_receipt=True)``,

N times each (default 300), and prints both mean latencies and their ratio (target <= 1.3).
It asserts nothing; the server is stopped at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

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

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
WARMUP = 30
BLOCK = 50
TARGET = 1.3
ADMIN_TOKEN = "bench-admin"
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


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``clopos serve --seed-demo`` on a free port; returns once ``/health`` answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
    env["CLOPOS_DATABASE_URL"] = f"sqlite+aiosqlite:///{root / 'bench.db'}"
    env["CLOPOS_RATE_LIMIT_ENABLED"] = "false"
    env["CLOPOS_ADMIN_TOKEN"] = ADMIN_TOKEN
    env["CLOPOS_WEBHOOK_WORKER"] = "false"
    clopos = Path(sys.executable).parent / "clopos"
    with (root / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [str(clopos), "serve", "--seed-demo", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{(root / 'serve.log').read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start within 30 s")


def make_orders(base_url: str) -> tuple[int, int]:
    """A PENDING order and one accepted at the till (it has an open receipt)."""

    def data(answer: Any) -> Any:
        return answer["data"] if isinstance(answer, dict) else answer.data

    def field(record: Any, name: str) -> Any:
        return record[name] if isinstance(record, dict) else getattr(record, name)

    with CloposClient(base_url=base_url, **CREDS) as client:
        dish = data(client.get_products(filters={"type": ["DISH"]}, limit=1))[0]
        ids = []
        for guest in ("Bench pending", "Bench accepted"):
            order = data(
                client.create_order(
                    sale_type_id=2,
                    venue_id=1,
                    customer={"id": 0, "name": guest},
                    products=[{"product_id": field(dish, "id"), "count": 2}],
                )
            )
            ids.append(int(field(order, "id")))
    accepted = httpx.post(
        f"{base_url}/sandbox/brands/{DEMO_BRAND}/orders/{ids[1]}/accept",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    accepted.raise_for_status()
    return ids[0], ids[1]


def bench_order(base_url: str, order_id: int, label: str) -> float:
    """Mean seconds per call, unified vs direct, in alternating blocks; prints the ratio."""
    url = f"{base_url}/pos/orders/{order_id}"
    unified = direct = 0.0
    with CloposClient(base_url=base_url, **CREDS) as client, httpx.Client() as http:
        first = http.get(url, headers=UNIFIED_HEADERS)
        if first.status_code != 200:
            raise SystemExit(f"GET {url} answered {first.status_code}: {first.text}")
        for _ in range(WARMUP):
            http.get(url, headers=UNIFIED_HEADERS).raise_for_status()
            client.get_order_by_id(order_id, with_receipt=True)
        done = 0
        while done < CALLS:
            block = min(BLOCK, CALLS - done)
            started = time.perf_counter()
            for _ in range(block):
                response = http.get(url, headers=UNIFIED_HEADERS)
                response.raise_for_status()
                response.json()
            unified += time.perf_counter() - started
            started = time.perf_counter()
            for _ in range(block):
                client.get_order_by_id(order_id, with_receipt=True)
            direct += time.perf_counter() - started
            done += block
    ratio = unified / direct
    print(
        f"{label:<28} {CALLS} x  unified GET /pos/orders/{order_id}"
        f" {unified / CALLS * 1000:7.2f} ms"
        f"   direct get_order_by_id {direct / CALLS * 1000:7.2f} ms"
        f"   ratio {ratio:.2f} (target <= {TARGET})"
    )
    return ratio


def main() -> None:
    """Start the server, measure both orders, stop the server."""
    with tempfile.TemporaryDirectory() as tmp:
        process, base_url = start_server(Path(tmp))
        try:
            pending, accepted = make_orders(base_url)
            bench_order(base_url, pending, "PENDING order (no receipt)")
            bench_order(base_url, accepted, "accepted order (receipt)")
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
