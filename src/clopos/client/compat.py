"""integrify-clopos's face over the SDK, so a script written for it runs after one import swap.

integrify-clopos (existing-python-client.md) returned ``APIResponse(ok, status_code, headers,
body)`` from every call and never raised on an HTTP error; callers passed the token as
``headers={"x-token": token}`` and pointed the client elsewhere with
``CloposClientClass(base_url="http://host:port/open-api/v2/")`` or by patching
``route["base_url"]`` on ``CloposRequest.urls``. This module keeps all of that:

    from clopos.client import CloposRequest          # was: from integrify.clopos import …

    resp = CloposRequest.auth()                      # CLOPOS_* env, read on first use
    venues = CloposRequest.get_venues(headers={"x-token": resp.body.token})
    if venues.ok:
        print(venues.body.data[0].name)
    else:
        print(venues.status_code, venues.body.error[0].message)

Underneath, each call goes through ``CloposClient`` / ``AsyncCloposClient``, so it gets the
SDK's wire format, retries, ``Idempotency-Key`` on creates and (when no ``x-token`` is passed)
token management. ``body`` is what the typed client returns; an HTTP error becomes
``ok=False`` with an :class:`ErrorBody` instead of an exception. A call that never got an
answer still raises :class:`~clopos.client.APIConnectionError` (integrify leaked ``httpx``
errors there), and bad arguments raise before anything is sent.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict

from clopos.client._base import ApiVersion, ClientSettings
from clopos.client._client import AsyncCloposClient, CloposClient
from clopos.client._errors import APIStatusError, CloposError

__all__ = [
    "APIResponse",
    "CloposClientClass",
    "ErrorBody",
    "ErrorItem",
    "Record",
    "legacy_singleton",
    "split_base_url",
]

logger = logging.getLogger(__name__)

BodyT = TypeVar("BodyT")
SyncOrAsync = CloposClient | AsyncCloposClient

# ClientSettings fields a caller may pass to CloposClientClass (the rest go to the client).
_SETTING_NAMES = frozenset(
    {
        "client_id",
        "client_secret",
        "brand",
        "integrator_id",
        "venue_id",
        "api_version",
        "timeout",
    }
)


# --------------------------------------------------------------------------- response shapes


class APIResponse(BaseModel, Generic[BodyT]):
    """What every call returns, as in integrify-clopos: ``ok`` is True for a 2xx answer.

    ``body`` is the typed client's result on success, an :class:`ErrorBody` otherwise.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ok: bool
    status_code: int
    headers: dict[str, str]
    body: BodyT


class Record(BaseModel):
    """A JSON object read by attribute (``body.data[0].name``) or by key (``body["data"]``).

    Used for bodies the typed client hands back as plain dicts; every key is kept.
    """

    model_config = ConfigDict(extra="allow")

    def __getitem__(self, key: str) -> Any:
        extra = self.__pydantic_extra__ or {}
        return extra[key]

    def __contains__(self, key: object) -> bool:
        return key in (self.__pydantic_extra__ or {})

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, or ``default``."""
        return (self.__pydantic_extra__ or {}).get(key, default)


class ErrorItem(BaseModel):
    """One entry of the error list, as integrify's ``Errors`` (v1 wire shape)."""

    model_config = ConfigDict(extra="allow")

    message: str | None = None
    type: str | None = None
    exception: str | None = None
    code: int | str | None = None
    http_code: int | None = None


class ErrorBody(BaseModel):
    """The body of a failed call: ``success`` False, ``error`` a list, ``message``.

    ``error`` always has integrify's list shape, so ``body.error[0].message`` works on v1
    and v2 alike; the v2 string code (``"resource_not_found"``) is in ``code`` and in
    ``error[0].type``. Other keys the server sent (``details``, ``expires_at``) are kept.
    """

    model_config = ConfigDict(extra="allow")

    success: Literal[False] = False
    error: list[ErrorItem]
    message: str | None = None
    code: str | None = None


