"""Everything the two clients share that does no I/O.

Settings, URL and header building, JSON encoding, response parsing, the retry policy and
the token state live here; ``CloposClient`` and ``AsyncCloposClient`` (``_client.py``) add
only the send loop, so both behave identically by construction.
"""

from __future__ import annotations

import email.utils
import math
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal, Protocol, TypeVar, cast

import httpx
from pydantic import BaseModel

from clopos._json import dumps
from clopos.client import _endpoints
from clopos.client._endpoints import RequestSpec
from clopos.client._errors import (
    APIConnectionError,
    APIStatusError,
    CloposError,
    error_from_response,
    parse_body,
)
from clopos.client._parsing import decode, parse_response

ApiVersion = Literal["v1", "v2"]
R = TypeVar("R", bound=BaseModel)

DEFAULT_BASE_URL = "https://integrations.clopos.com"
DEFAULT_TIMEOUT_SECONDS = 30.0
# Refresh a token this long before it expires, so a call never leaves with a dying token.
REFRESH_MARGIN_SECONDS = 60.0
# Idempotent by HTTP semantics, so always safe to resend (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# 401 codes meaning "your token is stale, authenticate again" (spec §3.3).
STALE_TOKEN_CODES = frozenset({"Token expired", "Invalid token"})
IDEMPOTENCY_HEADER = "Idempotency-Key"


