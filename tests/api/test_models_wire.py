"""``clopos.models`` against the real server: every answer parses, every key is typed, and
nothing is lost on the way back out.

Each endpoint is called on a real app (SQLite and PostgreSQL, v1 and v2) and its body is
validated into the model the SDK returns for it. Three things are checked per answer:

* ``model_dump(by_alias=True, exclude_unset=True)`` written as JSON is byte for byte the
  body the server sent (keys sorted) — no key dropped or renamed, no number rescaled, no
  ``true`` turned into ``1``;
* no key landed in ``model_extra`` anywhere in the tree: the models declare every field
  this server sends (unknown keys are kept, but ours should not be unknown);
* typed fields carry the values: money is a ``Decimal`` with the wire's digits.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from pydantic import BaseModel

from clopos._json import _default
from clopos.models import (
    AuthResponse,
    Category,
    ClosedReceipt,
    Customer,
    CustomerGroup,
    ItemResponse,
    ListResponse,
    MessageResponse,
    Order,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    Receipt,
    SaleType,
    Station,
    StockOperation,
    StopListEntry,
    User,
    Venue,
)
from conftest import DEMO_V1_AUTH, DEMO_V2_AUTH

PRODUCT_WITHS = [
    "category",
    "station",
    "unit",
    "taxes",
    "tags",
    "modifications",
    "modifications.codes",
    "modificator_groups",
    "recipe",
    "packages",
    "codes",
]
RECEIPT_WITHS = [
    "receipt_products",
    "receipt_products.modificators",
    "receipt_products.modificators.modificator_group",
    "receipt_products.product.unit",
    "receipt_products.product.station",
]


def withs(values: list[str]) -> str:
    return "&".join(f"with[{i}]={v}" for i, v in enumerate(values))


def canonical(value: Any) -> bytes:
    """JSON bytes with sorted keys, Decimals exact: what the wire carries."""
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )


def extras(value: Any, where: str = "") -> list[str]:
    """Paths of every key that fell into ``model_extra`` somewhere in ``value``."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{where}.{key}" for key in value.model_extra or {}]
        for name in type(value).model_fields:
            found += extras(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += extras(item, f"{where}[{index}]")
    return found


def parse(model: type[BaseModel], response: httpx.Response) -> Any:
    """Validate the answer into ``model``; assert it round-trips and is fully typed."""
    assert response.status_code in (200, 201), response.text
    original = json.loads(response.content, parse_float=Decimal)
    parsed = model.model_validate(original)
    dumped = parsed.model_dump(by_alias=True, exclude_unset=True, mode="python")
    assert canonical(dumped) == canonical(original)
    assert extras(parsed) == [], f"untyped keys in {model.__name__}"
    return parsed


def wire_number(response: httpx.Response, key: str) -> str:
    """The digits of the first ``"key": <number>`` in the raw body."""
    match = re.search(rf'"{key}":(-?[0-9.]+)', response.text)
    assert match, f"no number under {key!r}"
    return match.group(1)


async def v2_login(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post("/open-api/v2/auth", json=DEMO_V2_AUTH)
    return {"x-token": response.json()["token"]}


async def place_order(client: httpx.AsyncClient, v2_headers: dict[str, str]) -> httpx.Response:
    """An auto-accepted order (so an open receipt exists too) at venue 1."""
    body = {
        "sale_type_id": 2,
        "venue_id": 1,
        "customer": {"id": 1},
        "products": [{"product_id": 11, "count": 2, "modifiers": [{"modifier_id": 2}]}],
        "auto_order_accept": True,
    }
    response = await client.post("/open-api/v2/orders", headers=v2_headers, json=body)
    assert response.status_code == 200, response.text
    return response


# ------------------------------------------------------------------------ every GET, v1 + v2

GETS: list[tuple[str, type[BaseModel]]] = [
    ("/venues", ListResponse[Venue]),
    ("/users", ListResponse[User]),
    ("/users/2", ItemResponse[User]),
    ("/customers", ListResponse[Customer]),
    ("/customers?with[0]=group&with[1]=balance&with[2]=cashback_balance", ListResponse[Customer]),
    ("/customers/1", ItemResponse[Customer]),
    ("/customers/1?with[0]=group&with[1]=balance", ItemResponse[Customer]),
    ("/customer-groups", ListResponse[CustomerGroup]),
    ("/categories", ListResponse[Category]),
    ("/categories?include_children=false&include_inactive=true", ListResponse[Category]),
    ("/categories/1", ItemResponse[Category]),
    ("/stations", ListResponse[Station]),
    ("/stations/1", ItemResponse[Station]),
    ("/products?limit=100", ListResponse[Product]),
    (f"/products?limit=100&{withs(PRODUCT_WITHS)}", ListResponse[Product]),
    ("/products?selects=price,cost_price", ListResponse[Product]),
    (f"/products/11?{withs(PRODUCT_WITHS)}", ItemResponse[Product]),
    ("/products/stop-list", ListResponse[StopListEntry]),
    ("/sale-types", ListResponse[SaleType]),
    ("/payment-methods", ListResponse[PaymentMethod]),
    ("/price-lists", ListResponse[PriceList]),
    ("/price-lists?with[0]=prices", ListResponse[PriceList]),
    ("/price-lists/prices?with[0]=product&with[1]=list", ListResponse[Price]),
    ("/orders", ListResponse[Order]),
    ("/receipts", ListResponse[Receipt]),
]


@pytest.mark.parametrize(("path", "model"), GETS, ids=[g[0] for g in GETS])
async def test_every_get_parses_and_round_trips(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]], path: str, model: type[BaseModel]
) -> None:
    prefix, headers = api
    if path in ("/orders", "/receipts"):
        await place_order(client, v2_headers=await v2_login(client))
    parsed = parse(model, await client.get(prefix + path, headers=headers))
    data = parsed.data  # type: ignore[attr-defined]
    assert data, f"{path} answered no data: the test would prove nothing"


