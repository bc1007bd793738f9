"""The SDK's retries, re-auth and idempotency against a real ``clopos serve`` process.

The unit tests (``tests/unit/test_client_core.py``) drive the retry logic with a scripted
``httpx.MockTransport``. Here every request really reaches a server — the fault transport
wraps ``httpx.HTTPTransport`` and only *adds* a fault now and then: a connection reset before
the request leaves, a connection lost after the server has committed a create, a 429 or 503
from "a proxy in front", or a token made stale on the way. What the tests check is what an
integrator would: the call completes, the attempts and sleeps are the ones the policy
promises, and the server holds exactly the rows it should (one order for one create, however
many times it was sent). A second server runs with tiny rate limits so a 429 comes from the
server itself, with its own ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import jwt
import pytest

from clopos.client import (
    AsyncCloposClient,
    AttemptInfo,
    AuthenticationError,
    CloposClient,
    CloposError,
    RateLimitError,
    RetryPolicy,
)
from clopos.client.compat import attributes
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from e2e.conftest import ServerProcess

pytestmark = pytest.mark.e2e

JWT_SECRET = "faults-test-signing-key-0123456789abcdef"
# No jitter, so the sleeps are exact: 0.5, 1.0, 2.0 …
EXACT = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=30.0, deadline=600.0, jitter=0.0)
V2: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
V1: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "venue_id": 1,
    "api_version": "v1",
}
Mode = Literal["sync", "async"]
Version = Literal["v1", "v2"]
MODES_AND_VERSIONS = [(m, v) for m in ("sync", "async") for v in ("v1", "v2")]


# ----------------------------------------------------------------------------- servers


def start_server(root: Path, **settings: str) -> ServerProcess:
    """``clopos serve`` with extra ``CLOPOS_*`` settings (``server_env`` drops inherited ones)."""
    server = ServerProcess(f"sqlite+aiosqlite:///{root / 'clopos.db'}", root, settings)
    server.start()
    return server


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo server whose JWT key the test knows, so it can make a genuinely expired token."""
    server = start_server(tmp_path_factory.mktemp("faults"), CLOPOS_JWT_SECRET=JWT_SECRET)
    try:
        yield server.base_url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def tight_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A demo server allowing 2 requests a minute per tenant (v2) and per client (v1)."""
    server = start_server(
        tmp_path_factory.mktemp("faults-tight"),
        CLOPOS_RATE_LIMIT_TENANT_PER_MINUTE="2",
        CLOPOS_RATE_LIMIT_V1_PER_MINUTE="2",
    )
    try:
        yield server.base_url
    finally:
        server.stop()


# ----------------------------------------------------------------------- fault transport

Action = Literal["reset_before", "drop_after", "answer", "stale_token"]


@dataclass
class Fault:
    """One fault, applied to the first request it matches and then used up."""

    action: Action
    method: str = "GET"
    path_end: str = ""
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, request: httpx.Request) -> bool:
        path = request.url.path
        return (
            request.method == self.method
            and not path.endswith("/auth")
            and path.endswith(self.path_end)
        )


@dataclass
class Exchange:
    """One request the client made, and what became of it."""

    method: str
    path: str
    idempotency_key: str | None
    fault: Action | None
    # Set when the request reached the server.
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Wire:
    """The fault plan and the log of exchanges, shared by the sync and async transports."""

    def __init__(self, *faults: Fault) -> None:
        self.pending = list(faults)
        self.log: list[Exchange] = []

    def begin(self, request: httpx.Request) -> tuple[Exchange, Fault | None]:
        fault = next((f for f in self.pending if f.matches(request)), None)
        if fault is not None:
            self.pending.remove(fault)
        exchange = Exchange(
            request.method,
            request.url.path,
            request.headers.get("idempotency-key"),
            fault.action if fault else None,
        )
        self.log.append(exchange)
        if fault is not None and fault.action == "stale_token":
            request.headers["x-token"] = stale(request.headers["x-token"])
        return exchange, fault

    @staticmethod
    def injected(fault: Fault) -> httpx.Response:
        body = {"success": False, "error": "injected", "message": f"injected {fault.status}"}
        return httpx.Response(fault.status, json=body, headers=fault.headers)

    @staticmethod
    def reached(exchange: Exchange, response: httpx.Response) -> None:
        exchange.status = response.status_code
        exchange.headers = dict(response.headers)

    def reaching(self, method: str, path_end: str) -> list[Exchange]:
        """Exchanges the server answered (whatever the client then saw)."""
        return [
            e
            for e in self.log
            if e.status is not None and e.method == method and e.path.endswith(path_end)
        ]

    def auths(self) -> int:
        return sum(1 for e in self.log if e.path.endswith("/auth"))


def stale(token: str) -> str:
    """The same token, expired: a v2 JWT re-signed with ``exp`` in the past, or an unknown
    opaque v1 token (the server cannot tell a v1 token that expired from one it never had)."""
    if not token.startswith("eyJ"):
        return "oauth_" + "0" * 54
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"])
    past = int(time.time()) - 120
    claims.update(exp=past, expires_at=past)
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


class FaultyTransport(httpx.BaseTransport):
    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        exchange, fault = self.wire.begin(request)
        if fault is not None and fault.action == "reset_before":
            raise httpx.ConnectError("connection reset before the request was sent")
        if fault is not None and fault.action == "answer":
            return self.wire.injected(fault)
        response = self.inner.handle_request(request)
        response.read()
        self.wire.reached(exchange, response)
        if fault is not None and fault.action == "drop_after":
            response.close()  # the server has committed; its answer is lost on the way back
            raise httpx.ReadError("connection reset after the server answered")
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncFaultyTransport(httpx.AsyncBaseTransport):
    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        exchange, fault = self.wire.begin(request)
        if fault is not None and fault.action == "reset_before":
            raise httpx.ConnectError("connection reset before the request was sent")
        if fault is not None and fault.action == "answer":
            return self.wire.injected(fault)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.wire.reached(exchange, response)
        if fault is not None and fault.action == "drop_after":
            await response.aclose()
            raise httpx.ReadError("connection reset after the server answered")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


# ---------------------------------------------------------------------- running a call


@dataclass
class Outcome:
    result: Any
    wire: Wire
    attempts: list[AttemptInfo]
    sleeps: list[float]

    @property
    def statuses(self) -> list[int | None]:
        return [a.status_code for a in self.attempts if not a.url.endswith("/auth")]


def run(
    mode: Mode,
    version: Version,
    base_url: str,
    faults: list[Fault],
    call: Callable[[Any], Any],
    *,
    retry: RetryPolicy = EXACT,
) -> Outcome:
    """``call(client)`` on a fresh sync or async client whose wire carries ``faults``.

    A ``CloposError`` is returned as the result rather than raised. Dict answers are read
    through ``attributes`` so the checks read ``result.data.id`` either way.
    """
    wire = Wire(*faults)
    attempts: list[AttemptInfo] = []
    sleeps: list[float] = []
    creds = V2 if version == "v2" else V1
    if mode == "sync":
        with (
            httpx.Client(transport=FaultyTransport(wire)) as http,
            CloposClient(
                base_url=base_url,
                http_client=http,
                retry=retry,
                on_attempt=attempts.append,
                sleep=sleeps.append,
                **creds,
            ) as client,
        ):
            try:
                result = call(client)
            except CloposError as error:
                result = error
    else:

        async def record_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        async def go() -> Any:
            async with (
                httpx.AsyncClient(transport=AsyncFaultyTransport(wire)) as http,
                AsyncCloposClient(
                    base_url=base_url,
                    http_client=http,
                    retry=retry,
                    on_attempt=attempts.append,
                    sleep=record_sleep,
                    **creds,
                ) as client,
            ):
                try:
                    return await call(client)
                except CloposError as error:
                    return error

        result = asyncio.run(go())
    if isinstance(result, dict):
        result = attributes(result)
    return Outcome(result, wire, attempts, sleeps)


def plain(base_url: str, version: Version = "v2") -> CloposClient:
    """A client without faults, to look at the server's state."""
    return CloposClient(base_url=base_url, **(V2 if version == "v2" else V1))


