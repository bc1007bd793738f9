"""Round trips through the unified mapping, property-based (hypothesis).

1. unified create → Clopos ``POST /orders`` body (v1 nested and v2 flat) → the server's own
   pure body reader, order builder and presenter (``clopos.server.domain.orders``) → JSON on
   the wire → unified read: every storable field comes back as sent.
2. Any Clopos order/receipt → unified Order: the legacy apideck SDK parses it, the result is
   a valid request body again, and echoing it as a PATCH changes nothing.
"""

from __future__ import annotations

import json
import string
from datetime import datetime
from decimal import Decimal
from typing import Any

import apideck
from apideck.api_client import ApiClient
from apideck.model.get_order_response import GetOrderResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clopos._json import dumps
from clopos.client import _endpoints
from clopos.server.domain.orders import References, build_order, present_order, read_order_body
from clopos.server.store.models import Customer, Modifier, Order, Product, SaleType, Venue
from clopos.unified.mapping import (
    Catalog,
    create_fingerprint,
    create_payload,
    order_to_unified,
    plan_update,
)
from clopos.unified.schema import parse_order_body

# --- one catalog, as ORM rows (the server side) and as Open API JSON (the unified side) ---

VENUE = Venue(id=1, name="Main")
SALE_TYPES = {
    1: SaleType(id=1, name="Dine-in", system_type="IN", status={"1": 1}, position=1),
    2: SaleType(id=2, name="Takeaway", system_type="TAKEAWAY", status={"1": 1}, position=2),
    3: SaleType(id=3, name="Delivery", system_type="DELIVERY", status={"1": 1}, position=3),
}
PRODUCTS = {
    11: Product(id=11, name="Margherita", type="DISH", price=Decimal("8.50")),
    12: Product(id=12, name="Espresso", type="DISH", price=Decimal("2.00")),
    13: Product(id=13, name="Ayran", type="GOODS", price=Decimal("1.25")),
    14: Product(id=14, name="Plov Şah", type="DISH", price=Decimal("14.90")),
}
for _product in PRODUCTS.values():
    _product.status = 1
    _product.discountable = True
    _product.ignore_service_charge = False
    _product.category_id = 3
    _product.station_id = 1
MODIFIERS = {
    3: Modifier(id=3, group_id=9, name="Extra cheese", price=Decimal("1.50")),
    4: Modifier(id=4, group_id=9, name="Olives", price=Decimal("0.80")),
    5: Modifier(id=5, group_id=10, name="Sugar", price=Decimal("0")),
}
CUSTOMERS = {
    1: Customer(id=1, name="Rahid Akhundzada", phone="+994705401040", address="123 Main St"),
    2: Customer(id=2, name="Leyla", phone=None, address=None),
}

CATALOG = Catalog.build(
    products=[
        {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "status": 1,
            "price": p.price,
            "category_id": 3,
            "station_id": 1,
            "modificator_groups": [
                {
                    "id": group,
                    "name": f"Group {group}",
                    "modificators": [
                        {"id": m.id, "name": m.name, "price": m.price}
                        for m in MODIFIERS.values()
                        if m.group_id == group
                    ],
                }
                for group in (9, 10)
            ],
        }
        for p in PRODUCTS.values()
    ],
    sale_types=[
        {
            "id": s.id,
            "name": s.name,
            "system_type": s.system_type,
            "status": s.status,
            "position": s.position,
        }
        for s in SALE_TYPES.values()
    ],
    venues=[{"id": 1, "name": "Main"}],
)

MERCHANT = "openapitest"


