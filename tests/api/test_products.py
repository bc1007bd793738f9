"""``GET /products`` and ``GET /products/{id}`` (spec §10.1, §10.2) on both prefixes.

Expectations come from the demo catalog in ``clopos.server.demo``: 8 ingredients, 2
preparations, 19 dishes (one inactive), 8 GOODS of which Coca-Cola and Fanta have 3 and 2
MODIFICATION variants, and 2 TIMER products — 44 products in all.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from clopos.server.domain.products import BASE_FIELDS
from clopos.server.store.models import Product

Api = tuple[str, dict[str, str]]

ALL_PRODUCTS = 44
INGREDIENTS = {
    "Mozzarella",
    "Milk",
    "Tomato",
    "Onion",
    "Lettuce",
    "Beef Patty",
    "Coffee Beans",
    "Flour",
}
VARIANTS = {"Coca-Cola 0.33 L", "Coca-Cola 0.5 L", "Coca-Cola 1 L", "Fanta 0.33 L", "Fanta 0.5 L"}
GOODS = {
    "Coca-Cola",
    "Fanta",
    "Mineral Water",
    "Orange Juice",
    "Apple Juice",
    "Pomegranate Juice",
    "Croissant",
    "Chocolate Bar",
}
TIMERS = {"PlayStation 5", "Billiards Table"}
PREPARATIONS = {"Pizza Dough", "Tomato Sauce"}
DISHES_WITH_MODIFIERS = {
    "Margherita",
    "Pepperoni",
    "Four Cheese",
    "Truffle Mushroom",
    "Classic Burger",
    "Cheeseburger",
    "Veggie Burger",
    "Cappuccino",
    "Latte",
    "Flat White",
}
WITH_RECIPE = {
    "Pizza Dough",
    "Tomato Sauce",
    "Margherita",
    "Pepperoni",
    "Four Cheese",
    "Truffle Mushroom",
    "Classic Burger",
    "Cheeseburger",
    "Greek Salad",
    "Espresso",
    "Cappuccino",
    "Latte",
}
PLAIN_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


# --- helpers ------------------------------------------------------------------------------


async def get(client: httpx.AsyncClient, api: Api, path: str, **params: Any) -> httpx.Response:
    prefix, headers = api
    return await client.get(f"{prefix}{path}", headers=headers, params=params or None)


async def list_all(client: httpx.AsyncClient, api: Api, **params: Any) -> list[dict[str, Any]]:
    response = await get(client, api, "/products", limit=100, **params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def by_name(client: httpx.AsyncClient, api: Api, **params: Any) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in await list_all(client, api, **params)}


def names(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {p["name"] for p in response.json()["data"]}


def error_of(api: Api, response: httpx.Response) -> tuple[str, str]:
    """``(error code, message)`` in either prefix's error shape."""
    body = response.json()
    assert body["success"] is False
    if api[0].endswith("/v2"):
        assert isinstance(body["error"], str)
        return body["error"], body["message"]
    assert isinstance(body["error"], list)
    return body["error"][0]["type"], body["message"]


def filters(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """``filters[N][0]=field&filters[N][1]=v`` or ``filters[N][1][M]=v`` for list values."""
    params: dict[str, Any] = {}
    for n, (name, value) in enumerate(pairs):
        params[f"filters[{n}][0]"] = name
        if isinstance(value, list):
            for m, item in enumerate(value):
                params[f"filters[{n}][1][{m}]"] = str(item)
        else:
            params[f"filters[{n}][1]"] = str(value)
    return params


async def set_columns(app: Any, product_name: str, **values: Any) -> None:
    """Change a demo product of the openapitest brand (brand 1) directly in the store."""
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(Product)
            .where(Product.brand_id == 1, Product.name == product_name)
            .values(**values)
        )
        await session.commit()


# --- list: envelope, paging ---------------------------------------------------------------


