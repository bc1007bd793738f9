"""Webhook signatures (pure): HMAC-SHA256 over ``"<timestamp>." + body``.

The receiver gets the Unix timestamp in ``Clopos-Timestamp`` and ``v1=<hex digest>`` in
``Clopos-Signature``. Signing the timestamp with the body lets a receiver refuse a
captured request replayed later (:data:`DEFAULT_TOLERANCE_SECONDS`). The key is the
endpoint's secret (``whsec_…``) as UTF-8 bytes. ``clopos.client.webhooks`` holds the same
check for integrators, without importing the server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of generated secrets, not a secret
SCHEME = "v1"
TIMESTAMP_HEADER = "Clopos-Timestamp"
SIGNATURE_HEADER = "Clopos-Signature"
EVENT_ID_HEADER = "Clopos-Event-Id"
EVENT_TYPE_HEADER = "Clopos-Event-Type"
DELIVERY_ID_HEADER = "Clopos-Delivery-Id"
ATTEMPT_HEADER = "Clopos-Delivery-Attempt"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureMismatch(ValueError):
    """The signature does not match the body, or the timestamp is too old or malformed."""


def new_secret() -> str:
    """A fresh endpoint secret: ``whsec_`` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Clopos-Signature`` value: ``v1=<hex>``."""
    return f"{SCHEME}={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    body: bytes,
    *,
    timestamp: str,
    header: str,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
) -> None:
    """Raise :class:`SignatureMismatch` unless one ``v1=`` entry of ``header`` signs ``body``
    at ``timestamp`` and the timestamp is within ``tolerance`` seconds of ``now``."""
    text = timestamp.strip()
    if not text.isascii() or not text.isdigit():
        raise SignatureMismatch(f"{TIMESTAMP_HEADER} must be Unix seconds, got {timestamp!r}")
    sent_at = int(text)
    if abs(now - sent_at) > tolerance:
        raise SignatureMismatch(
            f"{TIMESTAMP_HEADER} is {int(now - sent_at)} s away from now "
            f"(tolerance {int(tolerance)} s): a replayed or delayed request"
        )
    expected = signature(secret, sent_at, body)
    candidates = [
        value.strip()
        for scheme, _, value in (part.strip().partition("=") for part in header.split(","))
        if scheme == SCHEME
    ]
    if not candidates:
        raise SignatureMismatch(f"{SIGNATURE_HEADER} has no {SCHEME}= signature")
    # Every candidate is compared in constant time; any match is enough.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(candidate.encode(), expected.encode())
    if not matched:
        raise SignatureMismatch("the signature does not match the body and timestamp")
