"""The unified POS API end to end: real server processes, real HTTP, the whole order life.

Two processes share one database file:

* the **upstream**, ``clopos serve --seed-demo`` — the Clopos Open API, the till
  (``/sandbox``) and its own ``/pos`` (the demo consumer's upstream is ``"self"``: this same
  server, called in-process);
* the **standalone** unified server, ``clopos unified serve --upstream URL`` — only ``/pos``,
  calling the upstream over HTTP.

Every test that walks an order runs against both fronts. What is checked is what an app
built for Apideck sees: status codes (201 on create and pay), ``content-type``, the
envelopes of unified-pos.md §3/§4 and the state after each step; the till's side is played
through ``/sandbox`` exactly as a clerk would.

Demo data relied on (src/clopos/server/demo.py): app ``demo-app`` / key ``demo-unified-key``
/ consumer ``demo-consumer`` → brand ``openapitest`` (v2, venue 1); customer 1; product
"Margherita" (8.50 AZN); venues 1 and 2; a cash payment method.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import _pg_exec, _pg_url, postgres_unreachable
from e2e import conftest as e2e_conftest
from e2e.conftest import ServerProcess, free_port

pytestmark = pytest.mark.e2e

TILL_TOKEN = "unified-e2e-till-token"
BRAND = "openapitest"
DEMO = {
    "Authorization": "Bearer demo-unified-key",
    "x-apideck-app-id": "demo-app",
    "x-apideck-consumer-id": "demo-consumer",
}
IDENTITY = {"merchant_id": BRAND, "location_id": "1"}
REF = "https://developers.apideck.com/errors#"
TIMEOUT = 30.0


# --- processes ------------------------------------------------------------------------------


class Upstream(ServerProcess):
    """``clopos serve --seed-demo`` with the till (and the admin routes) switched on."""

    def __init__(self, database_url: str, log_dir: Path) -> None:
        # One unified call makes several Clopos calls; these tests make hundreds a minute.
        extra = {"CLOPOS_ADMIN_TOKEN": TILL_TOKEN, "CLOPOS_RATE_LIMIT_TENANT_PER_MINUTE": "100000"}
        super().__init__(database_url, log_dir, extra)


class Standalone(ServerProcess):
    """``clopos unified serve --upstream URL`` on the upstream's database."""

    def __init__(self, database_url: str, log_dir: Path, upstream_url: str) -> None:
        super().__init__(database_url, log_dir)
        self.upstream_url = upstream_url

    def start(self) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"unified-{self.starts}.log"
        command = [
            str(e2e_conftest.CLOPOS),
            "unified",
            "serve",
            "--upstream",
            self.upstream_url,
            "--port",
            str(self.port),
        ]
        env = {**e2e_conftest.server_env(self.database_url), "CLOPOS_ADMIN_TOKEN": TILL_TOKEN}
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        self._wait_healthy()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty database both processes share (``serve --seed-demo`` migrates and seeds it)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('unified-db') / 'clopos.db'}"
        return
    problem = postgres_unreachable()
    if problem:
        pytest.skip(problem)
    name = f"clopos_unified_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def servers(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Upstream, Standalone]]:
    root = tmp_path_factory.mktemp("unified-live")
    upstream = Upstream(database, root)
    upstream.start()
    standalone = Standalone(database, root, upstream.base_url)
    try:
        standalone.start()
        yield upstream, standalone
    finally:
        for process in (standalone, upstream):
            if process.process is not None:
                process.stop()  # graceful: "Application shutdown complete", no traceback


