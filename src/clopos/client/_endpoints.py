"""Pure request builders for every Open API method — no I/O (issue 5).

One function per SDK method, named like the method and taking the existing
``integrify-clopos`` client's parameter names (existing-python-client.md §4). Each returns a
:class:`RequestSpec`; the transport in ``_base.py`` sends it. Everything is encoded the way
the docs show (clopos-open-api.md §4.3), not the way the old client did (its §7.4–7.5):

* arrays and tuples in PHP bracket form: ``with[0]=group``, ``filters[0][0]=type`` with
  ``filters[0][1]=X`` or ``filters[0][1][0]=X``, ``sort[0]``/``sort[1]``, ``date[0]``/``date[1]``;
* plain booleans as ``true``/``false``, boolean *filter* values as ``1``/``0`` (§10.1);
* JSON bodies carry only what the caller gave (no ``null`` padding, no ``id`` repeated in
  a PATCH body) and keep money as :class:`~decimal.Decimal` for exact serialization.

Bad input raises :class:`~clopos.client.RequestValidationError` (a ``ValueError``) naming
the parameter, before anything is sent; request bodies are checked with the server's own
request models (``clopos.models``: ``FlatOrder``, ``NestedOrder``, ``CustomerCreate``,
``ReceiptCreate``, ``ReceiptUpdate``, ``PatchBody``, ``CloseBody``; ``WebhookCreate`` and
``WebhookUpdate`` for the webhook extension) and sent as built. Each spec also names the
model its answer is parsed into (``RequestSpec.response``).

The last section covers the clopos server's extensions: the event feed (``GET events``,
with a long-poll ``wait`` the client adds to its read timeout) and ``/webhooks``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from clopos.client import _parsing
from clopos.client._errors import RequestValidationError
from clopos.models import (
    AuthResponse,
    Category,
    ClosedReceipt,
    Customer,
    CustomerCreate,
    CustomerGroup,
    FlatOrder,
    ItemResponse,
    ListResponse,
    MessageResponse,
    NestedOrder,
    Order,
    PatchBody,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    Receipt,
    ReceiptCreate,
    ReceiptUpdate,
    SaleType,
    Station,
    StockOperation,
    StopListEntry,
    User,
    Venue,
)
from clopos.models.events import EventPage
from clopos.models.receipts import CloseBody
from clopos.models.webhooks import (
    DELIVERY_STATUSES,
    Webhook,
    WebhookCreate,
    WebhookDeleted,
    WebhookDelivery,
    WebhookDeliveryDetail,
    WebhookUpdate,
)

Version = Literal["v1", "v2"]
Params = tuple[tuple[str, str], ...]
# A filter: ``{"name": "John"}``, ``{"type": ["GOODS", "DISH"]}``, ``[("name", "John")]``, or
# the old client's filter objects / dicts with ``by`` + ``value`` (or ``from``/``to``).
Filters = Mapping[str, Any] | Sequence[Any]
WithArg = str | Sequence[str]

#: ``order_status`` of a receipt (spec §12.1, §12.6).
ORDER_STATUSES = (
    "NEW",
    "SCHEDULED",
    "IN_PROGRESS",
    "READY",
    "PICKED_UP",
    "COMPLETED",
    "CANCELLED",
)
#: ``status`` filter of ``GET /orders`` (spec §11.2).
ORDER_LIST_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
#: The single ``with[0]`` value ``GET /orders/{id}`` supports (spec §11.3).
ORDER_RECEIPT_WITH = "receipt:id,service_notification_id,status"
# The old client's three ``with_`` options, which are really one value (spec §11.3).
_LEGACY_ORDER_WITH = frozenset({"receipt:id", "service_notification_id", "status"})
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class RequestSpec(Generic[R]):
    """One HTTP request, relative to the API base (``…/open-api/`` or ``…/open-api/v2/``),
    and the model its answer is parsed into (``None``: the decoded JSON as it is)."""

    method: str
    path: str
    params: Params = ()
    json: Any = None
    creates: bool = False  # a creating POST: eligible for an automatic Idempotency-Key
    auth: bool = True  # False only for the auth call itself
    response: type[R] | None = dataclasses.field(default=None, compare=False)
    # Seconds the server may hold the request before it answers (a long poll's ``wait``):
    # the client adds them to the read timeout so httpx does not give up first.
    hold_seconds: float = 0.0


def _bad(field: str, message: str) -> RequestValidationError:
    """The error for one bad argument or body field; ``message`` names it."""
    return RequestValidationError.for_field(field, message)


# --------------------------------------------------------------------------- value helpers


def _scalar(value: Any, name: str) -> str:
    """A query value as text: enums by value, dates ISO, Decimals exact."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise _bad(name, f"{name}: unsupported value {value!r}")


def _filter_scalar(value: Any, name: str) -> str:
    """A filter value: booleans as ``1``/``0``, the form the filter tables use (§10.1)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return _scalar(value, name)


def _path_id(value: Any, name: str = "id") -> str:
    """A path segment id: a positive int or a non-empty string (products also take a UUID)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad(name, f"{name} must be an integer or a string, got {value!r}")
    if isinstance(value, int):
        if value < 1:
            raise _bad(name, f"{name} must be at least 1, got {value}")
        return str(value)
    if not value.strip():
        raise _bad(name, f"{name} must not be empty")
    return quote(value.strip(), safe="")


