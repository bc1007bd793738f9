"""The published ``integrify-clopos`` 0.1.0 client drives a whole sale against our v2 server.

Every order and receipt method of the package is called as an integrator calls it, over
TCP, with the package's own request shapes (existing-python-client.md §4): the nested v1-era
``create_order`` body with ``null`` customer fields, ``with_`` on ``get_order_by_id``,
``sort_by/sort_order/date_from/date_to`` on ``get_receipts``, ``id`` repeated in the PATCH
body, ``id``/``cid`` and Decimal-as-string amounts in the close body. Each answer must be
2xx and parse into the package's models (§5, §5.1, §8).

The till's part of the story (accepting the order, which opens the receipt) has no Open API
endpoint; it goes through ``/sandbox`` with the admin token, so this module starts its own
in-thread server with ``admin_token`` set (the shared ``live_server`` has none).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from integrify.clopos.client import CloposClientClass
from integrify.clopos.schemas.auth.response import AuthResponse
from integrify.clopos.schemas.customers.object import Customer, Group
from integrify.clopos.schemas.enums import OrderStatus
from integrify.clopos.schemas.orders.object import Order
from integrify.clopos.schemas.products.object import Product
from integrify.clopos.schemas.receipts.object import Receipt, ReceiptStockOperation
from integrify.clopos.schemas.sales.object import PaymentMethod, SaleType
from pydantic import SecretStr

from clopos.server.app import create_app
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from clopos.server.store.migrate import upgrade
from clopos.settings import Settings

from .conftest import FAST_HASH_N, STARTUP_TIMEOUT_SECONDS, _free_socket, _seed
from .test_integrify_v2 import listed, single

ADMIN_TOKEN = "compat-admin"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


# ---------------------------------------------------------------------------------------------
# a server with an admin token


@contextmanager
def serve_in_thread(settings: Settings) -> Iterator[str]:
    """Serve ``create_app(settings)`` with uvicorn from a daemon thread; yield its base URL."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="compat-sales", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the compat sales server did not start; see the uvicorn log")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def sales_server_at(directory: Path) -> Iterator[str]:
    """A migrated, demo-seeded SQLite database under ``directory``, served with the admin
    token ``ADMIN_TOKEN``."""
    url = f"sqlite+aiosqlite:///{directory / 'clopos.db'}"
    upgrade(url)
    asyncio.run(_seed(url))
    settings = Settings(
        database_url=url,
        secret_hash_n=FAST_HASH_N,
        redis_url=None,
        admin_token=SecretStr(ADMIN_TOKEN),
        rate_limit_enabled=False,
    )
    with serve_in_thread(settings) as base:
        yield base


@pytest.fixture(scope="module")
def sales_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (no trailing slash) of this module's server."""
    with sales_server_at(tmp_path_factory.mktemp("compat-sales")) as base:
        yield base


@pytest.fixture(scope="module")
def clopos(sales_server: str) -> Iterator[Any]:
    """The package's own client class, pointed at our v2 prefix (trailing slash, §3)."""
    client: Any = CloposClientClass(base_url=f"{sales_server}/open-api/v2/")
    yield client
    client.close()


@pytest.fixture(scope="module")
def headers(clopos: Any) -> dict[str, str]:
    resp = clopos.auth(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        brand=DEMO_BRAND,
        integrator_id=DEMO_INTEGRATOR,
    )
    assert resp.ok, resp.body
    assert isinstance(resp.body, AuthResponse)
    return {"x-token": resp.body.token}


@pytest.fixture(scope="module")
def raw(sales_server: str) -> Iterator[httpx.Client]:
    """Plain httpx on the same server: the till (``/sandbox``) and raw wire checks."""
    with httpx.Client(base_url=sales_server, timeout=10) as client:
        yield client


@dataclass(frozen=True)
class Demo:
    margherita: Product
    takeaway: SaleType
    cash: PaymentMethod
    card: PaymentMethod
    customer_id: int
    customer_name: str


@pytest.fixture(scope="module")
def demo(clopos: Any, headers: dict[str, str]) -> Demo:
    """The demo rows the sale names, read through the package itself."""
    products = listed(clopos.get_products(page=1, limit=100, headers=headers), Product)
    sale_types = listed(clopos.get_sale_types(headers=headers), SaleType)
    methods = listed(clopos.get_payment_methods(headers=headers), PaymentMethod)
    groups = listed(clopos.get_customer_groups(headers=headers), Group)
    plain_group = next(g for g in groups if g.name == "My Customers")
    # A customer without a group discount, so nothing but the prices makes the total.
    customers = listed(clopos.get_customers(headers=headers), Customer)
    customer = next(c for c in customers if c.group_id == plain_group.id)
    return Demo(
        margherita=next(p for p in products if p.name == "Margherita"),
        takeaway=next(s for s in sale_types if s.name == "Takeaway"),
        cash=next(m for m in methods if m.name == "Cash"),
        card=next(m for m in methods if m.name == "Card"),
        customer_id=customer.id,
        customer_name=customer.name,
    )


