"""Secrets and tokens: scrypt hashes for client secrets, SHA-256 for opaque tokens,
HS256 JWTs for v2. Pure functions (no database, no HTTP)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

_SCRYPT_R = 8
_SCRYPT_P = 1


def hash_secret(secret: str, *, n: int = 2**14) -> str:
    """``scrypt$n$r$p$salt$hash`` for a client secret; a fresh salt every time."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    encode = base64.urlsafe_b64encode
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    """Constant-time check of ``secret`` against a ``hash_secret`` string."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.urlsafe_b64decode(salt_b64)
        expected = base64.urlsafe_b64decode(digest_b64)
        actual = hashlib.scrypt(
            secret.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# A real hash of nothing, checked when the client id is unknown so that timing does not
# tell unknown ids from wrong secrets.
_DUMMY_HASH_CACHE: dict[int, str] = {}


def dummy_hash(n: int) -> str:
    """A stable hash to verify against when there is no client to check."""
    if n not in _DUMMY_HASH_CACHE:
        _DUMMY_HASH_CACHE[n] = hash_secret(secrets.token_hex(16), n=n)
    return _DUMMY_HASH_CACHE[n]


def new_client_secret() -> str:
    """A fresh 48-character client secret."""
    return secrets.token_urlsafe(36)


def new_v1_token() -> str:
    """An opaque v1 access token, ``oauth_…`` like the real API's."""
    return "oauth_" + secrets.token_urlsafe(40)


def token_digest(token: str) -> str:
    """SHA-256 hex of an opaque token: what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_jwt_secret() -> str:
    """A random HS256 key."""
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class V2Claims:
    """What a v2 JWT carries."""

    brand: str
    integrator_id: str
    client_id: str
    venue_id: int
    stage: str
    expires_at: int


class TokenExpired(Exception):
    """The JWT is well-formed and signed, but past ``exp``."""

    def __init__(self, expires_at: int) -> None:
        super().__init__("Token expired")
        self.expires_at = expires_at


class TokenInvalid(Exception):
    """The JWT is malformed, badly signed or lacks claims."""


def mint_v2_token(claims: V2Claims, *, key: str, issued_at: int) -> str:
    """Sign a v2 token (HS256)."""
    payload: dict[str, Any] = {
        "brand": claims.brand,
        "integrator_id": claims.integrator_id,
        "client_id": claims.client_id,
        "venue_id": claims.venue_id,
        "stage": claims.stage,
        "iat": issued_at,
        "exp": claims.expires_at,
        "expires_at": claims.expires_at,
    }
    return jwt.encode(payload, key, algorithm="HS256")


def decode_v2_token(token: str, *, key: str, now: int) -> V2Claims:
    """Verify signature and expiry; raise ``TokenInvalid`` or ``TokenExpired``."""
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=["HS256"],
            options={"verify_exp": False, "require": ["exp", "brand", "integrator_id"]},
        )
        claims = V2Claims(
            brand=str(payload["brand"]),
            integrator_id=str(payload["integrator_id"]),
            client_id=str(payload.get("client_id", "")),
            venue_id=int(payload["venue_id"]),
            stage=str(payload.get("stage", "")),
            expires_at=int(payload["exp"]),
        )
    except (jwt.PyJWTError, KeyError, TypeError, ValueError) as exc:
        raise TokenInvalid(str(exc)) from exc
    if claims.expires_at <= now:
        raise TokenExpired(claims.expires_at)
    return claims


def iso_from_epoch(seconds: int) -> str:
    """``2026-01-08T06:28:23.000000Z`` for an epoch (the ``Token expired`` body, §14.30)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
