"""The published ``integrify-clopos`` 0.1.0 client works against our v2 server unchanged.

Every read method of the client (plus ``create_customer``) is called exactly as an
integrator would call it, over TCP, and its response must parse into the client's own
pydantic models (existing-python-client.md §4, §5.1, §8). The client is used as shipped:
its odd query encodings (the JSON-object key on ``products``, ``filter[i][1]`` on
``customers``, repeated ``with[]``) are what the server must tolerate. Orders and receipts
are covered elsewhere.

The assertions use real values of the demo brand (``clopos.server.demo``) so a server that
answers the right shape with the wrong rows still fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from integrify.clopos.client import CloposClientClass
from integrify.clopos.schemas.auth.response import AuthResponse
from integrify.clopos.schemas.categories.object import Category
from integrify.clopos.schemas.common.response import ObjectListResponse, ObjectResponse
from integrify.clopos.schemas.customers.object import Customer, Group
from integrify.clopos.schemas.enums import CategoryType, Gender, ProductType
from integrify.clopos.schemas.price_lists.object import PriceList, PriceListPrice
from integrify.clopos.schemas.products.object import Product, StopList
from integrify.clopos.schemas.sales.object import PaymentMethod, SaleType
from integrify.clopos.schemas.stations.object import Station
from integrify.clopos.schemas.users.object import User
from integrify.clopos.schemas.venues.object import Venue
from pydantic import BaseModel, ValidationError

from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR

# ---------------------------------------------------------------------------------------------
# fixtures and helpers

M = TypeVar("M", bound=BaseModel)


@pytest.fixture(scope="module")
def clopos(live_server: str) -> Iterator[Any]:
    """The package's own client class, pointed at our server (spec §3: trailing slash)."""
    client = CloposClientClass(base_url=f"{live_server}/open-api/v2/")
    yield client
    client.close()


@pytest.fixture(scope="module")
def headers(clopos: Any) -> dict[str, str]:
    """What every authenticated call of the package needs: ``headers={"x-token": …}``."""
    resp = clopos.auth(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        brand=DEMO_BRAND,
        integrator_id=DEMO_INTEGRATOR,
    )
    assert resp.ok, resp.body
    assert isinstance(resp.body, AuthResponse)
    return {"x-token": resp.body.token}


def listed(resp: Any, model: type[M]) -> list[M]:
    """The parsed ``data`` of a list answer, after checking it parsed as the package expects."""
    assert resp.ok, f"HTTP {resp.status_code}: {resp.body!r}"
    assert isinstance(resp.body, ObjectListResponse), resp.body
    # time/timestamp/unix are required by the package's envelope model (§5).
    assert isinstance(resp.body.time, int)
    assert isinstance(resp.body.unix, int)
    items: list[M] = list(resp.body.data)
    assert all(isinstance(item, model) for item in items)
    return items


def single(resp: Any, model: type[M]) -> M:
    """The parsed ``data`` of a single-object answer."""
    assert resp.ok, f"HTTP {resp.status_code}: {resp.body!r}"
    assert isinstance(resp.body, ObjectResponse), resp.body
    data = resp.body.data
    assert isinstance(data, model)
    return data


def by_name(items: list[M]) -> dict[str, M]:
    return {item.name: item for item in items}  # type: ignore[attr-defined]


def by_name_username(users: list[User]) -> dict[str, User]:
    return {u.username: u for u in users}


@pytest.fixture(scope="module")
def products(clopos: Any, headers: dict[str, str]) -> dict[str, Product]:
    """Every listed product by name (one page of 100 holds the whole demo catalog)."""
    return by_name(listed(clopos.get_products(page=1, limit=100, headers=headers), Product))


