"""One sale from start to end, on each prefix and each database (spec §11, §12).

The path an integrator's order really takes: create the order (v2 flat body on v2, the v1
nested body on v1) → the till accepts it (``/sandbox``, admin token) → the order is RECEIVED
and linked to an OPEN receipt → the integration walks ``order_status`` through the delivery
workflow → closes the receipt with payments that add up to its total → stamps the fiscal id
(PATCH works on closed receipts) → reads the stock write-offs → deletes the receipt (v1),
which must put every stock quantity back where it started.

Each step asserts what the caller sees (status, exact values) and, where the API cannot
show it, the database itself (stock quantities).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select

from clopos.server.app import create_app
from clopos.server.demo import DEMO_BRAND
from clopos.server.store.models import Brand, Customer, CustomerGroup, Product, Stock
from clopos.settings import Settings

Api = tuple[str, dict[str, str]]
ADMIN_TOKEN = "test-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
RECEIPT_WITH = "receipt:id,service_notification_id,status"
# The delivery workflow an integration writes on the receipt (spec §12.1, order_status).
WORKFLOW = ["NEW", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED"]
STOCK_OPERATION_KEYS = {
    "id",
    "receipt_id",
    "receipt_product_id",
    "product_id",
    "stock_id",
    "storage_id",
    "quantity",
    "before_quantity",
    "after_quantity",
    "cost",
    "before_cost",
    "total_cost",
    "operated_at",
    "product",
    "stock",
}


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The app with an admin token, so the test can play the till through ``/sandbox``.

    Overrides the shared ``app`` fixture for this module; ``client``, ``v1``, ``v2`` and
    ``api`` then run on it.
    """
    application = create_app(settings.model_copy(update={"admin_token": SecretStr(ADMIN_TOKEN)}))
    async with LifespanManager(application):
        yield application


# ---------------------------------------------------------------------------------------------
# helpers


def dec(value: Any) -> Decimal:
    """A JSON amount as an exact Decimal (numbers and numeric strings alike)."""
    return Decimal(str(value))


def error_code(body: dict[str, Any]) -> str:
    """The error identifier in either shape: v2 string, v1 list of objects (``type``)."""
    error = body["error"]
    if isinstance(error, str):
        return error
    code: str = error[0]["type"]
    return code


@dataclass(frozen=True)
class Demo:
    """The demo rows the sale uses (ids are assigned by the database)."""

    margherita: Product
    customer: Customer
    takeaway_id: int
    cash_id: int
    card_id: int


async def demo_rows(app: Any, client: httpx.AsyncClient, v2: dict[str, str]) -> Demo:
    """Margherita (8.50, VAT included), a customer without a group discount, Takeaway (no
    service charge), and the Cash and Card payment methods."""
    async with app.state.clopos.sessions() as session:
        brand_id = await session.scalar(select(Brand.id).where(Brand.slug == DEMO_BRAND))
        margherita = await session.scalar(
            select(Product).where(Product.brand_id == brand_id, Product.name == "Margherita")
        )
        customer = await session.scalar(
            select(Customer)
            .join(CustomerGroup, CustomerGroup.id == Customer.group_id)
            .where(Customer.brand_id == brand_id, CustomerGroup.name == "My Customers")
            .order_by(Customer.id)
            .limit(1)
        )
    assert margherita is not None and customer is not None
    sale_types = (await client.get("/open-api/v2/sale-types", headers=v2)).json()["data"]
    methods = (await client.get("/open-api/v2/payment-methods", headers=v2)).json()["data"]
    by_name = {m["name"]: m["id"] for m in methods}
    return Demo(
        margherita=margherita,
        customer=customer,
        takeaway_id=next(s["id"] for s in sale_types if s["name"] == "Takeaway"),
        cash_id=by_name["Cash"],
        card_id=by_name["Card"],
    )


def v2_order_body(demo: Demo) -> dict[str, Any]:
    """The flat v2 create body (spec §11.4): two Margheritas for takeaway."""
    return {
        "sale_type_id": demo.takeaway_id,
        "venue_id": 1,
        "customer": {
            "id": demo.customer.id,
            "phone": demo.customer.phone,
            "address": "12 Nizami St, Baku",
            "customer_discount_type": 1,
            "name": demo.customer.name,
        },
        "products": [
            {
                "product_id": demo.margherita.id,
                "product_name": "Margherita",
                "count": 2,
                "price": 8.5,
                "status": "new",
                "product_hash": "abc123",
            }
        ],
        "comment": "Leave at the door",
    }


