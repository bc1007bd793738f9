"""v1-only receipt routes: ``POST /receipts`` (import, spec §12.5), ``PUT /receipts/{id}``
(spec §12.7) and ``DELETE /receipts/{id}`` (spec §12.9), with the bodies integrify 0.0.1
sends (existing-python-client.md §4.1: Decimals as JSON strings, unix-ms timestamps, the
``meta_customer`` wrapper, ``{}`` on DELETE).

Demo data relied on: user 2 "Cashier 1", sale type "Dine-in", payment methods "Cash" and
"Card", Margherita 8.50 and Espresso 2.00 (both carrying VAT 18 %, included), customer 1.
"""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from integrify.clopos.schemas.common.response import BaseResponse, ObjectResponse
from integrify.clopos.schemas.receipts.object import Receipt as IntegrifyReceipt

V1 = "/open-api"
V2 = "/open-api/v2"
NOT_FOUND_V2 = {"success": False, "error": "not_found", "message": "Receipt not found"}


def exact(response: httpx.Response) -> Any:
    return json.loads(response.content, parse_float=Decimal)


async def ids_by_name(client: httpx.AsyncClient, v2: dict[str, str], path: str) -> dict[str, int]:
    response = await client.get(f"{V2}/{path}", params={"limit": 100}, headers=v2)
    assert response.status_code == 200, response.text
    return {row["name"]: row["id"] for row in response.json()["data"]}


@pytest.fixture
async def catalog(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    """Product and payment-method ids by name."""
    return {
        **await ids_by_name(client, v2, "products"),
        **await ids_by_name(client, v2, "payment-methods"),
    }


def integrify_create_body(catalog: dict[str, int], **changes: Any) -> dict[str, Any]:
    """``create_receipt(...)`` as integrify 0.0.1 serializes it: strings for Decimals,
    unix-ms ints for the timestamps (existing-python-client.md §4.1)."""
    body: dict[str, Any] = {
        "cid": str(uuid.uuid4()),
        "payment_methods": [{"id": catalog["Cash"], "name": "Cash", "amount": "17.00"}],
        "user_id": 2,
        "by_cash": "17.00",
        "by_card": "0",
        "customer_discount_type": 0,
        "discount_rate": "0",
        "discount_type": 0,
        "discount_value": "0",
        "delivery_fee": "0",
        "gift_total": "0",
        "guests": 2,
        "original_subtotal": "17.00",
        "printed": False,
        "receipt_products": [
            {
                "cid": str(uuid.uuid4()),
                "product_id": catalog["Margherita"],
                "portion_size": "1",
                "is_gift": False,
                "meta": {"note": "no basil"},
                "price": "8.50",
                "count": 2,
                "subtotal": "17.00",
                "total": "17.00",
            }
        ],
        "remaining": "0",
        "rps_discount": "0",
        "sale_type_id": 1,
        "service_charge": "0",
        "service_charge_value": "0",
        "status": 2,
        "subtotal": "17.00",
        "terminal_id": 1,
        "total": "17.00",
        "total_tax": "2.59",
        "created_at": 1755524716000,  # 2025-08-18 13:45:16 UTC
        "closed_at": 1755528425000,  # 2025-08-18 14:47:05 UTC
    }
    body.update(changes)
    return body


async def create(client: httpx.AsyncClient, v1: dict[str, str], body: dict[str, Any]) -> Any:
    response = await client.post(f"{V1}/receipts", json=body, headers=v1)
    assert response.status_code == 201, response.text
    return exact(response)["data"]


# --- create -------------------------------------------------------------------------------


async def test_import_closed_sale_exactly_as_integrify_sends_it(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], catalog: dict[str, int]
) -> None:
    body = integrify_create_body(catalog)
    response = await client.post(f"{V1}/receipts", json=body, headers=v1)
    assert response.status_code == 201, response.text
    answer = exact(response)
    assert answer["success"] is True and answer["message"] == "Receipt created"
    data = answer["data"]
    assert data["cid"] == body["cid"]
    assert (data["status"], data["venue_id"], data["user_id"], data["guests"]) == (2, 1, 2, 2)
    assert data["created_at"] == "2025-08-18 13:45:16"
    assert data["closed_at"] == "2025-08-18 14:47:05"
    assert data["shift_date"] == "2025-08-18"
    assert str(data["total"]) == "17.00" and str(data["total_tax"]) == "2.59"
    assert data["payment_methods"] == [{"id": catalog["Cash"], "name": "Cash", "amount": 17}]
    assert data["meta"]["sale_type"] == {"name": "Dine-in"}
    assert data["meta"]["user"] == {"name": "Cashier 1"}
    [line] = data["receipt_products"]
    assert (line["product_id"], line["count"], str(line["price"])) == (
        catalog["Margherita"],
        2,
        "8.50",
    )
    assert line["cid"] == body["receipt_products"][0]["cid"]
    assert line["meta"]["note"] == "no basil"
    assert line["meta"]["product"]["name"] == "Margherita"
    assert line["seller_id"] == 2
    ObjectResponse[IntegrifyReceipt].model_validate(response.json())
    # Stored as sent and visible on the v2 prefix too.
    again = exact(await client.get(f"{V2}/receipts/{data['id']}", headers=v2))["data"]
    assert (again["cid"], str(again["total"]), again["closed_at"]) == (
        body["cid"],
        "17.00",
        "2025-08-18 14:47:05",
    )


