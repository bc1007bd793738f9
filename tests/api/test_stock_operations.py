"""Stock write-offs of receipts (spec §12.10) and their rollback on DELETE (spec §12.9).

Demo data relied on (src/clopos/server/demo.py): each venue has one storage ("Main storage",
"Airport storage") holding every INGREDIENT and PREPARATION. Recipes: Margherita = Pizza
Dough 0.250 + Tomato Sauce 0.080 + Mozzarella 0.120 (gross, per pizza); Espresso = Coffee
Beans 0.009. Coca-Cola 0.5 L is a stock-tracked MODIFICATION without a recipe; Tiramisu a
DISH without one. Mozzarella costs 9.80 per kg.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
from integrify.clopos.schemas.common.response import ObjectListResponse
from integrify.clopos.schemas.receipts.object import ReceiptStockOperation
from sqlalchemy import select

from clopos.server.store.models import Stock, Storage

V1 = "/open-api"
V2 = "/open-api/v2"
MARGHERITA = {"Pizza Dough": Decimal("0.250"), "Tomato Sauce": Decimal("0.080"),
              "Mozzarella": Decimal("0.120")}  # fmt: skip


async def catalog(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    ids = {}
    for path in ("products", "payment-methods"):
        response = await client.get(f"{V2}/{path}", params={"limit": 100}, headers=v2)
        ids.update({row["name"]: row["id"] for row in response.json()["data"]})
    return ids


async def stock_level(app: Any, venue_id: int, product_id: int) -> Decimal | None:
    """The quantity of a product in the venue's storage, read straight from the store."""
    async with app.state.clopos.sessions() as session:
        quantity: Decimal | None = await session.scalar(
            select(Stock.quantity)
            .join(Storage, Storage.id == Stock.storage_id)
            .where(Storage.venue_id == venue_id, Stock.product_id == product_id)
        )
        return quantity


async def open_receipt(
    client: httpx.AsyncClient, headers: dict[str, str], lines: list[tuple[int, int]]
) -> dict[str, Any]:
    body = {
        "cid": str(uuid.uuid4()),
        "status": 1,
        "receipt_products": [{"product_id": p, "count": c} for p, c in lines],
    }
    response = await client.post(f"{V1}/receipts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def close(
    client: httpx.AsyncClient, v2: dict[str, str], receipt: dict[str, Any], method: int
) -> None:
    response = await client.post(
        f"{V2}/receipts/{receipt['id']}/close",
        json={"payment_methods": [{"id": method, "amount": str(receipt["total"])}]},
        headers=v2,
    )
    assert response.status_code == 200, response.text


async def operations(
    client: httpx.AsyncClient, v2: dict[str, str], receipt_id: int
) -> list[dict[str, Any]]:
    response = await client.get(f"{V2}/receipts/{receipt_id}/stock-operations", headers=v2)
    assert response.status_code == 200, response.text
    ObjectListResponse[ReceiptStockOperation].model_validate(response.json())
    body = json.loads(response.content, parse_float=Decimal)
    assert body["success"] is True and {"time", "timestamp", "unix"} <= body.keys()
    result: list[dict[str, Any]] = body["data"]
    return result