async def test_list_envelope_and_product_object(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/products")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "total", "time", "timestamp", "unix", "sorts"}
    assert body["success"] is True
    assert body["total"] == ALL_PRODUCTS
    assert len(body["data"]) == ALL_PRODUCTS  # default limit 50
    ids = [p["id"] for p in body["data"]]
    assert ids == sorted(ids)
    assert isinstance(body["time"], int) and isinstance(body["unix"], int)
    assert PLAIN_TIME.match(body["timestamp"])
    assert "price" in body["sorts"]

    margherita = next(p for p in body["data"] if p["name"] == "Margherita")
    assert list(margherita) == list(BASE_FIELDS)
    assert margherita["type"] == "DISH"
    assert margherita["parent_id"] is None and margherita["parent_name"] == ""
    assert margherita["full_name"] == "Margherita"
    assert margherita["status"] == 1 and margherita["hidden"] == 0
    assert margherita["discountable"] is True and margherita["giftable"] is True
    assert margherita["sold_by_weight"] is False and margherita["emenu_hidden"] is False
    assert margherita["has_modifications"] is False
    assert margherita["cooking_time"] == 12 and margherita["inventory_behavior"] == 0
    assert margherita["markup_rate"] == 304.76  # (8.50 - 2.10) / 2.10
    assert margherita["gross_margin"] == 75.29  # (8.50 - 2.10) / 8.50
    assert margherita["color"] == "fdd835"
    assert margherita["setting"] is None
    assert margherita["venues"] == [] and margherita["media"] == []
    assert margherita["meta"]["langs"] == {"en": [], "az": []}
    assert re.fullmatch(r"[0-9a-f-]{36}", margherita["cid"])
    assert PLAIN_TIME.match(margherita["created_at"]) and PLAIN_TIME.match(margherita["updated_at"])
    assert margherita["deleted_at"] is None
    # exact decimals, as stored (spec §4.5)
    assert '"price":8.50,"cost_price":2.10' in response.text


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc"])
async def test_limit_out_of_range_is_invalid_parameter(
    client: httpx.AsyncClient, api: Api, limit: str
) -> None:
    response = await get(client, api, "/products", limit=limit)
    assert response.status_code == 400
    code, message = error_of(api, response)
    assert code == "invalid_parameter"
    assert "'limit'" in message and "1" in message and "100" in message


@pytest.mark.parametrize(("limit", "count"), [(1, 1), (100, ALL_PRODUCTS)])
async def test_limit_boundaries_accepted(
    client: httpx.AsyncClient, api: Api, limit: int, count: int
) -> None:
    body = (await get(client, api, "/products", limit=limit)).json()
    assert len(body["data"]) == count
    assert body["total"] == ALL_PRODUCTS


async def test_pages_partition_the_catalog(client: httpx.AsyncClient, api: Api) -> None:
    seen: list[int] = []
    for page in range(1, 6):
        body = (await get(client, api, "/products", page=page, limit=10)).json()
        assert body["total"] == ALL_PRODUCTS
        seen += [p["id"] for p in body["data"]]
    assert len(seen) == ALL_PRODUCTS == len(set(seen))
    beyond = (await get(client, api, "/products", page=6, limit=10)).json()
    assert beyond["success"] is True and beyond["data"] == [] and beyond["total"] == ALL_PRODUCTS


async def test_sort_by_price_descending(client: httpx.AsyncClient, api: Api) -> None:
    body = (await get(client, api, "/products", **{"sort[0]": "price", "sort[1]": "-1"})).json()
    assert body["data"][0]["name"] == "Truffle Mushroom"
    bad = await get(client, api, "/products", **{"sort[0]": "colour"})
    assert bad.status_code == 400
    assert error_of(api, bad)[0] == "invalid_parameter"


# --- list: what is listed -----------------------------------------------------------------


async def test_variants_and_inactive_products_are_listed(
    client: httpx.AsyncClient, api: Api
) -> None:
    products = await by_name(client, api)
    coke = products["Coca-Cola"]
    assert coke["has_modifications"] is True and coke["price"] == 0
    variant = products["Coca-Cola 0.5 L"]
    assert variant["type"] == "MODIFICATION"
    assert variant["parent_id"] == coke["id"]
    assert variant["parent_name"] == "Coca-Cola"
    assert variant["full_name"] == "Coca-Cola 0.5 L"
    assert variant["price"] == 2.4
    assert products["Seasonal Soup"]["status"] == 0


async def test_deleted_products_are_never_shown(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    croissant = (await by_name(client, api))["Croissant"]
    await set_columns(app, "Croissant", deleted_at=datetime(2026, 1, 1))
    body = (await get(client, api, "/products", limit=100)).json()
    assert body["total"] == ALL_PRODUCTS - 1
    assert "Croissant" not in {p["name"] for p in body["data"]}
    missing = await get(client, api, f"/products/{croissant['id']}")
    assert missing.status_code == 404
    by_cid = await get(client, api, f"/products/{croissant['cid']}")
    assert by_cid.status_code == 404


# --- list: filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ((("type", ["GOODS", "DISH"]),), None),  # checked by count below
        ((("type", ["MODIFICATION"]),), VARIANTS),
        ((("type", ["TIMER"]),), TIMERS),
        ((("type", "PREPARATION"),), PREPARATIONS),
        ((("giftable", "0"),), INGREDIENTS),
        ((("discountable", "0"),), INGREDIENTS),
        ((("haveIngredients", "1"),), WITH_RECIPE),
        ((("have_ingredients", "1"),), WITH_RECIPE),
        ((("sold_by_portion", "1"),), {"Caesar Salad", "Greek Salad"}),
        ((("has_variants", "1"),), {"Coca-Cola", "Fanta"}),
        ((("has_modifiers", "1"),), DISHES_WITH_MODIFIERS),
        (
            (("has_barcode", "1"),),
            {"Mineral Water", "Orange Juice", "Apple Juice", "Chocolate Bar"},
        ),
        ((("inventory_behavior", "1"),), INGREDIENTS | GOODS | VARIANTS),
        ((("status", "0"),), {"Seasonal Soup"}),
        (
            (("type", ["DISH"]), ("has_modifiers", "1"), ("has_variants", "0")),
            DISHES_WITH_MODIFIERS,
        ),
        (
            (("type", ["GOODS"]), ("has_barcode", "1"), ("giftable", "true")),
            {"Mineral Water", "Orange Juice", "Apple Juice", "Chocolate Bar"},
        ),
    ],
)
async def test_filter_by_field(
    client: httpx.AsyncClient,
    api: Api,
    pairs: tuple[tuple[str, Any], ...],
    expected: set[str] | None,
) -> None:
    response = await get(client, api, "/products", limit=100, **filters(*pairs))
    if expected is None:
        assert response.json()["total"] == 27  # 8 GOODS + 19 DISH
        assert {p["type"] for p in response.json()["data"]} == {"GOODS", "DISH"}
    else:
        assert names(response) == expected
        assert response.json()["total"] == len(expected)


