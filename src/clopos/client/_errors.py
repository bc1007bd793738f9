"""Every error the SDK raises, one root and one class per HTTP status.

The tree::

    CloposError
    ├── RequestValidationError      a request was refused before sending (also a ValueError)
    ├── ResponseValidationError     a success answer did not fit its model
    ├── APIConnectionError          the request never got an answer
    │   └── APITimeoutError         ... because it timed out
    └── APIStatusError              the server answered with an error
        ├── BadRequestError              400
        ├── AuthenticationError          401, and the 200 + ``success: false`` auth answer
        ├── PermissionDeniedError        403
        ├── NotFoundError                404
        ├── ConflictError                409
        ├── UnprocessableEntityError     422
        ├── RateLimitError               429
        └── InternalServerError          >= 500

Every ``APIStatusError`` carries ``status_code``, ``code`` (the v2 string ``error`` or the
first ``type`` of the v1 error list), ``message``, ``request_id``, the raw ``body`` and the
``httpx.Response``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from clopos.models import FieldProblem

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CloposError",
    "ConflictError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestValidationError",
    "ResponseValidationError",
    "UnprocessableEntityError",
    "error_from_response",
]

# Response headers that may name the request, most specific first.
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")


class CloposError(Exception):
    """Root of every error this SDK raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _listing(problems: Sequence[FieldProblem]) -> str:
    return "; ".join(f"{p.field}: {p.message}" for p in problems)


class RequestValidationError(CloposError, ValueError):
    """A request was refused before anything was sent; ``errors`` names each bad field.

    Also a ``ValueError``, so code that caught the SDK's argument errors keeps working.
    """

    def __init__(self, message: str, *, errors: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.errors: tuple[FieldProblem, ...] = tuple(errors)

    @property
    def fields(self) -> tuple[str, ...]:
        """The dotted paths of the bad fields, e.g. ``("products.0.count",)``."""
        return tuple(problem.field for problem in self.errors)

    @classmethod
    def for_field(cls, field: str, message: str) -> RequestValidationError:
        """One bad field; ``message`` is the whole sentence (it names the field)."""
        return cls(message, errors=[FieldProblem(field, message)])

    @classmethod
    def for_body(cls, what: str, problems: Sequence[FieldProblem]) -> RequestValidationError:
        """Every problem of a body: "create_order: products.0.count: …; customer: …"."""
        return cls(f"{what}: {_listing(problems)}", errors=problems)


class ResponseValidationError(CloposError):
    """A success answer did not fit the model of its method (a field of the wrong type, or
    a required one missing). ``body`` is the decoded answer, so nothing is lost;
    ``errors`` names the fields."""

    def __init__(self, message: str, *, body: Any, errors: Sequence[FieldProblem] = ()) -> None:
        super().__init__(message)
        self.body = body
        self.errors: tuple[FieldProblem, ...] = tuple(errors)


class APIConnectionError(CloposError):
    """No answer came back: connection refused or reset, DNS failure, protocol error."""

    def __init__(self, message: str = "Connection error", *, request: httpx.Request | None = None):
        super().__init__(message)
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out; the server may still have acted on it."""

    def __init__(self, message: str = "Request timed out", *, request: httpx.Request | None = None):
        super().__init__(message, request=request)


class APIStatusError(CloposError):
    """The server answered with an error; see ``status_code``, ``code`` and ``message``."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any,
        code: str | None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        self.body = body
        self.code = code
        self.status_code = response.status_code if status_code is None else status_code
        self.request_id = _request_id(response)

    def __str__(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"HTTP {self.status_code}{code}: {self.message}"


class BadRequestError(APIStatusError):
    """400: a parameter or body field was invalid; the message names it."""

    status_code = 400


class AuthenticationError(APIStatusError):
    """401 (or the 200 + ``success: false`` auth answer): check credentials or integrator."""

    status_code = 401


class PermissionDeniedError(APIStatusError):
    """403: the credentials may not use this venue or module."""

    status_code = 403


class NotFoundError(APIStatusError):
    """404: no such resource in this brand (and venue)."""

    status_code = 404


class ConflictError(APIStatusError):
    """409: a unique field (phone, code, cid) is already taken, or an Idempotency-Key clash."""

    status_code = 409


class UnprocessableEntityError(APIStatusError):
    """422: the body was well-formed but not acceptable."""

    status_code = 422


class RateLimitError(APIStatusError):
    """429: too many requests; retried automatically, raised when retries run out."""

    status_code = 429


class InternalServerError(APIStatusError):
    """5xx: the server failed; retried automatically for 502/503/504."""

    status_code = 500


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _request_id(response: httpx.Response) -> str | None:
    for name in REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def parse_body(response: httpx.Response) -> Any:
    """The body as parsed JSON, or its text when it is not JSON (an HTML 502 page)."""
    try:
        return response.json()
    except ValueError:
        return response.text


def code_and_message(body: Any) -> tuple[str | None, str]:
    """``(code, message)`` from a v2 string envelope, a v1 list envelope or anything else.

    v2: ``{"success": false, "error": "<code>", "message": "…"}`` (spec §5.1).
    v1: ``{"message": "…", "error": [{"message", "type", …}]}`` (existing-python-client.md §5).
    """
    if not isinstance(body, dict):
        text = body.strip() if isinstance(body, str) else ""
        return None, text[:200] or "The server answered with an empty or non-JSON body"
    raw_error = body.get("error")
    message = body.get("message")
    code: str | None = None
    if isinstance(raw_error, str):
        code = raw_error
    elif isinstance(raw_error, list) and raw_error and isinstance(raw_error[0], dict):
        first = raw_error[0]
        code = str(first["type"]) if first.get("type") is not None else None
        if not message:
            message = first.get("message")
    if not isinstance(message, str) or not message:
        message = code or "The server reported an error without a message"
    return code, message


def error_from_response(response: httpx.Response, body: Any) -> APIStatusError:
    """The typed error for an error answer (status ≥ 400, or ``success: false``)."""
    code, message = code_and_message(body)
    status = response.status_code
    if status < 400:
        # 200 + success:false is the /v2/auth test-integrator quirk (spec §3.2, §3.4).
        return AuthenticationError(message, response=response, body=body, code=code)
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = InternalServerError if status >= 500 else APIStatusError
    return cls(message, response=response, body=body, code=code)
