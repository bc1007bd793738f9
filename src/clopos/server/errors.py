"""Errors the server answers with, one class per documented ``error`` code (spec §5).

    ApiError                      root; carries status, code, message, details
    ├── InvalidParameter          400 invalid_parameter   (bad query parameter)
    ├── ValidationFailed          400 validation_failed   (bad body field)
    ├── AuthFailed                401 (v2 gateway sentences / v1 unauthorized)
    ├── Forbidden                 403 forbidden
    ├── ResourceNotFound          404 resource_not_found  (orders, products, …)
    ├── ReceiptNotFound           404 not_found           (receipts say it differently, §14.2)
    ├── Conflict                  409 conflict
    ├── PayloadTooLarge           413 payload_too_large
    └── RateLimited               429 rate_limited

Rendering differs by prefix: v2 answers ``{"success": false, "error": "<code>", "message"}``;
v1 answers the list-shaped error the real v1 server used (existing-python-client.md §5).
This module is pure: no I/O, no framework imports.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Root of every error the API answers with."""

    status_code: int = 400
    code: str = "bad_request"
    exception_name: str = "HttpException"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status_code: int | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        body_extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        self.details = details
        self.headers = headers or {}
        self.body_extra = body_extra or {}


class InvalidParameter(ApiError):
    """A query parameter is malformed or out of range."""

    status_code = 400
    code = "invalid_parameter"
    exception_name = "InvalidParameterException"


class ValidationFailed(ApiError):
    """A body field is missing, malformed or breaks a business rule."""

    status_code = 400
    code = "validation_failed"
    exception_name = "ValidationException"


class AuthFailed(ApiError):
    """Authentication failed: missing, invalid or expired credentials or token."""

    status_code = 401
    code = "unauthorized"
    exception_name = "AuthenticationException"


class Forbidden(ApiError):
    """Authenticated, but not allowed to touch this venue or resource."""

    status_code = 403
    code = "forbidden"
    exception_name = "AccessDeniedHttpException"


class ResourceNotFound(ApiError):
    """A resource (other than a receipt) is not in the caller's brand."""

    status_code = 404
    code = "resource_not_found"
    exception_name = "NotFoundHttpException"


class ReceiptNotFound(ResourceNotFound):
    """Receipts answer ``not_found`` "Receipt not found" (spec §14.2)."""

    code = "not_found"

    def __init__(self, message: str = "Receipt not found") -> None:
        super().__init__(message)


class Conflict(ApiError):
    """A unique field (customer phone/code/cid, receipt cid) is already taken."""

    status_code = 409
    code = "conflict"
    exception_name = "ConflictHttpException"


class PayloadTooLarge(ApiError):
    """The request body is larger than the server accepts."""

    status_code = 413
    code = "payload_too_large"
    exception_name = "PayloadTooLargeHttpException"


class RateLimited(ApiError):
    """A rate-limit tier is exhausted (spec §8)."""

    status_code = 429
    code = "rate_limited"
    exception_name = "ThrottleRequestsException"

    def __init__(self, message: str = "Too many requests. Retry later.", **kw: Any) -> None:
        super().__init__(message, **kw)


def render_v2(error: ApiError) -> dict[str, Any]:
    """``{"success": false, "error": "<code>", "message": "…"}`` (+ ``details`` when known)."""
    body: dict[str, Any] = {"success": False, "error": error.code, "message": error.message}
    if error.details:
        body["details"] = error.details
    body.update(error.body_extra)
    return body


def render_v1(error: ApiError) -> dict[str, Any]:
    """The v1 list-shaped error: ``error: [{message, type, exception, code, http_code}]``."""
    body: dict[str, Any] = {
        "success": False,
        "message": error.message,
        "error": [
            {
                "message": error.message,
                "type": error.code,
                "exception": error.exception_name,
                "code": 0,
                "http_code": error.status_code,
            }
        ],
    }
    if error.details:
        body["details"] = error.details
    body.update(error.body_extra)
    return body


def render(error: ApiError, *, api_version: str) -> dict[str, Any]:
    """Render for the prefix the request came in on (``"v1"`` or ``"v2"``)."""
    return render_v1(error) if api_version == "v1" else render_v2(error)


def field_path(location: tuple[int | str, ...] | list[int | str]) -> str:
    """``("body", "products", 2, "product_id")`` → ``products.2.product_id``."""
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"
