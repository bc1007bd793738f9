"""``GET /customers``, ``GET /customers/{id}``, ``POST /customers`` on both prefixes
(spec §9.4–§9.6), plus the existing client's required fields (existing-python-client.md §5.1).

Demo data relied on (src/clopos/server/demo.py): 22 customers, ids 1–22 in seeding order,
customer ``i`` (0-based) has phone ``+99450{5550000 + 37 i}``, code ``CARD{1000 + i}``;
every fifth also has ``+99455{4440000 + i}`` in ``phones``. Groups: 1 My Customers,
2 VIP (i = 0, 7, 14, 21), 3 Staff (i = 11).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from clopos.server.store.models import CustomerGroup
from clopos.server.store.repositories import customers as customers_repo

Api = tuple[str, dict[str, str]]

ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
CUSTOMER_KEYS = {
    "id",
    "cid",
    "venue_id",
    "group_id",
    "balance_id",
    "name",
    "discount",
    "email",
    "phone",
    "phones",
    "address",
    "addresses",
    "address_data",
    "description",
    "bonus_balance_id",
    "cashback_balance_id",
    "spent",
    "total_discount",
    "total_bonus",
    "receipt_count",
    "gender",
    "date_of_birth",
    "code",
    "source",
    "reference_id",
    "phone_verified_at",
    "status",
    "can_use_loyalty_system",
    "is_verified",
    "created_at",
    "updated_at",
    "deleted_at",
}
BALANCE_KEYS = {
    "id",
    "system_type",
    "venue_id",
    "name",
    "description",
    "type",
    "amount",
    "position",
    "created_at",
    "updated_at",
    "deleted_at",
}
NOT_FOUND_V2 = {"success": False, "error": "resource_not_found", "message": "Customer not found"}


async def _ids(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[int]:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


async def _all(client: httpx.AsyncClient, prefix: str, headers: dict[str, str]) -> list[Any]:
    response = await client.get(f"{prefix}/customers?limit=999", headers=headers)
    data: list[Any] = response.json()["data"]
    return data


# --- listing ------------------------------------------------------------------------------


async def test_list_envelope_and_customer_object(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/customers", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "success",
        "data",
        "total",
        "time",
        "timestamp",
        "unix",
        "sorts",
        "pagination",
    }
    assert body["total"] == 22
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 22, "total_pages": 1}
    assert body["sorts"] == ["id", "name", "spent", "receipt_count", "created_at", "updated_at"]
    assert [c["id"] for c in body["data"]] == list(range(1, 23))
    first = body["data"][0]
    assert set(first) == CUSTOMER_KEYS  # no relations unless with[] asks
    assert first["name"] == "Rahid Akhundzada"
    assert first["phone"] == "+994505550000"
    assert first["phones"] == ["+994505550000", "+994554440000"]
    assert first["code"] == "CARD1000"
    assert first["group_id"] == 2
    assert first["venue_id"] == 2
    assert first["date_of_birth"] == "1980-01-01"
    assert PLAIN.match(first["phone_verified_at"])
    assert ISO_MICRO.match(first["created_at"]) and ISO_MICRO.match(first["updated_at"])
    assert first["email"] is None
    assert first["discount"] == 10
    assert first["gender"] == 1
    assert first["source"] == "LOYALTY"
    assert first["status"] is True
    assert first["can_use_loyalty_system"] is True
    assert first["is_verified"] is True
    assert uuid.UUID(first["cid"])
    second = body["data"][1]
    assert second["email"] == "aytan.guliyeva@example.com"
    assert second["phone_verified_at"] is None
    assert second["address"] == "11 Nizami St, Baku"


@pytest.mark.parametrize(
    ("limit", "status", "count"),
    [
        ("0", 400, 0),
        ("1", 200, 1),
        ("999", 200, 22),
        ("1000", 400, 0),
        ("many", 400, 0),
        ("", 200, 22),
    ],
)
async def test_customers_limit_bounds(
    client: httpx.AsyncClient, api: Api, limit: str, status: int, count: int
) -> None:
    prefix, headers = api
    response = await client.get(f"{prefix}/customers", params={"limit": limit}, headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert len(response.json()["data"]) == count
        assert response.json()["total"] == 22
    else:
        assert response.json()["success"] is False
        assert "limit" in response.json()["message"]


async def test_customers_limit_error_bodies(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    v2_body = (await client.get("/open-api/v2/customers?limit=1000", headers=v2)).json()
    assert v2_body["error"] == "invalid_parameter"
    assert v2_body["message"] == "The 'limit' parameter must be between 1 and 999"
    v1_body = (await client.get("/open-api/customers?limit=1000", headers=v1)).json()
    assert v1_body["error"][0]["type"] == "invalid_parameter"
    assert v1_body["message"] == "The 'limit' parameter must be between 1 and 999"


async def test_customers_paging(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    body = (await client.get(f"{prefix}/customers?page=5&limit=5", headers=headers)).json()
    assert body["total"] == 22
    assert [c["id"] for c in body["data"]] == [21, 22]
    assert body["pagination"] == {"page": 5, "per_page": 5, "total": 22, "total_pages": 5}
    past_end = (await client.get(f"{prefix}/customers?page=6&limit=5", headers=headers)).json()
    assert past_end["total"] == 22
    assert past_end["data"] == []
    bad_page = await client.get(f"{prefix}/customers?page=0", headers=headers)
    assert bad_page.status_code == 400


async def test_customers_sort(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    ids = await _ids(client, f"{prefix}/customers?sort[0]=spent&sort[1]=-1&limit=3", headers)
    # spent grows with i (i * 23 + a fraction), so the last-seeded customer spent most.
    assert ids == [22, 21, 20]
    names = [
        c["name"]
        for c in (
            await client.get(f"{prefix}/customers?sort[0]=name&sort[1]=1", headers=headers)
        ).json()["data"]
    ]
    assert names == sorted(names)


# --- filters ------------------------------------------------------------------------------


async def test_filter_name_partial_case_insensitive(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    assert await _ids(
        client, f"{prefix}/customers?filters[0][0]=name&filters[0][1]=JOHN", headers
    ) == [21]
    ova = await _ids(client, f"{prefix}/customers?filters[0][0]=name&filters[0][1]=ova", headers)
    everyone = await _all(client, prefix, headers)
    assert ova == [c["id"] for c in everyone if "ova" in c["name"].lower()]
    assert len(ova) == 7
    body = (
        await client.get(
            f"{prefix}/customers?filters[0][0]=name&filters[0][1]=ova", headers=headers
        )
    ).json()
    assert body["total"] == 7
    # a list of names is OR
    assert await _ids(
        client,
        f"{prefix}/customers?filters[0][0]=name&filters[0][1][0]=john&filters[0][1][1]=maria",
        headers,
    ) == [21, 22]
    # LIKE wildcards are taken literally
    assert (
        await _ids(client, f"{prefix}/customers?filters[0][0]=name&filters[0][1]=%25", headers)
        == []
    )


async def test_filter_phones(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    url = f"{prefix}/customers?filters[0][0]=phones&filters[0][1]="
    # digits without '+' find the stored "+994505550000"
    assert await _ids(client, url + "994505550000", headers) == [1]
    # the '+' form, URL-encoded, works too
    assert await _ids(client, url + "%2B994505550037", headers) == [2]
    # a number that is only in the additional `phones` list (customer i = 5)
    assert await _ids(client, url + "994554440005", headers) == [6]
    # spaces in the value are ignored
    assert await _ids(client, url + "994%2055%20444%2000%2005", headers) == [6]
    # partial
    assert await _ids(client, url + "5550037", headers) == [2]
    # several values are OR
    assert await _ids(
        client,
        f"{prefix}/customers?filters[0][0]=phones&filters[0][1][0]=994505550000"
        "&filters[0][1][1]=994505550037",
        headers,
    ) == [1, 2]
    assert await _ids(client, url + "111222333444", headers) == []
    no_digits = await client.get(url + "abc", headers=headers)
    assert no_digits.status_code == 400
    assert no_digits.json()["message"] == "Invalid filter parameters"


async def test_filter_phones_matches_stored_spaces(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    created = await client.post(
        f"{prefix}/customers",
        json={"name": "Spaced", "phone": "+994 50 333 22 11"},
        headers=headers,
    )
    assert created.status_code == 200, created.text
    new_id = created.json()["data"]["id"]
    url = f"{prefix}/customers?filters[0][0]=phones&filters[0][1]="
    assert await _ids(client, url + "994503332211", headers) == [new_id]
    assert await _ids(client, url + "%2B994%2050%20333%2022%2011", headers) == [new_id]


async def test_filter_group_id(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    vip = await _ids(client, f"{prefix}/customers?filters[0][0]=group_id&filters[0][1]=2", headers)
    assert vip == [1, 8, 15, 22]
    vip_and_staff = await _ids(
        client,
        f"{prefix}/customers?filters[0][0]=group_id&filters[0][1][0]=2&filters[0][1][1]=3",
        headers,
    )
    assert vip_and_staff == [1, 8, 12, 15, 22]
    bad = await client.get(
        f"{prefix}/customers?filters[0][0]=group_id&filters[0][1]=vip", headers=headers
    )
    assert bad.status_code == 400
    assert bad.json()["message"] == "Invalid filter parameters"


async def test_filters_combine_with_and(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    two = await _ids(
        client,
        f"{prefix}/customers?filters[0][0]=name&filters[0][1]=ova"
        "&filters[1][0]=group_id&filters[1][1]=2",
        headers,
    )
    assert two == [8]  # Gunel Orujova is the only VIP with "ova"
    three = (
        await client.get(
            f"{prefix}/customers?filters[0][0]=name&filters[0][1]=ova"
            "&filters[1][0]=group_id&filters[1][1][0]=2&filters[1][1][1]=3"
            "&filters[2][0]=phones&filters[2][1]=5550",
            headers=headers,
        )
    ).json()
    assert [c["id"] for c in three["data"]] == [8, 12]
    assert three["total"] == 2
    none = await _ids(
        client,
        f"{prefix}/customers?filters[0][0]=name&filters[0][1]=john"
        "&filters[1][0]=group_id&filters[1][1]=2",
        headers,
    )
    assert none == []
    # two conditions on the same field are still AND
    same_field = f"{prefix}/customers?filters[0][0]=name&filters[0][1]=john&filters[1][0]=name"
    assert await _ids(client, same_field + "&filters[1][1]=smith", headers) == [21]
    assert await _ids(client, same_field + "&filters[1][1]=maria", headers) == []


async def test_filter_encoded_brackets(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    ids = await _ids(
        client,
        f"{prefix}/customers?filters%5B0%5D%5B0%5D=name&filters%5B0%5D%5B1%5D=maria",
        headers,
    )
    assert ids == [22]


async def test_unknown_filter_field_is_400(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    response = await client.get(
        "/open-api/v2/customers?filters[0][0]=email&filters[0][1]=x", headers=v2
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_parameter"
    assert body["message"] == "Invalid filter parameters"
    v1_response = await client.get(
        "/open-api/customers?filters[0][0]=email&filters[0][1]=x", headers=v1
    )
    assert v1_response.status_code == 400
    assert v1_response.json()["error"][0]["type"] == "invalid_parameter"


async def test_search_name_or_email_on_both_prefixes(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    assert await _ids(client, f"{prefix}/customers?search=SMITH", headers) == [21]
    assert await _ids(client, f"{prefix}/customers?search=aytan.guliyeva@", headers) == [2]
    everyone = await _all(client, prefix, headers)
    with_email = [c["id"] for c in everyone if c["email"] and "example.com" in c["email"]]
    assert await _ids(client, f"{prefix}/customers?search=example.com&limit=999", headers) == (
        with_email
    )
    combined = await _ids(
        client, f"{prefix}/customers?search=a&filters[0][0]=group_id&filters[0][1]=3", headers
    )
    assert combined == [12]


async def test_existing_client_query_shape(client: httpx.AsyncClient, api: Api) -> None:
    """integrify sends filters[0][0] + filter[0][1], with[N], and no page/limit (§4, §8.3)."""
    prefix, headers = api
    response = await client.get(
        f"{prefix}/customers",
        params={
            "with[0]": "group",
            "with[1]": "balance",
            "filters[0][0]": "name",
            "filter[0][1]": "John",
        },
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert "%5B" in str(response.request.url)  # brackets really went out encoded
    body = response.json()
    assert [c["name"] for c in body["data"]] == ["John Smith"]
    john = body["data"][0]
    assert john["group"]["name"] == "My Customers"
    assert john["balance"]["id"] == john["balance_id"]
    assert "cashback_balance" not in john


# --- with[] -------------------------------------------------------------------------------


async def test_with_group_and_balances(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    body = (
        await client.get(
            f"{prefix}/customers?with[]=group&with[]=balance&with[]=cashback_balance&limit=2",
            headers=headers,
        )
    ).json()
    first = body["data"][0]
    assert set(first) == CUSTOMER_KEYS | {"group", "balance", "cashback_balance"}
    assert first["group"]["id"] == first["group_id"] == 2
    assert first["group"]["name"] == "VIP"
    assert set(first["balance"]) == BALANCE_KEYS
    assert first["balance"]["id"] == first["balance_id"]
    assert first["balance"]["type"] == "CUSTOMER"
    assert first["balance"]["amount"] == 0  # seeded "0.00" for i = 0
    assert ISO_MICRO.match(first["balance"]["created_at"])
    assert first["cashback_balance"]["id"] == first["cashback_balance_id"]
    assert first["cashback_balance"]["amount"] == 0.5
    only_group = (
        await client.get(f"{prefix}/customers?with[0]=group&limit=1", headers=headers)
    ).json()["data"][0]
    assert set(only_group) == CUSTOMER_KEYS | {"group"}
    unknown = await client.get(f"{prefix}/customers?with[]=orders", headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["success"] is False


async def test_cashback_balance_null_for_new_customer(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    created = (
        await client.post(f"{prefix}/customers", json={"name": "No Cashback"}, headers=headers)
    ).json()["data"]
    body = (
        await client.get(
            f"{prefix}/customers/{created['id']}?with[]=cashback_balance&with[]=balance",
            headers=headers,
        )
    ).json()
    assert body["data"]["cashback_balance_id"] is None
    assert body["data"]["cashback_balance"] is None
    assert body["data"]["balance"]["amount"] == 0


# --- by id --------------------------------------------------------------------------------


async def test_get_customer_by_id(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    listed = (await client.get(f"{prefix}/customers?limit=3", headers=headers)).json()["data"]
    response = await client.get(f"{prefix}/customers/3", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    assert body["data"] == listed[2]
    with_group = (await client.get(f"{prefix}/customers/3?with[]=group", headers=headers)).json()
    assert with_group["data"]["group"]["id"] == listed[2]["group_id"]


async def test_missing_customer_404_bodies(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    for missing in ("9999", "0", "99999999999999999999"):
        response = await client.get(f"/open-api/v2/customers/{missing}", headers=v2)
        assert response.status_code == 404, missing
        assert response.json() == NOT_FOUND_V2
    v1_response = await client.get("/open-api/customers/9999", headers=v1)
    assert v1_response.status_code == 404
    assert v1_response.json() == {
        "success": False,
        "message": "Customer not found",
        "error": [
            {
                "message": "Customer not found",
                "type": "resource_not_found",
                "exception": "NotFoundHttpException",
                "code": 0,
                "http_code": 404,
            }
        ],
    }


@pytest.mark.parametrize("raw", ["abc", "²", "1.5", "-3"])
async def test_non_integer_customer_id_is_404(
    client: httpx.AsyncClient, v2: dict[str, str], raw: str
) -> None:
    # Like categories, stations and products: a path that names no id finds no customer.
    response = await client.get(f"/open-api/v2/customers/{raw}", headers=v2)
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "error": "resource_not_found",
        "message": "Customer not found",
    }


# --- create -------------------------------------------------------------------------------


async def test_create_and_read_back(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    payload = {
        "name": "Nuray Aliyeva",
        "email": "nuray@example.com",
        "phone": "+994501234567",
        "code": "CARD9001",
        "description": "Prefers delivery",
        "group_id": 2,
        "gender": 2,
        "date_of_birth": "1990-05-15",
        "unknown_key": "ignored",
    }
    response = await client.post(f"{prefix}/customers", json=payload, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "message", "time", "timestamp", "unix"}
    assert body["success"] is True
    assert body["message"] == "Customer created"
    created = body["data"]
    assert set(created) == CUSTOMER_KEYS
    assert created["id"] == 23
    assert created["name"] == "Nuray Aliyeva"
    assert created["email"] == "nuray@example.com"
    assert created["phone"] == "+994501234567"
    assert created["phones"] == ["+994501234567"]
    assert created["code"] == "CARD9001"
    assert created["description"] == "Prefers delivery"
    assert created["group_id"] == 2
    assert created["discount"] == 10  # the VIP group's discount
    assert created["gender"] == 2
    assert created["date_of_birth"] == "1990-05-15"
    assert created["venue_id"] == 1  # the caller's venue
    assert isinstance(created["balance_id"], int)
    assert uuid.UUID(created["cid"])
    assert created["can_use_loyalty_system"] is False
    assert created["is_verified"] is False
    assert created["status"] is True
    assert created["spent"] == 0 and created["receipt_count"] == 0
    assert ISO_MICRO.match(created["created_at"])
    read = await client.get(f"{prefix}/customers/{created['id']}?with[]=balance", headers=headers)
    assert read.status_code == 200
    assert {k: v for k, v in read.json()["data"].items() if k != "balance"} == created
    balance = read.json()["data"]["balance"]
    assert balance["id"] == created["balance_id"]
    assert (balance["type"], balance["amount"]) == ("CUSTOMER", 0)
    total = (await client.get(f"{prefix}/customers", headers=headers)).json()["total"]
    assert total == 23


async def test_create_minimal_uses_defaults(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    given_cid = str(uuid.uuid4())
    minimal = await client.post(f"{prefix}/customers", json={"name": "Ali"}, headers=headers)
    assert minimal.status_code == 200, minimal.text
    data = minimal.json()["data"]
    assert data["group_id"] == 1  # the brand's my_customers group
    assert data["phone"] is None and data["phones"] == [] and data["code"] is None
    assert data["gender"] is None and data["date_of_birth"] is None
    assert uuid.UUID(data["cid"])
    with_cid = await client.post(
        f"{prefix}/customers",
        json={"name": "Bob", "cid": given_cid, "phone": "", "code": "  ", "gender": None},
        headers=headers,
    )
    assert with_cid.status_code == 200, with_cid.text
    assert with_cid.json()["data"]["cid"] == given_cid
    # blank optional strings are treated as absent, so they never collide
    assert with_cid.json()["data"]["phone"] is None
    assert with_cid.json()["data"]["code"] is None


async def test_create_takes_venue_from_x_venue(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    response = await client.post(
        "/open-api/v2/customers", json={"name": "Airport Guest"}, headers={**v2, "x-venue": "2"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["venue_id"] == 2


async def test_create_makes_default_group_when_missing(
    client: httpx.AsyncClient, app: Any, v2: dict[str, str]
) -> None:
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(CustomerGroup)
            .where(CustomerGroup.system_type == "my_customers")
            .values(system_type=None)
        )
        await session.commit()
    response = await client.post("/open-api/v2/customers", json={"name": "Lonely"}, headers=v2)
    assert response.status_code == 200, response.text
    group_id = response.json()["data"]["group_id"]
    groups = (await client.get("/open-api/v2/customer-groups", headers=v2)).json()["data"]
    made = next(g for g in groups if g["id"] == group_id)
    assert (made["name"], made["system_type"]) == ("My Customers", "my_customers")
    assert len(groups) == 4


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "+994505550000"), ("code", "CARD1000")],
)
async def test_duplicate_unique_field_is_409(
    client: httpx.AsyncClient, api: Api, field: str, value: str
) -> None:
    prefix, headers = api
    response = await client.post(
        f"{prefix}/customers", json={"name": "Copy", field: value}, headers=headers
    )
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["success"] is False
    assert body["message"] == f"A customer with this {field} already exists"
    if prefix.endswith("v2"):
        assert body["error"] == "conflict"
    else:
        assert body["error"][0]["http_code"] == 409
    assert (await client.get(f"{prefix}/customers", headers=headers)).json()["total"] == 22


async def test_duplicate_cid_is_409(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    existing = (await client.get(f"{prefix}/customers/1", headers=headers)).json()["data"]
    response = await client.post(
        f"{prefix}/customers", json={"name": "Copy", "cid": existing["cid"]}, headers=headers
    )
    assert response.status_code == 409
    assert response.json()["message"] == "A customer with this cid already exists"


@pytest.mark.parametrize("field", ["phone", "code", "cid"])
async def test_constraint_guards_uniqueness_without_precheck(
    client: httpx.AsyncClient,
    v2: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    field: str,
) -> None:
    """Even when the read-before-write misses (a race), the unique constraint answers 409."""
    existing = (await client.get("/open-api/v2/customers/1", headers=v2)).json()["data"]

    async def sees_nothing(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(customers_repo, "taken_field", sees_nothing)
    response = await client.post(
        "/open-api/v2/customers", json={"name": "Racer", field: existing[field]}, headers=v2
    )
    assert response.status_code == 409, response.text
    assert response.json()["message"] == f"A customer with this {field} already exists"
    after = (await client.get("/open-api/v2/customers", headers=v2)).json()
    assert after["total"] == 22
    # the rolled-back write left the session usable
    ok = await client.post("/open-api/v2/customers", json={"name": "Next"}, headers=v2)
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 42}, "name"),
        ({"name": "X", "email": "not-an-email"}, "email"),
        ({"name": "X", "gender": 3}, "gender"),
        ({"name": "X", "date_of_birth": "15/05/1990"}, "date_of_birth"),
        ({"name": "X", "date_of_birth": "1990-02-30"}, "date_of_birth"),
        ({"name": "X", "group_id": "vip"}, "group_id"),
        ({"name": "X", "group_id": 9999}, "group_id"),
        ({"name": "X", "group_id": 99999999999}, "group_id"),
        ({"name": "X", "phone": "1" * 65}, "phone"),
        ({"name": "A\x00B"}, "name"),
        ({"name": "X", "code": "C\x00"}, "code"),
    ],
)
async def test_invalid_body_names_the_field(
    client: httpx.AsyncClient, api: Api, payload: dict[str, Any], field: str
) -> None:
    prefix, headers = api
    response = await client.post(f"{prefix}/customers", json=payload, headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    assert field in body["message"]
    assert body["details"]["field"] == field
    if prefix.endswith("v2"):
        assert body["error"] == "validation_failed"
    else:
        assert body["error"][0]["type"] == "validation_failed"


async def test_body_not_json_is_400(client: httpx.AsyncClient, v2: dict[str, str]) -> None:
    response = await client.post(
        "/open-api/v2/customers",
        content=b"name=Ali",
        headers={**v2, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "validation_failed"


# --- brand isolation ----------------------------------------------------------------------


async def test_customers_are_brand_scoped(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = await _ids(client, "/open-api/v2/customers", v2)
    theirs_body = (await client.get("/open-api/v2/customers", headers=other_v2)).json()
    theirs = [c["id"] for c in theirs_body["data"]]
    assert theirs_body["total"] == 22
    assert set(mine).isdisjoint(theirs)
    # the same phone lives in both brands (both were seeded with it)
    assert theirs_body["data"][0]["phone"] == "+994505550000"
    assert (await client.get(f"/open-api/v2/customers/{theirs[0]}", headers=v2)).json() == (
        NOT_FOUND_V2
    )
    assert (await client.get(f"/open-api/v2/customers/{mine[0]}", headers=other_v2)).json() == (
        NOT_FOUND_V2
    )
    # filters never reach across brands
    found = await _ids(
        client, "/open-api/v2/customers?filters[0][0]=phones&filters[0][1]=994505550000", v2
    )
    assert found == [1]


async def test_create_is_brand_scoped(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = await client.post(
        "/open-api/v2/customers", json={"name": "A", "phone": "+10000000001"}, headers=v2
    )
    assert mine.status_code == 200
    theirs = await client.post(
        "/open-api/v2/customers", json={"name": "B", "phone": "+10000000001"}, headers=other_v2
    )
    assert theirs.status_code == 200, theirs.text
    # a group of brand A is not a group of brand B
    foreign_group = await client.post(
        "/open-api/v2/customers", json={"name": "C", "group_id": 2}, headers=other_v2
    )
    assert foreign_group.status_code == 400
    assert foreign_group.json()["details"]["field"] == "group_id"
    # brand B's default group is its own
    other_groups = (await client.get("/open-api/v2/customer-groups", headers=other_v2)).json()
    assert theirs.json()["data"]["group_id"] == other_groups["data"][0]["id"]


# --- the existing client's required fields (existing-python-client.md §5.1) -----------------

REQUIRED: dict[str, dict[str, type | tuple[type, ...]]] = {
    "user": {
        "created_at": str,
        "updated_at": str,
        "id": int,
        "username": str,
        "pin": str,
        "owner": int,
        "hide": int,
        "status": bool,
    },
    "group": {
        "created_at": str,
        "updated_at": str,
        "id": int,
        "name": str,
        "discount_value": int,  # 10.5 would fail the client
        "system_type": str,
    },
    "customer": {
        "created_at": str,
        "updated_at": str,
        "id": int,
        "venue_id": int,
        "cid": str,
        "group_id": int,
        "balance_id": int,
        "name": str,
    },
    "balance": {
        "created_at": str,
        "updated_at": str,
        "id": int,
        "type": str,
        "amount": (int, float),
        "position": int,
    },
}


def _assert_required(kind: str, obj: dict[str, Any]) -> None:
    for key, kind_type in REQUIRED[kind].items():
        assert obj.get(key) is not None, f"{kind}.{key} missing or null"
        assert isinstance(obj[key], kind_type), f"{kind}.{key} = {obj[key]!r}"
        if kind_type is int:
            assert not isinstance(obj[key], bool), f"{kind}.{key} is a bool"


async def test_responses_satisfy_existing_client(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    users = (await client.get(f"{prefix}/users", headers=headers)).json()["data"]
    for user in users:
        _assert_required("user", user)
    groups = (await client.get(f"{prefix}/customer-groups", headers=headers)).json()["data"]
    for group in groups:
        _assert_required("group", group)
        # DiscountType is an int enum 0/1/2; the client accepts the numeric string.
        assert group["discount_type"] in (None, "0", "1", "2")
    created = (
        await client.post(f"{prefix}/customers", json={"name": "Fresh"}, headers=headers)
    ).json()["data"]
    _assert_required("customer", created)
    customers = (
        await client.get(
            f"{prefix}/customers?with[]=group&with[]=balance&with[]=cashback_balance&limit=999",
            headers=headers,
        )
    ).json()["data"]
    assert len(customers) == 23
    for customer in customers:
        _assert_required("customer", customer)
        _assert_required("group", customer["group"])
        _assert_required("balance", customer["balance"])
        assert isinstance(customer["phones"], list)