# ---------------------------------------------------------------------------------------------
# helpers


def create_order(clopos: Any, headers: dict[str, str], demo: Demo, count: int = 2) -> Order:
    """``create_order`` exactly as the package's docs show it: the nested payload, a customer
    with only ``id`` and ``name`` (so ``phone`` and ``customer_discount_type`` go out as
    ``null``), product meta with ``order_product``, and a top-level ``meta``."""
    product = demo.margherita
    resp = clopos.create_order(
        customer_id=demo.customer_id,
        payload={
            "service": {
                "sale_type_id": demo.takeaway.id,
                "sale_type_name": demo.takeaway.name,
                "venue_id": 1,
                "venue_name": "Main",
            },
            "customer": {"id": demo.customer_id, "name": demo.customer_name},
            "products": [
                {
                    "product_id": product.id,
                    "count": count,
                    "product_modificators": [],
                    "meta": {
                        "price": str(product.price),
                        "order_product": {
                            "product": {
                                "id": product.id,
                                "name": product.name,
                                "category_id": product.category_id,
                                "station_id": product.station_id,
                                "price": str(product.price),
                            },
                            "count": count,
                            "status": "new",
                            "product_modificators": [],
                            "product_hash": "abc123",
                        },
                    },
                }
            ],
        },
        meta={"comment": "integrify 0.1.0", "apply_service_charge": False},
        headers=headers,
    )
    order: Order = single(resp, Order)
    return order


def accept(raw: httpx.Client, order_id: int) -> None:
    """The till accepts the order (no Open API endpoint: the admin sandbox does it)."""
    response = raw.post(f"/sandbox/brands/{DEMO_BRAND}/orders/{order_id}/accept", headers=ADMIN)
    assert response.status_code == 200, response.text


