"""``clopos till …`` against a temporary SQLite database holding the demo brand.

The commands act on the database directly, through the same functions as the ``/sandbox``
routes (clopos.server.till). Orders are created the way ``POST /orders`` creates them (the
orders domain and repository), then accepted, closed, ignored and delivered from the
command line. A refused command exits 2 with exactly one ``error: …`` line on stderr.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from clopos.cli import app
from clopos.server.domain.orders import build_order, read_order_body
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.models import Product, SaleType
from clopos.server.store.repositories import orders as orders_repo
from clopos.server.store.repositories import tenancy

runner = CliRunner()


def _clean_env(patch: pytest.MonkeyPatch, path: Path) -> None:
    # Drop inherited CLOPOS_* values (a developer's shell, CI) so only ours apply.
    for name in [n for n in os.environ if n.startswith("CLOPOS_")]:
        patch.delenv(name)
    patch.setenv("CLOPOS_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    patch.setenv("CLOPOS_SECRET_HASH_N", "256")


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and seeded once by ``clopos demo seed``."""
    path = tmp_path_factory.mktemp("till-template") / "till.db"
    with pytest.MonkeyPatch.context() as patch:
        _clean_env(patch, path)
        result = runner.invoke(app, ["demo", "seed"])
        assert result.exit_code == 0, (result.output, result.exception)
    return path