def read(value: Any) -> Any:
    return attributes(value) if isinstance(value, dict) else value


@dataclass(frozen=True)
class Demo:
    margherita: int
    takeaway: int
    customer_id: int
    customer_name: str


@pytest.fixture(scope="module")
def demo(base_url: str) -> Demo:
    with plain(base_url) as client:
        products = read(client.get_products(limit=100)).data
        sale_types = read(client.get_sale_types()).data
        customer = read(client.get_customer_by_id(3)).data
    return Demo(
        margherita=next(p.id for p in products if p.name == "Margherita"),
        takeaway=next(s.id for s in sale_types if s.name == "Takeaway"),
        customer_id=customer.id,
        customer_name=customer.name,
    )


def order_count(base_url: str) -> int:
    with plain(base_url) as client:
        total: int = read(client.get_orders(limit=1)).total
    return total


def create_order(version: Version, demo: Demo) -> Callable[[Any], Any]:
    """The version's own body: v2 flat, v1 nested ``{customer_id, payload}``."""
    customer = {"id": demo.customer_id, "name": demo.customer_name}
    products = [{"product_id": demo.margherita, "count": 1}]
    if version == "v2":
        return lambda c: c.create_order(
            sale_type_id=demo.takeaway, venue_id=1, customer=customer, products=products
        )
    payload = {
        "service": {"sale_type_id": demo.takeaway, "venue_id": 1},
        "customer": customer,
        "products": products,
    }
    return lambda c: c.create_order(customer_id=demo.customer_id, payload=payload)


