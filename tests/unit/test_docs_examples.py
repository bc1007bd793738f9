"""The SDK docs stay true to the code: every example compiles and calls real signatures.

``docs/sdk.md``, ``docs/migrating-from-integrify.md`` and ``docs/events.md`` (its SDK section)
are checked offline: each
```python block must compile, and every call of a client method (on a variable named
``clopos`` or on ``CloposRequest``) or of a constructor (``CloposClient``, ``RetryPolicy``…)
must name a method that exists and bind to its signature — so renaming a method or a
keyword breaks this test. The examples were also run live against ``clopos serve``.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clopos.client import AsyncCloposClient, CloposClient, CloposClientClass, RetryPolicy

DOCS = Path(__file__).resolve().parents[2] / "docs"
SDK = DOCS / "sdk.md"
MIGRATION = DOCS / "migrating-from-integrify.md"
EVENTS = DOCS / "events.md"

# Variable names the docs use for a client instance.
CLIENT_NAMES = {"clopos", "CloposRequest", "CloposAsyncRequest"}
CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "CloposClient": CloposClient,
    "AsyncCloposClient": AsyncCloposClient,
    "CloposClientClass": CloposClientClass,
    "RetryPolicy": RetryPolicy,
}
# Methods only the async client has (bounded-concurrency paging).
ASYNC_ONLY = {"fetch_all"}
# The existing client's method table (existing-python-client.md §4 and §4.1).
INTEGRIFY_METHODS = [
    "auth", "get_venues", "get_users", "get_user_by_id", "get_customers", "get_customer_by_id",
    "create_customer", "get_customer_groups", "get_categories", "get_category_by_id",
    "get_stations", "get_station_by_id", "get_products", "get_product_by_id", "get_stop_list",
    "get_sale_types", "get_payment_methods", "get_orders", "get_order_by_id", "create_order",
    "update_order", "get_receipts", "get_receipt_by_id", "create_receipt", "update_receipt",
    "update_closed_receipt", "close_receipt", "delete_receipt", "get_receipt_stock_operations",
    "get_price_lists", "get_price_list_prices",
]  # fmt: skip


def python_blocks(path: Path) -> list[str]:
    """The bodies of the ```python blocks of ``path``, dedented (blocks may sit in lists)."""
    return [textwrap.dedent(b) for b in re.findall(r"```python\n(.*?)```", path.read_text(), re.S)]


def table_calls(path: Path) -> list[str]:
    """Inline-code cells of the migration table that are client calls."""
    rows = [line for line in path.read_text().splitlines() if line.startswith("|")]
    spans = [span for row in rows for span in re.findall(r"`([^`]+)`", row)]
    return [s for s in spans if re.match(r"(CloposRequest|clopos)\.\w+\(", s)]


def calls(tree: ast.AST) -> Iterator[tuple[Callable[..., Any], ast.Call, str]]:
    """``(callable, call node, label)`` for every client-method or constructor call."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in CLIENT_NAMES and func.attr in ASYNC_ONLY:
                assert hasattr(AsyncCloposClient, func.attr), f"async client lacks {func.attr}"
                yield getattr(AsyncCloposClient, func.attr), node, func.attr
            elif func.value.id in CLIENT_NAMES:
                assert hasattr(CloposClient, func.attr), f"CloposClient has no {func.attr}"
                assert hasattr(AsyncCloposClient, func.attr), f"async client lacks {func.attr}"
                yield getattr(CloposClient, func.attr), node, func.attr
        elif isinstance(func, ast.Name) and func.id in CONSTRUCTORS:
            yield CONSTRUCTORS[func.id], node, func.id


def assert_binds(target: Callable[..., Any], node: ast.Call, label: str) -> None:
    """The call's positional count and keyword names fit ``target``'s signature."""
    signature = inspect.signature(target)
    params = list(signature.parameters.values())
    if params and params[0].name == "self":
        signature = signature.replace(parameters=params[1:])
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        return  # *args / **kwargs in the example: nothing static to check
    args = [None] * len(node.args)
    kwargs = {k.arg: None for k in node.keywords if k.arg is not None}
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        pytest.fail(f"{label}({ast.unparse(node)[:80]}…) does not fit {signature}: {exc}")


@pytest.mark.parametrize("path", [SDK, MIGRATION, EVENTS], ids=lambda p: p.name)
def test_every_python_block_compiles_and_calls_real_signatures(path: Path) -> None:
    blocks = python_blocks(path)
    assert blocks, f"{path.name} has no python examples"
    checked = 0
    for index, block in enumerate(blocks):
        tree = ast.parse(block, filename=f"{path.name}[{index}]")
        compile(tree, f"{path.name}[{index}]", "exec")
        for target, node, label in calls(tree):
            assert_binds(target, node, label)
            checked += 1
    assert checked > 0


def test_the_migration_table_covers_every_integrify_method_with_valid_calls() -> None:
    cells = table_calls(MIGRATION)
    for cell in cells:
        node = ast.parse(cell, mode="eval").body
        assert isinstance(node, ast.Call)
        for target, call, label in calls(node):
            assert_binds(target, call, label)
    before = {re.match(r"CloposRequest\.(\w+)", c).group(1) for c in cells if c.startswith("Clo")}  # type: ignore[union-attr]
    after = {re.match(r"clopos\.(\w+)", c).group(1) for c in cells if c.startswith("clopos")}  # type: ignore[union-attr]
    assert set(INTEGRIFY_METHODS) <= before
    assert set(INTEGRIFY_METHODS) <= after


def test_a_renamed_method_or_keyword_would_be_caught() -> None:
    good = ast.parse("clopos.get_receipts(sort_by='created_at', date_from='2025-01-01')")
    for target, node, label in calls(good):
        assert_binds(target, node, label)
    with pytest.raises(AssertionError, match="has no get_receipt_list"):
        list(calls(ast.parse("clopos.get_receipt_list()")))
    # fetch_all exists on the async client only, and is checked against its signature there
    (target, _, _), *_ = calls(ast.parse("clopos.fetch_all('get_receipts', limit=5)"))
    assert target is AsyncCloposClient.fetch_all
    bad = ast.parse("clopos.get_receipts(sort='created_at')")
    with pytest.raises(pytest.fail.Exception, match="does not fit"):
        for target, node, label in calls(bad):
            assert_binds(target, node, label)
