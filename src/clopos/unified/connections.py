"""Apps, consumers and their Clopos connections; tombstones and idempotency keys.

``resolve`` is the header check of every ``/pos`` call (spec §1.2), in this order:

1. ``Authorization`` missing, or not ``Bearer <key>`` → 401 ``UnauthorizedError``
2. ``x-apideck-app-id`` missing → 400 ``RequestHeadersValidationError``
   (``detail: "Missing Header: x-apideck-app-id"``)
3. unknown app, or a key that is not this app's → 401 ``UnauthorizedError`` (one message for
   both, and the same work: nobody learns which app ids exist)
4. ``x-apideck-consumer-id`` missing → 400 ``RequestHeadersValidationError``
   (``detail: "Missing Header: x-apideck-consumer-id"``)
5. ``x-apideck-service-id`` other than ``clopos`` → 404 ``ConnectorNotFoundError``
6. no connection for this consumer of this app → 404 ``ConnectionNotFoundError``
7. a stored secret the configured key cannot decrypt → 401 ``ConnectorCredentialsError``
   (the connection must be added again; the reason is logged, not sent)

Every function that writes **commits before returning**. The unified layer never keeps a
database transaction open across an upstream call: the upstream may be this very server on
the same SQLite file, whose write lock the upstream call needs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import SecretStr
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import ServerSetting
from clopos.unified.crypto import (
    SecretCipher,
    SecretUnreadable,
    api_key_digest,
    api_key_matches,
    new_api_key,
    new_secret_key,
)
from clopos.unified.errors import UnifiedError
from clopos.unified.tables import (
    SELF_UPSTREAM,
    UnifiedApp,
    UnifiedConnection,
    UnifiedIdempotencyKey,
    UnifiedTombstone,
)

log = logging.getLogger("clopos.unified")

ApiVersion = Literal["v1", "v2"]
SERVICE_ID = "clopos"
"""The one connector of this unified layer (spec: ``service`` = ``clopos``)."""
SUPPORTED_SERVICES = frozenset({SERVICE_ID})
IDEMPOTENCY_TTL = timedelta(hours=24)
MAX_IDEMPOTENCY_KEY_LENGTH = 255
SECRET_KEY_SETTING = "unified_secret_key"  # noqa: S105 - a settings row name, not a secret

_APP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Compared against when the app id is unknown, so both failures cost the same.
_DUMMY_DIGEST = api_key_digest("no such app")
# How long a resolved connection is reused (ConnectionCache): the longest a change made by
# another process (the CLI, another worker) takes to reach this one.
RESOLVE_TTL_SECONDS: Final = 5.0
# Consumers kept at once (the oldest goes first); with KNOWN_TOMBSTONES_MAX this bounds the
# memory the cache can hold to about 1024 x 500 short ids.
RESOLVE_CACHE_MAX_ENTRIES: Final = 1024
# ``resolve`` reads a connection's tombstoned ids along with it up to this many, so that
# ``GET /pos/orders/{id}`` needs no lookup of its own; beyond it the routes ask per id.
KNOWN_TOMBSTONES_MAX: Final = 500


class _Writes:
    """Counts this process's writes to apps, connections and tombstones; a cached
    resolution made before the latest write is not used (ConnectionCache)."""

    count = 0

    @classmethod
    def happened(cls) -> None:
        cls.count += 1


def _written() -> None:
    """Call after every committed write that ``resolve`` could see differently."""
    _Writes.happened()


# --- value objects -------------------------------------------------------------------------


@dataclass(frozen=True)
class AppInfo:
    """An application as listed (never its key)."""

    app_id: str
    name: str
    created_at: datetime
    consumers: int


@dataclass(frozen=True)
class ConsumerInfo:
    """A connection as listed: everything but the secret.

    ``secret_readable`` is ``False`` when the configured key cannot decrypt the stored
    secret (``None`` when it was not checked).
    """

    app_id: str
    consumer_id: str
    service_id: str
    base_url: str
    api_version: ApiVersion
    client_id: str
    brand: str
    integrator_id: str | None
    venue_id: int | None
    created_at: datetime
    updated_at: datetime
    secret_readable: bool | None = None

    def public(self) -> dict[str, Any]:
        """The JSON form the admin route answers with."""
        return {
            "app_id": self.app_id,
            "consumer_id": self.consumer_id,
            "service_id": self.service_id,
            "base_url": self.base_url,
            "api_version": self.api_version,
            "client_id": self.client_id,
            "brand": self.brand,
            "integrator_id": self.integrator_id,
            "venue_id": self.venue_id,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "secret_readable": self.secret_readable,
        }


@dataclass(frozen=True, repr=False)
class Connection:
    """One consumer's Clopos connection with its secret decrypted, for one request.

    Never logged whole: ``repr``/``str`` mask the secret.
    """

    id: int
    app_id: str
    consumer_id: str
    service_id: str
    base_url: str
    api_version: ApiVersion
    client_id: str
    client_secret: str
    brand: str
    integrator_id: str | None
    venue_id: int | None
    updated_at: datetime
    # Whether any unified id was deleted through this connection when it was resolved: with
    # False (the usual case) routes may skip the per-id tombstone lookup.
    has_tombstones: bool = True
    # The deleted ids themselves when ``resolve`` read them (at most KNOWN_TOMBSTONES_MAX;
    # empty without tombstones); None when not read (too many, or not resolved by
    # ``resolve``): then a route asks ``is_tombstoned`` per id.
    known_tombstones: frozenset[str] | None = None

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.id}, app_id={self.app_id!r}, consumer_id={self.consumer_id!r}, "
            f"service_id={self.service_id!r}, base_url={self.base_url!r}, "
            f"api_version={self.api_version!r}, client_id={self.client_id!r}, "
            f"client_secret='***', brand={self.brand!r}, "
            f"integrator_id={self.integrator_id!r}, venue_id={self.venue_id!r})"
        )

    __str__ = __repr__

    @property
    def is_self(self) -> bool:
        """Whether the upstream is the server this unified layer is attached to."""
        return self.base_url == SELF_UPSTREAM

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever anything the upstream client depends on changes."""
        parts = (
            self.base_url,
            self.api_version,
            self.client_id,
            self.client_secret,
            self.brand,
            self.integrator_id or "",
            "" if self.venue_id is None else str(self.venue_id),
        )
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# --- errors --------------------------------------------------------------------------------


