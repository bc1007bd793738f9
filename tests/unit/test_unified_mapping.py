"""Clopos order/receipt → unified Order, the §7 resources, ids and create (clopos.unified.mapping).

Pure: Clopos JSON dicts in, unified dicts out. Every output is also checked the way a real
Apideck client reads it: the legacy ``apideck`` SDK (strict types and enums) must parse it.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import apideck
import pytest
from apideck.api_client import ApiClient
from apideck.model.get_location_response import GetLocationResponse
from apideck.model.get_merchant_response import GetMerchantResponse
from apideck.model.get_modifier_group_response import GetModifierGroupResponse
from apideck.model.get_modifier_response import GetModifierResponse
from apideck.model.get_order_response import GetOrderResponse
from apideck.model.get_order_type_response import GetOrderTypeResponse
from apideck.model.get_pos_payment_response import GetPosPaymentResponse
from apideck.model.get_tender_response import GetTenderResponse

from clopos._json import dumps
from clopos.unified.errors import UnifiedError
from clopos.unified.mapping import (
    Catalog,
    OrderRef,
    check_merchant_id,
    create_fingerprint,
    create_payload,
    currency_exponent,
    default_sale_type_id,
    item_from_product,
    location_from_venue,
    merchant_from_brand,
    modifier_from_modificator,
    modifier_group_from_group,
    order_to_unified,
    order_type_from_sale_type,
    order_version,
    parse_body_id,
    parse_int_id,
    parse_order_id,
    parse_payment_id,
    payment_from_receipt,
    payments_from_receipt,
    tender_from_payment_method,
    unified_order_id,
    unified_status,
)

# --- fixtures: Clopos JSON as the Open API returns it ---------------------------------------


def spec_order(**overrides: Any) -> dict[str, Any]:
    """The order of clopos-open-api.md §11.3, as parsed with exact decimals."""
    order: dict[str, Any] = json.loads(
        """{
        "id":1,"venue_id":1,"type":"CALL_CENTER_ORDER","integration":"call_center_new",
        "integration_uuid":null,"integration_id":"shop-77","customer_ref_id":null,
        "integration_status":"CREATED","status":"PENDING",
        "payload":{
          "auto_order_accept":false,"auto_order_sent_to_station":false,"delivery_fee":2.5,
          "service":{"sale_type_id":2,"venue_id":1},
          "customer":{"id":1,"phone":"+994705401040","address":"123 Main St",
                      "customer_discount_type":1,"name":"Rahid Akhundzada"},
          "products":[{"product_id":51,"count":2,"product_modificators":[
                         {"modificator_id":3,"count":2,"price":1.5,"name":"Extra cheese"}],
                       "portion_size":1,
                       "meta":{"price":8.5,"order_product":{"count":2,"status":"new",
                         "product_modificators":[],"product_hash":"abc123",
                         "product":{"id":51,"name":"Pizza","price":8.5}}}}],
          "meta":{"comment":"Leave at the door","discount":{"discount_type":1,"discount_value":10},
                  "apply_service_charge":true,"customer_discount_type":1,"service_charge_value":5},
          "customer_id":1,"sale_type_id":2},
        "created_at":"2026-02-02T13:45:53.123456Z","updated_at":"2026-02-02T17:46:02.000000Z",
        "integration_response":null}""",
        parse_float=Decimal,
    )
    order.update(overrides)
    return order


def spec_receipt(**overrides: Any) -> dict[str, Any]:
    """A receipt shaped like clopos.server's presenter (spec §12.4), linked to order 1."""
    receipt: dict[str, Any] = {
        "id": 6,
        "venue_id": 1,
        "cid": "2b7c0f3e-6a55-4a8e-9d7b-1f0e0c1d2e3f",
        "user_id": 4,
        "open_by_user_id": 4,
        "close_by_user_id": None,
        "source": "web",
        "service_notification_id": 1,
        "table_id": 12,
        "hall_id": 3,
        "customer_id": 1,
        "sale_type_id": 2,
        "is_returns": False,
        "guests": 2,
        "status": 1,
        "lock": False,
        "meta": {"customer": {"id": 1, "name": "Rahid Akhundzada", "phone": "+994705401040"}},
        "total": Decimal("30000"),
        "subtotal": Decimal("30000"),
        "payment_methods": [],
        "by_cash": Decimal(0),
        "by_card": Decimal(0),
        "remaining": Decimal("30000"),
        "discount_type": 1,
        "discount_value": Decimal("10"),
        "discount_rate": Decimal("10.00"),
        "service_charge": Decimal("5"),
        "service_charge_value": Decimal("1350"),
        "i_tax": Decimal("4500"),
        "e_tax": Decimal(0),
        "total_tax": Decimal("4500"),
        "delivery_fee": Decimal("250"),
        "total_discount": Decimal("3000"),
        "description": "Ring twice",
        "address": "5 Nizami St",
        "order_status": "IN_PROGRESS",
        "order_number": "RPO-00001",
        "created_at": "2026-02-02 14:00:00",
        "updated_at": "2026-02-02 14:05:00",
        "closed_at": None,
        "deleted_at": None,
        "properties": {"daily_id": 7, "monthly_id": 70},
        "receipt_products": [
            {
                "id": 31,
                "cid": "line-31",
                "product_id": 51,
                "meta": {"product": {"name": "Pizza Grande"}},
                "count": Decimal("2"),
                "portion_size": Decimal("1.5"),
                "price": Decimal("9000"),
                "total": Decimal("27000"),
                "total_discount": Decimal("3000"),
                "taxes": [{"id": 1, "name": "VAT", "rate": 18, "amount": Decimal("4500")}],
                "receipt_product_modificators": [
                    {
                        "id": 3,
                        "modificator_id": 3,
                        "modificator_group_id": 9,
                        "name": "Extra cheese",
                        "price": Decimal("1500"),
                        "count": Decimal(2),
                    }
                ],
            }
        ],
    }
    receipt.update(overrides)
    return receipt