def stored_order(clopos_body: dict[str, Any], order_id: int) -> dict[str, Any]:
    """What the Clopos server stores and returns for ``clopos_body`` (GET /orders/{id}),
    built with the server's pure functions, through JSON both ways."""
    draft = read_order_body(dumps(clopos_body))
    refs = References(
        venue=VENUE if draft.venue_id == VENUE.id else None,
        sale_type=SALE_TYPES.get(draft.sale_type_id),
        customer=CUSTOMERS.get(draft.customer.id) if draft.customer.id else None,
        products=PRODUCTS,
        modifiers=MODIFIERS,
    )
    built = build_order(draft, refs, venue_scope=None)
    moment = datetime(2026, 2, 2, 13, 45, 53, 250000)
    # The same columns clopos.server.store.repositories.orders.create_order fills.
    order = Order(
        id=order_id,
        venue_id=built.payload["service"]["venue_id"],
        type="CALL_CENTER_ORDER",
        integration="call_center_new",
        integration_uuid=draft.integration_uuid,
        integration_id=draft.integration_id,
        customer_ref_id=draft.customer_ref_id,
        integration_status="CREATED",
        status="PENDING",
        payload=built.payload,
        integration_response=None,
        customer_id=built.customer_id,
        sale_type_id=built.payload["sale_type_id"],
        order_number=draft.order_number,
        total=built.total,
        receipt_id=None,
        created_at=moment,
        updated_at=moment,
    )
    wire: dict[str, Any] = json.loads(dumps(present_order(order)), parse_float=Decimal)
    return wire


# --- strategies ---------------------------------------------------------------------------

WORD = st.text(alphabet=string.ascii_letters + "əğışçöüƏĞİŞÇÖÜ", min_size=1, max_size=12)
TEXT = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
CODE = st.text(alphabet=string.ascii_uppercase + string.digits + "-", min_size=1, max_size=20)
MINOR = st.integers(min_value=0, max_value=5_000_000)
# unit_price may be fractional minor units (Apideck's own example: 27500.5).
UNIT_PRICE = st.one_of(
    MINOR,
    st.decimals(min_value=0, max_value=100000, places=1, allow_nan=False, allow_infinity=False),
)


@st.composite
def line_items(draw: st.DrawFn, index: int) -> tuple[dict[str, Any], dict[str, Any] | None, int]:
    """A line item, an optional pass_through entry naming its product, and that product."""
    product_id = draw(st.sampled_from(sorted(PRODUCTS)))
    name = PRODUCTS[product_id].name
    how = draw(st.sampled_from(["item", "name", "pass_through"]))
    line: dict[str, Any] = {"item": {}, "quantity": draw(st.integers(min_value=1, max_value=5))}
    extra = None
    if how == "item":
        line["item"] = {"id": str(product_id)}
        if draw(st.booleans()):
            line["name"] = draw(TEXT)
    elif how == "name":
        line["name"] = draw(st.sampled_from([name, name.upper(), name.lower()]))
    else:
        line["name"] = draw(TEXT)
        extra = {"path": f"$.payload.products[{index}].product_id", "value": product_id}
    if draw(st.booleans()):
        line["unit_price"] = draw(UNIT_PRICE)
    modifiers = draw(st.lists(st.sampled_from(sorted(MODIFIERS)), max_size=4))
    priced = draw(st.booleans())
    line["modifiers"] = [
        {"id": str(m), **({"amount": int(MODIFIERS[m].price * 100) + 10} if priced else {})}
        for m in modifiers
    ]
    return line, extra, product_id


