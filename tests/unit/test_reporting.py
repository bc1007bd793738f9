"""Pure parts of ``clopos.reporting``: flat rows, daily totals, page order, resume rules,
the order board and feed pages, and the sinks' byte-exact resume on local files."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel, ConfigDict, Field

from clopos._json import dumps
from clopos.client import AsyncCloposClient, BadRequestError
from clopos.reporting.daily import summarize_day
from clopos.reporting.export import (
    DATASETS,
    CsvSink,
    ExportRequest,
    ExportState,
    JsonlSink,
    check_range,
    choose_format,
    choose_sort,
    fingerprint,
    parse_day,
    plan_start,
    run_export,
    write_parquet,
)
from clopos.reporting.paging import all_items, pages_in_order
from clopos.reporting.records import (
    ORDER_COLUMNS,
    RECEIPT_COLUMNS,
    RecordError,
    as_plain,
    cell_text,
    envelope_total,
    flatten,
)
from clopos.reporting.upstream import ReportingError
from clopos.reporting.watch import OrderBoard, read_feed_page

RECEIPT_NAMES = [c.name for c in RECEIPT_COLUMNS]
ORDER_NAMES = [c.name for c in ORDER_COLUMNS]


def receipt(**fields: Any) -> dict[str, Any]:
    """A closed receipt as the API sends it (only the keys the tests read)."""
    body: dict[str, Any] = {
        "id": 1,
        "venue_id": 1,
        "cid": "c-1",
        "status": 2,
        "sale_type_id": 1,
        "meta": {"sale_type": {"name": "Dine-in"}},
        "total": Decimal("17.00"),
        "subtotal": Decimal("17.00"),
        "totalCost": Decimal("4.10"),
        "payment_methods": [{"id": 1, "name": "Cash", "amount": Decimal("17.00")}],
        "created_at": "2026-03-01 12:00:00",
        "closed_at": "2026-03-01 12:30:00",
    }
    body.update(fields)
    return body


def row_of(item: dict[str, Any]) -> dict[str, Any]:
    return dict(zip(RECEIPT_NAMES, flatten(item, RECEIPT_COLUMNS), strict=True))


# --- flat rows ----------------------------------------------------------------------------


def test_receipt_row_keeps_money_digits_and_names_its_columns() -> None:
    row = row_of(receipt())
    assert row["total"] == Decimal("17.00") and cell_text(row["total"]) == "17.00"
    assert cell_text(row["total_cost"]) == "4.10"  # totalCost on the wire
    assert row["sale_type_name"] == "Dine-in"
    assert row["paid_total"] == Decimal("17.00")
    assert row["payment_methods"] == '[{"id":1,"name":"Cash","amount":17.00}]'
    assert row["fiscal_id"] is None and cell_text(row["fiscal_id"]) == ""


def test_float_money_is_read_through_its_shortest_repr() -> None:
    # httpx parses JSON numbers as floats; 0.1 + 0.2 style noise must not appear.
    row = row_of(receipt(total=8.5, subtotal=0.3, payment_methods=[{"id": 1, "amount": 0.1}]))
    assert cell_text(row["total"]) == "8.5"
    assert cell_text(row["subtotal"]) == "0.3"
    assert row["paid_total"] == Decimal("0.1")


def test_large_amounts_are_written_without_exponent() -> None:
    row = row_of(receipt(total=Decimal("1E+3"), subtotal=Decimal("12345678901234567.89")))
    assert cell_text(row["total"]) == "1000"
    assert cell_text(row["subtotal"]) == "12345678901234567.89"


def test_an_amount_that_is_not_a_number_names_record_and_column() -> None:
    with pytest.raises(RecordError, match=r"record id 7: total: expected an amount"):
        flatten(receipt(id=7, total="12,50"), RECEIPT_COLUMNS)
    with pytest.raises(RecordError, match="sale_type_id: expected an integer"):
        flatten(receipt(sale_type_id="takeaway"), RECEIPT_COLUMNS)


def test_ids_sent_as_digit_strings_become_integers() -> None:
    assert row_of(receipt(id="42", customer_id=None))["id"] == 42


def test_order_row_reads_the_stored_payload() -> None:
    order = {
        "id": 5,
        "venue_id": 1,
        "status": "PENDING",
        "payload": {
            "service": {"sale_type_id": 2, "venue_id": 1},
            "customer": {"name": "Ada", "phone": "+994501110099"},
            "products": [{"product_id": 11, "count": 2}, {"product_id": 12, "count": 1.5}],
            "delivery_fee": Decimal("2.50"),
            "meta": {"comment": "no onions"},
            "customer_id": 9,
        },
        "created_at": "2026-03-01T12:00:00.000000Z",
    }
    row = dict(zip(ORDER_NAMES, flatten(order, ORDER_COLUMNS), strict=True))
    assert row["sale_type_id"] == 2
    assert row["customer_id"] == 9 and row["customer_name"] == "Ada"
    assert row["product_lines"] == 2 and row["item_count"] == Decimal("3.5")
    assert cell_text(row["delivery_fee"]) == "2.50"
    assert row["comment"] == "no onions"
    assert row["total_amount"] is None


class WireReceipt(BaseModel):
    """Like the SDK's models: aliases, unknown fields kept."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: int
    total: Decimal
    total_cost: Decimal | None = Field(default=None, alias="totalCost")