async def test_typed_fields_carry_the_wire_values(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    response = await client.get("/open-api/v2/price-lists/prices?with[0]=product", headers=v2)
    prices: ListResponse[Price] = parse(ListResponse[Price], response)
    first = prices.data[0]
    assert isinstance(first.price, Decimal)
    assert str(first.price) == wire_number(response, "price")  # e.g. 8.50, not 8.5
    assert first.product is not None and first.product.price == first.price
    assert prices.pagination is not None and prices.total_count == prices.total

    response = await client.get("/open-api/v2/products/11?with[0]=modificator_groups", headers=v2)
    product: ItemResponse[Product] = parse(ItemResponse[Product], response)
    assert product.data.name == "Margherita"
    assert str(product.data.price) == wire_number(response, "price")
    groups = product.data.modificator_groups or []
    assert groups and groups[0].modificators and groups[0].modificators[0].name

    response = await client.get("/open-api/v2/categories", headers=v2)
    categories: ListResponse[Category] = parse(ListResponse[Category], response)
    root = categories.data[0]
    assert root.lft is not None and root.rgt is not None and root.lft < root.rgt
    assert root.children and root.children[0].parent_id == root.id

    response = await client.get("/open-api/v2/products/stop-list", headers=v2)
    stops: ListResponse[StopListEntry] = parse(ListResponse[StopListEntry], response)
    assert all(isinstance(s.timestamp, int) and s.timestamp > 10**12 for s in stops.data)


async def test_auth_answers_of_both_versions(client: httpx.AsyncClient) -> None:
    v2 = parse(AuthResponse, await client.post("/open-api/v2/auth", json=DEMO_V2_AUTH))
    assert v2.token.count(".") == 2 and v2.expires_at is not None
    v1 = parse(AuthResponse, await client.post("/open-api/auth", json=DEMO_V1_AUTH))
    assert v1.token.startswith("oauth_") and v1.expires_at is None and v1.expires_in


# ------------------------------------------------------------------------ the whole sale


async def test_a_whole_sale_parses_at_every_step(
    client: httpx.AsyncClient, v2: dict[str, str], v1: dict[str, str]
) -> None:
    created = parse(
        ItemResponse[Customer],
        await client.post(
            "/open-api/v2/customers", headers=v2, json={"name": "Ada", "phone": "+994501234567"}
        ),
    )
    assert created.message == "Customer created" and created.data.name == "Ada"

    body = {
        "sale_type_id": 2,
        "venue_id": 1,
        "customer": {"id": 0, "name": "Walk-in"},
        "products": [{"product_id": 11, "count": 2, "modifiers": [{"modifier_id": 2}]}],
        "delivery_fee": "2.50",
        "auto_order_accept": True,
    }
    response = await client.post("/open-api/v2/orders", headers=v2, json=body)
    order: ItemResponse[Order] = parse(ItemResponse[Order], response)
    payload = order.data.payload
    assert payload is not None and payload.products and payload.meta is not None
    assert payload.delivery_fee == Decimal("2.50") and str(payload.delivery_fee) == "2.50"
    assert payload.meta.order_total == order.data.total_amount
    line = payload.products[0]
    assert line.meta and line.meta.order_product and line.meta.order_product.product_hash
    assert line.product_modificators and line.product_modificators[0].modificator_id == 2

    path = f"/open-api/v2/orders/{order.data.id}?with[0]=receipt:id,service_notification_id,status"
    linked = parse(ItemResponse[Order], await client.get(path, headers=v2))
    assert linked.data.receipt is not None and linked.data.receipt.status == 1
    receipt_id = linked.data.receipt.id
    assert parse(
        ListResponse[Order],
        await client.get("/open-api/v2/orders?with[0]=customer&with[1]=receipt", headers=v2),
    ).data

    response = await client.get(
        f"/open-api/v2/receipts/{receipt_id}?{withs(RECEIPT_WITHS)}", headers=v2
    )
    receipt: ItemResponse[Receipt] = parse(ItemResponse[Receipt], response)
    assert receipt.data.total == order.data.total_amount
    assert receipt.data.meta is not None and receipt.data.meta.available_deposit == 0
    lines = receipt.data.receipt_products or []
    assert lines and lines[0].modificators and lines[0].product and lines[0].product.unit

    response = await client.post(
        f"/open-api/v2/receipts/{receipt_id}/close",
        headers=v2,
        json={"payment_methods": [{"id": 1, "name": "Cash", "amount": str(receipt.data.total)}]},
    )
    closed: ItemResponse[ClosedReceipt] = parse(ItemResponse[ClosedReceipt], response)
    assert closed.data.status == 2 and closed.data.payment_methods
    assert closed.data.payment_methods[0].amount == receipt.data.total

    stock = parse(
        ListResponse[StockOperation],
        await client.get(f"/open-api/v2/receipts/{receipt_id}/stock-operations", headers=v2),
    )
    assert stock.data and all(isinstance(op.quantity, Decimal) for op in stock.data)

    patched = parse(
        ItemResponse[Receipt],
        await client.patch(
            f"/open-api/v2/receipts/{receipt_id}", headers=v2, json={"order_status": "READY"}
        ),
    )
    assert patched.data.order_status == "READY" and patched.message

    # v1 reads the same receipt with its lines always embedded
    v1_receipt = parse(
        ItemResponse[Receipt], await client.get(f"/open-api/receipts/{receipt_id}", headers=v1)
    )
    assert v1_receipt.data.receipt_products


async def test_v1_receipt_import_update_and_delete(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    cid = str(uuid.uuid4())
    body = {
        "cid": cid,
        "status": 1,
        "user_id": 2,
        "sale_type_id": 1,
        "receipt_products": [{"product_id": 11, "count": 1, "price": "8.50"}],
    }
    created = parse(
        ItemResponse[Receipt], await client.post("/open-api/receipts", headers=v1, json=body)
    )
    assert created.data.cid == cid and created.data.status == 1
    receipt_id = created.data.id
    updated = parse(
        ItemResponse[Receipt],
        await client.put(
            f"/open-api/receipts/{receipt_id}",
            headers=v1,
            json={"id": receipt_id, "cid": cid, "guests": 3},
        ),
    )
    assert updated.data.guests == 3 and updated.message == "Receipt updated"
    ignored = parse(
        ItemResponse[Order],
        await client.put(
            "/open-api/v2/orders/"
            + str(
                (
                    await client.post(
                        "/open-api/v2/orders",
                        headers=v2,
                        json={
                            "sale_type_id": 2,
                            "venue_id": 1,
                            "customer": {"id": 1},
                            "products": [{"product_id": 12, "count": 1}],
                        },
                    )
                ).json()["data"]["id"]
            ),
            headers=v2,
            json={"status": "IGNORE"},
        ),
    )
    assert ignored.data.status == "IGNORE"
    deleted = parse(
        MessageResponse, await client.delete(f"/open-api/receipts/{receipt_id}", headers=v1)
    )
    assert deleted.message == "Receipt removed successfully"
