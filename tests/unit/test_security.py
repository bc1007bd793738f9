"""Client-secret hashing, opaque v1 tokens and v2 JWTs (pure functions)."""

from __future__ import annotations

import time

import jwt
import pytest

from clopos.server.security import (
    TokenExpired,
    TokenInvalid,
    V2Claims,
    decode_v2_token,
    dummy_hash,
    hash_secret,
    iso_from_epoch,
    mint_v2_token,
    new_client_secret,
    new_jwt_secret,
    new_v1_token,
    token_digest,
    verify_secret,
)

N = 2**8  # cheap scrypt cost for tests
KEY = "k" * 64  # as long as new_jwt_secret() makes


def claims(expires_at: int) -> V2Claims:
    return V2Claims(
        brand="openapitest",
        integrator_id="demo-integrator",
        client_id="demo-client",
        venue_id=1,
        stage="test",
        expires_at=expires_at,
    )


# --- secrets ------------------------------------------------------------------------------


def test_hash_and_verify() -> None:
    stored = hash_secret("s3cret", n=N)
    assert stored.startswith(f"scrypt${N}$8$1$")
    assert "s3cret" not in stored
    assert verify_secret("s3cret", stored) is True
    assert verify_secret("s3cret ", stored) is False
    assert verify_secret("", stored) is False


def test_same_secret_gets_a_fresh_salt() -> None:
    assert hash_secret("same", n=N) != hash_secret("same", n=N)


@pytest.mark.parametrize(
    "stored",
    ["", "garbage", "bcrypt$1$2$3$4$5", "scrypt$x$8$1$AAAA$BBBB", "scrypt$256$8$1$!!$??", "a$b"],
)
def test_garbage_hashes_never_verify(stored: str) -> None:
    assert verify_secret("anything", stored) is False


def test_dummy_hash_is_stable_and_matches_nothing() -> None:
    """Checked when the client id is unknown, so both paths cost one scrypt."""
    first = dummy_hash(N)
    assert dummy_hash(N) == first
    assert first.startswith(f"scrypt${N}$")
    assert verify_secret("", first) is False
    assert verify_secret("demo-secret", first) is False


def test_generated_secrets_and_tokens() -> None:
    assert len(new_client_secret()) == 48
    assert new_client_secret() != new_client_secret()
    token = new_v1_token()
    assert token.startswith("oauth_") and len(token) > 40
    assert len(new_jwt_secret()) >= 32


def test_token_digest_is_sha256_hex() -> None:
    digest = token_digest("oauth_abc")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == token_digest("oauth_abc")
    assert digest != token_digest("oauth_abd")


# --- JWT ----------------------------------------------------------------------------------


def test_mint_and_decode_round_trip() -> None:
    now = int(time.time())
    token = mint_v2_token(claims(now + 3600), key=KEY, issued_at=now)
    assert decode_v2_token(token, key=KEY, now=now) == claims(now + 3600)
    payload = jwt.decode(token, KEY, algorithms=["HS256"])
    assert payload["exp"] == now + 3600
    assert payload["iat"] == now
    assert (payload["brand"], payload["integrator_id"], payload["venue_id"]) == (
        "openapitest",
        "demo-integrator",
        1,
    )


def test_expired_token() -> None:
    token = mint_v2_token(claims(1000), key=KEY, issued_at=0)
    with pytest.raises(TokenExpired) as caught:
        decode_v2_token(token, key=KEY, now=1000)  # exactly at exp: already expired
    assert caught.value.expires_at == 1000
    assert decode_v2_token(token, key=KEY, now=999).expires_at == 1000


def test_expired_token_with_a_wrong_key_is_invalid_not_expired() -> None:
    token = mint_v2_token(claims(1000), key=KEY, issued_at=0)
    with pytest.raises(TokenInvalid):
        decode_v2_token(token, key="x" * 64, now=5000)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "a.b.c",
        jwt.encode({"brand": "b", "integrator_id": "i", "venue_id": 1, "exp": 9e9}, "o" * 64),
        jwt.encode({"brand": "b", "integrator_id": "i", "venue_id": 1, "exp": 9e9}, None, "none"),
        jwt.encode({"brand": "b", "integrator_id": "i", "exp": 9e9}, KEY),  # no venue_id
        jwt.encode({"brand": "b", "venue_id": 1, "exp": 9e9}, KEY),  # no integrator_id
        jwt.encode({"brand": "b", "integrator_id": "i", "venue_id": 1}, KEY),  # no exp
        jwt.encode({"brand": "b", "integrator_id": "i", "venue_id": "x", "exp": 9e9}, KEY),
        jwt.encode({"brand": "b", "integrator_id": "i", "venue_id": 1, "exp": 9e9}, KEY, "HS512"),
    ],
    ids=[
        "empty",
        "garbage",
        "dots",
        "other-key",
        "alg-none",
        "no-venue",
        "no-integrator",
        "no-exp",
        "venue-not-int",
        "hs512",
    ],
)
def test_invalid_tokens(token: str) -> None:
    with pytest.raises(TokenInvalid):
        decode_v2_token(token, key=KEY, now=int(time.time()))


def test_iso_from_epoch() -> None:
    assert iso_from_epoch(0) == "1970-01-01T00:00:00.000000Z"
    assert iso_from_epoch(1767852332) == "2026-01-08T06:05:32.000000Z"