@pytest.fixture(scope="module")
def till(servers: tuple[Upstream, Standalone]) -> Iterator[httpx.Client]:
    """The clerk at the till (``/sandbox`` of the upstream)."""
    with httpx.Client(
        base_url=f"{servers[0].base_url}/sandbox/brands/{BRAND}",
        headers={"Authorization": f"Bearer {TILL_TOKEN}"},
        timeout=TIMEOUT,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def admin(servers: tuple[Upstream, Standalone]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=f"{servers[0].base_url}/pos/admin",
        headers={"Authorization": f"Bearer {TILL_TOKEN}"},
        timeout=TIMEOUT,
    ) as client:
        yield client


class Pos:
    """An app calling ``/pos``: every answer must be JSON, errors included (spec §10)."""

    def __init__(self, client: httpx.Client) -> None:
        self.http = client

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response

    def ok(self, method: str, path: str, status: int = 200, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        assert body["status_code"] == status
        assert body["service"] == "clopos"
        return body

    def fails(
        self, method: str, path: str, status: int, type_name: str, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        assert body["status_code"] == status
        assert body["type_name"] == type_name, body
        assert body["ref"] == REF + type_name.lower()
        assert isinstance(body["message"], str) and body["message"]
        assert isinstance(body["error"], str) and body["error"]
        return body


@pytest.fixture(scope="module", params=["in-process", "standalone"])
def pos(request: pytest.FixtureRequest, servers: tuple[Upstream, Standalone]) -> Iterator[Pos]:
    """The demo consumer through the upstream's own ``/pos`` or the standalone server."""
    base = servers[0].base_url if request.param == "in-process" else servers[1].base_url
    with httpx.Client(base_url=base, headers=DEMO, timeout=TIMEOUT) as client:
        yield Pos(client)


def new_order_body(**extra: Any) -> dict[str, Any]:
    return {
        **IDENTITY,
        "customer_id": "1",
        "note": "no onions",
        "line_items": [{"name": "Margherita", "quantity": 2, "item": {}}],
        **extra,
    }


def create(pos: Pos, **extra: Any) -> str:
    body = pos.ok("POST", "/pos/orders", 201, json=new_order_body(**extra))
    assert (body["resource"], body["operation"], body["status"]) == ("orders", "add", "Created")
    order_id: str = body["data"]["id"]
    return order_id


def get(pos: Pos, order_id: str) -> dict[str, Any]:
    body = pos.ok("GET", f"/pos/orders/{order_id}")
    assert (body["resource"], body["operation"]) == ("orders", "one")
    order: dict[str, Any] = body["data"]
    return order


# --- the order's life -----------------------------------------------------------------------


def test_order_lifecycle(pos: Pos, till: httpx.Client) -> None:
    key = f"life-{uuid.uuid4().hex[:12]}"
    order_id = create(pos, idempotency_key=key)

    # A retried create (same key, same body) makes nothing new; another body is a conflict.
    again = pos.ok("POST", "/pos/orders", 201, json=new_order_body(idempotency_key=key))
    assert again["data"] == {"id": order_id}
    pos.fails(
        "POST",
        "/pos/orders",
        409,
        "ConflictError",
        json=new_order_body(idempotency_key=key, note="extra cheese"),
    )

    placed = get(pos, order_id)
    assert placed["status"] == "open" and placed["payment_status"] == "open"
    assert placed["fulfillments"][0]["status"] == "proposed"
    assert placed["merchant_id"] == BRAND and placed["location_id"] == "1"
    assert placed["note"] == "no onions"
    line = placed["line_items"][0]
    assert (line["name"], line["item"], line["quantity"]) == ("Margherita", {"id": "11"}, 2)
    assert placed["total_amount"] == 1700  # 2 × 8.50 AZN in minor units

    # Nothing to pay yet and no receipt to write on: the POS has not accepted the order.
    pay_body = {**IDENTITY, "tenders": [{"type": "cash", "amount": 1700}]}
    pos.fails("POST", f"/pos/orders/{order_id}/pay", 422, "InvalidStateError", json=pay_body)

    accepted = till.post(f"/orders/{order_id}/accept")
    assert accepted.status_code == 200, accepted.text
    opened = get(pos, order_id)
    assert opened["fulfillments"][0]["status"] == "reserved"
    assert opened["version"] != placed["version"]

    # PATCH: a stale version is a conflict, an unstorable change a 422, a real one sticks.
    stale = {**IDENTITY, "order_number": "A7", "version": placed["version"]}
    pos.fails("PATCH", f"/pos/orders/{order_id}", 409, "ConflictError", json=stale)
    unstorable = {**IDENTITY, "table": "12"}
    refused = pos.fails(
        "PATCH", f"/pos/orders/{order_id}", 422, "InvalidStateError", json=unstorable
    )
    assert "table" in refused["message"]
    change = {
        **IDENTITY,
        "version": opened["version"],
        "order_number": "A7",
        "fulfillments": [{"status": "prepared"}],
    }
    updated = pos.ok("PATCH", f"/pos/orders/{order_id}", json=change)
    assert (updated["operation"], updated["data"]) == ("update", {"id": order_id})
    ready = get(pos, order_id)
    assert ready["order_number"] == "A7"
    assert ready["fulfillments"][0]["status"] == "prepared"

    # Pay: less than the total is refused; the exact total closes the receipt (201).
    short = {**IDENTITY, "tenders": [{"type": "cash", "amount": 100}]}
    pos.fails("POST", f"/pos/orders/{order_id}/pay", 422, "InvalidStateError", json=short)
    paid = pos.ok("POST", f"/pos/orders/{order_id}/pay", 201, json=pay_body)
    assert (paid["operation"], paid["status"], paid["data"]) == ("pay", "Created", {"id": order_id})
    settled = get(pos, order_id)
    assert settled["payment_status"] == "paid"
    assert settled["tenders"][0]["type"] == "cash"
    assert settled["tenders"][0]["amount"] == 1700
    pos.fails("POST", f"/pos/orders/{order_id}/pay", 422, "InvalidStateError", json=pay_body)

    # The payment is a PosPayment too (major units there, spec §7).
    payment_id = settled["payments"][0]["id"]
    payment = pos.ok("GET", f"/pos/payments/{payment_id}")["data"]
    assert payment["order_id"] == order_id
    assert payment["amount"] == 17 or payment["amount"] == 17.0
    listed = pos.ok("GET", "/pos/payments", params={"limit": 200})["data"]
    assert payment_id in [p["id"] for p in listed]

    # Delete: cancelled downstream, then gone from the unified API for good.
    deleted = pos.ok("DELETE", f"/pos/orders/{order_id}")
    assert (deleted["operation"], deleted["data"]) == ("delete", {"id": order_id})
    pos.fails("GET", f"/pos/orders/{order_id}", 404, "EntityNotFoundError")
    pos.fails("DELETE", f"/pos/orders/{order_id}", 404, "EntityNotFoundError")
    pos.fails("PATCH", f"/pos/orders/{order_id}", 404, "EntityNotFoundError", json=change)
    assert order_id not in all_order_ids(pos)


def test_a_pending_order_can_be_voided_and_then_nothing_else(pos: Pos) -> None:
    order_id = create(pos)
    pos.ok("PATCH", f"/pos/orders/{order_id}", json={**IDENTITY, "status": "voided"})
    voided = get(pos, order_id)
    assert voided["status"] == "voided" and voided["voided"] is True
    assert voided["fulfillments"][0]["status"] == "cancelled"
    frozen = {**IDENTITY, "note": "too late"}
    pos.fails("PATCH", f"/pos/orders/{order_id}", 422, "InvalidStateError", json=frozen)


def test_create_refusals(pos: Pos) -> None:
    missing = pos.fails(
        "POST", "/pos/orders", 400, "RequestValidationError", json={"location_id": "1"}
    )
    assert missing["detail"]["missing"] == [{"merchant_id": "required"}]
    unknown_item = new_order_body(line_items=[{"name": "No Such Dish", "quantity": 1}])
    pos.fails("POST", "/pos/orders", 400, "RequestValidationError", json=unknown_item)
    not_open = new_order_body(status="completed")
    pos.fails("POST", "/pos/orders", 422, "InvalidStateError", json=not_open)
    pos.fails("POST", "/pos/orders", 400, "RequestValidationError", content=b"{not json")
    pos.fails("POST", "/pos/orders", 400, "RequestValidationError", json=[1, 2])
    # Clopos itself refuses: its 4xx is passed on with the downstream error.
    ghost = pos.fails(
        "POST",
        "/pos/orders",
        400,
        "ConnectorExecutionError",
        json=new_order_body(customer_id="999999"),
    )
    assert ghost["downstream_errors"][0]["code"] == "validation_failed"
    assert "999999" in ghost["downstream_errors"][0]["message"]


# --- lists ----------------------------------------------------------------------------------


def all_order_ids(pos: Pos, **params: Any) -> list[str]:
    """Every order id, following ``meta.cursors.next`` as the SDKs' auto-pagination does."""
    ids: list[str] = []
    query: dict[str, Any] = {"limit": 200, **params}
    while True:
        body = pos.ok("GET", "/pos/orders", params=query)
        ids.extend(order["id"] for order in body["data"])
        following = body["meta"]["cursors"]["next"]
        if following is None:
            assert body["links"]["next"] is None
            return ids
        query = {**query, "cursor": following}


def test_orders_list_pages_with_cursors_newest_first(pos: Pos) -> None:
    made = [create(pos) for _ in range(3)]
    everything = all_order_ids(pos)
    assert len(everything) == len(set(everything))
    # Orders and receipt-only sales of the demo (``r<id>``) in one collection.
    assert any(i.startswith("r") for i in everything)
    assert everything.index(made[2]) < everything.index(made[1]) < everything.index(made[0])

    pages: list[list[dict[str, Any]]] = []
    url: str | None = "/pos/orders?limit=2&fields=id,created_at"
    cursors: list[str | None] = []
    while url is not None:
        body = pos.ok("GET", url)
        assert body["meta"]["items_on_page"] == len(body["data"]) <= 2
        assert all(set(order) <= {"id", "created_at"} for order in body["data"])
        pages.append(body["data"])
        cursors.append(body["meta"]["cursors"]["current"])
        url = body["links"]["next"]  # a full URL on the same server
    walked = [order["id"] for page in pages for order in page]
    assert walked == everything
    assert all(len(page) == 2 for page in pages[:-1])
    assert cursors[0] is None and all(c is not None for c in cursors[1:])
    times = [order["created_at"] for page in pages for order in page]
    assert times == sorted(times, reverse=True)


def test_orders_list_by_location(pos: Pos) -> None:
    airport = pos.ok("GET", "/pos/orders", params={"location_id": "2", "limit": 200})["data"]
    assert airport and {order["location_id"] for order in airport} == {"2"}
    main = all_order_ids(pos, location_id="1")
    assert not {order["id"] for order in airport} & set(main)
    assert pos.ok("GET", "/pos/orders", params={"location_id": "999"})["data"] == []


def test_raw_gives_the_downstream_answer(pos: Pos) -> None:
    order_id = create(pos)
    body = pos.ok("GET", f"/pos/orders/{order_id}", params={"raw": "true"})
    raw = body["_raw"]["get_order_by_id"]
    assert raw["data"]["id"] == int(order_id)
    plain = pos.ok("GET", f"/pos/orders/{order_id}", params={"raw": "false"})
    assert "_raw" not in plain


# --- the other resources --------------------------------------------------------------------


def test_catalog_resources(pos: Pos) -> None:
    merchants = pos.ok("GET", "/pos/merchants")["data"]
    assert [m["id"] for m in merchants] == [BRAND]
    assert pos.ok("GET", f"/pos/merchants/{BRAND}")["data"]["main_location_id"] == "1"
    locations = pos.ok("GET", "/pos/locations")["data"]
    assert [loc["id"] for loc in locations] == ["1", "2"]
    assert pos.ok("GET", "/pos/locations/2")["data"]["name"] == "Airport"
    pos.fails("GET", "/pos/locations/77", 404, "EntityNotFoundError")

    first = pos.ok("GET", "/pos/items", params={"limit": 5})
    assert first["meta"]["items_on_page"] == 5
    second = pos.ok(
        "GET", "/pos/items", params={"limit": 5, "cursor": first["meta"]["cursors"]["next"]}
    )
    assert not {i["id"] for i in first["data"]} & {i["id"] for i in second["data"]}
    margherita = pos.ok("GET", "/pos/items/11")["data"]
    assert margherita["name"] == "Margherita" and margherita["product_type"] == "regular"

    groups = pos.ok("GET", "/pos/modifier-groups")["data"]
    assert groups
    group_id = groups[0]["id"]
    in_group = pos.ok("GET", "/pos/modifiers", params={"filter[modifier_group_id]": group_id})[
        "data"
    ]
    assert in_group and {m["modifier_group_id"] for m in in_group} == {group_id}
    one = pos.ok(
        "GET", f"/pos/modifiers/{in_group[0]['id']}", params={"filter[modifier_group_id]": group_id}
    )
    assert one["data"]["id"] == in_group[0]["id"]

    order_types = pos.ok("GET", "/pos/order-types")["data"]
    assert sum(1 for t in order_types if t["default"]) == 1
    tenders = pos.ok("GET", "/pos/tenders")["data"]
    assert any(t["key"] == "cash" for t in tenders)


@pytest.mark.parametrize(
    "resource",
    [
        "payments",
        "merchants",
        "locations",
        "items",
        "modifiers",
        "modifier-groups",
        "order-types",
        "tenders",
    ],
)
def test_writes_clopos_cannot_do_are_501(pos: Pos, resource: str) -> None:
    for method, path in (
        ("POST", f"/pos/{resource}"),
        ("PATCH", f"/pos/{resource}/1"),
        ("DELETE", f"/pos/{resource}/1"),
    ):
        body = pos.fails(
            method, path, 501, "ConnectorOperationUnsupportedError", json={"name": "x"}
        )
        assert body["error"] == "Not Implemented"


# --- errors (spec §4) -----------------------------------------------------------------------


def test_header_errors(pos: Pos) -> None:
    pos.fails("GET", "/pos/orders", 401, "UnauthorizedError", headers={"Authorization": ""})
    wrong = {**DEMO, "Authorization": "Bearer not-the-key"}
    pos.fails("GET", "/pos/orders", 401, "UnauthorizedError", headers=wrong)
    missing = pos.fails(
        "GET",
        "/pos/orders",
        400,
        "RequestHeadersValidationError",
        headers={"x-apideck-consumer-id": ""},
    )
    assert missing["detail"] == "Missing Header: x-apideck-consumer-id"
    pos.fails(
        "GET",
        "/pos/orders",
        404,
        "ConnectorNotFoundError",
        headers={"x-apideck-service-id": "square"},
    )
    pos.fails(
        "GET",
        "/pos/orders",
        404,
        "ConnectionNotFoundError",
        headers={"x-apideck-consumer-id": "nobody"},
    )
    # The service id may be given when it is ours.
    pos.ok("GET", "/pos/orders", headers={"x-apideck-service-id": "clopos"})


def test_query_errors(pos: Pos) -> None:
    for limit in ("0", "201", "ten"):
        pos.fails("GET", "/pos/orders", 400, "RequestValidationError", params={"limit": limit})
    pos.fails(
        "GET", "/pos/orders", 400, "UnsupportedFiltersError", params={"filter[email]": "a@b.c"}
    )
    pos.fails("GET", "/pos/orders", 400, "UnsupportedSortFieldError", params={"sort[by]": "name"})
    pos.fails("GET", "/pos/orders", 400, "InvalidCursorError", params={"cursor": "bm9wZQ"})
    items_cursor = pos.ok("GET", "/pos/items", params={"limit": 1})["meta"]["cursors"]["next"]
    pos.fails("GET", "/pos/orders", 400, "InvalidCursorError", params={"cursor": items_cursor})
    pos.fails("GET", "/pos/orders", 400, "RequestValidationError", params={"raw": "maybe"})
    pos.fails(
        "GET",
        "/pos/orders",
        400,
        "RequestValidationError",
        params={"pass_through[search]": "x"},
    )


def test_not_found_and_wrong_method(pos: Pos) -> None:
    for order_id in ("999999", "r999999", "abc", "0"):
        pos.fails("GET", f"/pos/orders/{order_id}", 404, "EntityNotFoundError")
    pos.fails("GET", "/pos/payments/999999-0", 404, "EntityNotFoundError")
    pos.fails("GET", "/pos/items/999999", 404, "EntityNotFoundError")
    pos.fails("GET", "/pos/nothing-here", 404, "EntityNotFoundError")
    response = pos.call("PUT", "/pos/orders/1", json={})
    assert response.status_code == 405
    assert response.json()["status_code"] == 405
    # The Open API keeps its own error shape (only /pos speaks Apideck).


def test_open_api_errors_keep_their_own_shape(servers: tuple[Upstream, Standalone]) -> None:
    response = httpx.get(f"{servers[0].base_url}/open-api/v2/nowhere", timeout=10)
    assert response.status_code == 404
    assert response.json()["success"] is False and "type_name" not in response.json()


# --- connections that cannot work --------------------------------------------------------------


def _add_consumer(admin: httpx.Client, consumer_id: str, **fields: Any) -> None:
    body = {
        "app_id": "demo-app",
        "consumer_id": consumer_id,
        "client_id": "demo-client",
        "client_secret": "demo-secret",
        "brand": BRAND,
        "integrator_id": "demo-integrator",
        "venue_id": 1,
        "api_version": "v2",
        "base_url": "self",
        "replace": True,
        **fields,
    }
    response = admin.post("/consumers", json=body)
    assert response.status_code == 201, response.text


def test_unreachable_upstream_is_a_502(pos: Pos, admin: httpx.Client) -> None:
    _add_consumer(admin, "gone-upstream", base_url=f"http://127.0.0.1:{free_port()}")
    body = pos.fails(
        "GET",
        "/pos/locations",
        502,
        "ConnectorExecutionError",
        headers={"x-apideck-consumer-id": "gone-upstream"},
    )
    assert body["downstream_errors"][0]["code"] == "unreachable"


def test_rejected_credentials(pos: Pos, admin: httpx.Client) -> None:
    _add_consumer(admin, "wrong-secret", client_secret="not-the-secret")
    pos.fails(
        "GET",
        "/pos/locations",
        401,
        "ConnectorCredentialsError",
        headers={"x-apideck-consumer-id": "wrong-secret"},
    )


def test_delete_on_a_v1_connection_deletes_the_receipt(
    pos: Pos, admin: httpx.Client, till: httpx.Client, servers: tuple[Upstream, Standalone]
) -> None:
    _add_consumer(admin, "v1-consumer", api_version="v1", integrator_id=None)
    v1 = {"x-apideck-consumer-id": "v1-consumer"}
    body = pos.ok("POST", "/pos/orders", 201, json=new_order_body(), headers=v1)
    order_id = body["data"]["id"]
    assert till.post(f"/orders/{order_id}/accept").status_code == 200
    receipt_id = receipt_of(till, order_id)
    # v1 can also change the note (PUT /receipts) — v2 cannot (422).
    pos.ok("PATCH", f"/pos/orders/{order_id}", json={**IDENTITY, "note": "ring twice"}, headers=v1)
    assert get_as(pos, order_id, v1)["note"] == "ring twice"
    pos.fails(
        "PATCH", f"/pos/orders/{order_id}", 422, "InvalidStateError", json={**IDENTITY, "note": "x"}
    )
    pos.ok("DELETE", f"/pos/orders/{order_id}", headers=v1)
    pos.fails("GET", f"/pos/orders/{order_id}", 404, "EntityNotFoundError", headers=v1)
    # The receipt is gone from Clopos itself, not only hidden.
    token = httpx.post(
        f"{servers[0].base_url}/open-api/v2/auth",
        json={
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "brand": BRAND,
            "integrator_id": "demo-integrator",
        },
        timeout=10,
    ).json()["token"]
    gone = httpx.get(
        f"{servers[0].base_url}/open-api/v2/receipts/{receipt_id}",
        headers={"x-token": token},
        timeout=10,
    )
    assert gone.status_code == 404


def get_as(pos: Pos, order_id: str, headers: dict[str, str]) -> dict[str, Any]:
    order: dict[str, Any] = pos.ok("GET", f"/pos/orders/{order_id}", headers=headers)["data"]
    return order


def receipt_of(till: httpx.Client, order_id: str) -> int:
    """The receipt the till opened for an order."""
    listed = till.get("/orders", params={"status": "RECEIVED"}).json()["data"]
    (order,) = [o for o in listed if str(o["id"]) == order_id]
    receipt_id: int = order["receipt"]["id"]
    return receipt_id


def test_an_oversized_body_is_a_413_in_the_unified_shape(pos: Pos) -> None:
    def streamed() -> Iterator[bytes]:  # no Content-Length: the cap trips while reading
        yield b'{"note": "'
        for _ in range(1100):
            yield b"x" * 1024
        yield b'"}'

    body = pos.fails("POST", "/pos/orders", 413, "RequestValidationError", content=streamed())
    assert body["detail"] == {"max_bytes": 1_048_576}


def test_a_declared_oversized_body_is_a_413_in_the_unified_shape(pos: Pos) -> None:
    big = b'{"note": "' + b"x" * 1_100_000 + b'"}'  # httpx declares its Content-Length
    body = pos.fails("POST", "/pos/orders", 413, "RequestValidationError", content=big)
    assert body["detail"] == {"max_bytes": 1_048_576}


@pytest.fixture(scope="module")
def tight_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Another demo Clopos server that allows 3 requests a minute per brand (spec §8)."""
    root = tmp_path_factory.mktemp("unified-tight")
    server = ServerProcess(
        f"sqlite+aiosqlite:///{root / 'clopos.db'}",
        root,
        {"CLOPOS_RATE_LIMIT_TENANT_PER_MINUTE": "3"},
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_clopos_rate_limit_is_a_429(
    pos: Pos, admin: httpx.Client, tight_upstream: ServerProcess
) -> None:
    _add_consumer(admin, "tight", base_url=tight_upstream.base_url)
    tight = {"x-apideck-consumer-id": "tight"}
    answers = [pos.call("GET", "/pos/orders", headers=tight) for _ in range(6)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert {a.status_code for a in answers} <= {200, 429}
    body = limited[0].json()
    assert body["type_name"] == "ConnectorRateLimitError"
    assert body["detail"]["context"] == "clopos"
    assert body["downstream_errors"][0]["code"] == "rate_limited"


def test_pass_through_status_reaches_the_clopos_order_list(pos: Pos) -> None:
    pending = create(pos)
    body = pos.ok("GET", "/pos/orders", params={"pass_through[status]": "PENDING", "limit": 200})
    ids = [order["id"] for order in body["data"]]
    assert pending in ids
    assert not any(i.startswith("r") for i in ids)  # receipt-only sales have no order status
    assert {order["fulfillments"][0]["status"] for order in body["data"]} == {"proposed"}
    # The SDK checks the value before sending: a client mistake, a 400 naming it.
    wrong = pos.fails(
        "GET", "/pos/orders", 400, "RequestValidationError", params={"pass_through[status]": "x"}
    )
    assert "status" in wrong["message"]


def test_a_refused_create_does_not_use_its_idempotency_key_up(pos: Pos) -> None:
    key = f"retry-{uuid.uuid4().hex[:12]}"
    refused = new_order_body(idempotency_key=key, customer_id="999999")
    pos.fails("POST", "/pos/orders", 400, "ConnectorExecutionError", json=refused)
    corrected = pos.ok("POST", "/pos/orders", 201, json=new_order_body(idempotency_key=key))
    again = pos.ok("POST", "/pos/orders", 201, json=new_order_body(idempotency_key=key))
    assert again["data"] == corrected["data"]
    assert get(pos, corrected["data"]["id"])["source"] == "online"  # see docs/decisions.md


def test_pos_operations_carry_apideck_operation_ids(servers: tuple[Upstream, Standalone]) -> None:
    for server in servers:
        schema = httpx.get(f"{server.base_url}/openapi.json", timeout=TIMEOUT).json()
        paths = schema["paths"]
        assert paths["/pos/orders"]["get"]["operationId"] == "ordersAll"
        assert paths["/pos/orders"]["post"]["operationId"] == "ordersAdd"
        assert paths["/pos/orders/{id}/pay"]["post"]["operationId"] == "ordersPay"
        assert paths["/pos/modifier-groups/{id}"]["get"]["operationId"] == "modifierGroupsOne"
