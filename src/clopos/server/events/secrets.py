"""Encryption at rest of webhook secrets.

A signing secret must come back in clear to sign each delivery, so it cannot be hashed like
client secrets; it is a Fernet token (AES-128-CBC + HMAC-SHA256) under a key derived with
HKDF-SHA256 — the same scheme as the unified layer's connection secrets
(``clopos.unified.crypto``), with a purpose of its own — from:

* ``CLOPOS_SECRET_KEY`` when it is set — then a copy of the database alone does not reveal
  the secrets (production);
* otherwise a key generated on first use and kept in ``server_settings`` (as the JWT key
  is), so a development server works without set-up and survives restarts.

Decryption tries both, so setting ``CLOPOS_SECRET_KEY`` later keeps the endpoints made
before working; new and rotated secrets are encrypted under the configured key.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server.store.models import ServerSetting
from clopos.settings import Settings

STORED_KEY_NAME = "webhook_secret_key"
# Changing either constant makes every stored webhook secret unreadable.
_HKDF_SALT = b"clopos"
_HKDF_INFO = b"clopos.events.webhook-secret.v1"


class SecretUnreadable(Exception):
    """A stored secret was encrypted with a key this server no longer has."""


class SecretBox:
    """Encrypts and decrypts endpoint secrets with the server's key(s)."""

    def __init__(self, key_texts: list[str]) -> None:
        if not key_texts:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(_derive(text)) for text in key_texts])

    def seal(self, secret: str) -> str:
        """The secret encrypted (with the first key), as text."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret back in clear; :class:`SecretUnreadable` if no key opens it."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                "the webhook secret was encrypted with another key (was CLOPOS_SECRET_KEY "
                "changed?); rotate the endpoint's secret"
            ) from None


def _derive(key_text: str) -> bytes:
    """The Fernet key for webhook secrets derived from a server key."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        key_text.encode()
    )
    return base64.urlsafe_b64encode(derived)


async def _stored_key(session: AsyncSession, *, create: bool) -> str | None:
    statement = select(ServerSetting.value).where(ServerSetting.key == STORED_KEY_NAME)
    stored = await session.scalar(statement)
    if stored is None and create:
        # Committed at once, so that every process of the server agrees on one key.
        session.add(ServerSetting(key=STORED_KEY_NAME, value=secrets.token_urlsafe(32)))
        try:
            await session.commit()
        except IntegrityError:  # another process stored one first
            await session.rollback()
        stored = await session.scalar(statement)
    return stored


async def load_secret_box(session: AsyncSession, settings: Settings) -> SecretBox:
    """The box for this server: the configured key first, the stored one as fallback.

    Commits ``session`` when it has to create the stored key; call it before starting a
    unit of work.
    """
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    stored = await _stored_key(session, create=not configured)
    return SecretBox([key for key in (configured, stored) if key])