def test_as_plain_turns_models_into_wire_dicts() -> None:
    model = WireReceipt.model_validate({"id": 3, "total": "9.90", "totalCost": "1.00", "x": 1})
    plain = as_plain({"data": [model], "total": 1})
    assert plain == {
        "data": [{"id": 3, "total": Decimal("9.90"), "totalCost": Decimal("1.00"), "x": 1}],
        "total": 1,
    }
    assert row_of(plain["data"][0])["total_cost"] == Decimal("1.00")


def test_envelope_total_reads_both_documented_forms() -> None:
    assert envelope_total({"total": 12}) == 12
    assert envelope_total({"pagination": {"total": "7"}}) == 7
    assert envelope_total({"data": []}) is None


# --- options ------------------------------------------------------------------------------


def test_options_are_checked_with_messages_naming_them() -> None:
    assert parse_day(" 2026-03-01 ", "--from") == date(2026, 3, 1)
    with pytest.raises(ReportingError, match="--from must be a date as YYYY-MM-DD"):
        parse_day("01/03/2026", "--from")
    with pytest.raises(ReportingError, match="--to is not a calendar date"):
        parse_day("2026-02-30", "--to")
    with pytest.raises(ReportingError, match="--from 2026-03-02 is after --to 2026-03-01"):
        check_range(date(2026, 3, 2), date(2026, 3, 1))
    assert choose_format(None, Path("x.PARQUET")) == "parquet"
    assert choose_format("JSONL", Path("x.csv")) == "jsonl"
    with pytest.raises(ReportingError, match="--format must be one of csv, jsonl, parquet"):
        choose_format("xlsx", Path("x.csv"))
    with pytest.raises(ReportingError, match="cannot tell the format"):
        choose_format(None, Path("x.txt"))
    assert choose_sort(["created_at", "id"]) == "id"
    assert choose_sort([]) == "created_at"


# --- daily totals -------------------------------------------------------------------------