@pytest.fixture(scope="module")
def categories(clopos: Any, headers: dict[str, str]) -> dict[str, Category]:
    """Every category (inactive included) by name, flattened from the nested answer."""
    found: dict[str, Category] = {}

    def walk(items: list[Category]) -> None:
        for item in items:
            found[item.name] = item
            walk(list(item.children or []))

    walk(
        listed(
            clopos.get_categories(page=1, limit=999, include_inactive=True, headers=headers),
            Category,
        )
    )
    return found


# ---------------------------------------------------------------------------------------------
# auth and venues


def test_auth_returns_token_model(clopos: Any) -> None:
    resp = clopos.auth(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        brand=DEMO_BRAND,
        integrator_id=DEMO_INTEGRATOR,
    )
    assert resp.ok
    assert isinstance(resp.body, AuthResponse)
    assert resp.body.token.count(".") == 2  # a JWT
    assert resp.body.token_type == "Bearer"
    assert resp.body.expires_in == 3600
    assert isinstance(resp.body.expires_at, int)


def test_get_venues(clopos: Any, headers: dict[str, str]) -> None:
    venues = listed(clopos.get_venues(headers=headers), Venue)
    assert [v.name for v in venues] == ["Main", "Airport"]
    assert venues[0].address == "28 May St 12, Baku"
    assert venues[0].media == []


async def test_async_client(live_server: str, headers: dict[str, str]) -> None:
    """The package's async flavour (untested upstream, §2.6) works the same way."""
    aclient: Any = CloposClientClass(base_url=f"{live_server}/open-api/v2/", sync=False)
    try:
        venues = listed(await aclient.get_venues(headers=headers), Venue)
        assert [v.name for v in venues] == ["Main", "Airport"]
    finally:
        await aclient.aclose()


def test_get_venues_paginated(clopos: Any, headers: dict[str, str]) -> None:
    resp = clopos.get_venues(page=2, limit=1, headers=headers)
    assert [v.name for v in listed(resp, Venue)] == ["Airport"]
    assert resp.body.total == 2


# ---------------------------------------------------------------------------------------------
# users, customers, customer groups


def test_get_users(clopos: Any, headers: dict[str, str]) -> None:
    users = by_name_username(listed(clopos.get_users(page=1, limit=50, headers=headers), User))
    assert set(users) == {"Owner", "Cashier 1", "Cashier 2", "Waiter", "Courier", "Former Staff"}
    assert users["Owner"].pin == "1111"
    assert users["Owner"].owner == 1
    assert users["Cashier 1"].salary == 900
    assert users["Former Staff"].status is False
    assert users["Former Staff"].hide == 1


def test_get_users_second_page(clopos: Any, headers: dict[str, str]) -> None:
    resp = clopos.get_users(page=2, limit=4, headers=headers)
    assert len(listed(resp, User)) == 2
    assert resp.body.total == 6


def test_get_user_by_id(clopos: Any, headers: dict[str, str]) -> None:
    owner = by_name_username(listed(clopos.get_users(headers=headers), User))["Owner"]
    user = single(clopos.get_user_by_id(owner.id, headers=headers), User)
    assert user.id == owner.id
    assert user.username == "Owner"
    assert user.email == "owner@example.com"
    assert user.first_name == "Aysel"


def test_get_customers(clopos: Any, headers: dict[str, str]) -> None:
    # The package never sends page/limit here (§4); the default page holds all 22.
    customers = listed(clopos.get_customers(headers=headers), Customer)
    names = {c.name for c in customers}
    assert {"Rahid Akhundzada", "John Smith", "Maria Garcia"} <= names
    john = next(c for c in customers if c.name == "John Smith")
    assert john.cid  # a non-empty UUID string
    assert john.phone is not None and john.phone.startswith("+99450")


