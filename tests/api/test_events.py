"""The transactional outbox and ``GET /events`` (docs/events.md).

Every state change the server makes writes an event in the same transaction: each one is
shown here through the API that makes it (integration routes and the till), with the
event's ``data`` equal to what the API answers for the resource at that moment. A write
whose transaction rolls back leaves no event. The feed pages with ``after``/``next_after``,
filters by type, long-polls with ``wait``, and is scoped to the caller's brand (and to
``x-venue`` when sent) on both prefixes.

Demo data relied on (src/clopos/server/demo.py): brand ``openapitest`` with venues 1 and 2,
Margherita 8.50, sale type "Delivery", payment methods Cash and Card, customer 1, user 2.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from clopos.server.events.outbox import read_events, record_event
from clopos.server.events.tables import Event
from clopos.server.store.models import Order
from clopos.settings import Settings

V2 = "/open-api/v2"
V1 = "/open-api"
TILL_TOKEN = "till-secret-token"
TILL = {"Authorization": f"Bearer {TILL_TOKEN}"}
BASE = "/sandbox/brands/openapitest"
ORDER_WITH = {"with[0]": "receipt:id,service_notification_id,status"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings with the till switched on."""
    return settings.model_copy(update={"admin_token": SecretStr(TILL_TOKEN)})


# --- helpers --------------------------------------------------------------------------------


def exact(response: httpx.Response) -> Any:
    """The JSON body with decimals as ``Decimal`` (events keep money exact)."""
    assert response.status_code == 200, response.text
    return json.loads(response.content, parse_float=Decimal)


async def feed(
    client: httpx.AsyncClient, headers: dict[str, str], prefix: str = V2, **params: Any
) -> Any:
    return exact(await client.get(f"{prefix}/events", params=params, headers=headers))


async def new_events(
    client: httpx.AsyncClient, headers: dict[str, str], after: int
) -> list[dict[str, Any]]:
    """Every event after the cursor (paging through the whole feed)."""
    found: list[dict[str, Any]] = []
    while True:
        body = await feed(client, headers, after=after, limit=200)
        found.extend(body["data"])
        after = body["next_after"]
        if not body["has_more"]:
            return found


