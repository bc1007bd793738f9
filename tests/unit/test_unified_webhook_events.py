"""The unified webhook events, pure: Clopos events → ``pos.*`` events, what a subscription is
sent, and Apideck's wire (body, ``x-apideck-signature``).

The Clopos resources here have the shape the events carry (``docs/events.md``): orders as
``GET /orders/{id}?with[0]=receipt:…``, receipts as ``GET /receipts/{id}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clopos.unified.webhook_events import (
    ORDER,
    PAYMENT,
    POS_ORDER_CREATED,
    POS_ORDER_DELETED,
    POS_ORDER_UPDATED,
    POS_PAYMENT_CREATED,
    SignatureMismatch,
    UnifiedChange,
    canonical,
    check_event_types,
    entity_url,
    event_id,
    in_scope,
    payload,
    select_changes,
    signature,
    translate,
    verify,
)


def order(order_id: int = 108, status: str = "PENDING", receipt: Any = None) -> dict[str, Any]:
    return {"id": order_id, "venue_id": 1, "status": status, "payload": {}, "receipt": receipt}


def receipt(
    receipt_id: int = 12,
    *,
    order_id: int | None = 108,
    status: int = 1,
    order_status: str | None = "NEW",
    payments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": receipt_id,
        "venue_id": 1,
        "service_notification_id": order_id,
        "status": status,
        "order_status": order_status,
        "closed_at": "2026-11-26 15:06:23" if status == 2 else None,
        "payment_methods": payments or [],
    }


def changes(*triples: tuple[str, str, str]) -> list[UnifiedChange]:
    return [UnifiedChange(*triple) for triple in triples]


# --- translation ---------------------------------------------------------------------------


def test_order_events() -> None:
    assert translate("order.created", order()) == changes((POS_ORDER_CREATED, ORDER, "108"))
    accepted = order(status="RECEIVED", receipt={"id": 12, "status": 1})
    assert translate("order.accepted", accepted) == changes((POS_ORDER_UPDATED, ORDER, "108"))
    delivered = order(status="DELIVERED", receipt={"id": 12, "status": 1})
    assert translate("order.delivered", delivered) == changes((POS_ORDER_UPDATED, ORDER, "108"))
    # Ignored = voided: the unified API's deletion.
    ignored = order(status="IGNORE")
    assert translate("order.ignored", ignored) == changes((POS_ORDER_DELETED, ORDER, "108"))


def test_a_receipt_linked_to_an_order_is_that_order() -> None:
    # Opened by accepting the order: order.accepted (recorded with it) already said so.
    assert translate("receipt.created", receipt()) == []
    assert translate("receipt.updated", receipt()) == changes((POS_ORDER_UPDATED, ORDER, "108"))
    # order_id is the other link Clopos receipts may carry.
    linked = {**receipt(order_id=None), "order_id": 77}
    assert translate("receipt.updated", linked) == changes((POS_ORDER_UPDATED, ORDER, "77"))


def test_a_receipt_only_sale_is_r_and_its_id() -> None:
    walk_in = receipt(6, order_id=None)
    assert translate("receipt.created", walk_in) == changes((POS_ORDER_CREATED, ORDER, "r6"))
    assert translate("receipt.updated", walk_in) == changes((POS_ORDER_UPDATED, ORDER, "r6"))
    assert translate("receipt.deleted", walk_in) == changes((POS_ORDER_DELETED, ORDER, "r6"))


def test_closing_creates_one_payment_per_method_then_updates_the_sale() -> None:
    paid = receipt(
        12,
        status=2,
        order_status="NEW",
        payments=[{"id": 1, "amount": "10.00"}, {"id": 2, "amount": "7.00"}],
    )
    assert translate("receipt.closed", paid) == changes(
        (POS_PAYMENT_CREATED, PAYMENT, "12-0"),
        (POS_PAYMENT_CREATED, PAYMENT, "12-1"),
        (POS_ORDER_UPDATED, ORDER, "108"),
    )
    walk_in = receipt(6, order_id=None, status=2, payments=[{"id": 1, "amount": "5"}])
    assert translate("receipt.closed", walk_in) == changes(
        (POS_PAYMENT_CREATED, PAYMENT, "6-0"), (POS_ORDER_UPDATED, ORDER, "r6")
    )


def test_a_cancelled_or_deleted_receipt_deletes_its_sale() -> None:
    # What DELETE /pos/orders/{id} does to a v2 receipt: order_status CANCELLED.
    cancelled = receipt(order_status="CANCELLED")
    assert translate("receipt.updated", cancelled) == changes((POS_ORDER_DELETED, ORDER, "108"))
    assert translate("receipt.deleted", receipt()) == changes((POS_ORDER_DELETED, ORDER, "108"))


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("stop_list.changed", {"id": 11, "venue_id": 1, "limit": 0}),
        ("customer.created", {"id": 5, "name": "Ann"}),
        ("order.created", None),
        ("order.created", [1, 2]),
        ("order.created", {"id": "108"}),
        ("order.created", {"id": True}),
        ("order.created", {"status": "PENDING"}),
        ("receipt.updated", {"id": 0}),
        ("receipt.closed", {"payment_methods": [{"id": 1}]}),
        ("something.new", {"id": 1}),
    ],
)
def test_events_without_a_unified_entity_translate_to_nothing(event_type: str, data: Any) -> None:
    assert translate(event_type, data) == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
event_types = st.sampled_from(
    [
        "order.created",
        "order.accepted",
        "order.ignored",
        "order.delivered",
        "receipt.created",
        "receipt.updated",
        "receipt.closed",
        "receipt.deleted",
        "stop_list.changed",
    ]
)


@given(event_types, st.dictionaries(st.sampled_from([*receipt(), "order_id"]), json_values))
def test_translation_never_fails_on_odd_data(event_type: str, data: dict[str, Any]) -> None:
    for change in translate(event_type, data):
        assert change.entity_type in (ORDER, PAYMENT) and change.entity_id


# --- what a subscription is sent -----------------------------------------------------------


def test_selectors_filter_and_a_deleted_order_stays_deleted() -> None:
    flow = changes(
        (POS_PAYMENT_CREATED, PAYMENT, "12-0"),
        (POS_ORDER_UPDATED, ORDER, "108"),
        (POS_ORDER_DELETED, ORDER, "108"),
        (POS_ORDER_UPDATED, ORDER, "108"),
        (POS_ORDER_DELETED, ORDER, "108"),
        (POS_ORDER_UPDATED, ORDER, "109"),
    )
    kept, deleted = select_changes(flow, selectors=[], deleted=frozenset())
    assert [(c.event_type, c.entity_id) for c in kept] == [
        (POS_PAYMENT_CREATED, "12-0"),
        (POS_ORDER_UPDATED, "108"),
        (POS_ORDER_DELETED, "108"),
        (POS_ORDER_UPDATED, "109"),
    ]
    assert deleted == {"108"}

    only_orders, _ = select_changes(flow, selectors=["pos.order.*"], deleted=frozenset({"109"}))
    assert [(c.event_type, c.entity_id) for c in only_orders] == [
        (POS_ORDER_UPDATED, "108"),
        (POS_ORDER_DELETED, "108"),
    ]
    # A deletion the subscription does not select is not sent, so it does not count.
    no_deletes, still = select_changes(flow, selectors=[POS_ORDER_UPDATED], deleted=frozenset())
    assert [c.entity_id for c in no_deletes] == ["108", "108", "109"]
    assert still == frozenset()


def test_venue_scope() -> None:
    assert in_scope(2, api_version="v2", venue_id=1)  # v2 connections see the brand
    assert in_scope(1, api_version="v1", venue_id=1)
    assert not in_scope(2, api_version="v1", venue_id=1)
    assert in_scope(None, api_version="v1", venue_id=1)


def test_event_type_selectors() -> None:
    assert check_event_types([" pos.order.* ", "pos.payment.created", "pos.order.*"]) == [
        "pos.order.*",
        "pos.payment.created",
    ]
    assert check_event_types(["*", "pos.*"]) == ["*", "pos.*"]
    for wrong in ("order.created", "pos.order.made", "pos.merchant.*", ""):
        with pytest.raises(ValueError, match="not a unified event type") as raised:
            check_event_types(["pos.order.created", wrong])
        assert repr(wrong) in str(raised.value)


# --- the wire --------------------------------------------------------------------------------


def test_body_ids_and_urls() -> None:
    first = event_id("3/demo-consumer", 41, 0)
    assert first == event_id("3/demo-consumer", 41, 0)  # the same on every attempt
    assert len({first, event_id("3/demo-consumer", 41, 1), event_id("4/x", 41, 0)}) == 3
    assert (
        entity_url("http://127.0.0.1:8000/", ORDER, "r6") == "http://127.0.0.1:8000/pos/orders/r6"
    )
    assert (
        entity_url("https://pos.example.com/api", PAYMENT, "12-0")
        == "https://pos.example.com/api/pos/payments/12-0"
    )
    body = payload(
        event_type=POS_ORDER_CREATED,
        consumer_id="demo-consumer",
        event_id=first,
        entity_id="108",
        entity_type=ORDER,
        entity_url="http://127.0.0.1:8000/pos/orders/108",
        execution_attempt=2,
        occurred_at=datetime(2026, 11, 26, 15, 6, 23, 316526),
    )
    assert body == {
        "payload": {
            "event_type": "pos.order.created",
            "unified_api": "pos",
            "service_id": "clopos",
            "consumer_id": "demo-consumer",
            "event_id": first,
            "entity_id": "108",
            "entity_type": "order",
            "entity_url": "http://127.0.0.1:8000/pos/orders/108",
            "execution_attempt": 2,
            "occurred_at": "2026-11-26T15:06:23.316Z",
        }
    }
    assert canonical(body).startswith(b'{"payload":{"consumer_id":"demo-consumer","entity_id"')


def test_signature_is_base64_hmac_sha256_of_the_key_sorted_body() -> None:
    secret = "whsec_test"
    body = canonical({"payload": {"z": 1, "a": "é", "m": {"y": [2, {"b": 1, "a": 0}]}}})
    assert body == '{"payload":{"a":"é","m":{"y":[2,{"a":0,"b":1}]},"z":1}}'.encode()
    expected = base64.b64encode(hmac.new(b"whsec_test", body, hashlib.sha256).digest()).decode()
    assert signature(secret, body) == expected
    # A receiver that re-serialized the body in another key order still verifies it.
    shuffled = json.dumps({"payload": {"m": {"y": [2, {"b": 1, "a": 0}]}, "z": 1, "a": "é"}})
    assert verify(secret, shuffled, expected)["payload"]["z"] == 1
    assert verify(secret, body, expected)["payload"]["a"] == "é"


@pytest.mark.parametrize(
    ("body", "header", "words"),
    [
        (b'{"payload":{"a":1}}', None, "missing"),
        (b'{"payload":{"a":2}}', "WRONG", "does not match"),
        (b"not json", "x", "not JSON"),
        (b"[1]", "x", "not a JSON object"),
    ],
)
def test_verification_refuses(body: bytes, header: str | None, words: str) -> None:
    with pytest.raises(SignatureMismatch, match=words):
        verify("whsec_test", body, header)
    genuine = signature("whsec_test", b'{"payload":{"a":1}}')
    with pytest.raises(SignatureMismatch):
        verify("whsec_other", b'{"payload":{"a":1}}', genuine)  # another secret
    with pytest.raises(SignatureMismatch):
        verify("whsec_test", b'{"payload":{"a":2}}', genuine)  # altered body
