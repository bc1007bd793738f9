"""``GET /receipts``, ``GET /receipts/{id}``, ``PATCH /receipts/{id}`` on both prefixes
(spec §12.2–§12.4, §12.6; existing-python-client.md §4, §5.1, §8.3–8.4).

Demo data relied on (src/clopos/server/demo.py ``_SAMPLE_RECEIPTS``): venue 1 "Main" has
six receipts — four closed over the last five days and two open today — and venue 2
"Airport" two closed ones. Both the v2 token's default venue and the v1 ``x-venue`` header
used here are venue 1. Other receipts are imported through v1 ``POST /receipts`` with fixed
dates in 2025, so date filters never see the demo's relative dates.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from integrify.clopos.schemas.common.response import ObjectListResponse, ObjectResponse
from integrify.clopos.schemas.receipts.object import Receipt as IntegrifyReceipt

Api = tuple[str, dict[str, str]]
V1 = "/open-api"
V2 = "/open-api/v2"
PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
NOT_FOUND_V2 = {"success": False, "error": "not_found", "message": "Receipt not found"}
PATCH_INVALID = "Invalid field values provided"
PATCH_DONE = "Əməliyyat uğurla həyata keçirildi"
ORDER_STATUSES = ["NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED"]
RECEIPT_KEYS = {
    "id", "venue_id", "cash_shift_cid", "cid", "user_id", "open_by_user_id",
    "close_by_user_id", "courier_id", "seller_id", "terminal_id", "source",
    "closed_terminal_id", "service_notification_id", "table_id", "hall_id", "customer_id",
    "sale_type_id", "is_returns", "guests", "status", "lock", "inventory_status",
    "report_status", "meta", "suspicion", "printed", "total", "subtotal", "original_subtotal",
    "gift_total", "totalCost", "payment_methods", "fiscal_id", "by_cash", "by_card",
    "remaining", "discount_type", "discount_value", "discount_rate", "rps_discount",
    "service_charge", "service_charge_value", "i_tax", "delivery_fee", "e_tax", "total_tax",
    "description", "address", "terminal_version", "loyalty_type", "loyalty_value",
    "order_status", "order_number", "created_at", "updated_at", "terminal_updated_at",
    "closed_at", "shift_date", "deleted_at", "gift_count", "total_discount", "properties",
}  # fmt: skip
# The 24 keys integrify's ReceiptProduct requires (existing-python-client.md §5.1).
LINE_REQUIRED = {
    "cid", "product_id", "meta", "count", "portion_size", "total", "price", "is_gift",
    "receipt_id", "product_hash", "preprint_count", "station_printed_count",
    "station_aborted_count", "seller_id", "loyalty_type", "loyalty_value", "discount_rate",
    "discount_value", "total_discount", "subtotal", "receipt_discount", "discount_type",
    "receipt_product_modificators", "taxes",
}  # fmt: skip


def exact(response: httpx.Response) -> Any:
    """The body with numbers as exact Decimals (to see 8.50 vs 8.5)."""
    return json.loads(response.content, parse_float=Decimal)


async def product_ids(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, int]:
    response = await client.get(f"{V2}/products", params={"limit": 100}, headers=v2)
    assert response.status_code == 200, response.text
    return {p["name"]: p["id"] for p in response.json()["data"]}


async def import_receipt(
    client: httpx.AsyncClient, v1: dict[str, str], **fields: Any
) -> dict[str, Any]:
    """Import a receipt through v1 ``POST /receipts`` (open unless told otherwise)."""
    body: dict[str, Any] = {"cid": str(uuid.uuid4()), "status": 1, **fields}
    response = await client.post(f"{V1}/receipts", json=body, headers=v1)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def list_ids(client: httpx.AsyncClient, api: Api, **params: Any) -> list[int]:
    prefix, headers = api
    response = await client.get(f"{prefix}/receipts", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


# --- list ---------------------------------------------------------------------------------


async def test_list_envelope_and_receipt_object(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/receipts", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["total"] == 6  # venue 1 only: 4 closed + 2 open
    assert body["sorts"] == ["created_at", "updated_at", "closed_at", "total", "id"]
    assert {"time", "timestamp", "unix"} <= body.keys()
    statuses = sorted(r["status"] for r in body["data"])
    assert statuses == [1, 1, 2, 2, 2, 2]
    for receipt in body["data"]:
        assert receipt.keys() >= RECEIPT_KEYS
        assert receipt["venue_id"] == 1
        assert PLAIN.match(receipt["created_at"]) and PLAIN.match(receipt["updated_at"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", receipt["shift_date"])
        assert set(receipt["meta"]) >= {
            "preprint_count",
            "sale_type",
            "user",
            "terminal_updated_at",
            "availiableDeposit",
            "check_close_event",
        }
        assert isinstance(receipt["meta"]["terminal_updated_at"], int)
        assert set(receipt["properties"]) == {"daily_id", "monthly_id"}
        assert receipt["loyalty_type"] is None
        if receipt["status"] == 2:
            assert PLAIN.match(receipt["closed_at"])
            assert receipt["meta"]["check_close_event"]["checked"] is True
            [payment] = receipt["payment_methods"]
            assert set(payment) == {"id", "name", "amount"}
            assert payment["amount"] == receipt["total"]
        else:
            assert receipt["closed_at"] is None
            assert receipt["payment_methods"] == []
    # The existing client parses the list unchanged (existing-python-client.md §5.1).
    ObjectListResponse[IntegrifyReceipt].model_validate(body)


async def test_lines_always_on_v1_and_on_request_on_v2(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    plain_v2 = (await client.get(f"{V2}/receipts", headers=v2)).json()["data"]
    assert all("receipt_products" not in r for r in plain_v2)
    with_v2 = await client.get(f"{V2}/receipts", params={"with[]": "receipt_products"}, headers=v2)
    on_v1 = await client.get(f"{V1}/receipts", headers=v1)
    for response in (with_v2, on_v1):
        receipts = response.json()["data"]
        assert all(r["receipt_products"] for r in receipts)
        for line in (line for r in receipts for line in r["receipt_products"]):
            assert line.keys() >= LINE_REQUIRED
            assert "product" not in line and "modificators" not in line
            assert isinstance(line["seller_id"], int)
            assert line["receipt_id"] in {r["id"] for r in receipts}
        ObjectListResponse[IntegrifyReceipt].model_validate(response.json())


async def test_with_product_unit_station_and_modifier_group(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    ids = await product_ids(client, v2)
    imported = await import_receipt(
        client, v1, receipt_products=[{"product_id": ids["Margherita"], "count": 1}]
    )
    params = [
        ("with[0]", "receipt_products.product.unit"),
        ("with[1]", "receipt_products.product.station"),
        ("with[2]", "receipt_products.modificators.modificator_group"),
    ]
    response = await client.get(f"{V2}/receipts/{imported['id']}", params=params, headers=v2)
    assert response.status_code == 200, response.text
    [line] = response.json()["data"]["receipt_products"]
    assert line["product"]["id"] == ids["Margherita"]
    assert line["product"]["name"] == "Margherita"
    assert line["product"]["unit"]["short_name"] == "pcs"
    assert line["product"]["station"]["name"] == "Kitchen"
    assert line["modificators"] == []
    assert line["meta"]["product"]["name"] == "Margherita"
    assert line["meta"]["product"]["station"] == {
        "id": line["product"]["station_id"],
        "name": "Kitchen",
    }


async def test_unknown_with_is_rejected(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(
        f"{prefix}/receipts", params={"with[]": "receipt_products.secret"}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Unknown relation in with[]")


@pytest.mark.parametrize(
    ("limit", "ok"), [("1", True), ("200", True), ("0", False), ("201", False)]
)
async def test_limit_bounds(client: httpx.AsyncClient, api: Api, limit: str, ok: bool) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/receipts", params={"limit": limit}, headers=headers)
    if ok:
        assert response.status_code == 200
        assert len(response.json()["data"]) == min(int(limit), 6)
    else:
        assert response.status_code == 400
        assert response.json()["message"] == "The 'limit' parameter must be between 1 and 200"


async def test_default_order_is_newest_first_and_pages(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    all_rows = (await client.get(f"{prefix}/receipts", headers=headers)).json()["data"]
    created = [r["created_at"] for r in all_rows]
    assert created == sorted(created, reverse=True)
    page_two = await list_ids(client, api, limit=4, page=2)
    assert page_two == [r["id"] for r in all_rows][4:]


async def test_sort_by_total_is_numeric_and_old_client_aliases(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    cheap = await import_receipt(client, v1, total="9.90", created_at="2025-03-01 10:00:00")
    dear = await import_receipt(client, v1, total="100", created_at="2025-03-01 11:00:00")
    window = {"date[0]": "2025-03-01", "date[1]": "2025-03-01"}
    assert await list_ids(client, api, **window, **{"sort[0]": "total", "sort[1]": "1"}) == [
        cheap["id"],
        dear["id"],
    ]
    assert await list_ids(client, api, **window, **{"sort[0]": "total", "sort[1]": "-1"}) == [
        dear["id"],
        cheap["id"],
    ]
    # integrify sends sort_by/sort_order/date_from/date_to (existing-python-client.md §4).
    old = await list_ids(
        client,
        api,
        sort_by="created_at",
        sort_order="1",
        date_from="2025-03-01T00:00:00",
        date_to="2025-03-01T00:00:00",
    )
    assert old == [cheap["id"], dear["id"]]
    prefix, headers = api
    bad = await client.get(f"{prefix}/receipts", params={"sort[0]": "cid"}, headers=headers)
    assert bad.status_code == 400


async def test_date_range_is_inclusive_on_created_at(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    first = await import_receipt(client, v1, created_at="2025-05-01 00:00:00")
    last = await import_receipt(client, v1, created_at="2025-05-02 23:59:59")
    await import_receipt(client, v1, created_at="2025-05-03 00:00:00")
    ids = await list_ids(client, api, **{"date[0]": "2025-05-01", "date[1]": "2025-05-02"})
    assert ids == [last["id"], first["id"]]
    prefix, headers = api
    bad = await client.get(f"{prefix}/receipts", params={"date[0]": "May 1"}, headers=headers)
    assert bad.status_code == 400


async def test_filters_on_status_sale_type_and_terminal(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    day = {"date[0]": "2025-06-01", "date[1]": "2025-06-01"}
    a = await import_receipt(
        client, v1, created_at="2025-06-01 09:00:00", sale_type_id=2, terminal_id=7
    )
    b = await import_receipt(
        client, v1, created_at="2025-06-01 10:00:00", sale_type_id=1, terminal_id=8
    )

    def f(field: str, value: str) -> dict[str, str]:
        return {"filters[0][0]": field, "filters[0][1]": value, **day}

    assert await list_ids(client, api, **f("sale_type_id", "2")) == [a["id"]]
    assert await list_ids(client, api, **f("terminal_id", "8")) == [b["id"]]
    assert await list_ids(client, api, **f("status", "2")) == []
    assert await list_ids(client, api, **f("status", "1")) == [b["id"], a["id"]]
    both = {"filters[0][0]": "terminal_id", "filters[0][1][0]": "7", "filters[0][1][1]": "8"}
    assert await list_ids(client, api, **both, **day) == [b["id"], a["id"]]
    # The demo's own receipts: 4 closed at venue 1.
    closed = await list_ids(client, api, **{"filters[0][0]": "status", "filters[0][1]": "2"})
    assert len(closed) == 4
    prefix, headers = api
    for params in (f("cid", "x"), f("status", "open")):
        response = await client.get(f"{prefix}/receipts", params=params, headers=headers)
        assert response.status_code == 400
        assert response.json()["message"] == "Invalid filter parameters"


# --- get ----------------------------------------------------------------------------------


async def test_get_one_and_exact_money(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    imported = await import_receipt(client, v1, total="8.50", subtotal="8.50")
    prefix, headers = api
    response = await client.get(f"{prefix}/receipts/{imported['id']}", headers=headers)
    assert response.status_code == 200
    data = exact(response)["data"]
    assert data["id"] == imported["id"] and data["cid"] == imported["cid"]
    assert str(data["total"]) == "8.50"  # stored and written exactly as sent
    ObjectResponse[IntegrifyReceipt].model_validate(response.json())


async def test_get_unknown_answers_receipt_not_found(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    for raw in ("999999", "abc", "0", "99999999999"):
        response = await client.get(f"{V2}/receipts/{raw}", headers=v2)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND_V2
    response = await client.get(f"{V1}/receipts/999999", headers=v1)
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Receipt not found"
    assert body["error"][0]["type"] == "not_found"
    assert body["error"][0]["http_code"] == 404


async def test_receipt_of_another_venue_is_not_found(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    airport = await client.get(f"{V2}/receipts", headers={**v2, "x-venue": "2"})
    assert airport.status_code == 200
    assert airport.json()["total"] == 2
    airport_id = airport.json()["data"][0]["id"]
    response = await client.get(f"{V2}/receipts/{airport_id}", headers=v2)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND_V2


async def test_other_brand_sees_only_its_own(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ours = (await client.get(f"{V2}/receipts", headers=v2)).json()["data"]
    theirs = (await client.get(f"{V2}/receipts", headers=other_v2)).json()["data"]
    assert len(theirs) == 6
    assert not {r["id"] for r in ours} & {r["id"] for r in theirs}
    response = await client.get(f"{V2}/receipts/{ours[0]['id']}", headers=other_v2)
    assert response.json() == NOT_FOUND_V2
    patch = await client.patch(
        f"{V2}/receipts/{ours[0]['id']}", json={"fiscal_id": "X"}, headers=other_v2
    )
    assert patch.status_code == 404


# --- PATCH --------------------------------------------------------------------------------


async def test_patch_each_field_returns_full_receipt(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    imported = await import_receipt(client, v1)
    prefix, headers = api
    url = f"{prefix}/receipts/{imported['id']}"
    for change in (
        {"order_status": "READY"},
        {"order_number": "RPO-00001"},
        {"fiscal_id": "Twrewr89fnscvj22"},
        {"lock": True},
        {"lock": False},
    ):
        response = await client.patch(url, json=change, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"] == PATCH_DONE
        assert {"time", "timestamp", "unix"} <= body.keys()
        assert body["data"].keys() >= RECEIPT_KEYS
        for key, value in change.items():
            assert body["data"][key] == value
    final = (await client.get(url, headers=headers)).json()["data"]
    assert (final["order_status"], final["order_number"], final["fiscal_id"], final["lock"]) == (
        "READY",
        "RPO-00001",
        "Twrewr89fnscvj22",
        False,
    )
    # Only the given fields change; a clearing null is allowed on text fields.
    cleared = await client.patch(url, json={"fiscal_id": None}, headers=headers)
    assert cleared.json()["data"]["fiscal_id"] is None
    assert cleared.json()["data"]["order_number"] == "RPO-00001"
    ObjectResponse[IntegrifyReceipt].model_validate(cleared.json())


@pytest.mark.parametrize("status", ORDER_STATUSES)
async def test_patch_accepts_all_seven_order_statuses(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], status: str
) -> None:
    imported = await import_receipt(client, v1)
    response = await client.patch(
        f"{V2}/receipts/{imported['id']}", json={"order_status": status}, headers=v2
    )
    assert response.status_code == 200
    assert response.json()["data"]["order_status"] == status


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_status": "IGNORE"}, "order_status"),
        ({"order_status": "ready"}, "order_status"),
        ({"total": 1}, "total"),
        ({"status": 2}, "status"),
        ({"lock": "maybe"}, "lock"),
        ({"lock": None}, "lock"),
        ({"order_number": 5}, "order_number"),
        ({"id": 1}, "id"),
    ],
)
async def test_patch_rejects_bad_values_with_exact_body(
    client: httpx.AsyncClient,
    v1: dict[str, str],
    v2: dict[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    imported = await import_receipt(client, v1)
    response = await client.patch(f"{V2}/receipts/{imported['id']}", json=body, headers=v2)
    assert response.status_code == 400
    answer = response.json()
    assert {k: answer[k] for k in ("success", "error", "message")} == {
        "success": False,
        "error": "validation_failed",
        "message": PATCH_INVALID,
    }
    assert answer["details"]["field"] == field


async def test_patch_tolerates_the_old_clients_id_and_works_after_close(
    client: httpx.AsyncClient, api: Api, v1: dict[str, str]
) -> None:
    closed = await import_receipt(
        client,
        v1,
        status=2,
        total="5",
        payment_methods=[{"id": 1, "name": "Cash", "amount": "5"}],
    )
    assert closed["status"] == 2
    prefix, headers = api
    response = await client.patch(
        f"{prefix}/receipts/{closed['id']}",
        json={"id": closed["id"], "order_status": "COMPLETED", "lock": True},
        headers=headers,
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["order_status"], data["lock"], data["status"]) == ("COMPLETED", True, 2)
    missing = await client.patch(
        f"{prefix}/receipts/999999", json={"fiscal_id": "A"}, headers=headers
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == "Receipt not found"


async def test_lock_blocks_put_close_and_delete_but_not_patch(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    imported = await import_receipt(client, v1, total="3")
    rid, cid = imported["id"], imported["cid"]
    locked = await client.patch(f"{V2}/receipts/{rid}", json={"lock": True}, headers=v2)
    assert locked.json()["data"]["lock"] is True
    attempts = [
        client.put(f"{V1}/receipts/{rid}", json={"id": rid, "cid": cid, "guests": 3}, headers=v1),
        client.post(
            f"{V2}/receipts/{rid}/close",
            json={"payment_methods": [{"id": 1, "name": "Cash", "amount": 3}]},
            headers=v2,
        ),
        client.request("DELETE", f"{V1}/receipts/{rid}", json={}, headers=v1),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 400
        assert response.json()["message"] == "Receipt is locked"
    unlocked = await client.patch(f"{V2}/receipts/{rid}", json={"lock": False}, headers=v2)
    assert unlocked.status_code == 200
    put = await client.put(
        f"{V1}/receipts/{rid}", json={"id": rid, "cid": cid, "guests": 3}, headers=v1
    )
    assert put.status_code == 200
    assert put.json()["data"]["guests"] == 3