def _positive(value: int | None, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise _bad(name, f"{name} must be at least 1, got {value}")
    return value


def _paging(page: int | None, limit: int | None) -> list[tuple[str, str]]:
    """``page`` and ``limit`` (each only when given), both ≥ 1 (spec §4.2)."""
    out: list[tuple[str, str]] = []
    if _positive(page, "page") is not None:
        out.append(("page", str(page)))
    if _positive(limit, "limit") is not None:
        out.append(("limit", str(limit)))
    return out


def _withs(with_: WithArg | None) -> list[tuple[str, str]]:
    """``with[0]=a&with[1]=b`` (spec §4.3)."""
    if with_ is None:
        return []
    values = [with_] if isinstance(with_, str) else list(with_)
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise _bad("with_", f"with_ values must be non-empty strings, got {value!r}")
    return [(f"with[{i}]", value.strip()) for i, value in enumerate(values)]


def _filter_pairs(filters: Filters, name: str) -> list[tuple[str, Any]]:
    """Normalize every accepted filter form to ``[(field, value), …]``."""
    if isinstance(filters, Mapping) and "by" not in filters:
        return [(str(field), value) for field, value in filters.items()]
    items = [filters] if isinstance(filters, Mapping) else list(filters)
    pairs: list[tuple[str, Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, tuple | list) and len(item) == 2 and isinstance(item[0], str):
            pairs.append((item[0], item[1]))
            continue
        get = item.get if isinstance(item, Mapping) else lambda key, i=item: getattr(i, key, None)
        by = get("by")
        if isinstance(by, Enum):
            by = by.value
        if not isinstance(by, str):
            raise _bad(
                f"{name}[{index}]",
                f"{name}[{index}] must be a (field, value) pair or have a 'by' field, got {item!r}",
            )
        if get("value") is not None:
            pairs.append((by, get("value")))
        else:  # the old client's stop-list range filter: by + from/from_ (+ to)
            low = get("from") if get("from") is not None else get("from_")
            high = get("to")
            pairs.append((by, [v for v in (low, high) if v is not None]))
    return pairs


def _filters(filters: Filters | None, name: str = "filters") -> list[tuple[str, str]]:
    """``filters[N][0]=field`` plus ``filters[N][1]=v`` or ``filters[N][1][M]=v`` (§4.3)."""
    if filters is None:
        return []
    out: list[tuple[str, str]] = []
    for n, (field, value) in enumerate(_filter_pairs(filters, name)):
        if not field:
            raise _bad(f"{name}[{n}]", f"{name}[{n}]: the field name must not be empty")
        out.append((f"filters[{n}][0]", field))
        if isinstance(value, list | tuple | set | frozenset):
            values = sorted(value) if isinstance(value, set | frozenset) else list(value)
            if not values:
                raise _bad(
                    f"{name}[{n}]", f"{name}[{n}] ({field}): the value list must not be empty"
                )
            for m, item in enumerate(values):
                out.append((f"filters[{n}][1][{m}]", _filter_scalar(item, f"{name}[{n}]")))
        elif value is None:
            raise _bad(f"{name}[{n}]", f"{name}[{n}] ({field}): the value must not be None")
        else:
            out.append((f"filters[{n}][1]", _filter_scalar(value, f"{name}[{n}]")))
    return out


def _direction(sort_order: int | str | None) -> int:
    """``1``/``-1`` from ``1``/``-1``/``"asc"``/``"desc"``; descending when not given."""
    if sort_order is None:
        return -1
    normalized = str(sort_order).strip().lower()
    if normalized in ("1", "asc"):
        return 1
    if normalized in ("-1", "desc"):
        return -1
    raise _bad("sort_order", f"sort_order must be 1, -1, 'asc' or 'desc', got {sort_order!r}")


def _sort(sort_by: str | None, sort_order: int | str | None) -> list[tuple[str, str]]:
    """``sort[0]=field&sort[1]=1|-1`` (spec §4.3); the old client's names, the docs' keys."""
    if sort_by is None:
        if sort_order is not None:
            raise _bad("sort_order", "sort_order needs sort_by")
        return []
    if not sort_by.strip():
        raise _bad("sort_by", "sort_by must not be empty")
    return [("sort[0]", sort_by.strip()), ("sort[1]", str(_direction(sort_order)))]


def _day(value: date | datetime | str, name: str) -> date:
    """A ``date``, a ``datetime`` or a ``YYYY-MM-DD…`` string, as the day it names."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _bad(name, f"{name} must be a date, a datetime or a 'YYYY-MM-DD' string, got {value!r}")


def _dates(
    date_from: date | datetime | str | None, date_to: date | datetime | str | None
) -> list[tuple[str, str]]:
    """``date[0]``/``date[1]`` as ``YYYY-MM-DD``, both days inclusive (spec §4.3)."""
    start = _day(date_from, "date_from") if date_from is not None else None
    end = _day(date_to, "date_to") if date_to is not None else None
    if start and end and start > end:
        raise _bad("date_from", f"date_from ({start}) must not be after date_to ({end})")
    out: list[tuple[str, str]] = []
    if start is not None:
        out.append(("date[0]", start.isoformat()))
    if end is not None:
        out.append(("date[1]", end.isoformat()))
    return out


def _selects(selects: str | Sequence[str] | None) -> list[tuple[str, str]]:
    """``selects=id,name,price`` — one comma-separated value (spec §4.3)."""
    if selects is None:
        return []
    fields = [s.strip() for s in selects.split(",")] if isinstance(selects, str) else list(selects)
    fields = [f.strip() for f in fields if isinstance(f, str) and f.strip()]
    if not fields:
        raise _bad("selects", "selects must name at least one field")
    return [("selects", ",".join(fields))]


def _flag(name: str, value: bool | None) -> list[tuple[str, str]]:
    return [] if value is None else [(name, "true" if value else "false")]


def _money(value: Any, name: str) -> Any:
    """Amounts stay exact: a Decimal or int as given, a float or numeric string as Decimal."""
    if isinstance(value, bool):
        raise _bad(name, f"{name} must be a number, got {value!r}")
    if isinstance(value, Decimal | int):
        return value
    if isinstance(value, float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if number.is_finite():
            return number
    raise _bad(name, f"{name} must be a number, got {value!r}")


def _as_dict(value: Any, name: str) -> dict[str, Any]:
    """A mapping, or a pydantic model (``model_dump``), as a plain dict."""
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        result = dump(exclude_none=True)
        if isinstance(result, dict):
            return result
    raise _bad(name, f"{name} must be an object (a mapping), got {value!r}")


def _receipt_id(value: Any) -> int:
    """A receipt id that also goes into a v1 body: a positive integer."""
    if _positive(value, "id") is None:
        raise _bad("id", "id is required")
    return int(value)


def _payment_methods(payment_methods: Sequence[Any], name: str = "payment_methods") -> list[Any]:
    """``[{id, name, amount}]``, at least one, each field present (spec §12.5, §12.8)."""
    if isinstance(payment_methods, str | Mapping) or not payment_methods:
        raise _bad(name, f"{name} must be a non-empty list of {{id, name, amount}} objects")
    out: list[Any] = []
    for index, raw in enumerate(payment_methods):
        item = _as_dict(raw, f"{name}[{index}]")
        for key in ("id", "name", "amount"):
            if item.get(key) is None:
                raise _bad(f"{name}[{index}].{key}", f"{name}[{index}].{key} is required")
        item["amount"] = _money(item["amount"], f"{name}[{index}].amount")
        out.append(item)
    return out


def _timestamp(value: datetime | date | str | int, name: str) -> str | int:
    """A datetime as ``YYYY-MM-DD HH:MM:SS`` (spec §12.7); strings and Unix-ms ints as given."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool | date):
        raise _bad(name, f"{name} must be a datetime, a string or Unix milliseconds")
    if isinstance(value, str | int):
        return value
    raise _bad(name, f"{name} must be a datetime, a string or Unix milliseconds")


def _order_status(value: Any, name: str = "order_status") -> str:
    if isinstance(value, Enum):
        value = value.value
    if value not in ORDER_STATUSES:
        raise _bad(name, f"{name} must be one of {', '.join(ORDER_STATUSES)}, got {value!r}")
    return str(value)


def _given(**fields: Any) -> dict[str, Any]:
    """Only the keys whose value is not ``None`` — bodies are never null-padded (§7.5)."""
    return {key: value for key, value in fields.items() if value is not None}


def _v1_only(method: str, version: Version) -> None:
    if version != "v1":
        raise ValueError(f"{method} exists only on v1 (/open-api/); this client uses {version}")


def _v2_only(method: str, version: Version) -> None:
    if version != "v2":
        raise ValueError(f"{method} exists only on v2 (/open-api/v2/); this client uses {version}")


def _get(response: type[R], path: str, *parts: list[tuple[str, str]]) -> RequestSpec[R]:
    return RequestSpec(
        "GET", path, tuple(pair for part in parts for pair in part), response=response
    )


# --------------------------------------------------------------------------- auth


def auth(
    *,
    client_id: str,
    client_secret: str,
    brand: str,
    integrator_id: str | None = None,
    venue_id: int | str | None = None,
    version: Version = "v2",
) -> RequestSpec[AuthResponse]:
    """``POST auth``: v2 ``{client_id, client_secret, brand, integrator_id}`` (spec §3.2),
    v1 ``{client_id, client_secret, brand, venue_id}`` with the venue id as a string (§3.1)."""
    body: dict[str, Any] = {"client_id": client_id, "client_secret": client_secret, "brand": brand}
    for key, value in body.items():
        if not isinstance(value, str) or not value:
            raise _bad(key, f"{key} is required (a non-empty string)")
    if version == "v2":
        if not integrator_id:
            raise _bad("integrator_id", "integrator_id is required on v2")
        body["integrator_id"] = integrator_id
    else:
        if venue_id is None or str(venue_id) == "":
            raise _bad("venue_id", "venue_id is required on v1")
        body["venue_id"] = str(venue_id)
    return RequestSpec("POST", "auth", json=body, auth=False, response=_parsing.AUTH)


# ------------------------------------------------------------ venues, users, customers


def get_venues(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[Venue]]:
    """``GET venues`` (spec §9.1)."""
    return _get(_parsing.VENUES, "venues", _paging(page, limit))


def get_users(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[User]]:
    """``GET users`` (spec §9.2)."""
    return _get(_parsing.USERS, "users", _paging(page, limit))


def get_user_by_id(*, id: int, version: Version = "v2") -> RequestSpec[ItemResponse[User]]:
    """``GET users/{id}`` (spec §9.3)."""
    return _get(_parsing.USER, f"users/{_path_id(id)}")


def get_customers(
    *,
    page: int | None = None,
    limit: int | None = None,
    with_: WithArg | None = None,
    filters: Filters | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Customer]]:
    """``GET customers`` with ``with[N]`` and ``filters[N]`` on name/phones/group_id (§9.4)."""
    return _get(
        _parsing.CUSTOMERS, "customers", _paging(page, limit), _withs(with_), _filters(filters)
    )


def get_customer_by_id(*, id: int, version: Version = "v2") -> RequestSpec[ItemResponse[Customer]]:
    """``GET customers/{id}`` (spec §9.5)."""
    return _get(_parsing.CUSTOMER, f"customers/{_path_id(id)}")


def create_customer(
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    code: str | None = None,
    cid: str | None = None,
    description: str | None = None,
    group_id: int | None = None,
    gender: int | None = None,
    date_of_birth: date | str | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Customer]]:
    """``POST customers`` with only the given fields (spec §9.6)."""
    if not isinstance(name, str) or not name.strip():
        raise _bad("name", "name is required (a non-empty string)")
    if isinstance(gender, Enum):
        gender = gender.value
    if gender is not None and (isinstance(gender, bool) or gender not in (1, 2)):
        raise _bad("gender", f"gender must be 1 (male) or 2 (female), got {gender!r}")
    birth = _day(date_of_birth, "date_of_birth").isoformat() if date_of_birth is not None else None
    body = _given(
        name=name,
        email=email,
        phone=phone,
        code=code,
        cid=cid,
        description=description,
        group_id=_positive(group_id, "group_id"),
        gender=gender,
        date_of_birth=birth,
    )
    _parsing.check_body(CustomerCreate, body, "create_customer")
    return RequestSpec("POST", "customers", json=body, creates=True, response=_parsing.CUSTOMER)