def _invalid(field: str, reason: str) -> UnifiedError:
    return UnifiedError(
        400, "RequestValidationError", f"{field} {reason}", {"invalid": [{field: reason}]}
    )


def _missing(field: str) -> UnifiedError:
    return UnifiedError(
        400, "RequestValidationError", f"{field} is required", {"missing": [{field: "required"}]}
    )


def _missing_header(name: str) -> UnifiedError:
    return UnifiedError(
        400, "RequestHeadersValidationError", f"Missing Header: {name}", f"Missing Header: {name}"
    )


def _unauthorized(message: str) -> UnifiedError:
    return UnifiedError(401, "UnauthorizedError", message, message)


def connection_not_found(app_id: str, consumer_id: str) -> UnifiedError:
    """404 for a consumer without a ``clopos`` connection in this app."""
    return UnifiedError(
        404,
        "ConnectionNotFoundError",
        f"No clopos connection for consumer {consumer_id!r} of application {app_id!r}",
        {"consumer_id": consumer_id, "service_id": SERVICE_ID},
    )


# --- the encryption key --------------------------------------------------------------------


async def load_cipher(
    session: AsyncSession, secret_key: SecretStr | str | None = None
) -> SecretCipher:
    """The cipher for connection secrets.

    ``CLOPOS_SECRET_KEY`` (``secret_key``) when given; otherwise a key generated on first
    use and kept in ``server_settings`` (as the JWT key is), so a development server works
    without set-up. That stored key sits next to the ciphertexts, so it keeps secrets out
    of logs, dumps of one table and ``consumer list``, but not out of a stolen database:
    production sets ``CLOPOS_SECRET_KEY``. Commits when it stores a new key.
    """
    found = await find_cipher(session, secret_key)
    if found is not None:
        return found
    query = select(ServerSetting.value).where(ServerSetting.key == SECRET_KEY_SETTING)
    stored = await session.scalar(query)
    if stored is None:
        session.add(ServerSetting(key=SECRET_KEY_SETTING, value=new_secret_key()))
        try:
            await session.commit()
        except IntegrityError:  # another process stored one first: use theirs
            await session.rollback()
        stored = await session.scalar(query)
    assert stored is not None
    return SecretCipher(stored, source="database")