# ------------------------------------------------------------------------------- tests


@pytest.mark.parametrize(("mode", "version"), MODES_AND_VERSIONS)
def test_reset_before_sending_is_retried_and_reaches_the_server_once(
    base_url: str, mode: Mode, version: Version
) -> None:
    out = run(
        mode,
        version,
        base_url,
        [Fault("reset_before", "GET", "/venues")],
        lambda c: c.get_venues(),
    )
    assert [v.id for v in out.result.data] == [1, 2]
    assert out.statuses == [None, 200]
    assert out.sleeps == [0.5]  # EXACT's first backoff
    assert len(out.wire.reaching("GET", "/venues")) == 1


@pytest.mark.parametrize(("mode", "version"), MODES_AND_VERSIONS)
def test_create_whose_answer_is_lost_is_retried_into_exactly_one_order(
    base_url: str, demo: Demo, mode: Mode, version: Version
) -> None:
    before = order_count(base_url)
    out = run(
        mode,
        version,
        base_url,
        [Fault("drop_after", "POST", "/orders")],
        create_order(version, demo),
    )
    order = out.result.data
    assert order.status == "PENDING"

    first, second = out.wire.reaching("POST", "/orders")  # the server saw both sends
    assert first.idempotency_key and first.idempotency_key == second.idempotency_key
    assert second.headers.get("idempotent-replayed") == "true"
    assert out.statuses == [None, first.status]  # the lost answer, then the replayed one
    assert out.sleeps == [0.5]

    assert order_count(base_url) == before + 1
    with plain(base_url) as client:
        assert read(client.get_order_by_id(order.id)).data.id == order.id


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_503_twice_then_success_takes_three_attempts(base_url: str, mode: Mode) -> None:
    down = Fault("answer", "GET", "/payment-methods", status=503)
    out = run(mode, "v2", base_url, [down, down], lambda c: c.get_payment_methods())
    assert len(out.result.data) >= 2
    calls = [a for a in out.attempts if not a.url.endswith("/auth")]
    assert [(a.attempt, a.status_code, a.retry_in) for a in calls] == [
        (1, 503, 0.5),
        (2, 503, 1.0),
        (3, 200, None),
    ]
    assert out.sleeps == [0.5, 1.0]
    assert len(out.wire.reaching("GET", "/payment-methods")) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_503_on_a_create_resends_the_same_key_and_makes_one_customer(
    base_url: str, mode: Mode
) -> None:
    down = Fault("answer", "POST", "/customers", status=503)
    name = f"Faults {mode} 503"
    out = run(
        mode,
        "v2",
        base_url,
        [down, down],
        lambda c: c.create_customer(name, phone=f"+99451{uuid.uuid4().int % 10**7:07d}"),
    )
    assert out.result.data.name == name
    keys = {e.idempotency_key for e in out.wire.log if e.path.endswith("/customers")}
    assert len(keys) == 1 and None not in keys  # three sends, one key
    assert out.statuses == [503, 503, 200]
    with plain(base_url) as client:
        found = read(client.get_customers(filters={"name": name}, limit=50)).data
    assert [c.id for c in found] == [out.result.data.id]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_429_with_retry_after_sleeps_exactly_that_long(base_url: str, mode: Mode) -> None:
    limited = Fault("answer", "GET", "/stations", status=429, headers={"Retry-After": "7"})
    out = run(mode, "v2", base_url, [limited], lambda c: c.get_stations())
    assert out.result.data
    assert out.sleeps == [7.0]  # the server's wait, not the 0.5 s backoff
    assert out.statuses == [429, 200]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_servers_own_429_is_honoured_until_attempts_run_out(
    tight_url: str, version: Version
) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.5, deadline=600.0, jitter=0.0)

    def three_calls(client: CloposClient) -> Any:
        client.get_venues()
        client.get_venues()
        return client.get_venues()  # over the budget of 2 a minute

    out = run("sync", version, tight_url, [], three_calls, retry=policy)
    assert isinstance(out.result, RateLimitError)
    assert out.result.status_code == 429
    limited = [e for e in out.wire.reaching("GET", "/venues") if e.status == 429]
    assert len(limited) == 3  # every attempt of the third call
    waits = [float(e.headers["retry-after"]) for e in limited]
    assert all(0 < w <= 60 for w in waits)
    assert out.sleeps == waits[:2]  # slept what the server asked, between the 3 attempts
    assert out.statuses == [200, 200, 429, 429, 429]


