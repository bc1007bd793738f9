"""``POST/GET /orders``, ``GET/PUT /orders/{id}`` on both prefixes (spec §11, §6, §14.19–21).

Catalog ids are looked up by name (``Catalog``), never assumed. Demo data relied on
(src/clopos/server/demo.py): venues 1 Main and 2 Airport; Margherita 8.50 and Espresso 2.00
(DISH), Mozzarella (INGREDIENT), Coca-Cola (GOODS with three variants), Seasonal Soup
(inactive DISH); modifier "Extra cheese" 1.50; sale types Dine-in, Takeaway (both venues)
and Delivery (venue 1 only).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import (
    Brand,
    Customer,
    Modifier,
    Order,
    Product,
    SaleType,
    Venue,
)

Api = tuple[str, dict[str, str]]
ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
V1 = "/open-api"
V2 = "/open-api/v2"
RECEIPT_WITH = "receipt:id,service_notification_id,status"
ORDER_KEYS = {
    "id",
    "venue_id",
    "type",
    "integration",
    "integration_uuid",
    "integration_id",
    "customer_ref_id",
    "integration_status",
    "status",
    "payload",
    "created_at",
    "updated_at",
    "integration_response",
    "customer_id",
    "receipt_id",
    "order_number",
    "total_amount",
}


@dataclass
class Catalog:
    """Ids of the demo rows the tests order (assigned by the database)."""

    brand_id: int
    margherita: Product
    espresso: Product
    mozzarella: Product
    coca_cola: Product
    coca_variants: list[int]
    soup: Product
    extra_cheese: Modifier
    customer: Customer
    dine_in: int
    takeaway: int
    delivery: int


@pytest.fixture
async def cat(app: Any) -> Catalog:
    async with app.state.clopos.sessions() as session:
        brand_id = await session.scalar(select(Brand.id).where(Brand.slug == "openapitest"))
        assert brand_id is not None

        async def product(name: str) -> Product:
            found = await session.scalar(
                select(Product).where(Product.brand_id == brand_id, Product.name == name)
            )
            assert found is not None, name
            return found

        sale_types = {
            s.name: s.id
            for s in await session.scalars(select(SaleType).where(SaleType.brand_id == brand_id))
        }
        cheese = await session.scalar(
            select(Modifier).where(Modifier.brand_id == brand_id, Modifier.name == "Extra cheese")
        )
        customer = await session.scalar(
            select(Customer)
            .where(Customer.brand_id == brand_id, Customer.address.is_not(None))
            .order_by(Customer.id)
            .limit(1)
        )
        assert cheese is not None and customer is not None
        coca_cola = await product("Coca-Cola")
        variants = list(
            await session.scalars(
                select(Product.id).where(Product.parent_id == coca_cola.id).order_by(Product.id)
            )
        )
        return Catalog(
            brand_id=brand_id,
            margherita=await product("Margherita"),
            espresso=await product("Espresso"),
            mozzarella=await product("Mozzarella"),
            coca_cola=coca_cola,
            coca_variants=variants,
            soup=await product("Seasonal Soup"),
            extra_cheese=cheese,
            customer=customer,
            dine_in=sale_types["Dine-in"],
            takeaway=sale_types["Takeaway"],
            delivery=sale_types["Delivery"],
        )


def flat_body(cat: Catalog, **overrides: Any) -> dict[str, Any]:
    """The smallest v2 body: a guest (id 0, as real integrators send) and one Margherita."""
    body: dict[str, Any] = {
        "sale_type_id": cat.takeaway,
        "venue_id": 1,
        "customer": {"id": 0, "name": "Walk-in guest"},
        "products": [{"product_id": cat.margherita.id, "count": 2}],
    }
    body.update(overrides)
    return body


async def create(client: httpx.AsyncClient, api: Api, body: Any, **headers: str) -> httpx.Response:
    prefix, base = api
    if isinstance(body, (str, bytes)):
        return await client.post(
            f"{prefix}/orders",
            content=body,
            headers={**base, "content-type": "application/json", **headers},
        )
    return await client.post(f"{prefix}/orders", json=body, headers={**base, **headers})


async def create_ok(client: httpx.AsyncClient, api: Api, body: Any, **headers: str) -> Any:
    response = await create(client, api, body, **headers)
    assert response.status_code == (201 if api[0] == V1 else 200), response.text
    return response.json()["data"]


def error_of(response: httpx.Response, prefix: str) -> tuple[str, str, Any]:
    """``(code, message, details)`` of an error in either prefix's shape."""
    body = response.json()
    assert body["success"] is False
    if prefix == V1:
        (entry,) = body["error"]
        assert entry["http_code"] == response.status_code
        assert entry["message"] == body["message"]
        return entry["type"], body["message"], body.get("details")
    assert isinstance(body["error"], str)
    return body["error"], body["message"], body.get("details")


def assert_invalid(response: httpx.Response, prefix: str, field: str, message: str) -> None:
    assert response.status_code == 400, response.text
    code, text, details = error_of(response, prefix)
    assert code == "validation_failed"
    assert text == message
    assert details["field"] == field


# --- create -------------------------------------------------------------------------------