CATALOG = Catalog.build(
    products=[
        {
            "id": 51,
            "name": "Pizza",
            "type": "DISH",
            "status": 1,
            "price": Decimal("8.50"),
            "category_id": 3,
            "station_id": 1,
            "modificator_groups": [
                {
                    "id": 9,
                    "name": "Toppings",
                    "type": 0,
                    "min_select": 0,
                    "max_select": 3,
                    "modificators": [
                        {"id": 3, "name": "Extra cheese", "price": Decimal("1.50"), "status": True},
                        {"id": 4, "name": "Olives", "price": Decimal("0.80"), "status": True},
                    ],
                }
            ],
        },
        {"id": 52, "name": "Espresso", "type": "DISH", "status": 1, "price": Decimal("2.00")},
        {"id": 60, "name": "Cola", "type": "GOODS", "status": 1, "price": Decimal("1.20")},
        {"id": 61, "name": "Cola", "type": "INGREDIENT", "status": 1, "price": Decimal("0")},
        {"id": 70, "name": "Tea", "type": "DISH", "status": 1, "price": Decimal("1")},
        {"id": 71, "name": "tea", "type": "DISH", "status": 1, "price": Decimal("1")},
    ],
    sale_types=[
        {
            "id": 1,
            "name": "Dine-in",
            "system_type": "IN",
            "status": {"1": 1, "2": 1},
            "position": 1,
        },
        {"id": 2, "name": "Takeaway", "system_type": "TAKEAWAY", "status": {"1": 1}, "position": 2},
        {"id": 3, "name": "Delivery", "system_type": "DELIVERY", "status": {"1": 1}, "position": 3},
    ],
    venues=[{"id": 1, "name": "Main", "is_main": 1}, {"id": 2, "name": "Airport"}],
    payment_methods=[
        {"id": 1, "name": "Cash", "position": 1, "balance": {"type": "CASH"}, "status": {"1": 1}},
        {"id": 2, "name": "Card", "position": 2, "balance": {"type": "CARD"}, "status": {"1": 1}},
        {"id": 3, "name": "Customer Balance", "position": 3, "balance": None},
    ],
)


def unified(
    order: dict[str, Any] | None, receipt: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    kw.setdefault("merchant_id", "openapitest")
    return order_to_unified(order, receipt, **kw)


# --- the legacy SDK as the judge of wire types ------------------------------------------


class _Answer:
    def __init__(self, data: str) -> None:
        self.data = data
        self.status = 200

    def getheader(self, name: str, default: Any = None) -> str:
        return "application/json"

    def getheaders(self) -> dict[str, str]:
        return {}


_LEGACY = ApiClient(apideck.Configuration(host="http://127.0.0.1"))


def legacy_parse(response_type: Any, data: Any, resource: str = "orders") -> Any:
    """Deserialize an envelope exactly as apideck 1.4.7 does (raises on a wrong type)."""
    body = {
        "status_code": 200,
        "status": "OK",
        "service": "clopos",
        "resource": resource,
        "operation": "one",
        "data": data,
    }
    return _LEGACY.deserialize(_Answer(dumps(body).decode()), (response_type,), True).data


def integer_amounts(order: dict[str, Any]) -> list[Any]:
    """Every value the schema types integer (minor units)."""
    values = [order[k] for k in order if k.startswith("total_")]
    for line in order["line_items"]:
        values += [line["total_amount"], line["total_discount"], line["total_tax"]]
        values += [m.get("amount") for m in line["modifiers"]]
        values += [t.get("amount") for t in line["applied_taxes"]]
        values += [d.get("amount") for d in line["applied_discounts"]]
    values += [p["amount"] for p in order["payments"]]
    values += [d["amount"] for d in order["discounts"]] + [t["amount"] for t in order["taxes"]]
    values += [t["total_amount"] for t in order["tenders"]]
    return values


# --- status (§9.1) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order_status", "receipt_changes", "status", "voided", "fulfillment"),
    [
        ("PENDING", None, "open", False, "proposed"),
        ("IGNORE", None, "voided", True, "cancelled"),
        ("RECEIVED", {"order_status": "NEW"}, "open", False, "reserved"),
        ("RECEIVED", {"order_status": None}, "open", False, "reserved"),
        ("RECEIVED", {"order_status": "SCHEDULED"}, "open", False, "reserved"),
        ("RECEIVED", {"order_status": "IN_PROGRESS"}, "open", False, "reserved"),
        ("RECEIVED", {"order_status": "READY"}, "open", False, "prepared"),
        ("RECEIVED", {"order_status": "READY", "status": 2}, "open", False, "prepared"),
        ("RECEIVED", {"order_status": "PICKED_UP"}, "delivered", False, "completed"),
        ("RECEIVED", {"order_status": "COMPLETED"}, "completed", False, "completed"),
        ("RECEIVED", {"order_status": "CANCELLED"}, "voided", True, "cancelled"),
        ("RECEIVED", {"order_status": "NEW", "status": 2}, "completed", False, "completed"),
        (
            "RECEIVED",
            {"order_status": None, "closed_at": "2026-02-02 15:00:00"},
            "completed",
            False,
            "completed",
        ),
        ("RECEIVED", {"order_status": "IN_PROGRESS", "status": 2}, "open", False, "reserved"),
        ("DELIVERED", {"order_status": "NEW"}, "delivered", False, "completed"),
        ("RECEIVED", {"deleted_at": "2026-02-02 16:00:00"}, "voided", True, "cancelled"),
    ],
)
def test_status_table(
    order_status: str,
    receipt_changes: dict[str, Any] | None,
    status: str,
    voided: bool,
    fulfillment: str,
) -> None:
    order = spec_order(status=order_status, receipt_id=6 if receipt_changes else None)
    receipt = spec_receipt(**receipt_changes) if receipt_changes is not None else None
    out = unified(order, receipt)
    assert (out["status"], out["voided"], out["fulfillments"][0]["status"]) == (
        status,
        voided,
        fulfillment,
    )
    assert unified_status(order, receipt) == status
    assert ("voided_at" in out) is voided