class SpecLike(Protocol):
    """The fields of ``_endpoints.RequestSpec`` the core reads."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def params(self) -> tuple[tuple[str, str], ...]: ...
    @property
    def json(self) -> Any: ...
    @property
    def creates(self) -> bool: ...
    @property
    def auth(self) -> bool: ...


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class ClientSettings:
    """Credentials and connection settings; ``from_env`` fills what is not passed."""

    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    brand: str | None = None
    integrator_id: str | None = None
    venue_id: str | None = None
    base_url: str = DEFAULT_BASE_URL
    api_version: ApiVersion = "v2"
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def from_env(cls, **overrides: Any) -> ClientSettings:
        """Read the ``CLOPOS_*`` variables now (not at import); keyword values win over them."""
        version = _env("CLOPOS_API_VERSION") or "v2"
        if version not in ("v1", "v2"):
            raise CloposError(f"CLOPOS_API_VERSION must be v1 or v2, not {version!r}")
        values: dict[str, Any] = {
            "client_id": _env("CLOPOS_CLIENT_ID"),
            "client_secret": _env("CLOPOS_CLIENT_SECRET"),
            "brand": _env("CLOPOS_BRAND"),
            "integrator_id": _env("CLOPOS_INTEGRATOR_ID"),
            "venue_id": _env("CLOPOS_VENUE_ID"),
            "base_url": _env("CLOPOS_BASE_URL") or DEFAULT_BASE_URL,
            "api_version": version,
        }
        timeout = _env("CLOPOS_TIMEOUT")
        if timeout is not None:
            values["timeout"] = float(timeout)
        values.update({k: v for k, v in overrides.items() if v is not None})
        if values.get("venue_id") is not None:
            values["venue_id"] = str(values["venue_id"])
        if values["api_version"] not in ("v1", "v2"):
            raise CloposError(f"api_version must be 'v1' or 'v2', not {values['api_version']!r}")
        return cls(**values)

    def api_root(self) -> str:
        """``{base}/open-api/v2`` or ``{base}/open-api`` without a trailing slash (spec §2)."""
        base = self.base_url.rstrip("/")
        return f"{base}/open-api/v2" if self.api_version == "v2" else f"{base}/open-api"

    def url(self, path: str) -> str:
        """Plain concatenation: no ``urljoin`` trailing-slash trap (existing client §7.8)."""
        return f"{self.api_root()}/{path.lstrip('/')}"


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before resending a failed request.

    ``max_attempts`` counts the first try. Backoff is ``base_delay * 2**(n-1)`` capped at
    ``max_delay``, minus up to ``jitter`` of itself at random; a server-given wait
    (``Retry-After``, ``RateLimit-Reset``) is used as is. No retry starts if it would end
    after ``deadline`` seconds from the first attempt.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    deadline: float = 120.0
    jitter: float = 0.25

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * (1 - self.jitter * random.random())  # noqa: S311 - not crypto


NO_RETRY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True)
class AttemptInfo:
    """One finished attempt, handed to the ``on_attempt`` hook (for logging or metrics)."""

    attempt: int
    method: str
    url: str
    status_code: int | None
    error: CloposError | None
    # Seconds the client will sleep before the next attempt; None when it will not retry.
    retry_in: float | None
    elapsed: float


AttemptHook = Callable[[AttemptInfo], None]


@dataclass
class TokenState:
    """The cached token and when it stops working (Unix seconds)."""

    token: str
    expires_at: float

    def fresh(self, now: float) -> bool:
        """True while more than ``REFRESH_MARGIN_SECONDS`` remain."""
        return now < self.expires_at - REFRESH_MARGIN_SECONDS

    @classmethod
    def from_auth_body(cls, body: Mapping[str, Any], now: float) -> TokenState:
        """v2 answers ``expires_at`` (spec §3.2); v1 only ``expires_in`` (spec §3.1)."""
        token = body.get("token")
        if not isinstance(token, str) or not token:
            raise CloposError("The auth answer carried no token")
        # Answers are decoded with fractions as Decimal (``_parsing.decode``).
        expires_at = body.get("expires_at")
        if isinstance(expires_at, int | float | Decimal) and not isinstance(expires_at, bool):
            return cls(token, float(expires_at))
        expires_in = body.get("expires_in")
        lifetime = 3600.0
        if isinstance(expires_in, int | float | Decimal) and not isinstance(expires_in, bool):
            lifetime = float(expires_in)
        return cls(token, now + lifetime)


class TokenStore(Protocol):
    """Where several processes share one token (a file, Redis, …) so they do not each
    authenticate. ``key`` names the credentials (base URL, version, brand, client)."""

    def load(self, key: str) -> TokenState | None:
        """The stored token for ``key``, or ``None``."""
        ...

    def save(self, key: str, state: TokenState) -> None:
        """Keep ``state`` for ``key``."""
        ...


@dataclass(frozen=True)
class Prepared:
    """A request ready to send except for the token, which is set per attempt."""

    method: str
    url: str
    params: tuple[tuple[str, str], ...]
    headers: dict[str, str]
    content: bytes | None
    # False when the caller passed its own x-token (or for the auth call itself).
    managed_token: bool
    retryable: bool

    def build(self, http: httpx.Client | httpx.AsyncClient, token: str | None) -> httpx.Request:
        """The httpx request for one attempt."""
        headers = dict(self.headers)
        if token is not None:
            headers["x-token"] = token
        return http.build_request(
            self.method, self.url, params=self.params, headers=headers, content=self.content
        )


def encode_json(payload: Any) -> bytes:
    """JSON bytes with Decimals as exact numbers (shared with the server)."""
    return dumps(payload)


def parse_retry_after(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asked us to wait: ``Retry-After``, then ``RateLimit-Reset``.

    ``Retry-After`` is seconds or an HTTP date (RFC 9110 §10.2.3); v2's ``RateLimit-Reset``
    is seconds (spec §8.1); v1's ``X-RateLimit-Reset`` is an epoch (spec §8.2).
    """
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - now)
    for name in ("ratelimit-reset", "x-ratelimit-reset"):
        value = headers.get(name)
        if not value:
            continue
        try:
            seconds = float(value)
        except ValueError:
            continue
        if not math.isfinite(seconds):
            continue
        # An epoch (v1) rather than a number of seconds.
        if seconds > 1_000_000_000:
            seconds -= now
        return max(0.0, seconds)
    return None


def new_idempotency_key() -> str:
    """A fresh key for one logical creating call."""
    return str(uuid.uuid4())


