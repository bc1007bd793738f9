"""``GET /users`` and ``GET /users/{id}`` on both prefixes (spec §9.2, §9.3)."""

from __future__ import annotations

import re

import httpx
import pytest

Api = tuple[str, dict[str, str]]

ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
USER_KEYS = {
    "id",
    "email",
    "username",
    "first_name",
    "last_name",
    "pin",
    "card",
    "mobile_number",
    "owner",
    "hide",
    "salary",
    "barcode",
    "tip_message",
    "can_receive_tips",
    "login_at",
    "status",
    "bonus_balance_id",
    "created_at",
    "updated_at",
    "deleted_at",
    "properties",
    "image",
}
DEMO_USERNAMES = ["Owner", "Cashier 1", "Cashier 2", "Waiter", "Courier", "Former Staff"]


async def test_list_users_envelope_and_full_object(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/users", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix", "sorts"}
    assert body["success"] is True
    assert body["total"] == 6
    assert body["sorts"] == ["id", "username", "created_at", "updated_at"]
    assert [u["username"] for u in body["data"]] == DEMO_USERNAMES
    owner = body["data"][0]
    assert set(owner) == USER_KEYS
    assert owner["email"] == "owner@example.com"
    assert owner["first_name"] == "Aysel"
    assert owner["pin"] == "1111"
    assert owner["owner"] == 1
    assert owner["hide"] == 0
    assert owner["status"] is True
    assert owner["mobile_number"] == "+994501110011"
    assert owner["properties"] == []
    assert owner["image"] is None
    assert owner["deleted_at"] is None
    assert ISO_MICRO.match(owner["created_at"]) and ISO_MICRO.match(owner["updated_at"])
    cashier = body["data"][1]
    assert cashier["salary"] == 900
    assert cashier["can_receive_tips"] is True
    assert cashier["tip_message"] == "Thank you!"
    former = body["data"][5]
    assert (former["hide"], former["status"], former["pin"]) == (1, False, "9999")


@pytest.mark.parametrize(
    ("limit", "status"),
    [("0", 400), ("1", 200), ("100", 200), ("101", 400), ("ten", 400), ("-1", 400)],
)
async def test_users_limit_bounds(
    client: httpx.AsyncClient, api: Api, limit: str, status: int
) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/users", params={"limit": limit}, headers=headers)
    assert response.status_code == status, response.text
    body = response.json()
    if status == 200:
        assert len(body["data"]) == min(int(limit), 6)
        assert body["total"] == 6
    else:
        assert body["success"] is False
        assert "limit" in body["message"]


async def test_users_limit_error_bodies(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    v2_body = (await client.get("/open-api/v2/users?limit=101", headers=v2)).json()
    assert v2_body["error"] == "invalid_parameter"
    assert v2_body["message"] == "The 'limit' parameter must be between 1 and 100"
    v1_body = (await client.get("/open-api/users?limit=101", headers=v1)).json()
    assert v1_body["error"][0]["type"] == "invalid_parameter"
    assert v1_body["error"][0]["http_code"] == 400


async def test_users_paging_counts_before_paging(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    page2 = (await client.get(f"{prefix}/users?page=2&limit=4", headers=headers)).json()
    assert page2["total"] == 6
    assert [u["username"] for u in page2["data"]] == ["Courier", "Former Staff"]
    page3 = (await client.get(f"{prefix}/users?page=3&limit=4", headers=headers)).json()
    assert page3["total"] == 6
    assert page3["data"] == []


async def test_users_sorting(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    by_name = (
        await client.get(f"{prefix}/users?sort[0]=username&sort[1]=1", headers=headers)
    ).json()
    assert [u["username"] for u in by_name["data"]] == sorted(DEMO_USERNAMES)
    newest_id_first = (
        await client.get(f"{prefix}/users?sort[0]=id&sort[1]=-1", headers=headers)
    ).json()
    ids = [u["id"] for u in newest_id_first["data"]]
    assert ids == sorted(ids, reverse=True)
    bad = await client.get(f"{prefix}/users?sort[0]=pin", headers=headers)
    assert bad.status_code == 400


async def test_users_reject_filters(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    response = await client.get(
        "/open-api/v2/users?filters[0][0]=username&filters[0][1]=Owner", headers=v2
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["message"] == "Invalid filter parameters"


async def test_get_user_by_id(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    listed = (await client.get(f"{prefix}/users", headers=headers)).json()["data"]
    waiter = next(u for u in listed if u["username"] == "Waiter")
    response = await client.get(f"{prefix}/users/{waiter['id']}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    assert body["data"] == waiter


async def test_missing_user_is_404(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    for missing in ("999", "99999999999999999999"):
        response = await client.get(f"/open-api/v2/users/{missing}", headers=v2)
        assert response.status_code == 404
        assert response.json() == {
            "success": False,
            "error": "resource_not_found",
            "message": "User not found",
        }
    v1_response = await client.get("/open-api/users/999", headers=v1)
    assert v1_response.status_code == 404
    assert v1_response.json()["error"] == [
        {
            "message": "User not found",
            "type": "resource_not_found",
            "exception": "NotFoundHttpException",
            "code": 0,
            "http_code": 404,
        }
    ]


@pytest.mark.parametrize("raw", ["abc", "²", "1.5", "-3"])
async def test_non_integer_user_id_is_404(
    client: httpx.AsyncClient, v2: dict[str, str], raw: str
) -> None:
    # Like categories, stations and products: a path that names no id finds no user.
    response = await client.get(f"/open-api/v2/users/{raw}", headers=v2)
    assert response.status_code == 404
    assert response.json()["error"] == "resource_not_found"
    assert response.json()["message"] == "User not found"


async def test_users_are_brand_scoped(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = (await client.get("/open-api/v2/users", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/users", headers=other_v2)).json()["data"]
    assert len(theirs) == 6
    assert {u["id"] for u in mine}.isdisjoint({u["id"] for u in theirs})
    response = await client.get(f"/open-api/v2/users/{theirs[0]['id']}", headers=v2)
    assert response.status_code == 404
    response = await client.get(f"/open-api/v2/users/{mine[0]['id']}", headers=other_v2)
    assert response.status_code == 404