@st.composite
def create_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], list[int]]:
    body: dict[str, Any] = {"merchant_id": MERCHANT, "location_id": "1"}
    customer_id = draw(st.sampled_from([1, 2]))
    customer: dict[str, Any] = {"id": str(customer_id)}
    if draw(st.booleans()):
        customer["first_name"] = draw(WORD)
        if draw(st.booleans()):
            customer["last_name"] = " ".join(draw(st.lists(WORD, min_size=1, max_size=2)))
    if draw(st.booleans()):
        customer["phone_numbers"] = [
            {"number": draw(st.from_regex(r"\+994[0-9]{9}", fullmatch=True))}
        ]
    if draw(st.booleans()):
        body["customer_id"] = str(customer_id)
    body["customers"] = [customer]
    fulfillment_type = draw(st.sampled_from([None, "pickup", "shipment"]))
    if fulfillment_type is not None:
        fulfillment: dict[str, Any] = {"type": fulfillment_type}
        if draw(st.booleans()):
            fulfillment["pickup_details"] = {"recipient": {"address": {"string": draw(TEXT)}}}
        body["fulfillments"] = [fulfillment]
    elif draw(st.booleans()):
        body["order_type_id"] = str(draw(st.sampled_from(sorted(SALE_TYPES))))
    if draw(st.booleans()):
        body["note"] = draw(TEXT)
    if draw(st.booleans()):
        body["reference_id"] = draw(CODE)
    if draw(st.booleans()):
        body["order_number"] = draw(CODE)
    drawn = [draw(line_items(i)) for i in range(draw(st.integers(min_value=1, max_value=4)))]
    body["line_items"] = [line for line, _, _ in drawn]
    paths = [extra for _, extra, _ in drawn if extra is not None]
    if paths:
        body["pass_through"] = [{"service_id": "clopos", "extend_paths": paths}]
    discount = draw(st.sampled_from([None, "percentage", "flat_fee"]))
    if discount == "percentage":
        body["discounts"] = [{"type": "percentage", "name": f"{draw(st.integers(0, 100))}%"}]
    elif discount == "flat_fee":
        body["discounts"] = [{"type": "flat_fee", "amount": draw(MINOR)}]
    charges = []
    if draw(st.booleans()):
        rate = draw(st.decimals(min_value=0, max_value=30, places=1, allow_nan=False))
        charges.append({"name": "Service", "percentage": rate, "type": "custom"})
    if draw(st.booleans()):
        charges.append({"name": "Delivery fee", "amount": draw(MINOR), "type": "custom"})
    if charges:
        body["service_charges"] = charges
    return body, [product_id for _, _, product_id in drawn]


# --- 1. create → store → read keeps every storable field ---------------------------------

# ``clopos.client`` create_order keyword arguments; anything else goes in ``extra``.
SDK_CREATE_ARGUMENTS = frozenset(
    {
        "sale_type_id",
        "venue_id",
        "customer",
        "products",
        "auto_accept_terminal",
        "auto_order_accept",
        "auto_order_sent_to_station",
        "delivery_fee",
        "comment",
        "discount",
        "service_charge",
        "order_number",
        "customer_id",
        "payload",
        "meta",
    }
)


def minor(value: Decimal) -> int | Decimal:
    scaled = value * 100
    return int(scaled) if scaled == scaled.to_integral_value() else scaled.normalize()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=create_bodies(), api_version=st.sampled_from(["v1", "v2"]))