def test_get_customers_with_group_and_balance(clopos: Any, headers: dict[str, str]) -> None:
    resp = clopos.get_customers(with_=["group", "balance", "cashback_balance"], headers=headers)
    customers = listed(resp, Customer)
    rahid = next(c for c in customers if c.name == "Rahid Akhundzada")
    assert rahid.group is not None
    assert rahid.group.name == "VIP"  # customer 0 is in VIP (demo: i % 7 == 0)
    assert rahid.group_id == rahid.group.id
    assert rahid.balance is not None
    assert rahid.balance.id == rahid.balance_id
    assert rahid.balance.amount == Decimal("0.00")
    assert rahid.cashback_balance is not None
    assert rahid.cashback_balance.amount == Decimal("0.50")


def test_get_customers_filtered_by_name(clopos: Any, headers: dict[str, str]) -> None:
    # Sent as filters[0][0]=name&filter[0][1]=John (the package's spelling, §4).
    resp = clopos.get_customers(filters=[{"by": "name", "value": "John"}], headers=headers)
    assert [c.name for c in listed(resp, Customer)] == ["John Smith"]


def test_get_customers_filtered_by_phone_and_group(clopos: Any, headers: dict[str, str]) -> None:
    everyone = listed(clopos.get_customers(headers=headers), Customer)
    maria = next(c for c in everyone if c.name == "Maria Garcia")
    assert maria.phone is not None
    resp = clopos.get_customers(filters=[{"by": "phones", "value": maria.phone}], headers=headers)
    assert [c.name for c in listed(resp, Customer)] == ["Maria Garcia"]

    resp = clopos.get_customers(
        filters=[{"by": "group_id", "value": str(maria.group_id)}], headers=headers
    )
    same_group = listed(resp, Customer)
    assert "Maria Garcia" in {c.name for c in same_group}
    assert {c.group_id for c in same_group} == {maria.group_id}


def test_get_customer_by_id(clopos: Any, headers: dict[str, str]) -> None:
    john = next(
        c for c in listed(clopos.get_customers(headers=headers), Customer) if c.name == "John Smith"
    )
    customer = single(clopos.get_customer_by_id(john.id, headers=headers), Customer)
    assert customer.id == john.id
    assert customer.cid == john.cid
    assert customer.name == "John Smith"


def test_create_customer(clopos: Any, headers: dict[str, str]) -> None:
    groups = {g.name: g for g in listed(clopos.get_customer_groups(headers=headers), Group)}
    resp = clopos.create_customer(
        name="Integrify Compat",
        email="compat@example.com",
        phone="+994507770001",
        code="COMPAT-1",
        description="created by integrify-clopos 0.1.0",
        group_id=groups["VIP"].id,
        gender=Gender.FEMALE,
        date_of_birth=date(1990, 5, 15),
        headers=headers,
    )
    created = single(resp, Customer)
    assert created.name == "Integrify Compat"
    assert created.phone == "+994507770001"
    assert created.code == "COMPAT-1"
    assert created.group_id == groups["VIP"].id
    assert created.gender == 2
    assert created.date_of_birth == "1990-05-15"
    assert created.cid  # generated by the server when not sent
    assert created.balance_id > 0  # a balance account is opened (spec §9.6)

    again = single(clopos.get_customer_by_id(created.id, headers=headers), Customer)
    assert again.cid == created.cid
    assert again.email == "compat@example.com"


def test_get_customer_groups(clopos: Any, headers: dict[str, str]) -> None:
    groups = listed(clopos.get_customer_groups(page=1, limit=50, headers=headers), Group)
    assert [g.name for g in groups] == ["My Customers", "VIP", "Staff"]
    assert [g.discount_value for g in groups] == [0, 10, 25]


# ---------------------------------------------------------------------------------------------
# categories and stations


def test_get_categories_product_tree(clopos: Any, headers: dict[str, str]) -> None:
    resp = clopos.get_categories(type=CategoryType.PRODUCT, include_children=True, headers=headers)
    roots = by_name(listed(resp, Category))
    assert all(c.type == CategoryType.PRODUCT for c in roots.values())
    food = roots["Food"]
    assert food.depth == 0
    assert food.parent_id is None
    assert (food.lft, food.rgt) == (1, 16)  # Food and its 7 descendants
    assert {"Pizza", "Burgers", "Salads", "Desserts"} <= {c.name for c in food.children or []}
    # Inactive categories stay hidden unless asked for (spec §10.4).
    assert "Archived Specials" not in {c.name for c in food.children or []}


