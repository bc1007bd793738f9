"""``GET /customer-groups`` on both prefixes (spec §9.7)."""

from __future__ import annotations

import re

import httpx
import pytest

Api = tuple[str, dict[str, str]]

ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
SORTS = [
    "id",
    "name",
    "discount_type",
    "discount_value",
    "total_amount",
    "created_at",
    "updated_at",
    "deleted_at",
]


async def test_groups_envelope_and_objects(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/customer-groups", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix", "sorts"}
    assert body["sorts"] == SORTS
    assert body["total"] == 3
    default, vip, staff = body["data"]
    assert set(default) == {
        "id",
        "name",
        "discount_type",
        "discount_value",
        "system_type",
        "total_amount",
        "created_at",
        "updated_at",
        "deleted_at",
    }
    assert default["name"] == "My Customers"
    assert default["system_type"] == "my_customers"
    assert default["discount_type"] is None
    assert default["discount_value"] == 0
    assert default["deleted_at"] is None
    assert ISO_MICRO.match(default["created_at"]) and ISO_MICRO.match(default["updated_at"])
    # Stored "PERCENT" goes out as the DiscountType code "1" (docs/decisions.md).
    assert (vip["name"], vip["discount_type"], vip["discount_value"]) == ("VIP", "1", 10)
    assert (staff["name"], staff["discount_type"], staff["discount_value"]) == ("Staff", "1", 25)
    # Ordinary groups have system_type "" (the existing client rejects null).
    assert vip["system_type"] == ""


@pytest.mark.parametrize(
    ("limit", "status"),
    [("0", 400), ("1", 200), ("200", 200), ("201", 400), ("1.5", 400)],
)
async def test_groups_limit_bounds(
    client: httpx.AsyncClient, api: Api, limit: str, status: int
) -> None:
    prefix, headers = api
    response = await client.get(
        f"{prefix}/customer-groups", params={"limit": limit}, headers=headers
    )
    assert response.status_code == status, response.text
    if status == 200:
        assert len(response.json()["data"]) == min(int(limit), 3)
        assert response.json()["total"] == 3
    else:
        assert "limit" in response.json()["message"]


async def test_groups_limit_message(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    body = (await client.get("/open-api/v2/customer-groups?limit=201", headers=v2)).json()
    assert body["error"] == "invalid_parameter"
    assert body["message"] == "The 'limit' parameter must be between 1 and 200"


async def test_groups_paging(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    page = (await client.get(f"{prefix}/customer-groups?page=2&limit=2", headers=headers)).json()
    assert page["total"] == 3
    assert [g["name"] for g in page["data"]] == ["Staff"]


async def test_groups_sorting(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    by_discount = (
        await client.get(
            f"{prefix}/customer-groups?sort[0]=discount_value&sort[1]=-1", headers=headers
        )
    ).json()
    assert [g["name"] for g in by_discount["data"]] == ["Staff", "VIP", "My Customers"]
    by_name = (
        await client.get(f"{prefix}/customer-groups?sort[0]=name&sort[1]=1", headers=headers)
    ).json()
    assert [g["name"] for g in by_name["data"]] == ["My Customers", "Staff", "VIP"]
    bad = await client.get(f"{prefix}/customer-groups?sort[0]=system_type", headers=headers)
    assert bad.status_code == 400


async def test_groups_reject_filters(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    response = await client.get(
        "/open-api/v2/customer-groups?filters[0][0]=name&filters[0][1]=VIP", headers=v2
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid filter parameters"


async def test_groups_are_brand_scoped(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = (await client.get("/open-api/v2/customer-groups", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/customer-groups", headers=other_v2)).json()["data"]
    assert [g["name"] for g in theirs] == ["My Customers", "VIP", "Staff"]
    assert {g["id"] for g in mine}.isdisjoint({g["id"] for g in theirs})