def get_customer_groups(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[CustomerGroup]]:
    """``GET customer-groups`` (spec §9.7)."""
    return _get(_parsing.CUSTOMER_GROUPS, "customer-groups", _paging(page, limit))


# --------------------------------------------------------------------------- catalog


def get_categories(
    *,
    page: int | None = None,
    limit: int | None = None,
    parent_id: int | None = None,
    type: str | None = None,
    include_children: bool | None = None,
    include_inactive: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Category]]:
    """``GET categories`` with the plain query parameters of spec §10.4."""
    extra: list[tuple[str, str]] = []
    if _positive(parent_id, "parent_id") is not None:
        extra.append(("parent_id", str(parent_id)))
    if type is not None:
        extra.append(("type", _scalar(type, "type")))
    flags = _flag("include_children", include_children) + _flag(
        "include_inactive", include_inactive
    )
    return _get(_parsing.CATEGORIES, "categories", _paging(page, limit), extra, flags)


def get_category_by_id(
    *,
    id: int,
    include_children: bool | None = None,
    include_inactive: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Category]]:
    """``GET categories/{id}`` (spec §10.5)."""
    flags = _flag("include_children", include_children) + _flag(
        "include_inactive", include_inactive
    )
    return _get(_parsing.CATEGORY, f"categories/{_path_id(id)}", flags)


