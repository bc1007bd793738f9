"""End to end: racing writes against ``clopos serve --workers 2`` on PostgreSQL + Redis.

Two worker processes share one database, so only the database can decide a race. Two
promises are proven over real TCP with 50 requests fired at once:

* receipt ``cid`` is unique (spec §12.5, §16.9): 50 v1 creates with the same cid leave
  exactly one receipt; one caller gets 2xx, every other caller 409;
* ``Idempotency-Key`` makes a create happen once (spec §6; ``clopos.server.idempotency``):
  50 v2 order creates with one key leave exactly one order; every answer is either the
  2xx (the same order each time, replays marked ``Idempotent-Replayed: true``) or 409
  ``idempotency_key_in_progress``.

Rows are counted in the database itself, not through the API. The harness here
(``ConfiguredServer``, the demo look-ups and request bodies) is reused by ``test_crash``.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from clopos.server.domain.timestamps import plain, utcnow
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.models import Order, Receipt

# tests/conftest.py: the PostgreSQL helpers the API tests use (tests/ is on sys.path).
from conftest import _pg_exec, _pg_url, postgres_unreachable

from .conftest import CLOPOS, ServerProcess, server_env

pytestmark = pytest.mark.e2e

REDIS_URL = "redis://127.0.0.1:6379/0"
RACERS = 50
REQUEST_TIMEOUT_SECONDS = 30.0


# ---------------------------------------------------------------------------------------------
# a server process with extra settings (tests/e2e/conftest.py starts only the defaults)


class ConfiguredServer(ServerProcess):
    """``clopos serve --seed-demo`` with extra ``CLOPOS_*`` settings and ``--workers``."""

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(database_url, log_dir)
        self.workers = workers
        self.extra_env = env or {}

    def start(self) -> None:
        """Launch with the extra settings and block until ``/health`` answers 200."""
        assert self.process is None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"serve-{self.starts}.log"
        command = [str(CLOPOS), "serve", "--seed-demo", "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**server_env(self.database_url), **self.extra_env},
            )
        self._wait_healthy()


def no_rate_limits() -> dict[str, str]:
    """Load tests must not be throttled: the v1 budget is 100/min (spec §8.2)."""
    return {"CLOPOS_RATE_LIMIT_ENABLED": "false"}


# ---------------------------------------------------------------------------------------------
# the demo sale, over the API


@dataclass(frozen=True)
class Session:
    """Tokens and the demo ids the write requests name."""

    base_url: str
    v1: dict[str, str]
    v2: dict[str, str]
    product_id: int
    product_name: str
    price: str
    takeaway_id: int
    cash_id: int
    user_id: int
    customer: dict[str, Any]


async def open_session(http: httpx.AsyncClient) -> Session:
    """Authenticate on both prefixes and look up Margherita, Takeaway, Cash, Owner."""
    v2_auth = await http.post(
        "/open-api/v2/auth",
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "brand": DEMO_BRAND,
            "integrator_id": DEMO_INTEGRATOR,
        },
    )
    assert v2_auth.status_code == 200, v2_auth.text
    v1_auth = await http.post(
        "/open-api/auth",
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "brand": DEMO_BRAND,
            "venue_id": "1",
        },
    )
    assert v1_auth.status_code == 200, v1_auth.text
    v2 = {"x-token": v2_auth.json()["token"]}
    v1 = {"x-token": v1_auth.json()["token"], "x-brand": DEMO_BRAND, "x-venue": "1"}

    async def rows(path: str) -> list[dict[str, Any]]:
        response = await http.get(path, headers=v2, params={"limit": 100})
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    product = next(p for p in await rows("/open-api/v2/products") if p["name"] == "Margherita")
    takeaway = next(s for s in await rows("/open-api/v2/sale-types") if s["name"] == "Takeaway")
    cash = next(m for m in await rows("/open-api/v2/payment-methods") if m["name"] == "Cash")
    users = await http.get("/open-api/users", headers=v1)
    assert users.status_code == 200, users.text
    owner = next(u for u in users.json()["data"] if u["username"] == "Owner")
    customer = (await rows("/open-api/v2/customers"))[0]
    return Session(
        base_url=str(http.base_url),
        v1=v1,
        v2=v2,
        product_id=product["id"],
        product_name=product["name"],
        price=str(product["price"]),
        takeaway_id=takeaway["id"],
        cash_id=cash["id"],
        user_id=owner["id"],
        customer=customer,
    )


def v1_receipt_body(s: Session, cid: str) -> dict[str, Any]:
    """A closed sale as a till posts it to v1 ``POST /receipts`` (spec §12.5): one
    Margherita, paid in cash, opened and closed a few minutes ago."""
    now = utcnow()
    price = float(s.price)
    return {
        "cid": cid,
        "user_id": s.user_id,
        "sale_type_id": s.takeaway_id,
        "payment_methods": [{"id": s.cash_id, "name": "Cash", "amount": price}],
        "subtotal": price,
        "total": price,
        "by_cash": price,
        "by_card": 0,
        "guests": 1,
        "created_at": plain(now - timedelta(minutes=10)),
        "closed_at": plain(now - timedelta(minutes=5)),
        "receipt_products": [
            {
                "cid": str(uuid.uuid4()),
                "product_id": s.product_id,
                "count": 1,
                "portion_size": 1,
                "is_gift": False,
                "price": price,
                "subtotal": price,
                "total": price,
                "meta": {"product": {"name": s.product_name, "price": price}},
            }
        ],
    }


def v2_order_body(s: Session, comment: str) -> dict[str, Any]:
    """A flat v2 order (spec §11.4): one Margherita for takeaway; ``comment`` tags it."""
    return {
        "sale_type_id": s.takeaway_id,
        "venue_id": 1,
        "customer": {
            "id": s.customer["id"],
            "phone": s.customer.get("phone") or "+994500000000",
            "address": "12 Nizami St, Baku",
            "customer_discount_type": 1,
            "name": s.customer["name"],
        },
        "products": [
            {
                "product_id": s.product_id,
                "product_name": s.product_name,
                "count": 1,
                "price": float(s.price),
                "status": "new",
                "product_hash": "abc123",
            }
        ],
        "comment": comment,
    }


def error_code(response: httpx.Response) -> str | None:
    """The error identifier of a v1 (list) or v2 (string) error body, if any."""
    try:
        error = response.json().get("error")
    except ValueError:
        return None
    if isinstance(error, list) and error:
        code = error[0].get("type")
        return str(code) if code is not None else None
    return str(error) if error is not None else None


class Database:
    """Direct reads of the server's database (SQLite or PostgreSQL), behind the API's back."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        self.sessions = session_factory(self.engine)

    async def scalar(self, statement: Any) -> Any:
        async with self.sessions() as session:
            return await session.scalar(statement)

    async def all(self, statement: Any) -> list[Any]:
        async with self.sessions() as session:
            return list((await session.execute(statement)).all())

    async def close(self) -> None:
        await self.engine.dispose()