async def cursor_now(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    cursor: int = (await feed(client, headers, after="latest"))["next_after"]
    return cursor


async def catalog(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for path in ("products", "sale-types", "payment-methods"):
        response = await client.get(f"{V2}/{path}", params={"limit": 100}, headers=v2)
        ids.update({row["name"]: row["id"] for row in response.json()["data"]})
    return ids


def order_body(ids: dict[str, int], *, venue_id: int = 1, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sale_type_id": ids["Delivery"],
        "venue_id": venue_id,
        "customer": {
            "id": 1,
            "name": "Event Tester",
            "phone": "+994501234567",
            "address": "12 Fountain Sq",
            "customer_discount_type": 1,
        },
        "products": [
            {
                "product_id": ids["Margherita"],
                "product_name": "Margherita",
                "count": 2,
                "price": 8.50,
                "status": "new",
                "product_hash": f"h{uuid.uuid4().hex[:6]}",
            }
        ],
    }
    body.update(changes)
    return body


async def create_order(
    client: httpx.AsyncClient, v2: dict[str, str], ids: dict[str, int], **changes: Any
) -> dict[str, Any]:
    response = await client.post(f"{V2}/orders", json=order_body(ids, **changes), headers=v2)
    data: dict[str, Any] = exact(response)["data"]
    return data


async def order_as_api_shows_it(
    client: httpx.AsyncClient, v2: dict[str, str], order_id: int
) -> Any:
    response = await client.get(f"{V2}/orders/{order_id}", params=ORDER_WITH, headers=v2)
    return exact(response)["data"]


async def receipt_as_api_shows_it(
    client: httpx.AsyncClient, v2: dict[str, str], receipt_id: int
) -> Any:
    response = await client.get(
        f"{V2}/receipts/{receipt_id}", params={"with[]": "receipt_products"}, headers=v2
    )
    return exact(response)["data"]


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


# --- one event per state change ---------------------------------------------------------------


async def test_an_order_from_creation_to_delivery(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)

    order = await create_order(client, v2, ids)
    (created,) = await new_events(client, v2, start)
    assert created["type"] == "order.created"
    assert created["data"] == await order_as_api_shows_it(client, v2, order["id"])
    assert created["data"]["status"] == "PENDING" and created["data"]["receipt"] is None
    assert created["brand"] == "openapitest" and created["venue_id"] == 1
    assert created["occurred_at"].endswith("Z")

    accepted = await client.post(f"{BASE}/orders/{order['id']}/accept", headers=TILL)
    receipt_id = accepted.json()["data"]["receipt"]["id"]
    accept_event, receipt_event = await new_events(client, v2, created["id"])
    assert types_of([accept_event, receipt_event]) == ["order.accepted", "receipt.created"]
    assert accept_event["data"] == await order_as_api_shows_it(client, v2, order["id"])
    assert accept_event["data"]["receipt"]["id"] == receipt_id
    assert receipt_event["data"] == await receipt_as_api_shows_it(client, v2, receipt_id)
    assert receipt_event["data"]["status"] == 1

    lines = await client.post(
        f"{BASE}/receipts/{receipt_id}/lines",
        json={"lines": [{"product_id": ids["Margherita"], "count": 1}]},
        headers=TILL,
    )
    assert lines.status_code == 200, lines.text
    patched = await client.patch(
        f"{V2}/receipts/{receipt_id}", json={"order_status": "IN_PROGRESS"}, headers=v2
    )
    assert patched.status_code == 200, patched.text
    line_event, patch_event = await new_events(client, v2, receipt_event["id"])
    assert types_of([line_event, patch_event]) == ["receipt.updated", "receipt.updated"]
    assert len(line_event["data"]["receipt_products"]) == 2
    assert patch_event["data"] == await receipt_as_api_shows_it(client, v2, receipt_id)
    assert patch_event["data"]["order_status"] == "IN_PROGRESS"

    total = patch_event["data"]["total"]
    closed = await client.post(
        f"{V2}/receipts/{receipt_id}/close",
        json={"payment_methods": [{"id": ids["Cash"], "name": "Cash", "amount": str(total)}]},
        headers=v2,
    )
    assert closed.status_code == 200, closed.text
    delivered = await client.post(f"{BASE}/orders/{order['id']}/deliver", headers=TILL)
    assert delivered.status_code == 200, delivered.text
    close_event, deliver_event = await new_events(client, v2, patch_event["id"])
    assert close_event["type"] == "receipt.closed"
    assert close_event["data"] == await receipt_as_api_shows_it(client, v2, receipt_id)
    assert close_event["data"]["status"] == 2
    assert deliver_event["type"] == "order.delivered"
    assert deliver_event["data"] == await order_as_api_shows_it(client, v2, order["id"])
    assert deliver_event["data"]["status"] == "DELIVERED"


async def test_ignored_orders_and_auto_accept(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    by_integration = await create_order(client, v2, ids)
    put = await client.put(
        f"{V2}/orders/{by_integration['id']}", json={"status": "IGNORE"}, headers=v2
    )
    assert put.status_code == 200, put.text
    # Ignoring an ignored order changes nothing: no second event.
    again = await client.put(
        f"{V2}/orders/{by_integration['id']}", json={"status": "IGNORE"}, headers=v2
    )
    assert again.status_code == 200
    by_till = await create_order(client, v2, ids)
    ignored = await client.post(f"{BASE}/orders/{by_till['id']}/ignore", headers=TILL)
    assert ignored.status_code == 200
    auto = await create_order(client, v2, ids, auto_order_accept=True)

    events = await new_events(client, v2, start)
    assert types_of(events) == [
        "order.created",
        "order.ignored",
        "order.created",
        "order.ignored",
        "order.created",
        "order.accepted",
        "receipt.created",
    ]
    assert [e["data"]["id"] for e in events[:4]] == [by_integration["id"]] * 2 + [by_till["id"]] * 2
    assert events[1]["data"]["status"] == events[3]["data"]["status"] == "IGNORE"
    assert events[4]["data"]["status"] == "RECEIVED"
    assert events[6]["data"]["id"] == events[5]["data"]["receipt"]["id"]
    assert events[5]["data"] == await order_as_api_shows_it(client, v2, auto["id"])


async def test_v1_receipts_created_updated_closed_deleted(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    opened = await client.post(
        f"{V1}/receipts",
        json={
            "cid": str(uuid.uuid4()),
            "status": 1,
            "created_at": "2025-08-18 13:45:16",
            "receipt_products": [{"product_id": ids["Margherita"], "count": 2}],
        },
        headers=v1,
    )
    assert opened.status_code == 201, opened.text
    receipt = opened.json()["data"]
    url = f"{V1}/receipts/{receipt['id']}"
    base = {"id": receipt["id"], "cid": receipt["cid"], "closed_at": ""}
    updated = await client.put(url, json={**base, "description": "Ring twice"}, headers=v1)
    assert updated.json()["message"] == "Receipt updated"
    closing = {
        **base,
        "closed_at": "2025-08-18 14:47:05",
        "payment_methods": [{"id": ids["Card"], "name": "Card", "amount": "17.00"}],
    }
    closed = await client.put(url, json=closing, headers=v1)
    assert closed.json()["message"] == "Receipt closed", closed.text
    before_delete = await receipt_as_api_shows_it(client, v2, receipt["id"])
    deleted = await client.delete(url, headers=v1)
    assert deleted.status_code == 200, deleted.text
    # A sale imported already paid is created and closed at once.
    imported = await client.post(
        f"{V1}/receipts",
        json={
            "cid": str(uuid.uuid4()),
            "status": 2,
            "created_at": "2025-08-18 13:45:16",
            "closed_at": "2025-08-18 14:47:05",
            "receipt_products": [{"product_id": ids["Margherita"], "count": 1}],
            "payment_methods": [{"id": ids["Cash"], "name": "Cash", "amount": "8.50"}],
        },
        headers=v1,
    )
    assert imported.status_code == 201, imported.text

    events = await new_events(client, v2, start)
    assert types_of(events) == [
        "receipt.created",
        "receipt.updated",
        "receipt.closed",
        "receipt.deleted",
        "receipt.created",
        "receipt.closed",
    ]
    assert events[0]["data"]["status"] == 1
    assert events[1]["data"]["description"] == "Ring twice"
    assert events[2]["data"]["status"] == 2
    # The deleted receipt is shown as it was just before it went.
    assert events[3]["data"] == before_delete
    assert events[4]["data"]["id"] == events[5]["data"]["id"] == imported.json()["data"]["id"]
    assert all(e["venue_id"] == 1 for e in events)


async def test_stop_list_and_customers(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    espresso = ids["Espresso"]
    limited = await client.put(
        f"{BASE}/stop-list/{espresso}", json={"venue_id": 2, "limit": 0}, headers=TILL
    )
    assert limited.status_code == 200, limited.text
    lifted = await client.delete(
        f"{BASE}/stop-list/{espresso}", params={"venue_id": 2}, headers=TILL
    )
    assert lifted.json()["data"]["removed"] is True
    # Lifting a limit that is not there changes nothing: no event.
    again = await client.delete(
        f"{BASE}/stop-list/{espresso}", params={"venue_id": 2}, headers=TILL
    )
    assert again.json()["data"]["removed"] is False
    customer = await client.post(
        f"{V2}/customers", json={"name": "Ada", "phone": "+994507770001"}, headers=v2
    )
    assert customer.status_code == 200, customer.text

    set_event, lift_event, customer_event = await new_events(client, v2, start)
    assert set_event["type"] == lift_event["type"] == "stop_list.changed"
    assert set_event["venue_id"] == 2
    assert {k: set_event["data"][k] for k in ("id", "venue_id", "limit")} == {
        "id": espresso,
        "venue_id": 2,
        "limit": 0,
    }
    assert set_event["data"]["timestamp"] == limited.json()["data"]["timestamp"]
    assert {k: lift_event["data"][k] for k in ("id", "venue_id", "limit")} == {
        "id": espresso,
        "venue_id": 2,
        "limit": None,
    }
    assert customer_event["type"] == "customer.created"
    shown = await client.get(f"{V2}/customers/{customer.json()['data']['id']}", headers=v2)
    assert customer_event["data"] == exact(shown)["data"]


# --- nothing without a commit -----------------------------------------------------------------


async def test_a_rolled_back_order_emits_no_event(
    app: Any, v2: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server fails after the order and its event were written but before the commit:
    neither is kept."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        ids = await catalog(client, v2)
        start = await cursor_now(client, v2)
        async with app.state.clopos.sessions() as session:
            orders_before = await session.scalar(select(func.count()).select_from(Order))

        def crash(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("the process died between the write and the commit")

        # The route presents its answer after writing; the event was presented already.
        monkeypatch.setattr("clopos.server.api.orders.present_order", crash)
        response = await client.post(f"{V2}/orders", json=order_body(ids), headers=v2)
        assert response.status_code == 500
        monkeypatch.undo()

        assert await new_events(client, v2, start) == []
        async with app.state.clopos.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Order)) == orders_before
            assert await session.scalar(select(func.count()).select_from(Event)) == 0


async def test_a_refused_change_and_a_rollback_leave_no_event(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    ids = await catalog(client, v2)
    order = await create_order(client, v2, ids)
    after_create = await cursor_now(client, v2)
    # The till cannot deliver a PENDING order: 409, nothing recorded.
    refused = await client.post(f"{BASE}/orders/{order['id']}/deliver", headers=TILL)
    assert refused.status_code == 409
    # A unit of work that records an event and then rolls back.
    async with app.state.clopos.sessions() as session:
        brand_id = (await session.get(Order, order["id"])).brand_id
        await record_event(
            session, brand_id=brand_id, venue_id=1, type="order.accepted", resource={"id": 1}
        )
        assert len(await read_events(session, brand_id=brand_id, after=0, types=None, limit=9)) == 2
        await session.rollback()
    assert await new_events(client, v2, after_create) == []


# --- the feed --------------------------------------------------------------------------------


async def test_cursor_paging_and_type_filters(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    orders = [await create_order(client, v2, ids) for _ in range(3)]
    await client.post(f"{BASE}/orders/{orders[0]['id']}/accept", headers=TILL)

    first = await feed(client, v2, after=start, limit=2)
    assert [e["data"]["id"] for e in first["data"]] == [orders[0]["id"], orders[1]["id"]]
    assert first["has_more"] is True
    assert first["next_after"] == first["data"][-1]["id"]
    second = await feed(client, v2, after=first["next_after"], limit=2)
    assert types_of(second["data"]) == ["order.created", "order.accepted"]
    third = await feed(client, v2, after=second["next_after"], limit=2)
    assert types_of(third["data"]) == ["receipt.created"]
    assert third["has_more"] is False
    empty = await feed(client, v2, after=third["next_after"])
    assert empty["data"] == [] and empty["next_after"] == third["next_after"]
    ids_in_order = [e["id"] for e in first["data"] + second["data"] + third["data"]]
    assert ids_in_order == sorted(ids_in_order)

    only_created = await feed(client, v2, after=start, types="order.created")
    assert types_of(only_created["data"]) == ["order.created"] * 3
    listed = await client.get(
        f"{V2}/events",
        params=[("after", start), ("types[]", "order.accepted"), ("types[]", "receipt.*")],
        headers=v2,
    )
    assert types_of(exact(listed)["data"]) == ["order.accepted", "receipt.created"]
    comma = await feed(client, v2, after=start, types="receipt.created, order.accepted")
    assert types_of(comma["data"]) == ["order.accepted", "receipt.created"]
    everything = await feed(client, v2, after=start, types="*")
    assert len(everything["data"]) == 5
    # page counts from the cursor, like every other list.
    page_two = await feed(client, v2, after=start, limit=2, page=2)
    assert page_two["data"] == second["data"]


@pytest.mark.parametrize(
    ("params", "parameter", "words"),
    [
        ({"types": "order.made"}, "types", "'order.made' is not an event type"),
        ({"types": "orders.*"}, "types", "not an event type"),
        ({"after": "-1"}, "after", "at least 0"),
        ({"after": "soon"}, "after", "must be an integer"),
        ({"limit": "201"}, "limit", "between 1 and 200"),
        ({"wait": "31"}, "wait", "between 0 and 30"),
    ],
)
async def test_bad_feed_parameters_are_400(
    client: httpx.AsyncClient,
    v2: dict[str, str],
    params: dict[str, str],
    parameter: str,
    words: str,
) -> None:
    response = await client.get(f"{V2}/events", params=params, headers=v2)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["details"]["parameter"] == parameter
    assert words in body["message"]


async def test_long_poll_returns_as_soon_as_an_event_arrives(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    waiting = asyncio.create_task(
        client.get(f"{V2}/events", params={"after": start, "wait": 20}, headers=v2)
    )
    await asyncio.sleep(0.6)
    assert not waiting.done(), "the feed answered before there was an event"
    order = await create_order(client, v2, ids)
    answer = exact(await asyncio.wait_for(waiting, timeout=15))
    assert [(e["type"], e["data"]["id"]) for e in answer["data"]] == [
        ("order.created", order["id"])
    ]
    # Nothing new: an empty answer once the wait is over.
    quiet = await feed(client, v2, after=answer["next_after"], wait=1)
    assert quiet["data"] == [] and quiet["next_after"] == answer["next_after"]


async def test_feed_on_v1_and_v2_with_venue_scope(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    start = await cursor_now(client, v2)
    at_main = await create_order(client, v2, ids, venue_id=1)
    limited = await client.put(
        f"{BASE}/stop-list/{ids['Espresso']}", json={"venue_id": 2, "limit": 3}, headers=TILL
    )
    assert limited.status_code == 200
    brand_wide = await feed(client, v2, after=start)
    assert [(e["type"], e["venue_id"]) for e in brand_wide["data"]] == [
        ("order.created", 1),
        ("stop_list.changed", 2),
    ]
    # v1 is always venue-scoped (x-venue: 1); v2 when it sends x-venue.
    on_v1 = await feed(client, v1, prefix=V1, after=start)
    assert [e["data"]["id"] for e in on_v1["data"]] == [at_main["id"]]
    assert on_v1["data"] == brand_wide["data"][:1]
    at_airport = await feed(client, {**v2, "x-venue": "2"}, after=start)
    assert types_of(at_airport["data"]) == ["stop_list.changed"]


async def test_feed_is_scoped_to_the_brand(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    other_start = await cursor_now(client, other_v2)
    await create_order(client, v2, ids)
    assert (await feed(client, other_v2, after=other_start))["data"] == []
    assert (await feed(client, other_v2))["data"] == []
    mine = await feed(client, v2, after="latest")
    theirs = await feed(client, other_v2, after="latest")
    assert mine["next_after"] > 0 and theirs["next_after"] == 0


async def test_feed_needs_authentication(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{V2}/events")).status_code == 401
    assert (await client.get(f"{V1}/events")).status_code == 401