@dataclass
class CallState:
    """Progress of one logical call across its attempts."""

    prepared: Prepared
    started: float = field(default_factory=time.monotonic)
    attempt: int = 0
    reauthed: bool = False


class BaseClopos:
    """Settings, request preparation, parsing and retry decisions; no I/O."""

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
        base_url: str | None = None,
        api_version: ApiVersion | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_attempt: AttemptHook | None = None,
        token_store: TokenStore | None = None,
    ) -> None:
        self.settings = ClientSettings.from_env(
            client_id=client_id,
            client_secret=client_secret,
            brand=brand,
            integrator_id=integrator_id,
            venue_id=None if venue_id is None else str(venue_id),
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
        )
        self.retry = retry or RetryPolicy()
        self.on_attempt = on_attempt
        self.token_store = token_store
        self._token: TokenState | None = None
        # The last token the server refused: a token store may still hold it (another
        # process saved it), and loading it back would skip the re-auth forever.
        self._rejected_token: str | None = None

    @property
    def version(self) -> ApiVersion:
        """The API version this client speaks (``v2`` unless configured otherwise)."""
        return self.settings.api_version

    @property
    def token(self) -> str | None:
        """The cached token, if any."""
        return self._token.token if self._token else None

    # -- preparation -----------------------------------------------------------------

    def _prepare_auth(self, **overrides: Any) -> Prepared:
        """The auth request from settings (``overrides`` win), e.g. ``client_id=``."""
        s = self.settings
        fields: dict[str, Any] = {
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "brand": s.brand,
        }
        # v2 identifies the integrator; v1 names the venue instead (spec §3.1, §3.2).
        fields["integrator_id" if self.version == "v2" else "venue_id"] = (
            s.integrator_id if self.version == "v2" else s.venue_id
        )
        fields.update({k: v for k, v in overrides.items() if v is not None and k in fields})
        missing = [name for name, value in fields.items() if not value]
        if missing:
            names = ", ".join(f"{n} (env CLOPOS_{n.upper()})" for n in missing)
            raise CloposError(f"Cannot authenticate: set {names}")
        spec = _endpoints.auth(**fields, version=self.version)
        # Authenticating twice is harmless, so the auth call is retried like a GET.
        return replace(self._prepare(spec), retryable=True)

    def _base_headers(self) -> dict[str, str]:
        headers = {"accept": "application/json"}
        # v1 needs x-token, x-brand and x-venue on every call; v2 only the token (spec §2).
        if self.version == "v1" and self.settings.brand:
            headers["x-brand"] = self.settings.brand
        if self.settings.venue_id:
            headers["x-venue"] = self.settings.venue_id
        return headers

    def _prepare(self, spec: SpecLike, headers: Mapping[str, str] | None = None) -> Prepared:
        """The request for ``spec``; caller ``headers`` win, as in the old client."""
        merged = self._base_headers()
        content: bytes | None = None
        if spec.json is not None:
            content = encode_json(spec.json)
            merged["content-type"] = "application/json"
        caller = {k.lower(): v for k, v in (headers or {}).items()}
        merged.update(caller)
        method = spec.method.upper()
        idem_key = next((v for k, v in merged.items() if k == IDEMPOTENCY_HEADER.lower()), None)
        if idem_key is None and spec.creates:
            # One key per logical call, reused by every retry: a retried create never
            # duplicates (the server replays the first answer, issue 5 item 5).
            idem_key = new_idempotency_key()
            merged[IDEMPOTENCY_HEADER.lower()] = idem_key
        retryable = method in IDEMPOTENT_METHODS or (method == "POST" and idem_key is not None)
        return Prepared(
            method=method,
            url=self.settings.url(spec.path),
            params=tuple(spec.params),
            headers=merged,
            content=content,
            managed_token=spec.auth and "x-token" not in caller,
            retryable=retryable,
        )

    # -- tokens ----------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        s = self.settings
        return "|".join(
            str(part)
            for part in (
                s.base_url,
                s.api_version,
                s.brand,
                s.client_id,
                s.integrator_id,
                s.venue_id,
            )
        )

    def _token_if_fresh(self) -> str | None:
        now = time.time()
        if self._token is not None and self._token.fresh(now):
            return self._token.token
        if self.token_store is not None:
            shared = self.token_store.load(self._token_key)
            if shared is not None and shared.fresh(now) and shared.token != self._rejected_token:
                self._token = shared
                return shared.token
        return None

    def _store_token(self, body: Mapping[str, Any]) -> None:
        self._token = TokenState.from_auth_body(body, time.time())
        if self.token_store is not None:
            self.token_store.save(self._token_key, self._token)

    def _forget_token(self, token: str | None) -> None:
        """Drop ``token`` unless another call already replaced it (no double re-auth)."""
        if token is not None:
            self._rejected_token = token
        if self._token is not None and self._token.token == token:
            self._token = None

    # -- responses -------------------------------------------------------------------

    @staticmethod
    def _parse(response: httpx.Response) -> dict[str, Any]:
        """The envelope dict of a success, every number with a fraction an exact
        ``Decimal`` (``8.50`` stays ``8.50``); raises the typed error otherwise."""
        if response.status_code >= 400:
            raise error_from_response(response, parse_body(response))
        try:
            body: Any = decode(response.content)
        except ValueError:
            body = response.text
        if isinstance(body, dict) and body.get("success") is False:
            # Check ``success`` before the status: /v2/auth answers 200 on a test/prod
            # integrator mismatch (spec §3.4).
            raise error_from_response(response, body)
        if not isinstance(body, dict):
            raise CloposError(
                f"Expected a JSON object from {response.request.url}, got: {str(body)[:200]!r}"
            )
        return body

    def _finish(self, state: CallState, response: httpx.Response) -> dict[str, Any]:
        """Parse one attempt's answer and report it; raises the typed error on failure."""
        body = self._parse(response)
        self._report(state, response, None, None)
        return body

    @staticmethod
    def _typed(spec: RequestSpec[R], body: dict[str, Any]) -> R:
        """``body`` as the model ``spec`` declares (``ResponseValidationError`` if it does
        not fit); a spec that declares none gets the envelope dict as it is."""
        if spec.response is None:
            return cast(R, body)
        return parse_response(spec.response, body)

    # -- retry decisions -------------------------------------------------------------

    def _should_reauth(self, state: CallState, error: CloposError) -> bool:
        """One re-auth per call on a stale-token 401 (issue 5 item 4)."""
        if state.reauthed or not state.prepared.managed_token:
            return False
        if not isinstance(error, APIStatusError) or error.status_code != 401:
            return False
        if error.code in STALE_TOKEN_CODES:
            return True
        # v1 reports a stale token with the generic ``unauthorized`` code.
        return self.version == "v1" and "token" in error.message.lower()

    def _retry_delay(self, state: CallState, error: CloposError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up and raise."""
        if not state.prepared.retryable or state.attempt >= self.retry.max_attempts:
            return None
        delay: float | None = None
        if isinstance(error, APIStatusError):
            if error.status_code not in RETRY_STATUSES:
                return None
            if error.status_code == 429:
                delay = parse_retry_after(error.response.headers, time.time())
        elif not isinstance(error, APIConnectionError):
            return None
        if delay is None:
            delay = self.retry.backoff(state.attempt)
        if time.monotonic() - state.started + delay > self.retry.deadline:
            return None
        return delay

    def _report(
        self,
        state: CallState,
        response: httpx.Response | None,
        error: CloposError | None,
        retry_in: float | None,
    ) -> None:
        if self.on_attempt is None:
            return
        self.on_attempt(
            AttemptInfo(
                attempt=state.attempt,
                method=state.prepared.method,
                url=state.prepared.url,
                status_code=None if response is None else response.status_code,
                error=error,
                retry_in=retry_in,
                elapsed=time.monotonic() - state.started,
            )
        )
