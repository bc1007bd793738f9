"""integrify-clopos 0.0.1 receipt writes, replayed on ``/open-api/`` (client notes §4.1).

0.0.1 cannot be installed beside 0.1.0, so its three receipt methods are replayed with plain
httpx and exactly its headers (``Content-Type: application/json``, ``x-brand``, ``x-venue``,
the caller's ``x-token``) and bodies:

* ``create_receipt`` → ``POST receipts``: every Decimal as a JSON *string*, ``created_at`` and
  ``closed_at`` as unix-ms integers, extra keyword arguments forwarded in the body;
* ``update_receipt`` → ``PUT receipts/{id}``: the ``meta_customer: {meta: {customer: …}}``
  wrapper (a serializer bug of the package), ``discount_value: null``, ``closed_at: ""``
  (keep the receipt open);
* ``delete_receipt`` → ``DELETE receipts/{id}`` with the body ``{}``.

The answers must carry what 0.0.1's models require (§5, §5.1): ``ObjectResponse[Receipt]``
(envelope, ``created_at``/``updated_at``), every ``receipt_products[]`` line with the 24
required keys of ``ReceiptProduct``, and ``BaseResponse`` for the delete. The shared response
models of 0.0.1 equal 0.1.0's (§5.1), so 0.1.0's classes validate them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from integrify.clopos.schemas.common.response import BaseResponse, ObjectResponse
from integrify.clopos.schemas.receipts.object import Receipt, ReceiptProduct

from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

from .test_integrify_sales import ADMIN, sales_server_at
from .test_wire_v1 import AuthResponseV001, check_envelope

# What 0.0.1's handler adds when CLOPOS_BRAND / CLOPOS_VENUE_ID are set (§2 step 4.3, §4.1).
PACKAGE_HEADERS = {"Content-Type": "application/json", "x-brand": DEMO_BRAND, "x-venue": "1"}
# ReceiptProduct's required keys: all must be present, the nullable ones as null (§5.1).
RECEIPT_PRODUCT_KEYS = {
    "cid",
    "product_id",
    "meta",
    "count",
    "portion_size",
    "total",
    "price",
    "is_gift",
    "receipt_id",
    "product_hash",
    "preprint_count",
    "station_printed_count",
    "station_aborted_count",
    "seller_id",
    "loyalty_type",
    "loyalty_value",
    "discount_rate",
    "discount_value",
    "total_discount",
    "subtotal",
    "receipt_discount",
    "discount_type",
    "receipt_product_modificators",
    "taxes",
}


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """httpx on this module's own server (admin token set, for the till's accept)."""
    with (
        sales_server_at(tmp_path_factory.mktemp("wire-v1-sales")) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def token(http: httpx.Client) -> str:
    """A v1 token, requested as 0.0.1's ``auth()`` does (venue_id as a string)."""
    response = http.post(
        "/open-api/auth",
        headers={"Content-Type": "application/json"},
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "brand": DEMO_BRAND,
            "venue_id": "1",
        },
    )
    assert response.status_code == 200, response.text
    return AuthResponseV001.model_validate(response.json()).token


def send(
    http: httpx.Client, method: str, target: str, token: str, body: Any = None
) -> httpx.Response:
    """One request as 0.0.1 sends it: its headers, then the caller's ``x-token``."""
    return http.request(method, target, headers={**PACKAGE_HEADERS, "x-token": token}, json=body)


def rows(http: httpx.Client, token: str, path: str) -> list[dict[str, Any]]:
    response = send(http, "GET", f"/open-api/{path}", token)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


@pytest.fixture(scope="module")
def ids(http: httpx.Client, token: str) -> dict[str, Any]:
    """Demo ids (assigned by the database), looked up over v1."""
    products = rows(http, token, "products?%7B%22limit%22%3A+100%7D=")
    margherita = next(p for p in products if p["name"] == "Margherita")
    groups = {g["name"]: g for g in rows(http, token, "customer-groups")}
    plain = groups["My Customers"]
    customer = next(c for c in rows(http, token, "customers") if c["group_id"] == plain["id"])
    return {
        "margherita": margherita,
        "takeaway": next(
            s["id"] for s in rows(http, token, "sale-types") if s["name"] == "Takeaway"
        ),
        "cash": next(m["id"] for m in rows(http, token, "payment-methods") if m["name"] == "Cash"),
        "owner": next(u["id"] for u in rows(http, token, "users") if u["username"] == "Owner"),
        "customer": customer,
        "group": plain,
    }


