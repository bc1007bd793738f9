"""``GET /stations`` and ``GET /stations/{id}`` on both prefixes (spec §10.6, §10.7)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

Api = tuple[str, dict[str, str]]
ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


async def get(client: httpx.AsyncClient, api: Api, path: str, **params: Any) -> httpx.Response:
    prefix, headers = api
    return await client.get(f"{prefix}{path}", headers=headers, params=params)


async def test_list_envelope_and_station_object(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/stations")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix"}
    assert [s["name"] for s in body["data"]] == ["Kitchen", "Bar", "Pastry screen"]
    assert body["total"] == 3
    kitchen = body["data"][0]
    assert set(kitchen) == {
        "id",
        "name",
        "status",
        "type",
        "printable",
        "can_print",
        "reminder_enabled",
        "description",
        "created_at",
        "updated_at",
    }
    assert kitchen["status"] == 1
    assert kitchen["type"] == 1
    assert kitchen["printable"] == 1
    assert kitchen["can_print"] is True
    assert kitchen["reminder_enabled"] is True
    assert kitchen["description"] == "Hot line"
    assert ISO_MICRO.match(kitchen["created_at"])
    pastry = body["data"][2]
    assert (pastry["type"], pastry["printable"], pastry["can_print"]) == (0, 0, False)


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"can_print": "true"}, ["Kitchen", "Bar"]),
        ({"can_print": "1"}, ["Kitchen", "Bar"]),
        ({"can_print": "false"}, ["Pastry screen"]),
        ({"can_print": "0"}, ["Pastry screen"]),
        ({"status": "1"}, ["Kitchen", "Bar", "Pastry screen"]),
        ({"status": "0"}, []),
        ({"status": "1", "can_print": "false"}, ["Pastry screen"]),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, api: Api, params: dict[str, str], names: list[str]
) -> None:
    body = (await get(client, api, "/stations", **params)).json()
    assert [s["name"] for s in body["data"]] == names
    assert body["total"] == len(names)


async def test_limit_bounds_and_paging(client: httpx.AsyncClient, api: Api) -> None:
    one = (await get(client, api, "/stations", limit=1, page=2)).json()
    assert [s["name"] for s in one["data"]] == ["Bar"] and one["total"] == 3
    assert (await get(client, api, "/stations", limit=200)).status_code == 200
    for bad in ("0", "201"):
        response = await get(client, api, "/stations", limit=bad)
        assert response.status_code == 400
        assert response.json()["message"] == "The 'limit' parameter must be between 1 and 200"


@pytest.mark.parametrize("params", [{"status": "2"}, {"status": "x"}, {"can_print": "perhaps"}])
async def test_bad_filters_are_400(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    response = await get(client, api, "/stations", **params)
    assert response.status_code == 400
    assert response.json()["success"] is False


async def test_get_by_id(client: httpx.AsyncClient, api: Api) -> None:
    bar = (await get(client, api, "/stations")).json()["data"][1]
    response = await get(client, api, f"/stations/{bar['id']}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    assert body["data"] == bar


@pytest.mark.parametrize("bad_id", ["424242", "kitchen"])
async def test_unknown_station_is_404(client: httpx.AsyncClient, api: Api, bad_id: str) -> None:
    response = await get(client, api, f"/stations/{bad_id}")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Station not found"
    if api[0].endswith("/v2"):
        assert body["error"] == "resource_not_found"
    else:
        assert body["error"][0]["type"] == "resource_not_found"


async def test_other_brand_cannot_read_our_stations(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ours = (await client.get("/open-api/v2/stations", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/stations", headers=other_v2)).json()
    assert theirs["total"] == 3
    assert {s["id"] for s in ours}.isdisjoint({s["id"] for s in theirs["data"]})
    foreign = await client.get(f"/open-api/v2/stations/{ours[0]['id']}", headers=other_v2)
    assert foreign.status_code == 404
    assert foreign.json()["error"] == "resource_not_found"


async def test_superscript_digit_ids_are_404_not_500(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    # "²".isdigit() is True in Python; such an id must still simply find nothing.
    prefix, headers = api
    for path in ("stations", "categories", "products", "users", "customers"):
        response = await client.get(f"{prefix}/{path}/²", headers=headers)
        assert response.status_code == 404, (path, response.text)
