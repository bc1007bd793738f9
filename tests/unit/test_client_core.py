"""The SDK core on the wire: errors, tokens, retries, headers, JSON (httpx.MockTransport).

A scripted fake API answers every request; the tests count what reached it (auth calls,
attempts, headers, bodies) and what the client slept, through the injected ``sleep``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest

from clopos.client import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncCloposClient,
    AttemptInfo,
    AuthenticationError,
    BadRequestError,
    CloposClient,
    CloposError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    TokenState,
    UnprocessableEntityError,
)
from clopos.client._endpoints import RequestSpec, get_venues
from clopos.client._errors import RequestValidationError, ResponseValidationError
from clopos.models import AuthResponse, ItemResponse, ListResponse, Receipt, Venue

BASE = "http://clopos.test"
CREDS: dict[str, Any] = {
    "client_id": "cid",
    "client_secret": "secret",
    "brand": "openapitest",
    "integrator_id": "integ",
}
# No jitter, so sleeps are exact: 0.5, 1, 2, …
EXACT = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=30.0, deadline=60.0, jitter=0.0)
ONCE = RetryPolicy(max_attempts=1)
Answer = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def _no_clopos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CLOPOS_* variables must not leak into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("CLOPOS_"):
            monkeypatch.delenv(name)


def ok(data: Any = None, **headers: str) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data or []}, headers=headers)


def v2_error(status: int, code: str, message: str, **headers: str) -> httpx.Response:
    body = {"success": False, "error": code, "message": message}
    return httpx.Response(status, json=body, headers=headers)


class FakeApi:
    """Answers ``/auth`` with fresh tokens and everything else from a script (then 200)."""

    def __init__(self, *answers: Answer, ttl: list[float] | None = None, v1: bool = False):
        self.script: list[Answer] = list(answers)
        self.ttl = ttl or [3600.0]
        self.v1 = v1
        self.requests: list[httpx.Request] = []
        self.auths: list[httpx.Request] = []

    def token_body(self) -> dict[str, Any]:
        n = len(self.auths)
        ttl = self.ttl[min(n - 1, len(self.ttl) - 1)]
        body: dict[str, Any] = {"success": True, "token": f"tok-{n}", "expires_in": int(ttl)}
        if not self.v1:
            body["expires_at"] = time.time() + ttl
        return body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            self.auths.append(request)
            return httpx.Response(200, json=self.token_body())
        self.requests.append(request)
        if not self.script:
            return ok()
        answer = self.script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make(
    api: FakeApi, *, retry: RetryPolicy = EXACT, sleeps: Sleeps | None = None, **kw: Any
) -> CloposClient:
    http = httpx.Client(transport=httpx.MockTransport(api))
    settings = {"base_url": BASE, **CREDS, **kw}
    sleep = sleeps if sleeps is not None else Sleeps()
    return CloposClient(http_client=http, retry=retry, sleep=sleep, **settings)


# ------------------------------------------------------------------------------ errors

STATUS_CLASSES = [
    (400, BadRequestError),
    (401, AuthenticationError),
    (403, PermissionDeniedError),
    (404, NotFoundError),
    (409, ConflictError),
    (422, UnprocessableEntityError),
    (429, RateLimitError),
    (500, InternalServerError),
    (502, InternalServerError),
    (503, InternalServerError),
]


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_v2_string_envelope_maps_to_typed_error(status: int, cls: type[APIStatusError]) -> None:
    api = FakeApi(v2_error(status, "some_code", "What went wrong", **{"x-request-id": "r-1"}))
    with make(api, retry=ONCE) as client, pytest.raises(cls) as caught:
        client.get_venues()
    err = caught.value
    assert type(err) is cls
    assert (err.status_code, err.code, err.message) == (status, "some_code", "What went wrong")
    assert err.request_id == "r-1"
    assert err.body == {"success": False, "error": "some_code", "message": "What went wrong"}
    assert err.response.status_code == status
    assert isinstance(err, CloposError)


@pytest.mark.parametrize(("status", "cls"), STATUS_CLASSES)
def test_v1_list_envelope_maps_to_typed_error(status: int, cls: type[APIStatusError]) -> None:
    body = {
        "message": "Customer not found",
        "error": [
            {
                "message": "Customer not found",
                "type": "resource_not_found",
                "exception": "NotFoundHttpException",
                "code": 0,
                "http_code": status,
            }
        ],
    }
    api = FakeApi(httpx.Response(status, json=body))
    client = make(api, retry=ONCE, api_version="v1", venue_id=1)
    with client, pytest.raises(cls) as caught:
        client.get_venues()
    assert caught.value.code == "resource_not_found"
    assert caught.value.message == "Customer not found"
    assert caught.value.request_id is None
    assert caught.value.body == body


def test_non_json_error_body_keeps_text() -> None:
    api = FakeApi(httpx.Response(502, text="<html>Bad gateway</html>"))
    with make(api, retry=ONCE) as client, pytest.raises(InternalServerError) as caught:
        client.get_venues()
    assert caught.value.code is None
    assert caught.value.body == "<html>Bad gateway</html>"
    assert "Bad gateway" in caught.value.message


def test_auth_answering_200_with_success_false_raises_authentication_error() -> None:
    quirk = "Integrator is in test mode. But brand is not in test mode"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": False, "error": quirk, "message": quirk})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = CloposClient(base_url=BASE, http_client=http, **CREDS)
    with client, pytest.raises(AuthenticationError) as caught:
        client.get_venues()
    assert caught.value.code == quirk
    assert caught.value.status_code == 200
    assert client.token is None


def test_missing_credentials_name_the_env_variable_and_send_nothing() -> None:
    api = FakeApi()
    http = httpx.Client(transport=httpx.MockTransport(api))
    client = CloposClient(base_url=BASE, http_client=http, client_id="x", brand="b")
    with pytest.raises(CloposError, match="CLOPOS_CLIENT_SECRET") as caught:
        client.get_venues()
    assert "CLOPOS_INTEGRATOR_ID" in str(caught.value)
    assert api.auths == [] and api.requests == []


# ------------------------------------------------------------------------------ tokens


def test_token_is_obtained_once_and_reused() -> None:
    api = FakeApi()
    with make(api) as client:
        client.get_venues()
        client.get_users()
        client.get_venues()
    assert len(api.auths) == 1
    assert [r.headers["x-token"] for r in api.requests] == ["tok-1"] * 3
    assert orjson.loads(api.auths[0].content) == CREDS


def test_token_is_refreshed_within_60_seconds_of_expiry() -> None:
    # The first token has 30 s left (inside the refresh margin), the second an hour.
    api = FakeApi(ttl=[30, 3600])
    with make(api) as client:
        client.get_venues()
        client.get_venues()
        client.get_venues()
    assert len(api.auths) == 2
    assert [r.headers["x-token"] for r in api.requests] == ["tok-1", "tok-2", "tok-2"]


def test_v1_token_lifetime_comes_from_expires_in() -> None:
    api = FakeApi(v1=True)
    with make(api, api_version="v1", venue_id=1) as client:
        client.get_venues()
        client.get_venues()
    assert len(api.auths) == 1
    assert orjson.loads(api.auths[0].content) == {
        "client_id": "cid",
        "client_secret": "secret",
        "brand": "openapitest",
        "venue_id": "1",
    }
    assert api.auths[0].url == f"{BASE}/open-api/auth"


@pytest.mark.parametrize("code", ["Token expired", "Invalid token"])
def test_stale_token_401_reauths_once_and_retries(code: str) -> None:
    api = FakeApi(v2_error(401, code, "re-authenticate"), ok([{"id": 1, "name": "Main"}]))
    seen: list[AttemptInfo] = []
    sleeps = Sleeps()
    with make(api, sleeps=sleeps, on_attempt=seen.append) as client:
        body = client.get_venues()
    assert [(v.id, v.name) for v in body.data] == [(1, "Main")]
    assert len(api.auths) == 2
    assert [r.headers["x-token"] for r in api.requests] == ["tok-1", "tok-2"]
    assert sleeps == []
    assert [a.status_code for a in seen] == [200, 401, 200, 200]  # auth, call, auth, call


def test_v1_expired_token_401_reauths_once() -> None:
    message = "Invalid or expired token; call POST /open-api/auth again"
    stale = {"message": message, "error": [{"message": message, "type": "unauthorized"}]}
    api = FakeApi(httpx.Response(401, json=stale), v1=True)
    with make(api, api_version="v1", venue_id=1) as client:
        client.get_venues()
    assert len(api.auths) == 2
    assert [r.headers["x-token"] for r in api.requests] == ["tok-1", "tok-2"]


def test_second_stale_token_401_is_raised_not_looped() -> None:
    expired = v2_error(401, "Token expired", "expired")
    api = FakeApi(expired, expired, expired)
    with make(api) as client, pytest.raises(AuthenticationError):
        client.get_venues()
    assert len(api.auths) == 2
    assert len(api.requests) == 2


def test_other_401_is_not_reauthed() -> None:
    api = FakeApi(v2_error(401, "Client is disabled", "disabled"))
    with make(api) as client, pytest.raises(AuthenticationError) as caught:
        client.get_venues()
    assert caught.value.code == "Client is disabled"
    assert len(api.auths) == 1


def test_caller_supplied_token_skips_auth_like_the_old_client() -> None:
    api = FakeApi(ok([{"id": 1, "name": "Main"}]))
    http = httpx.Client(transport=httpx.MockTransport(api))
    # No credentials at all: the old integrify-clopos style passes the token per call.
    with CloposClient(base_url=BASE, http_client=http) as client:
        assert client.get_venues(headers={"x-token": "mine"}).data[0].id == 1
    assert api.auths == []
    assert api.requests[0].headers["x-token"] == "mine"


def test_caller_token_401_is_raised_without_reauth() -> None:
    api = FakeApi(v2_error(401, "Token expired", "expired"))
    with make(api) as client, pytest.raises(AuthenticationError):
        client.get_venues(headers={"x-token": "mine"})
    assert api.auths == []


async def test_fifty_concurrent_async_calls_with_stale_token_auth_exactly_once() -> None:
    auths = 0
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal auths, calls
        if request.url.path.endswith("/auth"):
            auths += 1
            await asyncio.sleep(0.02)  # a slow auth, so the 50 calls pile up behind it
            # The first token is already inside the refresh margin; later ones are fresh.
            ttl = 30 if auths == 1 else 3600
            return httpx.Response(
                200, json={"token": f"tok-{auths}", "expires_at": time.time() + ttl}
            )
        calls += 1
        return ok()

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with AsyncCloposClient(base_url=BASE, http_client=http, **CREDS) as client:
        await client.get_venues()
        assert auths == 1
        await asyncio.gather(*(client.get_venues() for _ in range(50)))
    assert auths == 2
    assert calls == 51
    assert client.token == "tok-2"


# ----------------------------------------------------------------------------- retries


def test_connection_reset_then_success() -> None:
    api = FakeApi(httpx.ConnectError("Connection reset by peer"), ok([{"id": 7, "name": "Pier"}]))
    sleeps = Sleeps()
    seen: list[AttemptInfo] = []
    with make(api, sleeps=sleeps, on_attempt=seen.append) as client:
        assert client.get_venues().data[0].id == 7
    assert len(api.requests) == 2
    assert sleeps == [0.5]
    calls = [a for a in seen if not a.url.endswith("/auth")]
    assert [(a.attempt, a.retry_in) for a in calls] == [(1, 0.5), (2, None)]
    assert isinstance(calls[0].error, APIConnectionError)


def test_timeouts_exhaust_into_api_timeout_error() -> None:
    api = FakeApi(*[httpx.ReadTimeout("slow")] * 4)
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client, pytest.raises(APITimeoutError):
        client.get_venues()
    assert len(api.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_429_honours_retry_after() -> None:
    api = FakeApi(v2_error(429, "rate_limited", "Too many requests", **{"Retry-After": "2"}))
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client:
        client.get_venues()
    assert sleeps == [2.0]
    assert len(api.requests) == 2


def test_429_falls_back_to_ratelimit_reset() -> None:
    api = FakeApi(v2_error(429, "rate_limited", "Too many", **{"RateLimit-Reset": "5"}))
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client:
        client.get_venues()
    assert sleeps == [5.0]


def test_503_backs_off_exponentially_then_succeeds() -> None:
    unavailable = v2_error(503, "unavailable", "later")
    api = FakeApi(unavailable, unavailable, unavailable)
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client:
        client.get_venues()
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(api.requests) == 4


def test_backoff_is_capped_and_attempts_bounded() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=3.0, deadline=60, jitter=0)
    api = FakeApi(*[v2_error(504, "timeout", "upstream")] * 5)
    sleeps = Sleeps()
    with make(api, sleeps=sleeps, retry=policy) as client, pytest.raises(InternalServerError):
        client.get_venues()
    assert sleeps == [1.0, 2.0, 3.0, 3.0]
    assert len(api.requests) == 5


def test_retry_that_would_pass_the_deadline_is_not_attempted() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=0.5, deadline=5.0, jitter=0)
    api = FakeApi(v2_error(429, "rate_limited", "Too many", **{"Retry-After": "10"}))
    sleeps = Sleeps()
    with make(api, sleeps=sleeps, retry=policy) as client, pytest.raises(RateLimitError):
        client.get_venues()
    assert sleeps == []
    assert len(api.requests) == 1


def test_jitter_only_shortens_the_wait() -> None:
    policy = RetryPolicy(base_delay=1.0, jitter=0.5)
    delays = {policy.backoff(1) for _ in range(50)}
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize("status", [400, 404, 409, 500])
def test_non_retryable_statuses_are_raised_at_once(status: int) -> None:
    api = FakeApi(v2_error(status, "x", "y"))
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client, pytest.raises(APIStatusError):
        client.get_venues()
    assert sleeps == []
    assert len(api.requests) == 1


def test_post_without_idempotency_key_is_not_retried() -> None:
    api = FakeApi(v2_error(503, "unavailable", "later"))
    sleeps = Sleeps()
    with make(api, sleeps=sleeps) as client, pytest.raises(InternalServerError):
        client._call(RequestSpec("POST", "receipts/5/close", json={"payment_methods": []}))
    assert sleeps == []
    assert len(api.requests) == 1
    assert "idempotency-key" not in api.requests[0].headers


def test_post_with_caller_key_is_retried_with_that_key() -> None:
    api = FakeApi(httpx.ConnectError("reset"))
    with make(api) as client:
        client._call(RequestSpec("POST", "receipts/5/close", json={}), {"Idempotency-Key": "k-1"})
    assert [r.headers["idempotency-key"] for r in api.requests] == ["k-1", "k-1"]


def test_creating_post_reuses_one_auto_key_on_every_retry() -> None:
    unavailable = v2_error(503, "unavailable", "later")
    api = FakeApi(
        httpx.ConnectError("reset"),
        unavailable,
        ok({"id": 1, "name": "Ann"}),
        ok({"id": 2, "name": "Bob"}),
    )
    with make(api) as client:
        assert client.create_customer(name="Ann").data.id == 1
        assert client.create_customer(name="Bob").data.name == "Bob"
    keys = [r.headers["idempotency-key"] for r in api.requests]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2]
    assert keys[3] != keys[0]
    uuid.UUID(keys[0])  # a real UUID


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_idempotent_writes_are_retried(method: str) -> None:
    api = FakeApi(v2_error(502, "bad_gateway", "later"))
    with make(api) as client:
        client._call(RequestSpec(method, "receipts/5", json={"a": 1}))
    assert [r.method for r in api.requests] == [method, method]


async def test_async_client_retries_with_awaited_sleep() -> None:
    api = FakeApi(v2_error(429, "rate_limited", "slow down", **{"Retry-After": "3"}))
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(api))
    async with AsyncCloposClient(
        base_url=BASE, http_client=http, retry=EXACT, sleep=sleep, **CREDS
    ) as client:
        await client.get_users(page=1)
    assert slept == [3.0]
    assert len(api.requests) == 2


# ------------------------------------------------------------------------- typed answers

RECEIPT_BYTES = (
    b'{"success":true,"data":{"id":5,"cid":"c-5","status":2,"total":30000.50,'
    b'"totalCost":8.10,"new_field":{"x":0.10}},"time":3}'
)


def raw(content: bytes) -> httpx.Response:
    return httpx.Response(200, content=content, headers={"content-type": "application/json"})


def test_answers_are_models_with_exact_decimals_and_unknown_keys_kept() -> None:
    api = FakeApi(raw(RECEIPT_BYTES))
    with make(api) as client:
        resp = client.get_receipt_by_id(5)
        auth = client.auth()
    assert isinstance(resp, ItemResponse) and isinstance(resp.data, Receipt)
    assert str(resp.data.total) == "30000.50"  # not 30000.5: the wire's digits
    assert str(resp.data.total_cost) == "8.10"  # camelCase totalCost, snake_case here
    assert resp.data.model_extra == {"new_field": {"x": Decimal("0.10")}}
    assert resp.time == 3
    # Written back under wire names, with the unknown key and its exact number.
    dumped = resp.model_dump(exclude_unset=True)
    assert dumped["data"]["totalCost"] == Decimal("8.10")
    assert dumped["data"]["new_field"] == {"x": Decimal("0.10")}
    assert isinstance(auth, AuthResponse) and auth.token == "tok-2"


async def test_the_async_client_returns_the_same_models() -> None:
    api = FakeApi(raw(RECEIPT_BYTES), ok([{"id": 1, "name": "Main", "is_main": 1}]))
    http = httpx.AsyncClient(transport=httpx.MockTransport(api))
    async with AsyncCloposClient(base_url=BASE, http_client=http, **CREDS) as client:
        receipt = await client.get_receipt_by_id(5)
        venues = await client.get_venues()
    assert str(receipt.data.total) == "30000.50"
    assert isinstance(venues, ListResponse) and isinstance(venues.data[0], Venue)
    assert venues.data[0].is_main == 1


def test_an_answer_that_does_not_fit_raises_once_with_the_body_kept() -> None:
    api = FakeApi(ok([{"id": "seven", "name": "Main"}]))
    with make(api) as client, pytest.raises(ResponseValidationError) as caught:
        client.get_venues()
    assert caught.value.errors[0].field == "data.0.id"
    assert "data.0.id" in str(caught.value)
    assert caught.value.body["data"] == [{"id": "seven", "name": "Main"}]
    assert isinstance(caught.value, CloposError)
    assert len(api.requests) == 1  # not retried: asking again gets the same answer


def test_bad_bodies_are_refused_before_anything_is_sent() -> None:
    api = FakeApi()
    with make(api) as client:
        with pytest.raises(RequestValidationError) as order:
            client.create_order(
                sale_type_id=2,
                venue_id=1,
                customer={"id": 0, "name": "Walk-in"},
                products=[{"product_id": 11, "count": 0}, {"product_id": True, "count": 1}],
            )
        with pytest.raises(RequestValidationError, match="email") as customer:
            client.create_customer(name="Ann", email="not-an-email")
        with pytest.raises(RequestValidationError) as close:
            client.close_receipt(5, [{"id": 1, "name": "Cash", "amount": "-1"}])
    assert order.value.fields == ("products.0.count", "products.1.product_id")
    assert str(order.value).startswith("create_order: products.0.count: ")
    assert customer.value.fields == ("email",)
    assert close.value.fields == ("payment_methods.0.amount",)
    assert isinstance(order.value, ValueError)  # callers catching ValueError still do
    assert api.auths == [] and api.requests == []


# ------------------------------------------------------------------- URLs, headers, JSON


def test_v2_headers_and_url() -> None:
    api = FakeApi()
    with make(api, base_url=f"{BASE}/") as client:
        client.get_venues(page=2)
    request = api.requests[0]
    assert str(request.url) == f"{BASE}/open-api/v2/venues?page=2"
    assert request.headers["x-token"] == "tok-1"
    assert "x-venue" not in request.headers
    assert "x-brand" not in request.headers
    assert "content-type" not in request.headers  # a GET carries no body
    assert str(api.auths[0].url) == f"{BASE}/open-api/v2/auth"


def test_v2_sends_x_venue_when_configured() -> None:
    api = FakeApi()
    with make(api, venue_id=2) as client:
        client.get_venues()
    assert api.requests[0].headers["x-venue"] == "2"


def test_v1_headers_and_url() -> None:
    api = FakeApi(v1=True)
    with make(api, api_version="v1", venue_id="1") as client:
        client.get_venues()
    request = api.requests[0]
    assert str(request.url) == f"{BASE}/open-api/venues"
    assert request.headers["x-token"] == "tok-1"
    assert request.headers["x-brand"] == "openapitest"
    assert request.headers["x-venue"] == "1"


def test_caller_headers_win_over_defaults() -> None:
    api = FakeApi()
    with make(api, venue_id=1) as client:
        client.get_venues(headers={"X-Venue": "2"})
    assert api.requests[0].headers["x-venue"] == "2"


def test_decimals_go_out_as_exact_json_numbers() -> None:
    api = FakeApi()
    body = {"price": Decimal("8.50"), "qty": Decimal("1.000"), "name": "Tea"}
    with make(api) as client:
        client._call(RequestSpec("POST", "customers", json=body, creates=True))
    request = api.requests[0]
    assert request.content == b'{"price":8.50,"qty":1.000,"name":"Tea"}'
    assert request.headers["content-type"] == "application/json"


def test_settings_come_from_env_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeApi(v1=True)
    monkeypatch.setenv("CLOPOS_CLIENT_ID", "env-id")
    monkeypatch.setenv("CLOPOS_CLIENT_SECRET", "env-secret")
    monkeypatch.setenv("CLOPOS_BRAND", "envbrand")
    monkeypatch.setenv("CLOPOS_VENUE_ID", "9")
    monkeypatch.setenv("CLOPOS_API_VERSION", "v1")
    monkeypatch.setenv("CLOPOS_BASE_URL", "http://env.test")
    http = httpx.Client(transport=httpx.MockTransport(api))
    with CloposClient(http_client=http) as client:
        client.get_venues()
    assert str(api.auths[0].url) == "http://env.test/open-api/auth"
    assert orjson.loads(api.auths[0].content)["client_id"] == "env-id"
    assert api.requests[0].headers["x-brand"] == "envbrand"
    assert api.requests[0].headers["x-venue"] == "9"
    assert client.settings.timeout == 30.0


def test_bad_api_version_env_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOPOS_API_VERSION", "v3")
    with pytest.raises(CloposError, match="v1 or v2"):
        CloposClient()


def test_own_http_client_gets_timeout_and_is_closed_but_injected_one_is_not() -> None:
    with CloposClient(timeout=5) as client:
        own = client._http
        assert own.timeout.read == 5
    assert own.is_closed
    injected = httpx.Client(transport=httpx.MockTransport(FakeApi()))
    with CloposClient(http_client=injected):
        pass
    assert not injected.is_closed
    injected.close()


def test_every_builder_has_a_sync_and_async_method() -> None:
    import inspect

    from clopos.client import _endpoints

    builders = {
        name
        for name, fn in inspect.getmembers(_endpoints, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == _endpoints.__name__
    }
    for name in builders:
        assert callable(getattr(CloposClient, name)), name
        assert inspect.iscoroutinefunction(getattr(AsyncCloposClient, name)), name


def test_spec_built_request_matches_builder() -> None:
    api = FakeApi()
    with make(api) as client:
        client._call(get_venues(page=1, limit=5))
    assert api.requests[0].url.params.multi_items() == [("page", "1"), ("limit", "5")]


# --------------------------------------------------------------- integrify-clopos aliases


class _DictStore:
    """A token store shared by two clients, as a file or Redis store would be by processes."""

    def __init__(self) -> None:
        self.tokens: dict[str, TokenState] = {}
        self.saves = 0

    def load(self, key: str) -> TokenState | None:
        return self.tokens.get(key)

    def save(self, key: str, state: TokenState) -> None:
        self.saves += 1
        self.tokens[key] = state


def test_token_store_lets_two_clients_share_one_auth() -> None:
    auths: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            auths.append(request)
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "token": "shared-token",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "expires_at": int(time.time()) + 3600,
                },
            )
        assert request.headers["x-token"] == "shared-token"
        return httpx.Response(200, json={"success": True, "data": []})

    store = _DictStore()
    settings = {
        "base_url": "http://clopos.test",
        "client_id": "c",
        "client_secret": "s",
        "brand": "b",
        "integrator_id": "i",
    }
    first = CloposClient(
        **settings,
        token_store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    second = CloposClient(
        **settings,
        token_store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    first.get_venues()
    second.get_venues()
    assert len(auths) == 1
    assert store.saves == 1
    # A stale shared token is not used: the next client authenticates and stores a new one.
    (key,) = store.tokens
    store.tokens[key] = TokenState("old", time.time() + 10)
    third = CloposClient(
        **settings,
        token_store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    third.get_venues()
    assert len(auths) == 2
    assert store.tokens[key].token == "shared-token"


def test_a_refused_token_in_the_store_is_replaced_not_reloaded() -> None:
    # Another process saved a token the server has since revoked; the client must
    # re-authenticate once and share the new token, not reload the refused one forever.
    auths: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            auths.append(request)
            return httpx.Response(
                200,
                json={
                    "success": True,
                    "token": "fresh-token",
                    "expires_at": int(time.time()) + 3600,
                },
            )
        if request.headers["x-token"] != "fresh-token":
            return httpx.Response(401, json={"success": False, "error": "Token expired"})
        return httpx.Response(200, json={"success": True, "data": []})

    store = _DictStore()
    client = CloposClient(
        base_url="http://clopos.test",
        client_id="c",
        client_secret="s",
        brand="b",
        integrator_id="i",
        token_store=store,
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    store.tokens[client._token_key] = TokenState("revoked-token", time.time() + 3600)
    client.get_venues()
    assert len(auths) == 1
    assert store.tokens[client._token_key].token == "fresh-token"
