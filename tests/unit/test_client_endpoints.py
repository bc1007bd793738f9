"""Request builders of the SDK (``clopos.client._endpoints``): exact method, path, query
and body for every method on both versions, the friendly filter forms, the old client's
wire bugs not reproduced (existing-python-client.md §7.4–7.5), and a round trip through
the server's own query parser proving it reads what the builders send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from clopos.client import _endpoints as ep
from clopos.client._endpoints import RequestSpec
from clopos.client._errors import RequestValidationError
from clopos.server.domain.products import parse_stop_list_filters
from clopos.server.domain.query import (
    Filter,
    LimitRule,
    ListQuery,
    Sort,
    parse_brackets,
    parse_list_query,
)

PAY = [{"id": 1, "name": "Cash", "amount": Decimal("10.50")}]


def wire(spec: RequestSpec) -> ListQuery:
    """Encode the params as httpx would put them on the URL and parse them as the server does."""
    query = urlencode(spec.params)
    items = parse_qsl(query, keep_blank_values=True)
    return parse_list_query(
        items,
        limit_rule=LimitRule(50, 999),
        sortable=("created_at", "total", "name", "id"),
    )


# ------------------------------------------------------------------ simple GETs


@pytest.mark.parametrize(
    ("builder", "path"),
    [
        (ep.get_venues, "venues"),
        (ep.get_users, "users"),
        (ep.get_customer_groups, "customer-groups"),
        (ep.get_sale_types, "sale-types"),
        (ep.get_payment_methods, "payment-methods"),
        (ep.get_price_list_prices, "price-lists/prices"),
        (ep.get_price_lists, "price-lists"),
        (ep.get_customers, "customers"),
        (ep.get_products, "products"),
        (ep.get_orders, "orders"),
        (ep.get_receipts, "receipts"),
        (ep.get_categories, "categories"),
        (ep.get_stations, "stations"),
    ],
)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_list_paging(builder: Any, path: str, version: Any) -> None:
    assert builder(version=version) == RequestSpec("GET", path)
    spec = builder(page=2, limit=10, version=version)
    assert (spec.method, spec.path, spec.params, spec.json) == (
        "GET",
        path,
        (("page", "2"), ("limit", "10")),
        None,
    )
    assert spec.auth and not spec.creates


@pytest.mark.parametrize(
    ("builder", "path"),
    [
        (ep.get_user_by_id, "users/7"),
        (ep.get_customer_by_id, "customers/7"),
        (ep.get_category_by_id, "categories/7"),
        (ep.get_station_by_id, "stations/7"),
        (ep.get_product_by_id, "products/7"),
        (ep.get_order_by_id, "orders/7"),
        (ep.get_receipt_by_id, "receipts/7"),
    ],
)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_by_id_sends_no_query(builder: Any, path: str, version: Any) -> None:
    assert builder(id=7, version=version) == RequestSpec("GET", path)


@pytest.mark.parametrize("bad", [0, -3, True, None, 1.5, ""])
def test_bad_id_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match="id"):
        ep.get_user_by_id(id=bad)


@pytest.mark.parametrize(("kwargs", "name"), [({"limit": 0}, "limit"), ({"page": 0}, "page")])
def test_paging_below_one_is_refused(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.get_venues(**kwargs)


def test_product_by_uuid_is_quoted() -> None:
    assert ep.get_product_by_id(id="a b/c").path == "products/a%20b%2Fc"


# ------------------------------------------------------------------ auth


def test_auth_v2_body() -> None:
    spec = ep.auth(client_id="id", client_secret="s", brand="openapitest", integrator_id="i")
    assert spec == RequestSpec(
        "POST",
        "auth",
        json={
            "client_id": "id",
            "client_secret": "s",
            "brand": "openapitest",
            "integrator_id": "i",
        },
        auth=False,
    )


def test_auth_v1_body_has_venue_id_as_string() -> None:
    spec = ep.auth(client_id="id", client_secret="s", brand="b", venue_id=1, version="v1")
    assert spec.json == {"client_id": "id", "client_secret": "s", "brand": "b", "venue_id": "1"}
    assert (spec.method, spec.path, spec.auth) == ("POST", "auth", False)


def test_auth_missing_fields() -> None:
    with pytest.raises(ValueError, match="integrator_id"):
        ep.auth(client_id="id", client_secret="s", brand="b")
    with pytest.raises(ValueError, match="venue_id"):
        ep.auth(client_id="id", client_secret="s", brand="b", version="v1")
    with pytest.raises(ValueError, match="client_secret"):
        ep.auth(client_id="id", client_secret="", brand="b", integrator_id="i")


# ------------------------------------------------------------------ customers


def test_customers_with_and_friendly_filters() -> None:
    spec = ep.get_customers(page=1, limit=5, with_=["group", "balance"], filters={"name": "John"})
    assert spec.params == (
        ("page", "1"),
        ("limit", "5"),
        ("with[0]", "group"),
        ("with[1]", "balance"),
        ("filters[0][0]", "name"),
        ("filters[0][1]", "John"),
    )
    # old client bugs: page/limit dropped, filter[i][1]
    assert not any(key.startswith("filter[") for key, _ in spec.params)


def test_customers_filter_forms_are_equivalent() -> None:
    expected = (
        ("filters[0][0]", "phones"),
        ("filters[0][1]", "15551234567"),
        ("filters[1][0]", "group_id"),
        ("filters[1][1]", "2"),
    )
    mapping = ep.get_customers(filters={"phones": "15551234567", "group_id": 2})
    pairs = ep.get_customers(filters=[("phones", "15551234567"), ("group_id", 2)])
    by_value = ep.get_customers(
        filters=[{"by": "phones", "value": "15551234567"}, {"by": "group_id", "value": 2}]
    )

    @dataclass
    class OldFilter:  # the shape of integrify's CustomerFilter
        by: str
        value: Any

    objects = ep.get_customers(
        filters=[OldFilter("phones", "15551234567"), OldFilter("group_id", 2)]
    )
    assert mapping.params == pairs.params == by_value.params == objects.params == expected


def test_customers_round_trip() -> None:
    query = wire(ep.get_customers(page=3, limit=20, with_="group", filters={"name": "Jo hn&x"}))
    assert (query.page, query.limit, query.with_) == (3, 20, ["group"])
    assert query.filters == [Filter("name", "Jo hn&x")]


def test_create_customer_sends_only_given_fields() -> None:
    spec = ep.create_customer(
        name="Ann", phone="+994 50", gender=2, date_of_birth=date(1990, 5, 15)
    )
    assert spec == RequestSpec(
        "POST",
        "customers",
        json={"name": "Ann", "phone": "+994 50", "gender": 2, "date_of_birth": "1990-05-15"},
        creates=True,
    )
    full = ep.create_customer(
        name="B",
        email="b@x.io",
        code="C1",
        cid="u-1",
        description="d",
        group_id=3,
        date_of_birth="1991-01-02",
    )
    assert full.json == {
        "name": "B",
        "email": "b@x.io",
        "code": "C1",
        "cid": "u-1",
        "description": "d",
        "group_id": 3,
        "date_of_birth": "1991-01-02",
    }


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"name": " "}, "name"),
        ({"name": "A", "gender": 3}, "gender"),
        ({"name": "A", "date_of_birth": "15/05/1990"}, "date_of_birth"),
        ({"name": "A", "group_id": 0}, "group_id"),
    ],
)
def test_create_customer_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.create_customer(**kwargs)


# ------------------------------------------------------------------ catalog


def test_categories_plain_params() -> None:
    spec = ep.get_categories(
        page=1, limit=50, parent_id=3, type="PRODUCT", include_children=True, include_inactive=False
    )
    assert spec.params == (
        ("page", "1"),
        ("limit", "50"),
        ("parent_id", "3"),
        ("type", "PRODUCT"),
        ("include_children", "true"),
        ("include_inactive", "false"),
    )
    by_id = ep.get_category_by_id(id=4, include_children=False, include_inactive=True)
    assert by_id.params == (("include_children", "false"), ("include_inactive", "true"))


def test_stations_params_and_validation() -> None:
    spec = ep.get_stations(status=1, can_print=True)
    assert spec.params == (("status", "1"), ("can_print", "true"))
    with pytest.raises(ValueError, match="status"):
        ep.get_stations(status=2)


def test_products_bracket_params_not_a_json_key() -> None:
    spec = ep.get_products(
        page=1,
        limit=20,
        with_=["category", "station"],
        selects=["id", "name", "price"],
        filters={"type": ["GOODS", "DISH"], "giftable": True},
        sort_by="name",
        sort_order="asc",
    )
    assert spec.params == (
        ("page", "1"),
        ("limit", "20"),
        ("with[0]", "category"),
        ("with[1]", "station"),
        ("selects", "id,name,price"),
        ("filters[0][0]", "type"),
        ("filters[0][1][0]", "GOODS"),
        ("filters[0][1][1]", "DISH"),
        ("filters[1][0]", "giftable"),
        ("filters[1][1]", "1"),
        ("sort[0]", "name"),
        ("sort[1]", "1"),
    )
    assert not any(key.startswith("{") for key, _ in spec.params)
    assert ep.get_products(selects="id, name").params == (("selects", "id,name"),)


def test_products_round_trip() -> None:
    query = wire(
        ep.get_products(
            limit=20,
            with_="category",
            selects="id,name,price",
            filters=[("category_id", [1, 3]), ("type", "DISH")],
        )
    )
    assert (query.limit, query.with_, query.selects) == (20, ["category"], ["id", "name", "price"])
    assert query.filters == [Filter("category_id", ["1", "3"]), Filter("type", "DISH")]


def test_product_by_id_with() -> None:
    spec = ep.get_product_by_id(id=5, with_=["taxes", "modifications"])
    assert spec.params == (("with[0]", "taxes"), ("with[1]", "modifications"))
    assert not any(key == "with[]" for key, _ in spec.params)


def test_stop_list_filters() -> None:
    assert ep.get_stop_list() == RequestSpec("GET", "products/stop-list")
    spec = ep.get_stop_list(filters={"id": [1, 332], "limit": (0, 5), "timestamp": 1700000000000})
    assert spec.params == (
        ("filters[0][0]", "id"),
        ("filters[0][1][0]", "1"),
        ("filters[0][1][1]", "332"),
        ("filters[1][0]", "limit"),
        ("filters[1][1][0]", "0"),
        ("filters[1][1][1]", "5"),
        ("filters[2][0]", "timestamp"),
        ("filters[2][1][0]", "1700000000000"),
    )
    # the old client's StopListFilter shape: by + from/to, [1][1] only when `to` is given
    old = ep.get_stop_list(filters=[{"by": "id", "from": 0, "to": 100}, {"by": "limit", "from": 1}])
    assert old.params == (
        ("filters[0][0]", "id"),
        ("filters[0][1][0]", "0"),
        ("filters[0][1][1]", "100"),
        ("filters[1][0]", "limit"),
        ("filters[1][1][0]", "1"),
    )


def test_stop_list_round_trip() -> None:
    spec = ep.get_stop_list(filters={"id": [1, 332], "limit": (0, 5), "timestamp": 1700000000000})
    parsed = parse_stop_list_filters(parse_brackets(parse_qsl(urlencode(spec.params))))
    assert parsed.product_ids == [(1, 332)]
    assert parsed.limit_ranges == [(0, 5)]
    assert parsed.timestamp_ranges == [(1700000000000, None)]


def test_stop_list_validation() -> None:
    with pytest.raises(ValueError, match="filters"):
        ep.get_stop_list(filters={"name": "x"})
    with pytest.raises(ValueError, match="filters"):
        ep.get_stop_list(filters={"limit": [1, 2, 3]})


def test_price_lists_sort_uses_nested_keys() -> None:
    spec = ep.get_price_lists(
        limit=10, with_="prices", sort_by="name", sort_order=-1, selects="id,name,status"
    )
    assert spec.params == (
        ("limit", "10"),
        ("with[0]", "prices"),
        ("sort[0][0]", "name"),
        ("sort[0][1]", "desc"),
        ("selects", "id,name,status"),
    )
    assert ep.get_price_lists(sort_by="id").params == (("sort[0][0]", "id"), ("sort[0][1]", "asc"))
    query = wire(spec)
    assert query.sort == Sort("name", -1)
    assert query.selects == ["id", "name", "status"]


def test_price_list_prices_filters_and_with() -> None:
    spec = ep.get_price_list_prices(with_=["product", "list"], filters={"list_id": 1})
    assert spec.params == (
        ("with[0]", "product"),
        ("with[1]", "list"),
        ("filters[0][0]", "list_id"),
        ("filters[0][1]", "1"),
    )


# ------------------------------------------------------------------ orders


def test_orders_all_params() -> None:
    spec = ep.get_orders(
        page=1,
        limit=10,
        status="PENDING",
        with_=["customer", "receipt"],
        filters={"venue_id": 1},
        sort_by="created_at",
        sort_order=-1,
        date_from=date(2026, 1, 1),
        date_to="2026-01-31",
    )
    assert spec.params == (
        ("page", "1"),
        ("limit", "10"),
        ("status", "PENDING"),
        ("with[0]", "customer"),
        ("with[1]", "receipt"),
        ("filters[0][0]", "venue_id"),
        ("filters[0][1]", "1"),
        ("sort[0]", "created_at"),
        ("sort[1]", "-1"),
        ("date[0]", "2026-01-01"),
        ("date[1]", "2026-01-31"),
    )
    query = wire(spec)
    assert query.scalar("status") == "PENDING"
    assert query.with_ == ["customer", "receipt"]
    assert query.filters == [Filter("venue_id", "1")]
    assert query.sort == Sort("created_at", -1)
    assert (query.date_from, query.date_to) == (date(2026, 1, 1), date(2026, 1, 31))


def test_orders_status_validation() -> None:
    with pytest.raises(ValueError, match="status"):
        ep.get_orders(status="NEW")


def test_order_by_id_with_receipt() -> None:
    spec = ep.get_order_by_id(id=9, with_receipt=True)
    assert spec == RequestSpec(
        "GET", "orders/9", (("with[0]", "receipt:id,service_notification_id,status"),)
    )
    # the server reads it as one relation with columns, as the docs mean (spec §11.3)
    assert wire(spec).has_with("receipt:id,service_notification_id,status")
    # the old client's with_="receipt:id" means the same single value, never a `with_` key
    legacy = ep.get_order_by_id(id=9, with_="receipt:id")
    assert legacy.params == spec.params
    assert "with_" not in urlencode(legacy.params)
    with pytest.raises(ValueError, match="with_"):
        ep.get_order_by_id(id=9, with_="customer")


V2_ORDER: dict[str, Any] = {
    "sale_type_id": 2,
    "venue_id": 1,
    "customer": {"id": 1, "name": "Ann", "phone": "+994", "address": "Main st"},
    "products": [
        {
            "product_id": 51,
            "product_name": "Pizza",
            "count": 2,
            "price": Decimal("8.50"),
            "status": "new",
            "product_hash": "abc",
        }
    ],
}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_create_order_v2_flat_sent_as_given(version: Any) -> None:
    spec = ep.create_order(**V2_ORDER, comment="Door", delivery_fee="2.5", version=version)
    assert (spec.method, spec.path, spec.creates) == ("POST", "orders", True)
    assert spec.json == {**V2_ORDER, "comment": "Door", "delivery_fee": Decimal("2.5")}
    assert spec.json["products"][0]["price"] == Decimal("8.50")
    # no null padding of customer fields (existing client §7.5)
    assert "customer_discount_type" not in spec.json["customer"]


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_create_order_v1_nested_sent_as_given(version: Any) -> None:
    payload = {
        "service": {
            "sale_type_id": 2,
            "sale_type_name": "Delivery",
            "venue_id": 1,
            "venue_name": "M",
        },
        "customer": {"id": 9, "name": "N"},
        "products": [{"product_id": 1, "count": 1}],
    }
    spec = ep.create_order(customer_id=9, payload=payload, meta={"comment": ""}, version=version)
    assert spec.json == {"customer_id": 9, "payload": payload, "meta": {"comment": ""}}
    assert spec.json["payload"]["customer"] == {"id": 9, "name": "N"}
    no_meta = ep.create_order(customer_id=9, payload=payload, version=version)
    assert no_meta.json == {"customer_id": 9, "payload": payload}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sale_type_id": 2}, "venue_id"),
        ({**V2_ORDER, "products": []}, "products"),
        ({**V2_ORDER, "payload": {}, "customer_id": 1}, "payload"),
        ({"payload": {"service": {}}}, "customer_id"),
        ({**V2_ORDER, "meta": {}}, "meta"),
        ({**V2_ORDER, "order_number": "x" * 21}, "order_number"),
    ],
)
def test_create_order_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.create_order(**kwargs)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_update_order(version: Any) -> None:
    spec = ep.update_order(id=108, status="IGNORE", version=version)
    assert spec == RequestSpec("PUT", "orders/108", json={"status": "IGNORE"})
    with pytest.raises(ValueError, match="status"):
        ep.update_order(id=108, status="RECEIVED")


# ------------------------------------------------------------------ receipts


def test_receipts_documented_keys() -> None:
    spec = ep.get_receipts(
        page=1,
        limit=50,
        sort_by="created_at",
        sort_order=-1,
        date_from=datetime(2026, 1, 19, 10, 30),
        date_to=date(2026, 1, 20),
        with_=["receipt_products"],
        filters={"status": 2, "sale_type_id": [1, 2]},
    )
    assert spec.params == (
        ("page", "1"),
        ("limit", "50"),
        ("sort[0]", "created_at"),
        ("sort[1]", "-1"),
        ("date[0]", "2026-01-19"),
        ("date[1]", "2026-01-20"),
        ("with[0]", "receipt_products"),
        ("filters[0][0]", "status"),
        ("filters[0][1]", "2"),
        ("filters[1][0]", "sale_type_id"),
        ("filters[1][1][0]", "1"),
        ("filters[1][1][1]", "2"),
    )
    keys = {key for key, _ in spec.params}
    assert not keys & {"sort_by", "sort_order", "date_from", "date_to", "with_"}


def test_receipts_round_trip() -> None:
    spec = ep.get_receipts(
        page=2,
        limit=200,
        sort_by="total",
        sort_order="asc",
        date_from="2026-01-01",
        date_to="2026-01-02T23:59:59",
        with_="receipt_products.modificators",
        filters=[("terminal_id", 4)],
    )
    query = wire(spec)
    assert (query.page, query.limit) == (2, 200)
    assert query.sort == Sort("total", 1)
    assert (query.date_from, query.date_to) == (date(2026, 1, 1), date(2026, 1, 2))
    assert query.with_ == ["receipt_products.modificators"]
    assert query.filters == [Filter("terminal_id", "4")]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"sort_order": 1}, "sort_by"),
        ({"sort_by": "total", "sort_order": 2}, "sort_order"),
        ({"date_from": "19/01/2026"}, "date_from"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_from"),
        ({"filters": {"status": None}}, "filters"),
        ({"filters": {"status": []}}, "filters"),
        ({"with_": [""]}, "with_"),
    ],
)
def test_receipts_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.get_receipts(**kwargs)


def test_receipt_by_id_with() -> None:
    spec = ep.get_receipt_by_id(id=3, with_=["receipt_products"])
    assert spec == RequestSpec("GET", "receipts/3", (("with[0]", "receipt_products"),))


def test_create_receipt_v1() -> None:
    spec = ep.create_receipt(
        cid="c-1",
        payment_methods=[{"id": 1, "name": "Cash", "amount": 2.5}],
        user_id=1,
        total=Decimal("2.50"),
        subtotal="2.5",
        by_cash=Decimal("2.50"),
        by_card=0,
        sale_type_id=1,
        receipt_products=[{"product_id": 1, "count": 1, "price": Decimal("2.50")}],
        closed_at=datetime(2025, 8, 18, 13, 47, 5),
        created_at=1755524765000,  # 13:46:05 UTC, a minute before closed_at
        version="v1",
    )
    assert (spec.method, spec.path, spec.creates) == ("POST", "receipts", True)
    assert spec.json == {
        "cid": "c-1",
        "payment_methods": [{"id": 1, "name": "Cash", "amount": Decimal("2.5")}],
        "user_id": 1,
        "receipt_products": [{"product_id": 1, "count": 1, "price": Decimal("2.50")}],
        "sale_type_id": 1,
        "created_at": 1755524765000,
        "closed_at": "2025-08-18 13:47:05",
        "by_cash": Decimal("2.50"),
        "by_card": 0,
        "subtotal": Decimal("2.5"),
        "total": Decimal("2.50"),
    }
    # money is never a JSON string (existing client §7.5)
    assert not isinstance(spec.json["subtotal"], str)
    with pytest.raises(ValueError, match="v1"):
        ep.create_receipt(cid="c", payment_methods=PAY, version="v2")
    with pytest.raises(ValueError, match=r"payment_methods\[0\]\.amount"):
        ep.create_receipt(cid="c", payment_methods=[{"id": 1, "name": "Cash"}], version="v1")
    with pytest.raises(ValueError, match="total"):
        ep.create_receipt(cid="c", payment_methods=PAY, total="ten", version="v1")


def test_update_receipt_v1_put() -> None:
    spec = ep.update_receipt(
        id=21,
        cid="c-21",
        order_status="READY",
        description="note",
        discount_type=2,
        discount_value="1.5",
        customer_id=4,
        meta_customer={"name": "Ann", "phone": "+994"},
        version="v1",
    )
    assert (spec.method, spec.path) == ("PUT", "receipts/21")
    assert spec.json == {
        "id": 21,
        "cid": "c-21",
        "description": "note",
        "order_status": "READY",
        "discount_type": 2,
        "discount_value": Decimal("1.5"),
        "customer_id": 4,
        "meta": {"customer": {"name": "Ann", "phone": "+994"}},
    }
    assert "meta_customer" not in spec.json


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"order_status": "IGNORE"}, "order_status"),
        ({"description": "x" * 501}, "description"),
        ({"discount_type": 2}, "discount_value"),
        ({"customer_id": 4}, "meta_customer"),
        ({"version": "v2"}, "v1"),
    ],
)
def test_update_receipt_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.update_receipt(**{"id": 1, "cid": "c", "version": "v1", **kwargs})


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_update_closed_receipt_patch_has_no_id(version: Any) -> None:
    spec = ep.update_closed_receipt(
        id=21,
        order_status="READY",
        order_number="RPO-1",
        fiscal_id="F1",
        lock=False,
        version=version,
    )
    assert spec == RequestSpec(
        "PATCH",
        "receipts/21",
        json={"order_status": "READY", "order_number": "RPO-1", "fiscal_id": "F1", "lock": False},
    )
    assert ep.update_closed_receipt(id=21, lock=True).json == {"lock": True}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({}, "at least one"), ({"order_status": "IGNORE"}, "order_status"), ({"lock": 1}, "lock")],
)
def test_update_closed_receipt_validation(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ep.update_closed_receipt(id=21, **kwargs)


def test_close_receipt_v2_post() -> None:
    spec = ep.close_receipt(id=21, payment_methods=PAY, cid="ignored-on-v2")
    assert spec == RequestSpec("POST", "receipts/21/close", json={"payment_methods": PAY})
    assert not spec.creates
    timed = ep.close_receipt(id=21, payment_methods=PAY, closed_at=datetime(2026, 1, 20, 9, 59, 54))
    assert timed.json == {"payment_methods": PAY, "closed_at": "2026-01-20 09:59:54"}


def test_close_receipt_v1_put() -> None:
    spec = ep.close_receipt(
        id=21, cid="c-21", payment_methods=PAY, closed_at="2026-01-20 09:59:54", version="v1"
    )
    assert spec == RequestSpec(
        "PUT",
        "receipts/21",
        json={"id": 21, "cid": "c-21", "payment_methods": PAY, "closed_at": "2026-01-20 09:59:54"},
    )
    with pytest.raises(ValueError, match="cid"):
        ep.close_receipt(id=21, payment_methods=PAY, closed_at="2026-01-20 09:59:54", version="v1")
    with pytest.raises(ValueError, match="closed_at"):
        ep.close_receipt(id=21, cid="c", payment_methods=PAY, version="v1")
    with pytest.raises(ValueError, match="payment_methods"):
        ep.close_receipt(id=21, payment_methods=[])


def test_delete_receipt_v1_without_body() -> None:
    assert ep.delete_receipt(id=5, version="v1") == RequestSpec("DELETE", "receipts/5")
    with pytest.raises(ValueError, match="v1"):
        ep.delete_receipt(id=5, version="v2")


def test_stock_operations_v2_only() -> None:
    spec = ep.get_receipt_stock_operations(id=5)
    assert spec == RequestSpec("GET", "receipts/5/stock-operations")
    with pytest.raises(ValueError, match="v2"):
        ep.get_receipt_stock_operations(id=5, version="v1")


def test_builders_have_docstrings() -> None:
    names = [
        "auth", "get_venues", "get_users", "get_user_by_id", "get_customers",
        "get_customer_by_id", "create_customer", "get_customer_groups", "get_categories",
        "get_category_by_id", "get_stations", "get_station_by_id", "get_products",
        "get_product_by_id", "get_stop_list", "get_sale_types", "get_payment_methods",
        "get_orders", "get_order_by_id", "create_order", "update_order", "get_receipts",
        "get_receipt_by_id", "create_receipt", "update_receipt", "update_closed_receipt",
        "close_receipt", "delete_receipt", "get_receipt_stock_operations", "get_price_lists",
        "get_price_list_prices",
    ]  # fmt: skip
    for name in names:
        assert getattr(ep, name).__doc__, name


# ------------------------------------------------- bodies checked with the server's models

# (builder kwargs, the field the check names first)
ONE_LINE = [{"product_id": 51, "count": 1}]
BAD_BODIES: list[tuple[str, dict[str, Any], str]] = [
    (
        "create_order",
        {**V2_ORDER, "products": [{"product_id": 51, "count": 0}]},
        "products.0.count",
    ),
    (
        "create_order",
        {**V2_ORDER, "products": [{"product_id": True, "count": 1}]},
        "products.0.product_id",
    ),
    (
        "create_order",
        {**V2_ORDER, "products": [{"product_id": 51, "count": 1, "modifiers": [{"count": 1}]}]},
        "products.0.modifiers.0.modifier_id",
    ),
    ("create_order", {**V2_ORDER, "discount": {"discount_type": 7}}, "discount.discount_type"),
    ("create_order", {**V2_ORDER, "delivery_fee": "-1"}, "delivery_fee"),
    (
        "create_order",
        {"customer_id": 9, "payload": {"service": {"venue_id": 1}, "products": ONE_LINE}},
        "payload.service.sale_type_id",
    ),
    ("create_customer", {"name": "Ann", "email": "ann-at-example"}, "email"),
    ("create_customer", {"name": "Ann", "phone": "+994\x00"}, "phone"),
    ("update_closed_receipt", {"id": 3, "order_number": "x" * 65}, "order_number"),
    (
        "close_receipt",
        {"id": 3, "payment_methods": [{"id": 0, "name": "Cash", "amount": 1}]},
        "payment_methods.0.id",
    ),
    (
        "close_receipt",
        {"id": 3, "payment_methods": PAY, "closed_at": "2025-08-18T13:47:05"},
        "closed_at",
    ),
]


@pytest.mark.parametrize(("builder", "kwargs", "field"), BAD_BODIES)
def test_bad_bodies_name_the_field_before_sending(
    builder: str, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(RequestValidationError) as caught:
        getattr(ep, builder)(**kwargs)
    assert caught.value.fields[0] == field
    assert field in str(caught.value)
    assert str(caught.value).startswith(f"{builder}: ")


def test_v1_receipt_rules_are_checked_like_the_server_checks_them() -> None:
    pay = [{"id": 1, "name": "Cash", "amount": "2.50"}]
    with pytest.raises(RequestValidationError) as open_with_close:
        ep.create_receipt(
            cid="c", payment_methods=pay, status=1, closed_at="2025-08-18 13:47:05", version="v1"
        )
    assert open_with_close.value.fields == ("status",)
    with pytest.raises(RequestValidationError, match="closed_at must be greater"):
        ep.create_receipt(
            cid="c",
            payment_methods=pay,
            created_at="2025-08-18 13:47:05",
            closed_at="2025-08-18 13:47:05",
            version="v1",
        )
    with pytest.raises(RequestValidationError) as no_name:
        ep.update_receipt(id=3, cid="c", customer_id=4, meta_customer={"phone": "1"}, version="v1")
    assert no_name.value.fields == ("meta.customer.name",)
    with pytest.raises(RequestValidationError) as percent:
        ep.update_receipt(id=3, cid="c", discount_type=1, discount_value=150, version="v1")
    assert percent.value.fields == ("discount_value",)


def test_a_checked_body_is_sent_as_built_not_as_the_model_dumps_it() -> None:
    # The models trim strings and fill defaults; the wire carries what the caller gave.
    spec = ep.create_customer(name="  Ann  ", phone=" +994 50 ")
    assert spec.json == {"name": "  Ann  ", "phone": " +994 50 "}
    order = ep.create_order(**V2_ORDER, extra={"integration_id": "ext-1", "x_unknown": 1})
    assert order.json["x_unknown"] == 1 and "portion_size" not in order.json["products"][0]


@pytest.mark.parametrize(
    "body",
    [
        {**V2_ORDER, "products": [{"product_id": 51, "count": "0"}]},
        {**V2_ORDER, "customer": {"id": -1, "name": "N"}},
        {**V2_ORDER, "service_charge": {"enabled": True, "value": "x"}},
        {**V2_ORDER, "comment": "c" * 1001},
    ],
)
def test_client_and_server_refuse_an_order_on_the_same_field(body: dict[str, Any]) -> None:
    """One model on both sides: the server's 400 names the field the SDK named."""
    from clopos._json import dumps
    from clopos.server.domain.orders import read_order_body
    from clopos.server.errors import ValidationFailed

    with pytest.raises(RequestValidationError) as client_side:
        ep.create_order(**body)
    with pytest.raises(ValidationFailed) as server_side:
        read_order_body(dumps(body))
    assert server_side.value.details is not None
    assert client_side.value.fields[0] == server_side.value.details["field"]