def test_daily_totals_by_sale_type_and_payment_method() -> None:
    receipts = [
        receipt(
            id=1,
            sale_type_id=1,
            total=Decimal("10.00"),
            payment_methods=[{"id": 1, "name": "Cash", "amount": Decimal("10.00")}],
        ),
        receipt(
            id=2,
            sale_type_id=2,
            total=Decimal("30.50"),
            payment_methods=[
                {"id": 1, "name": "Cash", "amount": Decimal("10.50")},
                {"id": 2, "name": "Card", "amount": Decimal("20.00")},
            ],
        ),
        receipt(
            id=3,
            sale_type_id=1,
            total=Decimal("5.25"),
            payment_methods=[{"id": 2, "name": "Card", "amount": Decimal("5.25")}],
        ),
        receipt(id=4, status=1, total=Decimal("99"), payment_methods=[]),  # open: not a sale
        receipt(id=5, sale_type_id=9, meta={}, total=Decimal("1"), payment_methods=[]),
    ]
    report = summarize_day(
        date(2026, 3, 1), receipts, sale_types={1: "Dine-in", 2: "Takeaway"}, payment_methods={}
    )
    assert report.receipts == 4 and report.open_receipts == 1
    assert report.total == Decimal("46.75")
    assert [(x.name, x.count, x.amount) for x in report.by_sale_type] == [
        ("Takeaway", 1, Decimal("30.50")),
        ("Dine-in", 2, Decimal("15.25")),
        ("#9", 1, Decimal("1")),
    ]
    assert [(x.id, x.name, x.count, x.amount) for x in report.by_payment_method] == [
        (2, "Card", 2, Decimal("25.25")),
        (1, "Cash", 2, Decimal("20.50")),
    ]
    assert report.payments_total == Decimal("45.75")
    assert json.loads(report.as_json())["by_sale_type"][0] == {
        "id": 2,
        "name": "Takeaway",
        "receipts": 1,
        "total": 30.5,
    }


def test_daily_totals_take_names_from_the_receipt_when_no_lookup() -> None:
    report = summarize_day(date(2026, 3, 1), [receipt(sale_type_id=4)])
    assert report.by_sale_type[0].name == "Dine-in"


def test_daily_totals_refuse_a_bad_amount_rather_than_skip_it() -> None:
    with pytest.raises(RecordError, match=r"receipt 8: payment_methods\[0\].amount"):
        summarize_day(
            date(2026, 3, 1), [receipt(id=8, payment_methods=[{"id": 1, "amount": "lots"}])]
        )


# --- pages in order -----------------------------------------------------------------------


class FakeList:
    """``n`` items ``{"id": 1..n}``; answers later pages first to shake the ordering."""

    def __init__(self, n: int, size: int, *, report_total: bool = True) -> None:
        self.n, self.size, self.report_total = n, size, report_total
        self.requested: list[int] = []
        self.in_flight = self.max_in_flight = 0

    async def fetch(self, page: int) -> dict[str, Any]:
        self.requested.append(page)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.001 * (10 - page % 10))
        self.in_flight -= 1
        start = (page - 1) * self.size
        data = [{"id": i + 1} for i in range(start, min(start + self.size, self.n))]
        envelope: dict[str, Any] = {"success": True, "data": data}
        if self.report_total:
            envelope["total"] = self.n
        return envelope


async def collect(api: FakeList, *, start: int, concurrency: int) -> list[tuple[int, list[int]]]:
    total = api.n if api.report_total else None
    out = []
    async for page, items in pages_in_order(
        api.fetch, start=start, page_size=api.size, concurrency=concurrency, total=total
    ):
        out.append((page, [i["id"] for i in items]))
    return out