@pytest.fixture(scope="module")
def redis_url() -> str:
    """Redis shared by the workers' rate limiter; skip with the reason when unreachable."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc!r}")
    return REDIS_URL


@pytest.fixture(scope="module")
def postgres_database_url() -> Iterator[str]:
    """An empty throwaway PostgreSQL database (``serve --seed-demo`` migrates and seeds it)."""
    problem = postgres_unreachable()
    if problem:
        pytest.skip(problem)
    name = f"clopos_race_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def http_factory() -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """``http_factory(base_url)`` → an AsyncClient that allows all racers at once."""
    clients: list[httpx.AsyncClient] = []

    def make(base_url: str) -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            base_url=base_url,
            timeout=REQUEST_TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=RACERS * 2, max_keepalive_connections=RACERS),
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# ---------------------------------------------------------------------------------------------
# the races


@pytest.fixture(scope="module")
def race_server(
    tmp_path_factory: pytest.TempPathFactory, postgres_database_url: str, redis_url: str
) -> Iterator[ConfiguredServer]:
    """``clopos serve --workers 2`` on a throwaway PostgreSQL database, Redis for the
    rate-limit windows (required with several workers), limits off for the burst."""
    server = ConfiguredServer(
        postgres_database_url,
        tmp_path_factory.mktemp("race-server"),
        workers=2,
        env={
            "CLOPOS_REDIS_URL": redis_url,
            "CLOPOS_RATE_LIMIT_KEY_PREFIX": f"e2e-race-{uuid.uuid4().hex[:8]}",
            **no_rate_limits(),
        },
    )
    server.start()
    try:
        yield server
        server.stop()
    finally:
        server.kill()


@pytest.mark.postgres
@pytest.mark.redis
async def test_fifty_racers_one_receipt_cid(
    race_server: ConfiguredServer,
    postgres_database_url: str,
    http_factory: Callable[[str], httpx.AsyncClient],
) -> None:
    """50 × the same receipt cid, no Idempotency-Key: the unique cid decides (spec §12.5)."""
    http = http_factory(race_server.base_url)
    s = await open_session(http)
    db = Database(postgres_database_url)
    try:
        cid = str(uuid.uuid4())
        body = v1_receipt_body(s, cid)
        answers = await asyncio.gather(
            *(http.post("/open-api/receipts", json=body, headers=s.v1) for _ in range(RACERS))
        )
        statuses = sorted(r.status_code for r in answers)
        winners = [r for r in answers if r.is_success]
        odd = next((r.text for r in answers if r.status_code != 409 and not r.is_success), "")
        assert len(winners) == 1, f"{len(winners)} receipts created: statuses {statuses} {odd}"
        assert statuses.count(409) == RACERS - 1, f"statuses {statuses}: {odd}"
        assert {error_code(r) for r in answers if r.status_code == 409} == {"conflict"}
        assert await db.scalar(select(func.count()).where(Receipt.cid == cid)) == 1
        stored_id = await db.scalar(select(Receipt.id).where(Receipt.cid == cid))
        assert stored_id == winners[0].json()["data"]["id"]
    finally:
        await db.close()


@pytest.mark.postgres
@pytest.mark.redis
async def test_fifty_racers_one_idempotency_key(
    race_server: ConfiguredServer,
    postgres_database_url: str,
    http_factory: Callable[[str], httpx.AsyncClient],
) -> None:
    """50 × one Idempotency-Key and body: one order; every racer sees it, or 409 (spec §6)."""
    http = http_factory(race_server.base_url)
    s = await open_session(http)
    db = Database(postgres_database_url)
    try:
        orders_before = await db.scalar(select(func.count()).select_from(Order))
        key = f"race-{uuid.uuid4()}"
        body = v2_order_body(s, comment=key)
        headers = {**s.v2, "Idempotency-Key": key}
        answers = await asyncio.gather(
            *(http.post("/open-api/v2/orders", json=body, headers=headers) for _ in range(RACERS))
        )
        statuses = sorted(r.status_code for r in answers)
        ok = [r for r in answers if r.is_success]
        busy = [r for r in answers if r.status_code == 409]
        odd = next((r.text for r in answers if not r.is_success and r.status_code != 409), "")
        assert len(ok) + len(busy) == RACERS, f"statuses {statuses}: {odd}"
        assert ok, f"no racer got the order: statuses {statuses}"
        assert {error_code(r) for r in busy} <= {"idempotency_key_in_progress"}
        assert len({r.json()["data"]["id"] for r in ok}) == 1
        originals = [r for r in ok if r.headers.get("Idempotent-Replayed") != "true"]
        assert len(originals) == 1, f"{len(originals)} answers were not marked as replays"
        assert {r.status_code for r in ok} == {originals[0].status_code}
        orders_after = await db.scalar(select(func.count()).select_from(Order))
        assert orders_after - orders_before == 1
        newest = await db.scalar(select(Order.id).order_by(Order.id.desc()).limit(1))
        assert newest == ok[0].json()["data"]["id"]
    finally:
        await db.close()
