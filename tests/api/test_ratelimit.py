"""Rate limits (spec §8), with the limits lowered through Settings.

v2: tier 1 (auth calls per IP), tier 2 (failed responses per IP, checked before the token),
tier 3 (per ``integrator_id:brand``), ``RateLimit-*`` headers for the most constrained tier.
v1: ``X-RateLimit-*`` with an epoch reset, per minute and per hour. With Redis, several app
instances share one budget.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from clopos.server.api.deps import CallerDep
from clopos.server.app import create_app
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from clopos.server.errors import ResourceNotFound
from clopos.server.store.models import Venue
from clopos.server.store.repositories import tenancy
from clopos.settings import Settings

V2_AUTH = "/open-api/v2/auth"
V1_AUTH = "/open-api/auth"
VENUES = "/open-api/v2/venues"
V1_VENUES = "/open-api/venues"
CREDENTIALS = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
V1_CREDENTIALS = {**{k: v for k, v in CREDENTIALS.items() if k != "integrator_id"}, "venue_id": "1"}
REDIS_URL = "redis://127.0.0.1:6379/0"
MISSING_ROUTE = "/open-api/v2/test-only/missing"


def _build(settings: Settings, **limits: Any) -> Any:
    app = create_app(settings.model_copy(update=limits))

    # A test-only authenticated route that answers 404, like GET /orders/{unknown id}.
    @app.get(MISSING_ROUTE)
    async def missing(caller: CallerDep) -> None:
        raise ResourceNotFound("Nothing here")

    return app


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[None]:
    async with LifespanManager(app):
        yield


def http(app: Any, ip: str = "10.0.0.1") -> httpx.AsyncClient:
    """A client whose requests come from ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _token(client: httpx.AsyncClient, **override: str) -> str:
    response = await client.post(V2_AUTH, json={**CREDENTIALS, **override})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def _limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    h = response.headers
    return int(h["RateLimit-Limit"]), int(h["RateLimit-Remaining"]), int(h["RateLimit-Reset"])


def _assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json() == {
        "success": False,
        "error": "rate_limited",
        "message": "Too many requests. Retry later.",
    }
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    _limit, remaining, reset = _limit_headers(response)
    assert remaining == 0
    assert 1 <= reset <= 60


# --- tier 1: /auth per IP ------------------------------------------------------------------


async def test_tier1_auth_calls_per_ip(settings: Settings) -> None:
    app = _build(settings, rate_limit_auth_per_minute=3)
    async with serving(app), http(app) as client, http(app, "10.0.0.2") as other_ip:
        remaining = []
        for body in (CREDENTIALS, {**CREDENTIALS, "client_secret": "wrong"}, CREDENTIALS):
            response = await client.post(V2_AUTH, json=body)
            assert response.status_code in (200, 401)
            limit, left, _ = _limit_headers(response)
            assert limit == 3
            remaining.append(left)
        assert remaining == [2, 1, 0]  # failed logins count too: a brute-force guard

        _assert_429(await client.post(V2_AUTH, json=CREDENTIALS))
        # v1 /auth shares the per-IP budget (docs/decisions.md); it answers in the v1 shape.
        v1 = await client.post(V1_AUTH, json=V1_CREDENTIALS)
        assert v1.status_code == 429
        assert v1.json()["error"][0]["type"] == "rate_limited"
        assert "Retry-After" in v1.headers

        # Another IP has its own budget.
        assert (await other_ip.post(V2_AUTH, json=CREDENTIALS)).status_code == 200


# --- tier 3: per integrator:brand ----------------------------------------------------------


async def _second_test_brand(app: Any) -> None:
    async with app.state.clopos.sessions() as session:
        brand = await tenancy.create_brand(session, "brandb", "Brand B", is_test=True)
        session.add(Venue(brand_id=brand.id, name="B Main", is_main=1))
        await session.commit()
        await tenancy.create_client(session, brand, "b-client", secret="b-secret", hash_n=2**8)
        await tenancy.create_integrator(session, "second-integrator", "Second", is_test=True)


async def test_tier3_shared_by_tokens_of_one_pair(settings: Settings) -> None:
    app = _build(settings, rate_limit_tenant_per_minute=4)
    async with serving(app), http(app) as client, http(app, "10.0.0.9") as elsewhere:
        await _second_test_brand(app)
        first, second = await _token(client), await _token(client)
        left = []
        for token in (first, second, first, second):
            response = await client.get(VENUES, headers={"x-token": token})
            assert response.status_code == 200, response.text
            limit, remaining, _ = _limit_headers(response)
            assert limit == 4
            left.append(remaining)
        assert left == [3, 2, 1, 0]
        _assert_429(await client.get(VENUES, headers={"x-token": first}))
        # The budget follows the pair, not the IP.
        _assert_429(await elsewhere.get(VENUES, headers={"x-token": second}))

        # Another brand, same integrator: its own budget.
        other_brand = await _token(
            client, client_id="b-client", client_secret="b-secret", brand="brandb"
        )
        response = await client.get(VENUES, headers={"x-token": other_brand})
        assert response.status_code == 200
        assert _limit_headers(response)[:2] == (4, 3)

        # Another integrator, same brand: its own budget too.
        other_integrator = await _token(client, integrator_id="second-integrator")
        response = await client.get(VENUES, headers={"x-token": other_integrator})
        assert response.status_code == 200
        assert _limit_headers(response)[:2] == (4, 3)