async def test_create_flat_minimal_applies_defaults(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    prefix, _ = api
    response = await create(client, api, flat_body(cat))
    # spec §11.4: v1 answers 201 Created, v2 200 (its errors page lists only 200).
    assert response.status_code == (201 if prefix == V1 else 200), response.text
    body = response.json()
    assert set(body) == {"success", "message", "data", "time", "timestamp", "unix"}
    assert body["success"] is True and body["message"] == "Order created"
    order = body["data"]
    assert set(order) == ORDER_KEYS
    assert isinstance(order["id"], int)
    assert order["venue_id"] == 1
    assert order["type"] == "CALL_CENTER_ORDER"
    assert order["integration"] == "call_center_new"
    assert order["integration_status"] == "CREATED"
    assert order["status"] == "PENDING"
    assert order["integration_uuid"] is None and order["integration_id"] is None
    assert order["customer_ref_id"] is None and order["integration_response"] is None
    assert order["customer_id"] is None and order["receipt_id"] is None
    assert order["order_number"] is None
    assert order["total_amount"] == 17
    assert ISO_MICRO.match(order["created_at"]) and ISO_MICRO.match(order["updated_at"])
    m = cat.margherita
    hash_ = base64.b64encode(str(m.id).encode()).decode()
    assert order["payload"] == {
        "auto_order_accept": False,
        "auto_order_sent_to_station": False,
        "delivery_fee": 0,
        "service": {
            "sale_type_id": cat.takeaway,
            "sale_type_name": "Takeaway",
            "venue_id": 1,
            "venue_name": "Main",
        },
        "customer": {
            "id": 0,
            "phone": None,
            "address": None,
            "customer_discount_type": None,
            "name": "Walk-in guest",
        },
        "products": [
            {
                "product_id": m.id,
                "count": 2,
                "product_modificators": [],
                "portion_size": 1,
                "meta": {
                    "price": 8.5,
                    "order_product": {
                        "count": 2,
                        "status": "new",
                        "product_modificators": [],
                        "product_hash": hash_,
                        "product": {
                            "id": m.id,
                            "name": "Margherita",
                            "price": 8.5,
                            "category_id": m.category_id,
                            "station_id": m.station_id,
                        },
                    },
                },
            }
        ],
        "meta": {
            "comment": "",
            "discount": {"discount_type": 0, "discount_value": 0},
            "apply_service_charge": False,
            "customer_discount_type": None,
            "service_charge_value": 0,
            "orderTotal": 17,
        },
        "customer_id": None,
        "sale_type_id": cat.takeaway,
    }
    # The catalog price keeps its digits on the wire: 8.50, never 8.5; the total has cents.
    assert '"meta":{"price":8.50,' in response.text
    assert '"orderTotal":17.00' in response.text

    # What GET returns is what POST answered (same stored payload, same timestamps).
    shown = await client.get(f"{prefix}/orders/{order['id']}", headers=api[1])
    assert shown.status_code == 200
    assert shown.json()["data"] == order
    assert '"meta":{"price":8.50,' in shown.text


async def test_create_flat_full_body(client: httpx.AsyncClient, api: Api, cat: Catalog) -> None:
    """Every v2 field; numbers as exact JSON text and as strings (Decimal-sending clients)."""
    m, e, cheese, customer = cat.margherita, cat.espresso, cat.extra_cheese, cat.customer
    raw = (
        "{"
        f'"sale_type_id": "{cat.dine_in}", "venue_id": 1,'
        f'"customer": {{"id": {customer.id}, "phone": "+994500000001",'
        '"address": "1 Fountain Sq", "customer_discount_type": 1, "name": "Rahid"},'
        f'"products": [{{"product_id": {m.id}, "product_name": "Pizza", "count": 2,'
        '"price": 8.50, "status": "new", "product_hash": "abc123", "note": "No onions",'
        f'"modifiers": [{{"modifier_id": {cheese.id}, "modifier_name": "Cheese+",'
        '"count": 1, "price": "1.50"}]},'
        f'{{"product_id": {e.id}, "count": "1", "price": "2.00",'
        f'"modifiers": [{{"modifier_id": {cheese.id}}}]}}],'
        '"auto_order_sent_to_station": true, "delivery_fee": 2.50,'
        '"comment": "Leave at the door", "discount": {"discount_type": 1, "discount_value": 10},'
        '"service_charge": {"enabled": true, "value": 5}, "order_number": "A-1024",'
        '"integration_id": "ext-77", "customer_ref_id": "cust-9", "unknown_key": [1, 2]'
        "}"
    )
    response = await create(client, api, raw)
    assert response.status_code in (200, 201), response.text
    order = response.json()["data"]
    payload = order["payload"]
    assert order["customer_id"] == customer.id
    assert order["order_number"] == "A-1024"
    assert order["integration_id"] == "ext-77" and order["customer_ref_id"] == "cust-9"
    assert payload["customer"] == {
        "id": customer.id,
        "phone": "+994500000001",
        "address": "1 Fountain Sq",
        "customer_discount_type": 1,
        "name": "Rahid",
    }
    assert payload["customer_id"] == customer.id
    assert payload["sale_type_id"] == cat.dine_in
    assert payload["service"]["sale_type_name"] == "Dine-in"
    assert payload["auto_order_sent_to_station"] is True
    assert payload["order_number"] == "A-1024"
    first, second = payload["products"]
    assert first["note"] == "No onions"
    assert first["product_modificators"] == [
        {
            "modificator_id": cheese.id,
            "name": "Cheese+",
            "count": 1,
            "price": 1.5,
            "portion_size": 1,
        }
    ]
    assert first["meta"]["order_product"]["product_hash"] == "abc123"  # sent → kept
    assert first["meta"]["order_product"]["product"]["name"] == "Pizza"
    # A modifier without a price costs 0 (spec §11.4 default), not the catalog's 1.50.
    assert second["product_modificators"][0]["price"] == 0
    assert second["product_modificators"][0]["name"] == "Extra cheese"
    expected_hash = base64.b64encode(f"{e.id},{cheese.id}".encode()).decode()
    assert second["meta"]["order_product"]["product_hash"] == expected_hash
    assert payload["meta"] == {
        "comment": "Leave at the door",
        "discount": {"discount_type": 1, "discount_value": 10},
        "apply_service_charge": True,
        "customer_discount_type": 1,
        "service_charge_value": 5,
        # (8.50 + 1.50) × 2 + 2.00 = 22.00; −10 % = 19.80; +5 % = 0.99; + 2.50 delivery
        "orderTotal": 23.29,
    }
    text = response.text
    assert '"delivery_fee":2.50,' in text
    assert '"meta":{"price":8.50,' in text
    assert '"meta":{"price":2.00,' in text
    assert '"orderTotal":23.29' in text


def v1_example(cat: Catalog) -> dict[str, Any]:
    """The v1 body of spec §11.4, with demo ids (product 1 → Margherita, modifier 187 →
    Extra cheese, customer 9 → a demo customer). ``auto_order_accept`` is false here; the
    auto-accept path has its own test."""
    m, cheese, customer = cat.margherita, cat.extra_cheese, cat.customer
    return {
        "customer_id": customer.id,
        "payload": {
            "auto_accept_terminal": 1,
            "auto_order_accept": False,
            "auto_order_sent_to_station": True,
            "service": {
                "sale_type_id": cat.delivery,
                "sale_type_name": "Delivery",
                "venue_id": 1,
                "venue_name": "Main",
            },
            "customer": {
                "id": customer.id,
                "name": customer.name,
                "customer_discount_type": 1,
                "phone": customer.phone,
                "address": None,
            },
            "products": [
                {
                    "product_id": m.id,
                    "count": 1,
                    "product_modificators": [{"modificator_id": cheese.id, "count": 1}],
                    "meta": {
                        "price": "8.50",
                        "order_product": {
                            "product": {
                                "id": m.id,
                                "name": "Margherita",
                                "category_id": m.category_id,
                                "station_id": m.station_id,
                                "price": "8.50",
                            },
                            "count": 1,
                            "status": "completed",
                            "product_modificators": [{"modificator_id": cheese.id, "count": 1}],
                            "product_hash": "MTExODcsMTEyMDE=",
                        },
                    },
                }
            ],
        },
        "meta": {
            "comment": "",
            "discount": {"discount_type": 1, "discount_value": 10},
            "orderTotal": "16.2000",
            "apply_service_charge": True,
            "customer_discount_type": 1,
            "service_charge_value": 0,
        },
    }


async def test_create_v1_nested_spec_example(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    order = await create_ok(client, api, v1_example(cat))
    m, cheese, customer = cat.margherita, cat.extra_cheese, cat.customer
    assert order["status"] == "PENDING"
    assert order["customer_id"] == customer.id
    modificators = [
        {"modificator_id": cheese.id, "name": "Extra cheese", "count": 1, "price": 0,
         "portion_size": 1}
    ]  # fmt: skip
    assert order["payload"] == {
        "auto_order_accept": False,
        "auto_order_sent_to_station": True,
        "auto_accept_terminal": 1,
        "delivery_fee": 0,
        "service": {
            "sale_type_id": cat.delivery,
            "sale_type_name": "Delivery",
            "venue_id": 1,
            "venue_name": "Main",
        },
        "customer": {
            "id": customer.id,
            "phone": customer.phone,
            "address": customer.address,  # null in the body → the customer's address
            "customer_discount_type": 1,
            "name": customer.name,
        },
        "products": [
            {
                "product_id": m.id,
                "count": 1,
                "product_modificators": modificators,
                "portion_size": 1,
                "meta": {
                    "price": 8.5,
                    "order_product": {
                        "count": 1,
                        "status": "completed",
                        "product_modificators": modificators,
                        "product_hash": "MTExODcsMTEyMDE=",
                        "product": {
                            "id": m.id,
                            "name": "Margherita",
                            "price": 8.5,
                            "category_id": m.category_id,
                            "station_id": m.station_id,
                        },
                    },
                },
            }
        ],
        "meta": {
            "comment": "",
            "discount": {"discount_type": 1, "discount_value": 10},
            "apply_service_charge": True,
            "customer_discount_type": 1,
            "service_charge_value": 0,
            # recomputed, not the sent "16.2000": 8.50 − 10 % = 7.65
            "orderTotal": 7.65,
        },
        "customer_id": customer.id,
        "sale_type_id": cat.delivery,
    }


async def test_create_existing_client_body(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    """integrify's ``create_order``: null customer fields, meta at the top, extra kwargs."""
    body = {
        "customer_id": 0,
        "payload": {
            "service": {
                "sale_type_id": cat.takeaway,
                "sale_type_name": "Takeaway",
                "venue_id": 1,
                "venue_name": "Main",
            },
            "customer": {
                "id": 0,
                "name": "John",
                "customer_discount_type": None,
                "phone": None,
            },
            "products": [{"product_id": cat.espresso.id, "count": 3}],
        },
        "meta": {"comment": "ring twice"},
        "source": "integrify",
    }
    order = await create_ok(client, api, body)
    assert order["customer_id"] is None
    assert order["payload"]["customer"] == {
        "id": 0,
        "phone": None,
        "address": None,
        "customer_discount_type": None,
        "name": "John",
    }
    assert order["payload"]["meta"]["comment"] == "ring twice"
    assert order["payload"]["meta"]["orderTotal"] == 6
    assert order["payload"]["products"][0]["meta"]["price"] == 2
    # The existing client's Order model needs status in its enum and payload an object.
    assert order["status"] in {"PENDING", "RECEIVED", "IGNORE"}
    assert isinstance(order["payload"], dict)


async def test_flat_body_is_accepted_on_v1_and_nested_on_v2(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], cat: Catalog
) -> None:
    flat = await client.post(f"{V1}/orders", json=flat_body(cat), headers=v1)
    assert flat.status_code == 201, flat.text
    nested = await client.post(f"{V2}/orders", json=v1_example(cat), headers=v2)
    assert nested.status_code == 200, nested.text
    assert nested.json()["data"]["payload"]["service"]["sale_type_id"] == cat.delivery


# --- create: validation -------------------------------------------------------------------


def _unknown_product_at_2(cat: Catalog) -> dict[str, Any]:
    line = {"product_id": cat.margherita.id, "count": 1}
    return flat_body(cat, products=[line, line, {"product_id": 999999, "count": 1}])


def _drop(body: dict[str, Any], key: str) -> dict[str, Any]:
    body.pop(key)
    return body


INVALID_BODIES: list[tuple[str, Any, str, str]] = [
    (
        "missing sale_type_id",
        lambda cat: _drop(flat_body(cat), "sale_type_id"),
        "sale_type_id",
        "The sale_type_id field is required",
    ),
    (
        "empty products",
        lambda cat: flat_body(cat, products=[]),
        "products",
        "The products field is invalid: at least one product is required",
    ),
    (
        "unknown product at index 2",
        _unknown_product_at_2,
        "products.2.product_id",
        "products.2.product_id: product 999999 does not exist",
    ),
    (
        "unknown modifier",
        lambda cat: flat_body(
            cat,
            products=[
                {
                    "product_id": cat.margherita.id,
                    "count": 1,
                    "modifiers": [{"modifier_id": cat.extra_cheese.id}, {"modifier_id": 999999}],
                }
            ],
        ),
        "products.0.modifiers.1.modifier_id",
        "products.0.modifiers.1.modifier_id: modifier 999999 does not exist",
    ),
    (
        "ingredient product",
        lambda cat: flat_body(cat, products=[{"product_id": cat.mozzarella.id, "count": 1}]),
        "products.0.product_id",
        "products.0.product_id: product {mozzarella} (Mozzarella) is of type INGREDIENT "
        "and cannot be sold",
    ),
    (
        "goods with variants",
        lambda cat: flat_body(cat, products=[{"product_id": cat.coca_cola.id, "count": 1}]),
        "products.0.product_id",
        "products.0.product_id: product {coca_cola} (Coca-Cola) has variants; "
        "order one of them ({coca_variants})",
    ),
    (
        "inactive product",
        lambda cat: flat_body(cat, products=[{"product_id": cat.soup.id, "count": 1}]),
        "products.0.product_id",
        "products.0.product_id: product {soup} (Seasonal Soup) is inactive",
    ),
    (
        "unknown sale type",
        lambda cat: flat_body(cat, sale_type_id=999999),
        "sale_type_id",
        "sale_type_id: sale type 999999 does not exist",
    ),
    (
        "unknown customer",
        lambda cat: flat_body(cat, customer={"id": 999999, "name": "X"}),
        "customer.id",
        "customer.id: customer 999999 does not exist",
    ),
    (
        "guest without a name",
        lambda cat: flat_body(cat, customer={"id": 0, "phone": "+994500000000"}),
        "customer.name",
        "customer.name: a guest order (customer id 0 or null) needs the customer's name",
    ),
    (
        "missing customer",
        lambda cat: _drop(flat_body(cat), "customer"),
        "customer",
        "The customer field is required",
    ),
    (
        "order_number of 21 characters",
        lambda cat: flat_body(cat, order_number="A" * 21),
        "order_number",
        "The order_number field is invalid: String should have at most 20 characters",
    ),
    (
        "zero count",
        lambda cat: flat_body(cat, products=[{"product_id": cat.margherita.id, "count": 0}]),
        "products.0.count",
        "The products.0.count field is invalid: must be greater than 0",
    ),
    (
        "missing count",
        lambda cat: flat_body(cat, products=[{"product_id": cat.margherita.id}]),
        "products.0.count",
        "The products.0.count field is required",
    ),
    (
        "negative price",
        lambda cat: flat_body(
            cat, products=[{"product_id": cat.margherita.id, "count": 1, "price": "-1"}]
        ),
        "products.0.price",
        "The products.0.price field is invalid: must not be negative",
    ),
    (
        "boolean product id",
        lambda cat: flat_body(cat, products=[{"product_id": True, "count": 1}]),
        "products.0.product_id",
        "The products.0.product_id field is invalid: must be a number, not a boolean",
    ),
    (
        "unknown discount type",
        lambda cat: flat_body(cat, discount={"discount_type": 3}),
        "discount.discount_type",
        "The discount.discount_type field is invalid: must be 0 (none), 1 (percent) or 2 (amount)",
    ),
    (
        "percentage above 100",
        lambda cat: flat_body(cat, discount={"discount_type": 1, "discount_value": 150}),
        "discount.discount_value",
        "discount.discount_value: a percentage discount must be 0–100",
    ),
    (
        "v1: missing service venue",
        lambda cat: {
            "customer_id": 0,
            "payload": {
                "service": {"sale_type_id": cat.takeaway},
                "customer": {"name": "Guest"},
                "products": [{"product_id": cat.margherita.id, "count": 1}],
            },
        },
        "payload.service.venue_id",
        "The payload.service.venue_id field is required",
    ),
    (
        "v1: unknown modificator",
        lambda cat: {
            "customer_id": 0,
            "payload": {
                "service": {"sale_type_id": cat.takeaway, "venue_id": 1},
                "customer": {"name": "Guest"},
                "products": [
                    {
                        "product_id": cat.margherita.id,
                        "count": 1,
                        "product_modificators": [{"modificator_id": 999999, "count": 1}],
                    }
                ],
            },
        },
        "payload.products.0.product_modificators.0.modificator_id",
        "payload.products.0.product_modificators.0.modificator_id: modifier 999999 does not exist",
    ),
    (
        "v1: payload is not an object",
        lambda cat: {"customer_id": 1, "payload": None},
        "payload",
        "The payload field is invalid: Input should be a valid dictionary or instance of V1Payload",
    ),
    (
        "body is a list",
        lambda cat: [flat_body(cat)],
        "body",
        "The request body must be a JSON object",
    ),
    (
        "non-JSON body",
        lambda cat: "sale_type_id=1",
        "body",
        "The request body is not valid JSON: Expecting value at character 0",
    ),
    (
        "NaN price",
        lambda cat: (
            '{"sale_type_id": 1, "venue_id": 1, "customer": {"name": "x"}, '
            '"products": [{"product_id": 1, "count": 1, "price": NaN}]}'
        ),
        "body",
        "The request body is not valid JSON: NaN and Infinity are not JSON numbers",
    ),
]


@pytest.mark.parametrize(
    ("case", "make", "field", "message"), INVALID_BODIES, ids=[c[0] for c in INVALID_BODIES]
)
async def test_create_rejects(
    client: httpx.AsyncClient,
    api: Api,
    cat: Catalog,
    case: str,
    make: Any,
    field: str,
    message: str,
) -> None:
    body = make(cat)
    if isinstance(body, list):
        body = json.dumps(body)
    expected = message.format(
        mozzarella=cat.mozzarella.id,
        coca_cola=cat.coca_cola.id,
        coca_variants=", ".join(str(v) for v in cat.coca_variants),
        soup=cat.soup.id,
    )
    response = await create(client, api, body)
    assert_invalid(response, api[0], field, expected)
    # Nothing was written.
    listed = await client.get(f"{api[0]}/orders", headers=api[1])
    assert listed.json()["total"] == 0


async def test_sale_type_disabled_at_the_venue(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    """Delivery is switched off at venue 2 (its status map says ``{"2": 0}``)."""
    response = await create(
        client, api, flat_body(cat, venue_id=2, sale_type_id=cat.delivery), **{"x-venue": "2"}
    )
    assert_invalid(
        response,
        api[0],
        "sale_type_id",
        f"sale_type_id: sale type {cat.delivery} (Delivery) is not enabled at venue 2",
    )
    nested = v1_example(cat)
    nested["payload"]["service"]["venue_id"] = 2
    response = await create(client, api, nested, **{"x-venue": "2"})
    assert_invalid(
        response,
        api[0],
        "payload.service.sale_type_id",
        f"payload.service.sale_type_id: sale type {cat.delivery} (Delivery) "
        "is not enabled at venue 2",
    )
    # Takeaway is on at both venues: the same order for takeaway goes through.
    order = await create_ok(client, api, flat_body(cat, venue_id=2), **{"x-venue": "2"})
    assert order["venue_id"] == 2
    assert order["payload"]["service"]["venue_name"] == "Airport"


async def test_venue_must_match_x_venue(client: httpx.AsyncClient, api: Api, cat: Catalog) -> None:
    response = await create(client, api, flat_body(cat, venue_id=1), **{"x-venue": "2"})
    assert_invalid(
        response,
        api[0],
        "venue_id",
        "venue_id: venue 1 is not the venue of this request (x-venue 2); "
        "send x-venue: 1 to order for it",
    )


async def test_v2_without_x_venue_orders_for_any_venue_of_the_brand(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    order = await create_ok(client, (V2, v2), flat_body(cat, venue_id=2))
    assert order["venue_id"] == 2


async def test_venue_of_another_brand_does_not_exist(
    app: Any, client: httpx.AsyncClient, api: Api, other_v2: dict[str, str], cat: Catalog
) -> None:
    async with app.state.clopos.sessions() as session:
        other_venue = await session.scalar(
            select(Venue.id).join(Brand).where(Brand.slug == "otherbrand").order_by(Venue.id)
        )
        other_product = await session.scalar(
            select(Product.id)
            .join(Brand)
            .where(Brand.slug == "otherbrand", Product.name == "Margherita")
        )
    assert other_venue is not None and other_product is not None
    response = await create(client, api, flat_body(cat, venue_id=other_venue))
    assert_invalid(response, api[0], "venue_id", f"venue_id: venue {other_venue} does not exist")
    response = await create(
        client, api, flat_body(cat, products=[{"product_id": other_product, "count": 1}])
    )
    assert_invalid(
        response,
        api[0],
        "products.0.product_id",
        f"products.0.product_id: product {other_product} does not exist",
    )


# --- list ---------------------------------------------------------------------------------


async def _seed_orders(client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog) -> list[Any]:
    """Four orders through the v2 API: venue 1 ×3 (one with a customer), venue 2 ×1."""
    api = (V2, v2)
    made = [
        await create_ok(client, api, flat_body(cat)),
        await create_ok(
            client,
            api,
            flat_body(
                cat,
                sale_type_id=cat.dine_in,
                customer={"id": cat.customer.id},
                integration_id="ext-1",
            ),
        ),
        await create_ok(client, api, flat_body(cat, venue_id=2)),
        await create_ok(client, api, flat_body(cat, sale_type_id=cat.delivery)),
    ]
    return made


async def _ids(client: httpx.AsyncClient, api: Api, **params: Any) -> list[int]:
    response = await client.get(f"{api[0]}/orders", params=params, headers=api[1])
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["data"]]


async def test_list_envelope_and_default_order(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    made = await _seed_orders(client, v2, cat)
    response = await client.get(f"{V2}/orders", headers=v2)
    body = response.json()
    assert set(body) == {
        "success", "data", "total", "time", "timestamp", "unix", "sorts", "pagination"
    }  # fmt: skip
    assert body["total"] == 4
    assert body["sorts"] == ["created_at", "updated_at", "id"]
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 4, "total_pages": 1}
    # Newest first; the list items are the same objects GET /orders/{id} returns.
    assert [o["id"] for o in body["data"]] == [o["id"] for o in reversed(made)]
    assert body["data"][0] == made[-1]
    assert all(set(o) == ORDER_KEYS for o in body["data"])


async def test_list_sort_and_paging(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    api = (V2, v2)
    assert await _ids(client, api, **{"sort[0]": "id", "sort[1]": "1"}) == made
    assert await _ids(client, api, **{"sort[0]": "updated_at", "sort[1]": "-1"}) == made[::-1]
    assert await _ids(client, api, **{"sort[0]": "id", "sort[1]": "1", "limit": 3, "page": 2}) == [
        made[3]
    ]
    assert await _ids(client, api, limit=2) == [made[3], made[2]]
    bad = await client.get(f"{V2}/orders", params={"sort[0]": "total"}, headers=v2)
    assert bad.status_code == 400
    assert bad.json()["message"] == "The sort field must be one of: created_at, updated_at, id"
    over = await client.get(f"{V2}/orders", params={"limit": 101}, headers=v2)
    assert over.status_code == 400
    assert over.json()["message"] == "The 'limit' parameter must be between 1 and 100"


async def test_list_status_filter(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    ignored = await client.put(f"{V2}/orders/{made[0]}", json={"status": "IGNORE"}, headers=v2)
    assert ignored.status_code == 200
    async with app.state.clopos.sessions() as session:
        await session.execute(update(Order).where(Order.id == made[1]).values(status="DELIVERED"))
        await session.commit()
    api = (V2, v2)
    assert await _ids(client, api, status="IGNORE") == [made[0]]
    assert await _ids(client, api, status="DELIVERED") == [made[1]]
    assert await _ids(client, api, status="PENDING") == [made[3], made[2]]
    assert await _ids(client, api, status="RECEIVED") == []
    # v1 also knows the old words: cancelled → IGNORE, completed → DELIVERED (venue 1 only).
    assert await _ids(client, (V1, v1), status="cancelled") == [made[0]]
    assert await _ids(client, (V1, v1), status="completed") == [made[1]]
    assert await _ids(client, (V1, v1), status="pending") == [made[3]]
    # filters[N] on status takes a list.
    assert await _ids(
        client, api, **{"filters[0][0]": "status", "filters[0][1][0]": "IGNORE",
                        "filters[0][1][1]": "DELIVERED"}
    ) == [made[1], made[0]]  # fmt: skip
    v2_old_word = await client.get(f"{V2}/orders", params={"status": "cancelled"}, headers=v2)
    assert v2_old_word.status_code == 400
    assert v2_old_word.json() == {
        "success": False,
        "error": "invalid_parameter",
        "message": "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED",
        "details": {"parameter": "status", "provided_value": "cancelled"},
    }
    v1_bad = await client.get(f"{V1}/orders", params={"status": "NEW"}, headers=v1)
    assert v1_bad.status_code == 400
    code, message, _ = error_of(v1_bad, V1)
    assert code == "invalid_parameter"
    assert message == (
        "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED "
        "(or the v1 words pending, confirmed, completed, cancelled)"
    )


async def test_list_field_filters(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    api = (V2, v2)

    def f(field: str, value: Any) -> dict[str, Any]:
        return {"filters[0][0]": field, "filters[0][1]": value}

    assert await _ids(client, api, **f("venue_id", 2)) == [made[2]]
    assert await _ids(client, api, **f("sale_type_id", cat.dine_in)) == [made[1]]
    assert await _ids(client, api, **f("customer_id", cat.customer.id)) == [made[1]]
    assert await _ids(client, api, **f("integration_id", "ext-1")) == [made[1]]
    both = {
        "filters[0][0]": "venue_id", "filters[0][1]": "1",
        "filters[1][0]": "sale_type_id", "filters[1][1][0]": str(cat.takeaway),
        "filters[1][1][1]": str(cat.delivery),
    }  # fmt: skip
    assert await _ids(client, api, **both) == [made[3], made[0]]
    for params, hint in [
        (f("total", "1"), "filter fields are venue_id, sale_type_id, customer_id, status, "
                          "integration_id"),
        (f("venue_id", "main"), "venue_id takes integer ids"),
    ]:  # fmt: skip
        response = await client.get(f"{V2}/orders", params=params, headers=v2)
        assert response.status_code == 400
        body = response.json()
        assert body["error"] == "invalid_parameter"
        assert body["message"] == "Invalid filter parameters"
        assert body["details"]["hint"] == hint


async def test_list_date_range(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    last_month = utcnow() - timedelta(days=30)
    async with app.state.clopos.sessions() as session:
        await session.execute(
            update(Order).where(Order.id == made[0]).values(created_at=last_month)
        )
        await session.commit()
    api = (V2, v2)
    today = utcnow().date().isoformat()
    old_day = last_month.date().isoformat()
    assert await _ids(client, api, **{"date[0]": today, "date[1]": today}) == made[:0:-1]
    assert await _ids(client, api, **{"date[0]": old_day, "date[1]": old_day}) == [made[0]]
    assert await _ids(client, api, **{"date[1]": old_day}) == [made[0]]
    bad = await client.get(f"{V2}/orders", params={"date[0]": "yesterday"}, headers=v2)
    assert bad.status_code == 400
    assert bad.json()["message"] == "The 'date[0]' parameter must be a date in YYYY-MM-DD format"


async def test_list_with_customer_and_receipt(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    response = await client.get(
        f"{V2}/orders",
        params={"with[0]": "customer", "with[1]": "receipt", "sort[0]": "id", "sort[1]": "1"},
        headers=v2,
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert [o["id"] for o in data] == made
    assert data[0]["customer"] is None  # a guest
    assert data[1]["customer"]["id"] == cat.customer.id
    assert data[1]["customer"]["name"] == cat.customer.name
    assert ISO_MICRO.match(data[1]["customer"]["created_at"])
    assert all(o["receipt"] is None for o in data)
    plain = await client.get(f"{V2}/orders", headers=v2)
    assert all("receipt" not in o and "customer" not in o for o in plain.json()["data"])
    unknown = await client.get(f"{V2}/orders", params={"with[]": "items"}, headers=v2)
    assert unknown.status_code == 400
    assert unknown.json()["message"] == (
        f"Unknown relation in with[]: 'items'; use customer or {RECEIPT_WITH}"
    )


async def test_list_is_venue_scoped_by_x_venue(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], cat: Catalog
) -> None:
    made = [o["id"] for o in await _seed_orders(client, v2, cat)]
    # v2 without x-venue: the whole brand; with x-venue: that venue only.
    assert sorted(await _ids(client, (V2, v2))) == sorted(made)
    assert await _ids(client, (V2, {**v2, "x-venue": "2"})) == [made[2]]
    # v1 always names a venue (x-venue 1 here).
    assert await _ids(client, (V1, v1)) == [made[3], made[1], made[0]]
    assert await _ids(client, (V1, {**v1, "x-venue": "2"})) == [made[2]]


# --- get ----------------------------------------------------------------------------------


async def test_get_with_receipt(client: httpx.AsyncClient, api: Api, cat: Catalog) -> None:
    prefix, headers = api
    order = await create_ok(client, api, flat_body(cat))
    url = f"{prefix}/orders/{order['id']}"
    plain = await client.get(url, headers=headers)
    assert plain.status_code == 200
    assert set(plain.json()) == {"success", "data", "time", "timestamp", "unix"}
    assert "receipt" not in plain.json()["data"]
    for query in [
        {"with[0]": RECEIPT_WITH},  # httpx percent-encodes ':' and ','
        {"with_": "receipt:id"},  # the existing client
        {"with_": "status"},  # …which also sends the columns as separate options
        {"with[]": "receipt"},
    ]:
        response = await client.get(url, params=query, headers=headers)
        assert response.status_code == 200, (query, response.text)
        data = response.json()["data"]
        assert data["receipt"] is None, query
        assert {k: v for k, v in data.items() if k != "receipt"} == order
    raw = await client.get(
        f"{url}?with[0]=receipt%3Aid%2Cservice_notification_id%2Cstatus", headers=headers
    )
    assert raw.json()["data"]["receipt"] is None


async def test_get_not_found(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str], cat: Catalog
) -> None:
    venue_two = await create_ok(client, (V2, v2), flat_body(cat, venue_id=2))
    for path in ["999999", "abc", "0", "99999999999", str(venue_two["id"])]:
        v2_response = await client.get(f"{V2}/orders/{path}", headers={**v2, "x-venue": "1"})
        assert v2_response.status_code == 404, path
        assert v2_response.json() == {
            "success": False,
            "error": "resource_not_found",
            "message": "Order not found",
        }
        v1_response = await client.get(f"{V1}/orders/{path}", headers=v1)
        assert v1_response.status_code == 404, path
        assert v1_response.json() == {
            "success": False,
            "message": "Order not found",
            "error": [
                {
                    "message": "Order not found",
                    "type": "resource_not_found",
                    "exception": "NotFoundHttpException",
                    "code": 0,
                    "http_code": 404,
                }
            ],
        }
    # Without x-venue a v2 token sees the order of venue 2.
    assert (await client.get(f"{V2}/orders/{venue_two['id']}", headers=v2)).status_code == 200


# --- put ----------------------------------------------------------------------------------


async def test_put_ignore(client: httpx.AsyncClient, api: Api, cat: Catalog) -> None:
    prefix, headers = api
    order = await create_ok(client, api, flat_body(cat))
    url = f"{prefix}/orders/{order['id']}"
    response = await client.put(url, json={"status": "IGNORE"}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "time", "timestamp", "unix"}
    data = body["data"]
    assert set(data) == ORDER_KEYS
    assert data["status"] == "IGNORE"
    assert data["payload"] == order["payload"]  # the existing client requires payload
    assert data["updated_at"] >= order["updated_at"]
    assert (await client.get(url, headers=headers)).json()["data"] == data
    # Ignoring again changes nothing and still answers 200; the repeated id is tolerated.
    again = await client.put(url, json={"id": order["id"], "status": "IGNORE"}, headers=headers)
    assert again.status_code == 200
    assert again.json()["data"] == data


REFUSED_PUTS: list[tuple[str, Any, str]] = [
    ("RECEIVED", {"status": "RECEIVED"}, "status 'RECEIVED' cannot be set"),
    ("lowercase", {"status": "ignore"}, "status 'ignore' cannot be set"),
    ("extra field", {"status": "IGNORE", "comment": "x"}, "only status may be sent"),
    ("empty object", {}, "status None cannot be set"),
    ("other id", {"id": 999999, "status": "IGNORE"}, "id 999999 in the body does not match"),
    ("not an object", ["IGNORE"], "the body must be the JSON object"),
]


@pytest.mark.parametrize(("case", "body", "reason"), REFUSED_PUTS, ids=[c[0] for c in REFUSED_PUTS])
async def test_put_refuses(
    client: httpx.AsyncClient, api: Api, cat: Catalog, case: str, body: Any, reason: str
) -> None:
    prefix, headers = api
    order = await create_ok(client, api, flat_body(cat))
    url = f"{prefix}/orders/{order['id']}"
    response = await client.put(url, json=body, headers=headers)
    assert response.status_code == 400, response.text
    code, message, details = error_of(response, prefix)
    assert (code, message) == ("validation_failed", "Status is not allowed")
    assert details["allowed"] == ["IGNORE"]
    assert details["reason"].startswith(reason), details
    assert (await client.get(url, headers=headers)).json()["data"]["status"] == "PENDING"


async def test_put_exact_v2_body_and_unknown_order(
    client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    order = await create_ok(client, (V2, v2), flat_body(cat))
    response = await client.put(
        f"{V2}/orders/{order['id']}", json={"status": "DELIVERED"}, headers=v2
    )
    assert response.json() == {
        "success": False,
        "error": "validation_failed",
        "message": "Status is not allowed",
        "details": {
            "field": "status",
            "allowed": ["IGNORE"],
            "reason": "status 'DELIVERED' cannot be set; the only allowed value is IGNORE",
        },
    }
    missing = await client.put(f"{V2}/orders/999999", json={"status": "IGNORE"}, headers=v2)
    assert missing.status_code == 404
    assert missing.json()["message"] == "Order not found"
    not_json = await client.put(
        f"{V2}/orders/{order['id']}",
        content=b"status=IGNORE",
        headers={**v2, "content-type": "application/json"},
    )
    assert not_json.status_code == 400
    assert not_json.json()["message"] == (
        "The request body is not valid JSON: Expecting value at character 0"
    )


@pytest.mark.parametrize("current", ["RECEIVED", "DELIVERED"])
async def test_put_cannot_ignore_an_accepted_order(
    app: Any, client: httpx.AsyncClient, api: Api, cat: Catalog, current: str
) -> None:
    prefix, headers = api
    order = await create_ok(client, api, flat_body(cat))
    async with app.state.clopos.sessions() as session:
        await session.execute(update(Order).where(Order.id == order["id"]).values(status=current))
        await session.commit()
    response = await client.put(
        f"{prefix}/orders/{order['id']}", json={"status": "IGNORE"}, headers=headers
    )
    assert response.status_code == 400
    code, message, _ = error_of(response, prefix)
    assert code == "validation_failed"
    assert message == f"Order is already {current} and cannot be ignored"


async def test_ignore_loses_the_race_to_the_till(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], cat: Catalog
) -> None:
    """The PUT reads PENDING, the till accepts before the PUT writes: the PUT must not
    overwrite RECEIVED (compare-and-set on the status), and answers 400."""
    from clopos.server.domain.orders import ignore_order
    from clopos.server.errors import ValidationFailed
    from clopos.server.store.repositories import orders as repo

    created = await create_ok(client, (V2, v2), flat_body(cat))
    async with app.state.clopos.sessions() as put_session:
        order = await repo.order_of_brand(put_session, cat.brand_id, created["id"])
        assert order is not None and ignore_order(order) is True  # still PENDING here
        async with app.state.clopos.sessions() as till_session:
            await till_session.execute(
                update(Order).where(Order.id == order.id).values(status="RECEIVED")
            )
            await till_session.commit()
        changed = await repo.change_status(put_session, order, source="PENDING", target="IGNORE")
        assert changed is False
        assert order.status == "RECEIVED"  # reloaded
        with pytest.raises(ValidationFailed):
            ignore_order(order)
        await put_session.commit()
    shown = await client.get(f"{V2}/orders/{created['id']}", headers=v2)
    assert shown.json()["data"]["status"] == "RECEIVED"


# --- auto accept ----------------------------------------------------------------------------


async def test_auto_order_accept_opens_the_receipt(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    prefix, headers = api
    body = v1_example(cat)
    body["payload"]["auto_order_accept"] = True
    order = await create_ok(client, api, body)
    assert order["status"] == "RECEIVED"
    assert isinstance(order["receipt_id"], int)
    shown = await client.get(
        f"{prefix}/orders/{order['id']}", params={"with[0]": RECEIPT_WITH}, headers=headers
    )
    assert shown.json()["data"]["receipt"] == {
        "id": order["receipt_id"],
        "service_notification_id": order["id"],
        "status": 1,
    }
    # The create answer is what is stored (updated_at included, after the receipt link).
    assert {k: v for k, v in shown.json()["data"].items() if k != "receipt"} == order
    flat = await create_ok(client, api, flat_body(cat, auto_order_accept=True))
    assert flat["status"] == "RECEIVED" and flat["receipt_id"] is not None
    # An accepted order can no longer be ignored by the integration.
    refused = await client.put(
        f"{prefix}/orders/{flat['id']}", json={"status": "IGNORE"}, headers=headers
    )
    assert refused.status_code == 400


# --- idempotency and isolation ---------------------------------------------------------------


async def test_idempotency_key_replays_the_create(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    prefix, headers = api
    first = await create(client, api, flat_body(cat), **{"Idempotency-Key": "order-1"})
    assert first.status_code in (200, 201)
    assert "Idempotent-Replayed" not in first.headers
    again = await create(client, api, flat_body(cat), **{"Idempotency-Key": "order-1"})
    assert again.status_code == first.status_code
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    listed = await client.get(f"{prefix}/orders", headers=headers)
    assert listed.json()["total"] == 1
    other = await create(
        client, api, flat_body(cat, comment="different"), **{"Idempotency-Key": "order-1"}
    )
    assert other.status_code == 422
    code, _, _ = error_of(other, prefix)
    assert code == "idempotency_key_reused"
    # A failed create does not burn its key: fixed and retried, it goes through.
    bad = await create(
        client, api, flat_body(cat, sale_type_id=999999), **{"Idempotency-Key": "k2"}
    )
    assert bad.status_code == 400
    fixed = await create(client, api, flat_body(cat), **{"Idempotency-Key": "k2"})
    assert fixed.status_code == first.status_code, fixed.text
    assert "Idempotent-Replayed" not in fixed.headers
    assert fixed.json()["data"]["id"] != first.json()["data"]["id"]


async def test_other_brand_sees_nothing(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str], cat: Catalog
) -> None:
    order = await create_ok(client, (V2, v2), flat_body(cat))
    url = f"{V2}/orders/{order['id']}"
    assert (await client.get(url, headers=other_v2)).status_code == 404
    put = await client.put(url, json={"status": "IGNORE"}, headers=other_v2)
    assert put.status_code == 404
    listed = await client.get(f"{V2}/orders", headers=other_v2)
    assert listed.json()["total"] == 0 and listed.json()["data"] == []
    assert (await client.get(url, headers=v2)).json()["data"]["status"] == "PENDING"


async def test_timestamps_are_iso_micro_and_utc(
    client: httpx.AsyncClient, api: Api, cat: Catalog
) -> None:
    before = utcnow().replace(microsecond=0)
    order = await create_ok(client, api, flat_body(cat))
    created = datetime.strptime(order["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert before <= created <= utcnow()