def test_every_body_the_sdk_accepts_the_server_accepts() -> None:
    from clopos._json import dumps
    from clopos.server.domain import receipts as rules
    from clopos.server.domain.orders import read_order_body

    read_order_body(dumps(ep.create_order(**V2_ORDER).json))
    nested = {
        "service": {"sale_type_id": 2, "venue_id": 1},
        "customer": {"id": 9, "name": "N"},
        "products": [{"product_id": 1, "count": 1}],
    }
    read_order_body(dumps(ep.create_order(customer_id=9, payload=nested).json))
    create = ep.create_receipt(
        cid="c-1", payment_methods=PAY, status=2, created_at=1755524765000, version="v1"
    )
    assert rules.parse_create(create.json).is_closed
    update = ep.update_receipt(id=3, cid="c", discount_type=2, discount_value="1.5", version="v1")
    assert rules.parse_update(update.json).discount_value == Decimal("1.5")
    close = ep.close_receipt(id=3, payment_methods=PAY, closed_at=datetime(2025, 1, 2, 3, 4, 5))
    assert rules.parse_body(rules.CloseBody, close.json).closed_at == datetime(2025, 1, 2, 3, 4, 5)
    patch = ep.update_closed_receipt(id=3, order_status="READY", lock=True)
    assert rules.parse_patch(patch.json).changes() == {"order_status": "READY", "lock": True}