@pytest.fixture
def db_path(
    seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh copy of the seeded database, named by CLOPOS_DATABASE_URL."""
    path = tmp_path / "till.db"
    shutil.copyfile(seeded_template, path)
    _clean_env(monkeypatch, path)
    yield path


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


def ok(*args: str) -> str:
    """Run a command that must succeed; its stdout."""
    result = run(*args)
    assert result.exit_code == 0, (result.output, result.stderr, result.exception)
    return result.stdout


def refused(*args: str) -> str:
    """Run a command that must be refused; its single stderr line."""
    result = run(*args)
    assert isinstance(result.exception, SystemExit), (result.exception, result.stderr)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    assert "Traceback" not in result.output + result.stderr
    return lines[0]


def query(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, params).fetchall()


def product_id(db_path: Path, name: str) -> int:
    ((found,),) = query(db_path, "SELECT id FROM products WHERE name = ? AND brand_id = 1", name)
    return int(found)


def payment_method_id(db_path: Path, name: str) -> int:
    ((found,),) = query(db_path, "SELECT id FROM payment_methods WHERE name = ?", name)
    return int(found)


def create_order(db_path: Path, count: int = 1) -> int:
    """A PENDING delivery order of ``count`` Margherita, made as ``POST /orders`` makes one."""

    async def make() -> int:
        engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
        try:
            async with session_factory(engine)() as session:
                brand = await tenancy.brand_by_slug(session, "openapitest")
                assert brand is not None
                margherita = await session.scalar(
                    select(Product.id).where(
                        Product.brand_id == brand.id, Product.name == "Margherita"
                    )
                )
                delivery = await session.scalar(
                    select(SaleType.id).where(
                        SaleType.brand_id == brand.id, SaleType.name == "Delivery"
                    )
                )
                body = {
                    "sale_type_id": delivery,
                    "venue_id": 1,
                    "customer": {
                        "id": 1,
                        "name": "Cli Customer",
                        "phone": "+994507654321",
                        "address": "3 Nizami St",
                    },
                    "products": [
                        {
                            "product_id": margherita,
                            "product_name": "Margherita",
                            "count": count,
                            "price": "8.50",
                            "status": "new",
                            "product_hash": "cli",
                        }
                    ],
                }
                draft = read_order_body(orjson.dumps(body))
                refs = await orders_repo.load_references(session, brand.id, draft)
                built = build_order(draft, refs, venue_scope=None)
                order = await orders_repo.create_order(
                    session, brand_id=brand.id, draft=draft, built=built, status="PENDING"
                )
                await session.commit()
                return order.id
        finally:
            await engine.dispose()

    return asyncio.run(make())


def cells(line: str) -> list[str]:
    """The cells of one row of a rich table."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


def order_status(db_path: Path, order_id: int) -> str:
    ((status,),) = query(db_path, "SELECT status FROM orders WHERE id = ?", order_id)
    return str(status)


def receipt_of(db_path: Path, order_id: int) -> int:
    ((receipt_id,),) = query(db_path, "SELECT receipt_id FROM orders WHERE id = ?", order_id)
    return int(receipt_id)


# --- orders -----------------------------------------------------------------------------------


def test_orders_lists_pending_orders_newest_first(db_path: Path) -> None:
    first = create_order(db_path, count=1)
    second = create_order(db_path, count=3)
    output = ok("till", "orders")
    rows = [cells(line) for line in output.splitlines() if "Cli Customer" in line]
    assert [int(row[0]) for row in rows] == [second, first]
    # id, venue, status, customer, phone, items, total, created, receipt
    assert rows[0][1:7] == ["1", "PENDING", "Cli Customer", "+994507654321", "3", "25.50"]
    assert rows[0][8] == ""  # no receipt before the order is accepted
    assert "2 PENDING order(s)" in output
    assert "0 RECEIVED order(s)" in ok("till", "orders", "--status", "received")


def test_orders_refusals(db_path: Path) -> None:
    assert "status must be one of PENDING, RECEIVED, IGNORE, DELIVERED" in refused(
        "till", "orders", "--status", "DONE"
    )
    assert "No brand 'nosuch'" in refused("till", "orders", "--brand", "nosuch")


def test_accept_opens_a_receipt(db_path: Path) -> None:
    order_id = create_order(db_path, count=2)
    output = ok("till", "accept", str(order_id))
    receipt_id = receipt_of(db_path, order_id)
    assert output.strip() == f"order {order_id} accepted: receipt {receipt_id} is open, total 17.00"
    assert order_status(db_path, order_id) == "RECEIVED"
    assert query(db_path, "SELECT status, order_id FROM receipts WHERE id = ?", receipt_id) == [
        (1, order_id)
    ]
    line = refused("till", "accept", str(order_id))
    assert line == (
        f"error: cannot accept order {order_id}: Order {order_id} is RECEIVED; "
        "only a PENDING order can be accepted"
    )


@pytest.mark.parametrize("command", ["accept", "ignore", "deliver"])
def test_unknown_or_malformed_order_ids(db_path: Path, command: str) -> None:
    assert refused("till", command, "999999") == (
        f"error: cannot {command} order 999999: Order not found"
    )
    assert "ORDER_ID must be a positive integer, got 'abc'" in refused("till", command, "abc")


def test_ignore_and_deliver(db_path: Path) -> None:
    ignored = create_order(db_path)
    assert ok("till", "ignore", str(ignored)).strip() == f"order {ignored} ignored"
    assert order_status(db_path, ignored) == "IGNORE"
    assert "is IGNORE" in refused("till", "deliver", str(ignored))

    order_id = create_order(db_path)
    assert "is PENDING; only a RECEIVED order can be delivered" in refused(
        "till", "deliver", str(order_id)
    )
    ok("till", "accept", str(order_id))
    assert "is RECEIVED" in refused("till", "ignore", str(order_id))
    assert ok("till", "deliver", str(order_id)).strip() == f"order {order_id} delivered"
    assert order_status(db_path, order_id) == "DELIVERED"


# --- closing receipts -------------------------------------------------------------------------


def test_close_by_method_name_and_id(db_path: Path) -> None:
    order_id = create_order(db_path)
    ok("till", "accept", str(order_id))
    receipt_id = receipt_of(db_path, order_id)
    card = payment_method_id(db_path, "Card")
    output = ok("till", "close", str(receipt_id), "--pay", "CASH=5.00", "--pay", f"{card}=3.50")
    assert output.strip() == (f"receipt {receipt_id} closed: total 8.50, paid Cash 5.00, Card 3.50")
    ((status, by_cash, by_card),) = query(
        db_path, "SELECT status, by_cash, by_card FROM receipts WHERE id = ?", receipt_id
    )
    assert status == 2
    assert (str(by_cash), str(by_card)) == ("5.00", "3.50")
    assert "Receipt is already closed" in refused(
        "till", "close", str(receipt_id), "--pay", "cash=8.50"
    )


def test_close_at_a_given_time(db_path: Path) -> None:
    order_id = create_order(db_path)
    ok("till", "accept", str(order_id))
    receipt_id = receipt_of(db_path, order_id)
    ok("till", "close", str(receipt_id), "--pay", "cash=8.50", "--closed-at", "2099-05-01 10:00:00")
    assert query(db_path, "SELECT closed_at FROM receipts WHERE id = ?", receipt_id)[0][
        0
    ].startswith("2099-05-01 10:00:00")
    assert "--closed-at must be a date and time" in refused(
        "till", "close", str(receipt_id), "--pay", "cash=8.50", "--closed-at", "soon"
    )


@pytest.mark.parametrize(
    ("pay", "message"),
    [
        ("cash", "--pay expects METHOD=AMOUNT such as cash=12.50 or 2=12.50, got 'cash'"),
        ("=8.50", "--pay expects METHOD=AMOUNT"),
        ("cash=abc", "--pay expects METHOD=AMOUNT"),
        ("cash=-1", "--pay amount must be a number of 0 or more, got '-1'"),
        ("cash=NaN", "--pay amount must be a number of 0 or more"),
        ("bitcoin=8.50", "No payment method named 'bitcoin' in this brand; use one of: Cash"),
        ("999999=8.50", "no payment method 999999 in this brand"),
        ("cash=1.00", "8.50"),  # the amounts must add up to the total
    ],
)
def test_bad_pay_values_are_refused_in_one_line(db_path: Path, pay: str, message: str) -> None:
    order_id = create_order(db_path)
    ok("till", "accept", str(order_id))
    receipt_id = receipt_of(db_path, order_id)
    line = refused("till", "close", str(receipt_id), "--pay", pay)
    assert message in line, line
    assert query(db_path, "SELECT status FROM receipts WHERE id = ?", receipt_id) == [(1,)]


def test_close_refusals_without_a_receipt(db_path: Path) -> None:
    assert refused("till", "close", "999999", "--pay", "cash=1") == (
        "error: cannot close receipt 999999: Receipt not found"
    )
    assert "give at least one --pay" in refused("till", "close", "1")
    assert "RECEIPT_ID must be a positive integer" in refused(
        "till", "close", "x1", "--pay", "cash=1"
    )


# --- stop list --------------------------------------------------------------------------------


def test_stop_and_unstop(db_path: Path) -> None:
    latte = product_id(db_path, "Latte")
    assert ok("till", "stop", str(latte), "--venue", "1", "--limit", "4").strip() == (
        f"product {latte} limited to 4 at venue 1"
    )
    assert query(
        db_path, 'SELECT venue_id, "limit" FROM stop_list WHERE product_id = ?', latte
    ) == [(1, 4)]
    ok("till", "stop", str(latte), "--venue", "1")  # --limit defaults to 0: sold out
    assert query(db_path, 'SELECT "limit" FROM stop_list WHERE product_id = ?', latte) == [(0,)]
    assert ok("till", "unstop", str(latte), "--venue", "1").strip() == (
        f"product {latte} is no longer limited at venue 1"
    )
    assert query(db_path, "SELECT * FROM stop_list WHERE product_id = ?", latte) == []
    assert ok("till", "unstop", str(latte), "--venue", "1").strip() == (
        f"product {latte} had no limit at venue 1"
    )


def test_stop_refusals(db_path: Path) -> None:
    latte = product_id(db_path, "Latte")
    assert refused("till", "stop", "999999", "--venue", "1") == (
        "error: cannot stop product 999999: Product not found"
    )
    assert "no venue 77 in this brand" in refused("till", "stop", str(latte), "--venue", "77")
    assert "no venue 77 in this brand" in refused("till", "unstop", str(latte), "--venue", "77")
    assert "PRODUCT_ID must be a positive integer" in refused("till", "unstop", "0", "--venue", "1")
