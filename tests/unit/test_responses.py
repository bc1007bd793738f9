"""JSON rendering (exact Decimals) and ``respond``."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal

import pytest
from starlette.requests import Request

from clopos._json import dumps
from clopos.server.responses import ClopoJSONResponse, elapsed_ms, respond


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (Decimal("8.50"), b"8.50"),
        (Decimal("30000"), b"30000"),
        (Decimal("0.1"), b"0.1"),
        (Decimal("-2.5"), b"-2.5"),
        (Decimal("94307.49"), b"94307.49"),
        (Decimal("0"), b"0"),
        (Decimal("1E+3"), b"1E+3"),
    ],
)
def test_decimals_are_written_exactly(value: Decimal, wire: bytes) -> None:
    assert dumps(value) == wire
    assert dumps({"amount": value}) == b'{"amount":' + wire + b"}"
    assert json.loads(dumps([value]), parse_float=Decimal, parse_int=Decimal) == [value]


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity")])
def test_non_finite_decimals_are_refused(value: Decimal) -> None:
    with pytest.raises(TypeError):
        dumps({"amount": value})


def test_other_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"x": object()})


def test_integer_keys_become_strings() -> None:
    # sale-type / payment-method ``status`` maps are keyed by venue id (spec §10.10).
    assert dumps({"status": {1: 1, 2: 0}}) == b'{"status":{"1":1,"2":0}}'


def test_response_class_renders_with_dumps() -> None:
    response = ClopoJSONResponse({"total": Decimal("12.50")}, status_code=201)
    assert response.body == b'{"total":12.50}'
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"


def _request(started: float | None) -> Request:
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "state": {}}
    if started is not None:
        scope["state"]["started"] = started
    return Request(scope)


def test_respond_builds_the_envelope() -> None:
    response = respond(_request(time.perf_counter() - 0.05), [{"price": Decimal("8.50")}], total=1)
    assert response.status_code == 200
    assert b'"price":8.50' in response.body
    body = json.loads(response.body)
    assert body["success"] is True and body["total"] == 1
    assert 50 <= body["time"] < 5000
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", body["timestamp"])
    assert abs(body["unix"] - time.time()) < 5


def test_respond_message_and_status() -> None:
    response = respond(_request(None), {"id": 1}, message="Order created", status_code=201)
    body = json.loads(response.body)
    assert response.status_code == 201
    assert body["message"] == "Order created"
    assert body["time"] == 0  # no start time recorded (request built outside the middleware)
    assert "total" not in body and "sorts" not in body


def test_elapsed_ms() -> None:
    assert elapsed_ms(_request(None)) == 0
    assert 900 <= elapsed_ms(_request(time.perf_counter() - 1)) < 5000