def test_an_accepted_order_whose_receipt_is_gone_reads_as_voided() -> None:
    # Clopos' DELETE /receipts unlinks the order; RECEIVED without a receipt = receipt deleted.
    out = unified(spec_order(status="RECEIVED", receipt_id=None), None)
    assert out["status"] == "voided" and out["voided"] is True
    assert out["voided_at"] == "2026-02-02T17:46:02.000Z"
    # A receipt link the caller did not load is not a deletion.
    out = unified(spec_order(status="RECEIVED", receipt={"id": 6, "status": 1}), None)
    assert out["status"] == "open"


def test_scheduled_receipt_marks_the_pickup_as_scheduled() -> None:
    out = unified(spec_order(status="RECEIVED"), spec_receipt(order_status="SCHEDULED"))
    assert out["fulfillments"][0]["pickup_details"]["schedule_type"] == "scheduled"


@pytest.mark.parametrize(
    ("changes", "payment_status"),
    [
        ({"payment_methods": []}, "open"),
        ({"payment_methods": [{"id": 1, "name": "Cash", "amount": Decimal("30000")}]}, "paid"),
        (
            {"payment_methods": [{"id": 1, "name": "Cash", "amount": Decimal("100")}]},
            "partially_paid",
        ),
        ({"is_returns": True, "payment_methods": []}, "refunded"),
        ({"total": Decimal(0), "payment_methods": [{"id": 1, "amount": 5}]}, "unknown"),
    ],
)
def test_payment_status_table(changes: dict[str, Any], payment_status: str) -> None:
    out = unified(spec_order(status="RECEIVED"), spec_receipt(**changes))
    assert out["payment_status"] == payment_status
    assert unified(spec_order(), None)["payment_status"] == "open"


# --- an order without a receipt, field by field (§9.2) -----------------------------------


def test_pending_order_field_by_field() -> None:
    out = unified(spec_order(), None, catalog=CATALOG)
    assert out["id"] == "1"
    assert out["order_number"] == "1"  # no receipt: the order id
    assert out["order_date"] == "2026-02-02"
    assert out["closed_date"] is None
    assert out["reference_id"] == "shop-77"
    assert (out["status"], out["payment_status"]) == ("open", "open")
    assert out["currency"] == "AZN"
    assert out["note"] == "Leave at the door"
    assert out["merchant_id"] == "openapitest"
    assert (out["customer_id"], out["location_id"], out["order_type_id"]) == ("1", "1", "2")
    assert "employee_id" not in out and "table" not in out and "title" not in out
    # (8.50 + 2 × 1.50) × 2 = 23.00; 10 % off = 2.30; 5 % service on 20.70 = 1.035
    assert out["total_discount"] == 230
    assert out["total_service_charge"] == 250 + 104  # delivery fee + round-half-even(103.5)
    assert out["total_amount"] == 2300 - 230 + 104 + 250
    assert (out["total_tip"], out["total_tax"], out["total_refund"]) == (None, None, 0)
    assert out["refunded"] is False
    assert out["customers"] == [
        {
            "id": "1",
            "first_name": "Rahid",
            "last_name": "Akhundzada",
            "phone_numbers": [{"number": "+994705401040", "type": "primary"}],
            "emails": [],
        }
    ]
    (fulfillment,) = out["fulfillments"]
    assert fulfillment["id"] == "1-f" and fulfillment["type"] == "pickup"
    details = fulfillment["pickup_details"]
    assert details["placed_at"] == "2026-02-02T13:45:53.123Z"
    assert details["note"] == "Leave at the door"
    assert details["recipient"] == {
        "customer_id": "1",
        "display_name": "Rahid Akhundzada",
        "address": {"string": "123 Main St"},
        "phone_number": {"number": "+994705401040", "type": "primary"},
    }
    (line,) = out["line_items"]
    assert line["id"] == "1-0" and line["name"] == "Pizza" and line["item"] == {"id": "51"}
    assert (line["quantity"], line["unit_price"], line["total_amount"]) == (2, 850, 2300)
    assert (
        line["modifiers"]
        == [
            {
                "id": "3",
                "name": "Extra cheese",
                "amount": 150,
                "currency": "AZN",
                "modifier_group_id": "9",
            }
        ]
        * 2
    )  # count 2 → the entry twice (§9.7 item 7); group from the catalog
    assert out["discounts"] == [
        {"type": "percentage", "name": "10%", "amount": 230, "currency": "AZN", "scope": "order"}
    ]
    assert out["service_charges"] == [
        {
            "name": "Service charge",
            "amount": 104,
            "percentage": 5,
            "currency": "AZN",
            "active": True,
            "type": "custom",
        },
        {"name": "Delivery fee", "amount": 250, "currency": "AZN", "type": "custom"},
    ]
    assert out["payments"] == out["tenders"] == out["refunds"] == out["taxes"] == []
    assert out["source"] == "online"
    assert out["voided"] is False and "voided_at" not in out
    assert out["created_at"] == "2026-02-02T13:45:53.123Z"
    assert out["updated_at"] == "2026-02-02T17:46:02.000Z"
    assert out["version"] and out["custom_mappings"] is None
    assert out["created_by"] is None and out["updated_by"] is None


def test_order_total_prefers_the_stored_order_total() -> None:
    order = spec_order()
    order["payload"]["meta"]["orderTotal"] = Decimal("24.24")
    assert unified(order)["total_amount"] == 2424


def test_delivery_sale_type_makes_a_shipment() -> None:
    order = spec_order()
    order["payload"]["service"]["sale_type_id"] = 3
    order["payload"]["sale_type_id"] = 3
    out = unified(order, catalog=CATALOG)
    assert out["fulfillments"][0]["type"] == "shipment"
    assert out["fulfillments"][0]["shipment_details"] == {}
    # Without a catalog the sale type's stored name is enough.
    order["payload"]["service"]["sale_type_name"] = "Çatdırılma"
    assert unified(order)["fulfillments"][0]["type"] == "shipment"


