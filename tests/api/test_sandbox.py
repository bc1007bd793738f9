"""``/sandbox``: the till (POS side) — auth, every route's answers and refusals, and a whole
sale driven through the Open API and the till together.

Demo data relied on (src/clopos/server/demo.py): brand ``openapitest``; venues 1 "Main"
and 2 "Airport"; Margherita 8.50 and Espresso 2.00 (dishes, VAT included in the price);
sale type "Delivery" (enabled at Main only); payment methods Cash and Card; the stop list
of Main holds Truffle Mushroom (0), Cheesecake (3), Fanta 0.5 L (12).
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from clopos.server.store.models import Order, Receipt, StopListEntry
from clopos.settings import Settings

TOKEN = "till-secret-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
BASE = "/sandbox/brands/openapitest"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, with the till API switched on."""
    return settings.model_copy(update={"admin_token": SecretStr(TOKEN)})


# --- helpers --------------------------------------------------------------------------------


async def catalog_ids(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    """Ids of the demo rows these tests use, by name (read over the API, not assumed)."""
    products = await client.get("/open-api/v2/products", params={"limit": 100}, headers=v2)
    sale_types = await client.get("/open-api/v2/sale-types", headers=v2)
    methods = await client.get("/open-api/v2/payment-methods", headers=v2)
    ids = {p["name"]: p["id"] for p in products.json()["data"]}
    ids.update({s["name"]: s["id"] for s in sale_types.json()["data"]})
    ids.update({m["name"]: m["id"] for m in methods.json()["data"]})
    return ids


async def create_order(
    client: httpx.AsyncClient, v2: dict[str, str], ids: dict[str, int], count: int = 1
) -> dict[str, Any]:
    """A delivery order of ``count`` Margherita, created as an integration would."""
    body = {
        "sale_type_id": ids["Delivery"],
        "venue_id": 1,
        "customer": {
            "id": 1,
            "name": "Till Tester",
            "phone": "+994501234567",
            "address": "12 Fountain Sq",
            "customer_discount_type": 1,
        },
        "products": [
            {
                "product_id": ids["Margherita"],
                "product_name": "Margherita",
                "count": count,
                "price": 8.50,
                "status": "new",
                "product_hash": f"h{uuid.uuid4().hex[:6]}",
            }
        ],
        "comment": "Ring twice",
    }
    response = await client.post("/open-api/v2/orders", json=body, headers=v2)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def accepted_receipt_id(
    client: httpx.AsyncClient, v2: dict[str, str], ids: dict[str, int]
) -> tuple[int, int]:
    """``(order id, receipt id)`` of a new order the till has accepted."""
    order = await create_order(client, v2, ids)
    accepted = await client.post(f"{BASE}/orders/{order['id']}/accept", headers=ADMIN)
    assert accepted.status_code == 200, accepted.text
    return order["id"], accepted.json()["data"]["receipt"]["id"]


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> None:
    """A v2-shaped error with ``code`` whose message mentions every one of ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"] == code
    for word in words:
        assert word in body["message"], body["message"]


# --- authentication -------------------------------------------------------------------------


async def test_unset_admin_token_disables_the_till(
    client: httpx.AsyncClient, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.clopos.settings, "admin_token", None)
    response = await client.get(f"{BASE}/orders", headers=ADMIN)
    assert_error(response, 403, "forbidden", "The till API is disabled: set CLOPOS_ADMIN_TOKEN")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer tïll".encode("latin-1")},  # non-ASCII bytes
    ],
    ids=["missing", "wrong", "not-bearer", "no-scheme", "non-ascii"],
)
async def test_missing_or_wrong_token_is_401(
    client: httpx.AsyncClient, headers: dict[str, Any]
) -> None:
    response = await client.post(f"{BASE}/orders/1/accept", headers=headers)
    assert_error(response, 401, "unauthorized", "Authorization: Bearer")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_open_api_tokens_do_not_open_the_till(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/orders", headers=v2)
    assert response.status_code == 401


async def test_unknown_brand_is_404_but_only_after_the_token(client: httpx.AsyncClient) -> None:
    unknown = await client.get("/sandbox/brands/nosuchbrand/orders", headers=ADMIN)
    assert_error(unknown, 404, "resource_not_found", "nosuchbrand")
    # Without the token the brand is not even looked up.
    anonymous = await client.get("/sandbox/brands/nosuchbrand/orders")
    assert anonymous.status_code == 401


# --- orders -----------------------------------------------------------------------------------


async def test_pending_list_is_newest_first_with_payload(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    first = await create_order(client, v2, ids, count=1)
    second = await create_order(client, v2, ids, count=2)
    response = await client.get(f"{BASE}/orders", headers=ADMIN)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    listed = body["data"]
    assert [o["id"] for o in listed[:2]] == [second["id"], first["id"]]
    assert body["total"] == len(listed)
    assert all(o["status"] == "PENDING" for o in listed)
    newest = listed[0]
    assert newest["payload"]["products"][0]["product_id"] == ids["Margherita"]
    assert newest["payload"]["products"][0]["count"] == 2
    assert newest["payload"]["meta"]["comment"] == "Ring twice"
    assert newest["receipt"] is None
    assert newest["venue_id"] == 1


async def test_list_other_status_and_refusals(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    order_id, receipt_id = await accepted_receipt_id(client, v2, ids)
    received = await client.get(f"{BASE}/orders", params={"status": "received"}, headers=ADMIN)
    assert received.status_code == 200
    (listed,) = [o for o in received.json()["data"] if o["id"] == order_id]
    assert listed["status"] == "RECEIVED"
    assert listed["receipt"] == {"id": receipt_id, "service_notification_id": order_id, "status": 1}
    pending = await client.get(f"{BASE}/orders", headers=ADMIN)
    assert order_id not in [o["id"] for o in pending.json()["data"]]
    at_airport = await client.get(
        f"{BASE}/orders", params={"status": "RECEIVED", "venue_id": 2}, headers=ADMIN
    )
    assert at_airport.json()["data"] == []
    bad_status = await client.get(f"{BASE}/orders", params={"status": "DONE"}, headers=ADMIN)
    assert_error(bad_status, 400, "invalid_parameter", "status must be one of")
    assert bad_status.json()["details"]["parameter"] == "status"
    bad_limit = await client.get(f"{BASE}/orders", params={"limit": "0"}, headers=ADMIN)
    assert_error(bad_limit, 400, "invalid_parameter", "'limit'")


async def test_accept_opens_the_receipt(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    ids = await catalog_ids(client, v2)
    order = await create_order(client, v2, ids, count=2)
    response = await client.post(f"{BASE}/orders/{order['id']}/accept", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Order accepted"
    data = body["data"]
    assert data["id"] == order["id"]
    assert data["status"] == "RECEIVED"
    receipt = data["receipt"]
    assert set(receipt) == {"id", "service_notification_id", "status"}
    assert receipt["service_notification_id"] == order["id"]
    assert receipt["status"] == 1
    assert data["receipt_id"] == receipt["id"]
    # Committed: a fresh session sees the order received and its open receipt.
    async with app.state.clopos.sessions() as session:
        stored = await session.get(Order, order["id"])
        opened = await session.get(Receipt, receipt["id"])
    assert stored is not None and stored.status == "RECEIVED"
    assert opened is not None and opened.order_id == order["id"] and opened.status == 1
    assert opened.total == Decimal("17.00")  # 2 × 8.50


async def test_accept_refusals(client: httpx.AsyncClient, v2: dict[str, str], app: Any) -> None:
    ids = await catalog_ids(client, v2)
    order_id, _receipt = await accepted_receipt_id(client, v2, ids)
    again = await client.post(f"{BASE}/orders/{order_id}/accept", headers=ADMIN)
    assert_error(again, 409, "conflict", f"Order {order_id} is RECEIVED", "PENDING")
    assert again.json()["details"]["status"] == "RECEIVED"
    async with app.state.clopos.sessions() as session:
        receipts = await session.scalar(
            select(func.count()).select_from(Receipt).where(Receipt.order_id == order_id)
        )
    assert receipts == 1  # the refused second accept opened nothing
    for missing in ("999999", "abc", "0"):
        response = await client.post(f"{BASE}/orders/{missing}/accept", headers=ADMIN)
        assert_error(response, 404, "resource_not_found", "Order not found")


async def test_two_tills_accepting_at_once_open_one_receipt(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    ids = await catalog_ids(client, v2)
    order = await create_order(client, v2, ids)
    answers = await asyncio.gather(
        *(client.post(f"{BASE}/orders/{order['id']}/accept", headers=ADMIN) for _ in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409, 409]
    async with app.state.clopos.sessions() as session:
        receipts = await session.scalar(
            select(func.count()).select_from(Receipt).where(Receipt.order_id == order["id"])
        )
    assert receipts == 1


async def test_orders_of_another_brand_are_not_found(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    ours = await create_order(client, v2, ids)
    response = await client.post(
        f"/sandbox/brands/otherbrand/orders/{ours['id']}/accept", headers=ADMIN
    )
    assert_error(response, 404, "resource_not_found", "Order not found")
    theirs = await client.get("/sandbox/brands/otherbrand/orders", headers=ADMIN)
    assert theirs.json()["data"] == []


async def test_ignore_pending_then_refusals(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    order = await create_order(client, v2, ids)
    ignored = await client.post(f"{BASE}/orders/{order['id']}/ignore", headers=ADMIN)
    assert ignored.status_code == 200, ignored.text
    assert ignored.json()["data"]["status"] == "IGNORE"
    assert ignored.json()["data"]["receipt"] is None
    # As with the integration's PUT, ignoring twice is not an error.
    twice = await client.post(f"{BASE}/orders/{order['id']}/ignore", headers=ADMIN)
    assert twice.status_code == 200
    assert twice.json()["data"]["status"] == "IGNORE"
    seen = await client.get(f"/open-api/v2/orders/{order['id']}", headers=v2)
    assert seen.json()["data"]["status"] == "IGNORE"
    cannot_accept = await client.post(f"{BASE}/orders/{order['id']}/accept", headers=ADMIN)
    assert_error(cannot_accept, 409, "conflict", "is IGNORE")
    received_id, _receipt = await accepted_receipt_id(client, v2, ids)
    refused = await client.post(f"{BASE}/orders/{received_id}/ignore", headers=ADMIN)
    assert_error(refused, 409, "conflict", f"Order {received_id} is RECEIVED", "ignored")


async def test_deliver_only_from_received(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    pending = await create_order(client, v2, ids)
    early = await client.post(f"{BASE}/orders/{pending['id']}/deliver", headers=ADMIN)
    assert_error(early, 409, "conflict", "is PENDING", "only a RECEIVED order can be delivered")
    order_id, receipt_id = await accepted_receipt_id(client, v2, ids)
    delivered = await client.post(f"{BASE}/orders/{order_id}/deliver", headers=ADMIN)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["message"] == "Order delivered"
    assert delivered.json()["data"]["status"] == "DELIVERED"
    assert delivered.json()["data"]["receipt"]["id"] == receipt_id
    twice = await client.post(f"{BASE}/orders/{order_id}/deliver", headers=ADMIN)
    assert_error(twice, 409, "conflict", "is DELIVERED")


# --- receipts -------------------------------------------------------------------------------


async def test_add_lines_recomputes_the_total(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    _order, receipt_id = await accepted_receipt_id(client, v2, ids)
    response = await client.post(
        f"{BASE}/receipts/{receipt_id}/lines",
        json={
            "lines": [
                {"product_id": ids["Espresso"], "count": 2},
                {"product_id": ids["Latte"], "count": 1, "price": 3.10},
            ]
        },
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Lines added"
    receipt = body["data"]
    assert receipt["id"] == receipt_id
    assert receipt["status"] == 1
    lines = receipt["receipt_products"]
    assert [(line["product_id"], line["count"]) for line in lines] == [
        (ids["Margherita"], 1),
        (ids["Espresso"], 2),
        (ids["Latte"], 1),
    ]
    assert lines[2]["price"] == 3.1
    assert '"total":15.60' in response.text.replace(" ", "")  # 8.50 + 2 × 2.00 + 3.10


async def test_add_lines_refusals(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    _order, receipt_id = await accepted_receipt_id(client, v2, ids)
    url = f"{BASE}/receipts/{receipt_id}/lines"
    cases: list[tuple[Any, str]] = [
        ({"lines": []}, "lines"),
        ({"lines": [{"count": 1}]}, "lines.0.product_id"),
        ({"lines": [{"product_id": ids["Espresso"], "count": 0}]}, "lines.0.count"),
        ({"lines": [{"product_id": ids["Espresso"], "count": 1, "price": -1}]}, "lines.0.price"),
        ({"lines": [{"product_id": ids["Espresso"], "count": 1, "colour": "red"}]}, "colour"),
        ({"lines": [{"product_id": 999999, "count": 1}]}, "product_id"),
        ([1, 2], "body"),
    ]
    for body, field in cases:
        response = await client.post(url, json=body, headers=ADMIN)
        assert_error(response, 400, "validation_failed")
        assert field in response.json()["details"]["field"], (body, response.json())
    not_json = await client.post(url, content=b"{", headers=ADMIN)
    assert_error(not_json, 400, "validation_failed", "not valid JSON")
    unknown = await client.post(
        f"{BASE}/receipts/999999/lines",
        json={"lines": [{"product_id": ids["Espresso"], "count": 1}]},
        headers=ADMIN,
    )
    assert_error(unknown, 404, "not_found", "Receipt not found")


async def test_close_with_names_from_the_catalog(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    _order, receipt_id = await accepted_receipt_id(client, v2, ids)
    response = await client.post(
        f"{BASE}/receipts/{receipt_id}/close",
        json={
            "payment_methods": [
                {"id": ids["Cash"], "amount": 5.00},
                {"id": ids["Card"], "amount": 3.50},
            ],
            "closed_at": "2099-01-01 12:00:00",
        },
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Receipt closed"
    receipt = body["data"]
    assert receipt["status"] == 2
    assert receipt["closed_at"] == "2099-01-01 12:00:00"
    assert receipt["payment_methods"] == [
        {"id": ids["Cash"], "name": "Cash", "amount": 5.0},
        {"id": ids["Card"], "name": "Card", "amount": 3.5},
    ]
    assert receipt["by_cash"] == 5.0 and receipt["by_card"] == 3.5
    assert len(receipt["receipt_products"]) == 1


async def test_close_refusals(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    _order, receipt_id = await accepted_receipt_id(client, v2, ids)
    url = f"{BASE}/receipts/{receipt_id}/close"
    short = await client.post(
        url, json={"payment_methods": [{"id": ids["Cash"], "amount": 1}]}, headers=ADMIN
    )
    assert_error(short, 400, "validation_failed", "8.50")
    assert short.json()["details"]["field"] == "payment_methods"
    none = await client.post(url, json={"payment_methods": []}, headers=ADMIN)
    assert_error(none, 400, "validation_failed", "payment_methods")
    unknown_method = await client.post(
        url, json={"payment_methods": [{"id": 999999, "amount": 8.5}]}, headers=ADMIN
    )
    assert_error(unknown_method, 400, "validation_failed", "payment_methods.0.id")
    bad_time = await client.post(
        url,
        json={"payment_methods": [{"id": ids["Cash"], "amount": 8.5}], "closed_at": "tomorrow"},
        headers=ADMIN,
    )
    assert_error(bad_time, 400, "validation_failed", "closed_at")
    closed = await client.post(
        url, json={"payment_methods": [{"id": ids["Cash"], "amount": 8.5}]}, headers=ADMIN
    )
    assert closed.status_code == 200, closed.text
    again = await client.post(
        url, json={"payment_methods": [{"id": ids["Cash"], "amount": 8.5}]}, headers=ADMIN
    )
    assert_error(again, 400, "validation_failed", "already closed")
    more = await client.post(
        f"{BASE}/receipts/{receipt_id}/lines",
        json={"lines": [{"product_id": ids["Espresso"], "count": 1}]},
        headers=ADMIN,
    )
    assert_error(more, 400, "validation_failed")
    missing = await client.post(
        f"{BASE}/receipts/abc/close",
        json={"payment_methods": [{"id": ids["Cash"], "amount": 1}]},
        headers=ADMIN,
    )
    assert_error(missing, 404, "not_found", "Receipt not found")


# --- stop list ----------------------------------------------------------------------------


async def stop_list(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[int, int]:
    response = await client.get("/open-api/v2/products/stop-list", headers=headers)
    assert response.status_code == 200
    return {e["id"]: e["limit"] for e in response.json()["data"]}


async def test_stop_and_unstop_show_in_the_open_api_stop_list(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    latte = ids["Latte"]
    assert latte not in await stop_list(client, v2)
    stopped = await client.put(
        f"{BASE}/stop-list/{latte}", json={"venue_id": 1, "limit": 0}, headers=ADMIN
    )
    assert stopped.status_code == 200, stopped.text
    data = stopped.json()["data"]
    assert data["id"] == latte and data["limit"] == 0 and data["venue_id"] == 1
    assert isinstance(data["timestamp"], int)
    assert (await stop_list(client, v2))[latte] == 0
    # Upsert: the same product again replaces the limit and moves the timestamp on.
    raised = await client.put(
        f"{BASE}/stop-list/{latte}", json={"venue_id": 1, "limit": 5}, headers=ADMIN
    )
    assert raised.json()["data"]["limit"] == 5
    assert raised.json()["data"]["timestamp"] >= data["timestamp"]
    assert (await stop_list(client, v2))[latte] == 5
    # Venue 2's stop list is its own.
    airport = await stop_list(client, {**v2, "x-venue": "2"})
    assert latte not in airport
    lifted = await client.delete(f"{BASE}/stop-list/{latte}", params={"venue_id": 1}, headers=ADMIN)
    assert lifted.status_code == 200
    assert lifted.json()["data"] == {"id": latte, "venue_id": 1, "removed": True}
    assert latte not in await stop_list(client, v2)
    again = await client.delete(f"{BASE}/stop-list/{latte}", params={"venue_id": 1}, headers=ADMIN)
    assert again.json()["data"]["removed"] is False


async def test_unstop_a_seeded_entry(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    ids = await catalog_ids(client, v2)
    cheesecake = ids["Cheesecake"]
    assert (await stop_list(client, v2))[cheesecake] == 3
    response = await client.delete(
        f"{BASE}/stop-list/{cheesecake}", params={"venue_id": "1"}, headers=ADMIN
    )
    assert response.json()["data"]["removed"] is True
    assert cheesecake not in await stop_list(client, v2)
    async with app.state.clopos.sessions() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(StopListEntry)
            .where(StopListEntry.product_id == cheesecake)
        )
    assert left == 0


async def test_stop_list_refusals(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    url = f"{BASE}/stop-list/{ids['Latte']}"
    cases: list[tuple[Any, str]] = [
        ({"limit": 1}, "venue_id"),
        ({"venue_id": 1}, "limit"),
        ({"venue_id": 1, "limit": -1}, "limit"),
        ({"venue_id": 1, "limit": "3"}, "limit"),
        ({"venue_id": 1, "limit": 1.5}, "limit"),
        ({"venue_id": 99999, "limit": 1}, "venue_id"),
        ({"venue_id": 0, "limit": 1}, "venue_id"),
    ]
    for body, field in cases:
        response = await client.put(url, json=body, headers=ADMIN)
        assert_error(response, 400, "validation_failed", field)
        assert response.json()["details"]["field"] == field, body
    unknown_product = await client.put(
        f"{BASE}/stop-list/999999", json={"venue_id": 1, "limit": 0}, headers=ADMIN
    )
    assert_error(unknown_product, 404, "resource_not_found", "Product not found")
    no_venue = await client.delete(url, headers=ADMIN)
    assert_error(no_venue, 400, "invalid_parameter", "venue_id")
    bad_venue = await client.delete(url, params={"venue_id": "x"}, headers=ADMIN)
    assert_error(bad_venue, 400, "invalid_parameter", "venue_id")
    other_venue = await client.delete(url, params={"venue_id": "99999"}, headers=ADMIN)
    assert_error(other_venue, 400, "invalid_parameter", "no venue 99999")


async def test_stop_list_is_per_brand(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ids = await catalog_ids(client, v2)
    # Our product id does not exist in the other brand; their venue is not ours.
    response = await client.put(
        f"/sandbox/brands/otherbrand/stop-list/{ids['Latte']}",
        json={"venue_id": 1, "limit": 0},
        headers=ADMIN,
    )
    assert_error(response, 404, "resource_not_found", "Product not found")
    theirs = await catalog_ids(client, other_v2)
    venues = await client.get("/open-api/v2/venues", headers=other_v2)
    their_venue = venues.json()["data"][0]["id"]
    wrong_venue = await client.put(
        f"{BASE}/stop-list/{ids['Latte']}",
        json={"venue_id": their_venue, "limit": 0},
        headers=ADMIN,
    )
    assert_error(wrong_venue, 400, "validation_failed", "venue_id")
    stopped = await client.put(
        f"/sandbox/brands/otherbrand/stop-list/{theirs['Latte']}",
        json={"venue_id": their_venue, "limit": 2},
        headers=ADMIN,
    )
    assert stopped.status_code == 200, stopped.text
    assert (await stop_list(client, other_v2))[theirs["Latte"]] == 2
    assert ids["Latte"] not in await stop_list(client, v2)


# --- the whole sale -------------------------------------------------------------------------


async def test_full_till_flow(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    ids = await catalog_ids(client, v2)
    order = await create_order(client, v2, ids)
    assert order["status"] == "PENDING"

    pending = await client.get(f"{BASE}/orders", params={"status": "PENDING"}, headers=ADMIN)
    assert order["id"] in [o["id"] for o in pending.json()["data"]]

    accepted = await client.post(f"{BASE}/orders/{order['id']}/accept", headers=ADMIN)
    assert accepted.status_code == 200, accepted.text
    receipt_id = accepted.json()["data"]["receipt"]["id"]

    seen = await client.get(
        f"/open-api/v2/orders/{order['id']}",
        params={"with[0]": "receipt:id,service_notification_id,status"},
        headers=v2,
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["data"]["status"] == "RECEIVED"
    assert seen.json()["data"]["receipt"] == {
        "id": receipt_id,
        "service_notification_id": order["id"],
        "status": 1,
    }

    added = await client.post(
        f"{BASE}/receipts/{receipt_id}/lines",
        json={"lines": [{"product_id": ids["Espresso"], "count": 1}]},
        headers=ADMIN,
    )
    assert added.status_code == 200, added.text
    total = added.json()["data"]["total"]
    assert total == 10.5  # 8.50 + 2.00

    closed = await client.post(
        f"{BASE}/receipts/{receipt_id}/close",
        content=b'{"payment_methods": [{"id": %d, "amount": 10.50}]}' % ids["Cash"],
        headers={**ADMIN, "content-type": "application/json"},
    )
    assert closed.status_code == 200, closed.text

    receipt = await client.get(f"/open-api/v2/receipts/{receipt_id}", headers=v2)
    assert receipt.status_code == 200, receipt.text
    data = receipt.json()["data"]
    assert data["status"] == 2
    assert data["closed_at"] is not None
    assert data["payment_methods"] == [{"id": ids["Cash"], "name": "Cash", "amount": 10.5}]
    assert '"amount":10.50' in receipt.text  # the amount keeps the digits it was paid with
    assert data["service_notification_id"] == order["id"]

    delivered = await client.post(f"{BASE}/orders/{order['id']}/deliver", headers=ADMIN)
    assert delivered.status_code == 200
    final = await client.get(f"/open-api/v2/orders/{order['id']}", headers=v2)
    assert final.json()["data"]["status"] == "DELIVERED"


# --- documentation --------------------------------------------------------------------------


async def test_routes_are_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith("/sandbox/")}
    expected = {
        ("/sandbox/brands/{brand}/orders", "get"),
        ("/sandbox/brands/{brand}/orders/{order_id}/accept", "post"),
        ("/sandbox/brands/{brand}/orders/{order_id}/ignore", "post"),
        ("/sandbox/brands/{brand}/orders/{order_id}/deliver", "post"),
        ("/sandbox/brands/{brand}/receipts/{receipt_id}/lines", "post"),
        ("/sandbox/brands/{brand}/receipts/{receipt_id}/close", "post"),
        ("/sandbox/brands/{brand}/stop-list/{product_id}", "put"),
        ("/sandbox/brands/{brand}/stop-list/{product_id}", "delete"),
    }
    found = {(p, m) for p, ops in paths.items() for m in ops}
    assert found == expected
    for path, method in expected:
        operation = paths[path][method]
        assert operation["tags"] == ["sandbox (till)"]
        assert operation["summary"] and operation["description"]
        assert "Authorization: Bearer <CLOPOS_ADMIN_TOKEN>" in operation["description"]
        # Unique, and telling the till's routes apart from the Open API's namesakes.
        assert "_till_" in operation["operationId"], operation["operationId"]
    lines_body = paths["/sandbox/brands/{brand}/receipts/{receipt_id}/lines"]["post"]
    schema_text = str(lines_body["requestBody"])
    assert "product_id" in schema_text and "$defs" not in schema_text