def test_get_categories_by_parent(
    clopos: Any, headers: dict[str, str], categories: dict[str, Category]
) -> None:
    hot = categories["Hot Drinks"]
    resp = clopos.get_categories(
        page=1,
        limit=50,
        parent_id=hot.id,
        include_children=False,
        include_inactive=False,
        headers=headers,
    )
    assert sorted(c.name for c in listed(resp, Category)) == ["Coffee", "Tea"]


def test_get_categories_include_inactive(
    clopos: Any, headers: dict[str, str], categories: dict[str, Category]
) -> None:
    assert categories["Archived Specials"].status == 0
    resp = clopos.get_categories(
        parent_id=categories["Food"].id, include_inactive=True, headers=headers
    )
    assert "Archived Specials" in {c.name for c in listed(resp, Category)}


def test_get_category_by_id(
    clopos: Any, headers: dict[str, str], categories: dict[str, Category]
) -> None:
    drinks = categories["Drinks"]
    category = single(
        clopos.get_category_by_id(drinks.id, include_children=True, headers=headers), Category
    )
    assert category.name == "Drinks"
    assert category.type == CategoryType.PRODUCT
    assert category.color == "1e88e5"
    assert {c.name for c in category.children or []} == {"Hot Drinks", "Cold Drinks"}


def test_get_stations(clopos: Any, headers: dict[str, str]) -> None:
    stations = listed(clopos.get_stations(headers=headers), Station)
    assert [s.name for s in stations] == ["Kitchen", "Bar", "Pastry screen"]
    assert [s.printable for s in stations] == [1, 1, 0]


def test_get_stations_filtered(clopos: Any, headers: dict[str, str]) -> None:
    resp = clopos.get_stations(status=1, can_print=True, headers=headers)
    assert [s.name for s in listed(resp, Station)] == ["Kitchen", "Bar"]


def test_get_station_by_id(clopos: Any, headers: dict[str, str]) -> None:
    kitchen = by_name(listed(clopos.get_stations(headers=headers), Station))["Kitchen"]
    station = single(clopos.get_station_by_id(kitchen.id, headers=headers), Station)
    assert station.name == "Kitchen"
    assert station.type == 1
    assert station.description == "Hot line"


# ---------------------------------------------------------------------------------------------
# products and the stop list


def test_get_products_without_arguments(clopos: Any, headers: dict[str, str]) -> None:
    # The package sends the literal query ``{}=`` here (§4).
    items = by_name(listed(clopos.get_products(headers=headers), Product))
    assert items["Margherita"].price == Decimal("8.50")
    assert items["Margherita"].type == ProductType.DISH


def test_get_products_selects_and_type_filter(clopos: Any, headers: dict[str, str]) -> None:
    # One JSON-object query key: {"page","limit","selects[]","filters":{"type":["type",[…]]}}.
    resp = clopos.get_products(
        page=1,
        limit=20,
        selects=["id", "name", "price"],
        filters={"type": [ProductType.GOODS]},
        headers=headers,
    )
    goods = by_name(listed(resp, Product))
    assert set(goods) == {
        "Coca-Cola",
        "Fanta",
        "Mineral Water",
        "Orange Juice",
        "Apple Juice",
        "Pomegranate Juice",
        "Croissant",
        "Chocolate Bar",
    }
    assert resp.body.total == 8
    assert goods["Mineral Water"].price == Decimal("1.20")
    assert goods["Mineral Water"].type == ProductType.GOODS  # id, name, type always returned
    # Fields outside selects are not sent at all (Mineral Water does have a barcode).
    assert "barcode" not in goods["Mineral Water"].model_fields_set