def test_source_is_api_for_orders_this_api_created() -> None:
    assert unified(spec_order(), created_via_api=True)["source"] == "api"


# --- order + receipt: the receipt wins -----------------------------------------------------


def test_receipt_wins_field_by_field() -> None:
    receipt = spec_receipt(
        status=2,
        closed_at="2026-02-02 23:30:00",
        close_by_user_id=8,
        order_status="COMPLETED",
        by_cash=Decimal("10000"),
        by_card=Decimal("20000"),
        payment_methods=[
            {"id": 7, "name": "Nağd", "amount": Decimal("10000")},
            {"id": 8, "name": "Terminal", "amount": Decimal("20000")},
        ],
    )
    out = unified(spec_order(status="RECEIVED", receipt_id=6), receipt, catalog=CATALOG)
    assert out["id"] == "1"
    assert out["order_number"] == "RPO-00001"
    assert out["closed_date"] == "2026-02-02"
    assert (out["status"], out["payment_status"]) == ("completed", "paid")
    assert out["note"] == "Ring twice"
    assert (out["employee_id"], out["table"]) == ("4", "12")
    assert (out["created_by"], out["updated_by"]) == ("4", "8")
    assert out["total_amount"] == 3_000_000
    assert out["total_tax"] == 450_000
    assert out["total_discount"] == 300_000
    assert out["total_service_charge"] == 135_000 + 25_000
    assert out["updated_at"] == "2026-02-02T17:46:02.000Z"  # the later of order and receipt
    (line,) = out["line_items"]
    assert line["id"] == "31" and line["name"] == "Pizza Grande"
    assert line["quantity"] == Decimal("3")  # count × portion size (§9.7 item 8)
    assert (line["unit_price"], line["total_amount"], line["total_discount"]) == (
        900_000,
        2_700_000,
        300_000,
    )
    assert line["total_tax"] == 450_000
    assert line["applied_taxes"] == [{"tax_id": "1", "amount": 450_000, "currency": "AZN"}]
    assert line["applied_discounts"] == [
        {"discount_id": None, "amount": 300_000, "currency": "AZN"}
    ]
    assert [m["modifier_group_id"] for m in line["modifiers"]] == ["9", "9"]
    assert out["payments"] == [
        {"id": "6-0", "amount": 1_000_000, "currency": "AZN"},
        {"id": "6-1", "amount": 2_000_000, "currency": "AZN"},
    ]
    # by_cash / by_card decide the tender type when the catalog does not know the method.
    assert [(t["id"], t["type"]) for t in out["tenders"]] == [("7", "cash"), ("8", "card")]
    assert out["taxes"] == [
        {
            "id": "i_tax",
            "name": "Inclusive tax",
            "amount": 450_000,
            "currency": "AZN",
            "type": "inclusive",
            "scope": "order",
        }
    ]
    assert out["discounts"] == [
        {
            "type": "percentage",
            "name": "10%",
            "amount": 300_000,
            "currency": "AZN",
            "scope": "order",
        }
    ]
    assert out["fulfillments"][0]["pickup_details"]["recipient"]["address"] == {
        "string": "5 Nizami St"
    }
    assert out["fulfillments"][0]["pickup_details"]["accepted_at"] == "2026-02-02T14:00:00.000Z"


def test_flat_discount_and_returns() -> None:
    receipt = spec_receipt(discount_type=2, discount_value=Decimal("12.5"), is_returns=True)
    out = unified(spec_order(status="RECEIVED"), receipt)
    assert out["discounts"] == [
        {"type": "flat_fee", "amount": 1250, "currency": "AZN", "scope": "order"}
    ]
    assert out["refunded"] is True and out["total_refund"] == out["total_amount"]
    assert out["payment_status"] == "refunded" and out["refunds"] == []


def test_catalog_balance_type_decides_tender_type() -> None:
    receipt = spec_receipt(
        status=2,
        payment_methods=[
            {"id": 2, "name": "Card", "amount": Decimal("20000")},
            {"id": 1, "name": "Cash", "amount": Decimal("10000")},
            {"id": 3, "name": "Customer Balance", "amount": Decimal("0")},
        ],
    )
    out = unified(spec_order(status="RECEIVED"), receipt, catalog=CATALOG)
    assert [t["type"] for t in out["tenders"]] == ["card", "cash", "other"]


def test_receipt_customer_change_wins_over_the_order() -> None:
    receipt = spec_receipt(customer_id=9, meta={"customer": {"name": "Leyla", "phone": "+99450"}})
    out = unified(spec_order(status="RECEIVED"), receipt)
    assert out["customer_id"] == "9"
    assert out["customers"][0] == {
        "id": "9",
        "first_name": "Leyla",
        "last_name": None,
        "phone_numbers": [{"number": "+99450", "type": "primary"}],
        "emails": [],
    }


def test_receipt_without_lines_falls_back_to_the_order_payload() -> None:
    receipt = spec_receipt()
    del receipt["receipt_products"]
    out = unified(spec_order(status="RECEIVED"), receipt)
    assert [line["id"] for line in out["line_items"]] == ["1-0"]


# --- receipt-only sales -------------------------------------------------------------------


def walk_in(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "service_notification_id": None,
        "source": None,
        "order_status": None,
        "order_number": None,
        "sale_type_id": 1,
        "status": 2,
        "closed_at": "2026-03-01 00:30:00",
        "created_at": "2026-03-01 00:10:00",
        "updated_at": "2026-03-01 00:30:05",
        "description": None,
        "meta": {},
        "customer_id": None,
        "delivery_fee": Decimal(0),
        "payment_methods": [{"id": 1, "name": "Cash", "amount": Decimal("30000")}],
        "by_cash": Decimal("30000"),
    }
    values.update(overrides)
    return spec_receipt(**values)


