"""Encryption of connection secrets at rest, and API-key digests. Pure (no I/O).

Connection secrets must be *decrypted* to call the upstream, so they cannot be hashed like
the server's own client secrets: they are Fernet tokens (AES-128-CBC + HMAC-SHA256, a
fresh IV per token) under a key derived with HKDF-SHA256 from ``CLOPOS_SECRET_KEY`` (or
from the key the server generated and stored when that variable is unset; see
``docs/unified.md``). A token made under one key fails its HMAC under any other, so a wrong
key is detected, never turned into a wrong secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Changing either constant makes every stored secret unreadable: they name the purpose of
# the derived key, so the same CLOPOS_SECRET_KEY could safely serve another purpose too.
_HKDF_SALT = b"clopos"
_HKDF_INFO = b"clopos.unified.connection-secret.v1"
API_KEY_PREFIX = "ukey_"


class SecretUnreadable(Exception):
    """A stored secret does not decrypt under the configured key (wrong or changed key)."""


class SecretCipher:
    """Encrypts and decrypts connection secrets under one key.

    ``source`` says where the key came from: ``"CLOPOS_SECRET_KEY"`` or ``"database"``.
    """

    def __init__(self, key_text: str, *, source: str = "CLOPOS_SECRET_KEY") -> None:
        if not key_text:
            raise ValueError("the secret key must not be empty")
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO
        ).derive(key_text.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self.source = source

    def __repr__(self) -> str:
        return f"SecretCipher(source={self.source!r})"

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token (URL-safe base64 text) for ``plaintext``."""
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of ``token``; ``SecretUnreadable`` if this key did not make it."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, UnicodeError, ValueError):
            raise SecretUnreadable(
                f"the stored secret does not decrypt with the key from {self.source}"
            ) from None

    def can_decrypt(self, token: str) -> bool:
        """Whether ``token`` was made under this key."""
        try:
            self.decrypt(token)
        except SecretUnreadable:
            return False
        return True


def new_secret_key() -> str:
    """A random key for ``CLOPOS_SECRET_KEY`` (or for the database when it is unset)."""
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    """A fresh unified API key: ``ukey_`` + 43 random URL-safe characters (256 bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def api_key_digest(api_key: str) -> str:
    """Hex SHA-256 of an API key: what the database keeps.

    A fast digest is enough because issued keys carry 256 random bits; there is nothing to
    guess offline. (The demo key is public anyway.)
    """
    return hashlib.sha256(api_key.encode()).hexdigest()


def api_key_matches(api_key: str, stored_digest: str) -> bool:
    """Constant-time comparison of a presented key with a stored digest."""
    return hmac.compare_digest(api_key_digest(api_key).encode(), stored_digest.encode())
