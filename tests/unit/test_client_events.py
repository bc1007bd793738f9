"""The SDK's event feed and webhook methods on the wire (httpx.MockTransport).

Every method of both clients, on both API versions, sends exactly the documented method,
path, query and body (docs/events.md); bad arguments are refused before anything is sent;
a long poll's ``wait`` lengthens that request's read timeout; ``iter_events`` follows
``next_after`` (and with ``follow=True`` keeps long-polling); answers parse into the typed
models with money exact and the webhook secret kept out of ``repr``.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from clopos.client import (
    AsyncCloposClient,
    CloposClient,
    ConflictError,
    InternalServerError,
    NotFoundError,
    RequestValidationError,
    RetryPolicy,
)
from clopos.models import (
    Event,
    EventPage,
    Order,
    Webhook,
    WebhookDeleted,
    WebhookDeliveryDetail,
)

BASE = "http://clopos.test"
CREDS: dict[str, Any] = {
    "client_id": "cid",
    "client_secret": "secret",
    "brand": "openapitest",
    "integrator_id": "integ",
    "venue_id": 1,
}
ROOTS = {"v2": "/open-api/v2", "v1": "/open-api"}
FAST = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, jitter=0.0)

ORDER = {
    "id": 7,
    "venue_id": 1,
    "status": "PENDING",
    "total_amount": 17.00,
    "payload": {"products": [{"product_id": 11, "count": 2, "price": 8.50}]},
}
HOOK = {
    "id": 3,
    "url": "https://example.com/hooks",
    "types": ["order.*"],
    "description": None,
    "enabled": True,
    "created_at": "2026-11-26T15:06:23.316526Z",
    "updated_at": "2026-11-26T15:06:23.316526Z",
}
DELIVERY = {
    "id": 9,
    "endpoint_id": 3,
    "event_id": 41,
    "event_type": "order.created",
    "status": "delivered",
    "attempts": 1,
    "next_attempt_at": None,
    "last_attempt_at": "2026-11-26T15:06:24.000000Z",
    "last_status_code": 200,
    "last_error": None,
    "delivered_at": "2026-11-26T15:06:24.000000Z",
    "created_at": "2026-11-26T15:06:23.316526Z",
}


def event(id: int, type: str = "order.created", data: Any = None) -> dict[str, Any]:
    return {
        "id": id,
        "type": type,
        "brand": "openapitest",
        "venue_id": 1,
        "occurred_at": "2026-11-26T15:06:23.316526Z",
        "data": data if data is not None else {**ORDER, "id": id},
    }


def feed(ids: list[int], next_after: int, has_more: bool = False) -> httpx.Response:
    body = {
        "success": True,
        "data": [event(i) for i in ids],
        "next_after": next_after,
        "has_more": has_more,
    }
    return httpx.Response(200, json=body)


def ok(data: Any, **extra: Any) -> httpx.Response:
    return httpx.Response(200, json={"success": True, "data": data, **extra})


@pytest.fixture(autouse=True)
def _no_clopos_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's CLOPOS_* variables must not leak into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("CLOPOS_"):
            monkeypatch.delenv(name)


Answer = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeApi:
    """Answers ``/auth`` with a token and everything else from a script (then 200 ``[]``);
    records every other request with the timeout httpx would apply to it."""

    def __init__(self, *answers: Answer) -> None:
        self.script = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            body = {"success": True, "token": "tok", "expires_in": 3600}
            return httpx.Response(200, json={**body, "expires_at": time.time() + 3600})
        self.requests.append(request)
        if not self.script:
            return ok([])
        answer = self.script.pop(0)
        return answer if isinstance(answer, httpx.Response) else answer(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def sync_client(api: FakeApi, version: str = "v2", **http: Any) -> CloposClient:
    transport = httpx.Client(transport=httpx.MockTransport(api), **http)
    return CloposClient(
        base_url=BASE, api_version=version, http_client=transport, retry=FAST, **CREDS
    )


def async_client(api: FakeApi, version: str = "v2", **http: Any) -> AsyncCloposClient:
    transport = httpx.AsyncClient(transport=httpx.MockTransport(api), **http)
    return AsyncCloposClient(
        base_url=BASE, api_version=version, http_client=transport, retry=FAST, **CREDS
    )


def wire(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]], Any]:
    """Method, path, query items (in order) and the JSON body (None when empty)."""
    body = json.loads(request.content) if request.content else None
    return request.method, request.url.path, request.url.params.multi_items(), body


# --- exact requests, every method, both versions, both clients -------------------------------

# (method name, args, kwargs, expected method, path after the root, query, body, answer data)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], str, str, list[Any], Any, Any]] = [
    ("get_events", (), {}, "GET", "events", [], None, []),
    (
        "get_events",
        (),
        {"after": 41, "types": ["order.*", "receipt.closed"], "limit": 50, "wait": 5, "page": 2},
        "GET",
        "events",
        [
            ("after", "41"),
            ("types", "order.*,receipt.closed"),
            ("page", "2"),
            ("limit", "50"),
            ("wait", "5"),
        ],
        None,
        [],
    ),
    (
        "get_events",
        (),
        {"after": "latest", "types": "order.created, customer.*"},
        "GET",
        "events",
        [("after", "latest"), ("types", "order.created,customer.*")],
        None,
        [],
    ),
    ("get_events", (), {"after": 0}, "GET", "events", [("after", "0")], None, []),
    ("get_webhooks", (), {}, "GET", "webhooks", [], None, [HOOK]),
    (
        "get_webhooks",
        (),
        {"page": 2, "limit": 10},
        "GET",
        "webhooks",
        [("page", "2"), ("limit", "10")],
        None,
        [HOOK],
    ),
    ("get_webhook_by_id", (3,), {}, "GET", "webhooks/3", [], None, HOOK),
    (
        "create_webhook",
        ("https://example.com/hooks",),
        {},
        "POST",
        "webhooks",
        [],
        {"url": "https://example.com/hooks"},
        HOOK,
    ),
    (
        "create_webhook",
        ("https://example.com/hooks",),
        {"types": "order.*,receipt.closed", "description": "kitchen", "enabled": False},
        "POST",
        "webhooks",
        [],
        {
            "url": "https://example.com/hooks",
            "types": ["order.*", "receipt.closed"],
            "description": "kitchen",
            "enabled": False,
        },
        HOOK,
    ),
    (
        "update_webhook",
        (3,),
        {"enabled": False},
        "PATCH",
        "webhooks/3",
        [],
        {"enabled": False},
        HOOK,
    ),
    (
        "update_webhook",
        (3,),
        {"url": "http://10.0.0.5:8080/in", "types": ["*"], "description": ""},
        "PATCH",
        "webhooks/3",
        [],
        {"url": "http://10.0.0.5:8080/in", "types": ["*"], "description": ""},
        HOOK,
    ),
    ("delete_webhook", (3,), {}, "DELETE", "webhooks/3", [], None, {"id": 3, "deleted": True}),
    (
        "rotate_webhook_secret",
        (3,),
        {},
        "POST",
        "webhooks/3/rotate-secret",
        [],
        None,
        {**HOOK, "secret": "whsec_new"},
    ),
    (
        "get_webhook_deliveries",
        (3,),
        {},
        "GET",
        "webhooks/3/deliveries",
        [],
        None,
        [DELIVERY],
    ),
    (
        "get_webhook_deliveries",
        (3,),
        {"status": "failed", "page": 1, "limit": 20},
        "GET",
        "webhooks/3/deliveries",
        [("status", "failed"), ("page", "1"), ("limit", "20")],
        None,
        [DELIVERY],
    ),
    (
        "get_webhook_delivery_by_id",
        (3, 9),
        {},
        "GET",
        "webhooks/3/deliveries/9",
        [],
        None,
        {**DELIVERY, "attempt_log": [], "event": event(41)},
    ),
    (
        "redeliver_webhook_delivery",
        (3, 9),
        {},
        "POST",
        "webhooks/3/deliveries/9/redeliver",
        [],
        None,
        {**DELIVERY, "status": "pending", "attempt_log": [], "event": event(41)},
    ),
]


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize(
    ("name", "args", "kwargs", "method", "path", "query", "body", "data"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_each_method_sends_exactly_the_documented_request(
    version: str,
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    method: str,
    path: str,
    query: list[Any],
    body: Any,
    data: Any,
) -> None:
    api = FakeApi(ok(data, next_after=0, has_more=False), ok(data, next_after=0, has_more=False))
    with sync_client(api, version) as clopos:
        getattr(clopos, name)(*args, **kwargs)

    async def run_async() -> None:
        async with async_client(api, version) as aclopos:
            await getattr(aclopos, name)(*args, **kwargs)

    asyncio.run(run_async())
    sync_request, async_request = api.requests
    for request in (sync_request, async_request):
        assert wire(request) == (method, f"{ROOTS[version]}/{path}", query, body)
        assert request.headers["x-token"] == "tok"
        assert request.headers["x-venue"] == "1"
        assert (request.headers.get("x-brand") == "openapitest") == (version == "v1")
        # No method here is a create the server de-duplicates: no Idempotency-Key.
        assert "idempotency-key" not in request.headers
        if body is not None:
            assert request.headers["content-type"] == "application/json"


# --- typed answers ----------------------------------------------------------------------------


def test_answers_parse_into_typed_models_with_exact_money() -> None:
    api = FakeApi(
        httpx.Response(
            200,
            content=b'{"success": true, "data": [{"id": 41, "type": "order.created", '
            b'"brand": "openapitest", "venue_id": 1, "occurred_at": "2026-11-26T15:06:23Z", '
            b'"data": {"id": 7, "status": "PENDING", "total_amount": 17.00, "x_new": 8.50}}], '
            b'"next_after": 41, "has_more": true, "time": 3}',
        ),
        ok({**HOOK, "secret": "whsec_abcdef"}, message="Webhook created"),
        ok({"id": 3, "deleted": True}, message="Webhook deleted"),
        ok(
            {
                **DELIVERY,
                "attempt_log": [{"number": 1, "status_code": 200, "response_body": "ok"}],
                "event": event(41),
            }
        ),
    )
    with sync_client(api) as clopos:
        page = clopos.get_events(after=40)
        assert isinstance(page, EventPage)
        assert (page.next_after, page.has_more, page.time) == (41, True, 3)
        (first,) = page.data
        assert isinstance(first, Event) and first.resource == "order"
        assert first.data["total_amount"] == Decimal("17.00")
        assert str(first.data["x_new"]) == "8.50"  # exact digits under keys no model knows
        order = first.data_as(Order)
        assert (order.id, order.status, str(order.total_amount)) == (7, "PENDING", "17.00")

        created = clopos.create_webhook("https://example.com/hooks")
        assert isinstance(created.data, Webhook) and created.message == "Webhook created"
        assert created.data.secret == "whsec_abcdef"
        assert "whsec" not in repr(created) and "whsec" not in str(created.data)

        deleted = clopos.delete_webhook(3).data
        assert isinstance(deleted, WebhookDeleted) and deleted.deleted is True

        detail = clopos.get_webhook_delivery_by_id(3, 9).data
        assert isinstance(detail, WebhookDeliveryDetail)
        assert detail.attempt_log is not None and detail.attempt_log[0].response_body == "ok"
        assert detail.event is not None and detail.event.id == 41


# --- long polls and timeouts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("timeout", "wait", "read"),
    [
        (httpx.Timeout(30.0), None, 30.0),
        (httpx.Timeout(30.0), 0, 30.0),
        (httpx.Timeout(30.0), 25, 55.0),
        (httpx.Timeout(10.0, read=4.0), 5, 9.0),
        (httpx.Timeout(None), 25, None),
    ],
)
def test_a_long_poll_extends_only_its_own_read_timeout(
    timeout: httpx.Timeout, wait: int | None, read: float | None
) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return ok([], next_after=0, has_more=False)

    api = FakeApi(answer, answer, answer)
    with sync_client(api, timeout=timeout) as clopos:
        clopos.get_events(wait=wait)
        clopos.get_webhooks()  # the next call is back to the configured timeout

    async def run_async() -> None:
        async with async_client(api, timeout=timeout) as aclopos:
            await aclopos.get_events(wait=wait)

    asyncio.run(run_async())
    long_poll, plain, async_long_poll = seen
    assert long_poll["read"] == read and async_long_poll["read"] == read
    assert long_poll["connect"] == timeout.connect  # only the read side waits
    assert plain == timeout.as_dict()


def test_the_client_timeout_setting_is_the_base_of_the_extension() -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.extensions["timeout"]))
        return ok([], next_after=0, has_more=False)

    # The client's own httpx client (built from ``timeout=``), with the transport swapped.
    clopos = CloposClient(base_url=BASE, timeout=7.0, retry=FAST, **CREDS)
    clopos._http._transport = httpx.MockTransport(FakeApi(answer))
    with clopos:
        clopos.get_events(after="latest", wait=20)
    assert seen[0]["read"] == 27.0


# --- iter_events --------------------------------------------------------------------------------


def after_values(api: FakeApi) -> list[str | None]:
    return [r.url.params.get("after") for r in api.requests]


def test_iter_events_follows_next_after_until_nothing_more() -> None:
    api = FakeApi(feed([1, 2], 2, has_more=True), feed([3], 3, has_more=False))
    with sync_client(api) as clopos:
        events = list(clopos.iter_events(types="order.*", limit=2))
    assert [e.id for e in events] == [1, 2, 3]
    assert after_values(api) == [None, "2"]
    assert all(r.url.params["types"] == "order.*" for r in api.requests)
    assert all(r.url.params["limit"] == "2" for r in api.requests)
    assert all("wait" not in r.url.params for r in api.requests)


def test_iter_events_stops_on_an_empty_page_and_is_lazy() -> None:
    api = FakeApi(feed([], 9, has_more=False))
    with sync_client(api) as clopos:
        iterator = clopos.iter_events(after=9)
        assert api.requests == []  # nothing is sent before the first next()
        assert list(iterator) == []
    assert after_values(api) == ["9"]


def test_iter_events_follow_keeps_long_polling_past_empty_answers() -> None:
    api = FakeApi(
        feed([5], 5, has_more=False),
        feed([], 5, has_more=False),  # the long poll ran out with nothing new
        feed([], 5, has_more=False),
        feed([6, 7], 7, has_more=True),
        feed([8], 8, has_more=False),
    )
    seen: list[int] = []
    with sync_client(api) as clopos:
        for item in clopos.iter_events(after=4, follow=True):
            seen.append(item.id)
            if item.id == 8:
                break
    assert seen == [5, 6, 7, 8]
    assert after_values(api) == ["4", "5", "5", "5", "7"]
    assert {r.url.params["wait"] for r in api.requests} == {"25"}  # the default


def test_iter_events_follow_from_latest_with_a_given_wait() -> None:
    api = FakeApi(feed([], 30), feed([31], 31))
    with sync_client(api) as clopos:
        first = next(iter(clopos.iter_events(after="latest", wait=3, follow=True)))
    assert first.id == 31
    assert after_values(api) == ["latest", "30"]
    assert [r.url.params["wait"] for r in api.requests] == ["3", "3"]


def test_follow_without_a_long_poll_is_refused_before_sending() -> None:
    api = FakeApi()
    with sync_client(api) as clopos, pytest.raises(RequestValidationError) as caught:
        clopos.iter_events(follow=True, wait=0)
    assert caught.value.fields == ("wait",) and "at least 1 second" in str(caught.value)
    assert api.requests == []


def test_async_iter_events_follows_and_follows_forever() -> None:
    api = FakeApi(
        feed([1], 1, has_more=True),
        feed([2], 2, has_more=False),
        feed([], 2),
        feed([3], 3),
    )

    async def run() -> tuple[list[int], list[int]]:
        async with async_client(api) as aclopos:
            once = [e.id async for e in aclopos.iter_events()]
            followed: list[int] = []
            async for item in aclopos.iter_events(after=2, follow=True, wait=2):
                followed.append(item.id)
                break
            return once, followed

    once, followed = asyncio.run(run())
    assert (once, followed) == ([1, 2], [3])
    assert after_values(api) == [None, "1", "2", "2"]
    assert [r.url.params.get("wait") for r in api.requests] == [None, None, "2", "2"]


# --- paging over webhooks and deliveries --------------------------------------------------------


def test_webhooks_and_deliveries_page_like_every_list() -> None:
    hooks = [{**HOOK, "id": i} for i in (1, 2, 3)]
    lines = [{**DELIVERY, "id": i} for i in (9, 8, 7)]
    api = FakeApi(
        ok(hooks[:2], total=3),
        ok(hooks[2:], total=3),
        ok(lines[:2], total=3),
        ok(lines[2:], total=3),
        ok(lines[:2], total=3),
        ok(lines[2:], total=3),
    )
    with sync_client(api) as clopos:
        assert [h.id for h in clopos.iter_webhooks(limit=2)] == [1, 2, 3]
        found = clopos.iter_webhook_deliveries(3, limit=2, status="delivered")
        assert [d.id for d in found] == [9, 8, 7]

    async def run() -> list[int]:
        async with async_client(api) as aclopos:
            got = await aclopos.fetch_all("get_webhook_deliveries", webhook_id=3, limit=2)
            return [d.id for d in got]

    assert asyncio.run(run()) == [9, 8, 7]
    assert [(r.url.path, r.url.params.get("page")) for r in api.requests] == [
        ("/open-api/v2/webhooks", "1"),
        ("/open-api/v2/webhooks", "2"),
        ("/open-api/v2/webhooks/3/deliveries", "1"),
        ("/open-api/v2/webhooks/3/deliveries", "2"),
        ("/open-api/v2/webhooks/3/deliveries", "1"),
        ("/open-api/v2/webhooks/3/deliveries", "2"),
    ]
    assert api.requests[2].url.params["status"] == "delivered"


# --- refusals before sending --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "field", "words"),
    [
        ("get_events", (), {"after": -1}, "after", "an integer >= 0) or 'latest'"),
        ("get_events", (), {"after": True}, "after", "or 'latest'"),
        ("get_events", (), {"after": "soon"}, "after", "or 'latest'"),
        ("get_events", (), {"types": []}, "types", "must name event types"),
        ("get_events", (), {"types": "order.*,,receipt.closed"}, "types", "no empty entry"),
        ("get_events", (), {"types": [3]}, "types", "must be event types"),
        ("get_events", (), {"wait": -1}, "wait", "whole seconds"),
        ("get_events", (), {"wait": 2.5}, "wait", "whole seconds"),
        ("get_events", (), {"limit": 0}, "limit", "at least 1"),
        ("get_webhook_by_id", (0,), {}, "id", "at least 1"),
        ("create_webhook", ("",), {}, "url", "must not be empty"),
        ("create_webhook", ("ftp://example.com/x",), {}, "url", "http:// or https://"),
        ("create_webhook", ("example.com/hooks",), {}, "url", "http:// or https://"),
        ("create_webhook", ("https://x.io",), {"types": []}, "types", "must name event types"),
        ("create_webhook", ("https://x.io",), {"enabled": "yes"}, "enabled", "boolean"),
        ("create_webhook", ("https://x.io",), {"description": "x" * 501}, "description", "500"),
        ("update_webhook", (3,), {}, "body", "at least one of url, types"),
        ("update_webhook", (3,), {"url": "mailto:a@b.c"}, "url", "http:// or https://"),
        ("get_webhook_deliveries", (3,), {"status": "lost"}, "status", "pending, delivered"),
        ("get_webhook_delivery_by_id", (3, "  "), {}, "delivery_id", "must not be empty"),
        ("redeliver_webhook_delivery", (-3, 9), {}, "webhook_id", "at least 1"),
    ],
)
def test_bad_arguments_are_refused_naming_the_field(
    name: str, args: tuple[Any, ...], kwargs: dict[str, Any], field: str, words: str
) -> None:
    api = FakeApi()
    with sync_client(api) as clopos, pytest.raises(RequestValidationError) as caught:
        getattr(clopos, name)(*args, **kwargs)
    assert field in caught.value.fields, caught.value.fields
    assert words in str(caught.value)
    assert api.requests == []


# --- errors and retries -------------------------------------------------------------------------


def v2_error(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error": code, "message": message})


def test_a_server_without_the_feed_raises_not_found() -> None:
    api = FakeApi(v2_error(404, "resource_not_found", "Not Found"))
    with sync_client(api) as clopos, pytest.raises(NotFoundError) as caught:
        clopos.get_events(after="latest")
    assert caught.value.status_code == 404


def test_reads_are_retried_but_webhook_posts_are_not() -> None:
    unavailable = v2_error(503, "service_unavailable", "try later")
    api = FakeApi(unavailable, feed([1], 1))
    with sync_client(api) as clopos:
        assert [e.id for e in clopos.get_events().data] == [1]
    assert len(api.requests) == 2  # the GET went out again

    for call in (
        lambda c: c.create_webhook("https://example.com/hooks"),
        lambda c: c.rotate_webhook_secret(3),
        lambda c: c.redeliver_webhook_delivery(3, 9),
    ):
        api = FakeApi(unavailable, ok(HOOK))
        with sync_client(api) as clopos, pytest.raises(InternalServerError):
            call(clopos)
        assert len(api.requests) == 1  # a retry could add a second endpoint or delivery


def test_a_redelivery_in_flight_is_a_conflict() -> None:
    api = FakeApi(v2_error(409, "conflict", "this delivery is being sent right now"))
    with sync_client(api) as clopos, pytest.raises(ConflictError) as caught:
        clopos.redeliver_webhook_delivery(3, 9)
    assert "being sent" in caught.value.message


# --- the two clients are twins --------------------------------------------------------------

NEW_METHODS = [
    "get_events",
    "iter_events",
    "get_webhooks",
    "iter_webhooks",
    "get_webhook_by_id",
    "create_webhook",
    "update_webhook",
    "delete_webhook",
    "rotate_webhook_secret",
    "get_webhook_deliveries",
    "iter_webhook_deliveries",
    "get_webhook_delivery_by_id",
    "redeliver_webhook_delivery",
]


@pytest.mark.parametrize("name", NEW_METHODS)
def test_both_clients_have_the_method_with_the_same_signature(name: str) -> None:
    sync_method = getattr(CloposClient, name)
    async_method = getattr(AsyncCloposClient, name)
    assert inspect.signature(sync_method).parameters == inspect.signature(async_method).parameters
    assert sync_method.__doc__ and async_method.__doc__
    # Calls are awaited on the async client; iterators are ``async for`` iterators.
    assert inspect.iscoroutinefunction(async_method) != name.startswith("iter_")