def test_receipt_only_sale_is_r_id_in_venue_time() -> None:
    out = unified(None, walk_in(), time_zone="Asia/Baku", catalog=CATALOG)
    assert out["id"] == "r6"
    assert out["order_number"] == "7"  # properties.daily_id
    # 00:10 in Baku (UTC+4) is the evening before in UTC; dates stay venue-local.
    assert out["created_at"] == "2026-02-28T20:10:00.000Z"
    assert (out["order_date"], out["closed_date"]) == ("2026-03-01", "2026-03-01")
    assert out["updated_at"] == "2026-02-28T20:30:05.000Z"
    assert (out["status"], out["payment_status"]) == ("completed", "paid")
    assert out["reference_id"] is None
    assert out["fulfillments"] == []  # a dine-in sale has no fulfillment
    assert out["source"] == "in-store"
    assert out["customers"] == [] and "customer_id" not in out
    assert unified_order_id(None, walk_in()) == "r6"


def test_receipt_only_takeaway_sale_has_a_fulfillment() -> None:
    out = unified(None, walk_in(sale_type_id=2, source="web"), catalog=CATALOG)
    assert out["fulfillments"][0]["id"] == "r6-f"
    assert out["fulfillments"][0]["status"] == "completed"
    assert "accepted_at" in out["fulfillments"][0]["pickup_details"]
    assert out["source"] == "online"


def test_a_linked_receipt_alone_keeps_the_order_id() -> None:
    assert unified(None, spec_receipt())["id"] == "1"


# --- money and time -----------------------------------------------------------------------


@pytest.mark.parametrize("money", [Decimal("8.5"), Decimal("8.50"), 8.5, "8.50", "8.5"])
def test_money_in_any_representation_maps_to_the_same_minor_units(money: Any) -> None:
    order = spec_order()
    order["payload"]["products"][0]["meta"]["price"] = money
    assert unified(order)["line_items"][0]["unit_price"] == 850


def test_integer_fields_are_json_integers() -> None:
    for out in (
        unified(spec_order(), None, catalog=CATALOG),
        unified(spec_order(status="RECEIVED"), spec_receipt()),
        unified(None, walk_in()),
    ):
        for value in integer_amounts(out):
            assert value is None or (type(value) is int), value
        assert b'"12.5"' not in dumps(out)


def test_fractional_unit_price_stays_exact_and_rounding_is_half_even() -> None:
    order = spec_order()
    order["payload"]["products"][0]["meta"]["price"] = Decimal("8.555")
    order["payload"]["products"][0]["product_modificators"] = []
    order["payload"]["products"][0]["count"] = 1
    line = unified(order)["line_items"][0]
    assert line["unit_price"] == Decimal("855.5")
    assert line["total_amount"] == 856  # 855.5 → 856 (half-even: 6 is even)
    order["payload"]["products"][0]["meta"]["price"] = Decimal("8.545")
    assert unified(order)["line_items"][0]["total_amount"] == 854


def test_zero_decimal_currency() -> None:
    assert currency_exponent("UZS") == 0 and currency_exponent("azn") == 2
    assert currency_exponent("KWD") == 3
    out = unified(spec_order(status="RECEIVED"), spec_receipt(), currency="UZS")
    assert out["total_amount"] == 30000 and out["currency"] == "UZS"


def test_unix_millisecond_receipt_times() -> None:
    out = unified(None, walk_in(created_at=1767225600000, closed_at=None, status=1))
    assert out["created_at"] == "2026-01-01T00:00:00.000Z"
    assert out["closed_date"] is None


# --- version ------------------------------------------------------------------------------


def test_version_changes_with_any_change_and_only_then() -> None:
    order, receipt = spec_order(status="RECEIVED"), spec_receipt()
    first = order_version(order, receipt)
    assert first == order_version(copy.deepcopy(order), copy.deepcopy(receipt))
    assert first == unified(order, receipt)["version"]
    # Same second, different state: the version still moves.
    assert order_version(order, spec_receipt(order_status="READY")) != first
    assert order_version(order, spec_receipt(updated_at="2026-02-02 14:05:01")) != first
    assert order_version(spec_order(status="DELIVERED"), receipt) != first
    paid = spec_receipt(payment_methods=[{"id": 1, "amount": Decimal("30000")}])
    assert order_version(order, paid) != first
    # 30000 and 30000.00 are the same money.
    assert order_version(order, spec_receipt(total=Decimal("30000.00"))) == first


# --- the legacy SDK parses everything we emit ----------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["pending", "received", "voided", "walk_in", "delivery", "returns", "no_customer"],
)
def test_legacy_sdk_parses_every_order_shape(case: str) -> None:
    no_customer = spec_order(status="RECEIVED")
    no_customer["payload"]["customer"] = {"id": 0, "name": None}
    no_customer["payload"]["customer_id"] = None
    order, receipt = {
        "pending": (spec_order(), None),
        "received": (spec_order(status="RECEIVED"), spec_receipt()),
        "voided": (spec_order(status="IGNORE"), None),
        "walk_in": (None, walk_in()),
        "delivery": (
            spec_order(status="DELIVERED"),
            spec_receipt(sale_type_id=3, order_status="PICKED_UP"),
        ),
        "returns": (None, walk_in(is_returns=True)),
        "no_customer": (no_customer, spec_receipt(customer_id=None, meta={})),
    }[case]
    out = unified(order, receipt, catalog=CATALOG)
    parsed = legacy_parse(GetOrderResponse, out)
    assert parsed.id == out["id"] and parsed.status == out["status"]


# --- ids (§8) -----------------------------------------------------------------------------


def test_parse_order_id() -> None:
    assert parse_order_id("108") == OrderRef(text="108", order_id=108)
    assert parse_order_id("r6") == OrderRef(text="r6", receipt_id=6)
    assert parse_order_id("r6").receipt_only


@pytest.mark.parametrize(
    "bad", ["", "0", "r0", "-1", "01", "r", "R6", "1e3", "abc", "²", "4294967296", "r 6"]
)
def test_bad_order_ids_are_404(bad: str) -> None:
    with pytest.raises(UnifiedError) as error:
        parse_order_id(bad)
    assert error.value.status_code == 404
    assert error.value.type_name == "EntityNotFoundError"
    assert error.value.detail == {"not_found": {"entity": "order", "id": bad}}
    assert error.value.message == "Unknown Order"