def get_stations(
    *,
    page: int | None = None,
    limit: int | None = None,
    status: int | None = None,
    can_print: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Station]]:
    """``GET stations`` with ``status`` (1/0) and ``can_print`` (spec §10.6)."""
    extra: list[tuple[str, str]] = []
    if status is not None:
        if isinstance(status, bool) or status not in (0, 1):
            raise _bad("status", f"status must be 1 (active) or 0 (inactive), got {status!r}")
        extra.append(("status", str(status)))
    return _get(
        _parsing.STATIONS, "stations", _paging(page, limit), extra, _flag("can_print", can_print)
    )


def get_station_by_id(*, id: int, version: Version = "v2") -> RequestSpec[ItemResponse[Station]]:
    """``GET stations/{id}`` (spec §10.7)."""
    return _get(_parsing.STATION, f"stations/{_path_id(id)}")


def get_products(
    *,
    page: int | None = None,
    limit: int | None = None,
    with_: WithArg | None = None,
    selects: str | Sequence[str] | None = None,
    filters: Filters | None = None,
    sort_by: str | None = None,
    sort_order: int | str | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Product]]:
    """``GET products`` as ordinary bracket parameters, not the old JSON key (spec §10.1)."""
    return _get(
        _parsing.PRODUCTS,
        "products",
        _paging(page, limit),
        _withs(with_),
        _selects(selects),
        _filters(filters),
        _sort(sort_by, sort_order),
    )


def get_product_by_id(
    *, id: int | str, with_: WithArg | None = None, version: Version = "v2"
) -> RequestSpec[ItemResponse[Product]]:
    """``GET products/{id}`` (id or UUID) with ``with[N]`` relations (spec §10.2)."""
    return _get(_parsing.PRODUCT, f"products/{_path_id(id)}", _withs(with_))


def get_stop_list(
    *, filters: Filters | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[StopListEntry]]:
    """``GET products/stop-list``; ``id`` takes a list, ``limit``/``timestamp`` a
    ``[from]`` or ``[from, to]`` range, always sent as ``filters[N][1][M]`` (spec §10.3)."""
    if filters is None:
        return _get(_parsing.STOP_LIST, "products/stop-list")
    pairs: list[tuple[str, Any]] = []
    for field, value in _filter_pairs(filters, "filters"):
        if field not in ("id", "limit", "timestamp"):
            raise _bad(
                "filters", f"filters: stop-list filters are id, limit, timestamp; got {field!r}"
            )
        values = list(value) if isinstance(value, list | tuple) else [value]
        if field != "id" and not 1 <= len(values) <= 2:
            raise _bad("filters", f"filters ({field}): give [from] or [from, to]")
        pairs.append((field, values))
    return _get(_parsing.STOP_LIST, "products/stop-list", _filters(pairs))


def get_sale_types(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[SaleType]]:
    """``GET sale-types`` (spec §10.10)."""
    return _get(_parsing.SALE_TYPES, "sale-types", _paging(page, limit))


def get_payment_methods(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[PaymentMethod]]:
    """``GET payment-methods`` (spec §10.11)."""
    return _get(_parsing.PAYMENT_METHODS, "payment-methods", _paging(page, limit))


def get_price_lists(
    *,
    page: int | None = None,
    limit: int | None = None,
    with_: WithArg | None = None,
    sort_by: str | None = None,
    sort_order: int | str | None = None,
    selects: str | Sequence[str] | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[PriceList]]:
    """``GET price-lists``; sort is ``sort[0][0]=field&sort[0][1]=asc|desc`` here (§10.8)."""
    sort: list[tuple[str, str]] = []
    if sort_by is not None:
        if not sort_by.strip():
            raise _bad("sort_by", "sort_by must not be empty")
        word = "asc" if _direction(sort_order if sort_order is not None else "asc") == 1 else "desc"
        sort = [("sort[0][0]", sort_by.strip()), ("sort[0][1]", word)]
    elif sort_order is not None:
        raise _bad("sort_order", "sort_order needs sort_by")
    return _get(
        _parsing.PRICE_LISTS,
        "price-lists",
        _paging(page, limit),
        _withs(with_),
        sort,
        _selects(selects),
    )


def get_price_list_prices(
    *,
    page: int | None = None,
    limit: int | None = None,
    with_: WithArg | None = None,
    filters: Filters | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Price]]:
    """``GET price-lists/prices``, filters on id/product_id/list_id (spec §10.9)."""
    return _get(
        _parsing.PRICES,
        "price-lists/prices",
        _paging(page, limit),
        _withs(with_),
        _filters(filters),
    )


# --------------------------------------------------------------------------- orders


