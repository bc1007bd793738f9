"""``GET /price-lists`` and ``GET /price-lists/prices`` on both prefixes (spec §10.8, §10.9)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

Api = tuple[str, dict[str, str]]
ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
PLAIN = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Every sellable demo product is priced in both lists: 18 active dishes, 5 variants,
# 2 timers and 6 priced goods.
PRICES_PER_LIST = 31


async def get(client: httpx.AsyncClient, api: Api, path: str, **params: Any) -> httpx.Response:
    prefix, headers = api
    return await client.get(f"{prefix}{path}", headers=headers, params=params)


async def lists_by_name(client: httpx.AsyncClient, api: Api) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in (await get(client, api, "/price-lists")).json()["data"]}


async def test_list_envelope_pagination_and_objects(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/price-lists")
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
    assert body["total"] == 2
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 2, "total_pages": 1}
    assert body["sorts"] == ["id", "name", "created_at"]
    assert [p["name"] for p in body["data"]] == ["Standard Prices", "Delivery Prices"]
    delivery = body["data"][1]
    assert set(delivery) == {"id", "name", "description", "status", "created_at", "updated_at"}
    assert delivery["description"] == "Prices applied to delivery orders"
    assert delivery["status"] is True
    assert ISO_MICRO.match(delivery["created_at"])


async def test_pagination_block_follows_page_and_limit(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/price-lists", limit=1, page=2)).json()
    assert [p["name"] for p in body["data"]] == ["Delivery Prices"]
    assert body["pagination"] == {"page": 2, "per_page": 1, "total": 2, "total_pages": 2}
    beyond = (await get(client, api, "/price-lists", limit=1, page=3)).json()
    assert beyond["data"] == [] and beyond["total"] == 2


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"sort[0][0]": "name", "sort[0][1]": "asc"}, ["Delivery Prices", "Standard Prices"]),
        ({"sort[0][0]": "name", "sort[0][1]": "desc"}, ["Standard Prices", "Delivery Prices"]),
        ({"sort[0]": "name", "sort[1]": "1"}, ["Delivery Prices", "Standard Prices"]),
        ({"sort[0]": "name", "sort[1]": "-1"}, ["Standard Prices", "Delivery Prices"]),
        ({"sort[0][0]": "id", "sort[0][1]": "desc"}, ["Delivery Prices", "Standard Prices"]),
        ({"sort[0]": "id", "sort[1]": "1"}, ["Standard Prices", "Delivery Prices"]),
        ({"sort[0]": "created_at", "sort[1]": "1"}, ["Standard Prices", "Delivery Prices"]),
    ],
)
async def test_sort_both_syntaxes(
    client: httpx.AsyncClient, api: Api, params: dict[str, str], names: list[str]
) -> None:
    body = (await get(client, api, "/price-lists", **params)).json()
    assert [p["name"] for p in body["data"]] == names


async def test_with_prices(client: httpx.AsyncClient, api: Api) -> None:
    plain = (await get(client, api, "/price-lists")).json()["data"]
    assert all("prices" not in p for p in plain)
    prefix, headers = api
    response = await client.get(f"{prefix}/price-lists?with[]=prices", headers=headers)
    data = response.json()["data"]
    for price_list in data:
        assert len(price_list["prices"]) == PRICES_PER_LIST
        assert {p["list_id"] for p in price_list["prices"]} == {price_list["id"]}
        assert set(price_list["prices"][0]) == {"id", "list_id", "product_id", "price"}
    # Amounts are exact: the counter list keeps Margherita's 8.50 as written (spec §4.5).
    assert re.search(r'"price":8\.50[,}]', response.text)
    indexed = await client.get(f"{prefix}/price-lists?with[0]=prices", headers=headers)
    assert all(len(p["prices"]) == PRICES_PER_LIST for p in indexed.json()["data"])


async def test_selects(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/price-lists", selects="status")).json()
    assert all(set(p) == {"id", "name", "status"} for p in body["data"])
    only_id = (await get(client, api, "/price-lists", selects="id")).json()
    assert all(set(p) == {"id", "name"} for p in only_id["data"])
    prefix, headers = api
    with_prices = await client.get(
        f"{prefix}/price-lists?selects=id,description&with[]=prices", headers=headers
    )
    assert all(
        set(p) == {"id", "name", "description", "prices"} for p in with_prices.json()["data"]
    )


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1000"},
        {"sort[0][0]": "price", "sort[0][1]": "asc"},
        {"sort[0][0]": "name", "sort[0][1]": "up"},
        {"selects": "id,colour"},
        {"with[]": "products"},
        {"filters[0][0]": "name", "filters[0][1]": "x"},
    ],
)
async def test_list_bad_parameters_are_400(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    response = await get(client, api, "/price-lists", **params)
    assert response.status_code == 400, response.text
    assert response.json()["success"] is False


async def test_list_limit_bounds(client: httpx.AsyncClient, api: Api) -> None:
    assert len((await get(client, api, "/price-lists", limit=999)).json()["data"]) == 2
    one = (await get(client, api, "/price-lists", limit=1)).json()
    assert len(one["data"]) == 1 and one["pagination"]["total_pages"] == 2


async def test_prices_list_envelope(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/price-lists/prices")).json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix", "pagination"}
    assert body["total"] == 2 * PRICES_PER_LIST
    assert len(body["data"]) == 50
    assert body["pagination"] == {
        "page": 1,
        "per_page": 50,
        "total": 2 * PRICES_PER_LIST,
        "total_pages": 2,
    }
    ids = [p["id"] for p in body["data"]]
    assert ids == sorted(ids)
    second = (await get(client, api, "/price-lists/prices", page=2)).json()
    assert len(second["data"]) == 2 * PRICES_PER_LIST - 50
    assert (await get(client, api, "/price-lists/prices", limit=999)).json()["total"] == 62
    assert (await get(client, api, "/price-lists/prices", limit=1000)).status_code == 400
    assert (await get(client, api, "/price-lists/prices", limit=0)).status_code == 400


async def test_prices_filters(client: httpx.AsyncClient, api: Api) -> None:
    lists = await lists_by_name(client, api)
    delivery_id = lists["Delivery Prices"]["id"]
    by_list = (
        await get(
            client,
            api,
            "/price-lists/prices",
            **{"filters[0][0]": "list_id", "filters[0][1]": delivery_id},
        )
    ).json()
    assert by_list["total"] == PRICES_PER_LIST
    assert {p["list_id"] for p in by_list["data"]} == {delivery_id}
    product_id = by_list["data"][0]["product_id"]
    by_product = (
        await get(
            client,
            api,
            "/price-lists/prices",
            **{"filters[0][0]": "product_id", "filters[0][1][0]": product_id},
        )
    ).json()
    assert by_product["total"] == 2  # one price in each list
    assert {p["product_id"] for p in by_product["data"]} == {product_id}
    both = (
        await get(
            client,
            api,
            "/price-lists/prices",
            **{
                "filters[0][0]": "product_id",
                "filters[0][1]": product_id,
                "filters[1][0]": "list_id",
                "filters[1][1]": delivery_id,
            },
        )
    ).json()
    assert len(both["data"]) == 1 and both["data"][0]["list_id"] == delivery_id
    ids = [p["id"] for p in by_list["data"][:2]]
    by_id = (
        await get(
            client,
            api,
            "/price-lists/prices",
            **{"filters[0][0]": "id", "filters[0][1][0]": ids[0], "filters[0][1][1]": ids[1]},
        )
    ).json()
    assert [p["id"] for p in by_id["data"]] == ids


async def test_prices_with_product_and_list(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    response = await client.get(
        f"{prefix}/price-lists/prices?with[]=product&with[]=list&limit=999", headers=headers
    )
    data = response.json()["data"]
    margherita = [p for p in data if p["product"]["name"] == "Margherita"]
    assert len(margherita) == 2
    by_list = {p["list"]["name"]: p for p in margherita}
    assert by_list["Standard Prices"]["product"]["price"] == 8.5
    assert by_list["Delivery Prices"]["price"] == 9.78  # 8.50 × 1.15, rounded when seeded
    product = by_list["Standard Prices"]["product"]
    assert product["id"] == by_list["Standard Prices"]["product_id"]
    assert product["type"] == "DISH"
    assert PLAIN.match(product["created_at"])
    assert set(by_list["Delivery Prices"]["list"]) == {
        "id",
        "name",
        "description",
        "status",
        "created_at",
        "updated_at",
    }
    plain = (await get(client, api, "/price-lists/prices", limit=1)).json()["data"][0]
    assert "product" not in plain and "list" not in plain


@pytest.mark.parametrize(
    "params",
    [
        {"filters[0][0]": "price", "filters[0][1]": "1"},
        {"filters[0][0]": "list_id", "filters[0][1]": "abc"},
        {"with[]": "taxes"},
    ],
)
async def test_prices_bad_parameters_are_400(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    response = await get(client, api, "/price-lists/prices", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    if api[0].endswith("/v2"):
        assert body["error"] == "invalid_parameter"
    else:
        assert body["error"][0]["type"] == "invalid_parameter"


async def test_other_brand_sees_only_its_own_lists_and_prices(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ours = (await client.get("/open-api/v2/price-lists", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/price-lists", headers=other_v2)).json()["data"]
    assert {p["id"] for p in ours}.isdisjoint({p["id"] for p in theirs})
    foreign = await client.get(
        "/open-api/v2/price-lists/prices",
        headers=other_v2,
        params={"filters[0][0]": "list_id", "filters[0][1]": ours[0]["id"]},
    )
    assert foreign.json()["data"] == [] and foreign.json()["total"] == 0
    their_prices = (
        await client.get("/open-api/v2/price-lists/prices?limit=999", headers=other_v2)
    ).json()
    assert their_prices["total"] == 2 * PRICES_PER_LIST
    assert {p["list_id"] for p in their_prices["data"]} == {p["id"] for p in theirs}