@pytest.mark.parametrize(
    ("field", "value", "count"),
    [
        ("giftable", "1", ALL_PRODUCTS - len(INGREDIENTS)),
        ("has_variants", "0", ALL_PRODUCTS - 2),
        ("haveIngredients", "0", ALL_PRODUCTS - len(WITH_RECIPE)),
        ("has_modifiers", "0", ALL_PRODUCTS - len(DISHES_WITH_MODIFIERS)),
        ("has_barcode", "0", ALL_PRODUCTS - 4),
    ],
)
async def test_flag_filters_have_a_negative_form(
    client: httpx.AsyncClient, api: Api, field: str, value: str, count: int
) -> None:
    response = await get(client, api, "/products", **filters((field, value)))
    assert response.json()["total"] == count


async def test_filter_by_ids_of_related_rows(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api, **{"with[]": "tags"})
    classic = products["Margherita"]["category_id"]
    gourmet = products["Four Cheese"]["category_id"]
    pastry = products["Tiramisu"]["station_id"]
    vegan = next(t["id"] for t in products["Veggie Burger"]["tags"] if t["name"] == "vegan")
    spicy = next(t["id"] for t in products["Pepperoni"]["tags"] if t["name"] == "spicy")
    coke = products["Coca-Cola"]["id"]

    async def matching(*pairs: tuple[str, Any]) -> set[str]:
        return names(await get(client, api, "/products", limit=100, **filters(*pairs)))

    assert await matching(("category_id", [classic])) == {"Margherita", "Pepperoni"}
    assert await matching(("category_id", [classic, gourmet])) == {
        "Margherita",
        "Pepperoni",
        "Four Cheese",
        "Truffle Mushroom",
    }
    # two tuples on one field are ANDed
    assert await matching(("category_id", [classic, gourmet]), ("category_id", [gourmet])) == {
        "Four Cheese",
        "Truffle Mushroom",
    }
    assert await matching(("station_id", [pastry])) == {"Tiramisu", "Cheesecake", "Baklava"}
    assert await matching(("tags", [vegan])) == {"Veggie Burger", "Greek Salad", "Green Tea"}
    assert await matching(("tags", [vegan, spicy])) == {
        "Veggie Burger",
        "Greek Salad",
        "Green Tea",
        "Pepperoni",
    }
    assert await matching(("parent_id", [coke])) == {
        "Coca-Cola 0.33 L",
        "Coca-Cola 0.5 L",
        "Coca-Cola 1 L",
    }
    assert await matching(("id", [coke])) == {"Coca-Cola"}
    assert await matching(("type", ["DISH"]), ("tags", [spicy]), ("has_modifiers", "1")) == {
        "Pepperoni"
    }