def get_orders(
    *,
    page: int | None = None,
    limit: int | None = None,
    status: str | None = None,
    with_: WithArg | None = None,
    filters: Filters | None = None,
    sort_by: str | None = None,
    sort_order: int | str | None = None,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Order]]:
    """``GET orders`` with status, ``with[N]``, ``filters[N]``, sort and dates (spec §11.2)."""
    extra: list[tuple[str, str]] = []
    if status is not None:
        value = status.value if isinstance(status, Enum) else status
        if value not in ORDER_LIST_STATUSES:
            raise _bad(
                "status", f"status must be one of {', '.join(ORDER_LIST_STATUSES)}, got {status!r}"
            )
        extra.append(("status", str(value)))
    return _get(
        _parsing.ORDERS,
        "orders",
        _paging(page, limit),
        extra,
        _withs(with_),
        _filters(filters),
        _sort(sort_by, sort_order),
        _dates(date_from, date_to),
    )


def get_order_by_id(
    *,
    id: int,
    with_receipt: bool = False,
    with_: WithArg | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Order]]:
    """``GET orders/{id}``; ``with_receipt`` sends ``with[0]=receipt:id,service_notification_id,
    status`` so ``data.receipt`` is returned (spec §11.3). The old client's ``with_`` tokens
    (``receipt:id``, ``service_notification_id``, ``status``) mean the same one value."""
    if with_ is not None:
        values = [with_] if isinstance(with_, str) else list(with_)
        if values and all(v in _LEGACY_ORDER_WITH or v == ORDER_RECEIPT_WITH for v in values):
            with_receipt = True
        else:
            raise _bad("with_", f"with_ must be {ORDER_RECEIPT_WITH!r}; use with_receipt=True")
    return _get(
        _parsing.ORDER, f"orders/{_path_id(id)}", _withs(ORDER_RECEIPT_WITH) if with_receipt else []
    )


def create_order(
    *,
    # v2 flat form (spec §11.4)
    sale_type_id: int | None = None,
    venue_id: int | None = None,
    customer: Mapping[str, Any] | None = None,
    products: Sequence[Mapping[str, Any]] | None = None,
    auto_accept_terminal: int | None = None,
    auto_order_accept: bool | None = None,
    auto_order_sent_to_station: bool | None = None,
    delivery_fee: Decimal | int | float | str | None = None,
    comment: str | None = None,
    discount: Mapping[str, Any] | None = None,
    service_charge: Mapping[str, Any] | None = None,
    order_number: str | None = None,
    # v1 nested form (spec §11.4 "v1 body")
    customer_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Order]]:
    """``POST orders``: the v2 flat body or the v1 nested ``{customer_id, payload, meta}``,
    sent exactly as given — nothing is null-padded (spec §11.4; existing client §7.5).

    The form is chosen by what is passed, not by ``version``: the server takes both.
    ``extra`` adds further top-level keys (the old client forwarded unknown kwargs).
    """
    flat = _given(
        sale_type_id=sale_type_id,
        venue_id=venue_id,
        customer=customer,
        products=products,
        auto_accept_terminal=auto_accept_terminal,
        auto_order_accept=auto_order_accept,
        auto_order_sent_to_station=auto_order_sent_to_station,
        delivery_fee=_money(delivery_fee, "delivery_fee") if delivery_fee is not None else None,
        comment=comment,
        discount=discount,
        service_charge=service_charge,
        order_number=order_number,
    )
    if payload is not None:
        if flat:
            raise _bad(
                "payload",
                f"payload (v1 form) cannot be mixed with v2 fields: {', '.join(sorted(flat))}",
            )
        if _positive(customer_id, "customer_id") is None:
            raise _bad("customer_id", "customer_id is required with payload (v1 form)")
        body: dict[str, Any] = {"customer_id": customer_id, "payload": _as_dict(payload, "payload")}
        if meta is not None:
            body["meta"] = _as_dict(meta, "meta")
    else:
        if customer_id is not None or meta is not None:
            raise _bad(
                "customer_id", "customer_id and meta belong to the v1 form: pass payload too"
            )
        for key in ("sale_type_id", "venue_id", "customer", "products"):
            if key not in flat:
                raise _bad(key, f"{key} is required (v2 form; or pass customer_id + payload)")
        _positive(sale_type_id, "sale_type_id")
        _positive(venue_id, "venue_id")
        if isinstance(products, str | Mapping) or not products:
            raise _bad("products", "products must be a non-empty list")
        if order_number is not None and len(order_number) > 20:
            raise _bad("order_number", "order_number must be at most 20 characters")
        body = dict(flat)
        body["customer"] = _as_dict(customer, "customer")
        body["products"] = [_as_dict(p, f"products[{i}]") for i, p in enumerate(products)]
    if extra:
        body.update(extra)
    if payload is not None:
        _parsing.check_body(NestedOrder, body, "create_order")
    else:
        _parsing.check_body(FlatOrder, body, "create_order")
    return RequestSpec("POST", "orders", json=body, creates=True, response=_parsing.ORDER)


def update_order(
    *, id: int, status: str = "IGNORE", version: Version = "v2"
) -> RequestSpec[ItemResponse[Order]]:
    """``PUT orders/{id}`` with only ``{"status": "IGNORE"}`` — the one allowed value (§11.5)."""
    value = status.value if isinstance(status, Enum) else status
    if value != "IGNORE":
        raise _bad(
            "status",
            f"status must be 'IGNORE' (the only status an integration sets), got {status!r}",
        )
    return RequestSpec(
        "PUT", f"orders/{_path_id(id)}", json={"status": "IGNORE"}, response=_parsing.ORDER
    )


# --------------------------------------------------------------------------- receipts


