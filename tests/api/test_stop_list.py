"""``GET /products/stop-list`` (spec §10.3) on both prefixes.

Demo data: venue 1 "Main" limits Truffle Mushroom (0), Cheesecake (3) and Fanta 0.5 L (12);
venue 2 "Airport" limits Tiramisu (0).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from clopos.server.store.models import Product, StopListEntry

Api = tuple[str, dict[str, str]]

# The docs' example instants (spec §10.3): 1761202010781 and 1761202001368 ms.
DOC_INSTANT_A = datetime(2025, 10, 23, 6, 46, 50, 781000)
DOC_INSTANT_B = datetime(2025, 10, 23, 6, 46, 41, 368000)


async def product_ids(app: Any, brand_id: int = 1) -> dict[str, int]:
    async with app.state.clopos.sessions() as session:
        rows = await session.execute(
            select(Product.name, Product.id).where(Product.brand_id == brand_id)
        )
        return {name: product_id for name, product_id in rows}


async def stop_list(
    client: httpx.AsyncClient,
    api: Api,
    params: dict[str, Any] | None = None,
    *,
    venue: str | None = None,
) -> httpx.Response:
    prefix, headers = api
    if venue is not None:
        headers = {**headers, "x-venue": venue}
    return await client.get(f"{prefix}/products/stop-list", headers=headers, params=params)


def entries(response: httpx.Response) -> list[tuple[int, int]]:
    assert response.status_code == 200, response.text
    return [(e["id"], e["limit"]) for e in response.json()["data"]]


async def set_stamp(app: Any, product_id: int, when: datetime) -> None:
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(StopListEntry)
            .where(StopListEntry.product_id == product_id)
            .values(updated_at=when)
        )
        await session.commit()


async def test_entries_of_the_callers_venue(app: Any, client: httpx.AsyncClient, api: Api) -> None:
    ids = await product_ids(app)
    response = await stop_list(client, api)
    body = response.json()
    assert set(body) >= {"success", "data", "time", "timestamp", "unix"}
    assert body["success"] is True
    assert entries(response) == [
        (ids["Truffle Mushroom"], 0),
        (ids["Cheesecake"], 3),
        (ids["Fanta 0.5 L"], 12),
    ]
    now_ms = int(time.time() * 1000)
    for entry in body["data"]:
        assert set(entry) == {"id", "limit", "timestamp"}
        assert isinstance(entry["timestamp"], int)
        # milliseconds, not seconds: a recent instant is ~1.7e12
        assert 1_600_000_000_000 < entry["timestamp"] <= now_ms


async def test_timestamp_is_unix_milliseconds(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    ids = await product_ids(app)
    await set_stamp(app, ids["Cheesecake"], DOC_INSTANT_A)
    data = (await stop_list(client, api)).json()["data"]
    stamp = next(e["timestamp"] for e in data if e["id"] == ids["Cheesecake"])
    assert stamp == 1761202010781


async def test_x_venue_selects_the_venue_on_both_prefixes(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    ids = await product_ids(app)
    airport = await stop_list(client, api, venue="2")
    assert entries(airport) == [(ids["Tiramisu"], 0)]
    main = await stop_list(client, api, venue="1")
    assert ids["Tiramisu"] not in {product_id for product_id, _ in entries(main)}


async def test_filter_by_product_ids(app: Any, client: httpx.AsyncClient, api: Api) -> None:
    ids = await product_ids(app)
    params = {
        "filters[0][0]": "id",
        "filters[0][1][0]": str(ids["Cheesecake"]),
        "filters[0][1][1]": str(ids["Tiramisu"]),  # limited at the other venue only
        "filters[0][1][2]": str(ids["Margherita"]),  # not limited at all
    }
    assert entries(await stop_list(client, api, params)) == [(ids["Cheesecake"], 3)]
    scalar = {"filters[0][0]": "id", "filters[0][1]": str(ids["Fanta 0.5 L"])}
    assert entries(await stop_list(client, api, scalar)) == [(ids["Fanta 0.5 L"], 12)]


async def test_docs_example_with_encoded_brackets(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    ids = await product_ids(app)
    prefix, headers = api
    url = (
        f"{prefix}/products/stop-list?filters%5B0%5D%5B0%5D=id"
        f"&filters%5B0%5D%5B1%5D%5B0%5D=1&filters%5B0%5D%5B1%5D%5B1%5D={ids['Truffle Mushroom']}"
    )
    assert entries(await client.get(url, headers=headers)) == [(ids["Truffle Mushroom"], 0)]


async def test_nothing_limited_is_an_empty_list(client: httpx.AsyncClient, api: Api) -> None:
    response = await stop_list(client, api, {"filters[0][0]": "id", "filters[0][1][0]": "999999"})
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True and body["data"] == []
    assert set(body) >= {"time", "timestamp", "unix"}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1"], ["Cheesecake", "Fanta 0.5 L"]),
        (["1", "5"], ["Cheesecake"]),
        (["0", "0"], ["Truffle Mushroom"]),
        (["3", "12"], ["Cheesecake", "Fanta 0.5 L"]),
        (["13"], []),
    ],
)
async def test_filter_by_limit_range(
    app: Any, client: httpx.AsyncClient, api: Api, values: list[str], expected: list[str]
) -> None:
    """SDK form: ``filters[i][0]=limit&filters[i][1][0]=from[&filters[i][1][1]=to]``."""
    ids = await product_ids(app)
    params = {"filters[0][0]": "limit"} | {f"filters[0][1][{i}]": v for i, v in enumerate(values)}
    assert [pid for pid, _ in entries(await stop_list(client, api, params))] == [
        ids[name] for name in expected
    ]


async def test_filter_by_timestamp_range(app: Any, client: httpx.AsyncClient, api: Api) -> None:
    ids = await product_ids(app)
    await set_stamp(app, ids["Cheesecake"], DOC_INSTANT_A)  # 1761202010781
    await set_stamp(app, ids["Truffle Mushroom"], DOC_INSTANT_B)  # 1761202001368

    async def matching(*values: str) -> list[int]:
        params = {"filters[0][0]": "timestamp"} | {
            f"filters[0][1][{i}]": v for i, v in enumerate(values)
        }
        return [pid for pid, _ in entries(await stop_list(client, api, params))]

    # both bounds are inclusive to the millisecond
    assert await matching("1761202001368", "1761202010781") == [
        ids["Truffle Mushroom"],
        ids["Cheesecake"],
    ]
    assert await matching("1761202001369", "1761202010781") == [ids["Cheesecake"]]
    assert await matching("1761202001368", "1761202010780") == [ids["Truffle Mushroom"]]
    # from only: everything updated since then (Fanta keeps its recent seed time)
    assert await matching("1761202010781") == [ids["Cheesecake"], ids["Fanta 0.5 L"]]


async def test_filters_combine_with_and(app: Any, client: httpx.AsyncClient, api: Api) -> None:
    ids = await product_ids(app)
    params = {
        "filters[0][0]": "id",
        "filters[0][1][0]": str(ids["Truffle Mushroom"]),
        "filters[0][1][1]": str(ids["Cheesecake"]),
        "filters[1][0]": "limit",
        "filters[1][1][0]": "1",
    }
    assert entries(await stop_list(client, api, params)) == [(ids["Cheesecake"], 3)]


@pytest.mark.parametrize(
    "params",
    [
        {"filters[0][0]": "name", "filters[0][1]": "Cheesecake"},
        {"filters[0][0]": "id", "filters[0][1][0]": "abc"},
        {"filters[0][0]": "id", "filters[0][1][0]": "-4"},
        {"filters[0][0]": "id", "filters[0][1][0]": "99999999999"},
        {"filters[0][0]": "id"},
        {"filters[0][1][0]": "5"},
        {"filters": "id"},
        {"filters[x][0]": "id", "filters[x][1]": "5"},
        {
            "filters[0][0]": "limit",
            "filters[0][1][0]": "1",
            "filters[0][1][1]": "2",
            "filters[0][1][2]": "3",
        },
        {"filters[0][0]": "limit", "filters[0][1][0]": "5", "filters[0][1][1]": "1"},
        {"filters[0][0]": "limit", "filters[0][1][0]": ""},
        {"filters[0][0]": "timestamp", "filters[0][1][0]": "yesterday"},
        {"filters[0][0]": "timestamp", "filters[0][1][0]": "999999999999999999"},
    ],
)
async def test_malformed_filters_are_rejected(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    response = await stop_list(client, api, params)
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Invalid filter parameters"
    if api[0].endswith("/v2"):
        assert body["error"] == "invalid_parameter"
    else:
        assert body["error"][0]["type"] == "invalid_parameter"


async def test_deleted_products_drop_off_the_stop_list(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    ids = await product_ids(app)
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(Product)
            .where(Product.id == ids["Cheesecake"])
            .values(deleted_at=datetime(2026, 1, 1))
        )
        await session.commit()
    assert ids["Cheesecake"] not in {pid for pid, _ in entries(await stop_list(client, api))}


async def test_brands_see_only_their_own_stop_list(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = await product_ids(app)
    async with app.state.clopos.sessions() as session:
        other_brand = await session.scalar(
            select(Product.brand_id).where(Product.brand_id != 1).limit(1)
        )
    assert other_brand is not None
    theirs = await product_ids(app, other_brand)
    other = await client.get("/open-api/v2/products/stop-list", headers=other_v2)
    assert entries(other) == [
        (theirs["Truffle Mushroom"], 0),
        (theirs["Cheesecake"], 3),
        (theirs["Fanta 0.5 L"], 12),
    ]
    probe = await client.get(
        "/open-api/v2/products/stop-list",
        headers=v2,
        params={"filters[0][0]": "id", "filters[0][1][0]": str(theirs["Cheesecake"])},
    )
    assert entries(probe) == []
    assert theirs["Cheesecake"] != mine["Cheesecake"]
    # the other brand's venues are not ours to pick
    foreign_venue = await client.get(
        "/open-api/v2/products/stop-list", headers={**v2, "x-venue": "3"}
    )
    assert foreign_venue.status_code == 403