@pytest.mark.parametrize(
    ("n", "size", "concurrency"), [(0, 5, 3), (10, 5, 4), (23, 5, 3), (7, 10, 1)]
)
async def test_pages_come_in_order_each_item_once(n: int, size: int, concurrency: int) -> None:
    api = FakeList(n, size)
    pages = await collect(api, start=1, concurrency=concurrency)
    assert [p for p, _ in pages] == list(range(1, len(pages) + 1))
    assert [i for _, items in pages for i in items] == list(range(1, n + 1))
    assert api.max_in_flight <= concurrency
    # With a total, not one request past the last page.
    assert sorted(api.requested) == list(range(1, -(-n // size) + 1))


async def test_pages_start_where_a_resumed_export_left_off() -> None:
    pages = await collect(FakeList(23, 5), start=3, concurrency=2)
    assert [i for _, items in pages for i in items] == list(range(11, 24))


async def test_without_a_total_reading_stops_at_the_short_page() -> None:
    api = FakeList(12, 5, report_total=False)
    pages = await collect(api, start=1, concurrency=2)
    assert [i for _, items in pages for i in items] == list(range(1, 13))


async def test_rows_added_while_reading_are_not_cut_off() -> None:
    api = FakeList(10, 5)
    original = api.fetch

    async def growing(page: int) -> dict[str, Any]:
        api.n = 10 if page == 1 else 14  # four more receipts after page 1
        return await original(page)

    pages = [
        p async for p in pages_in_order(growing, start=1, page_size=5, concurrency=1, total=10)
    ]
    assert [i["id"] for _, items in pages for i in items] == list(range(1, 15))


async def test_all_items_reads_models_and_dicts_alike() -> None:
    api = FakeList(7, 3)

    async def method(*, page: int, limit: int) -> Any:
        envelope = await api.fetch(page)
        return _Envelope.model_validate(envelope)

    found = [item["id"] async for item in all_items(method, page_size=3)]
    assert found == list(range(1, 8))


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")
    success: bool
    data: list[dict[str, Any]]


# --- resume rules -------------------------------------------------------------------------

PARAMS = {"dataset": "receipts", "format": "csv", "date_to": "2026-03-01", "page_size": 200}


def saved(**fields: Any) -> ExportState:
    base: dict[str, Any] = {
        "fingerprint": fingerprint(PARAMS),
        "params": dict(PARAMS),
        "pages_done": 3,
        "rows": 600,
        "bytes": 5000,
        "last_id": 600,
    }
    base.update(fields)
    return ExportState(**base)


def test_a_matching_state_is_resumed() -> None:
    start = plan_start(saved(), 5100, PARAMS, restart=False, state_path=Path("f.state.json"))
    assert start.resume == saved() and start.note is None


def test_other_options_are_refused_naming_what_changed() -> None:
    changed = {**PARAMS, "date_to": "2026-03-02"}
    with pytest.raises(ReportingError, match=r"date_to 2026-03-01 -> 2026-03-02.*--restart"):
        plan_start(saved(), 5100, changed, restart=False, state_path=Path("f.state.json"))
    assert plan_start(saved(), 5100, changed, restart=True, state_path=Path("x")).resume is None


def test_a_partial_file_shorter_than_its_state_is_not_trusted() -> None:
    start = plan_start(saved(), 4000, PARAMS, restart=False, state_path=Path("x"))
    assert start.resume is None and "shorter" in (start.note or "")
    gone = plan_start(saved(), None, PARAMS, restart=False, state_path=Path("x"))
    assert gone.resume is None and "gone" in (gone.note or "")


# --- sinks --------------------------------------------------------------------------------


def test_csv_resume_cuts_off_a_half_written_page(tmp_path: Path) -> None:
    path = tmp_path / "r.csv.partial"
    sink = CsvSink(path, RECEIPT_COLUMNS, None)
    size = sink.write([receipt(id=1), receipt(id=2)])
    sink.write([receipt(id=3)])  # written, but the process died before saving the state
    sink.close()
    with path.open("ab") as handle:
        handle.write(b"4,1,half a ro")
    again = CsvSink(path, RECEIPT_COLUMNS, size)
    again.write([receipt(id=3), receipt(id=4)])
    again.close()
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0]["total"] == "17.00"


def test_jsonl_lines_keep_exact_numbers(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl.partial"
    sink = JsonlSink(path, None)
    sink.write([receipt(total=Decimal("8.50"))])
    sink.close()
    assert b'"total":8.50' in path.read_bytes()


def test_parquet_has_decimal_money_and_refuses_lossy_amounts(tmp_path: Path) -> None:
    staged = tmp_path / "staged.jsonl"
    sink = JsonlSink(staged, None)
    sink.write([receipt(id=i, total=Decimal("8.50") + i) for i in range(1, 4)])
    sink.close()
    target = tmp_path / "r.parquet"
    write_parquet(staged, target, RECEIPT_COLUMNS)
    table = pq.read_table(target)
    assert table.column_names == RECEIPT_NAMES
    assert str(table.schema.field("total").type) == "decimal128(38, 9)"
    assert table.column("total").to_pylist() == [Decimal("9.5"), Decimal("10.5"), Decimal("11.5")]
    assert table.schema.field("total").metadata == {b"doc": b"total collected"}

    bad = tmp_path / "bad.jsonl"
    sink = JsonlSink(bad, None)
    sink.write([receipt(total=Decimal("0.0000000001"))])
    sink.close()
    with pytest.raises(RecordError, match="column total"):
        write_parquet(bad, tmp_path / "bad.parquet", RECEIPT_COLUMNS)


def test_datasets_name_their_sdk_methods() -> None:
    assert DATASETS["receipts"].method == "get_receipts"
    assert DATASETS["orders"].max_page_size == 100


# --- the order board ----------------------------------------------------------------------


def order(ident: int, status: str) -> dict[str, Any]:
    return {
        "id": ident,
        "venue_id": 1,
        "status": status,
        "payload": {"customer": {"name": "A"}, "products": [{"count": 2}, {"count": 1}]},
        "created_at": "2026-02-02T13:45:53.000000Z",
    }


def test_board_reports_new_orders_and_status_moves() -> None:
    board = OrderBoard(limit=2)
    assert board.upsert(order(1, "PENDING")).describe() == "order 1 PENDING"  # type: ignore[union-attr]
    assert board.upsert(order(1, "PENDING")) is None
    change = board.upsert(order(1, "RECEIVED"))
    assert change is not None and change.describe() == "order 1 PENDING -> RECEIVED"
    board.upsert(order(2, "PENDING"))
    board.upsert(order(3, "IGNORE"))
    shown = board.visible()
    assert [r.id for r in shown] == [3, 2]
    assert shown[0].created_at == "2026-02-02 13:45:53" and shown[0].items == Decimal(3)
    assert board.upsert({"id": "x"}) is None


def test_board_with_a_status_drops_orders_that_leave_it() -> None:
    board = OrderBoard(limit=10, status="PENDING")
    board.upsert(order(1, "PENDING"))
    assert board.upsert(order(2, "RECEIVED")) is None
    change = board.upsert(order(1, "RECEIVED"))
    assert change is not None and change.after == "RECEIVED"
    assert board.visible() == []


def test_feed_page_yields_order_events_and_the_next_cursor() -> None:
    page = read_feed_page(
        {
            "success": True,
            "data": [
                {"id": 11, "type": "order.created", "data": order(5, "PENDING")},
                {"id": 12, "type": "receipt.created", "data": {"id": 9, "status": 1}},
                {"id": 13, "type": "order.accepted", "data": {"id": 6}},
            ],
            "next_after": 13,
            "has_more": False,
        },
        10,
    )
    assert [o["id"] for o in page.orders] == [5]
    assert page.order_ids == [6]
    assert page.cursor == 13
    assert read_feed_page({"success": True, "data": [], "next_after": 13}, 13).cursor == 13


def test_docs_list_every_export_column() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "reporting.md").read_text(encoding="utf-8")
    for column in (*RECEIPT_COLUMNS, *ORDER_COLUMNS):
        assert f"| `{column.name}` |" in docs, column.name


# --- the whole export over the SDK, against an in-memory API (httpx.MockTransport) ---------


class ReceiptsApi:
    """``GET /receipts`` over ``n`` receipts spread over days, with the documented query
    syntax (``page``, ``limit``, ``sort[0..1]``, ``date[0..1]``); ``fail_at`` makes the
    ``fail_at``-th full-size page request answer 400 (a refusal the SDK does not retry)."""

    def __init__(self, n: int, days: int, fail_at: int | None = None) -> None:
        first = date(2025, 3, 1)
        self.receipts = [
            receipt(
                id=i,
                total=Decimal(f"{i}.50"),
                created_at=f"{first + timedelta(days=(i - 1) * days // n)} 12:00:00",
            )
            for i in range(1, n + 1)
        ]
        self.fail_at = fail_at
        self.page_requests = 0
        self.windows: set[tuple[str | None, str | None]] = set()

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth"):
            return httpx.Response(200, json={"success": True, "token": "t", "expires_at": 4e9})
        q = request.url.params
        page, limit = int(q.get("page", "1")), int(q.get("limit", "50"))
        start, end = q.get("date[0]"), q.get("date[1]")
        if limit > 1:
            self.page_requests += 1
            self.windows.add((start, end))
            if self.page_requests == self.fail_at:
                return httpx.Response(
                    400, json={"success": False, "error": "invalid_parameter", "message": "x"}
                )
        found = [
            r
            for r in self.receipts
            if (start is None or r["created_at"][:10] >= start)
            and (end is None or r["created_at"][:10] <= end)
        ]
        key = q.get("sort[0]", "created_at")
        found.sort(key=lambda r: (r[key], r["id"]), reverse=q.get("sort[1]", "-1") == "-1")
        chunk = found[(page - 1) * limit : page * limit]
        body = {"success": True, "data": chunk, "total": len(found), "sorts": ["created_at", "id"]}
        return httpx.Response(
            200, content=dumps(body), headers={"content-type": "application/json"}
        )


def _client(api: ReceiptsApi) -> AsyncCloposClient:
    return AsyncCloposClient(
        base_url="http://clopos.test",
        client_id="c",
        client_secret="s",
        brand="b",
        integrator_id="i",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(api.handler)),
    )


def _request(out: Path, **fields: Any) -> ExportRequest:
    values: dict[str, Any] = {
        "dataset": DATASETS["receipts"],
        "fmt": "csv",
        "out": out,
        "page_size": 4,
        "concurrency": 3,
    }
    values.update(fields)
    return ExportRequest(**values)


async def test_export_reads_day_windows_and_resumes_after_a_failure(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    failing = ReceiptsApi(60, days=6, fail_at=9)
    with pytest.raises(BadRequestError):
        await run_export(_client(failing), _request(out))
    state = json.loads((tmp_path / "r.csv.state.json").read_text())
    assert 0 < state["rows"] < 60 and not out.exists()

    api = ReceiptsApi(60, days=6)
    result = await run_export(_client(api), _request(out))
    assert result.resumed_rows == state["rows"] and result.rows == result.expected == 60
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert [int(r["id"]) for r in rows] == list(range(1, 61))  # each receipt once, in order
    assert sum(Decimal(r["total"]) for r in rows) == sum(Decimal(f"{i}.50") for i in range(1, 61))
    # One day per window, from a day before the first receipt to a day after the last.
    assert {w[0] for w in failing.windows | api.windows} <= {
        str(date(2025, 2, 28) + timedelta(days=d)) for d in range(9)
    }
    assert all(start == end for start, end in api.windows)
    assert not (tmp_path / "r.csv.state.json").exists()
    assert not (tmp_path / "r.csv.partial").exists()


async def test_export_of_nothing_writes_the_header(tmp_path: Path) -> None:
    out = tmp_path / "none.csv"
    result = await run_export(_client(ReceiptsApi(0, days=1)), _request(out))
    assert result.rows == 0
    assert out.read_text(encoding="utf-8").strip() == ",".join(RECEIPT_NAMES)


async def test_export_with_a_range_reads_only_its_days(tmp_path: Path) -> None:
    out = tmp_path / "range.jsonl"
    api = ReceiptsApi(30, days=3)
    request = _request(out, fmt="jsonl", date_from=date(2025, 3, 2), date_to=date(2025, 3, 2))
    result = await run_export(_client(api), request)
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    assert result.rows == len(lines) == 10
    assert {line["created_at"][:10] for line in lines} == {"2025-03-02"}
    assert api.windows == {("2025-03-02", "2025-03-02")}