async def test_import_with_string_timestamps_and_computed_totals(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], catalog: dict[str, int]
) -> None:
    body = {
        "cid": str(uuid.uuid4()),
        "created_at": "2025-08-18 13:45:16",
        "closed_at": "2025-08-18 14:00:00",
        "receipt_products": [
            {"product_id": catalog["Margherita"], "count": 1},
            {"product_id": catalog["Espresso"], "count": 2},
        ],
        "payment_methods": [{"id": catalog["Card"], "name": "Card", "amount": 12.5}],
    }
    data = await create(client, v1, body)
    # Left-out money comes from the totals engine: 8.50 + 2 × 2.00, VAT 18 % included.
    assert (data["subtotal"], data["total"], data["i_tax"]) == (
        Decimal("12.50"),
        Decimal("12.50"),
        Decimal("1.91"),
    )
    assert (data["by_card"], data["by_cash"]) == (Decimal("12.5"), Decimal("0"))
    v2_view = await client.get(f"{V2}/receipts/{data['id']}", headers=v2)
    assert v2_view.status_code == 200
    assert v2_view.json()["data"]["closed_at"] == "2025-08-18 14:00:00"


async def test_import_open_receipt(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    body = {
        "cid": str(uuid.uuid4()),
        "status": 1,
        "receipt_products": [{"product_id": catalog["Espresso"], "count": 1}],
    }
    data = await create(client, v1, body)
    assert (data["status"], data["closed_at"], data["payment_methods"]) == (1, None, [])
    assert data["total"] == data["remaining"] == Decimal("2.00")
    # "status": 2 without closed_at is closed now.
    closed = await create(
        client,
        v1,
        {
            "cid": str(uuid.uuid4()),
            "status": 2,
            "total": "4",
            "payment_methods": [{"id": catalog["Cash"], "name": "Cash", "amount": "4"}],
        },
    )
    assert closed["status"] == 2 and closed["closed_at"] is not None


async def test_duplicate_cid_is_409(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    body = integrify_create_body(catalog)
    await create(client, v1, body)
    again = await client.post(f"{V1}/receipts", json={**body, "total": "17.00"}, headers=v1)
    assert again.status_code == 409
    answer = again.json()
    assert answer["success"] is False
    assert answer["message"] == "A receipt with this cid already exists"
    assert answer["error"][0]["http_code"] == 409


async def test_idempotency_key_replays_the_import(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    body = integrify_create_body(catalog)
    headers = {**v1, "Idempotency-Key": f"import-{uuid.uuid4()}"}
    first = await client.post(f"{V1}/receipts", json=body, headers=headers)
    second = await client.post(f"{V1}/receipts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["data"]["id"] == second.json()["data"]["id"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"cid": None}, "cid", "The cid field is required"),
        ({"payment_methods": None}, "payment_methods", None),
        (
            {"payment_methods": [{"id": 1, "name": "Cash", "amount": "16.99"}]},
            "payment_methods",
            "The sum of payment amounts (16.99) does not equal the total (17.00)",
        ),
        ({"status": 1}, "status", None),
        ({"closed_at": 1755524716000}, "closed_at", "closed_at must be greater than created_at"),
        ({"created_at": "18/08/2025"}, "created_at", None),
        ({"created_at": 1755524716}, "created_at", None),  # seconds, not milliseconds
        ({"total": "abc"}, "total", None),
        ({"user_id": 999999}, "user_id", None),
        ({"sale_type_id": 999999}, "sale_type_id", None),
        ({"receipt_products": [{"product_id": 999999, "count": 1}]}, None, None),
    ],
)
async def test_import_validation(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    catalog: dict[str, int],
    changes: dict[str, Any],
    field: str | None,
    message: str | None,
) -> None:
    body = {k: v for k, v in integrify_create_body(catalog, **changes).items() if v is not None}
    response = await client.post(f"{V1}/receipts", json=body, headers=v1)
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["error"][0]["type"] == "validation_failed"
    if field is not None:
        assert answer["details"]["field"] == field
    else:
        assert answer["details"]["field"] == "receipt_products.0.product_id"
    if message is not None:
        assert answer["message"] == message


# --- PUT ----------------------------------------------------------------------------------


async def open_receipt(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> Any:
    return await create(
        client,
        v1,
        {
            "cid": str(uuid.uuid4()),
            "status": 1,
            "created_at": "2025-08-18 13:45:16",
            "receipt_products": [{"product_id": catalog["Margherita"], "count": 2}],
        },
    )


def put_body(receipt: Any, **changes: Any) -> dict[str, Any]:
    """integrify 0.0.1's ``update_receipt`` body (existing-python-client.md §4.1)."""
    body: dict[str, Any] = {
        "id": receipt["id"],
        "cid": receipt["cid"],
        "delivery_fee": "0",
        "description": "Ring twice",
        "order_number": "002",
        "order_status": "IN_PROGRESS",
        "guests": 3,
        "discount_rate": 0,
        "discount_type": 0,
        "discount_value": None,
        "customer_id": None,
        "closed_at": "",
    }
    body.update(changes)
    return body


async def test_put_updates_and_keeps_open_with_empty_closed_at(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    response = await client.put(
        f"{V1}/receipts/{receipt['id']}", json=put_body(receipt), headers=v1
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert response.json()["message"] == "Receipt updated"
    assert (data["description"], data["order_number"], data["order_status"], data["guests"]) == (
        "Ring twice",
        "002",
        "IN_PROGRESS",
        3,
    )
    assert (data["status"], data["closed_at"]) == (1, None)
    ObjectResponse[IntegrifyReceipt].model_validate(response.json())


async def test_put_discount_recomputes_totals(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    assert receipt["total"] == Decimal("17.00")
    response = await client.put(
        f"{V1}/receipts/{receipt['id']}",
        json=put_body(receipt, discount_type=2, discount_value="2.00", delivery_fee="1.50"),
        headers=v1,
    )
    data = exact(response)["data"]
    assert (data["total_discount"], data["delivery_fee"], data["total"]) == (
        Decimal("2.00"),
        Decimal("1.50"),
        Decimal("16.50"),
    )
    percent = await client.put(
        f"{V1}/receipts/{receipt['id']}",
        json=put_body(receipt, discount_type=1, discount_value="10"),
        headers=v1,
    )
    assert exact(percent)["data"]["total_discount"] == Decimal("1.70")


async def test_put_customer_needs_meta_customer_in_either_shape(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    url = f"{V1}/receipts/{receipt['id']}"
    missing = await client.put(url, json=put_body(receipt, customer_id=1), headers=v1)
    assert missing.status_code == 400
    assert missing.json()["details"]["field"] == "meta.customer"
    customer = {"name": "Rahid Akhundzada", "bonus": 0, "cashback": 0, "balance": 0,
                "phone": "+994505550000", "group_name": "VIP", "group_id": 2}  # fmt: skip
    wrapped = await client.put(
        url,
        json=put_body(receipt, customer_id=1, meta_customer={"meta": {"customer": customer}}),
        headers=v1,
    )
    assert wrapped.status_code == 200, wrapped.text
    assert wrapped.json()["data"]["customer_id"] == 1
    assert wrapped.json()["data"]["meta"]["customer"]["name"] == "Rahid Akhundzada"
    documented = await client.put(
        url,
        json=put_body(receipt, customer_id=2, meta={"customer": {**customer, "name": "Aytan"}}),
        headers=v1,
    )
    assert documented.json()["data"]["customer_id"] == 2
    assert documented.json()["data"]["meta"]["customer"]["name"] == "Aytan"
    unknown = await client.put(
        url,
        json=put_body(receipt, customer_id=999999, meta={"customer": customer}),
        headers=v1,
    )
    assert unknown.status_code == 400
    assert unknown.json()["details"]["field"] == "customer_id"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": 999999}, "id"),
        ({"cid": "someone-else"}, "cid"),
        ({"description": "x" * 501}, "description"),
        ({"discount_type": 2, "discount_value": None}, "discount_value"),
        ({"discount_type": 3}, "discount_type"),
        ({"order_status": "IGNORE"}, "order_status"),
        ({"closed_at": "2025-08-18 14:00:00"}, "payment_methods"),
        ({"closed_at": "18.08.2025 14:00"}, "closed_at"),
        ({"payment_methods": [{"id": 1, "name": "Cash", "amount": "17"}]}, "closed_at"),
    ],
)
async def test_put_rules(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    catalog: dict[str, int],
    changes: dict[str, Any],
    field: str,
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    response = await client.put(
        f"{V1}/receipts/{receipt['id']}", json=put_body(receipt, **changes), headers=v1
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"][0]["type"] == "validation_failed"
    assert response.json()["details"]["field"] == field


async def test_put_description_of_500_is_fine(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    response = await client.put(
        f"{V1}/receipts/{receipt['id']}", json=put_body(receipt, description="x" * 500), headers=v1
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["description"]) == 500


async def test_put_closes_and_then_refuses(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, catalog)
    url = f"{V1}/receipts/{receipt['id']}"
    closing = put_body(
        receipt,
        closed_at="2025-08-18 14:47:05",
        payment_methods=[{"id": catalog["Card"], "name": "Card", "amount": "17.00"}],
    )
    bad = await client.put(url, json={**closing, "status": 1}, headers=v1)
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "status"
    response = await client.put(url, json=closing, headers=v1)
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Receipt closed"
    data = response.json()["data"]
    assert (data["status"], data["closed_at"], data["by_card"]) == (2, "2025-08-18 14:47:05", 17)
    refused = await client.put(url, json=put_body(receipt), headers=v1)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Receipt is closed")
    too_early = await open_receipt(client, v1, catalog)
    early = await client.put(
        f"{V1}/receipts/{too_early['id']}",
        json=put_body(too_early, closed_at="2025-08-18 13:45:16",
                      payment_methods=closing["payment_methods"]),
        headers=v1,
    )  # fmt: skip
    assert early.status_code == 400
    assert early.json()["message"] == "closed_at must be greater than created_at"


async def test_put_unknown_receipt(client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    response = await client.put(
        f"{V1}/receipts/999999", json={"id": 999999, "cid": "x"}, headers=v1
    )
    assert response.status_code == 404
    assert response.json()["message"] == "Receipt not found"


# --- DELETE -------------------------------------------------------------------------------


async def test_delete_then_404_everywhere(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await create(client, v1, integrify_create_body(catalog))
    url = f"{V1}/receipts/{receipt['id']}"
    # integrify 0.0.1 sends DELETE with the body {}.
    response = await client.request("DELETE", url, json={}, headers=v1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "message", "time", "timestamp", "unix"}
    assert body["success"] is True and body["message"] == "Receipt removed successfully"
    BaseResponse.model_validate(body)
    assert (await client.get(url, headers=v1)).status_code == 404
    assert (await client.get(f"{V2}/receipts/{receipt['id']}", headers=v2)).json() == NOT_FOUND_V2
    again = await client.delete(url, headers=v1)
    assert again.status_code == 404
    assert again.json()["message"] == "Receipt not found"


async def test_other_venue_cannot_delete(
    client: httpx.AsyncClient, v1: dict[str, str], catalog: dict[str, int]
) -> None:
    receipt = await create(client, v1, integrify_create_body(catalog))
    airport = {**v1, "x-venue": "2"}
    response = await client.delete(f"{V1}/receipts/{receipt['id']}", headers=airport)
    assert response.status_code == 404
    assert (await client.get(f"{V1}/receipts/{receipt['id']}", headers=v1)).status_code == 200