def get_receipts(
    *,
    page: int | None = None,
    limit: int | None = None,
    sort_by: str | None = None,
    sort_order: int | str | None = None,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    filters: Filters | None = None,
    with_: WithArg | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[Receipt]]:
    """``GET receipts``: ``sort[0]/sort[1]``, ``date[0]/date[1]``, ``with[N]``, ``filters[N]``
    (spec §12.2) — the old client's argument names, the documented keys."""
    return _get(
        _parsing.RECEIPTS,
        "receipts",
        _paging(page, limit),
        _sort(sort_by, sort_order),
        _dates(date_from, date_to),
        _withs(with_),
        _filters(filters),
    )


def get_receipt_by_id(
    *, id: int, with_: WithArg | None = None, version: Version = "v2"
) -> RequestSpec[ItemResponse[Receipt]]:
    """``GET receipts/{id}`` with optional ``with[N]`` relations (spec §12.3)."""
    return _get(_parsing.RECEIPT, f"receipts/{_path_id(id)}", _withs(with_))


def create_receipt(
    *,
    cid: str,
    payment_methods: Sequence[Any],
    user_id: int | None = None,
    by_cash: Any = None,
    by_card: Any = None,
    customer_discount_type: int | None = None,
    discount_rate: Any = None,
    discount_type: int | None = None,
    discount_value: Any = None,
    delivery_fee: Any = None,
    gift_total: Any = None,
    guests: int | None = None,
    original_subtotal: Any = None,
    printed: bool | None = None,
    receipt_products: Sequence[Mapping[str, Any]] | None = None,
    remaining: Any = None,
    rps_discount: Any = None,
    sale_type_id: int | None = None,
    service_charge: Any = None,
    service_charge_value: Any = None,
    status: int | None = None,
    subtotal: Any = None,
    terminal_id: int | None = None,
    total: Any = None,
    total_tax: Any = None,
    created_at: datetime | str | int | None = None,
    closed_at: datetime | str | int | None = None,
    address: str | None = None,
    courier_id: int | None = None,
    meta: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
    version: Version = "v1",
) -> RequestSpec[ItemResponse[Receipt]]:
    """``POST receipts`` (v1 only) — a closed receipt; money kept exact (spec §12.5)."""
    _v1_only("create_receipt", version)
    if not isinstance(cid, str) or not cid.strip():
        raise _bad("cid", "cid is required (a non-empty string)")
    money = {
        key: _money(value, key)
        for key, value in {
            "by_cash": by_cash,
            "by_card": by_card,
            "discount_rate": discount_rate,
            "discount_value": discount_value,
            "delivery_fee": delivery_fee,
            "gift_total": gift_total,
            "original_subtotal": original_subtotal,
            "remaining": remaining,
            "rps_discount": rps_discount,
            "service_charge": service_charge,
            "service_charge_value": service_charge_value,
            "subtotal": subtotal,
            "total": total,
            "total_tax": total_tax,
        }.items()
        if value is not None
    }
    body = _given(
        cid=cid,
        payment_methods=_payment_methods(payment_methods),
        user_id=user_id,
        customer_discount_type=customer_discount_type,
        discount_type=discount_type,
        guests=guests,
        printed=printed,
        receipt_products=(
            [_as_dict(p, f"receipt_products[{i}]") for i, p in enumerate(receipt_products)]
            if receipt_products is not None
            else None
        ),
        sale_type_id=sale_type_id,
        status=status,
        terminal_id=terminal_id,
        created_at=_timestamp(created_at, "created_at") if created_at is not None else None,
        closed_at=_timestamp(closed_at, "closed_at") if closed_at is not None else None,
        address=address,
        courier_id=courier_id,
        meta=_as_dict(meta, "meta") if meta is not None else None,
    )
    body.update(money)
    if extra:
        body.update(extra)
    _parsing.check_body(ReceiptCreate, body, "create_receipt", ReceiptCreate.problems)
    return RequestSpec("POST", "receipts", json=body, creates=True, response=_parsing.RECEIPT)


def update_receipt(
    *,
    id: int,
    cid: str,
    delivery_fee: Any = None,
    description: str | None = None,
    order_number: str | None = None,
    order_status: str | None = None,
    guests: int | None = None,
    discount_rate: Any = None,
    discount_type: int | None = None,
    discount_value: Any = None,
    customer_id: int | None = None,
    closed_at: datetime | str | None = None,
    payment_methods: Sequence[Any] | None = None,
    meta_customer: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
    version: Version = "v1",
) -> RequestSpec[ItemResponse[Receipt]]:
    """``PUT receipts/{id}`` (v1 only), body ``{id, cid, …given fields}`` (spec §12.7).

    ``meta_customer`` (the old client's name) is sent as ``meta.customer`` — where the docs
    put it — not nested as ``meta_customer.meta.customer`` (existing client §7.5).
    """
    _v1_only("update_receipt", version)
    if not isinstance(cid, str) or not cid.strip():
        raise _bad("cid", "cid is required (a non-empty string)")
    if description is not None and len(description) > 500:
        raise _bad("description", "description must be at most 500 characters")
    if discount_type is not None and discount_type not in (0, 1, 2):
        raise _bad(
            "discount_type",
            f"discount_type must be 0, 1 (percent) or 2 (amount), got {discount_type!r}",
        )
    if discount_type == 2 and discount_value is None:
        raise _bad("discount_value", "discount_value is required when discount_type is 2")
    meta_body = _as_dict(meta, "meta") if meta is not None else {}
    if meta_customer is not None:
        meta_body["customer"] = _as_dict(meta_customer, "meta_customer")
    if customer_id is not None and "customer" not in meta_body:
        raise _bad(
            "meta_customer", "meta_customer is required when customer_id is given (spec §12.7)"
        )
    body: dict[str, Any] = {"id": _receipt_id(id), "cid": cid}
    body.update(
        _given(
            delivery_fee=_money(delivery_fee, "delivery_fee") if delivery_fee is not None else None,
            description=description,
            order_number=order_number,
            order_status=_order_status(order_status) if order_status is not None else None,
            guests=guests,
            discount_rate=_money(discount_rate, "discount_rate")
            if discount_rate is not None
            else None,
            discount_type=discount_type,
            discount_value=(
                _money(discount_value, "discount_value") if discount_value is not None else None
            ),
            customer_id=_positive(customer_id, "customer_id"),
            payment_methods=(
                _payment_methods(payment_methods) if payment_methods is not None else None
            ),
            closed_at=_timestamp(closed_at, "closed_at") if closed_at is not None else None,
            meta=meta_body or None,
        )
    )
    _parsing.check_body(ReceiptUpdate, body, "update_receipt", ReceiptUpdate.problems)
    return RequestSpec("PUT", f"receipts/{body['id']}", json=body, response=_parsing.RECEIPT)