def test_other_ids() -> None:
    assert parse_payment_id("6-0") == (6, 0)
    assert parse_payment_id("6-12") == (6, 12)
    for bad in ("6", "6-", "6-01", "x-1", "0-1"):
        with pytest.raises(UnifiedError) as error:
            parse_payment_id(bad)
        assert error.value.status_code == 404
    assert parse_int_id("2", "location") == 2
    with pytest.raises(UnifiedError) as error:
        parse_int_id("two", "location")
    assert error.value.detail == {"not_found": {"entity": "location", "id": "two"}}
    with pytest.raises(UnifiedError) as error:
        parse_body_id("x9", "customer_id")
    assert error.value.status_code == 400
    assert error.value.detail == {
        "invalid": [{"customer_id": "must be the id of a Clopos record (got 'x9')"}]
    }
    assert check_merchant_id("openapitest", "openapitest") == "openapitest"
    with pytest.raises(UnifiedError) as error:
        check_merchant_id("other", "openapitest")
    assert error.value.status_code == 404


# --- other resources (§7) -----------------------------------------------------------------


def test_payments_from_a_receipt() -> None:
    receipt = walk_in(
        customer_id=None,
        user_id=4,
        payment_methods=[
            {"id": 1, "name": "Cash", "amount": Decimal("100.50")},
            {"id": 2, "name": "Card", "amount": 20},
        ],
        by_cash=Decimal("100.50"),
        by_card=Decimal("20"),
    )
    first, second = payments_from_receipt(receipt, merchant_id="openapitest", catalog=CATALOG)
    assert first["id"] == "6-0" and second["id"] == "6-1"
    assert first["amount"] == Decimal("100.50")  # PosPayment: major units
    assert (first["tender_id"], first["source"], second["source"]) == ("1", "cash", "card")
    assert first["order_id"] == "r6" and first["customer_id"] == ""
    assert first["status"] == "completed" and first["employee_id"] == "4"
    legacy = legacy_parse(GetPosPaymentResponse, first, "payments")
    assert legacy.amount == 100.5 and legacy.order_id == "r6"
    with pytest.raises(UnifiedError) as error:
        payment_from_receipt(receipt, 2, merchant_id="openapitest")
    assert error.value.status_code == 404
    linked = payment_from_receipt(
        spec_receipt(payment_methods=[{"id": 1, "amount": 1}]), 0, merchant_id="m"
    )
    assert (
        linked["order_id"] == "1" and linked["status"] == "pending" and linked["customer_id"] == "1"
    )


def test_merchant_and_locations() -> None:
    venues = [{"id": 2, "name": "Airport", "status": 1}, {"id": 1, "name": "Main", "is_main": 1}]
    merchant = merchant_from_brand("openapitest", venues=venues, name="Open API test")
    assert merchant["main_location_id"] == "1" and merchant["id"] == "openapitest"
    legacy_parse(GetMerchantResponse, merchant, "merchants")
    location = location_from_venue(
        {"id": 1, "name": "Main", "address": "28 May St", "phone": "+99412", "status": 0},
        merchant_id="openapitest",
    )
    assert location["id"] == "1" and location["status"] == "inactive"
    assert location["address"] == {"string": "28 May St", "phone_number": "+99412"}
    legacy_parse(GetLocationResponse, location, "locations")


def test_items_modifiers_and_groups() -> None:
    product = {
        "id": 51,
        "name": "Pizza",
        "full_name": "Pizza",
        "type": "DISH",
        "status": 1,
        "hidden": 0,
        "price": Decimal("8.50"),
        "cost_price": Decimal("3.10"),
        "category_id": 3,
        "barcode": None,
        "taxes": [{"id": 1, "name": "VAT", "rate": 18}],
        "modificator_groups": [{"id": 9}],
        "created_at": "2026-01-01 10:00:00",
        "updated_at": "2026-01-02 10:00:00",
        "deleted_at": None,
    }
    item = item_from_product(product, category_names={3: "Pizzas"}, stop_limit=0)
    assert item["price_amount"] == Decimal("8.50") and item["cost"] == Decimal("3.10")
    assert item["categories"] == [{"id": "3", "name": "Pizzas"}]
    assert item["available"] is False  # stop list limit 0
    assert item["tax_ids"] == ["1"] and item["modifier_groups"] == [{"id": "9"}]
    assert item["updated_at"] == "2026-01-02T10:00:00.000Z"
    from apideck.model.get_item_response import GetItemResponse

    legacy_parse(GetItemResponse, item, "items")
    group = CATALOG.groups[9]
    mapped = modifier_group_from_group(group)
    assert (mapped["minimum_required"], mapped["maximum_allowed"], mapped["selection_type"]) == (
        0,
        3,
        "multiple",
    )
    assert [m["id"] for m in mapped["modifiers"]] == ["3", "4"]
    legacy_parse(GetModifierGroupResponse, mapped, "modifier-groups")
    modifier = modifier_from_modificator(CATALOG.modifiers[3])
    assert modifier == {
        "id": "3",
        "name": "Extra cheese",
        "modifier_group_id": "9",
        "price_amount": Decimal("1.50"),
        "currency": "AZN",
        "available": True,
        "custom_mappings": None,
    }
    legacy_parse(GetModifierResponse, modifier, "modifiers")


def test_order_types_and_tenders() -> None:
    sale_types = list(CATALOG.sale_types.values())
    assert default_sale_type_id(sale_types, 1) == 1
    assert default_sale_type_id([s for s in sale_types if s["id"] != 1], 2) is None
    mapped = order_type_from_sale_type(CATALOG.sale_types[2], default=False)
    assert mapped["id"] == "2" and mapped["name"] == "Takeaway"
    legacy_parse(GetOrderTypeResponse, mapped, "order-types")
    cash = tender_from_payment_method(CATALOG.payment_methods[1], venue_id=1)
    assert (cash["key"], cash["label"], cash["active"], cash["opens_cash_drawer"]) == (
        "cash",
        "Cash",
        True,
        True,
    )
    card = tender_from_payment_method(CATALOG.payment_methods[2], venue_id=2)
    assert card["active"] is False and card["opens_cash_drawer"] is False
    legacy_parse(GetTenderResponse, cash, "tenders")


