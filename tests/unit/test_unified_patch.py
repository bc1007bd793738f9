"""PATCH, DELETE and pay on unified orders: the plans of Clopos calls (clopos.unified.mapping).

unified-pos.md §6.3 (merge, read-only ignored, version → 409, final states frozen → 422,
unstorable change → 422 naming the fields), §6.4 (delete = cancel + tombstone), §6.5 (pay =
close the receipt), §9.6 (which field becomes which Clopos call).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from test_unified_mapping import CATALOG, spec_order, spec_receipt, walk_in

from clopos._json import dumps
from clopos.unified.errors import UnifiedError
from clopos.unified.mapping import (
    Catalog,
    UpdatePlan,
    order_to_unified,
    plan_delete,
    plan_pay,
    plan_update,
    with_customer,
)


def current_of(order: dict[str, Any] | None, receipt: dict[str, Any] | None) -> dict[str, Any]:
    return order_to_unified(order, receipt, merchant_id="openapitest", catalog=CATALOG)


def echo(current: dict[str, Any]) -> dict[str, Any]:
    """What a raw client sends back after a GET: the JSON it received."""
    loaded: dict[str, Any] = json.loads(dumps(current))
    return loaded


def fail(call: Any, *args: Any, **kwargs: Any) -> UnifiedError:
    with pytest.raises(UnifiedError) as error:
        call(*args, **kwargs)
    return error.value


PENDING = spec_order()
RECEIVED = spec_order(status="RECEIVED", receipt_id=6)
OPEN_RECEIPT = spec_receipt()


def update(
    order: dict[str, Any] | None,
    receipt: dict[str, Any] | None,
    body: dict[str, Any],
    api_version: str = "v1",
) -> UpdatePlan:
    return plan_update(current_of(order, receipt), order, receipt, body, api_version=api_version)


# --- merge and no-ops ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "receipt"),
    [
        (PENDING, None),
        (RECEIVED, OPEN_RECEIPT),
        (None, walk_in()),
        (spec_order(status="IGNORE"), None),
    ],
)
def test_echoing_the_current_order_changes_nothing(
    order: dict[str, Any] | None, receipt: dict[str, Any] | None
) -> None:
    # Read-only members (id, source, created_at, …) and equal values are no-ops (§6.3).
    current = current_of(order, receipt)
    plan = plan_update(current, order, receipt, echo(current), api_version="v1")
    assert plan.noop and plan.changed == ()


def test_sdk_style_minimal_body_changes_nothing() -> None:
    plan = update(PENDING, None, {"merchant_id": "openapitest", "location_id": "1"})
    assert plan.noop


def test_read_only_members_are_ignored_whatever_their_value() -> None:
    body = {
        "id": "999",
        "source": "kiosk",
        "created_at": "nonsense",
        "voided_at": 5,
        "custom_mappings": {"a": 1},
    }
    assert update(PENDING, None, body).noop


def test_null_on_a_non_nullable_member_is_400() -> None:
    error = fail(update, RECEIVED, OPEN_RECEIPT, {"note": None})
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert error.detail == {
        "invalid": [{"note": "must not be null (the schema does not allow null here)"}]
    }


# --- version (409) ------------------------------------------------------------------------


def test_stale_version_is_409_with_the_current_version() -> None:
    current = current_of(RECEIVED, OPEN_RECEIPT)
    error = fail(plan_update, current, RECEIVED, OPEN_RECEIPT, {"version": "stale", "table": "9"})
    assert (error.status_code, error.type_name) == (409, "ConflictError")  # 409 before 422
    assert error.detail == {"current_version": current["version"], "sent_version": "stale"}
    ok = plan_update(
        current, RECEIVED, OPEN_RECEIPT, {"version": current["version"], "order_number": "B-2"}
    )
    assert ok.receipt_patch == {"order_number": "B-2"}


def test_schema_errors_come_before_the_version_check() -> None:
    error = fail(update, RECEIVED, OPEN_RECEIPT, {"version": "stale", "status": "OPEN"})
    assert error.status_code == 400


# --- identity and frozen states (422) ------------------------------------------------------


@pytest.mark.parametrize("member", ["merchant_id", "location_id"])
def test_orders_cannot_move_between_merchants_or_locations(member: str) -> None:
    error = fail(update, RECEIVED, OPEN_RECEIPT, {member: "2"})
    assert (error.status_code, error.type_name) == (422, "InvalidStateError")
    assert error.detail == {"fields": [member]}


@pytest.mark.parametrize(
    ("order", "receipt", "status"),
    [
        (spec_order(status="IGNORE"), None, "voided"),
        (RECEIVED, spec_receipt(order_status="CANCELLED"), "voided"),
        (RECEIVED, spec_receipt(order_status="COMPLETED"), "completed"),
        (None, walk_in(), "completed"),
    ],
)
def test_final_orders_are_frozen(
    order: dict[str, Any] | None, receipt: dict[str, Any] | None, status: str
) -> None:
    error = fail(update, order, receipt, {"order_number": "NEW-1"})
    assert (error.status_code, error.type_name) == (422, "InvalidStateError")
    assert error.detail == {"fields": ["order_number"], "status": status}
    # Asking for the state it already has is a no-op, so retried PATCHes succeed.
    assert update(order, receipt, {"status": status}).noop


# --- unstorable changes (422 naming the fields) ---------------------------------------------


def test_unstorable_changes_are_named_never_dropped() -> None:
    current = current_of(RECEIVED, OPEN_RECEIPT)
    body = echo(current)
    body["table"] = "99"
    body["line_items"][0]["quantity"] = 5
    body["total_amount"] = 1
    body["tenders"] = [{"name": "Cash", "amount": 100}]
    body["order_number"] = "OK-TOO"  # storable, but the whole PATCH is refused
    error = fail(plan_update, current, RECEIVED, OPEN_RECEIPT, body)
    assert (error.status_code, error.type_name) == (422, "InvalidStateError")
    assert error.detail["fields"] == ["table", "total_amount", "line_items", "tenders"]
    assert "POST /pos/orders/{id}/pay" in error.detail["reasons"]["tenders"]
    for name in error.detail["fields"]:
        assert name in error.message


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "draft"}, "status"),
        ({"status": "hidden"}, "status"),
        ({"reference_id": None}, "reference_id"),
        ({"reference_id": "other"}, "reference_id"),
        ({"currency": "USD"}, "currency"),
        ({"title": "Lunch"}, "title"),
        ({"discounts": []}, "discounts"),
        ({"customers": [{"id": "1", "first_name": "Someone"}]}, "customers"),
        ({"fulfillments": [{"type": "shipment"}]}, "fulfillments[0].type"),
        ({"fulfillments": []}, "fulfillments"),
        ({"fulfillments": [{"status": "proposed"}]}, "fulfillments[0].status"),
        ({"payment_status": "paid"}, "payment_status"),
    ],
)
def test_each_unstorable_member(body: dict[str, Any], field: str) -> None:
    error = fail(update, RECEIVED, OPEN_RECEIPT, body)
    assert error.status_code == 422
    assert field in error.detail["fields"], error.detail


def test_an_open_order_cannot_be_reopened_from_delivered() -> None:
    receipt = spec_receipt(order_status="PICKED_UP")
    error = fail(update, RECEIVED, receipt, {"status": "open"})
    assert error.status_code == 422 and "reopened" in error.message


# --- storable changes → Clopos calls (§9.6) ----------------------------------------------


def test_void_a_pending_order_ignores_it() -> None:
    plan = update(
        PENDING, None, {"merchant_id": "openapitest", "location_id": "1", "status": "voided"}
    )
    assert plan.order_put == {"status": "IGNORE"}
    assert plan.receipt_patch is None and plan.receipt_put is None
    assert (plan.order_id, plan.receipt_id, plan.venue_id) == (1, None, 1)
    assert update(PENDING, None, {"voided": True}).order_put == {"status": "IGNORE"}
    assert update(PENDING, None, {"fulfillments": [{"status": "cancelled"}]}).order_put == {
        "status": "IGNORE"
    }


def test_a_pending_order_can_only_be_voided() -> None:
    for body in (
        {"status": "completed"},
        {"order_number": "A"},
        {"note": "x"},
        {"fulfillments": [{"status": "prepared"}]},
    ):
        error = fail(update, PENDING, None, body)
        assert error.status_code == 422 and "only be voided" in error.message


@pytest.mark.parametrize(
    ("body", "order_status"),
    [
        ({"status": "voided"}, "CANCELLED"),
        ({"status": "completed"}, "COMPLETED"),
        ({"status": "delivered"}, "PICKED_UP"),
        ({"fulfillments": [{"status": "prepared"}]}, "READY"),
        ({"fulfillments": [{"status": "completed"}]}, "PICKED_UP"),
        ({"fulfillments": [{"status": "cancelled"}]}, "CANCELLED"),
        ({"status": "voided", "fulfillments": [{"status": "cancelled"}]}, "CANCELLED"),
    ],
)
def test_status_changes_patch_the_receipt(body: dict[str, Any], order_status: str) -> None:
    plan = update(RECEIVED, spec_receipt(order_status="NEW"), body, api_version="v2")
    assert plan.receipt_patch == {"order_status": order_status}
    assert plan.order_put is None and plan.receipt_id == 6


def test_fulfillment_reserved_moves_a_ready_order_back_to_in_progress() -> None:
    plan = update(
        RECEIVED, spec_receipt(order_status="READY"), {"fulfillments": [{"status": "reserved"}]}
    )
    assert plan.receipt_patch == {"order_status": "IN_PROGRESS"}


def test_echo_with_a_new_fulfillment_status() -> None:
    current = current_of(RECEIVED, OPEN_RECEIPT)
    body = echo(current)
    body["fulfillments"][0]["status"] = "prepared"
    plan = plan_update(current, RECEIVED, OPEN_RECEIPT, body)
    assert plan.receipt_patch == {"order_status": "READY"} and plan.changed == ("fulfillments",)


def test_contradicting_status_and_fulfillment_is_422() -> None:
    error = fail(
        update,
        RECEIVED,
        OPEN_RECEIPT,
        {"status": "completed", "fulfillments": [{"status": "prepared"}]},
    )
    assert error.status_code == 422
    assert error.detail == {"fields": ["status", "fulfillments[0].status"]}
    error = fail(update, RECEIVED, OPEN_RECEIPT, {"status": "open", "voided": True})
    assert error.status_code == 400


def test_order_number_patches_the_receipt() -> None:
    plan = update(RECEIVED, OPEN_RECEIPT, {"order_number": "B-7"}, api_version="v2")
    assert plan.receipt_patch == {"order_number": "B-7"}


def test_note_is_a_v1_receipt_put_resending_current_values() -> None:
    plan = update(
        RECEIVED, OPEN_RECEIPT, {"note": "Side door", "order_number": "B-7", "status": "delivered"}
    )
    assert plan.receipt_cid == OPEN_RECEIPT["cid"]
    assert plan.receipt_put == {
        "order_number": "B-7",
        "order_status": "PICKED_UP",
        "guests": 2,
        "description": "Side door",
    }
    assert plan.receipt_patch is None  # the PUT carried the PATCH fields


@pytest.mark.parametrize(
    ("receipt", "api_version", "words"),
    [
        (OPEN_RECEIPT, "v2", "v2"),
        (spec_receipt(status=2, closed_at="2026-02-02 15:00:00"), "v1", "closed"),
        (spec_receipt(lock=True), "v1", "locked"),
    ],
)
def test_note_needs_an_open_unlocked_receipt_on_v1(
    receipt: dict[str, Any], api_version: str, words: str
) -> None:
    error = fail(update, RECEIVED, receipt, {"note": "x"}, api_version)
    assert error.status_code == 422 and words in error.message
    assert error.detail == {"fields": ["note"]}


def test_note_longer_than_clopos_keeps_is_422() -> None:
    error = fail(update, RECEIVED, OPEN_RECEIPT, {"note": "x" * 501})
    assert error.status_code == 422 and error.detail["fields"] == ["note"]


def test_customer_change_needs_a_lookup_then_puts_meta_customer() -> None:
    plan = update(RECEIVED, OPEN_RECEIPT, {"customer_id": "7", "customers": [{"id": "7"}]})
    assert plan.customer_lookup == 7
    assert plan.receipt_put is not None and plan.receipt_put["customer_id"] == 7
    done = with_customer(
        plan,
        {"id": 7, "name": "Leyla Aliyeva", "phone": "+99450", "group": {"id": 2, "name": "VIP"}},
    )
    assert done.customer_lookup is None
    assert done.receipt_put is not None
    assert done.receipt_put["meta_customer"]["name"] == "Leyla Aliyeva"
    assert done.receipt_put["meta_customer"]["group_name"] == "VIP"
    error = fail(update, RECEIVED, OPEN_RECEIPT, {"customer_id": "seven"})
    assert error.status_code == 400


def test_pass_through_on_update_reaches_the_receipt_patch() -> None:
    body = {
        "pass_through": [
            {
                "service_id": "clopos",
                "extend_object": {"fiscal_id": "F-1"},
                "extend_paths": [{"path": "$.lock", "value": True}],
            }
        ]
    }
    plan = update(RECEIVED, OPEN_RECEIPT, body, api_version="v2")
    assert plan.receipt_patch == {"fiscal_id": "F-1", "lock": True}
    error = fail(
        update,
        RECEIVED,
        OPEN_RECEIPT,
        {"pass_through": [{"service_id": "clopos", "extend_object": {"total": 1}}]},
    )
    assert error.status_code == 400 and "total" in error.message
    error = fail(update, PENDING, None, body)
    assert error.status_code == 422 and error.detail == {"fields": ["pass_through"]}
    # Entries for other services or other operations are not ours.
    assert update(
        RECEIVED,
        OPEN_RECEIPT,
        {"pass_through": [{"service_id": "square", "extend_object": {"a": 1}}]},
    ).noop
    assert update(
        RECEIVED,
        OPEN_RECEIPT,
        {
            "pass_through": [
                {"service_id": "clopos", "operation_id": "ordersAdd", "extend_object": {"a": 1}}
            ]
        },
    ).noop


def test_receipt_only_sale_can_be_cancelled_while_open() -> None:
    sale = walk_in(status=1, closed_at=None, order_status="NEW", payment_methods=[])
    plan = update(None, sale, {"status": "voided"})
    assert plan.receipt_patch == {"order_status": "CANCELLED"} and plan.order_id is None


# --- delete (§6.4) ------------------------------------------------------------------------


def test_delete_plans() -> None:
    pending = plan_delete(PENDING, None, api_version="v2")
    assert (pending.unified_id, pending.order_put, pending.receipt_delete) == (
        "1",
        {"status": "IGNORE"},
        False,
    )
    v1 = plan_delete(RECEIVED, OPEN_RECEIPT, api_version="v1")
    assert v1.receipt_delete and v1.receipt_id == 6 and v1.order_put is None
    v2 = plan_delete(RECEIVED, OPEN_RECEIPT, api_version="v2")
    assert not v2.receipt_delete and v2.receipt_patch == {"order_status": "CANCELLED"}
    sale = plan_delete(None, walk_in(), api_version="v1")
    assert sale.unified_id == "r6" and sale.receipt_delete
    already = plan_delete(spec_order(status="IGNORE"), None)
    assert already.order_put is None and already.receipt_patch is None  # tombstone only
    cancelled = plan_delete(RECEIVED, spec_receipt(order_status="CANCELLED"), api_version="v2")
    assert cancelled.receipt_patch is None
    error = fail(plan_delete, RECEIVED, spec_receipt(lock=True), api_version="v1")
    assert error.status_code == 422 and "locked" in error.message


# --- pay (§6.5) ---------------------------------------------------------------------------

NOW = datetime(2026, 2, 2, 15, 0, 0, tzinfo=UTC)


def pay(
    body: dict[str, Any],
    *,
    order: dict[str, Any] | None = RECEIVED,
    receipt: dict[str, Any] | None = OPEN_RECEIPT,
    **kw: Any,
) -> Any:
    kw.setdefault("catalog", CATALOG)
    kw.setdefault("now", NOW)
    return plan_pay(current_of(order, receipt), order, receipt, body, **kw)


def test_pay_closes_the_receipt_with_tenders() -> None:
    plan = pay(
        {"tenders": [{"type": "cash", "amount": 1_000_000}, {"name": "card", "amount": 2_000_000}]}
    )
    assert plan.receipt_id == 6 and plan.venue_id == 1
    assert plan.payment_methods == [
        {"id": 1, "name": "Cash", "amount": Decimal("10000.00")},
        {"id": 2, "name": "Card", "amount": Decimal("20000.00")},
    ]
    assert plan.closed_at is None and plan.cid == OPEN_RECEIPT["cid"]  # v2: close, defaults
    v1 = pay({"tenders": [{"id": "3", "amount": 3_000_000}]}, api_version="v1")
    assert v1.payment_methods == [
        {"id": 3, "name": "Customer Balance", "amount": Decimal("30000.00")}
    ]
    assert v1.closed_at == "2026-02-02 15:00:00"


def test_v1_closed_at_is_after_the_receipt_opened_in_venue_time() -> None:
    early = datetime(2026, 2, 2, 9, 0, 0, tzinfo=UTC)  # before the receipt's 14:00 (UTC)
    plan = pay({"tenders": [{"type": "cash", "amount": 3_000_000}]}, api_version="v1", now=early)
    assert plan.closed_at == "2026-02-02 14:00:01"
    baku = pay(
        {"tenders": [{"type": "cash", "amount": 3_000_000}]},
        api_version="v1",
        time_zone="Asia/Baku",
    )
    assert baku.closed_at == "2026-02-02 19:00:00"


def test_payments_pay_with_the_cash_method() -> None:
    plan = pay({"payments": [{"amount": 3_000_000}]})
    assert plan.payment_methods == [{"id": 1, "name": "Cash", "amount": Decimal("30000.00")}]


def test_sub_minor_unit_totals_are_paid_exactly() -> None:
    receipt = spec_receipt(total=Decimal("8.145"))
    plan = pay(
        {"tenders": [{"type": "card", "amount": 300}, {"type": "cash", "amount": 514}]},
        receipt=receipt,
    )
    assert [p["amount"] for p in plan.payment_methods] == [Decimal("3.00"), Decimal("5.145")]
    assert sum(p["amount"] for p in plan.payment_methods) == Decimal("8.145")


@pytest.mark.parametrize(
    ("order", "receipt", "words"),
    [
        (PENDING, None, "waiting for the POS"),
        (spec_order(status="IGNORE"), None, "voided"),
        (RECEIVED, spec_receipt(order_status="CANCELLED"), "voided"),
        (RECEIVED, spec_receipt(status=2, closed_at="2026-02-02 14:30:00"), "already paid"),
        (RECEIVED, spec_receipt(lock=True), "locked"),
    ],
)
def test_pay_state_errors(
    order: dict[str, Any], receipt: dict[str, Any] | None, words: str
) -> None:
    error = fail(
        pay, {"tenders": [{"type": "cash", "amount": 3_000_000}]}, order=order, receipt=receipt
    )
    assert (error.status_code, error.type_name) == (422, "InvalidStateError")
    assert words in error.message


@pytest.mark.parametrize(("amount", "words"), [(2_999_999, "less than"), (3_000_001, "more than")])
def test_tenders_must_add_up_to_the_total(amount: int, words: str) -> None:
    error = fail(pay, {"tenders": [{"type": "cash", "amount": amount}]})
    assert error.status_code == 422 and words in error.message
    assert error.detail == {"fields": ["tenders"], "total_amount": 3_000_000, "tendered": amount}


def test_pay_body_errors_are_400_and_name_the_tender() -> None:
    error = fail(
        pay,
        {"tenders": [{"type": "other", "amount": 1}, {"id": "99", "amount": 1}, {"type": "cash"}]},
    )
    assert error.status_code == 400
    assert [next(iter(d)) for d in error.detail["invalid"]] == [
        "tenders[0]",
        "tenders[1].id",
        "tenders[2].amount",
    ]
    error = fail(pay, {"note": "no money"})
    assert error.status_code == 400 and error.detail == {"missing": [{"tenders": "required"}]}
    error = fail(pay, {"tenders": [{"type": "cash", "amount": 1}]}, catalog=Catalog())
    assert error.status_code == 400


def test_pay_checks_version_and_refuses_other_changes() -> None:
    error = fail(pay, {"version": "old", "tenders": [{"type": "cash", "amount": 3_000_000}]})
    assert error.status_code == 409
    error = fail(
        pay, {"note": "and change this", "tenders": [{"type": "cash", "amount": 3_000_000}]}
    )
    assert error.status_code == 422 and error.detail["fields"] == ["note"]
    # Echoing the order with tenders added is fine.
    current = current_of(RECEIVED, OPEN_RECEIPT)
    body = echo(current)
    body["tenders"] = [{"type": "cash", "amount": 3_000_000}]
    body["payment_status"] = "paid"
    assert plan_pay(current, RECEIVED, OPEN_RECEIPT, body, catalog=CATALOG, now=NOW).payment_methods