def unix_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def receipt_answer(response: httpx.Response) -> Receipt:
    """``ObjectResponse[Receipt]`` as 0.0.1 parses it, plus the raw envelope's JSON types."""
    assert response.is_success, f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    check_envelope(body)
    parsed = ObjectResponse[Receipt].model_validate(body)
    return parsed.data


def check_lines(lines: list[dict[str, Any]]) -> None:
    """Every line carries ReceiptProduct's 24 required keys and parses."""
    assert lines, "no receipt_products"
    for line in lines:
        missing = RECEIPT_PRODUCT_KEYS - set(line)
        assert not missing, f"receipt_products[] lacks {sorted(missing)}"
        ReceiptProduct.model_validate(line)


def create_receipt_body(ids: dict[str, Any], cid: str) -> dict[str, Any]:
    """``create_receipt(...)`` as 0.0.1 serializes it (model_dump mode="json", UNSET dropped):
    Decimals → strings, created_at/closed_at → unix ms, extra kwargs kept (§4.1)."""
    now = datetime.now(UTC)
    price = str(ids["margherita"]["price"])
    return {
        "cid": cid,
        "payment_methods": [{"id": ids["cash"], "name": "Cash", "amount": price}],
        "user_id": ids["owner"],
        "by_cash": price,
        "by_card": "0",
        "discount_rate": "0",
        "discount_type": 0,
        "discount_value": "0",
        "delivery_fee": "0",
        "gift_total": "0",
        "guests": 1,
        "original_subtotal": price,
        "printed": False,
        "receipt_products": [
            {
                "cid": str(uuid.uuid4()),
                "product_id": ids["margherita"]["id"],
                "meta": {"product": {"name": "Margherita", "price": price}},
                "count": 1,
                "portion_size": "1",
                "total": price,
                "price": price,
                "is_gift": False,
            }
        ],
        "remaining": "0",
        "rps_discount": "0",
        "sale_type_id": ids["takeaway"],
        "service_charge": "0",
        "service_charge_value": "0",
        "status": 2,
        "subtotal": price,
        "total": price,
        "total_tax": "1.30",
        "created_at": unix_ms(now - timedelta(minutes=20)),
        "closed_at": unix_ms(now - timedelta(minutes=2)),
        "address": "12 Nizami St, Baku",
        "courier_id": None,
        "meta": {"preprint_count": 0, "sale_type": {"name": "Takeaway"}, "user": {"name": "Owner"}},
        # **extra: forwarded as is (the request model allows extra keys).
        "order_number": "W-0001",
        "description": "replayed by the 0.0.1 wire test",
    }


# ---------------------------------------------------------------------------------------------


