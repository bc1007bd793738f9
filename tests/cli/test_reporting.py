"""``clopos export``, ``clopos report daily`` and ``clopos orders watch`` against a real
``clopos serve`` process, each command run as the installed script in its own process.

The database (SQLite, and PostgreSQL when reachable) holds the demo brand plus 1 000 sample
receipts over five days of March 2025 at venue 1, every tenth one still open, bulk-inserted
through the store's tables (``clopos.reporting.sample``). What a command printed or wrote
is compared with what ``GET /receipts`` / ``GET /orders`` answer, read here with plain
httpx and exact decimals.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from clopos.cli import app
from clopos.reporting.sample import insert_receipts
from clopos.server.demo import (
    DEMO_BRAND,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_INTEGRATOR,
    seed_demo,
)
from clopos.server.store.db import create_engine, session_factory
from clopos.server.store.migrate import upgrade

# tests/conftest.py and tests/e2e/conftest.py (tests/ is on sys.path).
from conftest import _pg_exec, _pg_url, postgres_unreachable
from e2e.conftest import CLOPOS, ServerProcess, free_port, server_env

pytestmark = pytest.mark.e2e

DAYS = [date(2025, 3, 1) + timedelta(days=i) for i in range(5)]
RECEIPTS = 1000
ADMIN_TOKEN = "reporting-test-admin"
COMMAND_TIMEOUT = 120


class ReportingServer(ServerProcess):
    """``clopos serve --seed-demo`` without rate limits (an export is many quick GETs)
    and with the till's admin token (to accept orders)."""

    def start(self) -> None:
        assert self.process is None, "already running"
        self.starts += 1
        self.log_path = self.log_dir / f"serve-{self.starts}.log"
        env = {
            **server_env(self.database_url),
            "CLOPOS_RATE_LIMIT_ENABLED": "false",
            "CLOPOS_ADMIN_TOKEN": ADMIN_TOKEN,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(CLOPOS), "serve", "--seed-demo", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        self._wait_healthy()


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            await seed_demo(session, hash_n=256)
    finally:
        await engine.dispose()
    await insert_receipts(url, RECEIPTS, days=DAYS, open_every=10)


@dataclass
class Live:
    """The running server and how to reach it."""

    server: ReportingServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a ``clopos`` command talking to this server."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
        env.update(
            CLOPOS_BASE_URL=self.base_url,
            CLOPOS_CLIENT_ID=DEMO_CLIENT_ID,
            CLOPOS_CLIENT_SECRET=DEMO_CLIENT_SECRET,
            CLOPOS_BRAND=DEMO_BRAND,
            CLOPOS_INTEGRATOR_ID=DEMO_INTEGRATOR,
            NO_COLOR="1",
            COLUMNS="200",
        )
        env.update(extra)
        return env

    def headers(self) -> dict[str, str]:
        answer = httpx.post(
            f"{self.base_url}/open-api/v2/auth",
            json={
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_CLIENT_SECRET,
                "brand": DEMO_BRAND,
                "integrator_id": DEMO_INTEGRATOR,
            },
        )
        assert answer.status_code == 200, answer.text
        return {"x-token": answer.json()["token"]}

    def list_all(self, path: str, params: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
        """``total`` of page 1 and every item, read page by page (amounts as Decimal)."""
        headers, items, page, total = self.headers(), [], 1, None
        while True:
            answer = httpx.get(
                f"{self.base_url}/open-api/v2/{path}",
                params={
                    **params,
                    "page": str(page),
                    "limit": "100",
                    "sort[0]": "id",
                    "sort[1]": "1",
                },
                headers=headers,
            )
            assert answer.status_code == 200, answer.text
            body = json.loads(answer.content, parse_float=Decimal)
            total = body["total"] if total is None else total
            items.extend(body["data"])
            if len(body["data"]) < 100:
                return total, items
            page += 1

    def create_order(self, name: str) -> int:
        answer = httpx.post(
            f"{self.base_url}/open-api/v2/orders",
            headers=self.headers(),
            json={
                "sale_type_id": 2,
                "venue_id": 1,
                "customer": {"id": 0, "name": name, "phone": "+994501110099"},
                "products": [{"product_id": 11, "count": 2}],
                "delivery_fee": 2.5,
            },
        )
        assert answer.status_code in (200, 201), answer.text
        order_id: int = answer.json()["data"]["id"]
        return order_id

    def accept(self, order_id: int) -> None:
        answer = httpx.post(
            f"{self.base_url}/sandbox/brands/{DEMO_BRAND}/orders/{order_id}/accept",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """One seeded server per database backend, shared by this module's tests."""
    root = tmp_path_factory.mktemp(f"reporting-{request.param}")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{root / 'reporting.db'}"
    else:
        problem = postgres_unreachable()
        if problem:
            pytest.skip(problem)
        pg_name = f"clopos_rep_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_exec(f'CREATE DATABASE "{pg_name}"'))
        url = _pg_url(pg_name)
    upgrade(url)
    asyncio.run(_seed(url))
    server = ReportingServer(url, root)
    server.start()
    try:
        yield Live(server)
    finally:
        server.kill()
        if pg_name is not None:
            asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def clopos(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLOPOS), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def succeeds(env: dict[str, str], *args: str) -> str:
    result = clopos(env, *args)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def refused(env: dict[str, str], *args: str) -> str:
    """A refused command: exit 2, one ``error:`` line on stderr, no traceback."""
    result = clopos(env, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def file_rows(path: Path, fmt: str) -> list[dict[str, Any]]:
    """The exported rows with ``id`` as int and ``total`` as Decimal."""
    if fmt == "csv":
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [{**row, "id": int(row["id"])} for row in csv.DictReader(handle)]
            for row in rows:
                if "total" in row:
                    row["total"] = Decimal(row["total"])
            return rows
    if fmt == "jsonl":
        with path.open("rb") as handle:
            return [json.loads(line, parse_float=Decimal) for line in handle]
    table = pq.read_table(path)
    return table.to_pylist()


def companions(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


# --- export -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_rows_and_sums_match_the_api(live: Live, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"receipts.{fmt}"
    printed = succeeds(
        live.env(),
        "export",
        "receipts",
        "--from",
        "2025-03-02",
        "--to",
        "2025-03-04",
        "--out",
        str(out),
    )
    total, items = live.list_all("receipts", {"date[0]": "2025-03-02", "date[1]": "2025-03-04"})
    assert total == 600  # three of the five seeded days
    rows = file_rows(out, fmt)
    assert len(rows) == total
    assert sorted(r["id"] for r in rows) == sorted(i["id"] for i in items)
    assert len({r["id"] for r in rows}) == len(rows)
    assert sum(Decimal(r["total"]) for r in rows) == sum(i["total"] for i in items)
    if fmt != "jsonl":
        paid = sum(p["amount"] for i in items for p in i["payment_methods"])
        assert sum(Decimal(r["paid_total"]) for r in rows) == paid
    assert f"exported {total} receipts to {out} ({fmt})" in printed
    assert companions(out) == []  # no .partial, no .state.json left behind


def test_csv_columns_and_exact_amounts(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "day.csv"
    succeeds(
        live.env(),
        "export",
        "receipts",
        "--from",
        "2025-03-01",
        "--to",
        "2025-03-01",
        "-o",
        str(out),
    )
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames is not None and reader.fieldnames[:6] == [
        "id",
        "venue_id",
        "cid",
        "status",
        "sale_type_id",
        "sale_type_name",
    ]
    _, items = live.list_all("receipts", {"date[0]": "2025-03-01", "date[1]": "2025-03-01"})
    by_id = {i["id"]: i for i in items}
    for row in rows:
        source = by_id[int(row["id"])]
        assert row["total"] == str(source["total"])  # the digits the API sent
        assert row["sale_type_name"] == source["meta"]["sale_type"]["name"]
        assert json.loads(row["payment_methods"], parse_float=Decimal) == source["payment_methods"]


def test_orders_export_matches_the_api(live: Live, tmp_path: Path) -> None:
    created = [live.create_order(f"Guest {n}") for n in range(3)]
    out = tmp_path / "orders.csv"
    succeeds(live.env(), "export", "orders", "--out", str(out), "--page-size", "2")
    total, items = live.list_all("orders", {})
    rows = file_rows(out, "csv")
    assert len(rows) == total and set(created) <= {r["id"] for r in rows}
    assert sorted(r["id"] for r in rows) == sorted(i["id"] for i in items)
    fees = sum(Decimal(r["delivery_fee"] or "0") for r in rows)
    assert fees == sum(Decimal(str(i["payload"].get("delivery_fee") or 0)) for i in items)
    guest = next(r for r in rows if r["id"] == created[0])
    assert guest["customer_name"] == "Guest 0" and guest["status"] == "PENDING"


def _wait_for_pages(state: Path, pages: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the export finished before it could be interrupted"
        try:
            if json.loads(state.read_text())["pages_done"] >= pages:
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.005)
    pytest.fail("the export wrote no pages")


def _start_export(live: Live, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLOPOS), "export", "receipts", *args],
        env=live.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ctrl_c_then_rerun_resumes_with_each_receipt_once(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "resumed.csv"
    args = ["--from", "2025-03-02", "--to", "2025-03-04", "--out", str(out), "--page-size", "2"]
    process = _start_export(live, *args, "--concurrency", "1")
    _wait_for_pages(tmp_path / "resumed.csv.state.json", 5, process)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    assert process.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr
    state = json.loads((tmp_path / "resumed.csv.state.json").read_text())
    done = state["rows"]
    assert 5 <= done < 600
    assert f"interrupted after {done} receipts; run the same command again to resume" in stderr
    assert not out.exists()

    # The same command again (more requests in flight is not an option that changes rows).
    printed = succeeds(live.env(), "export", "receipts", *args, "--concurrency", "4")
    assert f"exported 600 receipts to {out} (csv), resuming after {done}" in printed
    total, items = live.list_all("receipts", {"date[0]": "2025-03-02", "date[1]": "2025-03-04"})
    rows = file_rows(out, "csv")
    assert len(rows) == total
    assert [r["id"] for r in rows] == sorted(i["id"] for i in items)  # once each, in order
    assert sum(r["total"] for r in rows) == sum(i["total"] for i in items)
    assert companions(out) == []


def test_a_killed_export_resumes_without_the_half_written_page(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "killed.jsonl"
    args = ["--from", "2025-03-01", "--to", "2025-03-05", "--out", str(out), "--page-size", "7"]
    process = _start_export(live, *args, "--concurrency", "2")
    _wait_for_pages(tmp_path / "killed.jsonl.state.json", 5, process)
    process.kill()  # no chance to tidy up
    process.communicate(timeout=COMMAND_TIMEOUT)
    printed = succeeds(live.env(), "export", "receipts", *args)
    assert "resuming after" in printed
    total, items = live.list_all("receipts", {"date[0]": "2025-03-01", "date[1]": "2025-03-05"})
    rows = file_rows(out, "jsonl")
    assert total == RECEIPTS
    assert [r["id"] for r in rows] == sorted(i["id"] for i in items)
    assert sum(r["total"] for r in rows) == sum(i["total"] for i in items)


def test_rerun_with_other_options_is_refused_until_restart(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "changed.csv"
    args = ["--from", "2025-03-01", "--to", "2025-03-05", "--out", str(out), "--page-size", "1"]
    process = _start_export(live, *args, "--concurrency", "1")
    _wait_for_pages(tmp_path / "changed.csv.state.json", 3, process)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=COMMAND_TIMEOUT)
    assert process.returncode == 130

    other = ["--from", "2025-03-01", "--to", "2025-03-02", "--out", str(out), "--page-size", "1"]
    line = refused(live.env(), "export", "receipts", *other)
    assert "date_to 2025-03-05 -> 2025-03-02" in line and "--restart" in line
    succeeds(live.env(), "export", "receipts", *other, "--restart", "--page-size", "50")
    assert len(file_rows(out, "csv")) == 400


def refused_in_process(env: dict[str, str], *args: str) -> str:
    """``refused`` through typer's CliRunner (no process start: these fail before or at the
    first request); SystemExit(2) is ``fail``, any other exception would be a traceback."""
    result = CliRunner().invoke(app, list(args), env=env)
    assert isinstance(result.exception, SystemExit), (result.exception, result.stderr)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_export_refusals_are_one_line(live: Live, tmp_path: Path) -> None:
    env, out = live.env(), str(tmp_path / "x.csv")
    refused = refused_in_process
    assert "--from must be a date as YYYY-MM-DD, got '2025-13-45x'" in refused(
        env, "export", "receipts", "--from", "2025-13-45x", "--out", out
    )
    assert "--to is not a calendar date: '2025-02-30'" in refused(
        env, "export", "receipts", "--to", "2025-02-30", "--out", out
    )
    assert "--from 2025-03-05 is after --to 2025-03-01" in refused(
        env, "export", "receipts", "--from", "2025-03-05", "--to", "2025-03-01", "--out", out
    )
    assert "--format must be one of csv, jsonl, parquet, got 'xlsx'" in refused(
        env, "export", "receipts", "--format", "xlsx", "--out", out
    )
    assert "cannot tell the format from 'x.txt'" in refused(
        env, "export", "orders", "--out", str(tmp_path / "x.txt")
    )
    assert "--page-size must be 1 to 100 for orders, got 500" in refused(
        env, "export", "orders", "--page-size", "500", "--out", out
    )
    assert "--out: no directory" in refused(
        env, "export", "receipts", "--out", str(tmp_path / "missing" / "x.csv")
    )
    assert "--status must be one of PENDING" in refused(
        env, "export", "orders", "--status", "NEW", "--out", out
    )
    assert "--api-version must be v1 or v2, got 'v3'" in refused(
        env, "export", "receipts", "--api-version", "v3", "--out", out
    )
    line = refused(env, "export", "receipts", "--client-secret", "wrong", "--out", out)
    assert f"{live.base_url} refused the credentials" in line
    assert not (tmp_path / "x.csv").exists()


def test_unreachable_upstream_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOPOS_")}
    base = f"http://127.0.0.1:{free_port()}"
    env.update(
        CLOPOS_CLIENT_ID="c", CLOPOS_CLIENT_SECRET="s", CLOPOS_BRAND="b", CLOPOS_INTEGRATOR_ID="i"
    )
    line = refused(env, "export", "receipts", "--base-url", base, "--out", str(tmp_path / "r.csv"))
    assert line.startswith(f"error: cannot reach {base}: ")
    line = refused(env, "report", "daily", "--date", "2025-03-01", "--base-url", base)
    assert line.startswith(f"error: cannot reach {base}")
    assert companions(tmp_path / "r.csv") == []


# --- report daily -------------------------------------------------------------------------


def test_daily_report_equals_sums_from_the_api(live: Live, tmp_path: Path) -> None:
    chart = tmp_path / "day.png"
    printed = succeeds(live.env(), "report", "daily", "--date", "2025-03-03", "--json")
    report = json.loads(printed, parse_float=Decimal)
    _, items = live.list_all("receipts", {"date[0]": "2025-03-03", "date[1]": "2025-03-03"})
    closed = [i for i in items if i["status"] == 2]
    by_sale: dict[int, Decimal] = defaultdict(Decimal)
    by_method: dict[int, Decimal] = defaultdict(Decimal)
    for receipt in closed:
        by_sale[receipt["sale_type_id"]] += receipt["total"]
        for payment in receipt["payment_methods"]:
            by_method[payment["id"]] += payment["amount"]
    assert report["receipts"] == len(closed) == 180
    assert report["open_receipts"] == len(items) - len(closed) == 20
    assert report["total"] == sum(i["total"] for i in closed)
    assert {x["id"]: x["total"] for x in report["by_sale_type"]} == by_sale
    assert {x["id"]: x["amount"] for x in report["by_payment_method"]} == by_method
    assert {x["name"] for x in report["by_sale_type"]} == {"Dine-in", "Takeaway", "Delivery"}

    tables = succeeds(live.env(), "report", "daily", "--date", "2025-03-03", "--png", str(chart))
    for line in report["by_sale_type"] + report["by_payment_method"]:
        amount = line.get("total", line.get("amount"))
        assert any(line["name"] in row and str(amount) in row for row in tables.splitlines())
    assert "180 closed receipts on 2025-03-03; 20 still open" in tables
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000


def test_daily_report_of_a_day_without_sales(live: Live) -> None:
    report = json.loads(succeeds(live.env(), "report", "daily", "--date", "2024-01-01", "--json"))
    assert report["receipts"] == 0 and report["by_sale_type"] == [] and report["total"] == 0


def test_daily_report_refuses_a_bad_date(live: Live) -> None:
    assert "--date must be a date as YYYY-MM-DD, got 'yesterday'" in refused_in_process(
        live.env(), "report", "daily", "--date", "yesterday"
    )


# --- orders watch -------------------------------------------------------------------------


def test_watch_once_shows_a_just_created_order(live: Live) -> None:
    order_id = live.create_order("Watch Once")
    printed = succeeds(live.env(), "orders", "watch", "--once")
    row = next(line for line in printed.splitlines() if f" {order_id} " in line)
    assert "PENDING" in row and "Watch Once" in row
    pending = succeeds(live.env(), "orders", "watch", "--once", "--status", "received")
    assert not any(f" {order_id} " in line for line in pending.splitlines())


@pytest.mark.parametrize(("flags", "source"), [([], "events"), (["--no-feed"], "polling")])
def test_watch_follows_new_orders_and_status_changes(
    live: Live, flags: list[str], source: str
) -> None:
    process = subprocess.Popen(
        [str(CLOPOS), "orders", "watch", "--interval", "0.3", "--limit", "5", *flags],
        env=live.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.strip() == f"watching orders ({source}); Ctrl-C to stop", first
        # The snapshot lines (orders already there) come first; then the new order.
        order_id = live.create_order("Watch Live")
        expected = [f"order {order_id} PENDING", f"order {order_id} PENDING -> RECEIVED"]
        seen: list[str] = []
        deadline = time.monotonic() + 30
        while expected and time.monotonic() < deadline:
            line = process.stdout.readline().strip()
            seen.append(line)
            if line.endswith(expected[0]):
                expected.pop(0)
                if expected:
                    live.accept(order_id)
        assert not expected, seen
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
    assert process.returncode == 0, stderr
    assert stdout.strip().endswith("stopped") and "Traceback" not in stderr