def test_create_store_read_keeps_every_storable_field(
    case: tuple[dict[str, Any], list[int]], api_version: str
) -> None:
    body, product_ids = case
    clopos_body = create_payload(
        body, api_version=api_version, merchant_id=MERCHANT, catalog=CATALOG
    )
    assert ("payload" in clopos_body) is (api_version == "v1")
    # The SDK call the routes make accepts it as it is (its own request-body checks).
    sdk_kwargs = {k: v for k, v in clopos_body.items() if k in SDK_CREATE_ARGUMENTS}
    extra = {k: v for k, v in clopos_body.items() if k not in SDK_CREATE_ARGUMENTS}
    sent = _endpoints.create_order(**sdk_kwargs, extra=extra or None, version=api_version)
    assert sent.json == clopos_body
    wire = stored_order(clopos_body, order_id=108)
    out = order_to_unified(wire, None, merchant_id=MERCHANT, catalog=CATALOG, created_via_api=True)

    assert out["id"] == "108"
    assert (out["merchant_id"], out["location_id"]) == (MERCHANT, "1")
    assert (out["status"], out["payment_status"], out["source"]) == ("open", "open", "api")
    customer = body["customers"][0]
    assert out["customer_id"] == customer["id"]
    (read_customer,) = out["customers"]
    assert read_customer["id"] == customer["id"]
    known = CUSTOMERS[int(customer["id"])]
    if "first_name" in customer:
        assert read_customer["first_name"] == customer["first_name"]
        assert read_customer["last_name"] == customer.get("last_name")
    else:
        assert (
            f"{read_customer['first_name']} {read_customer['last_name'] or ''}".strip()
            == known.name
        )
    phone = customer["phone_numbers"][0]["number"] if "phone_numbers" in customer else known.phone
    assert read_customer["phone_numbers"] == (
        [{"number": phone, "type": "primary"}] if phone else []
    )

    fulfillment = body.get("fulfillments", [{}])[0]
    (read_fulfillment,) = out["fulfillments"]
    assert read_fulfillment["status"] == "proposed"
    if fulfillment.get("type"):
        assert read_fulfillment["type"] == fulfillment["type"]
        assert out["order_type_id"] == ("3" if fulfillment["type"] == "shipment" else "2")
    else:
        assert out["order_type_id"] == body.get("order_type_id", "1")
    address = (
        fulfillment.get("pickup_details", {}).get("recipient", {}).get("address", {}).get("string")
    )
    recipient = read_fulfillment["pickup_details"].get("recipient", {})
    assert recipient.get("address", {}).get("string") == (address or known.address)

    assert out.get("note") == body.get("note")
    assert out["reference_id"] == body.get("reference_id")
    assert out["order_number"] == body.get("order_number", "108")

    assert len(out["line_items"]) == len(body["line_items"])
    for sent, read, product_id in zip(
        body["line_items"], out["line_items"], product_ids, strict=True
    ):
        assert read["item"] == {"id": str(product_id)}
        assert read["name"] == sent.get("name", PRODUCTS[product_id].name)
        assert read["quantity"] == sent["quantity"]
        expected_price = sent.get("unit_price", minor(PRODUCTS[product_id].price))
        assert Decimal(read["unit_price"]) == Decimal(expected_price)
        sent_modifiers = sorted(
            (m["id"], m.get("amount", minor(MODIFIERS[int(m["id"])].price)))
            for m in sent["modifiers"]
        )
        assert sorted((m["id"], m["amount"]) for m in read["modifiers"]) == sent_modifiers
        for modifier in read["modifiers"]:
            assert modifier["name"] == MODIFIERS[int(modifier["id"])].name
            assert modifier["modifier_group_id"] == str(MODIFIERS[int(modifier["id"])].group_id)

    sent_discount = (body.get("discounts") or [None])[0]
    if sent_discount is None:
        assert out["discounts"] == []
    elif sent_discount["type"] == "flat_fee" and sent_discount["amount"] > 0:
        assert [(d["type"], d["amount"]) for d in out["discounts"]] == [
            ("flat_fee", sent_discount["amount"])
        ]
    elif sent_discount["type"] == "percentage" and sent_discount["name"] != "0%":
        assert [(d["type"], d["name"]) for d in out["discounts"]] == [
            ("percentage", sent_discount["name"])
        ]
    charges = {c["name"]: c for c in out["service_charges"]}
    for sent_charge in body.get("service_charges", []):
        if sent_charge["name"] == "Delivery fee":
            assert charges.get("Delivery fee", {}).get("amount", 0) == sent_charge["amount"]
        elif sent_charge["percentage"]:
            assert Decimal(charges["Service charge"]["percentage"]) == sent_charge["percentage"]
    # The order total is the server's own figure, in minor units.
    assert out["total_amount"] == int(Decimal(wire["payload"]["meta"]["orderTotal"]) * 100)
    # What we read back is itself a valid body, parsed by the strict legacy SDK.
    parse_order_body(json.loads(dumps(out)))
    _legacy_parse(out)


@settings(max_examples=60, deadline=None)
@given(case=create_bodies())
def test_both_api_versions_store_the_same_order(case: tuple[dict[str, Any], list[int]]) -> None:
    body, _ = case
    v1 = stored_order(create_payload(body, api_version="v1", catalog=CATALOG), 5)
    v2 = stored_order(create_payload(body, api_version="v2", catalog=CATALOG), 5)
    assert v1 == v2


