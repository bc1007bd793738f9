"""Error classes and their two wire shapes (spec §5; existing-python-client.md §5)."""

from __future__ import annotations

import pytest

from clopos.server.errors import (
    ApiError,
    AuthFailed,
    Conflict,
    Forbidden,
    InvalidParameter,
    PayloadTooLarge,
    RateLimited,
    ReceiptNotFound,
    ResourceNotFound,
    ValidationFailed,
    field_path,
    render,
    render_v1,
    render_v2,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (InvalidParameter("x"), 400, "invalid_parameter"),
        (ValidationFailed("x"), 400, "validation_failed"),
        (AuthFailed("x"), 401, "unauthorized"),
        (Forbidden("x"), 403, "forbidden"),
        (ResourceNotFound("x"), 404, "resource_not_found"),
        (ReceiptNotFound(), 404, "not_found"),
        (Conflict("x"), 409, "conflict"),
        (PayloadTooLarge("x"), 413, "payload_too_large"),
        (RateLimited(), 429, "rate_limited"),
    ],
)
def test_codes_and_statuses(error: ApiError, status: int, code: str) -> None:
    assert (error.status_code, error.code) == (status, code)


def test_documented_messages() -> None:
    assert ReceiptNotFound().message == "Receipt not found"
    assert RateLimited().message == "Too many requests. Retry later."
    assert isinstance(ReceiptNotFound(), ResourceNotFound)


def test_code_and_status_overrides_do_not_leak_to_the_class() -> None:
    custom = AuthFailed("Token expired", code="Token expired")
    assert custom.code == "Token expired"
    assert AuthFailed("x").code == "unauthorized"
    assert ApiError("odd", status_code=200).status_code == 200
    assert ApiError("plain").status_code == 400


def test_render_v2() -> None:
    assert render_v2(ReceiptNotFound()) == {
        "success": False,
        "error": "not_found",
        "message": "Receipt not found",
    }
    detailed = InvalidParameter(
        "The 'limit' parameter must be between 1 and 100",
        details={"parameter": "limit", "provided_value": 150, "valid_range": "1-100"},
    )
    assert render_v2(detailed)["details"]["valid_range"] == "1-100"


def test_render_v2_body_extra() -> None:
    expired = AuthFailed(
        "expired", code="Token expired", body_extra={"expires_at": "2026-01-08T06:05:32.000000Z"}
    )
    assert render_v2(expired) == {
        "success": False,
        "error": "Token expired",
        "message": "expired",
        "expires_at": "2026-01-08T06:05:32.000000Z",
    }


def test_render_v1_is_list_shaped() -> None:
    body = render_v1(ResourceNotFound("Order not found"))
    assert body == {
        "success": False,
        "message": "Order not found",
        "error": [
            {
                "message": "Order not found",
                "type": "resource_not_found",
                "exception": "NotFoundHttpException",
                "code": 0,
                "http_code": 404,
            }
        ],
    }


def test_render_v1_keeps_details_and_status_override() -> None:
    body = render_v1(ApiError("odd", code="x", status_code=418, details={"a": 1}))
    assert body["error"][0]["http_code"] == 418
    assert body["details"] == {"a": 1}


def test_render_dispatches_on_version() -> None:
    error = Forbidden("no")
    assert render(error, api_version="v1") == render_v1(error)
    assert render(error, api_version="v2") == render_v2(error)


def test_field_path() -> None:
    assert field_path(("body", "products", 2, "product_id")) == "products.2.product_id"
    assert field_path(["query", "limit"]) == "limit"
    assert field_path(("body",)) == "body"
    assert field_path(()) == "body"
    assert field_path(("customer", "name")) == "customer.name"
