"""``POST /open-api/v2/receipts/{id}/close`` (spec §12.8; existing-python-client.md §4 and
§8.5: the old client sends ``id``/``cid``, string amounts and ``closed_at: ""``, and parses
the answer as a Receipt that must carry ``created_at``/``updated_at``).

Demo data relied on: payment methods "Cash" and "Card" (cash and card balances) and
"Customer Balance"; Margherita costs 8.50 with VAT 18 % included in the price. Receipts
are imported open through v1 ``POST /receipts`` at venue 1, the v2 token's venue.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from integrify.clopos.schemas.common.response import ObjectResponse
from integrify.clopos.schemas.receipts.object import Receipt as IntegrifyReceipt

V1 = "/open-api"
V2 = "/open-api/v2"
PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


async def ids_by_name(client: httpx.AsyncClient, v2: dict[str, str], path: str) -> dict[str, int]:
    response = await client.get(f"{V2}/{path}", params={"limit": 100}, headers=v2)
    assert response.status_code == 200, response.text
    return {row["name"]: row["id"] for row in response.json()["data"]}


async def open_receipt(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    v2: dict[str, str],
    lines: list[tuple[str, int]],
    **fields: Any,
) -> dict[str, Any]:
    """An open receipt at venue 1 selling ``lines`` ``[(product name, count)]``."""
    products = await ids_by_name(client, v2, "products")
    body = {
        "cid": str(uuid.uuid4()),
        "status": 1,
        "created_at": "2025-08-18 13:45:16",
        "receipt_products": [
            {"product_id": products[name], "count": count} for name, count in lines
        ],
        **fields,
    }
    response = await client.post(f"{V1}/receipts", json=body, headers=v1)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    assert data["status"] == 1
    return data


@pytest.fixture
async def methods(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    return await ids_by_name(client, v2, "payment-methods")


async def test_close_happy_path_as_the_old_client_sends_it(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], methods: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, v2, [("Margherita", 2)])
    assert receipt["total"] == 17
    response = await client.post(
        f"{V2}/receipts/{receipt['id']}/close",
        json={
            "id": receipt["id"],
            "cid": receipt["cid"],
            "payment_methods": [
                {"id": methods["Cash"], "name": "Cash", "amount": "10"},
                {"id": methods["Card"], "name": "Card", "amount": "7.00"},
            ],
            "closed_at": "2025-08-18 14:47:05",
        },
        headers=v2,
    )
    assert response.status_code == 200, response.text
    body = json.loads(response.content, parse_float=Decimal)
    assert body["success"] is True
    assert body["message"] == "Receipt closed"
    assert {"time", "timestamp", "unix"} <= body.keys()
    data = body["data"]
    assert data["id"] == receipt["id"]
    assert data["closed_at"] == "2025-08-18 14:47:05"
    assert data["status"] == 2
    assert data["total"] == Decimal("17")
    assert data["created_at"] == "2025-08-18 13:45:16"
    assert PLAIN.match(data["updated_at"])
    assert data["payment_methods"] == [
        {"id": methods["Cash"], "name": "Cash", "amount": Decimal("10")},
        {"id": methods["Card"], "name": "Card", "amount": Decimal("7.00")},
    ]
    assert str(data["payment_methods"][1]["amount"]) == "7.00"  # exactly as sent
    ObjectResponse[IntegrifyReceipt].model_validate(response.json())

    stored = (await client.get(f"{V2}/receipts/{receipt['id']}", headers=v2)).json()["data"]
    assert (stored["status"], stored["by_cash"], stored["by_card"], stored["remaining"]) == (
        2,
        10,
        7,
        0,
    )
    assert stored["meta"]["check_close_event"]["checked"] is True


async def test_closed_at_may_be_left_out_or_empty(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], methods: dict[str, int]
) -> None:
    for extra in ({}, {"closed_at": ""}, {"closed_at": None}):
        receipt = await open_receipt(client, v1, v2, [("Espresso", 1)])
        response = await client.post(
            f"{V2}/receipts/{receipt['id']}/close",
            json={"payment_methods": [{"id": methods["Card"], "amount": 2}], **extra},
            headers=v2,
        )
        assert response.status_code == 200, response.text
        data = response.json()["data"]
        assert PLAIN.match(data["closed_at"]) and data["closed_at"] > "2025-08-18 13:45:16"
        # name left out: the payment method's own name is stored
        assert data["payment_methods"] == [{"id": methods["Card"], "name": "Card", "amount": 2}]


def _error(response: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert response.status_code == 400, body
    assert body["success"] is False
    assert body["error"] == "validation_failed"
    return body


async def test_close_twice_is_already_closed(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], methods: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, v2, [("Espresso", 1)])
    pay = {"payment_methods": [{"id": methods["Cash"], "name": "Cash", "amount": 2}]}
    url = f"{V2}/receipts/{receipt['id']}/close"
    assert (await client.post(url, json=pay, headers=v2)).status_code == 200
    assert _error(await client.post(url, json=pay, headers=v2))["message"] == (
        "Receipt is already closed"
    )


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        (
            {"payment_methods": [{"id": 1, "name": "Cash", "amount": "10"}]},
            "The sum of payment amounts (10.00) does not equal the total (17.00)",
            "payment_methods",
        ),
        ({"payment_methods": []}, None, "payment_methods"),
        ({}, "The payment_methods field is required", "payment_methods"),
        (
            {"payment_methods": [{"id": 999, "name": "Gold", "amount": 17}]},
            None,
            "payment_methods.0.id",
        ),
        (
            {"payment_methods": [{"id": 1, "amount": 17}], "closed_at": "2025-08-18 13:45:16"},
            "closed_at must be greater than created_at",
            "closed_at",
        ),
        (
            {"payment_methods": [{"id": 1, "amount": 17}], "closed_at": "2024-01-01 00:00:00"},
            "closed_at must be greater than created_at",
            "closed_at",
        ),
        (
            {"payment_methods": [{"id": 1, "amount": 17}], "closed_at": "2025-08-18T14:00:00"},
            None,
            "closed_at",
        ),
        (
            {"payment_methods": [{"id": 1, "amount": 17}], "closed_at": "2025-02-30 10:00:00"},
            None,
            "closed_at",
        ),
        ({"payment_methods": [{"id": 1, "amount": "-17"}]}, None, "payment_methods.0.amount"),
        ({"payment_methods": [{"id": 1, "amount": "lots"}]}, None, "payment_methods.0.amount"),
        ({"payment_methods": [{"name": "Cash", "amount": 17}]}, None, "payment_methods.0.id"),
    ],
)
async def test_close_failures(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    v2: dict[str, str],
    body: dict[str, Any],
    message: str | None,
    field: str,
) -> None:
    receipt = await open_receipt(client, v1, v2, [("Margherita", 2)])
    response = await client.post(f"{V2}/receipts/{receipt['id']}/close", json=body, headers=v2)
    answer = _error(response)
    if message is not None:
        assert answer["message"] == message
    assert answer["details"]["field"] == field
    still = (await client.get(f"{V2}/receipts/{receipt['id']}", headers=v2)).json()["data"]
    assert still["status"] == 1 and still["closed_at"] is None


async def test_close_of_another_brands_payment_method_is_refused(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    v2: dict[str, str],
    other_v2: dict[str, str],
) -> None:
    theirs = await ids_by_name(client, other_v2, "payment-methods")
    receipt = await open_receipt(client, v1, v2, [("Espresso", 1)])
    response = await client.post(
        f"{V2}/receipts/{receipt['id']}/close",
        json={"payment_methods": [{"id": theirs["Cash"], "amount": 2}]},
        headers=v2,
    )
    assert _error(response)["details"]["field"] == "payment_methods.0.id"
    # …and the other brand cannot close ours at all.
    response = await client.post(
        f"{V2}/receipts/{receipt['id']}/close",
        json={"payment_methods": [{"id": theirs["Cash"], "amount": 2}]},
        headers=other_v2,
    )
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "not_found",
        "message": "Receipt not found",
    }


async def test_close_unknown_receipt_and_bad_json(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    pay = {"payment_methods": [{"id": 1, "amount": 1}]}
    for raw in ("999999", "x"):
        response = await client.post(f"{V2}/receipts/{raw}/close", json=pay, headers=v2)
        assert response.status_code == 404
        assert response.json()["message"] == "Receipt not found"
    response = await client.post(
        f"{V2}/receipts/1/close",
        content=b"{not json",
        headers={**v2, "content-type": "application/json"},
    )
    assert _error(response)["message"].startswith("The request body is not valid JSON")


async def test_v2_only_and_v1_only_routes_are_absent_on_the_other_prefix(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    attempts = [
        ("POST", f"{V1}/receipts/1/close", v1, {"payment_methods": []}),
        ("GET", f"{V1}/receipts/1/stock-operations", v1, None),
        ("POST", f"{V2}/receipts", v2, {"cid": "x"}),
        ("PUT", f"{V2}/receipts/1", v2, {"id": 1, "cid": "x"}),
        ("DELETE", f"{V2}/receipts/1", v2, {}),
    ]
    for method, url, headers, body in attempts:
        response = await client.request(method, url, json=body, headers=headers)
        assert response.status_code in (404, 405), (method, url)
        assert response.headers["content-type"].startswith("application/json")
        assert response.json()["success"] is False


async def test_concurrent_closes_close_once_and_write_off_once(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], methods: dict[str, int]
) -> None:
    receipt = await open_receipt(client, v1, v2, [("Espresso", 1)])
    pay = {"payment_methods": [{"id": methods["Cash"], "amount": 2}]}
    url = f"{V2}/receipts/{receipt['id']}/close"
    answers = await asyncio.gather(*(client.post(url, json=pay, headers=v2) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [200, 400, 400, 400]
    for answer in answers:
        if answer.status_code == 400:
            assert answer.json()["message"] == "Receipt is already closed"
    ops = await client.get(f"{V2}/receipts/{receipt['id']}/stock-operations", headers=v2)
    assert [op["product"]["name"] for op in ops.json()["data"]] == ["Coffee Beans"]