def v1_order_body(demo: Demo) -> dict[str, Any]:
    """The nested v1 create body (spec §11.4 "v1 body"), same sale as the v2 one."""
    product = demo.margherita
    return {
        "customer_id": demo.customer.id,
        "payload": {
            "service": {
                "sale_type_id": demo.takeaway_id,
                "sale_type_name": "Takeaway",
                "venue_id": 1,
                "venue_name": "Main",
            },
            "customer": {
                "id": demo.customer.id,
                "name": demo.customer.name,
                "customer_discount_type": 1,
                "phone": demo.customer.phone,
                "address": None,
            },
            "products": [
                {
                    "product_id": product.id,
                    "count": 2,
                    "product_modificators": [],
                    "meta": {
                        "price": 8.5,
                        "order_product": {
                            "product": {
                                "id": product.id,
                                "name": "Margherita",
                                "category_id": product.category_id,
                                "station_id": product.station_id,
                                "price": 8.5,
                            },
                            "count": 2,
                            "status": "new",
                            "product_modificators": [],
                            "product_hash": "abc123",
                        },
                    },
                }
            ],
        },
        "meta": {
            "comment": "Leave at the door",
            "apply_service_charge": False,
            "service_charge_value": 0,
        },
    }


async def stock_levels(app: Any) -> dict[tuple[int, int], Decimal]:
    """Every ``Stock`` row's quantity by (storage, product), straight from the database."""
    async with app.state.clopos.sessions() as session:
        rows = (await session.scalars(select(Stock))).all()
    return {(row.storage_id, row.product_id): dec(row.quantity) for row in rows}


# ---------------------------------------------------------------------------------------------
# the lifecycle


async def test_sale_lifecycle(
    app: Any,
    client: httpx.AsyncClient,
    api: Api,
    v1: dict[str, str],
    v2: dict[str, str],
) -> None:
    prefix, headers = api
    is_v1 = prefix == "/open-api"
    demo = await demo_rows(app, client, v2)
    stock_at_start = await stock_levels(app)

    # 1. create the order: PENDING until the till accepts it (spec §11.1).
    body = v1_order_body(demo) if is_v1 else v2_order_body(demo)
    created = await client.post(f"{prefix}/orders", json=body, headers=headers)
    # v1 documents 201 Created; v2 leaves it unstated and we answer 200 (spec §11.4).
    assert created.status_code == (201 if is_v1 else 200), created.text
    order = created.json()["data"]
    order_id = order["id"]
    assert isinstance(order_id, int)
    assert order["status"] == "PENDING"

    # 2. the till accepts: RECEIVED, with a linked open receipt (spec §11.1).
    accepted = await client.post(
        f"/sandbox/brands/{DEMO_BRAND}/orders/{order_id}/accept", headers=ADMIN
    )
    assert accepted.status_code == 200, accepted.text

    shown = await client.get(
        f"{prefix}/orders/{order_id}", params={"with[0]": RECEIPT_WITH}, headers=headers
    )
    assert shown.status_code == 200, shown.text
    order = shown.json()["data"]
    assert order["status"] == "RECEIVED"
    receipt_ref = order["receipt"]
    assert set(receipt_ref) == {"id", "service_notification_id", "status"}
    assert receipt_ref["service_notification_id"] == order_id
    assert receipt_ref["status"] == 1
    receipt_id = receipt_ref["id"]
    assert isinstance(receipt_id, int)

    opened = await client.get(
        f"{prefix}/receipts/{receipt_id}",
        params={"with[0]": "receipt_products"},
        headers=headers,
    )
    assert opened.status_code == 200, opened.text
    receipt = opened.json()["data"]
    assert receipt["status"] == 1
    assert receipt["closed_at"] is None
    assert receipt["service_notification_id"] == order_id
    assert receipt["sale_type_id"] == demo.takeaway_id
    assert receipt["customer_id"] == demo.customer.id
    assert receipt["source"] == "web"
    [line] = receipt["receipt_products"]
    assert line["product_id"] == demo.margherita.id
    assert dec(line["count"]) == 2
    assert dec(line["price"]) == Decimal("8.50")
    # 2 × 8.50, VAT included in the price, takeaway (no service charge), no discount.
    total = dec(receipt["total"])
    assert total == Decimal("17.00"), receipt
    cid = receipt["cid"]

    # 3. the delivery workflow, one PATCH per step (spec §12.6); the receipt stays open.
    for step in WORKFLOW:
        patched = await client.patch(
            f"{prefix}/receipts/{receipt_id}", json={"order_status": step}, headers=headers
        )
        assert patched.status_code == 200, patched.text
        data = patched.json()["data"]
        assert data["id"] == receipt_id
        assert data["order_status"] == step
        assert data["status"] == 1

    # 4. close. First with payments one cent short: refused, still open (spec §16.13).
    payments = [
        {"id": demo.cash_id, "name": "Cash", "amount": float(total - 7)},
        {"id": demo.card_id, "name": "Card", "amount": 7},
    ]
    short = [dict(payments[0], amount=float(total - 7 - Decimal("0.01"))), payments[1]]
    refused = await close(client, prefix, headers, receipt_id, cid, short, receipt["created_at"])
    assert refused.status_code == 400, refused.text
    assert error_code(refused.json()) == "validation_failed"
    # The message names both amounts, so the integrator sees what is off.
    assert "16.99" in refused.json()["message"] and "17.00" in refused.json()["message"]
    still_open = await client.get(f"{prefix}/receipts/{receipt_id}", headers=headers)
    assert still_open.json()["data"]["status"] == 1

    closed = await close(client, prefix, headers, receipt_id, cid, payments, receipt["created_at"])
    assert closed.status_code == 200, closed.text
    closed_body = closed.json()
    assert closed_body["success"] is True
    assert closed_body["data"]["id"] == receipt_id
    if not is_v1:
        assert closed_body["message"] == "Receipt closed"

    after = (await client.get(f"{prefix}/receipts/{receipt_id}", headers=headers)).json()["data"]
    assert after["status"] == 2
    assert isinstance(after["closed_at"], str)
    assert after["closed_at"] >= after["created_at"]  # same plain format: text order is time order
    assert [(p["id"], dec(p["amount"])) for p in after["payment_methods"]] == [
        (demo.cash_id, total - 7),
        (demo.card_id, Decimal(7)),
    ]
    assert dec(after["by_cash"]) == total - 7
    assert dec(after["by_card"]) == Decimal(7)

    # A closed receipt cannot be closed again (spec §15.6: 400 validation_failed).
    again = await close(client, prefix, headers, receipt_id, cid, payments, receipt["created_at"])
    assert again.status_code == 400, again.text
    assert error_code(again.json()) == "validation_failed"

    # 5. PATCH works on closed receipts (spec §12.6): the fiscal id after the sale.
    fiscal_id = f"FISCAL-{uuid.uuid4().hex[:8]}"
    stamped = await client.patch(
        f"{prefix}/receipts/{receipt_id}", json={"fiscal_id": fiscal_id}, headers=headers
    )
    assert stamped.status_code == 200, stamped.text
    stamped_data = stamped.json()["data"]
    assert stamped_data["fiscal_id"] == fiscal_id
    assert stamped_data["status"] == 2
    assert stamped_data["order_status"] == "COMPLETED"

    # 6. the stock write-offs the sale caused (spec §12.10; v2 only).
    listed = await client.get(f"/open-api/v2/receipts/{receipt_id}/stock-operations", headers=v2)
    assert listed.status_code == 200, listed.text
    operations = listed.json()["data"]
    assert operations, "closing a sale of two Margheritas wrote off no stock"
    stock_after_close = await stock_levels(app)
    line_ids = {line["id"]}
    for op in operations:
        assert set(op) >= STOCK_OPERATION_KEYS, op
        assert op["receipt_id"] == receipt_id
        assert op["receipt_product_id"] in line_ids
        assert dec(op["quantity"]) > 0
        assert dec(op["after_quantity"]) == dec(op["before_quantity"]) - dec(op["quantity"])
        assert op["stock"]["id"] == op["stock_id"]
        assert op["stock"]["storage"]["id"] == op["storage_id"]
        assert op["product"]["id"] == op["product_id"]
    changed = {
        key
        for key, quantity in stock_after_close.items()
        if quantity != stock_at_start.get(key, Decimal(0))
    }
    assert changed == {(op["storage_id"], op["product_id"]) for op in operations}

    # 7. delete (v1 only): irreversible, stock operations rolled back (spec §12.9).
    deleted = await client.request(
        "DELETE", f"/open-api/receipts/{receipt_id}", json={}, headers=v1
    )
    assert deleted.status_code == 200, deleted.text
    deleted_body = deleted.json()
    assert deleted_body["success"] is True
    assert deleted_body["message"] == "Receipt removed successfully"
    assert {"time", "timestamp", "unix"} <= set(deleted_body)

    gone = await client.get(f"{prefix}/receipts/{receipt_id}", headers=headers)
    assert gone.status_code == 404, gone.text
    assert error_code(gone.json()) == "not_found"
    stock_at_end = await stock_levels(app)
    assert {k: q for k, q in stock_at_end.items() if q != stock_at_start.get(k, Decimal(0))} == {}
    ops_gone = await client.get(f"/open-api/v2/receipts/{receipt_id}/stock-operations", headers=v2)
    assert ops_gone.status_code == 404, ops_gone.text


