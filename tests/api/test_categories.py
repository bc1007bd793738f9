"""``GET /categories`` and ``GET /categories/{id}`` on both prefixes (spec §10.4, §10.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

Api = tuple[str, dict[str, str]]
ROOTS = ["Food", "Drinks", "Entertainment", "Ingredients", "Semi-finished", "Cost Centres"]
ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every category in a list of trees, depth first."""
    for item in items:
        yield item
        yield from walk(item.get("children", []))


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(c for c in walk(items) if c["name"] == name)


async def get(client: httpx.AsyncClient, api: Api, path: str, **params: Any) -> httpx.Response:
    prefix, headers = api
    return await client.get(f"{prefix}{path}", headers=headers, params=params)


async def test_list_is_the_roots_with_nested_children(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/categories")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix"}
    assert body["success"] is True
    assert [c["name"] for c in body["data"]] == ROOTS
    assert body["total"] == len(ROOTS)  # total counts the listed roots, not the descendants
    assert all(c["depth"] == 0 and c["parent_id"] is None for c in body["data"])
    food = by_name(body["data"], "Food")
    assert [c["name"] for c in food["children"]] == ["Pizza", "Burgers", "Salads", "Desserts"]
    pizza = by_name(body["data"], "Pizza")
    assert [c["name"] for c in pizza["children"]] == ["Classic Pizza", "Gourmet Pizza"]
    classic = by_name(body["data"], "Classic Pizza")
    assert classic["depth"] == 2 and classic["children"] == []
    assert classic["parent_id"] == pizza["id"]
    # every category of the brand except the inactive one is somewhere in the trees
    assert len(list(walk(body["data"]))) == 20