def test_get_products_category_and_boolean_filters(
    clopos: Any, headers: dict[str, str], categories: dict[str, Category]
) -> None:
    resp = clopos.get_products(
        filters={"type": [ProductType.DISH], "category_id": [categories["Coffee"].id]},
        headers=headers,
    )
    assert sorted(p.name for p in listed(resp, Product)) == [
        "Cappuccino",
        "Espresso",
        "Flat White",
        "Latte",
    ]
    # Booleans go through the package's BoolInt: True is sent as 1.
    resp = clopos.get_products(filters={"has_variants": True}, headers=headers)
    assert sorted(p.name for p in listed(resp, Product)) == ["Coca-Cola", "Fanta"]


def test_get_product_by_id_dish(
    clopos: Any, headers: dict[str, str], products: dict[str, Product]
) -> None:
    resp = clopos.get_product_by_id(
        products["Margherita"].id,
        with_=["taxes", "modificator_groups", "recipe", "tags"],
        headers=headers,
    )
    dish = single(resp, Product)
    assert dish.name == "Margherita"
    assert dish.price == Decimal("8.50")
    assert dish.cost_price == Decimal("2.10")
    assert [(t.name, t.rate) for t in dish.taxes or []] == [("VAT 18%", Decimal("18"))]
    groups = dish.modificator_groups or []
    assert [g.name for g in groups] == ["Pizza size", "Extra toppings"]
    size = groups[0]
    assert (size.min_select, size.max_select) == (1, 1)
    assert [(m.name, m.price) for m in size.modifiers or []] == [
        ("Small 25 cm", Decimal("0")),
        ("Large 35 cm", Decimal("4.00")),
    ]
    assert {r.name for r in dish.recipe or []} == {"Pizza Dough", "Tomato Sauce", "Mozzarella"}
    assert [t["name"] for t in dish.tags or []] == ["bestseller"]


def test_get_product_by_id_goods_with_variants(
    clopos: Any, headers: dict[str, str], products: dict[str, Product]
) -> None:
    resp = clopos.get_product_by_id(
        products["Coca-Cola"].id, with_=["modifications", "taxes"], headers=headers
    )
    cola = single(resp, Product)
    assert cola.type == ProductType.GOODS
    variants = cola.modifications or []
    assert [v.price for v in variants] == [Decimal("1.80"), Decimal("2.40"), Decimal("3.60")]
    assert all(v.parent_id == cola.id for v in variants)
    assert all(v.type == ProductType.MODIFICATION for v in variants)


def test_get_product_by_id_timer_and_ingredient(
    clopos: Any, headers: dict[str, str], products: dict[str, Product]
) -> None:
    timer = single(
        clopos.get_product_by_id(products["PlayStation 5"].id, with_=["setting"], headers=headers),
        Product,
    )
    assert timer.type == ProductType.TIMER
    assert timer.setting is not None
    assert timer.setting.interval == 60
    assert [(p.price, p.from_) for p in timer.setting.prices] == [
        (Decimal("6.00"), 0),
        (Decimal("5.00"), 60),
    ]

    cheese = single(
        clopos.get_product_by_id(products["Mozzarella"].id, with_=["packages"], headers=headers),
        Product,
    )
    assert cheese.type == ProductType.INGREDIENT
    assert [(p.name, p.equal) for p in cheese.packages or []] == [("Block 2 kg", 2)]


def _stop_list_names(products: dict[str, Product], entries: list[StopList]) -> dict[str, int]:
    names = {p.id: name for name, p in products.items()}
    return {names.get(e.id, f"#{e.id}"): e.limit for e in entries}


def test_get_stop_list(clopos: Any, headers: dict[str, str], products: dict[str, Product]) -> None:
    entries = listed(clopos.get_stop_list(headers=headers), StopList)
    # The token's default venue is Main (venue 1); Tiramisu is stopped only at Airport.
    limits = _stop_list_names(products, entries)
    assert limits["Truffle Mushroom"] == 0
    assert limits["Cheesecake"] == 3
    assert len(entries) == 3
    assert "Tiramisu" not in limits
    assert all(e.timestamp > 10**12 for e in entries)  # Unix milliseconds (spec §10.3)


