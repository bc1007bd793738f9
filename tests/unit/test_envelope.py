"""The success envelope (spec §4.1) and the pagination block variant."""

from __future__ import annotations

from datetime import datetime

from clopos.server.domain import timestamps
from clopos.server.domain.envelope import pagination_block, success_envelope

NOW = datetime(2026, 1, 19, 14, 51, 33, 987654)  # naive UTC


def test_list_envelope() -> None:
    body = success_envelope(
        [{"id": 1}], now=NOW, elapsed_ms=138, total=196, sorts=("id", "created_at")
    )
    assert body == {
        "success": True,
        "data": [{"id": 1}],
        "total": 196,
        "time": 138,
        "timestamp": "2026-01-19 14:51:33",
        "unix": 1768834293,
        "sorts": ["id", "created_at"],
    }


def test_object_envelope_has_no_list_keys() -> None:
    body = success_envelope({"id": 7}, now=NOW, elapsed_ms=0)
    assert body == {
        "success": True,
        "data": {"id": 7},
        "time": 0,
        "timestamp": "2026-01-19 14:51:33",
        "unix": 1768834293,
    }


def test_message_extra_and_zero_total() -> None:
    body = success_envelope(
        [], now=NOW, elapsed_ms=5, total=0, message="Order created", extra={"pagination": {}}
    )
    assert body["total"] == 0  # zero is kept, not dropped as falsy
    assert body["message"] == "Order created"
    assert body["pagination"] == {}
    assert body["data"] == []


def test_timestamp_and_unix_are_the_same_instant() -> None:
    body = success_envelope(None, now=NOW, elapsed_ms=1)
    parsed = datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%S")
    assert timestamps.unix_seconds(parsed) == body["unix"]


def test_pagination_block() -> None:
    assert pagination_block(page=1, per_page=50, total=1) == {
        "page": 1,
        "per_page": 50,
        "total": 1,
        "total_pages": 1,
    }
    assert pagination_block(page=2, per_page=50, total=101)["total_pages"] == 3
    assert pagination_block(page=1, per_page=50, total=0)["total_pages"] == 0
    assert pagination_block(page=1, per_page=0, total=5)["total_pages"] == 0


def test_timestamp_formats() -> None:
    moment = datetime(2026, 2, 2, 13, 45, 53)
    assert timestamps.iso_micro(moment) == "2026-02-02T13:45:53.000000Z"
    assert timestamps.plain(moment) == "2026-02-02 13:45:53"
    assert timestamps.day(moment.date()) == "2026-02-02"
    assert timestamps.unix_millis(moment) == 1770039953000
    assert timestamps.unix_seconds(moment) == 1770039953
    assert timestamps.iso_micro(None) is None
    assert timestamps.plain(None) is None
    assert timestamps.day(None) is None
    assert timestamps.utcnow().tzinfo is None