async def close(
    client: httpx.AsyncClient,
    prefix: str,
    headers: dict[str, str],
    receipt_id: int,
    cid: str,
    payments: list[dict[str, Any]],
    created_at: str,
) -> httpx.Response:
    """Close the receipt the way each prefix documents it.

    v2: ``POST /receipts/{id}/close`` with the payments only (``closed_at`` defaults to now,
    spec §12.8). v1: ``PUT /receipts/{id}`` with ``id, cid, payment_methods, closed_at`` all
    required (spec §12.7); ``closed_at`` is one second after the shown ``created_at`` (which
    drops the sub-second part), so it is later than the stored value however fast the test
    runs — a real till closes minutes later.
    """
    if prefix == "/open-api/v2":
        return await client.post(
            f"{prefix}/receipts/{receipt_id}/close",
            json={"payment_methods": payments},
            headers=headers,
        )
    closed_at = datetime.strptime(created_at, "%Y-%m-%d %H:%M:%S") + timedelta(seconds=1)
    return await client.put(
        f"{prefix}/receipts/{receipt_id}",
        json={
            "id": receipt_id,
            "cid": cid,
            "payment_methods": payments,
            "closed_at": closed_at.strftime("%Y-%m-%d %H:%M:%S"),
        },
        headers=headers,
    )