# --- 2. any Clopos data → a valid, parseable, echo-stable unified Order ------------------

MONEY = st.one_of(
    st.integers(min_value=0, max_value=10**7),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False).map(
        str
    ),
    st.floats(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False).map(
        lambda f: round(f, 2)
    ),
)
RECEIPT_STATUS = st.sampled_from(
    [None, "NEW", "SCHEDULED", "IN_PROGRESS", "READY", "PICKED_UP", "COMPLETED", "CANCELLED"]
)
STAMP = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)


@st.composite
def clopos_records(draw: st.DrawFn) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    with_order = draw(st.booleans())
    with_receipt = not with_order or draw(st.booleans())
    order = None
    if with_order:
        order = {
            "id": draw(st.integers(1, 10**6)),
            "venue_id": 1,
            "status": draw(st.sampled_from(["PENDING", "RECEIVED", "IGNORE", "DELIVERED"])),
            "integration_id": draw(st.one_of(st.none(), CODE)),
            "payload": {
                "delivery_fee": draw(MONEY),
                "service": {"sale_type_id": draw(st.sampled_from([1, 2, 3])), "venue_id": 1},
                "customer": {
                    "id": draw(st.sampled_from([0, 1, 2])),
                    "name": draw(st.one_of(st.none(), TEXT)),
                    "phone": None,
                },
                "products": [
                    {
                        "product_id": draw(st.sampled_from(sorted(PRODUCTS))),
                        "count": draw(st.integers(1, 4)),
                        "portion_size": draw(st.sampled_from([1, Decimal("0.5"), 2])),
                        "product_modificators": [
                            {"modificator_id": m, "count": draw(st.integers(1, 3))}
                            for m in draw(st.lists(st.sampled_from(sorted(MODIFIERS)), max_size=2))
                        ],
                        "meta": {"price": draw(MONEY)},
                    }
                    for _ in range(draw(st.integers(0, 3)))
                ],
                "meta": {
                    "comment": draw(st.one_of(st.just(""), TEXT)),
                    "discount": {
                        "discount_type": draw(st.sampled_from([0, 1, 2])),
                        "discount_value": draw(st.integers(0, 100)),
                    },
                    "apply_service_charge": draw(st.booleans()),
                    "service_charge_value": draw(st.integers(0, 20)),
                },
            },
            "created_at": "2026-02-02T13:45:53.000000Z",
            "updated_at": "2026-02-02T17:46:02.000000Z",
        }
    receipt = None
    if with_receipt:
        methods = [
            {
                "id": draw(st.sampled_from([1, 2, 3])),
                "name": draw(st.sampled_from(["Cash", "Card", "Bonus"])),
                "amount": draw(MONEY),
            }
            for _ in range(draw(st.integers(0, 3)))
        ]
        closed = draw(st.booleans())
        receipt = {
            "id": draw(st.integers(1, 10**6)),
            "venue_id": 1,
            "cid": "c-1",
            "service_notification_id": order["id"] if order else None,
            "user_id": draw(st.one_of(st.none(), st.integers(1, 9))),
            "table_id": draw(st.one_of(st.none(), st.integers(1, 9))),
            "customer_id": draw(st.one_of(st.none(), st.integers(1, 3))),
            "sale_type_id": draw(st.sampled_from([1, 2, 3])),
            "source": draw(st.sampled_from([None, "web", "pos", "api"])),
            "is_returns": draw(st.booleans()),
            "status": 2 if closed else 1,
            "lock": draw(st.booleans()),
            "order_status": draw(RECEIPT_STATUS),
            "order_number": draw(st.one_of(st.none(), CODE)),
            "description": draw(st.one_of(st.none(), TEXT)),
            "total": draw(MONEY),
            "total_tax": draw(MONEY),
            "total_discount": draw(MONEY),
            "service_charge": draw(st.integers(0, 20)),
            "service_charge_value": draw(MONEY),
            "delivery_fee": draw(MONEY),
            "discount_type": draw(st.sampled_from([0, 1, 2])),
            "discount_value": draw(MONEY),
            "discount_rate": draw(st.integers(0, 100)),
            "i_tax": draw(MONEY),
            "e_tax": draw(MONEY),
            "by_cash": draw(MONEY),
            "by_card": draw(MONEY),
            "payment_methods": methods,
            "meta": draw(
                st.sampled_from([{}, {"customer": {"name": "Aysel Quliyeva", "phone": "+99455"}}])
            ),
            "created_at": draw(STAMP),
            "updated_at": draw(STAMP),
            "closed_at": draw(STAMP) if closed else None,
            "deleted_at": None,
            "properties": {"daily_id": draw(st.integers(1, 99))},
            "receipt_products": [
                {
                    "id": draw(st.integers(1, 10**6)),
                    "product_id": draw(st.sampled_from(sorted(PRODUCTS))),
                    "meta": {"product": {"name": draw(TEXT)}},
                    "count": draw(st.integers(1, 4)),
                    "portion_size": 1,
                    "price": draw(MONEY),
                    "total": draw(MONEY),
                    "total_discount": draw(MONEY),
                    "taxes": [],
                    "receipt_product_modificators": [],
                }
                for _ in range(draw(st.integers(0, 2)))
            ],
        }
    return order, receipt


