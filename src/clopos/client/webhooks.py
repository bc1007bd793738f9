"""Verify the webhooks a clopos server sends (see docs/events.md).

Every delivery is a ``POST`` whose JSON body is one event, with these headers:

* ``Clopos-Timestamp`` — Unix seconds when the request was signed;
* ``Clopos-Signature`` — ``v1=<hex HMAC-SHA256 of "<timestamp>." + raw body>``, keyed with
  the endpoint's secret (``whsec_…``, shown once when the endpoint is created);
* ``Clopos-Event-Id``, ``Clopos-Event-Type``, ``Clopos-Delivery-Id``,
  ``Clopos-Delivery-Attempt`` — for logging and de-duplication.

Verify against the **raw** body bytes, before any JSON parsing::

    from clopos.client.webhooks import WebhookSignatureError, verify_signature

    try:
        event = verify_signature(request_body, request_headers, secret=WEBHOOK_SECRET)
    except WebhookSignatureError:
        return 400
    handle(event["type"], event["data"])

Deliveries are at least once: de-duplicate on the event ``id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookSignatureError",
    "compute_signature",
    "verify_signature",
]

TIMESTAMP_HEADER = "Clopos-Timestamp"
SIGNATURE_HEADER = "Clopos-Signature"
EVENT_ID_HEADER = "Clopos-Event-Id"
EVENT_TYPE_HEADER = "Clopos-Event-Type"
DEFAULT_TOLERANCE_SECONDS = 300
_SCHEME = "v1"


class WebhookSignatureError(ValueError):
    """The request is not a genuine, fresh delivery: a header is missing or malformed,
    the timestamp is outside the tolerance, or the signature does not match the body."""


def compute_signature(secret: str, timestamp: int, payload: bytes | str) -> str:
    """``v1=<hex>``: the ``Clopos-Signature`` value for ``payload`` at ``timestamp``.

    Useful to build signed requests in your own tests.
    """
    body = payload.encode() if isinstance(payload, str) else payload
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"{_SCHEME}={digest.hexdigest()}"


def _header(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    raise WebhookSignatureError(f"the {name} header is missing")


def verify_signature(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a delivery and return its event (numbers with decimals as ``Decimal``).

    ``payload`` is the raw request body; ``headers`` any mapping of the request's headers
    (names in any case); ``secret`` the endpoint's ``whsec_…`` secret. Raises
    :class:`WebhookSignatureError` when the signature does not match the body, or when
    ``Clopos-Timestamp`` is more than ``tolerance`` seconds away from ``now`` (default: the
    current time), which refuses a captured request replayed later.
    """
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    raw_timestamp = _header(headers, TIMESTAMP_HEADER).strip()
    if not raw_timestamp.isascii() or not raw_timestamp.isdigit():
        raise WebhookSignatureError(f"{TIMESTAMP_HEADER} must be Unix seconds")
    timestamp = int(raw_timestamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookSignatureError(
            f"{TIMESTAMP_HEADER} is {int(current - timestamp)} s away from now "
            f"(tolerance {int(tolerance)} s)"
        )
    expected = compute_signature(secret, timestamp, body).encode()
    offered = [
        part.strip().encode()
        for part in _header(headers, SIGNATURE_HEADER).split(",")
        if part.strip().startswith(f"{_SCHEME}=")
    ]
    if not offered:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} has no {_SCHEME}= signature")
    matched = False
    for candidate in offered:
        matched |= hmac.compare_digest(candidate, expected)  # constant time, each one
    if not matched:
        raise WebhookSignatureError("the signature does not match the body")
    try:
        event = json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise WebhookSignatureError(f"the body is not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise WebhookSignatureError("the body is not a JSON object")
    return event