async def test_has_service_charge_means_not_ignoring_it(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    await set_columns(app, "Espresso", ignore_service_charge=True)
    without = await get(client, api, "/products", **filters(("has_service_charge", "0")))
    assert names(without) == {"Espresso"}
    assert without.json()["data"][0]["ignore_service_charge"] is True
    charged = await get(client, api, "/products", **filters(("has_service_charge", "1")))
    assert charged.json()["total"] == ALL_PRODUCTS - 1


@pytest.mark.parametrize(
    ("pairs", "in_message"),
    [
        ((("colour", "red"),), "colour"),
        ((("type", ["GOODS", "PIZZA"]),), "type"),
        ((("category_id", ["abc"]),), "category_id"),
        ((("category_id", ["99999999999"]),), "category_id"),
        ((("giftable", "maybe"),), "giftable"),
        ((("has_variants", ["1", "0"]),), "has_variants"),
    ],
)
async def test_bad_filters_are_invalid_parameter(
    client: httpx.AsyncClient, api: Api, pairs: tuple[tuple[str, Any], ...], in_message: str
) -> None:
    response = await get(client, api, "/products", **filters(*pairs))
    assert response.status_code == 400
    code, message = error_of(api, response)
    assert code == "invalid_parameter"
    assert in_message in message


async def test_filter_without_field_is_invalid(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/products", **{"filters[0][1]": "GOODS"})
    assert response.status_code == 400
    assert error_of(api, response) == ("invalid_parameter", "Invalid filter parameters")


async def test_url_encoded_brackets(client: httpx.AsyncClient, api: Api) -> None:
    prefix, headers = api
    url = f"{prefix}/products?filters%5B0%5D%5B0%5D=type&filters%5B0%5D%5B1%5D%5B0%5D=TIMER"
    assert names(await client.get(url, headers=headers)) == TIMERS


async def test_old_client_json_object_query(client: httpx.AsyncClient, api: Api) -> None:
    """The exact bytes integrify-clopos 0.1.0 sends (existing-python-client.md §4)."""
    prefix, headers = api
    raw = (
        "%7B%22page%22%3A+1%2C+%22limit%22%3A+20%2C+%22selects%5B%5D%22%3A+%22id%2Cname%2Cprice"
        "%22%2C+%22filters%22%3A+%7B%22type%22%3A+%5B%22type%22%2C+%5B%22GOODS%22%2C+%22DISH"
        "%22%5D%5D%7D%7D="
    )
    response = await client.get(f"{prefix}/products?{raw}", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 27
    assert len(body["data"]) == 20
    assert all(set(p) == {"id", "name", "type", "price"} for p in body["data"])
    assert {p["type"] for p in body["data"]} <= {"GOODS", "DISH"}

    empty = await client.get(f"{prefix}/products?%7B%7D=", headers=headers)
    assert empty.status_code == 200, empty.text
    assert empty.json()["total"] == ALL_PRODUCTS
    assert len(empty.json()["data"]) == ALL_PRODUCTS


# --- list: selects ------------------------------------------------------------------------


async def test_selects_return_only_those_fields_plus_id_name_type(
    client: httpx.AsyncClient, api: Api
) -> None:
    body = (await get(client, api, "/products", selects="id,name,price")).json()
    assert body["total"] == ALL_PRODUCTS
    assert all(list(p) == ["id", "type", "name", "price"] for p in body["data"])

    only_price = (await get(client, api, "/products", selects="price,cost_price")).json()
    assert set(only_price["data"][0]) == {"id", "name", "type", "price", "cost_price"}

    with_taxes = await get(client, api, "/products", selects="price", **{"with[]": "taxes"})
    assert set(with_taxes.json()["data"][0]) == {"id", "name", "type", "price", "taxes"}


async def test_unknown_select_field_is_invalid(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/products", selects="id,prize")
    assert response.status_code == 400
    code, message = error_of(api, response)
    assert code == "invalid_parameter" and "prize" in message


# --- relations ----------------------------------------------------------------------------


async def test_without_with_no_relation_keys(client: httpx.AsyncClient, api: Api) -> None:
    product = (await by_name(client, api, **{"with[]": "bogus"}))["Margherita"]
    assert set(product) == set(BASE_FIELDS)


async def test_recipe_of_a_pizza(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api, **{"with[]": "recipe"})
    recipe = products["Margherita"]["recipe"]
    assert [line["name"] for line in recipe] == ["Pizza Dough", "Tomato Sauce", "Mozzarella"]
    dough, _sauce, cheese = recipe
    assert dough["type"] == "PREPARATION" and cheese["type"] == "INGREDIENT"
    assert dough["id"] == dough["ingredient_id"] == products["Pizza Dough"]["id"]
    assert cheese["cost_price"] == 9.8
    assert dough["pivot"]["gross"] == "0.250"  # a string, as in the docs
    assert dough["net"] == 0.25
    assert set(dough) >= {"id", "type", "name", "cost_price", "ingredient_id", "net", "pivot"}
    assert products["Caesar Salad"]["recipe"] == []


async def test_modifications_are_the_variants(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api, **{"with[0]": "modifications"})
    coke = products["Coca-Cola"]
    variants = coke["modifications"]
    assert [v["name"] for v in variants] == ["Coca-Cola 0.33 L", "Coca-Cola 0.5 L", "Coca-Cola 1 L"]
    assert all(v["type"] == "MODIFICATION" and v["parent_id"] == coke["id"] for v in variants)
    assert [v["price"] for v in variants] == [1.8, 2.4, 3.6]
    assert [v["cost_price"] for v in variants] == [0.6, 0.8, 1.2]
    assert variants[1]["full_name"] == "Coca-Cola 0.5 L"
    assert variants[1]["parent_name"] == "Coca-Cola"
    assert variants[1]["status"] == 1
    assert variants[1]["id"] == products["Coca-Cola 0.5 L"]["id"]
    # a variant carries the full product schema (spec §10.2)
    assert set(variants[0]) == set(BASE_FIELDS)
    assert products["Margherita"]["modifications"] == []


async def test_modification_codes(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api, **{"with[]": "modifications.codes"})
    assert all(v["codes"] == [] for v in products["Fanta"]["modifications"])
    assert "codes" not in products["Fanta"]


async def test_modificator_groups_of_a_pizza(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api, **{"with[]": "modificator_groups"})
    groups = products["Pepperoni"]["modificator_groups"]
    assert [g["name"] for g in groups] == ["Pizza size", "Extra toppings", "Spice Level"]
    size, extras, _spice = groups
    assert (size["type"], size["min_select"], size["max_select"]) == (1, 1, 1)
    assert size["adjust_to_portion"] is False and size["status"] == 1
    assert PLAIN_TIME.match(size["created_at"])
    assert [m["name"] for m in size["modificators"]] == ["Small 25 cm", "Large 35 cm"]
    assert [m["price"] for m in size["modificators"]] == [0, 4.0]
    assert size["modifiers"] == size["modificators"]  # the existing client reads `modifiers`
    cheese = extras["modificators"][0]
    assert cheese["name"] == "Extra cheese" and cheese["max_count"] == 2
    assert cheese["status"] is True
    assert cheese["ingredient"]["name"] == "Mozzarella"
    assert extras["modificators"][2]["ingredient"] is None
    assert products["Espresso"]["modificator_groups"] == []


async def test_taxes_tags_unit_packages(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(
        client,
        api,
        **{"with[0]": "taxes", "with[1]": "tags", "with[2]": "unit", "with[3]": "packages"},
    )
    assert [(t["name"], t["rate"]) for t in products["Margherita"]["taxes"]] == [("VAT 18%", 18)]
    assert set(products["Margherita"]["taxes"][0]) >= {"id", "name", "rate"}
    assert [t["name"] for t in products["PlayStation 5"]["taxes"]] == ["City tax 2%"]
    assert products["Milk"]["taxes"] == []
    assert [t["name"] for t in products["Pepperoni"]["tags"]] == ["spicy"]
    assert products["Milk"]["unit"]["name"] == "Litre"
    assert products["Milk"]["unit"]["short_name"] == "l"
    assert products["Milk"]["unit"]["id"] == products["Milk"]["unit_id"]
    assert [(p["name"], p["equal"]) for p in products["Milk"]["packages"]] == [
        ("Carton 1 l", 1),
        ("Crate 12 l", 12),
    ]
    assert products["Margherita"]["packages"] == []


async def test_category_station_codes_and_setting(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(
        client,
        api,
        "/products",
        limit=100,
        **{"with[]": ["category", "station", "codes", "setting", "media"]},
    )
    products = {p["name"]: p for p in response.json()["data"]}
    category = products["Margherita"]["category"]
    assert (
        category["name"] == "Classic Pizza"
        and category["id"] == products["Margherita"]["category_id"]
    )
    assert {"_lft", "_rgt", "depth", "parent_id"} <= set(category)
    assert products["Tiramisu"]["station"]["name"] == "Pastry screen"
    assert products["Tiramisu"]["station"]["printable"] == 0
    assert products["Pizza Dough"]["station"] is None
    assert products["Mineral Water"]["codes"] == [
        {"product_id": products["Mineral Water"]["id"], "code": "4760001000012"}
    ]
    assert products["Margherita"]["codes"] == []
    timer = products["PlayStation 5"]["setting"]
    assert timer["interval"] == 60
    assert timer["prices"] == [{"price": 6.0, "from": 0}, {"price": 5.0, "from": 60}]
    assert '"prices":[{"price":6.00,"from":0},{"price":5.00,"from":60}]' in response.text


async def test_relations_cost_one_query_each_whatever_the_page_size(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    products = await by_name(client, api)
    # a page of two that still needs every kind of query: a variant (parent name) and a
    # dish whose modifier choices use ingredients
    pair = filters(("id", [products["Pepperoni"]["id"], products["Fanta 0.5 L"]["id"]]))
    counted: list[str] = []

    def count(*args: Any) -> None:
        counted.append(str(args[2]))

    engine = app.state.clopos.engine.sync_engine
    relations = [
        "category",
        "station",
        "unit",
        "taxes",
        "tags",
        "modifications",
        "modificator_groups",
        "recipe",
        "packages",
    ]
    event.listen(engine, "before_cursor_execute", count)
    try:
        await get(client, api, "/products", **pair, **{"with[]": relations})
        small = len(counted)
        counted.clear()
        await get(client, api, "/products", limit=100, **{"with[]": relations})
        large = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert small == large


# --- get by id ----------------------------------------------------------------------------


async def test_get_by_id_and_by_cid(client: httpx.AsyncClient, api: Api) -> None:
    listed = (await by_name(client, api))["Four Cheese"]
    by_id = await get(client, api, f"/products/{listed['id']}")
    assert by_id.status_code == 200, by_id.text
    body = by_id.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    assert body["data"] == listed
    by_cid = await get(client, api, f"/products/{listed['cid']}")
    assert by_cid.json()["data"] == listed


async def test_get_by_id_with_repeated_with(client: httpx.AsyncClient, api: Api) -> None:
    """``with[]=taxes&with[]=modifications`` as the existing client sends it."""
    prefix, headers = api
    coke_id = (await by_name(client, api))["Coca-Cola"]["id"]
    response = await client.get(
        f"{prefix}/products/{coke_id}?with[]=taxes&with[]=modifications", headers=headers
    )
    data = response.json()["data"]
    assert [t["name"] for t in data["taxes"]] == ["VAT 18%"]
    assert len(data["modifications"]) == 3
    assert data["has_modifications"] is True
    assert "recipe" not in data

    pizza_id = (await by_name(client, api))["Margherita"]["id"]
    encoded = await client.get(f"{prefix}/products/{pizza_id}?with%5B0%5D=recipe", headers=headers)
    assert [r["name"] for r in encoded.json()["data"]["recipe"]] == [
        "Pizza Dough",
        "Tomato Sauce",
        "Mozzarella",
    ]


async def test_get_variant_by_id(client: httpx.AsyncClient, api: Api) -> None:
    products = await by_name(client, api)
    variant = (await get(client, api, f"/products/{products['Fanta 0.5 L']['id']}")).json()
    assert variant["data"]["parent_id"] == products["Fanta"]["id"]
    assert variant["data"]["parent_name"] == "Fanta"


@pytest.mark.parametrize(
    "ref",
    [
        "999999",
        "99999999999999999999",
        "abc",
        "abc%00",
        "%C2%B2",
        "00000000-0000-0000-0000-000000000000",
    ],
)
async def test_unknown_product_is_404(client: httpx.AsyncClient, api: Api, ref: str) -> None:
    response = await get(client, api, f"/products/{ref}")
    assert response.status_code == 404
    assert error_of(api, response) == ("resource_not_found", "Product not found")


async def test_v2_404_body_is_the_documented_one(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    response = await client.get("/open-api/v2/products/999999", headers=v2)
    assert response.json() == {
        "success": False,
        "error": "resource_not_found",
        "message": "Product not found",
    }


async def test_v1_404_body_is_list_shaped(client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    response = await client.get("/open-api/products/999999", headers=v1)
    body = response.json()
    assert body["success"] is False
    assert body["error"][0]["http_code"] == 404
    assert body["error"][0]["message"] == "Product not found"


# --- tenancy ------------------------------------------------------------------------------


async def test_brands_never_see_each_others_products(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    mine = (await client.get("/open-api/v2/products?limit=100", headers=v2)).json()["data"]
    theirs = (await client.get("/open-api/v2/products?limit=100", headers=other_v2)).json()
    assert theirs["total"] == ALL_PRODUCTS
    assert {p["id"] for p in mine}.isdisjoint({p["id"] for p in theirs["data"]})
    foreign = next(p for p in theirs["data"] if p["name"] == "Margherita")
    for ref in (foreign["id"], foreign["cid"]):
        response = await client.get(f"/open-api/v2/products/{ref}", headers=v2)
        assert response.status_code == 404
    own = await client.get(f"/open-api/v2/products/{foreign['id']}", headers=other_v2)
    assert own.status_code == 200
    filtered = await client.get(
        "/open-api/v2/products", headers=v2, params=filters(("id", [foreign["id"]]))
    )
    assert filtered.json() == {**filtered.json(), "total": 0, "data": []}


# --- documentation ------------------------------------------------------------------------


async def test_openapi_documents_bracket_parameters(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for prefix in ("/open-api", "/open-api/v2"):
        listed = {p["name"] for p in spec["paths"][f"{prefix}/products"]["get"]["parameters"]}
        assert {"page", "limit", "with[]", "filters[0][0]", "selects", "sort[0]"} <= listed
        one = {
            p["name"]
            for p in spec["paths"][f"{prefix}/products/{{product_id}}"]["get"]["parameters"]
        }
        assert "with[]" in one
        assert f"{prefix}/products/stop-list" in spec["paths"]
