"""Order bodies → stored payload, status rules and the presenter (clopos.server.domain.orders).

Pure: catalog rows are in-memory ORM objects, never a database.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from clopos.server.domain.orders import (
    OrderDraft,
    References,
    build_order,
    ignore_order,
    order_status,
    present_order,
    product_hash,
    read_order_body,
    read_status_update,
)
from clopos.server.errors import InvalidParameter, ValidationFailed
from clopos.server.store.models import (
    Customer,
    Modifier,
    Order,
    Product,
    Receipt,
    SaleType,
    Venue,
)


def product(pid: int, name: str, price: str, ptype: str = "DISH", **kw: Any) -> Product:
    values: dict[str, Any] = {
        "category_id": 3,
        "station_id": 1,
        "status": 1,
        "discountable": True,
        "ignore_service_charge": False,
    }
    values.update(kw)
    return Product(id=pid, name=name, type=ptype, price=Decimal(price), **values)


MARGHERITA = product(11, "Margherita", "8.50")
ESPRESSO = product(23, "Espresso", "2.00", station_id=2, category_id=10)
FLOUR = product(8, "Flour", "0", "INGREDIENT")
DOUGH = product(9, "Pizza Dough", "0", "PREPARATION")
COLA = product(29, "Coca-Cola", "0", "GOODS")
SOUP = product(40, "Seasonal Soup", "4.00", status=0)
CHEESE = Modifier(id=3, name="Extra cheese", price=Decimal("1.50"))
MAIN = Venue(id=1, name="Main")
AIRPORT = Venue(id=2, name="Airport")
TAKEAWAY = SaleType(id=2, name="Takeaway", status={"1": 1, "2": 1})
DELIVERY = SaleType(id=3, name="Delivery", status={"1": 1, "2": 0})
RAHID = Customer(id=5, name="Rahid Akhundzada", phone="+994705401040", address="123 Main St")


def refs(**overrides: Any) -> References:
    values: dict[str, Any] = {
        "venue": MAIN,
        "sale_type": TAKEAWAY,
        "customer": None,
        "products": {p.id: p for p in (MARGHERITA, ESPRESSO, FLOUR, DOUGH, COLA, SOUP)},
        "variant_parents": frozenset({COLA.id}),
        "variants_of": {COLA.id: [30, 31, 32]},
        "modifiers": {CHEESE.id: CHEESE},
    }
    values.update(overrides)
    return References(**values)


def flat(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sale_type_id": 2,
        "venue_id": 1,
        "customer": {"id": 0, "name": "Guest"},
        "products": [{"product_id": 11, "count": 2}],
    }
    body.update(overrides)
    return body


def draft_of(body: Any) -> OrderDraft:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return read_order_body(raw)


def failure(error: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    details = error.value.details or {}
    return details["field"], error.value.message


# --- product_hash -------------------------------------------------------------------------


def test_product_hash_matches_the_v1_example() -> None:
    # spec §11.4: "MTExODcsMTEyMDE=" is base64 of "11187,11201".
    assert product_hash(11187, [11201]) == "MTExODcsMTEyMDE="
    assert product_hash(51, []) == "NTE="


# --- reading bodies -----------------------------------------------------------------------


def test_flat_minimal_body_gets_the_documented_defaults() -> None:
    draft = draft_of(flat())
    assert (draft.venue_id, draft.sale_type_id) == (1, 2)
    assert draft.customer.id is None and draft.customer.sent_id == 0  # id 0 = guest
    (line,) = draft.lines
    assert line.count == Decimal(2)
    assert line.price is None and line.name is None and line.status is None
    assert line.product_hash is None and line.modifiers == ()
    assert line.portion_size == Decimal(1)
    assert line.field == "products.0.product_id"
    assert draft.comment == ""
    assert (draft.discount_type, draft.discount_value) == (0, Decimal(0))
    assert (draft.apply_service_charge, draft.service_charge_value) == (False, Decimal(0))
    assert draft.delivery_fee == Decimal(0)
    assert draft.auto_order_accept is False and draft.auto_order_sent_to_station is False


def test_numbers_keep_their_digits_and_may_be_strings() -> None:
    raw = (
        b'{"sale_type_id": "2", "venue_id": 1, "customer": {"name": "x"},'
        b'"products": [{"product_id": "11", "count": "1.50", "price": 8.50,'
        b'"modifiers": [{"modifier_id": 3, "price": "0.40", "count": 1E+1}]}],'
        b'"delivery_fee": "2.50"}'
    )
    draft = read_order_body(raw)
    (line,) = draft.lines
    assert draft.sale_type_id == 2
    assert str(line.price) == "8.50"
    assert str(line.count) == "1.50"
    assert str(line.modifiers[0].price) == "0.40"
    assert str(line.modifiers[0].count) == "10"  # exponent form is written back plainly
    assert str(draft.delivery_fee) == "2.50"


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        (b"", "body", "The request body is not valid JSON: Expecting value at character 0"),
        (b"[1]", "body", "The request body must be a JSON object"),
        (b"\xff{}", "body", "The request body is not valid JSON: it is not UTF-8 text"),
        (
            b"[" + b"9" * 5000 + b"]",
            "body",
            "The request body is not valid JSON: a number in it has too many digits",
        ),
        (b"[" * 100_000, "body", "The request body is not valid JSON: it is nested too deeply"),
        (
            b'{"sale_type_id": 1, "venue_id": 1, "customer": {"name": "x"},'
            b'"products": [{"product_id": 1, "count": Infinity}]}',
            "body",
            "The request body is not valid JSON: NaN and Infinity are not JSON numbers",
        ),
        (
            json.dumps(flat(products=[{"product_id": 11, "count": 1, "price": "1.1234567"}])),
            "products.0.price",
            "The products.0.price field is invalid: must have at most 6 decimal places",
        ),
        (
            json.dumps(flat(venue_id=2**31)),
            "venue_id",
            "The venue_id field is invalid: Input should be less than or equal to 2147483647",
        ),
        (
            json.dumps(flat(comment="a\x00b")),
            "comment",
            "The comment field is invalid: must not contain NUL characters",
        ),
    ],
)
def test_unreadable_bodies(raw: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        read_order_body(raw if isinstance(raw, bytes) else raw.encode())
    assert failure(error) == (field, message)


def v1_body(**meta_places: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": 5,
        "payload": {
            "service": {"sale_type_id": 2, "venue_id": 1},
            "customer": {"id": 5, "name": None, "phone": None, "customer_discount_type": None},
            "products": [
                {
                    "product_id": 11,
                    "count": 1,
                    "product_modificators": [{"modificator_id": 3, "count": 2}],
                    "meta": {"price": "9.00", "order_product": {"status": "completed"}},
                }
            ],
        },
    }
    if "top" in meta_places:
        body["meta"] = meta_places["top"]
    if "inner" in meta_places:
        body["payload"]["meta"] = meta_places["inner"]
    return body


def test_nested_body_is_detected_and_read() -> None:
    draft = draft_of(v1_body(top={"comment": "top", "discount": {"discount_type": 2}}))
    assert draft.venue_field == "payload.service.venue_id"
    assert draft.customer.id == 5 and draft.customer.field == "payload.customer"
    (line,) = draft.lines
    assert line.price == Decimal("9.00") and line.status == "completed"
    assert line.field == "payload.products.0.product_id"
    (modifier,) = line.modifiers
    assert (modifier.modifier_id, modifier.count) == (3, Decimal(2))
    assert modifier.field == "payload.products.0.product_modificators.0.modificator_id"
    assert draft.comment == "top" and draft.discount_type == 2


def test_nested_meta_top_level_wins_over_payload_meta() -> None:
    assert draft_of(v1_body(inner={"comment": "inner"})).comment == "inner"
    both = draft_of(v1_body(top={"comment": "top"}, inner={"comment": "inner"}))
    assert both.comment == "top"


def test_nested_unknown_customer_names_the_field_it_came_from() -> None:
    with pytest.raises(ValidationFailed) as error:
        build_order(draft_of(v1_body()), refs(), venue_scope=None)
    assert failure(error) == ("customer_id", "customer_id: customer 5 does not exist")
    body = v1_body()
    del body["customer_id"]
    with pytest.raises(ValidationFailed) as error:
        build_order(draft_of(body), refs(), venue_scope=None)
    assert failure(error) == (
        "payload.customer.id",
        "payload.customer.id: customer 5 does not exist",
    )


def test_nested_customer_ids_must_agree() -> None:
    body = v1_body()
    body["payload"]["customer"]["id"] = 6
    with pytest.raises(ValidationFailed) as error:
        draft_of(body)
    assert failure(error) == (
        "payload.customer.id",
        "payload.customer.id: customer 6 does not match customer_id 5",
    )


# --- building the stored payload ----------------------------------------------------------


def test_build_order_stores_the_documented_shape() -> None:
    body = flat(
        customer={"id": 5, "customer_discount_type": 1},
        products=[
            {"product_id": 11, "count": 2, "price": "8.50", "modifiers": [{"modifier_id": 3}]},
            {"product_id": 23, "count": 1, "status": "completed", "product_hash": "abc"},
        ],
        discount={"discount_type": 2, "discount_value": "1.00"},
        delivery_fee="2.50",
        order_number="A-1",
        auto_accept_terminal=4,
    )
    built = build_order(draft_of(body), refs(customer=RAHID), venue_scope=1)
    payload = built.payload
    # Key order of spec §11.3 (auto_accept_terminal and order_number only when sent).
    assert list(payload) == [
        "auto_order_accept",
        "auto_order_sent_to_station",
        "auto_accept_terminal",
        "delivery_fee",
        "service",
        "customer",
        "products",
        "meta",
        "customer_id",
        "sale_type_id",
        "order_number",
    ]
    assert payload["service"] == {
        "sale_type_id": 2,
        "sale_type_name": "Takeaway",
        "venue_id": 1,
        "venue_name": "Main",
    }
    # Missing customer fields come from the customer record.
    assert payload["customer"] == {
        "id": 5,
        "phone": "+994705401040",
        "address": "123 Main St",
        "customer_discount_type": 1,
        "name": "Rahid Akhundzada",
    }
    first, second = payload["products"]
    assert first["meta"]["order_product"]["product_hash"] == product_hash(11, [3])
    assert first["product_modificators"] == [
        {
            "modificator_id": 3,
            "name": "Extra cheese",
            "count": Decimal(1),
            "price": Decimal(0),
            "portion_size": Decimal(1),
        }
    ]
    assert second == {
        "product_id": 23,
        "count": Decimal(1),
        "product_modificators": [],
        "portion_size": Decimal(1),
        "meta": {
            "price": Decimal("2.00"),  # the catalog price, digits kept
            "order_product": {
                "count": Decimal(1),
                "status": "completed",
                "product_modificators": [],
                "product_hash": "abc",
                "product": {
                    "id": 23,
                    "name": "Espresso",
                    "price": Decimal("2.00"),
                    "category_id": 10,
                    "station_id": 2,
                },
            },
        },
    }
    # 8.50 × 2 + 2.00 = 19.00; − 1.00 fixed discount; + 2.50 delivery.
    assert payload["meta"]["orderTotal"] == Decimal("20.50")
    assert str(payload["meta"]["orderTotal"]) == "20.50"
    assert built.total == Decimal("20.50") and built.customer_id == 5
    assert payload["customer_id"] == 5 and payload["order_number"] == "A-1"


def test_build_order_guest_keeps_the_sent_id() -> None:
    built = build_order(draft_of(flat()), refs(), venue_scope=None)
    assert built.payload["customer"]["id"] == 0
    assert built.payload["customer_id"] is None and built.customer_id is None
    null_id = build_order(
        draft_of(flat(customer={"id": None, "name": "G"})), refs(), venue_scope=None
    )
    assert null_id.payload["customer"]["id"] is None


@pytest.mark.parametrize(
    ("body", "references", "scope", "field", "message"),
    [
        (flat(), {"venue": None}, None, "venue_id", "venue_id: venue 1 does not exist"),
        (
            flat(),
            {},
            2,
            "venue_id",
            "venue_id: venue 1 is not the venue of this request (x-venue 2); "
            "send x-venue: 1 to order for it",
        ),
        (
            flat(),
            {"sale_type": None},
            1,
            "sale_type_id",
            "sale_type_id: sale type 2 does not exist",
        ),
        (
            flat(venue_id=2, sale_type_id=3),
            {"venue": AIRPORT, "sale_type": DELIVERY},
            None,
            "sale_type_id",
            "sale_type_id: sale type 3 (Delivery) is not enabled at venue 2",
        ),
        (
            flat(),
            {"sale_type": SaleType(id=2, name="New", status={})},
            None,
            "sale_type_id",
            "sale_type_id: sale type 2 (New) is not enabled at venue 1",
        ),
        (
            flat(customer={"id": 77, "name": "x"}),
            {},
            None,
            "customer.id",
            "customer.id: customer 77 does not exist",
        ),
        (
            flat(products=[{"product_id": 9, "count": 1}]),
            {},
            None,
            "products.0.product_id",
            "products.0.product_id: product 9 (Pizza Dough) is of type PREPARATION "
            "and cannot be sold",
        ),
        (
            flat(products=[{"product_id": 11, "count": 1}, {"product_id": 29, "count": 1}]),
            {},
            None,
            "products.1.product_id",
            "products.1.product_id: product 29 (Coca-Cola) has variants; "
            "order one of them (30, 31, 32)",
        ),
        (
            flat(products=[{"product_id": 40, "count": 1}]),
            {},
            None,
            "products.0.product_id",
            "products.0.product_id: product 40 (Seasonal Soup) is inactive",
        ),
    ],
)
def test_build_order_refuses_bad_references(
    body: dict[str, Any],
    references: dict[str, Any],
    scope: int | None,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed) as error:
        build_order(draft_of(body), refs(**references), venue_scope=scope)
    assert failure(error) == (field, message)


# --- statuses -----------------------------------------------------------------------------


def test_order_status_vocabularies() -> None:
    assert order_status("RECEIVED", api_version="v2") == "RECEIVED"
    assert order_status(" PENDING ", api_version="v1") == "PENDING"
    assert [
        order_status(word, api_version="v1")
        for word in ("pending", "confirmed", "completed", "cancelled")
    ] == ["PENDING", "RECEIVED", "DELIVERED", "IGNORE"]
    with pytest.raises(InvalidParameter) as v2_error:
        order_status("pending", api_version="v2")
    assert v2_error.value.message == "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED"
    with pytest.raises(InvalidParameter):
        order_status("NEW", api_version="v1")


def test_read_status_update() -> None:
    assert read_status_update(b'{"status": "IGNORE"}', 5) == "IGNORE"
    assert read_status_update(b'{"id": "5", "status": "IGNORE"}', 5) == "IGNORE"
    for raw in (
        b'{"status": "CANCELLED"}',
        b'{"status": null}',
        b'{"status": "IGNORE", "note": 1}',
        b'{"id": 6, "status": "IGNORE"}',
        b'"IGNORE"',
    ):
        with pytest.raises(ValidationFailed) as error:
            read_status_update(raw, 5)
        assert error.value.message == "Status is not allowed", raw


def test_ignore_order_transitions() -> None:
    assert ignore_order(Order(status="PENDING")) is True
    assert ignore_order(Order(status="IGNORE")) is False  # already ignored: nothing to do
    for status in ("RECEIVED", "DELIVERED"):
        with pytest.raises(ValidationFailed) as error:
            ignore_order(Order(status=status))
        assert error.value.message == f"Order is already {status} and cannot be ignored"


# --- presenter ----------------------------------------------------------------------------


def test_present_order() -> None:
    moment = datetime(2026, 2, 2, 13, 45, 53)
    order = Order(
        id=1,
        venue_id=1,
        type="CALL_CENTER_ORDER",
        integration="call_center_new",
        integration_status="CREATED",
        status="RECEIVED",
        payload={"customer_id": 1},
        created_at=moment,
        updated_at=moment,
        customer_id=1,
        receipt_id=9,
        total=Decimal("17.00"),
    )
    body = present_order(order)
    assert list(body)[:13] == [
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
    ]
    assert body["created_at"] == "2026-02-02T13:45:53.000000Z"
    assert body["payload"] == {"customer_id": 1}
    assert "receipt" not in body and "customer" not in body
    assert present_order(order, include_receipt=True)["receipt"] is None
    receipt = Receipt(id=9, service_notification_id=1, status=1)
    linked = present_order(order, receipt=receipt, include_receipt=True)
    assert linked["receipt"] == {"id": 9, "service_notification_id": 1, "status": 1}
    with_customer = present_order(order, customer={"id": 1}, include_customer=True)
    assert with_customer["customer"] == {"id": 1}
