"""Signed cookies of the till dashboard: the session, the flash message, CSRF tokens (pure).

A session is a small JSON document signed with HMAC-SHA256 — nothing is stored on the
server, so any number of workers accept it. The signing key is derived from the server's
JWT key (``CLOPOS_JWT_SECRET`` or the key generated once and kept in the database, see
``clopos.server.state``), under a label of its own so a session can never pass for a JWT
or the reverse. Every comparison is constant-time.

CSRF: each session carries a random nonce; the token a form must send back is
``HMAC(key, "csrf" | nonce)``. The sign-in form, before any session exists, is tied the
same way to a random nonce in a short-lived pre-session cookie (double submit).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "SESSION_SECONDS",
    "Identity",
    "csrf_matches",
    "csrf_token",
    "derive_key",
    "fingerprint",
    "new_nonce",
    "open_signed",
    "read_session",
    "seal",
    "write_session",
]

SESSION_SECONDS = 12 * 3600  # one long shift; then the clerk signs in again
_KEY_LABEL = b"clopos till dashboard session v1"

Kind = Literal["admin", "client"]


def derive_key(server_key: str) -> bytes:
    """The dashboard's signing key, derived from the server's JWT key."""
    return hmac.new(server_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, data: bytes) -> bytes:
    return hmac.new(key, purpose.encode() + b"|" + data, hashlib.sha256).digest()


def seal(key: bytes, purpose: str, document: dict[str, Any]) -> str:
    """``<payload>.<signature>`` for a JSON document; ``purpose`` separates cookie kinds."""
    payload = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, purpose, payload))}"


def open_signed(key: bytes, purpose: str, value: str | None) -> dict[str, Any] | None:
    """The document of a :func:`seal` value, or ``None`` if it is malformed or forged."""
    if not value or value.count(".") != 1:
        return None
    payload_text, signature_text = value.split(".")
    try:
        payload = _unb64(payload_text)
        signature = _unb64(signature_text)
    except (ValueError, TypeError):
        return None
    if not hmac.compare_digest(signature, _mac(key, purpose, payload)):
        return None
    try:
        document = json.loads(payload)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def fingerprint(key: bytes, secret: str) -> str:
    """A short keyed digest of a secret (the admin token), so a session signed in with it
    ends when the token changes, without the token itself ever sitting in a cookie."""
    return _b64(_mac(key, "admin-token", secret.encode())[:12])


def new_nonce() -> str:
    """A random, URL-safe nonce."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Identity:
    """Who is signed in to the till and for which brand.

    ``kind`` is ``"admin"`` (signed in with ``CLOPOS_ADMIN_TOKEN``; ``subject`` holds the
    token's fingerprint) or ``"client"`` (an Open API client; ``subject`` is its client id).
    """

    kind: Kind
    brand_id: int
    subject: str
    nonce: str
    expires_at: int


def write_session(key: bytes, identity: Identity) -> str:
    """The session cookie's value."""
    return seal(
        key,
        "session",
        {
            "k": identity.kind,
            "b": identity.brand_id,
            "s": identity.subject,
            "n": identity.nonce,
            "e": identity.expires_at,
        },
    )


def read_session(key: bytes, value: str | None, *, now: int) -> Identity | None:
    """The identity in a session cookie, or ``None`` when forged, malformed or expired."""
    document = open_signed(key, "session", value)
    if document is None:
        return None
    kind, brand_id = document.get("k"), document.get("b")
    subject, nonce, expires_at = document.get("s"), document.get("n"), document.get("e")
    if kind not in ("admin", "client"):
        return None
    if not isinstance(brand_id, int) or isinstance(brand_id, bool):
        return None
    if not isinstance(subject, str) or not isinstance(nonce, str) or not nonce:
        return None
    if not isinstance(expires_at, int) or isinstance(expires_at, bool) or expires_at <= now:
        return None
    return Identity(kind, brand_id, subject, nonce, expires_at)


def csrf_token(key: bytes, nonce: str) -> str:
    """The token forms carry for the session (or pre-session) with this nonce."""
    return _b64(_mac(key, "csrf", nonce.encode()))


def csrf_matches(key: bytes, nonce: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is the CSRF token of ``nonce`` (constant time)."""
    if not submitted or not nonce:
        return False
    return hmac.compare_digest(submitted.encode(), csrf_token(key, nonce).encode())