def update_closed_receipt(
    *,
    id: int,
    order_status: str | None = None,
    order_number: str | None = None,
    fiscal_id: str | None = None,
    lock: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Receipt]]:
    """``PATCH receipts/{id}`` with any of the four fields — never ``id`` (spec §12.6)."""
    if lock is not None and not isinstance(lock, bool):
        raise _bad("lock", f"lock must be true or false, got {lock!r}")
    body = _given(
        order_status=_order_status(order_status) if order_status is not None else None,
        order_number=order_number,
        fiscal_id=fiscal_id,
        lock=lock,
    )
    if not body:
        raise _bad("body", "give at least one of order_status, order_number, fiscal_id, lock")
    _parsing.check_body(PatchBody, body, "update_closed_receipt")
    return RequestSpec("PATCH", f"receipts/{_path_id(id)}", json=body, response=_parsing.RECEIPT)


def close_receipt(
    *,
    id: int,
    payment_methods: Sequence[Any],
    closed_at: datetime | str | None = None,
    cid: str | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[ClosedReceipt]]:
    """Close an open receipt: v2 ``POST receipts/{id}/close`` with ``payment_methods``
    (+ ``closed_at``) only (spec §12.8); v1 ``PUT receipts/{id}`` with ``id, cid,
    payment_methods, closed_at``, all required there (spec §12.7)."""
    receipt_id = _receipt_id(id)
    methods = _payment_methods(payment_methods)
    when = _timestamp(closed_at, "closed_at") if closed_at is not None else None
    if version == "v2":
        body = _given(payment_methods=methods, closed_at=when)
        _parsing.check_body(CloseBody, body, "close_receipt")
        return RequestSpec(
            "POST", f"receipts/{receipt_id}/close", json=body, response=_parsing.CLOSED_RECEIPT
        )
    if not isinstance(cid, str) or not cid.strip():
        raise _bad("cid", "cid is required to close a receipt on v1")
    if when is None or when == "":
        raise _bad("closed_at", "closed_at is required to close a receipt on v1")
    body = {"id": receipt_id, "cid": cid, "payment_methods": methods, "closed_at": when}
    _parsing.check_body(ReceiptUpdate, body, "close_receipt", ReceiptUpdate.problems)
    # v1 closes with PUT, which answers the full receipt; ClosedReceipt keeps every key.
    return RequestSpec("PUT", f"receipts/{receipt_id}", json=body, response=_parsing.CLOSED_RECEIPT)


def delete_receipt(*, id: int, version: Version = "v1") -> RequestSpec[MessageResponse]:
    """``DELETE receipts/{id}`` (v1 only), no body (spec §12.9)."""
    _v1_only("delete_receipt", version)
    return RequestSpec("DELETE", f"receipts/{_path_id(id)}", response=_parsing.MESSAGE)


def get_receipt_stock_operations(
    *, id: int, version: Version = "v2"
) -> RequestSpec[ListResponse[StockOperation]]:
    """``GET receipts/{id}/stock-operations`` (v2 only, spec §12.10)."""
    _v2_only("get_receipt_stock_operations", version)
    return _get(_parsing.STOCK_OPERATIONS, f"receipts/{_path_id(id)}/stock-operations")


# ------------------------------------------------------- events and webhooks (extensions)
# ``GET events`` and ``/webhooks`` are clopos server extensions (docs/events.md): the Clopos
# cloud has neither (spec §7, webhooks "on the roadmap") and answers 404 there.

#: ``after=latest``: start at the newest event, so only events from now on are returned.
LATEST = "latest"
EventCursor = int | Literal["latest"]
EventTypes = str | Sequence[str]

EVENT_PAGE = EventPage
WEBHOOKS = ListResponse[Webhook]
WEBHOOK = ItemResponse[Webhook]
WEBHOOK_DELETED = ItemResponse[WebhookDeleted]
WEBHOOK_DELIVERIES = ListResponse[WebhookDelivery]
WEBHOOK_DELIVERY = ItemResponse[WebhookDeliveryDetail]


def _type_list(types: EventTypes, name: str = "types") -> list[str]:
    """Event type selectors from ``"a,b"`` or ``["a", "b"]``, each stripped and non-empty."""
    values = [types] if isinstance(types, str) else list(types)
    out: list[str] = []
    for value in values:
        if isinstance(value, Enum):
            value = value.value
        if not isinstance(value, str):
            raise _bad(name, f"{name} must be event types such as 'order.created', got {value!r}")
        out.extend(part.strip() for part in value.split(","))
    if not out or not all(out):
        raise _bad(
            name,
            f"{name} must name event types such as 'order.created', 'order.*' or '*', "
            f"with no empty entry; got {types!r}",
        )
    return out


def _event_cursor(after: EventCursor) -> str:
    """``after``: an event id (``0`` = from the first event) or ``"latest"``."""
    if isinstance(after, str) and after.strip().lower() == LATEST:
        return LATEST
    if isinstance(after, bool) or not isinstance(after, int) or after < 0:
        raise _bad(
            "after", f"after must be an event id (an integer >= 0) or 'latest', got {after!r}"
        )
    return str(after)


def _wait(wait: int | None) -> list[tuple[str, str]]:
    """``wait``: whole seconds (the server allows 0–30) to hold an empty answer."""
    if wait is None:
        return []
    if isinstance(wait, bool) or not isinstance(wait, int) or wait < 0:
        raise _bad("wait", f"wait must be whole seconds (an integer >= 0), got {wait!r}")
    return [("wait", str(wait))]