def attributes(value: Any) -> Any:
    """``value`` with every dict turned into a :class:`Record` (lists walked, rest kept)."""
    if isinstance(value, Mapping):
        return Record(**{str(k): attributes(v) for k, v in value.items()})
    if isinstance(value, list):
        return [attributes(v) for v in value]
    return value


def error_body(error: APIStatusError) -> ErrorBody:
    """integrify's ``ErrorResponse`` shape for a typed error (v2 string or v1 list)."""
    raw = error.body
    extra: dict[str, Any] = {}
    items: list[ErrorItem] = []
    if isinstance(raw, Mapping):
        extra = {
            str(k): attributes(v)
            for k, v in raw.items()
            if k not in ("success", "error", "message", "code")
        }
        listed = raw.get("error")
        if isinstance(listed, list):
            items = [
                ErrorItem.model_validate(e) if isinstance(e, Mapping) else ErrorItem(message=str(e))
                for e in listed
            ]
    if not items:
        items = [
            ErrorItem(message=error.message, type=error.code, http_code=error.response.status_code)
        ]
    return ErrorBody(error=items, message=error.message, code=error.code, **extra)


# ------------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    """One integrify method: its positional parameters (integrify's order) and its URL."""

    positional: tuple[str, ...]
    verb: str
    path: str
    versions: tuple[ApiVersion, ...] = ("v1", "v2")
    # create_order / create_receipt forwarded unknown keyword arguments into the body.
    forwards_extra: bool = False
    v1_verb: str | None = None
    v1_path: str | None = None


PAGE = ("page", "limit")
BY_ID = ("id",)

ROUTES: dict[str, Route] = {
    "auth": Route(("client_id", "client_secret", "brand", "integrator_id"), "POST", "auth"),
    "get_venues": Route(PAGE, "GET", "venues"),
    "get_users": Route(PAGE, "GET", "users"),
    "get_user_by_id": Route(BY_ID, "GET", "users/{id}"),
    "get_customers": Route((*PAGE, "with_", "filters"), "GET", "customers"),
    "get_customer_by_id": Route(BY_ID, "GET", "customers/{id}"),
    "create_customer": Route(
        (
            "name",
            "email",
            "phone",
            "code",
            "cid",
            "description",
            "group_id",
            "gender",
            "date_of_birth",
        ),
        "POST",
        "customers",
    ),
    "get_customer_groups": Route(PAGE, "GET", "customer-groups"),
    "get_categories": Route(
        (*PAGE, "parent_id", "type", "include_children", "include_inactive"), "GET", "categories"
    ),
    "get_category_by_id": Route(("id", "include_children"), "GET", "categories/{id}"),
    "get_stations": Route((*PAGE, "status", "can_print"), "GET", "stations"),
    "get_station_by_id": Route(BY_ID, "GET", "stations/{id}"),
    "get_products": Route((*PAGE, "selects", "filters"), "GET", "products"),
    "get_product_by_id": Route(("id", "with_"), "GET", "products/{id}"),
    "get_stop_list": Route(("filters",), "GET", "products/stop-list"),
    "get_sale_types": Route(PAGE, "GET", "sale-types"),
    "get_payment_methods": Route(PAGE, "GET", "payment-methods"),
    "get_orders": Route((*PAGE, "status"), "GET", "orders"),
    "get_order_by_id": Route(("id", "with_"), "GET", "orders/{id}"),
    "create_order": Route(
        ("customer_id", "payload", "meta"), "POST", "orders", forwards_extra=True
    ),
    "update_order": Route(("id", "status"), "PUT", "orders/{id}"),
    "get_receipts": Route(
        (*PAGE, "sort_by", "sort_order", "date_from", "date_to"), "GET", "receipts"
    ),
    "get_receipt_by_id": Route(BY_ID, "GET", "receipts/{id}"),
    "update_closed_receipt": Route(
        ("id", "order_status", "order_number", "fiscal_id", "lock"), "PATCH", "receipts/{id}"
    ),
    "close_receipt": Route(
        ("id", "cid", "payment_methods", "closed_at"),
        "POST",
        "receipts/{id}/close",
        v1_verb="PUT",
        v1_path="receipts/{id}",
    ),
    "get_receipt_stock_operations": Route(
        BY_ID, "GET", "receipts/{id}/stock-operations", versions=("v2",)
    ),
    "get_price_lists": Route(PAGE, "GET", "price-lists"),
    "get_price_list_prices": Route(PAGE, "GET", "price-lists/prices"),
    # integrify-clopos 0.0.1 (v1) only.
    "create_receipt": Route(
        (
            "cid",
            "payment_methods",
            "user_id",
            "by_cash",
            "by_card",
            "customer_discount_type",
            "discount_rate",
            "discount_type",
            "discount_value",
            "delivery_fee",
            "gift_total",
            "guests",
            "original_subtotal",
            "printed",
            "receipt_products",
            "remaining",
            "rps_discount",
            "sale_type_id",
            "service_charge",
            "service_charge_value",
            "status",
            "subtotal",
            "terminal_id",
            "total",
            "total_tax",
            "created_at",
            "closed_at",
            "address",
            "courier_id",
            "meta",
        ),
        "POST",
        "receipts",
        versions=("v1",),
        forwards_extra=True,
    ),
    "update_receipt": Route(
        (
            "id",
            "cid",
            "delivery_fee",
            "description",
            "order_number",
            "order_status",
            "guests",
            "discount_rate",
            "discount_type",
            "discount_value",
            "customer_id",
            "closed_at",
            "meta_customer",
        ),
        "PUT",
        "receipts/{id}",
        versions=("v1",),
    ),
    "delete_receipt": Route(BY_ID, "DELETE", "receipts/{id}", versions=("v1",)),
}