def test_each_spec_names_the_model_of_its_answer() -> None:
    from clopos.models import ClosedReceipt, ItemResponse, ListResponse, MessageResponse, Venue

    assert ep.get_venues().response is ListResponse[Venue]
    assert ep.close_receipt(id=3, payment_methods=PAY).response is ItemResponse[ClosedReceipt]
    v1_close = ep.close_receipt(
        id=3, payment_methods=PAY, cid="c", closed_at="2025-01-02 03:04:05", version="v1"
    )
    assert v1_close.response is ItemResponse[ClosedReceipt]
    assert ep.delete_receipt(id=3, version="v1").response is MessageResponse
    # the answer model is not part of the request's identity
    assert ep.get_venues() == RequestSpec("GET", "venues")


def test_the_shared_models_use_the_servers_bounds() -> None:
    """clopos.models cannot import the server; its copies of the bounds must agree."""
    from clopos.models import _base, orders
    from clopos.server.domain import query, totals

    assert _base.MAX_ID == query.MAX_ID
    assert (orders.DISCOUNT_NONE, orders.DISCOUNT_PERCENT, orders.DISCOUNT_AMOUNT) == (
        totals.DISCOUNT_NONE,
        totals.DISCOUNT_PERCENT,
        totals.DISCOUNT_AMOUNT,
    )