@pytest.mark.parametrize(("mode", "version"), MODES_AND_VERSIONS)
def test_stale_token_is_replaced_by_exactly_one_reauth(
    base_url: str, mode: Mode, version: Version
) -> None:
    out = run(
        mode,
        version,
        base_url,
        [Fault("stale_token", "GET", "/customer-groups")],
        lambda c: c.get_customer_groups(),
    )
    assert [g.name for g in out.result.data] == ["My Customers", "VIP", "Staff"]
    assert out.wire.auths() == 2  # the first token, then one re-auth
    assert out.statuses == [401, 200]
    rejected = next(a.error for a in out.attempts if a.status_code == 401)
    assert rejected is not None and getattr(rejected, "status_code", None) == 401
    if version == "v2":
        assert getattr(rejected, "code", None) == "Token expired"  # the server's own verdict
    assert out.sleeps == []  # a re-auth is not a backoff


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_token_stale_twice_is_raised_after_one_reauth(base_url: str, mode: Mode) -> None:
    stale_fault = Fault("stale_token", "GET", "/customer-groups")
    out = run(mode, "v2", base_url, [stale_fault, stale_fault], lambda c: c.get_customer_groups())
    assert isinstance(out.result, AuthenticationError)
    assert out.result.code == "Token expired"
    assert out.wire.auths() == 2
    assert out.statuses == [401, 401]