def split_base_url(url: str) -> tuple[str, ApiVersion | None]:
    """``(server root, version)`` from any base URL form integrify users wrote.

    ``http://h:8000/open-api/v2/`` → ``("http://h:8000", "v2")``; ``…/open-api/`` → v1; a
    bare root → ``(root, None)``. The trailing slash is optional here: integrify's
    ``urljoin`` silently dropped the last segment without it (§3), this does not.
    """
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise CloposError(f"base_url must be an absolute http(s) URL, got {url!r}")
    path = parts.path.rstrip("/")
    version: ApiVersion | None = None
    for suffix, found in (("/open-api/v2", "v2"), ("/open-api", "v1")):
        if path.endswith(suffix):
            path, version = path[: -len(suffix)], found  # type: ignore[assignment]
            break
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), version


def _plain(value: Any) -> Any:
    """Arguments as the SDK takes them: integrify's pydantic inputs (``PaymentMethodIn``,
    ``OrderPayloadIn``) as dicts, its enums (``OrderStatus.READY``) as their values."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True, exclude_unset=True, exclude_none=True))
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


# ------------------------------------------------------------------ capturing the answer

# Responses seen by the current call (a context variable, so threads and tasks sharing one
# client each see their own); the last one is the answer the call returned.
_ANSWERS: ContextVar[list[httpx.Response] | None] = ContextVar(
    "clopos_compat_answers", default=None
)


def _record(response: httpx.Response) -> None:
    answers = _ANSWERS.get()
    if answers is not None:
        answers.append(response)


async def _arecord(response: httpx.Response) -> None:
    _record(response)


def _success(body: Any, answers: list[httpx.Response]) -> APIResponse[Any]:
    if isinstance(body, Mapping):
        body = attributes(body)
    last = answers[-1] if answers else None
    return APIResponse[Any](
        ok=True,
        status_code=last.status_code if last is not None else 200,
        headers=dict(last.headers) if last is not None else {},
        body=body,
    )


def _failure(method: str, error: APIStatusError) -> APIResponse[Any]:
    logger.error(
        "Clopos %s failed: HTTP %d %s: %s", method, error.status_code, error.code, error.message
    )
    return APIResponse[Any](
        ok=False,
        status_code=error.response.status_code,
        headers=dict(error.response.headers),
        body=error_body(error),
    )


# ------------------------------------------------------------------------------- client


class CloposClientClass:
    """integrify-clopos's ``CloposClientClass``: ``sync=False`` makes every method a coroutine.

    ``base_url`` takes integrify's form (``http://host:port/open-api/v2/``, or ``…/open-api/``
    for v1) or a bare server root; credentials and the rest come from ``CLOPOS_*`` unless
    given as keywords (``client_id=``, ``retry=``, ``on_attempt=``, ``http_client=`` … —
    anything ``CloposClient`` takes). ``urls`` lists the routes; setting a route's
    ``base_url`` there sends that method to another server, as the old singletons allowed.
    ``name`` and ``default_handler`` are accepted and unused (so was the latter upstream);
    ``dry=True`` is not supported.
    """

    def __init__(
        self,
        name: str = "Clopos",
        base_url: str | None = None,
        default_handler: Any = None,
        sync: bool = True,
        dry: bool = False,
        **options: Any,
    ) -> None:
        if dry:
            raise CloposError(
                "dry=True is not supported; to see requests without sending them, pass "
                "http_client=httpx.Client(transport=httpx.MockTransport(...))"
            )
        self.name = name
        self.sync = sync
        settings = {k: v for k, v in options.items() if k in _SETTING_NAMES and v is not None}
        self._client_options = {k: v for k, v in options.items() if k not in _SETTING_NAMES}
        self._shared_http: httpx.Client | httpx.AsyncClient | None = self._client_options.pop(
            "http_client", None
        )
        root: str | None = None
        if base_url is not None:
            root, version = split_base_url(base_url)
            if version is not None:
                settings.setdefault("api_version", version)
        self.settings = ClientSettings.from_env(base_url=root, **settings)
        self._route_base = self.settings.api_root() + "/"
        self.urls: dict[str, dict[str, str]] = {
            route_name: {
                "url": (route.v1_path if self.version == "v1" else None) or route.path,
                "verb": (route.v1_verb if self.version == "v1" else None) or route.verb,
                "base_url": self._route_base,
            }
            for route_name, route in ROUTES.items()
            if self.version in route.versions
        }
        self._clients: dict[tuple[str, ApiVersion], SyncOrAsync] = {}
        self._owned_http: list[httpx.Client | httpx.AsyncClient] = []
        self._lock = threading.Lock()
        if self._shared_http is not None:
            hook = _record if sync else _arecord
            self._shared_http.event_hooks["response"].append(hook)

    @property
    def version(self) -> ApiVersion:
        """The API version of ``base_url`` (else ``CLOPOS_API_VERSION``, default v2)."""
        return self.settings.api_version

    def __repr__(self) -> str:
        mode = "sync" if self.sync else "async"
        return f"<CloposClientClass {mode} {self._route_base}>"

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.urls})

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not real attributes: the integrify methods.
        if name.startswith("_") or name not in ROUTES:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        sync = self.sync

        def call(*args: Any, **kwargs: Any) -> Any:
            if sync:
                return self._invoke(name, args, kwargs)
            return self._ainvoke(name, args, kwargs)

        call.__name__ = call.__qualname__ = name
        call.__doc__ = getattr(CloposClient, name).__doc__
        return call

    # -- the underlying SDK client -----------------------------------------------------

    def _target(self, name: str) -> tuple[str, ApiVersion]:
        """Where ``name`` goes: ours, or a ``base_url`` a script set on ``urls[name]``."""
        route = self.urls.get(name)
        base = route.get("base_url") if route else None
        if not base or base == self._route_base:
            return self.settings.base_url, self.version
        root, version = split_base_url(base)
        return root, version or self.version

    def _client(self, name: str) -> SyncOrAsync:
        key = self._target(name)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._build(*key)
                self._clients[key] = client
            return client

    def _build(self, base_url: str, version: ApiVersion) -> SyncOrAsync:
        s = self.settings
        http = self._shared_http
        if http is None:
            if self.sync:
                http = httpx.Client(timeout=s.timeout, event_hooks={"response": [_record]})
            else:
                http = httpx.AsyncClient(timeout=s.timeout, event_hooks={"response": [_arecord]})
            self._owned_http.append(http)
        settings: dict[str, Any] = {
            "client_id": s.client_id,
            "client_secret": s.client_secret,
            "brand": s.brand,
            "integrator_id": s.integrator_id,
            "venue_id": s.venue_id,
            "base_url": base_url,
            "api_version": version,
            "timeout": s.timeout,
        }
        if self.sync:
            assert isinstance(http, httpx.Client)
            return CloposClient(http_client=http, **settings, **self._client_options)
        assert isinstance(http, httpx.AsyncClient)
        return AsyncCloposClient(http_client=http, **settings, **self._client_options)

    # -- calls -------------------------------------------------------------------------

    def _arguments(
        self, name: str, version: ApiVersion, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        """integrify's ``(*args, headers=…, **kwargs)`` as the SDK method's keywords."""
        route = ROUTES[name]
        positional = route.positional
        if name == "auth" and version == "v1":
            positional = ("client_id", "client_secret", "brand", "venue_id")
        if len(args) > len(positional):
            raise TypeError(
                f"{name}() takes at most {len(positional)} positional arguments ({len(args)} given)"
            )
        given = dict(zip(positional, args, strict=False))
        clash = sorted(given.keys() & kwargs.keys())
        if clash:
            raise TypeError(f"{name}() got multiple values for argument(s): {', '.join(clash)}")
        given.update(kwargs)
        if name == "auth":
            # integrify's auth sent no token; a headers= argument there changes nothing.
            given.pop("headers", None)
        if route.forwards_extra:
            known = set(route.positional) | {"headers", "extra"}
            extra = {k: given.pop(k) for k in list(given) if k not in known}
            if extra:
                given["extra"] = {**extra, **(given.get("extra") or {})}
        return {k: v if k == "headers" else _plain(v) for k, v in given.items()}

    def _invoke(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> APIResponse[Any]:
        client = self._client(name)
        assert isinstance(client, CloposClient)
        arguments = self._arguments(name, client.version, args, kwargs)
        answers: list[httpx.Response] = []
        token = _ANSWERS.set(answers)
        try:
            body = getattr(client, name)(**arguments)
        except APIStatusError as error:
            return _failure(name, error)
        finally:
            _ANSWERS.reset(token)
        return _success(body, answers)

    async def _ainvoke(
        self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> APIResponse[Any]:
        client = self._client(name)
        assert isinstance(client, AsyncCloposClient)
        arguments = self._arguments(name, client.version, args, kwargs)
        answers: list[httpx.Response] = []
        token = _ANSWERS.set(answers)
        try:
            body = await getattr(client, name)(**arguments)
        except APIStatusError as error:
            return _failure(name, error)
        finally:
            _ANSWERS.reset(token)
        return _success(body, answers)

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connection pools of a sync client (integrify core 1.2's ``close``)."""
        with self._lock:
            owned, self._owned_http = self._owned_http, []
            self._clients.clear()
        for http in owned:
            if isinstance(http, httpx.Client):
                http.close()

    async def aclose(self) -> None:
        """Release the connection pools of an async client."""
        with self._lock:
            owned, self._owned_http = self._owned_http, []
            self._clients.clear()
        for http in owned:
            if isinstance(http, httpx.AsyncClient):
                await http.aclose()
            else:
                http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


# --------------------------------------------------------------------- module singletons

_SINGLETONS: dict[str, CloposClientClass] = {}
_SINGLETONS_LOCK = threading.Lock()
LEGACY_SINGLETONS: dict[str, Callable[[], CloposClientClass]] = {
    "CloposRequest": lambda: CloposClientClass(sync=True),
    "CloposAsyncRequest": lambda: CloposClientClass(sync=False),
}


def legacy_singleton(name: str) -> CloposClientClass:
    """``CloposRequest`` / ``CloposAsyncRequest``, built on first use (not at import).

    integrify bound its singletons to production and read ``CLOPOS_*`` at import
    (§7.8); these read the variables set by the time a script first touches them.
    """
    with _SINGLETONS_LOCK:
        client = _SINGLETONS.get(name)
        if client is None:
            client = LEGACY_SINGLETONS[name]()
            _SINGLETONS[name] = client
        return client
