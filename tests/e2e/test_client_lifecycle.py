"""Every SDK method against a real ``clopos serve`` process, v1 and v2, as whole stories.

The integration creates an order through the SDK; the clerk accepts it at the till (the
``clopos till`` command, on the server's database — the Open API cannot reach the till);
the integration then sees the receipt on the order, takes payment with ``close_receipt`` and
reads the receipt back closed, with its stock write-offs. v1 edits the open receipt with
``update_receipt`` before closing it, and imports a finished sale with ``create_receipt`` and
deletes it. Each version's tour ends by checking it called every method the SDK has for that
version, so a method added later without a live test makes this module fail.
"""

from __future__ import annotations

import inspect
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clopos.client import AsyncCloposClient, CloposClient, NotFoundError, _endpoints
from clopos.client.compat import attributes
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from e2e.conftest import CLOPOS, ServerProcess, server_env

pytestmark = pytest.mark.e2e

V2: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
V1: dict[str, Any] = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "venue_id": 1,
    "api_version": "v1",
}
V1_ONLY = {"create_receipt", "update_receipt", "delete_receipt"}
V2_ONLY = {"get_receipt_stock_operations"}


# The event feed and webhook methods need a webhook receiver and long polls: they have their
# own live tour, and a method counts as covered only if that file really calls it.
EVENTS_TOUR = Path(__file__).with_name("test_client_events_live.py")