async def test_closing_writes_off_the_recipe(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    before = {name: await stock_level(app, 1, ids[name]) for name in MARGHERITA}
    receipt = await open_receipt(client, v1, [(ids["Margherita"], 2)])
    assert await operations(client, v2, receipt["id"]) == []  # nothing until it is closed
    await close(client, v2, receipt, ids["Cash"])

    ops = await operations(client, v2, receipt["id"])
    assert [op["product"]["name"] for op in ops] == list(MARGHERITA)
    line_id = (await client.get(f"{V1}/receipts/{receipt['id']}", headers=v1)).json()["data"][
        "receipt_products"
    ][0]["id"]
    closed_at = (await client.get(f"{V2}/receipts/{receipt['id']}", headers=v2)).json()["data"][
        "closed_at"
    ]
    for op in ops:
        name = op["product"]["name"]
        assert op["quantity"] == MARGHERITA[name] * 2
        assert op["before_quantity"] == before[name]
        assert op["after_quantity"] == before[name] - MARGHERITA[name] * 2
        assert await stock_level(app, 1, ids[name]) == op["after_quantity"]
        assert (op["receipt_id"], op["receipt_product_id"], op["operation_id"]) == (
            receipt["id"],
            line_id,
            None,
        )
        assert op["product_id"] == op["product"]["id"] == ids[name]
        assert op["stock"]["id"] == op["stock_id"]
        assert op["stock"]["storage"] == {"id": op["storage_id"], "name": "Main storage"}
        assert op["operated_at"] == closed_at
        assert op["before_cost"] == op["cost"]
    mozzarella = ops[2]
    assert mozzarella["cost"] == Decimal("9.80")
    assert mozzarella["total_cost"] == Decimal("2.3520")  # 0.240 × 9.80


async def test_goods_write_off_themselves_and_dishes_without_recipe_nothing(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    coke = ids["Coca-Cola 0.5 L"]
    before = await stock_level(app, 1, coke) or Decimal(0)
    receipt = await open_receipt(client, v1, [(coke, 3), (ids["Tiramisu"], 1)])
    await close(client, v2, receipt, ids["Card"])
    ops = await operations(client, v2, receipt["id"])
    assert [(op["product_id"], op["quantity"]) for op in ops] == [(coke, Decimal(3))]
    # Stock may go below zero: a sale is never refused for missing stock.
    assert ops[0]["after_quantity"] == before - 3
    assert await stock_level(app, 1, coke) == before - 3


async def test_delete_restores_stock_and_removes_operations(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    beans = ids["Coffee Beans"]
    before = await stock_level(app, 1, beans)
    assert before is not None
    # A closed import (v1) writes off too.
    response = await client.post(
        f"{V1}/receipts",
        json={
            "cid": str(uuid.uuid4()),
            "closed_at": "2025-08-18 14:47:05",
            "created_at": "2025-08-18 14:00:00",
            "receipt_products": [{"product_id": ids["Espresso"], "count": 4}],
            "payment_methods": [{"id": ids["Cash"], "name": "Cash", "amount": "8.00"}],
        },
        headers=v1,
    )
    assert response.status_code == 201, response.text
    receipt_id = response.json()["data"]["id"]
    [op] = await operations(client, v2, receipt_id)
    assert op["quantity"] == Decimal("0.036")
    assert await stock_level(app, 1, beans) == before - Decimal("0.036")

    deleted = await client.request("DELETE", f"{V1}/receipts/{receipt_id}", json={}, headers=v1)
    assert deleted.status_code == 200
    assert await stock_level(app, 1, beans) == before
    gone = await client.get(f"{V2}/receipts/{receipt_id}/stock-operations", headers=v2)
    assert gone.status_code == 404
    assert gone.json() == {"success": False, "error": "not_found", "message": "Receipt not found"}


async def test_each_venue_sells_from_its_own_storage(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await catalog(client, v2)
    beans = ids["Coffee Beans"]
    main_before = await stock_level(app, 1, beans)
    airport_before = await stock_level(app, 2, beans)
    assert airport_before is not None
    airport_v1 = {**v1, "x-venue": "2"}
    airport_v2 = {**v2, "x-venue": "2"}
    receipt = await open_receipt(client, airport_v1, [(ids["Espresso"], 1)])
    await close(client, airport_v2, receipt, ids["Cash"])
    [op] = await operations(client, airport_v2, receipt["id"])
    assert op["stock"]["storage"]["name"] == "Airport storage"
    assert await stock_level(app, 2, beans) == airport_before - Decimal("0.009")
    assert await stock_level(app, 1, beans) == main_before


async def test_stock_operations_404_and_isolation(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    for raw in ("999999", "nope"):
        response = await client.get(f"{V2}/receipts/{raw}/stock-operations", headers=v2)
        assert response.status_code == 404
        assert response.json()["message"] == "Receipt not found"
    # The demo's closed receipts have operations; another brand cannot see them.
    closed = (
        await client.get(
            f"{V2}/receipts", params={"filters[0][0]": "status", "filters[0][1]": "2"}, headers=v2
        )
    ).json()["data"]
    first = closed[-1]["id"]  # the oldest: Margherita ×2 and Coca-Cola 0.5 L ×2
    assert len(await operations(client, v2, first)) == 4
    response = await client.get(f"{V2}/receipts/{first}/stock-operations", headers=other_v2)
    assert response.status_code == 404