async def test_category_object_fields(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/categories")).json()
    coffee = by_name(body["data"], "Coffee")
    assert set(coffee) == {
        "id",
        "name",
        "status",
        "hidden",
        "type",
        "position",
        "parent_id",
        "_lft",
        "_rgt",
        "depth",
        "color",
        "slug",
        "code",
        "image",
        "media",
        "meta",
        "emenu_position",
        "emenu_hidden",
        "children",
        "created_at",
        "updated_at",
    }
    assert coffee["status"] == 1
    assert coffee["hidden"] is False
    assert coffee["type"] == "PRODUCT"
    assert coffee["color"] == "5d4037"  # hex without '#'
    assert coffee["slug"] == "coffee"
    assert coffee["media"] == []
    assert coffee["depth"] == 2
    assert ISO_MICRO.match(coffee["created_at"]) and ISO_MICRO.match(coffee["updated_at"])


async def test_children_bounds_lie_strictly_inside_their_parent(
    client: httpx.AsyncClient, api: Api
) -> None:
    body = (await get(client, api, "/categories", include_inactive="true")).json()

    def check(node: dict[str, Any]) -> int:
        assert node["_lft"] < node["_rgt"]
        deepest: int = node["depth"]
        for child in node["children"]:
            assert node["_lft"] < child["_lft"] < child["_rgt"] < node["_rgt"]
            assert child["depth"] == node["depth"] + 1
            assert child["parent_id"] == node["id"]
            deepest = max(deepest, check(child))
        return deepest

    assert max(check(root) for root in body["data"]) == 2  # three levels deep
    # siblings do not overlap and are in tree order
    bounds = [(r["_lft"], r["_rgt"]) for r in body["data"]]
    assert all(a[1] < b[0] for a, b in pairwise(bounds))


async def test_include_children_false_leaves_children_out(
    client: httpx.AsyncClient, api: Api
) -> None:
    body = (await get(client, api, "/categories", include_children="false")).json()
    assert [c["name"] for c in body["data"]] == ROOTS
    assert all("children" not in c for c in body["data"])
    body0 = (await get(client, api, "/categories", include_children="0")).json()
    assert all("children" not in c for c in body0["data"])
    body1 = (await get(client, api, "/categories", include_children="1")).json()
    assert by_name(body1["data"], "Coffee")["depth"] == 2


async def test_include_inactive_shows_archived_specials(
    client: httpx.AsyncClient, api: Api
) -> None:
    hidden = (await get(client, api, "/categories")).json()
    assert "Archived Specials" not in [c["name"] for c in walk(hidden["data"])]
    shown = (await get(client, api, "/categories", include_inactive="true")).json()
    archived = by_name(shown["data"], "Archived Specials")
    assert archived["status"] == 0
    assert archived["parent_id"] == by_name(shown["data"], "Food")["id"]
    explicit_false = (await get(client, api, "/categories", include_inactive="false")).json()
    assert "Archived Specials" not in [c["name"] for c in walk(explicit_false["data"])]


async def test_parent_id_lists_that_parents_children(client: httpx.AsyncClient, api: Api) -> None:
    tree = (await get(client, api, "/categories")).json()["data"]
    food_id = by_name(tree, "Food")["id"]
    body = (await get(client, api, "/categories", parent_id=food_id)).json()
    assert [c["name"] for c in body["data"]] == ["Pizza", "Burgers", "Salads", "Desserts"]
    assert body["total"] == 4
    assert [c["name"] for c in body["data"][0]["children"]] == ["Classic Pizza", "Gourmet Pizza"]
    with_inactive = (
        await get(client, api, "/categories", parent_id=food_id, include_inactive=1)
    ).json()
    assert with_inactive["data"][-1]["name"] == "Archived Specials"
    assert with_inactive["total"] == 5
    leaf_id = by_name(tree, "Tea")["id"]
    leaf = (await get(client, api, "/categories", parent_id=leaf_id)).json()
    assert leaf["data"] == [] and leaf["total"] == 0


async def test_pagination_counts_roots(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/categories", limit=2, page=2)).json()
    assert [c["name"] for c in body["data"]] == ["Entertainment", "Ingredients"]
    assert body["total"] == 6
    last = (await get(client, api, "/categories", limit=4, page=2)).json()
    assert [c["name"] for c in last["data"]] == ["Semi-finished", "Cost Centres"]


@pytest.mark.parametrize(
    "params",
    [{"type": "INGREDIENT"}, {"filters[0][0]": "type", "filters[0][1]": "INGREDIENT"}],
    ids=["plain", "filters"],
)
async def test_type_filter_both_forms(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    body = (await get(client, api, "/categories", **params)).json()
    assert [c["name"] for c in body["data"]] == ["Ingredients", "Semi-finished"]
    assert body["total"] == 2
    assert {c["type"] for c in walk(body["data"])} == {"INGREDIENT"}
    assert [c["name"] for c in body["data"][0]["children"]] == ["Dairy", "Vegetables"]


async def test_type_filter_list_and_accounting(client: httpx.AsyncClient, api: Api) -> None:
    several = await get(
        client,
        api,
        "/categories",
        **{
            "filters[0][0]": "type",
            "filters[0][1][0]": "ACCOUNTING",
            "filters[0][1][1]": "INGREDIENT",
        },
    )
    assert [c["name"] for c in several.json()["data"]] == [
        "Ingredients",
        "Semi-finished",
        "Cost Centres",
    ]
    accounting = (await get(client, api, "/categories", type="ACCOUNTING")).json()
    assert [c["name"] for c in accounting["data"]] == ["Cost Centres"]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "DRINKS"},
        {"filters[0][0]": "type", "filters[0][1]": "FOOD"},
        {"filters[0][0]": "colour", "filters[0][1]": "red"},
        {"include_children": "maybe"},
        {"include_inactive": "2"},
        {"parent_id": "abc"},
        {"limit": "0"},
        {"limit": "1000"},
        {"page": "0"},
    ],
)
async def test_bad_parameters_answer_400(
    client: httpx.AsyncClient, api: Api, params: dict[str, str]
) -> None:
    response = await get(client, api, "/categories", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["success"] is False
    if api[0].endswith("/v2"):
        assert body["error"] == "invalid_parameter"
    else:
        assert body["error"][0]["type"] == "invalid_parameter"


async def test_limit_bounds(client: httpx.AsyncClient, api: Api) -> None:
    one = (await get(client, api, "/categories", limit=1)).json()
    assert [c["name"] for c in one["data"]] == ["Food"] and one["total"] == 6
    most = await get(client, api, "/categories", limit=999)
    assert most.status_code == 200
    assert len(most.json()["data"]) == 6
    too_many = (await get(client, api, "/categories", limit=1000)).json()
    message = too_many["message"]
    assert message == "The 'limit' parameter must be between 1 and 999"


async def test_get_by_id_with_and_without_children(client: httpx.AsyncClient, api: Api) -> None:
    tree = (await get(client, api, "/categories", include_inactive="true")).json()["data"]
    food = by_name(tree, "Food")
    response = await get(client, api, f"/categories/{food['id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    assert body["data"]["name"] == "Food"
    assert [c["name"] for c in body["data"]["children"]] == [
        "Pizza",
        "Burgers",
        "Salads",
        "Desserts",
    ]
    flat = (await get(client, api, f"/categories/{food['id']}", include_children="false")).json()
    assert "children" not in flat["data"]
    assert flat["data"]["_lft"] == food["_lft"] and flat["data"]["_rgt"] == food["_rgt"]
    archived = by_name(tree, "Archived Specials")
    with_inactive = (
        await get(client, api, f"/categories/{food['id']}", include_inactive="true")
    ).json()
    assert with_inactive["data"]["children"][-1]["id"] == archived["id"]
    # an inactive category is still readable by id
    direct = (await get(client, api, f"/categories/{archived['id']}")).json()
    assert direct["data"]["status"] == 0


@pytest.mark.parametrize("bad_id", ["999999", "abc", "99999999999999999999"])
async def test_unknown_category_is_404(client: httpx.AsyncClient, api: Api, bad_id: str) -> None:
    response = await get(client, api, f"/categories/{bad_id}")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["message"] == "Category not found"
    if api[0].endswith("/v2"):
        assert body["error"] == "resource_not_found"
    else:
        assert body["error"][0]["http_code"] == 404
        assert body["error"][0]["type"] == "resource_not_found"


async def test_other_brand_cannot_read_our_categories(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    ours = (await client.get("/open-api/v2/categories", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/categories", headers=other_v2)).json()["data"]
    our_ids = {c["id"] for c in walk(ours)}
    their_ids = {c["id"] for c in walk(theirs)}
    assert [c["name"] for c in theirs] == ROOTS  # same catalog, own rows
    assert our_ids.isdisjoint(their_ids)
    food_id = by_name(ours, "Food")["id"]
    foreign = await client.get(f"/open-api/v2/categories/{food_id}", headers=other_v2)
    assert foreign.status_code == 404
    children = await client.get(
        "/open-api/v2/categories", headers=other_v2, params={"parent_id": food_id}
    )
    assert children.json()["data"] == [] and children.json()["total"] == 0