async def find_cipher(
    session: AsyncSession, secret_key: SecretStr | str | None = None
) -> SecretCipher | None:
    """Like ``load_cipher``, but ``None`` instead of creating a key (read-only commands)."""
    if isinstance(secret_key, SecretStr):
        secret_key = secret_key.get_secret_value()
    if secret_key:
        return SecretCipher(secret_key, source="CLOPOS_SECRET_KEY")
    stored = await session.scalar(
        select(ServerSetting.value).where(ServerSetting.key == SECRET_KEY_SETTING)
    )
    return None if stored is None else SecretCipher(stored, source="database")


# --- input rules (pure) ----------------------------------------------------------------------


def _text(field: str, value: str | None, *, max_length: int, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise _missing(field)
        return None
    if len(text) > max_length:
        raise _invalid(field, f"must be at most {max_length} characters")
    if _CONTROL.search(text):
        raise _invalid(field, "must not contain control characters")
    return text


def check_app_id(app_id: str | None) -> str:
    """A valid application id (letters, digits, ``.``, ``_``, ``-``; at most 128)."""
    text = _text("app_id", app_id, max_length=128)
    assert text is not None
    if not _APP_ID.match(text):
        raise _invalid("app_id", "must be letters, digits, '.', '_' or '-', starting alphanumeric")
    return text


def check_base_url(base_url: str | None) -> str:
    """``"self"`` or an ``http(s)://host[:port][/prefix]`` URL without a trailing slash."""
    text = _text("base_url", base_url, max_length=500, required=False)
    if text is None or text.lower() == SELF_UPSTREAM:
        return SELF_UPSTREAM
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise _invalid("base_url", "must be 'self' or an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _invalid("base_url", "must be 'self' or an http(s) URL such as https://host")
    if parts.query or parts.fragment:
        raise _invalid("base_url", "must not carry a query or a fragment")
    return text.rstrip("/")


@dataclass(frozen=True)
class ConsumerSpec:
    """Validated input of ``add_consumer``."""

    app_id: str
    consumer_id: str
    service_id: str
    base_url: str
    api_version: ApiVersion
    client_id: str
    client_secret: str = ""
    brand: str = ""
    integrator_id: str | None = None
    venue_id: int | None = None

    def __repr__(self) -> str:  # the secret stays out of logs and tracebacks
        return f"ConsumerSpec(app_id={self.app_id!r}, consumer_id={self.consumer_id!r}, ...)"


def check_consumer(
    *,
    app_id: str | None,
    consumer_id: str | None,
    client_id: str | None,
    client_secret: str | None,
    brand: str | None,
    integrator_id: str | None = None,
    venue_id: int | str | None = None,
    api_version: str | None = "v2",
    base_url: str | None = SELF_UPSTREAM,
    service_id: str | None = SERVICE_ID,
) -> ConsumerSpec:
    """Validate a connection; a 400 ``RequestValidationError`` names the first bad field.

    v2 authenticates with ``integrator_id`` (required); v1 with ``venue_id`` (required).
    """
    app = check_app_id(app_id)
    consumer = _text("consumer_id", consumer_id, max_length=255)
    service = (service_id or SERVICE_ID).strip().lower()
    if service not in SUPPORTED_SERVICES:
        raise _invalid("service_id", f"must be {SERVICE_ID!r} (the only connector)")
    version = (api_version or "v2").strip().lower()
    if version not in ("v1", "v2"):
        raise _invalid("api_version", "must be 'v1' or 'v2'")
    client = _text("client_id", client_id, max_length=128)
    if not client_secret:
        raise _missing("client_secret")
    if len(client_secret) > 1000 or _CONTROL.search(client_secret):
        raise _invalid("client_secret", "must be at most 1000 printable characters")
    brand_slug = _text("brand", brand, max_length=64)
    integrator = _text("integrator_id", integrator_id, max_length=128, required=version == "v2")
    venue: int | None = None
    if venue_id is not None and str(venue_id).strip() != "":
        raw = str(venue_id).strip()
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= 2**31 - 1:
            raise _invalid("venue_id", "must be a positive integer")
        venue = int(raw)
    elif version == "v1":
        raise _missing("venue_id")
    assert consumer is not None and client is not None and brand_slug is not None
    return ConsumerSpec(
        app_id=app,
        consumer_id=consumer,
        service_id=service,
        base_url=check_base_url(base_url),
        api_version="v1" if version == "v1" else "v2",
        client_id=client,
        client_secret=client_secret,
        brand=brand_slug,
        integrator_id=integrator,
        venue_id=venue,
    )


# --- apps ----------------------------------------------------------------------------------


async def _app_row(session: AsyncSession, app_id: str) -> UnifiedApp | None:
    if _CONTROL.search(app_id) or len(app_id) > 128:
        return None
    found: UnifiedApp | None = await session.scalar(
        select(UnifiedApp).where(UnifiedApp.app_id == app_id)
    )
    return found


async def add_app(
    session: AsyncSession, app_id: str, *, name: str = "", api_key: str | None = None
) -> str:
    """Register an application; returns its API key (shown once, stored as a digest).

    ``api_key`` is for the demo's published key; otherwise a random one is issued.
    409 ``ConflictError`` when the id is taken.
    """
    app = check_app_id(app_id)
    display = _text("name", name, max_length=255, required=False) or ""
    key = api_key or new_api_key()
    session.add(UnifiedApp(app_id=app, name=display, api_key_hash=api_key_digest(key)))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise UnifiedError(
            409, "ConflictError", f"Application {app!r} already exists", {"app_id": app}
        ) from None
    _written()
    return key


async def list_apps(session: AsyncSession) -> list[AppInfo]:
    """Every application with its number of consumers, oldest first."""
    count = (
        select(func.count(UnifiedConnection.id))
        .where(UnifiedConnection.unified_app_id == UnifiedApp.id)
        .scalar_subquery()
    )
    rows = await session.execute(select(UnifiedApp, count).order_by(UnifiedApp.id))
    return [AppInfo(a.app_id, a.name, a.created_at, int(n)) for a, n in rows.all()]


# --- consumers -----------------------------------------------------------------------------


def _info(app_id: str, row: UnifiedConnection, cipher: SecretCipher | None = None) -> ConsumerInfo:
    return ConsumerInfo(
        app_id=app_id,
        consumer_id=row.consumer_id,
        service_id=row.service_id,
        base_url=row.base_url,
        api_version="v1" if row.api_version == "v1" else "v2",
        client_id=row.client_id,
        brand=row.brand,
        integrator_id=row.integrator_id,
        venue_id=row.venue_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        secret_readable=None if cipher is None else cipher.can_decrypt(row.client_secret_encrypted),
    )


async def add_consumer(
    session: AsyncSession, cipher: SecretCipher, spec: ConsumerSpec, *, replace: bool = False
) -> ConsumerInfo:
    """Store a consumer's connection (secret encrypted with ``cipher``); commits.

    400 ``RequestValidationError`` for an unknown app; 409 ``ConflictError`` when the
    consumer already has a connection and ``replace`` is false. With ``replace`` the
    existing row is overwritten; its tombstones and idempotency keys are kept while the
    upstream (base URL and brand) stays the same, and dropped when it changes — unified ids
    of one brand mean nothing in another.
    """
    app = await _app_row(session, spec.app_id)
    if app is None:
        raise _invalid("app_id", f"names no application ({spec.app_id!r}); add it first")
    values = {
        "base_url": spec.base_url,
        "api_version": spec.api_version,
        "client_id": spec.client_id,
        "client_secret_encrypted": cipher.encrypt(spec.client_secret),
        "brand": spec.brand,
        "integrator_id": spec.integrator_id,
        "venue_id": spec.venue_id,
    }
    existing = await _connection_row(session, app.id, spec.consumer_id, spec.service_id)
    if existing is not None and not replace:
        raise UnifiedError(
            409,
            "ConflictError",
            f"Consumer {spec.consumer_id!r} of application {spec.app_id!r} already has a "
            f"{spec.service_id} connection; remove it first or replace it",
            {"consumer_id": spec.consumer_id, "service_id": spec.service_id},
        )
    if existing is not None:
        if (existing.base_url, existing.brand) != (spec.base_url, spec.brand):
            await _drop_history(session, existing.id)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.updated_at = utcnow()
        row = existing
    else:
        row = UnifiedConnection(
            unified_app_id=app.id,
            consumer_id=spec.consumer_id,
            service_id=spec.service_id,
            **values,
        )
        session.add(row)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent add of the same consumer won
        await session.rollback()
        raise UnifiedError(
            409,
            "ConflictError",
            f"Consumer {spec.consumer_id!r} of application {spec.app_id!r} already exists",
            {"consumer_id": spec.consumer_id, "service_id": spec.service_id},
        ) from None
    _written()
    return _info(app.app_id, row)


async def _drop_history(session: AsyncSession, connection_id: int) -> None:
    """Delete a connection's tombstones and idempotency keys (not committed).

    Explicit deletes rather than trusting ON DELETE CASCADE alone: SQLite enforces it only
    on connections that enabled foreign keys.
    """
    await session.execute(
        delete(UnifiedTombstone).where(UnifiedTombstone.connection_id == connection_id)
    )
    await session.execute(
        delete(UnifiedIdempotencyKey).where(UnifiedIdempotencyKey.connection_id == connection_id)
    )


async def _connection_row(
    session: AsyncSession, app_pk: int, consumer_id: str, service_id: str
) -> UnifiedConnection | None:
    found: UnifiedConnection | None = await session.scalar(
        select(UnifiedConnection).where(
            UnifiedConnection.unified_app_id == app_pk,
            UnifiedConnection.consumer_id == consumer_id,
            UnifiedConnection.service_id == service_id,
        )
    )
    return found


async def list_consumers(
    session: AsyncSession, *, app_id: str | None = None, cipher: SecretCipher | None = None
) -> list[ConsumerInfo]:
    """Connections (of one app, or all), oldest first; with ``cipher``, whether each
    stored secret is readable."""
    query = (
        select(UnifiedApp.app_id, UnifiedConnection)
        .join(UnifiedApp, UnifiedApp.id == UnifiedConnection.unified_app_id)
        .order_by(UnifiedConnection.id)
    )
    if app_id is not None:
        query = query.where(UnifiedApp.app_id == app_id)
    rows = await session.execute(query)
    return [_info(app, row, cipher) for app, row in rows.all()]


async def remove_consumer(
    session: AsyncSession, *, app_id: str, consumer_id: str, service_id: str | None = None
) -> int:
    """Delete a connection with its tombstones and idempotency keys; commits.

    Returns the removed connection's id; 404 ``ConnectionNotFoundError`` when there is none.
    """
    app = await _app_row(session, app_id)
    row = None
    if app is not None:
        row = await _connection_row(session, app.id, consumer_id, service_id or SERVICE_ID)
    if row is None:
        raise connection_not_found(app_id, consumer_id)
    await _drop_history(session, row.id)
    removed = row.id
    await session.delete(row)
    await session.commit()
    _written()
    return removed


async def get_connection(
    session: AsyncSession,
    cipher: SecretCipher,
    *,
    app_id: str,
    consumer_id: str,
    service_id: str | None = None,
) -> Connection:
    """One consumer's connection with the secret decrypted.

    404 ``ConnectionNotFoundError``; 401 ``ConnectorCredentialsError`` when the secret
    cannot be decrypted with ``cipher`` (the key changed since it was stored).
    """
    service = service_id or SERVICE_ID
    found = None
    if not _CONTROL.search(consumer_id) and len(consumer_id) <= 255:
        found = (
            await session.execute(
                select(UnifiedApp.app_id, UnifiedConnection, _any_tombstone())
                .join(UnifiedApp, UnifiedApp.id == UnifiedConnection.unified_app_id)
                .where(
                    UnifiedApp.app_id == app_id,
                    UnifiedConnection.consumer_id == consumer_id,
                    UnifiedConnection.service_id == service,
                )
            )
        ).first()
    if found is None:
        raise connection_not_found(app_id, consumer_id)
    app, row, tombstones = found
    return _opened(app, row, cipher, has_tombstones=bool(tombstones))


def _any_tombstone() -> Any:
    """``EXISTS`` a tombstone of the connection row in the same query."""
    return (
        select(UnifiedTombstone.id)
        .where(UnifiedTombstone.connection_id == UnifiedConnection.id)
        .exists()
        .correlate(UnifiedConnection)
    )


def _opened(
    app: str, row: UnifiedConnection, cipher: SecretCipher, *, has_tombstones: bool = True
) -> Connection:
    """``row`` as a ``Connection``, its secret decrypted (else 401, reason logged)."""
    try:
        secret = cipher.decrypt(row.client_secret_encrypted)
    except SecretUnreadable as exc:
        log.error(
            "connection %s (app %r, consumer %r) is unusable: %s; add it again with "
            "`clopos unified consumer add --replace` or restore the key",
            row.id,
            app,
            row.consumer_id,
            exc,
        )
        raise UnifiedError(
            401,
            "ConnectorCredentialsError",
            "The stored credentials of this connection cannot be read; "
            "an administrator must add the connection again",
            {"consumer_id": row.consumer_id, "service_id": row.service_id},
        ) from None
    return Connection(
        id=row.id,
        app_id=app,
        consumer_id=row.consumer_id,
        service_id=row.service_id,
        base_url=row.base_url,
        api_version="v1" if row.api_version == "v1" else "v2",
        client_id=row.client_id,
        client_secret=secret,
        brand=row.brand,
        integrator_id=row.integrator_id,
        venue_id=row.venue_id,
        updated_at=row.updated_at,
        has_tombstones=has_tombstones,
    )


# --- the header check of every /pos call ---------------------------------------------------


def bearer_key(authorization: str | None) -> str:
    """The API key of an ``Authorization: Bearer <key>`` header, else 401."""
    if authorization is None or not authorization.strip():
        raise _unauthorized("Missing authentication: send Authorization: Bearer <api key>")
    scheme, _, key = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("Authorization must be 'Bearer <api key>'")
    return key.strip()


async def resolve(
    session: AsyncSession,
    *,
    authorization: str | None,
    app_id: str | None,
    consumer_id: str | None,
    service_id: str | None,
    cipher: SecretCipher | None = None,
) -> Connection:
    """The connection a ``/pos`` request acts on, from its headers (order in module doc).

    ``cipher`` defaults to the one ``CLOPOS_SECRET_KEY`` (read from the environment now) or
    the database gives; the routes pass the app's own.
    """
    key = bearer_key(authorization)
    app_text = (app_id or "").strip()
    if not app_text:
        raise _missing_header("x-apideck-app-id")
    consumer = (consumer_id or "").strip()
    if _CONTROL.search(consumer) or len(consumer) > 255:
        consumer = ""  # cannot name a stored consumer; answered below as not found
        unusable_consumer = True
    else:
        unusable_consumer = False
    app: UnifiedApp | None = None
    row: UnifiedConnection | None = None
    tombstones: Any = True
    if not _CONTROL.search(app_text) and len(app_text) <= 128:
        # One round trip for the app and the connection: this runs on every /pos call.
        found = (
            await session.execute(
                select(UnifiedApp, UnifiedConnection, _any_tombstone())
                .outerjoin(
                    UnifiedConnection,
                    (UnifiedConnection.unified_app_id == UnifiedApp.id)
                    & (UnifiedConnection.consumer_id == consumer)
                    & (UnifiedConnection.service_id == SERVICE_ID),
                )
                .where(UnifiedApp.app_id == app_text)
            )
        ).first()
        if found is not None:
            app, row, tombstones = found
    matches = api_key_matches(key, app.api_key_hash if app else _DUMMY_DIGEST)
    if app is None or not matches:
        raise _unauthorized("Invalid API key for this application (x-apideck-app-id)")
    if not consumer and not unusable_consumer:
        raise _missing_header("x-apideck-consumer-id")
    service = (service_id or "").strip()
    if service and service.lower() not in SUPPORTED_SERVICES:
        raise UnifiedError(
            404,
            "ConnectorNotFoundError",
            f"Unknown connector {service!r}: this server offers only {SERVICE_ID!r}",
            {"service_id": service},
        )
    if row is None or unusable_consumer:
        raise connection_not_found(app.app_id, (consumer_id or "").strip())
    if cipher is None:
        from clopos.settings import Settings

        cipher = await load_cipher(session, Settings().secret_key)
    conn = _opened(app.app_id, row, cipher, has_tombstones=bool(tombstones))
    known: frozenset[str] | None = frozenset()
    if tombstones:
        ids = (
            await session.scalars(
                select(UnifiedTombstone.unified_id)
                .where(UnifiedTombstone.connection_id == row.id)
                .limit(KNOWN_TOMBSTONES_MAX + 1)
            )
        ).all()
        known = frozenset(ids) if len(ids) <= KNOWN_TOMBSTONES_MAX else None
    return dataclasses.replace(conn, known_tombstones=known)


# --- resolving without the database: a short-lived cache -----------------------------------

_CacheKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class _Resolved:
    expires: float  # on the cache's clock
    writes: int  # _Writes.count before the database was read
    conn: Connection


class ConnectionCache:
    """Successful ``resolve`` answers, reused for ``ttl`` seconds (one per app: the routes'
    ``UnifiedState`` holds it, with the app's cipher).

    The key is the SHA-256 of the presented API key with the app, consumer and service ids
    as sent (trimmed; the service lower-cased), so a hit means that these very headers
    passed every check of ``resolve`` less than ``ttl`` seconds ago. Failures are never
    kept: a refused call always asks the database, and wrong keys cannot fill the cache.

    Staleness: a write through this module in this process (``add_app``, ``add_consumer``,
    ``remove_consumer``, ``tombstone``; the ``/pos/admin`` routes and ``DELETE
    /pos/orders/{id}`` use them) makes every earlier entry unusable at once. A write by
    another process (``clopos unified consumer …``, another worker) is seen within ``ttl``
    seconds. ``ttl <= 0`` turns the cache off.
    """

    def __init__(
        self,
        *,
        ttl: float = RESOLVE_TTL_SECONDS,
        max_entries: int = RESOLVE_CACHE_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max(1, max_entries)
        self._clock = clock
        self._entries: dict[_CacheKey, _Resolved] = {}
        self._writes = _Writes.count

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every resolution (the next call of each consumer reads the database)."""
        self._entries.clear()

    async def resolve(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        authorization: str | None,
        app_id: str | None,
        consumer_id: str | None,
        service_id: str | None,
        cipher: SecretCipher,
    ) -> Connection:
        """``resolve``'s answer for these headers: remembered, or read in a short session of
        its own (closed before this returns). Errors are ``resolve``'s, in its order."""
        writes = _Writes.count
        if writes != self._writes:
            self._entries.clear()
            self._writes = writes
        key = _cache_key(authorization, app_id, consumer_id, service_id)
        now = self._clock()
        hit = self._entries.get(key) if key is not None else None
        if hit is not None and hit.expires > now and hit.writes == writes:
            return hit.conn
        async with sessions() as session:
            conn = await resolve(
                session,
                authorization=authorization,
                app_id=app_id,
                consumer_id=consumer_id,
                service_id=service_id,
                cipher=cipher,
            )
        if key is not None and self.ttl > 0:
            self._store(key, _Resolved(now + self.ttl, writes, conn), now)
        return conn

    def _store(self, key: _CacheKey, entry: _Resolved, now: float) -> None:
        if key not in self._entries and len(self._entries) >= self.max_entries:
            for stale in [k for k, e in self._entries.items() if e.expires <= now]:
                del self._entries[stale]
            if len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]  # the oldest
        self._entries[key] = entry


def _cache_key(
    authorization: str | None, app_id: str | None, consumer_id: str | None, service_id: str | None
) -> _CacheKey | None:
    try:
        key = bearer_key(authorization)
    except UnifiedError:
        return None  # resolve refuses it
    return (
        api_key_digest(key),
        (app_id or "").strip(),
        (consumer_id or "").strip(),
        (service_id or "").strip().lower(),
    )


# --- tombstones (spec §6.4) ------------------------------------------------------------------


async def tombstone(session: AsyncSession, conn: Connection, unified_id: str) -> bool:
    """Hide ``unified_id`` from this connection for good; commits.

    ``False`` when it was already tombstoned (a concurrent delete won).
    """
    session.add(UnifiedTombstone(connection_id=conn.id, unified_id=unified_id))
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    _written()  # the connection now has tombstones: cached resolutions say otherwise
    return True


async def is_tombstoned(session: AsyncSession, conn: Connection, unified_id: str) -> bool:
    """Whether ``unified_id`` was deleted through this connection."""
    found = await session.scalar(
        select(UnifiedTombstone.id).where(
            UnifiedTombstone.connection_id == conn.id, UnifiedTombstone.unified_id == unified_id
        )
    )
    return found is not None


async def tombstoned_ids(
    session: AsyncSession, conn: Connection, among: Iterable[str] | None = None
) -> frozenset[str]:
    """The deleted unified ids of this connection (only those in ``among`` when given,
    e.g. one page of a list)."""
    query = select(UnifiedTombstone.unified_id).where(UnifiedTombstone.connection_id == conn.id)
    if among is not None:
        wanted = list(dict.fromkeys(among))
        if not wanted:
            return frozenset()
        query = query.where(UnifiedTombstone.unified_id.in_(wanted))
    return frozenset((await session.scalars(query)).all())


# --- idempotency keys (spec §6.1) ------------------------------------------------------------


def body_fingerprint(body: Any) -> str:
    """Hex SHA-256 of a JSON body in canonical form (key order and spacing do not count)."""
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def upstream_idempotency_key(conn: Connection, key: str) -> str:
    """The ``Idempotency-Key`` to send upstream for a unified create with ``key``.

    Stable for (connection, key), so a create that died between the upstream write and
    ``complete_idempotency`` is replayed by the upstream, not made twice.
    """
    digest = hashlib.sha256(f"{conn.id}\x00{conn.consumer_id}\x00{key}".encode()).hexdigest()
    return f"unified-{digest[:48]}"


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or _CONTROL.search(key):
        raise _invalid(
            "idempotency_key", f"must be 1 to {MAX_IDEMPOTENCY_KEY_LENGTH} printable characters"
        )
    return key


async def _key_row(
    session: AsyncSession, conn: Connection, key: str
) -> UnifiedIdempotencyKey | None:
    found: UnifiedIdempotencyKey | None = await session.scalar(
        select(UnifiedIdempotencyKey).where(
            UnifiedIdempotencyKey.connection_id == conn.id, UnifiedIdempotencyKey.key == key
        )
    )
    return found


async def claim_idempotency(
    session: AsyncSession, conn: Connection, key: str, fingerprint: str
) -> str | None:
    """Claim ``key`` for a create with body ``fingerprint``; commits.

    Returns the unified id an earlier create with this key and body made (answer 201 with
    it and create nothing), or ``None``: go ahead, send ``upstream_idempotency_key`` along,
    then ``complete_idempotency`` (or ``release_idempotency`` when the create is refused).
    ``None`` also comes back while an earlier request with the same key and body is still
    in flight; the upstream key makes the two one create. The same key with a different
    body → 409 ``ConflictError``. Keys expire after 24 hours.
    """
    _check_key(key)
    now = utcnow()
    await session.execute(
        delete(UnifiedIdempotencyKey).where(
            UnifiedIdempotencyKey.connection_id == conn.id,
            UnifiedIdempotencyKey.expires_at <= now,
        )
    )
    row = await _key_row(session, conn, key)
    if row is None:
        session.add(
            UnifiedIdempotencyKey(
                connection_id=conn.id,
                key=key,
                fingerprint=fingerprint,
                created_at=now,
                expires_at=now + IDEMPOTENCY_TTL,
            )
        )
        try:
            await session.commit()
            return None
        except IntegrityError:  # a concurrent request claimed it first
            await session.rollback()
            row = await _key_row(session, conn, key)
            if row is None:  # pragma: no cover - claimed and released in between
                return await claim_idempotency(session, conn, key, fingerprint)
    await session.commit()
    if row.fingerprint != fingerprint:
        raise UnifiedError(
            409,
            "ConflictError",
            "This idempotency_key was already used with a different request body",
            {"idempotency_key": key},
        )
    return row.unified_id


async def complete_idempotency(
    session: AsyncSession, conn: Connection, key: str, unified_id: str
) -> None:
    """Record the unified id the create with ``key`` made; commits."""
    await session.execute(
        update(UnifiedIdempotencyKey)
        .where(UnifiedIdempotencyKey.connection_id == conn.id, UnifiedIdempotencyKey.key == key)
        .values(unified_id=unified_id)
    )
    await session.commit()


async def release_idempotency(session: AsyncSession, conn: Connection, key: str) -> None:
    """Forget an unfinished claim (the create was refused), so a corrected request may
    reuse the key; commits. A completed key is kept."""
    await session.execute(
        delete(UnifiedIdempotencyKey).where(
            UnifiedIdempotencyKey.connection_id == conn.id,
            UnifiedIdempotencyKey.key == key,
            UnifiedIdempotencyKey.unified_id.is_(None),
        )
    )
    await session.commit()


# --- the demo --------------------------------------------------------------------------------


async def ensure_demo_connection(
    session: AsyncSession, cipher: SecretCipher, spec: ConsumerSpec, *, api_key: str
) -> None:
    """Create the demo app and consumer unless present; commits (idempotent).

    The demo's secret is public, so a demo connection whose secret no longer decrypts (the
    key changed) is simply stored again.
    """
    if await _app_row(session, spec.app_id) is None:
        with suppress(UnifiedError):  # another process seeded it first
            await add_app(session, spec.app_id, name="Demo app", api_key=api_key)
    app = await _app_row(session, spec.app_id)
    assert app is not None
    existing = await _connection_row(session, app.id, spec.consumer_id, spec.service_id)
    if existing is not None and cipher.can_decrypt(existing.client_secret_encrypted):
        return
    with suppress(UnifiedError):  # another process seeded it first
        await add_consumer(session, cipher, spec, replace=existing is not None)