# --- tier 2: failed responses per IP, before the token is checked ---------------------------


async def test_tier2_counts_failures_and_blocks_even_valid_tokens(settings: Settings) -> None:
    app = _build(settings, rate_limit_failed_per_minute=3)
    async with serving(app), http(app) as client, http(app, "10.0.0.2") as other_ip:
        token = await _token(client)
        left = []
        for _ in range(3):
            response = await client.get(VENUES, headers={"x-token": "forged"})
            assert response.status_code == 401
            limit, remaining, _reset = _limit_headers(response)
            assert limit == 3
            left.append(remaining)
        assert left == [2, 1, 0]

        blocked = await client.get(VENUES, headers={"x-token": token})
        _assert_429(blocked)
        assert _limit_headers(blocked)[0] == 3
        # Unknown routes are guarded as well.
        _assert_429(await client.get("/open-api/v2/no-such-route", headers={"x-token": token}))

        # Other IPs are unaffected, and /auth is tier 1's business, not tier 2's.
        assert (await other_ip.get(VENUES, headers={"x-token": token})).status_code == 200
        assert (await client.post(V2_AUTH, json=CREDENTIALS)).status_code == 200
        # v1 routes are not covered by the v2 tiers.
        v1_token = (await client.post(V1_AUTH, json=V1_CREDENTIALS)).json()["token"]
        v1_headers = {"x-token": v1_token, "x-brand": DEMO_BRAND, "x-venue": "1"}
        assert (await client.get(V1_VENUES, headers=v1_headers)).status_code == 200


async def test_tier2_ignores_successes(settings: Settings) -> None:
    app = _build(settings, rate_limit_failed_per_minute=2)
    async with serving(app), http(app) as client:
        token = await _token(client)
        for _ in range(6):
            response = await client.get(VENUES, headers={"x-token": token})
            assert response.status_code == 200
        # 404s on unknown routes count, so two of them exhaust the budget.
        for _ in range(2):
            response = await client.get("/open-api/v2/nope", headers={"x-token": token})
            assert response.status_code == 404
        _assert_429(await client.get(VENUES, headers={"x-token": token}))


# --- headers on every authenticated response ------------------------------------------------


async def test_headers_on_success_and_404_report_most_constrained_tier(
    settings: Settings,
) -> None:
    app = _build(settings, rate_limit_tenant_per_minute=5, rate_limit_failed_per_minute=100)
    async with serving(app), http(app) as client:
        token = await _token(client)
        ok = await client.get(VENUES, headers={"x-token": token})
        assert ok.status_code == 200
        limit, remaining, reset = _limit_headers(ok)
        assert (limit, remaining) == (5, 4)
        assert 1 <= reset <= 60

        missing = await client.get(MISSING_ROUTE, headers={"x-token": token})
        assert missing.status_code == 404
        assert missing.json()["error"] == "resource_not_found"
        assert _limit_headers(missing)[:2] == (5, 3)  # tier 3 (3 of 5) beats tier 2 (99 of 100)

        # Failed auth on an authenticated route still reports a tier (tier 2).
        bad = await client.get(VENUES, headers={"x-token": "forged"})
        assert _limit_headers(bad)[:2] == (100, 98)


async def test_headers_switch_to_tier2_when_it_is_closer(settings: Settings) -> None:
    app = _build(settings, rate_limit_tenant_per_minute=100, rate_limit_failed_per_minute=3)
    async with serving(app), http(app) as client:
        token = await _token(client)
        await client.get(VENUES, headers={"x-token": "forged"})
        ok = await client.get(VENUES, headers={"x-token": token})
        assert ok.status_code == 200
        # tier 2 has 2 of 3 left, tier 3 has 99 of 100: tier 2 is reported.
        assert _limit_headers(ok)[:2] == (3, 2)


async def test_auth_response_reports_tier1(settings: Settings) -> None:
    app = _build(settings, rate_limit_auth_per_minute=7)
    async with serving(app), http(app) as client:
        response = await client.post(V2_AUTH, json=CREDENTIALS)
        assert _limit_headers(response)[:2] == (7, 6)


async def test_limits_can_be_switched_off(settings: Settings) -> None:
    app = _build(settings, rate_limit_enabled=False, rate_limit_tenant_per_minute=1)
    async with serving(app), http(app) as client:
        token = await _token(client)
        for _ in range(3):
            response = await client.get(VENUES, headers={"x-token": token})
            assert response.status_code == 200
            assert "RateLimit-Limit" not in response.headers