def test_create_receipt_as_0_0_1_sends_it(
    http: httpx.Client, token: str, ids: dict[str, Any]
) -> None:
    cid = str(uuid.uuid4())
    body = create_receipt_body(ids, cid)
    receipt = receipt_answer(send(http, "POST", "/open-api/receipts", token, body))
    assert receipt.cid == cid
    assert receipt.status == 2  # stored as a closed record (spec §12.5)
    assert receipt.total == Decimal("8.50")
    assert receipt.payment_methods is not None
    assert [(p.id, p.amount) for p in receipt.payment_methods] == [(ids["cash"], Decimal("8.50"))]
    # unix ms → the receipt's plain timestamp format (spec §4.4), to the second.
    closed = datetime.fromtimestamp(body["closed_at"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert receipt.closed_at == closed
    created = datetime.fromtimestamp(body["created_at"] / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert receipt.created_at == created

    shown = send(
        http, "GET", f"/open-api/receipts/{receipt.id}?with%5B0%5D=receipt_products", token
    )
    assert receipt_answer(shown).id == receipt.id
    check_lines(shown.json()["data"]["receipt_products"])
    [line] = shown.json()["data"]["receipt_products"]
    assert line["product_id"] == ids["margherita"]["id"]
    assert Decimal(str(line["price"])) == Decimal("8.50")

    # The same cid again: 409, list-shaped for v1 (spec §12.5).
    again = send(http, "POST", "/open-api/receipts", token, body)
    assert again.status_code == 409, again.text
    assert again.json()["success"] is False
    assert isinstance(again.json()["error"], list)


def test_update_receipt_with_meta_customer_wrapper(
    http: httpx.Client, token: str, ids: dict[str, Any]
) -> None:
    receipt_id, cid = open_receipt(http, token, ids)
    customer = ids["customer"]
    body = {
        "id": receipt_id,
        "cid": cid,
        "delivery_fee": "0",
        "description": "Ring twice",
        "order_number": "002",
        "order_status": "IN_PROGRESS",
        "guests": 2,
        "discount_rate": "0",
        "discount_type": 0,
        "discount_value": None,
        "customer_id": customer["id"],
        "closed_at": "",
        "meta_customer": {
            "meta": {
                "customer": {
                    "name": customer["name"],
                    "bonus": "0",
                    "cashback": "54.69",
                    "balance": "-108",
                    "desc": None,
                    "code": customer.get("code"),
                    "phone": customer.get("phone") or "+994 70 540 10 40",
                    "group_name": ids["group"]["name"],
                    "group_id": ids["group"]["id"],
                }
            }
        },
    }
    updated = receipt_answer(send(http, "PUT", f"/open-api/receipts/{receipt_id}", token, body))
    assert updated.id == receipt_id
    assert updated.status == 1  # closed_at "" keeps it open (spec §12.7)
    assert updated.closed_at is None
    assert updated.order_status is not None and updated.order_status.value == "IN_PROGRESS"
    assert updated.order_number == "002"
    assert updated.description == "Ring twice"
    assert updated.guests == 2
    assert updated.customer_id == customer["id"]
    # The wrapper is read as the meta.customer it was meant to be (§4.1).
    assert updated.meta is not None
    assert updated.meta["customer"]["name"] == customer["name"]


def test_delete_receipt_with_empty_body(
    http: httpx.Client, token: str, ids: dict[str, Any]
) -> None:
    cid = str(uuid.uuid4())
    created = receipt_answer(
        send(http, "POST", "/open-api/receipts", token, create_receipt_body(ids, cid))
    )
    deleted = send(http, "DELETE", f"/open-api/receipts/{created.id}", token, {})
    assert deleted.status_code == 200, deleted.text
    parsed = BaseResponse.model_validate(deleted.json())
    assert parsed.message == "Receipt removed successfully"
    assert type(deleted.json()["time"]) is int
    assert type(deleted.json()["unix"]) is int

    gone = send(http, "GET", f"/open-api/receipts/{created.id}", token)
    assert gone.status_code == 404, gone.text
    assert isinstance(gone.json()["error"], list)
    twice = send(http, "DELETE", f"/open-api/receipts/{created.id}", token, {})
    assert twice.status_code == 404, twice.text


def open_receipt(http: httpx.Client, token: str, ids: dict[str, Any]) -> tuple[int, str]:
    """An open receipt: a v1 order (spec §11.4 v1 body) that the till accepts."""
    product = ids["margherita"]
    customer = ids["customer"]
    created = send(
        http,
        "POST",
        "/open-api/orders",
        token,
        {
            "customer_id": customer["id"],
            "payload": {
                "service": {
                    "sale_type_id": ids["takeaway"],
                    "sale_type_name": "Takeaway",
                    "venue_id": 1,
                    "venue_name": "Main",
                },
                "customer": {
                    "id": customer["id"],
                    "name": customer["name"],
                    "customer_discount_type": None,
                    "phone": None,
                },
                "products": [{"product_id": product["id"], "count": 1}],
            },
        },
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["data"]["id"]
    accepted = http.post(f"/sandbox/brands/{DEMO_BRAND}/orders/{order_id}/accept", headers=ADMIN)
    assert accepted.status_code == 200, accepted.text
    shown = send(
        http,
        "GET",
        f"/open-api/orders/{order_id}?with%5B0%5D=receipt%3Aid%2Cservice_notification_id%2Cstatus",
        token,
    )
    assert shown.status_code == 200, shown.text
    receipt_id: int = shown.json()["data"]["receipt"]["id"]
    receipt = receipt_answer(send(http, "GET", f"/open-api/receipts/{receipt_id}", token))
    assert receipt.status == 1 and receipt.cid is not None
    return receipt_id, receipt.cid