def sdk_methods(version: str) -> set[str]:
    """Every endpoint method of the SDK that exists on ``version``, less those the events
    tour calls."""
    names = {
        name
        for name, fn in inspect.getmembers(_endpoints, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == _endpoints.__name__
    }
    events_tour = EVENTS_TOUR.read_text()
    called_there = {name for name in names if f".{name}(" in events_tour}
    return names - called_there - (V2_ONLY if version == "v1" else V1_ONLY)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root: Path = tmp_path_factory.mktemp("client-lifecycle")
    process = ServerProcess(f"sqlite+aiosqlite:///{root / 'clopos.db'}", root)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def till(server: ServerProcess, *args: str) -> str:
    """``clopos till …`` on the server's database, as the clerk's side of the sale."""
    done = subprocess.run(
        [str(CLOPOS), "till", *args, "--brand", DEMO_BRAND],
        env=server_env(server.database_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"clopos till {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


def read(value: Any) -> Any:
    """Dict answers read by attribute like the typed ones (``answer.data.id``)."""
    return attributes(value) if isinstance(value, dict) else value


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def later(seconds: int = 2) -> str:
    """A ``closed_at`` safely after a receipt opened just now (it must be strictly later)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


class Recorded:
    """A client that remembers which methods were called (and reads answers by attribute)."""

    def __init__(self, client: CloposClient) -> None:
        self.client = client
        self.called: set[str] = set()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.called.add(name)
            return read(method(*args, **kwargs))

        return call


@pytest.fixture
def v2(server: ServerProcess) -> Iterator[Recorded]:
    with CloposClient(base_url=server.base_url, **V2) as client:
        yield Recorded(client)


@pytest.fixture
def v1(server: ServerProcess) -> Iterator[Recorded]:
    with CloposClient(base_url=server.base_url, **V1) as client:
        yield Recorded(client)


# ----------------------------------------------------------------------------- catalog


def catalog(c: Recorded) -> dict[str, int]:
    """Every read of the catalogue and the people, checked against the demo brand."""
    token = c.auth().token
    assert token

    assert [v.name for v in c.get_venues().data] == ["Main", "Airport"]
    users = c.get_users(limit=50).data
    owner = next(u for u in users if u.username == "Owner")
    assert c.get_user_by_id(owner.id).data.username == "Owner"

    groups = c.get_customer_groups().data
    assert [g.name for g in groups] == ["My Customers", "VIP", "Staff"]
    murad = c.get_customers(filters={"name": "Murad Hasanov"}, with_=["group"]).data
    assert [m.name for m in murad] == ["Murad Hasanov"]
    assert c.get_customer_by_id(murad[0].id).data.name == "Murad Hasanov"
    name = f"Lifecycle {uuid.uuid4().hex[:8]}"
    created = c.create_customer(name, phone=f"+99470{uuid.uuid4().int % 10**7:07d}").data
    assert c.get_customer_by_id(created.id).data.name == name

    categories = c.get_categories(limit=50).data
    assert categories
    first = categories[0]
    assert c.get_category_by_id(first.id).data.name == first.name

    stations = c.get_stations().data
    kitchen = next(s for s in stations if s.name == "Kitchen")
    assert c.get_station_by_id(kitchen.id).data.name == "Kitchen"

    dishes = c.get_products(limit=50, filters={"type": ["DISH"]}).data
    margherita = next(p for p in dishes if p.name == "Margherita")
    assert money(margherita.price) == Decimal("8.50")
    detail = c.get_product_by_id(margherita.id, with_=["taxes"]).data
    assert detail.name == "Margherita"
    assert detail.taxes

    assert isinstance(c.get_stop_list().data, list)
    sale_types = c.get_sale_types().data
    methods = c.get_payment_methods().data
    price_lists = c.get_price_lists().data
    assert price_lists
    assert c.get_price_list_prices().data
    return {
        "margherita": margherita.id,
        "takeaway": next(s.id for s in sale_types if s.name == "Takeaway"),
        "cash": next(m.id for m in methods if m.name == "Cash"),
        "owner": owner.id,
        "customer": murad[0].id,
    }


# ------------------------------------------------------------------------------- sales


def accept_at_till(server: ServerProcess, c: Recorded, order_id: int) -> Any:
    """The clerk accepts; the order then shows its receipt (``with_receipt``)."""
    waiting = c.get_order_by_id(order_id, with_receipt=True).data
    assert waiting.status == "PENDING"
    assert waiting.receipt is None
    assert f"order {order_id} accepted" in till(server, "accept", str(order_id))
    accepted = c.get_order_by_id(order_id, with_receipt=True).data
    assert accepted.status == "RECEIVED"
    assert accepted.receipt is not None
    return accepted.receipt


def test_v2_tour_order_to_closed_receipt(server: ServerProcess, v2: Recorded) -> None:
    ids = catalog(v2)
    customer = {"id": ids["customer"], "name": "Murad Hasanov"}
    order = v2.create_order(
        sale_type_id=ids["takeaway"],
        venue_id=1,
        customer=customer,
        products=[{"product_id": ids["margherita"], "count": 2}],
    ).data
    assert order.status == "PENDING"
    assert order.id in [o.id for o in v2.get_orders(status="PENDING").data]

    link = accept_at_till(server, v2, order.id)
    receipt = v2.get_receipt_by_id(link.id).data
    assert receipt.status == 1  # open
    assert money(receipt.total) == Decimal("17.00")

    cash = [{"id": ids["cash"], "name": "Cash", "amount": money(receipt.total)}]
    closed = v2.close_receipt(receipt.id, cash).data
    assert closed.id == receipt.id
    shown = v2.get_receipt_by_id(receipt.id).data
    assert shown.status == 2  # closed
    assert shown.closed_at
    assert [(p.id, money(p.amount)) for p in shown.payment_methods] == [
        (ids["cash"], Decimal("17.00"))
    ]
    assert v2.get_receipt_stock_operations(receipt.id).data  # Margherita's recipe written off

    patched = v2.update_closed_receipt(receipt.id, order_status="COMPLETED", fiscal_id="F-77").data
    assert patched.fiscal_id == "F-77"
    assert patched.order_status == "COMPLETED"
    latest = v2.get_receipts(sort_by="id", sort_order=-1, limit=5).data
    assert receipt.id in [r.id for r in latest]

    dropped = v2.create_order(
        sale_type_id=ids["takeaway"],
        venue_id=1,
        customer=customer,
        products=[{"product_id": ids["margherita"], "count": 1}],
    ).data
    assert v2.update_order(dropped.id, status="IGNORE").data.status == "IGNORE"
    assert dropped.id in [o.id for o in v2.get_orders(status="IGNORE").data]

    assert v2.called >= sdk_methods("v2"), sorted(sdk_methods("v2") - v2.called)


def test_v1_tour_order_to_closed_receipt_and_an_imported_sale(
    server: ServerProcess, v1: Recorded
) -> None:
    ids = catalog(v1)
    payload = {
        "service": {"sale_type_id": ids["takeaway"], "venue_id": 1},
        "customer": {"id": ids["customer"], "name": "Murad Hasanov"},
        "products": [{"product_id": ids["margherita"], "count": 1}],
    }
    order = v1.create_order(customer_id=ids["customer"], payload=payload).data
    assert order.id in [o.id for o in v1.get_orders(status="PENDING").data]
    link = accept_at_till(server, v1, order.id)
    receipt = v1.get_receipt_by_id(link.id).data
    assert receipt.status == 1
    # v1 edits an open receipt with PUT (a closed one only takes PATCH).
    edited = v1.update_receipt(receipt.id, receipt.cid, description="window seat", guests=2).data
    assert (edited.description, edited.guests, edited.status) == ("window seat", 2, 1)
    cash = [{"id": ids["cash"], "name": "Cash", "amount": money(receipt.total)}]
    v1.close_receipt(receipt.id, cash, cid=receipt.cid, closed_at=later())
    shown = v1.get_receipt_by_id(receipt.id).data
    assert shown.status == 2
    assert money(shown.payment_methods[0].amount) == Decimal("8.50")
    patched = v1.update_closed_receipt(receipt.id, order_number="V1-9").data
    assert patched.order_number == "V1-9"
    assert receipt.id in [r.id for r in v1.get_receipts(sort_by="id", sort_order=-1).data]

    # A sale finished elsewhere, imported, then removed (v1 only).
    cid = str(uuid.uuid4())
    price = Decimal("8.50")
    imported = v1.create_receipt(
        cid,
        [{"id": ids["cash"], "name": "Cash", "amount": price}],
        user_id=ids["owner"],
        sale_type_id=ids["takeaway"],
        status=2,
        by_cash=price,
        subtotal=price,
        total=price,
        receipt_products=[
            {
                "cid": str(uuid.uuid4()),
                "product_id": ids["margherita"],
                "count": 1,
                "price": price,
                "subtotal": price,
                "total": price,
            }
        ],
    ).data
    assert imported.cid == cid
    assert imported.status == 2
    assert v1.get_receipt_by_id(imported.id).data.cid == cid
    v1.delete_receipt(imported.id)
    with pytest.raises(NotFoundError):
        v1.get_receipt_by_id(imported.id)

    dropped = v1.create_order(customer_id=ids["customer"], payload=payload).data
    assert v1.update_order(dropped.id, status="IGNORE").data.status == "IGNORE"

    assert v1.called >= sdk_methods("v1"), sorted(sdk_methods("v1") - v1.called)


async def test_async_v2_order_to_closed_receipt(server: ServerProcess) -> None:
    async with AsyncCloposClient(base_url=server.base_url, **V2) as client:
        products = read(await client.get_products(limit=50, filters={"type": ["DISH"]})).data
        margherita = next(p for p in products if p.name == "Margherita")
        sale_types = read(await client.get_sale_types()).data
        takeaway = next(s.id for s in sale_types if s.name == "Takeaway")
        methods = read(await client.get_payment_methods()).data
        cash = next(m.id for m in methods if m.name == "Cash")
        order = read(
            await client.create_order(
                sale_type_id=takeaway,
                venue_id=1,
                customer={"name": "Async Walk-in", "phone": "+994700000001"},
                products=[{"product_id": margherita.id, "count": 3}],
            )
        ).data
        till(server, "accept", str(order.id))
        accepted = read(await client.get_order_by_id(order.id, with_receipt=True)).data
        receipt_id = accepted.receipt.id
        total = money(read(await client.get_receipt_by_id(receipt_id)).data.total)
        assert total == Decimal("25.50")
        await client.close_receipt(
            receipt_id, [{"id": cash, "name": "Cash", "amount": total}], closed_at=later()
        )
        shown = read(await client.get_receipt_by_id(receipt_id)).data
    assert shown.status == 2
    assert money(shown.total) == Decimal("25.50")