def receipt_of(raw: httpx.Client, headers: dict[str, str], order_id: int) -> int:
    """The receipt linked to an accepted order, read with the v2 docs' ``with[0]``."""
    response = raw.get(
        f"/open-api/v2/orders/{order_id}",
        params={"with[0]": "receipt:id,service_notification_id,status"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    receipt = response.json()["data"]["receipt"]
    assert receipt is not None, response.text
    receipt_id: int = receipt["id"]
    return receipt_id


def pay_in_full(demo: Demo, total: Decimal) -> list[dict[str, Any]]:
    """Cash for all but 5.00, card for 5.00: the amounts go out as Decimal strings."""
    return [
        {"id": demo.cash.id, "name": demo.cash.name, "amount": total - 5},
        {"id": demo.card.id, "name": demo.card.name, "amount": Decimal(5)},
    ]


# ---------------------------------------------------------------------------------------------
# orders


def test_create_order_nested_body_with_null_customer_fields(
    clopos: Any, headers: dict[str, str], demo: Demo
) -> None:
    order = create_order(clopos, headers, demo)
    assert order.status == OrderStatus.PENDING
    assert order.payload.customer is not None
    assert order.payload.customer.name == demo.customer_name
    assert order.payload.products is not None
    [line] = order.payload.products
    assert line.product_id == demo.margherita.id
    assert line.count == 2

    again = single(clopos.get_order_by_id(order.id, headers=headers), Order)
    assert again.id == order.id
    assert again.status == OrderStatus.PENDING


def test_get_orders_page_limit_status(clopos: Any, headers: dict[str, str], demo: Demo) -> None:
    order = create_order(clopos, headers, demo, count=1)
    pending = listed(
        clopos.get_orders(page=1, limit=100, status=OrderStatus.PENDING, headers=headers), Order
    )
    assert order.id in [o.id for o in pending]
    assert {o.status for o in pending} == {OrderStatus.PENDING}
    one = clopos.get_orders(page=1, limit=1, headers=headers)
    assert len(listed(one, Order)) == 1
    assert one.body.total is not None and one.body.total >= 2


def test_update_order_to_ignore(clopos: Any, headers: dict[str, str], demo: Demo) -> None:
    order = create_order(clopos, headers, demo, count=1)
    ignored = single(
        clopos.update_order(order.id, status=OrderStatus.IGNORE, headers=headers), Order
    )
    assert ignored.id == order.id
    assert ignored.status == OrderStatus.IGNORE
    # The package requires ``payload`` on the PUT answer too (§5.1, §8.5).
    assert ignored.payload is not None
    shown = single(clopos.get_order_by_id(order.id, headers=headers), Order)
    assert shown.status == OrderStatus.IGNORE


def test_get_order_by_id_with_underscore_form(
    clopos: Any, headers: dict[str, str], demo: Demo, raw: httpx.Client
) -> None:
    order = create_order(clopos, headers, demo, count=1)
    accept(raw, order.id)
    receipt_id = receipt_of(raw, headers, order.id)
    shown = single(clopos.get_order_by_id(order.id, with_="receipt:id", headers=headers), Order)
    assert shown.status == OrderStatus.RECEIVED
    # The package's model drops ``receipt``; on the wire ``with_=receipt:id`` must work as
    # ``with[0]=receipt:id`` (§8.3).
    wire = raw.get(
        f"/open-api/v2/orders/{order.id}", params={"with_": "receipt:id"}, headers=headers
    )
    assert wire.status_code == 200, wire.text
    assert wire.json()["data"]["receipt"]["id"] == receipt_id


# ---------------------------------------------------------------------------------------------
# receipts


def test_receipt_lifecycle_through_the_package(
    clopos: Any, headers: dict[str, str], demo: Demo, raw: httpx.Client
) -> None:
    order = create_order(clopos, headers, demo)
    accept(raw, order.id)
    receipt_id = receipt_of(raw, headers, order.id)

    receipt = single(clopos.get_receipt_by_id(receipt_id, headers=headers), Receipt)
    assert receipt.status == 1
    assert receipt.service_notification_id == order.id
    assert receipt.total == Decimal("17.00")  # 2 × 8.50, VAT included, takeaway
    assert receipt.cid

    # get_receipts: sort_by/sort_order and date_from/date_to as the package sends them.
    today = datetime.now(UTC).date().isoformat()
    newest_first = listed(
        clopos.get_receipts(
            page=1,
            limit=50,
            sort_by="created_at",
            sort_order=-1,
            date_from=today,
            date_to=today,
            headers=headers,
        ),
        Receipt,
    )
    assert receipt_id in [r.id for r in newest_first]
    stamps = [r.created_at for r in newest_first]
    assert stamps == sorted(stamps, reverse=True)
    # A datetime goes out as YYYY-MM-DDTHH:MM:SS (§4); tomorrow onwards holds nothing.
    tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
    later = listed(
        clopos.get_receipts(date_from=tomorrow, date_to=tomorrow, headers=headers), Receipt
    )
    assert later == []

    # PATCH with ``id`` repeated in the body (§4).
    ready = single(
        clopos.update_closed_receipt(
            receipt_id, order_status=OrderStatus.READY, order_number="RPO-1", headers=headers
        ),
        Receipt,
    )
    assert ready.order_status == OrderStatus.READY
    assert ready.order_number == "RPO-1"

    # close: id and cid in the body, amounts as strings, closed_at after created_at.
    assert receipt.total is not None and receipt.cid is not None
    closed_at = datetime.strptime(receipt.created_at, "%Y-%m-%d %H:%M:%S") + timedelta(seconds=1)
    closed = single(
        clopos.close_receipt(
            receipt_id,
            cid=receipt.cid,
            payment_methods=pay_in_full(demo, receipt.total),
            closed_at=closed_at.strftime("%Y-%m-%d %H:%M:%S"),
            headers=headers,
        ),
        Receipt,
    )
    assert closed.id == receipt_id
    shown = single(clopos.get_receipt_by_id(receipt_id, headers=headers), Receipt)
    assert shown.status == 2
    assert shown.closed_at == closed_at.strftime("%Y-%m-%d %H:%M:%S")
    assert shown.payment_methods is not None
    assert [(p.id, p.amount) for p in shown.payment_methods] == [
        (demo.cash.id, Decimal("12.00")),
        (demo.card.id, Decimal("5")),
    ]

    stamped = single(
        clopos.update_closed_receipt(receipt_id, fiscal_id="F-0001", lock=True, headers=headers),
        Receipt,
    )
    assert stamped.fiscal_id == "F-0001"
    assert stamped.lock is True
    assert stamped.status == 2

    operations = listed(
        clopos.get_receipt_stock_operations(receipt_id, headers=headers), ReceiptStockOperation
    )
    assert operations, "the sale wrote off no stock"
    assert {op.receipt_id for op in operations} == {receipt_id}
    for op in operations:
        assert op.after_quantity == op.before_quantity - op.quantity


def test_close_receipt_without_closed_at(
    clopos: Any, headers: dict[str, str], demo: Demo, raw: httpx.Client
) -> None:
    """Omitted, the package still sends ``"closed_at": ""`` — it must mean "now" (§12.8)."""
    order = create_order(clopos, headers, demo, count=1)
    accept(raw, order.id)
    receipt_id = receipt_of(raw, headers, order.id)
    receipt = single(clopos.get_receipt_by_id(receipt_id, headers=headers), Receipt)
    assert receipt.total == Decimal("8.50") and receipt.cid is not None
    closed = single(
        clopos.close_receipt(
            receipt_id,
            cid=receipt.cid,
            payment_methods=[{"id": demo.cash.id, "name": "Cash", "amount": receipt.total}],
            headers=headers,
        ),
        Receipt,
    )
    assert closed.id == receipt_id
    shown = single(clopos.get_receipt_by_id(receipt_id, headers=headers), Receipt)
    assert shown.status == 2
    assert shown.closed_at is not None and shown.closed_at >= shown.created_at