# --- create (§9.5) ------------------------------------------------------------------------


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "merchant_id": "openapitest",
        "location_id": "1",
        "customer_id": "1",
        "line_items": [{"name": "Pizza", "item": {}, "quantity": 2}],
    }
    values.update(overrides)
    return values


def failure(call: Any, *args: Any, **kwargs: Any) -> UnifiedError:
    with pytest.raises(UnifiedError) as error:
        call(*args, **kwargs)
    return error.value


def test_create_v1_nested_body() -> None:
    nested = create_payload(
        body(
            note="No onions",
            reference_id="shop-1",
            order_number="A-1",
            customers=[
                {
                    "id": "1",
                    "first_name": "Rahid",
                    "last_name": "Akhundzada",
                    "phone_numbers": [{"number": "+99470"}],
                }
            ],
            fulfillments=[
                {
                    "type": "shipment",
                    "pickup_details": {
                        "recipient": {"address": {"line1": "5 Nizami St", "city": "Baku"}}
                    },
                }
            ],
            line_items=[
                {
                    "name": "pizza",
                    "item": {},
                    "quantity": 2,
                    "unit_price": 900,
                    "modifiers": [
                        {"id": "3", "amount": 150},
                        {"id": "3", "amount": 150},
                        {"id": "4"},
                    ],
                },
            ],
            discounts=[{"type": "percentage", "name": "10%", "amount": 180}],
            service_charges=[
                {"name": "Service", "percentage": 5, "type": "custom"},
                {"name": "Delivery fee", "amount": 250},
            ],
        ),
        api_version="v1",
        merchant_id="openapitest",
        catalog=CATALOG,
    )
    assert nested["customer_id"] == 1 and nested["integration_id"] == "shop-1"
    payload = nested["payload"]
    assert payload["service"] == {
        "sale_type_id": 3,
        "sale_type_name": "Delivery",
        "venue_id": 1,
        "venue_name": "Main",
    }
    assert payload["customer"] == {
        "id": 1,
        "name": "Rahid Akhundzada",
        "phone": "+99470",
        "address": "5 Nizami St, Baku",
    }
    assert payload["delivery_fee"] == Decimal("2.50") and payload["order_number"] == "A-1"
    (product,) = payload["products"]
    assert product["product_id"] == 51 and product["count"] == 2
    assert product["product_modificators"] == [
        {"modificator_id": 3, "count": 2, "price": Decimal("1.50"), "name": "Extra cheese"},
        {"modificator_id": 4, "count": 1, "price": Decimal("0.80"), "name": "Olives"},
    ]
    assert product["meta"]["price"] == Decimal("9.00")
    assert product["meta"]["order_product"]["product"]["name"] == "pizza"
    assert product["meta"]["order_product"]["product_hash"] == "NTEsMywzLDQ="  # "51,3,3,4"
    assert nested["meta"] == {
        "comment": "No onions",
        "discount": {"discount_type": 1, "discount_value": 10},
        "apply_service_charge": True,
        "service_charge_value": Decimal("5"),
    }


def test_create_v2_flat_body() -> None:
    flat = create_payload(
        body(note="hi", discounts=[{"type": "flat_fee", "amount": 125}], reference_id="r-1"),
        api_version="v2",
        catalog=CATALOG,
    )
    assert flat["sale_type_id"] == 1 and flat["venue_id"] == 1  # the venue's default
    assert flat["customer"] == {"id": 1}
    assert flat["products"] == [
        {
            "product_id": 51,
            "product_name": "Pizza",
            "count": 2,
            "price": Decimal("8.50"),
            "status": "new",
            "product_hash": "NTE=",
            "modifiers": [],
        }
    ]
    assert flat["comment"] == "hi"
    assert flat["discount"] == {"discount_type": 2, "discount_value": Decimal("1.25")}
    assert flat["integration_id"] == "r-1"
    assert "payload" not in flat and "meta" not in flat


def test_create_takes_the_product_id_from_item_or_pass_through() -> None:
    raw = create_payload(body(line_items=[{"item": {"id": "52"}, "quantity": 1}]), catalog=CATALOG)
    assert raw["products"][0]["product_id"] == 52
    through = create_payload(
        body(
            line_items=[{"name": "Something else", "item": {}, "quantity": 1}],
            pass_through=[
                {"service_id": "other", "extend_object": {"x": 1}},
                {
                    "service_id": "clopos",
                    "extend_object": {"payload": {"auto_order_accept": True}},
                    "extend_paths": [{"path": "$.payload.products[0].product_id", "value": 70}],
                },
            ],
        ),
        api_version="v1",
        catalog=CATALOG,
    )
    assert through["payload"]["products"][0]["product_id"] == 70
    assert through["payload"]["auto_order_accept"] is True
    assert through["payload"]["auto_order_accept"] is True and "x" not in through
    flat = create_payload(
        body(
            pass_through=[
                {
                    "service_id": "clopos",
                    "extend_paths": [{"path": "$.payload.products[0].note", "value": "well done"}],
                }
            ]
        ),
        catalog=CATALOG,
    )
    assert flat["products"][0]["note"] == "well done"


def test_create_at_a_pinned_venue_only() -> None:
    assert create_payload(body(), venue_id="1", catalog=CATALOG)["venue_id"] == 1
    error = failure(create_payload, body(location_id="2"), venue_id=1, catalog=CATALOG)
    assert error.status_code == 400
    assert error.detail == {"invalid": [{"location_id": "this connection serves location 1 only"}]}


