"""Pure receipt rules (``clopos.server.domain.receipts``): body parsing, timestamp formats,
state rules and the wire shapes the existing client requires (spec §12;
existing-python-client.md §4.1, §5.1)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from clopos.server.domain import receipts as rules
from clopos.server.errors import ValidationFailed
from clopos.server.store.models import Receipt, ReceiptProduct, StockOperation

CREATED = datetime(2025, 8, 18, 13, 45, 16)


def receipt(**fields: Any) -> Receipt:
    base: dict[str, Any] = dict(
        id=7, venue_id=1, cid="c-7", status=1, lock=False, meta={}, payment_methods=[],
        properties={"daily_id": 1, "monthly_id": 3}, created_at=CREATED, updated_at=CREATED,
        total=Decimal("8.50"), guests=1, gift_count=0, total_cost=Decimal("2.10"),
    )  # fmt: skip
    base.update(fields)
    return Receipt(**base)


# --- timestamps ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("2025-08-18 14:47:05", datetime(2025, 8, 18, 14, 47, 5)),
        (1755528425000, datetime(2025, 8, 18, 14, 47, 5)),
        ("1755528425000", datetime(2025, 8, 18, 14, 47, 5)),
        (Decimal("1755528425000"), datetime(2025, 8, 18, 14, 47, 5)),
    ],
)
def test_wire_time_accepts_text_and_unix_millis(raw: Any, expected: datetime | None) -> None:
    assert rules.parse_wire_time(raw) == expected


@pytest.mark.parametrize(
    "raw", ["2025-08-18T14:47:05", "18.08.2025", 1755528425, True, "2025-02-30 10:00:00", 1.5]
)
def test_wire_time_rejects_other_shapes(raw: Any) -> None:
    with pytest.raises(ValueError, match=r"YYYY-MM-DD HH:mm:ss|Unix milliseconds"):
        rules.parse_wire_time(raw)


def test_closed_at_accepts_only_the_documented_format() -> None:
    assert rules.parse_closed_at("") is None
    assert rules.parse_closed_at("2026-01-20 09:59:54") == datetime(2026, 1, 20, 9, 59, 54)
    for raw in ("2026-01-20 09:59", "2026-01-20T09:59:54", 1768903194000):
        with pytest.raises(ValueError):
            rules.parse_closed_at(raw)


def test_closed_at_must_be_after_created_at() -> None:
    rules.ensure_closed_after(CREATED, datetime(2025, 8, 18, 13, 45, 17))
    for closed in (CREATED, datetime(2025, 8, 18, 13, 45, 15)):
        with pytest.raises(ValidationFailed, match="closed_at must be greater than created_at"):
            rules.ensure_closed_after(CREATED, closed)
    # A receipt opened at .4 s cannot be closed at the same shown second.
    with pytest.raises(ValidationFailed):
        rules.ensure_closed_after(CREATED.replace(microsecond=400_000), CREATED)


# --- PATCH --------------------------------------------------------------------------------


def test_patch_keeps_only_sent_fields_and_tolerates_id_and_cid() -> None:
    body = rules.parse_patch({"id": 21, "cid": "c", "order_status": "READY", "lock": False})
    assert body.changes() == {"order_status": "READY", "lock": False}
    assert rules.parse_patch({"fiscal_id": None}).changes() == {"fiscal_id": None}
    assert rules.parse_patch({}).changes() == {}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"total": 5}, "total"),
        ({"order_status": "IGNORE"}, "order_status"),
        ({"lock": None}, "lock"),
        ({"order_number": "x" * 65}, "order_number"),
        ([1, 2], "body"),
    ],
)
def test_patch_errors_use_the_documented_message(raw: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_patch(raw)
    assert caught.value.message == "Invalid field values provided"
    assert caught.value.details is not None and caught.value.details["field"] == field


# --- close / create / PUT bodies ----------------------------------------------------------


def test_close_body_reads_string_amounts_exactly_and_ignores_id_cid() -> None:
    body = rules.parse_body(
        rules.CloseBody,
        {"id": 1, "cid": "x", "payment_methods": [{"id": 2, "name": "Cash", "amount": "8.50"}],
         "closed_at": ""},
    )  # fmt: skip
    assert body.closed_at is None
    [payment] = body.payment_methods
    assert str(payment.amount) == "8.50"


@pytest.mark.parametrize(
    ("raw", "headline"),
    [
        ({}, "The payment_methods field is required"),
        ({"payment_methods": [{"id": 1, "amount": True}]}, "The payment_methods.0.amount field"),
        ({"payment_methods": [{"id": 1, "amount": "NaN"}]}, "The payment_methods.0.amount field"),
        ({"payment_methods": [{"id": 0, "amount": 1}]}, "The payment_methods.0.id field"),
    ],
)
def test_close_body_errors_name_the_field(raw: Any, headline: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_body(rules.CloseBody, raw)
    assert caught.value.message.startswith(headline)


def test_create_reads_closed_and_open_imports() -> None:
    closed = rules.parse_create(
        {"cid": "a", "closed_at": 1755528425000, "created_at": "2025-08-18 13:45:16",
         "total": "17.00", "payment_methods": [{"id": 1, "name": "Cash", "amount": "17.00"}]}
    )  # fmt: skip
    assert closed.is_closed and closed.total == Decimal("17.00")
    assert rules.parse_create({"cid": "b", "status": 2, "payment_methods": [
        {"id": 1, "amount": 0}]}).is_closed  # fmt: skip
    assert not rules.parse_create({"cid": "c", "status": 1}).is_closed
    assert not rules.parse_create({"cid": "d"}).is_closed


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"status": 2}, "payment_methods"),
        ({"status": 1, "payment_methods": [{"id": 1, "amount": 1}]}, "payment_methods"),
        ({"status": 1, "closed_at": "2025-08-18 14:00:00"}, "status"),
        ({"status": 3}, "status"),
        ({"total": "-1"}, "total"),
        ({"cid": ""}, "cid"),
        ({"description": "x" * 501}, "description"),
        ({"receipt_products": [{"product_id": 1, "count": 0}]}, "receipt_products.0.count"),
    ],
)
def test_create_rules(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_create({"cid": "x", **raw})
    assert caught.value.details is not None and caught.value.details["field"] == field


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"discount_type": 2}, "discount_value"),
        ({"discount_type": 1, "discount_value": "101"}, "discount_value"),
        ({"closed_at": "2025-08-18 14:00:00"}, "payment_methods"),
        ({"payment_methods": [{"id": 1, "amount": 1}]}, "closed_at"),
        ({"customer_id": 1, "meta": {"customer": {"phone": "1"}}}, "meta.customer.name"),
        ({"cid": None}, "cid"),
    ],
)
def test_update_rules(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.parse_update({"id": 1, "cid": "x", **raw})
    assert caught.value.details is not None and caught.value.details["field"] == field


def test_update_finds_meta_customer_in_both_shapes() -> None:
    customer = {"name": "Rahid"}
    documented = rules.parse_update({"id": 1, "cid": "x", "meta": {"customer": customer}})
    wrapped = rules.parse_update(
        {"id": 1, "cid": "x", "meta_customer": {"meta": {"customer": customer}}}
    )
    assert documented.customer_meta() == wrapped.customer_meta() == customer
    kept_open = rules.parse_update({"id": 1, "cid": "x", "closed_at": ""})
    assert kept_open.closed_at is None


# --- state rules --------------------------------------------------------------------------


def test_open_and_lock_rules() -> None:
    rules.ensure_open(receipt())
    rules.ensure_unlocked(receipt())
    with pytest.raises(ValidationFailed, match="Receipt is already closed"):
        rules.ensure_open(receipt(status=2))
    with pytest.raises(ValidationFailed, match="Receipt is locked"):
        rules.ensure_unlocked(receipt(lock=True))


def test_product_hash_matches_the_docs_example() -> None:
    assert rules.product_hash(11187, [11201]) == "MTExODcsMTEyMDE="
    assert rules.product_hash(26) == "MjY="


def test_cost_amount_keeps_four_places() -> None:
    assert rules.cost_amount(Decimal("0.240"), Decimal("9.80")) == Decimal("2.3520")
    assert rules.cost_amount(Decimal("0.009"), Decimal("18.00")) == Decimal("0.1620")


# --- presenters ---------------------------------------------------------------------------


def test_receipt_presenter_wire_names() -> None:
    body = rules.present_receipt(receipt(closed_at=datetime(2025, 8, 18, 14, 47, 5)))
    assert body["totalCost"] == Decimal("2.10") and "total_cost" not in body
    assert body["created_at"] == "2025-08-18 13:45:16"
    assert body["closed_at"] == "2025-08-18 14:47:05"
    assert body["loyalty_type"] is None
    assert body["properties"] == {"daily_id": 1, "monthly_id": 3}
    assert body["meta"]["availiableDeposit"] == 0  # the docs' spelling
    assert body["meta"]["terminal_updated_at"] == 1755524716000
    assert "receipt_products" not in body
    assert rules.present_receipt(receipt(), [])["receipt_products"] == []


def test_receipt_product_has_the_24_keys_integrify_requires() -> None:
    line = ReceiptProduct(
        id=3, receipt_id=7, cid="l-3", product_id=11, product_hash="MTE=", meta={},
        count=Decimal(2), portion_size=Decimal(1), is_gift=False, price=Decimal("8.50"),
        subtotal=Decimal("17.00"), total=Decimal("17.00"), cost=Decimal("4.20"),
        discount_type=None, discount_rate=Decimal(0), discount_value=Decimal(0),
        total_discount=Decimal(0), receipt_discount=Decimal(0), seller_id=None,
        modificators=[{"id": 5, "modificator_group_id": 2, "name": "Large", "price": 4}],
        taxes=[{"id": 1, "name": "VAT", "rate": 18}], created_at=CREATED, updated_at=CREATED,
    )  # fmt: skip
    body = rules.present_receipt_product(line)
    required = {
        "cid", "product_id", "meta", "count", "portion_size", "total", "price", "is_gift",
        "receipt_id", "product_hash", "preprint_count", "station_printed_count",
        "station_aborted_count", "seller_id", "loyalty_type", "loyalty_value",
        "discount_rate", "discount_value", "total_discount", "subtotal", "receipt_discount",
        "discount_type", "receipt_product_modificators", "taxes",
    }  # fmt: skip
    assert required <= body.keys()
    assert body["seller_id"] == 0  # the client requires an int
    assert body["receipt_product_modificators"][0]["modificator_id"] == 5
    assert "modificators" not in body and "product" not in body


def test_stock_operation_presenter() -> None:
    op = StockOperation(
        id=1, receipt_id=7, receipt_product_id=3, operation_id=None, product_id=1,
        stock_id=4, storage_id=2, quantity=Decimal("0.240"), before_quantity=Decimal("40.000"),
        after_quantity=Decimal("39.760"), cost=Decimal("9.80"), before_cost=Decimal("9.80"),
        total_cost=Decimal("2.3520"), operated_at=datetime(2025, 8, 18, 14, 47, 5),
    )  # fmt: skip
    body = rules.present_stock_operation(op, product_name="Mozzarella", storage_name="Main")
    assert body["product"] == {"id": 1, "name": "Mozzarella"}
    assert body["stock"] == {"id": 4, "storage": {"id": 2, "name": "Main"}}
    assert body["operated_at"] == "2025-08-18 14:47:05"
    assert body["operation_id"] is None
