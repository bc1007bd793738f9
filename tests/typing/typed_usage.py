"""How code using the SDK reads under ``mypy --strict``: every answer is a typed model.

Not collected by pytest and never run against a server: ``tests/unit/test_typing_example.py``
type-checks this file (it must produce no error) beside a deliberately wrong snippet (which
must). Each annotation below is what the SDK's return types promise.
"""

from __future__ import annotations

from decimal import Decimal

from clopos.client import AsyncCloposClient, CloposClient
from clopos.models import (
    AuthResponse,
    ClosedReceipt,
    Customer,
    ItemResponse,
    ListResponse,
    MessageResponse,
    Order,
    OrderPayload,
    Product,
    Receipt,
    ReceiptProduct,
    StockOperation,
    StopListEntry,
    Venue,
)


def a_sale(clopos: CloposClient) -> Decimal:
    """Read the catalog, order, find the receipt, close it; returns what was paid."""
    auth: AuthResponse = clopos.auth()
    token: str = auth.token
    assert token

    venues: ListResponse[Venue] = clopos.get_venues()
    main: Venue = venues.data[0]
    venue_name: str = main.name
    counted: int | None = venues.total
    assert venue_name and counted

    dishes = clopos.get_products(filters={"type": ["DISH"]}, limit=5)
    dish: Product = dishes.data[0]
    price: Decimal | None = dish.price
    groups = dish.modificator_groups or []
    choices = [m.name for group in groups for m in group.modificators or []]
    assert price is not None and choices is not None

    created: ItemResponse[Order] = clopos.create_order(
        sale_type_id=2,
        venue_id=main.id,
        customer={"id": 0, "name": "Walk-in"},
        products=[{"product_id": dish.id, "count": 2}],
    )
    order: Order = created.data
    status: str = order.status
    payload: OrderPayload | None = order.payload
    order_total: Decimal | None = order.total_amount
    assert status and payload is not None and order_total is not None

    linked = clopos.get_order_by_id(order.id, with_receipt=True).data.receipt
    assert linked is not None and linked.id is not None
    receipt: Receipt = clopos.get_receipt_by_id(linked.id, with_="receipt_products").data
    total: Decimal = receipt.total
    lines: list[ReceiptProduct] = receipt.receipt_products or []
    line_totals: list[Decimal | None] = [line.total for line in lines]
    assert line_totals

    closed: ItemResponse[ClosedReceipt] = clopos.close_receipt(
        receipt.id, [{"id": 1, "name": "Cash", "amount": total}]
    )
    closed_at: str | None = closed.data.closed_at
    assert closed_at
    operations: list[StockOperation] = clopos.get_receipt_stock_operations(receipt.id).data
    written_off: Decimal = sum((op.quantity for op in operations), Decimal(0))
    assert written_off >= 0

    stops: list[StopListEntry] = clopos.get_stop_list().data
    unavailable: list[int] = [entry.id for entry in stops if entry.limit == 0]
    assert unavailable is not None

    everyone: list[Customer] = list(clopos.iter_customers(limit=100))
    assert everyone
    return total


def a_v1_import(clopos: CloposClient) -> str | None:
    """v1: import a sale, then delete it."""
    imported: ItemResponse[Receipt] = clopos.create_receipt(
        cid="0b9e3f3c-6b7e-4c43-9e0e-3a8d7f0f1a11",
        payment_methods=[{"id": 1, "name": "Cash", "amount": Decimal("8.50")}],
        status=2,
        total=Decimal("8.50"),
    )
    cost: Decimal | None = imported.data.total_cost
    assert cost is not None
    removed: MessageResponse = clopos.delete_receipt(imported.data.id)
    return removed.message


async def an_export(clopos: AsyncCloposClient) -> Decimal:
    """Async: every receipt (concurrent pages), pending orders as they page in."""
    receipts: list[Receipt] = await clopos.fetch_all("get_receipts", limit=100)
    revenue: Decimal = sum((r.total for r in receipts), Decimal(0))
    pending: list[int] = [order.id async for order in clopos.iter_orders(status="PENDING")]
    first = await clopos.get_receipt_by_id(receipts[0].id)
    same: Decimal = first.data.total
    assert pending is not None and same is not None
    return revenue