def test_get_stop_list_filtered(
    clopos: Any, headers: dict[str, str], products: dict[str, Product]
) -> None:
    # filters[0][0]=limit&filters[0][1][0]=1 — at least one portion left.
    resp = clopos.get_stop_list(filters=[{"by": "limit", "from_": 1}], headers=headers)
    entries = listed(resp, StopList)
    assert sorted(e.limit for e in entries) == [3, 12]

    resp = clopos.get_stop_list(filters=[{"by": "limit", "from_": 1, "to": 5}], headers=headers)
    assert _stop_list_names(products, listed(resp, StopList)) == {"Cheesecake": 3}

    # by id: the two ids read as a range by the package, as a list by the docs — both agree here.
    truffle, cheesecake = products["Truffle Mushroom"].id, products["Cheesecake"].id
    resp = clopos.get_stop_list(
        filters=[{"by": "id", "from_": truffle, "to": cheesecake}], headers=headers
    )
    assert _stop_list_names(products, listed(resp, StopList)) == {
        "Truffle Mushroom": 0,
        "Cheesecake": 3,
    }


# ---------------------------------------------------------------------------------------------
# sale types, payment methods, price lists


def test_get_sale_types(clopos: Any, headers: dict[str, str]) -> None:
    sale_types = by_name(listed(clopos.get_sale_types(page=1, limit=20, headers=headers), SaleType))
    assert list(sale_types) == ["Dine-in", "Takeaway", "Delivery"]
    assert sale_types["Dine-in"].system_type == "IN"
    assert sale_types["Dine-in"].service_charge_rate == Decimal("10")
    assert sale_types["Delivery"].status == {"1": 1, "2": 0}  # the venue map (spec §10.10)


def test_get_payment_methods(clopos: Any, headers: dict[str, str]) -> None:
    methods = by_name(listed(clopos.get_payment_methods(headers=headers), PaymentMethod))
    assert list(methods) == ["Cash", "Card", "Customer Balance"]
    assert methods["Customer Balance"].customer_required == 1
    assert methods["Cash"].is_system == 1
    assert methods["Cash"].status == {"1": 1, "2": 1}


def test_get_price_lists(clopos: Any, headers: dict[str, str]) -> None:
    lists = listed(clopos.get_price_lists(page=1, limit=50, headers=headers), PriceList)
    assert [p.name for p in lists] == ["Standard Prices", "Delivery Prices"]
    assert all(p.status is True for p in lists)


def test_get_price_list_prices(
    clopos: Any, headers: dict[str, str], products: dict[str, Product]
) -> None:
    lists = by_name(listed(clopos.get_price_lists(headers=headers), PriceList))
    resp = clopos.get_price_list_prices(page=1, limit=999, headers=headers)
    prices = listed(resp, PriceListPrice)
    margherita = products["Margherita"].id
    by_list = {p.list_id: p.price for p in prices if p.product_id == margherita}
    assert by_list == {
        lists["Standard Prices"].id: Decimal("8.50"),
        lists["Delivery Prices"].id: Decimal("9.78"),  # 8.50 × 1.15, two places
    }


# ---------------------------------------------------------------------------------------------
# errors


def test_v2_errors_are_not_parseable_by_the_package(clopos: Any, headers: dict[str, str]) -> None:
    """Known limit: v2 errors carry the documented string code (``"error":
    "resource_not_found"``), which integrify 0.1.0 only accepts as a list, so the
    package raises ``pydantic.ValidationError`` instead of returning ``resp.ok is False``
    (existing-python-client.md §5, §10). Success paths are unaffected."""
    with pytest.raises(ValidationError, match="error"):
        clopos.get_user_by_id(987654321, headers=headers)