def test_pass_through_keeps_exact_numbers_and_the_callers_body() -> None:
    sent = body(
        pass_through=[
            {
                "service_id": "clopos",
                "extend_object": {
                    "payload": {"tags": [Decimal("2.50")], "delivery_fee": Decimal("1.10")}
                },
            }
        ]
    )
    before = copy.deepcopy(sent)
    nested = create_payload(sent, api_version="v1", catalog=CATALOG)
    assert nested["payload"]["tags"] == [Decimal("2.50")]
    assert nested["payload"]["delivery_fee"] == Decimal("1.10")
    assert sent == before


def test_create_missing_required_members_is_apideck_400() -> None:
    error = failure(create_payload, {"location_id": "1"})
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert error.detail == {"missing": [{"merchant_id": "required"}]}
    assert "merchant_id" in error.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_id": None}, "customer_id"),
        ({"line_items": []}, "line_items"),
        ({"line_items": [{"name": "Nope", "item": {}}]}, "line_items[0]"),
        ({"line_items": [{"name": "tea", "item": {}}]}, "line_items[0]"),
        ({"line_items": [{"name": "Pizza", "quantity": 1.5}]}, "line_items[0].quantity"),
        ({"line_items": [{"item": {"id": "999"}}]}, "line_items[0].item.id"),
        (
            {"line_items": [{"name": "Pizza", "modifiers": [{"id": "77"}]}]},
            "line_items[0].modifiers[0].id",
        ),
        ({"location_id": "9"}, "location_id"),
        ({"location_id": "main"}, "location_id"),
        ({"order_type_id": "3", "location_id": "2"}, "order_type_id"),
        ({"merchant_id": "other"}, "merchant_id"),
        ({"order_number": "X" * 21}, "order_number"),
        ({"customers": [{"id": "2"}]}, "customers[0].id"),
        ({"total_amount": 12.5}, "total_amount"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_create_400_names_the_field(changes: dict[str, Any], field: str) -> None:
    sent = body(**changes)
    if changes.get("customer_id", "x") is None:
        del sent["customer_id"]
    error = failure(create_payload, sent, merchant_id="openapitest", catalog=CATALOG)
    assert error.status_code == 400, error.message
    names = [next(iter(d)) for part in error.detail.values() for d in part]
    assert field in names, error.detail
    assert field in error.message


def test_create_refuses_other_statuses_and_payments_with_422() -> None:
    error = failure(create_payload, body(status="completed"), catalog=CATALOG)
    assert (error.status_code, error.type_name) == (422, "InvalidStateError")
    assert error.detail == {"fields": ["status"]}
    error = failure(
        create_payload, body(payments=[{"amount": 100}], tenders=[{"amount": 100}]), catalog=CATALOG
    )
    assert error.status_code == 422 and error.detail == {"fields": ["payments", "tenders"]}
    assert create_payload(body(status="open"), catalog=CATALOG)["products"]


def test_create_names_every_member_clopos_would_lose() -> None:
    error = failure(
        create_payload,
        body(
            title="Lunch",
            table="4",
            total_tip=700,
            currency="USD",
            taxes=[{"id": "vat", "amount": 10}],
            customers=[{"id": "1", "emails": [{"email": "a@b.c"}]}],
            fulfillments=[
                {"status": "prepared", "pickup_details": {"pickup_at": "2026-02-02T10:00:00Z"}}
            ],
            discounts=[{"type": "percentage", "amount": 10, "scope": "line_item"}],
            service_charges=[{"name": "Tip", "amount": 100, "type": "auto_gratuity"}],
        ),
        catalog=CATALOG,
    )
    assert error.status_code == 422
    assert error.detail["fields"] == [
        "title",
        "table",
        "total_tip",
        "taxes",
        "customers[0].emails",
        "fulfillments[0].status",
        "fulfillments[0].pickup_details.pickup_at",
        "currency",
        "discounts[0].scope",
        "service_charges[0].type",
    ]
    for name in error.detail["fields"]:
        assert name in error.message


def test_create_ignores_totals_and_read_only_members() -> None:
    plain = create_payload(body(), catalog=CATALOG)
    noisy = create_payload(
        body(
            id="x",
            total_amount=99,
            total_tax=1,
            source="pos-nonsense",
            created_at="whenever",
            version="v9",
            payment_status="open",
            currency="AZN",
            refunded=False,
            voided=False,
        ),
        catalog=CATALOG,
    )
    assert noisy == plain


def test_create_percentage_discount_without_a_rate_name_uses_amount_over_subtotal() -> None:
    flat = create_payload(
        body(discounts=[{"type": "percentage", "amount": 425}]), catalog=CATALOG
    )  # 4.25 of 17.00
    assert flat["discount"] == {"discount_type": 1, "discount_value": Decimal("25")}
    error = failure(
        create_payload, body(discounts=[{"type": "percentage", "name": "Summer"}]), catalog=CATALOG
    )
    assert error.status_code == 422 and "discounts[0]" in error.detail["fields"]


def test_pass_through_path_errors_are_400() -> None:
    error = failure(
        create_payload,
        body(
            pass_through=[
                {
                    "service_id": "clopos",
                    "extend_paths": [
                        {"path": "payload.x", "value": 1},
                        {"path": "$.payload.products[5].x", "value": 1},
                    ],
                }
            ]
        ),
        catalog=CATALOG,
    )
    assert error.status_code == 400
    assert [next(iter(d)) for d in error.detail["invalid"]] == [
        "pass_through[0].extend_paths[0].path",
        "pass_through[0].extend_paths[1].path",
    ]


def test_create_fingerprint_is_canonical() -> None:
    a = {"merchant_id": "m", "location_id": "1", "line_items": [{"quantity": 2, "unit_price": 8.5}]}
    b = {
        "line_items": [{"unit_price": Decimal("8.50"), "quantity": 2.0}],
        "location_id": "1",
        "merchant_id": "m",
        "note": "",
        "id": "ignored",
    }
    assert create_fingerprint(a) == create_fingerprint(b)
    assert create_fingerprint(a) != create_fingerprint({**a, "note": "different"})
    assert len(create_fingerprint(a)) == 64