def get_events(
    *,
    after: EventCursor | None = None,
    types: EventTypes | None = None,
    limit: int | None = None,
    wait: int | None = None,
    page: int | None = None,
    version: Version = "v2",
) -> RequestSpec[EventPage]:
    """``GET events``: the brand's events after the cursor ``after``, oldest first.

    ``types`` as ``"order.*,receipt.closed"`` or a list (sent as one comma-separated
    ``types``); ``wait`` holds an empty answer up to that many seconds (a long poll), and
    the read timeout of this request grows by as much (``RequestSpec.hold_seconds``).
    """
    params: list[tuple[str, str]] = []
    if after is not None:
        params.append(("after", _event_cursor(after)))
    if types is not None:
        params.append(("types", ",".join(_type_list(types))))
    params += _paging(page, limit)
    params += _wait(wait)
    return RequestSpec("GET", "events", tuple(params), response=EVENT_PAGE, hold_seconds=wait or 0)


def get_webhooks(
    *, page: int | None = None, limit: int | None = None, version: Version = "v2"
) -> RequestSpec[ListResponse[Webhook]]:
    """``GET webhooks``: the brand's endpoints, oldest first (never their secrets)."""
    return _get(WEBHOOKS, "webhooks", _paging(page, limit))


def get_webhook_by_id(*, id: int, version: Version = "v2") -> RequestSpec[ItemResponse[Webhook]]:
    """``GET webhooks/{id}``."""
    return _get(WEBHOOK, f"webhooks/{_path_id(id)}")


def create_webhook(
    *,
    url: str,
    types: EventTypes | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Webhook]]:
    """``POST webhooks`` with only the given fields; the answer carries the ``secret``.

    Not a creating POST in the ``Idempotency-Key`` sense (the server honours keys on
    orders, receipts and customers only), so it is never retried: a retry could add the
    endpoint twice.
    """
    if not isinstance(url, str):
        raise _bad("url", f"url must be a string, got {url!r}")
    body = _given(
        url=url,
        types=_type_list(types) if types is not None else None,
        description=description,
        enabled=enabled,
    )
    _parsing.check_body(WebhookCreate, body, "create_webhook")
    return RequestSpec("POST", "webhooks", json=body, response=WEBHOOK)


def update_webhook(
    *,
    id: int,
    url: str | None = None,
    types: EventTypes | None = None,
    description: str | None = None,
    enabled: bool | None = None,
    version: Version = "v2",
) -> RequestSpec[ItemResponse[Webhook]]:
    """``PATCH webhooks/{id}`` with only the given fields (at least one); ``description=""``
    clears the description."""
    body = _given(
        url=url,
        types=_type_list(types) if types is not None else None,
        description=description,
        enabled=enabled,
    )
    if not body:
        raise _bad("body", "give at least one of url, types, description, enabled")
    _parsing.check_body(WebhookUpdate, body, "update_webhook")
    return RequestSpec("PATCH", f"webhooks/{_path_id(id)}", json=body, response=WEBHOOK)


def delete_webhook(
    *, id: int, version: Version = "v2"
) -> RequestSpec[ItemResponse[WebhookDeleted]]:
    """``DELETE webhooks/{id}``: the endpoint, its queue and its delivery log."""
    return RequestSpec("DELETE", f"webhooks/{_path_id(id)}", response=WEBHOOK_DELETED)


def rotate_webhook_secret(
    *, id: int, version: Version = "v2"
) -> RequestSpec[ItemResponse[Webhook]]:
    """``POST webhooks/{id}/rotate-secret``: a new ``secret`` (the old one stops at once)."""
    return RequestSpec("POST", f"webhooks/{_path_id(id)}/rotate-secret", response=WEBHOOK)


def get_webhook_deliveries(
    *,
    webhook_id: int,
    status: str | None = None,
    page: int | None = None,
    limit: int | None = None,
    version: Version = "v2",
) -> RequestSpec[ListResponse[WebhookDelivery]]:
    """``GET webhooks/{id}/deliveries``: the delivery log, newest event first; ``status``
    is ``pending``, ``delivered`` or ``failed``."""
    extra: list[tuple[str, str]] = []
    if status is not None:
        value = status.value if isinstance(status, Enum) else status
        if value not in DELIVERY_STATUSES:
            raise _bad(
                "status",
                f"status must be one of {', '.join(DELIVERY_STATUSES)}, got {status!r}",
            )
        extra.append(("status", str(value)))
    path = f"webhooks/{_path_id(webhook_id, 'webhook_id')}/deliveries"
    return _get(WEBHOOK_DELIVERIES, path, extra, _paging(page, limit))


def get_webhook_delivery_by_id(
    *, webhook_id: int, delivery_id: int, version: Version = "v2"
) -> RequestSpec[ItemResponse[WebhookDeliveryDetail]]:
    """``GET webhooks/{id}/deliveries/{delivery_id}``: with ``attempt_log`` and ``event``."""
    return _get(WEBHOOK_DELIVERY, _delivery_path(webhook_id, delivery_id))


def redeliver_webhook_delivery(
    *, webhook_id: int, delivery_id: int, version: Version = "v2"
) -> RequestSpec[ItemResponse[WebhookDeliveryDetail]]:
    """``POST webhooks/{id}/deliveries/{delivery_id}/redeliver``: send it again, due now.

    Not retried by the client (each call queues the event once more); 409 while a worker
    is sending it.
    """
    path = f"{_delivery_path(webhook_id, delivery_id)}/redeliver"
    return RequestSpec("POST", path, response=WEBHOOK_DELIVERY)


def _delivery_path(webhook_id: int, delivery_id: int) -> str:
    webhook = _path_id(webhook_id, "webhook_id")
    return f"webhooks/{webhook}/deliveries/{_path_id(delivery_id, 'delivery_id')}"
