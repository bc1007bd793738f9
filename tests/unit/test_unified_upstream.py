"""The pure parts of ``clopos.unified.upstream``: plain data from SDK results, Clopos errors
in Apideck's terms, and paging several newest-first Clopos lists as one (spec §4, §6.2)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from clopos.client import APIConnectionError, CloposError
from clopos.client._errors import error_from_response
from clopos.unified.upstream import Stream, data_of, error_from_sdk, instant, merge_page, plain

# --- plain data ---------------------------------------------------------------------------


class _Line(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)

    total_cost: Decimal | None = Field(default=None, alias="totalCost")
    name: str | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")

    success: bool | None = None
    data: list[_Line]
    total: int | None = None


def test_plain_dumps_models_with_wire_names_unset_fields_left_out_and_extras_kept() -> None:
    line = _Line.model_validate({"totalCost": "8.50", "extra_key": 1})
    assert plain(line) == {"totalCost": Decimal("8.50"), "extra_key": 1}


def test_data_of_unwraps_dict_and_model_envelopes_alike() -> None:
    as_dict = {"success": True, "data": [{"name": "Cola"}], "total": 1, "time": 3}
    as_model = _Envelope.model_validate({"success": True, "data": [{"name": "Cola"}], "total": 1})
    assert data_of(as_dict) == [{"name": "Cola"}]
    assert data_of(as_model) == [{"name": "Cola"}]
    # An item envelope without ``success`` (the docs omit it at times) is still unwrapped;
    # an object that merely has a ``data`` member is not.
    assert data_of({"data": {"id": 1}}) == {"id": 1}
    assert data_of({"data": 1, "name": "x"}) == {"data": 1, "name": "x"}


# --- errors -------------------------------------------------------------------------------


def _status_error(status: int, body: Any) -> CloposError:
    request = httpx.Request("GET", "http://clopos.test/open-api/v2/orders/9")
    response = httpx.Response(status, json=body, request=request)
    return error_from_response(response, body)


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_a_clopos_4xx_keeps_its_status_with_downstream_errors(status: int) -> None:
    body = {"success": False, "error": "resource_not_found", "message": "Order not found"}
    error = error_from_sdk(_status_error(status, body))
    assert (error.status_code, error.type_name) == (status, "ConnectorExecutionError")
    assert error.downstream_errors == [
        {"message": "Order not found", "detail": None, "code": "resource_not_found"}
    ]
    assert "Order not found" in error.message


def test_downstream_detail_is_a_string_as_apideck_types_it() -> None:
    body = {
        "success": False,
        "error": "validation_failed",
        "message": "The products field is required",
        "details": {"field": "products"},
    }
    error = error_from_sdk(_status_error(400, body))
    assert error.downstream_errors is not None
    assert error.downstream_errors[0]["detail"] == '{"field": "products"}'


def test_v1_list_shaped_errors_give_their_type_as_code() -> None:
    body = {"success": False, "message": "Receipt not found", "error": [{"type": "not_found"}]}
    error = error_from_sdk(_status_error(404, body))
    assert error.downstream_errors is not None
    assert error.downstream_errors[0]["code"] == "not_found"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_clopos_5xx_is_a_502(status: int) -> None:
    error = error_from_sdk(_status_error(status, {"success": False, "error": "internal_error"}))
    assert (error.status_code, error.type_name) == (502, "ConnectorExecutionError")


def test_rejected_connection_credentials_and_rate_limits() -> None:
    credentials = error_from_sdk(_status_error(401, {"error": "Invalid token", "message": "x"}))
    assert (credentials.status_code, credentials.type_name) == (401, "ConnectorCredentialsError")
    limited = error_from_sdk(_status_error(429, {"error": "rate_limited", "message": "slow"}))
    assert (limited.status_code, limited.type_name) == (429, "ConnectorRateLimitError")
    assert limited.detail == {"context": "clopos", "error": "slow"}


def test_unreachable_clopos_is_a_502() -> None:
    error = error_from_sdk(APIConnectionError("Connection error: refused"))
    assert (error.status_code, error.type_name) == (502, "ConnectorExecutionError")
    other = error_from_sdk(CloposError("Expected a JSON object"))
    assert other.status_code == 502


# --- timestamps ---------------------------------------------------------------------------


def test_instant_reads_every_clopos_time_format() -> None:
    iso = instant("2026-02-02T13:45:53.000000Z")
    assert instant("2026-02-02 13:45:53") == iso
    assert instant(int(iso * 1000)) == iso
    assert instant(None) == 0.0 and instant("garbage") == 0.0 and instant(True) == 0.0


# --- merging ------------------------------------------------------------------------------


def _stream(
    key: str,
    records: list[dict[str, Any]],
    calls: list[tuple[str, int, int]],
    *,
    expand: Any = None,
) -> Stream:
    async def fetch(page: int, size: int) -> list[dict[str, Any]]:
        calls.append((key, page, size))
        return records[(page - 1) * size : page * size]

    return Stream(
        key=key,
        fetch=fetch,
        expand=expand or (lambda record: [record]),
        when=lambda record: float(record["t"]),
        page_size=3,
    )


def _walk(streams: list[Stream], limit: int) -> list[list[Any]]:
    pages: list[list[Any]] = []
    offsets: dict[str, int] = {}
    while True:
        entries, offsets, more = asyncio.run(merge_page(streams, offsets, limit))
        pages.append(entries)
        if not more:
            return pages


def test_two_streams_interleave_newest_first_across_pages() -> None:
    calls: list[tuple[str, int, int]] = []
    orders = [{"id": f"o{t}", "t": t} for t in (10, 8, 5, 1)]
    receipts = [{"id": f"r{t}", "t": t} for t in (9, 7, 6, 2)]
    pages = _walk([_stream("o", orders, calls), _stream("r", receipts, calls)], limit=3)
    ids = [[entry["id"] for entry in page] for page in pages]
    assert ids == [["o10", "r9", "o8"], ["r7", "r6", "o5"], ["r2", "o1"]]


def test_filtered_records_are_skipped_and_expanded_ones_split_across_pages() -> None:
    calls: list[tuple[str, int, int]] = []
    receipts = [
        {"id": 5, "t": 5, "pays": 3},
        {"id": 4, "t": 4, "pays": 0},  # contributes nothing (e.g. belongs to an order)
        {"id": 3, "t": 3, "pays": 1},
    ]
    stream = _stream(
        "r", receipts, calls, expand=lambda r: [f"{r['id']}-{i}" for i in range(r["pays"])]
    )
    assert _walk([stream], limit=2) == [["5-0", "5-1"], ["5-2", "3-0"]]


def test_an_empty_list_is_one_empty_last_page() -> None:
    calls: list[tuple[str, int, int]] = []
    entries, offsets, more = asyncio.run(merge_page([_stream("o", [], calls)], {}, 20))
    assert (entries, offsets, more) == ([], {"o": 0}, False)


def test_ties_go_to_the_first_stream_and_the_offsets_resume_exactly() -> None:
    calls: list[tuple[str, int, int]] = []
    a = [{"id": "a1", "t": 1}, {"id": "a0", "t": 1}]
    b = [{"id": "b1", "t": 1}]
    pages = _walk([_stream("a", a, calls), _stream("b", b, calls)], limit=1)
    assert [[e["id"] for e in p] for p in pages] == [["a1"], ["a0"], ["b1"]]


@settings(max_examples=60, deadline=None)
@given(
    streams=st.lists(
        st.lists(st.integers(min_value=0, max_value=30), max_size=12), min_size=1, max_size=4
    ),
    limit=st.integers(min_value=1, max_value=7),
)
def test_paging_yields_every_entry_once_newest_first(streams: list[list[int]], limit: int) -> None:
    calls: list[tuple[str, int, int]] = []
    built = []
    expected = []
    for n, times in enumerate(streams):
        records = [{"id": f"{n}:{i}", "t": t} for i, t in enumerate(sorted(times, reverse=True))]
        expected.extend(records)
        built.append(_stream(f"s{n}", records, calls))
    pages = _walk(built, limit)
    flat = [entry for page in pages for entry in page]
    assert sorted(e["id"] for e in flat) == sorted(e["id"] for e in expected)
    assert [e["t"] for e in flat] == sorted((e["t"] for e in flat), reverse=True)
    assert all(len(page) == limit for page in pages[:-1])


# --- the short catalog cache --------------------------------------------------------------

VENUE = {"id": 1, "name": "Main"}


def _counting_client(paths: list[str]) -> Any:
    """A real ``AsyncCloposClient`` whose HTTP goes to a scripted Clopos (MockTransport)."""
    from clopos.client import AsyncCloposClient

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path.endswith("/auth"):
            return httpx.Response(200, json={"success": True, "token": "t", "expires_at": 4e9})
        return httpx.Response(200, json={"success": True, "data": [VENUE], "total": 1})

    return AsyncCloposClient(
        client_id="c",
        client_secret="s",
        brand="b",
        integrator_id="i",
        base_url="http://clopos.test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )


def test_catalog_lists_are_reused_per_client_but_raw_calls_read_fresh() -> None:
    from clopos.unified.upstream import Upstream

    async def scenario() -> list[str]:
        paths: list[str] = []
        client = _counting_client(paths)
        assert await Upstream(client).venues() == [VENUE]
        assert await Upstream(client).venues() == [VENUE]  # a second request: cached
        raw = Upstream(client, keep_raw=True)
        await raw.venues()
        assert raw.raw["get_venues"]["data"] == [VENUE]
        await Upstream(client, catalog_ttl=0).venues()
        await Upstream(_counting_client(paths)).venues()  # another connection: its own
        return [p for p in paths if p.endswith("/venues")]

    assert len(asyncio.run(scenario())) == 4