_LEGACY = ApiClient(apideck.Configuration(host="http://127.0.0.1"))


class _Answer:
    def __init__(self, data: str) -> None:
        self.data = data
        self.status = 200

    def getheader(self, name: str, default: Any = None) -> str:
        return "application/json"

    def getheaders(self) -> dict[str, str]:
        return {}


def _legacy_parse(order: dict[str, Any]) -> Any:
    envelope = {
        "status_code": 200,
        "status": "OK",
        "service": "clopos",
        "resource": "orders",
        "operation": "one",
        "data": order,
    }
    return _LEGACY.deserialize(_Answer(dumps(envelope).decode()), (GetOrderResponse,), True)


@settings(max_examples=200, deadline=None)
@given(records=clopos_records(), zone=st.sampled_from(["UTC", "Asia/Baku", "America/New_York"]))
def test_any_clopos_record_maps_to_a_valid_echo_stable_order(
    records: tuple[dict[str, Any] | None, dict[str, Any] | None], zone: str
) -> None:
    order, receipt = records
    current = order_to_unified(
        order, receipt, merchant_id=MERCHANT, catalog=CATALOG, time_zone=zone
    )
    assert current["status"] in ("open", "delivered", "completed", "voided")
    for key in ("total_amount", "total_discount", "total_refund", "total_service_charge"):
        assert current[key] is None or type(current[key]) is int
    wire = json.loads(dumps(current))
    _legacy_parse(wire)
    parse_order_body(wire)
    assert plan_update(current, order, receipt, wire, api_version="v1").noop


# --- 3. idempotency fingerprints ----------------------------------------------------------


def respell(value: Any) -> Any:
    """The same JSON with every number spelled differently: 2 → 2.00, 8.5 as a float."""
    if isinstance(value, dict):
        return {k: respell(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [respell(v) for v in value]
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal("0.00"))
    return float(value)


@settings(max_examples=100, deadline=None)
@given(case=create_bodies(), data=st.data())
def test_fingerprint_ignores_key_order_and_number_spelling(
    case: tuple[dict[str, Any], list[int]], data: st.DataObject
) -> None:
    body, _ = case
    shuffled = dict(data.draw(st.permutations(list(body.items()))))
    assert create_fingerprint(respell(shuffled)) == create_fingerprint(body)
    changed = {**body, "note": (body.get("note") or "") + "!"}
    assert create_fingerprint(changed) != create_fingerprint(body)