# --- v1: X-RateLimit-*, per minute and per hour ---------------------------------------------


async def _v1_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(V1_AUTH, json=V1_CREDENTIALS)
    assert response.status_code == 200, response.text
    return {"x-token": response.json()["token"], "x-brand": DEMO_BRAND, "x-venue": "1"}


async def test_v1_minute_limit(settings: Settings) -> None:
    app = _build(settings, rate_limit_v1_per_minute=3)
    async with serving(app), http(app) as client:
        headers = await _v1_headers(client)
        left = []
        for _ in range(3):
            response = await client.get(V1_VENUES, headers=headers)
            assert response.status_code == 200
            assert int(response.headers["X-RateLimit-Limit"]) == 3
            reset = int(response.headers["X-RateLimit-Reset"])
            assert time.time() <= reset <= time.time() + 61  # an epoch, not a duration
            left.append(int(response.headers["X-RateLimit-Remaining"]))
        assert left == [2, 1, 0]

        limited = await client.get(V1_VENUES, headers=headers)
        assert limited.status_code == 429
        body = limited.json()
        assert body["success"] is False
        assert body["message"] == "Too many requests. Retry later."
        assert body["error"][0]["type"] == "rate_limited"
        assert body["error"][0]["http_code"] == 429
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert 1 <= int(limited.headers["Retry-After"]) <= 60


async def test_v1_hour_limit_and_per_client_budget(settings: Settings) -> None:
    app = _build(settings, rate_limit_v1_per_minute=100, rate_limit_v1_per_hour=2)
    async with serving(app), http(app) as client, http(app, "10.0.0.3") as elsewhere:
        first = await _v1_headers(client)
        second = await _v1_headers(elsewhere)  # a new token of the same client
        assert (await client.get(V1_VENUES, headers=first)).status_code == 200
        assert (await elsewhere.get(V1_VENUES, headers=second)).status_code == 200
        limited = await client.get(V1_VENUES, headers=second)
        assert limited.status_code == 429
        assert limited.headers["X-RateLimit-Limit"] == "2"
        reset = int(limited.headers["X-RateLimit-Reset"])
        assert time.time() + 3000 < reset <= time.time() + 3601


# --- Redis: one budget across app instances -------------------------------------------------


def _redis_problem() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return "something at 127.0.0.1:6379 does not answer PING like Redis"
    except OSError as exc:
        return f"Redis not reachable at 127.0.0.1:6379 ({exc})"
    return None


@pytest.fixture
def redis_settings(settings: Settings) -> Settings:
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    return settings.model_copy(
        update={"redis_url": REDIS_URL, "rate_limit_key_prefix": f"clopos-test-{uuid.uuid4().hex}"}
    )


@pytest.mark.redis
async def test_redis_tenant_budget_is_shared_between_instances(redis_settings: Settings) -> None:
    one = _build(redis_settings, rate_limit_tenant_per_minute=4)
    two = _build(redis_settings, rate_limit_tenant_per_minute=4)
    async with serving(one), serving(two), http(one) as a, http(two, "10.0.0.8") as b:
        try:
            token = await _token(a)
            for client in (a, b, a, b):
                response = await client.get(VENUES, headers={"x-token": token})
                assert response.status_code == 200, response.text
            assert _limit_headers(response)[:2] == (4, 0)
            _assert_429(await a.get(VENUES, headers={"x-token": token}))
            _assert_429(await b.get(VENUES, headers={"x-token": token}))
        finally:
            await one.state.clopos.limiter.reset()


@pytest.mark.redis
async def test_redis_auth_budget_is_shared_between_instances(redis_settings: Settings) -> None:
    one = _build(redis_settings, rate_limit_auth_per_minute=2)
    two = _build(redis_settings, rate_limit_auth_per_minute=2)
    async with serving(one), serving(two), http(one) as a, http(two) as b:
        try:
            assert (await a.post(V2_AUTH, json=CREDENTIALS)).status_code == 200
            assert (await b.post(V2_AUTH, json=CREDENTIALS)).status_code == 200
            _assert_429(await a.post(V2_AUTH, json=CREDENTIALS))
        finally:
            await one.state.clopos.limiter.reset()


@pytest.mark.redis
async def test_redis_prefixes_keep_deployments_apart(redis_settings: Settings) -> None:
    one = _build(redis_settings, rate_limit_auth_per_minute=1)
    other = redis_settings.model_copy(
        update={"rate_limit_key_prefix": f"clopos-test-{uuid.uuid4().hex}"}
    )
    two = _build(other, rate_limit_auth_per_minute=1)
    async with serving(one), serving(two), http(one) as a, http(two) as b:
        try:
            assert (await a.post(V2_AUTH, json=CREDENTIALS)).status_code == 200
            assert (await b.post(V2_AUTH, json=CREDENTIALS)).status_code == 200
        finally:
            await one.state.clopos.limiter.reset()
            await two.state.clopos.limiter.reset()
