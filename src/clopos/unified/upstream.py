"""Every Clopos call the unified routes make, through the pooled SDK client.

The SDK (``clopos.client.AsyncCloposClient``) brings the token cache, retries and typed
errors; this module adds three things the unified API needs on top:

* **Plain data**: ``plain`` turns whatever an SDK method returns — an envelope ``dict`` or a
  typed pydantic model from ``clopos.models`` (extra fields kept) — into plain dicts and
  lists, so the pure mapping never depends on which one it got. ``data_of`` unwraps the
  Open API envelope.
* **Errors in Apideck's terms** (unified-pos.md §4): a Clopos 4xx keeps its status with
  ``type_name: ConnectorExecutionError`` and Clopos' code and message in
  ``downstream_errors``; a Clopos 5xx or no answer at all is a 502; an argument the SDK
  refuses before sending (a value from the client's body) is a 400. Never a 5xx for a
  client mistake: Apideck's SDKs retry 5xx for up to 15 minutes.
* **Venues and paging**: receipts (and, on v1, orders) are venue-scoped in Clopos, so
  lookups name the venue with ``x-venue``; ``merge_page`` walks several newest-first
  Clopos lists at once (orders and receipt-only sales of each venue, spec §6.2) and
  returns one page plus the positions the next page starts from.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final
from weakref import WeakKeyDictionary

from clopos.client import (
    APIConnectionError,
    APIStatusError,
    AsyncCloposClient,
    CloposError,
)
from clopos.unified.errors import UnifiedError

__all__ = [
    "CATALOG_RELATIONS",
    "CATALOG_TTL_SECONDS",
    "ORDER_PAGE_MAX",
    "PRODUCT_PAGE_MAX",
    "RECEIPT_PAGE_MAX",
    "RECEIPT_RELATIONS",
    "Stream",
    "Upstream",
    "data_of",
    "error_from_sdk",
    "instant",
    "merge_page",
    "plain",
]

# Page-size maxima of the Clopos lists (clopos-open-api.md §10.1, §11.2, §12.2).
ORDER_PAGE_MAX: Final = 100
RECEIPT_PAGE_MAX: Final = 200
PRODUCT_PAGE_MAX: Final = 100
CATALOG_PAGE_SIZE: Final = 100
# Receipt lines and their modifiers: what the order mapping reads (spec §9.2).
RECEIPT_RELATIONS: Final = ("receipt_products", "receipt_products.modificators")
ORDER_RECEIPT_WITH: Final = "receipt:id,service_notification_id,status"
# Product relations the mapping reads: variants, category names, modifier groups.
CATALOG_RELATIONS: Final = ("category", "modifications", "modificator_groups")
# Venues, sale types, payment methods and the product catalog are read on almost every
# unified call; each connection's client keeps them this long (a cache safe to lose:
# DESIGN.md principle 5), which spares Clopos' per-brand rate limit (spec §8).
CATALOG_TTL_SECONDS: Final = 30.0
_CATALOG_CACHE: WeakKeyDictionary[AsyncCloposClient, dict[str, tuple[float, list[Any]]]] = (
    WeakKeyDictionary()
)
# Walking a whole Clopos list (venues, sale types, the catalog) stops here: a list this long
# is not a catalog but a loop.
MAX_WALK_PAGES: Final = 1000


# --- plain data ---------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Dicts and lists of JSON-like values from an SDK result (dict or pydantic model).

    Models are dumped with their wire names (``by_alias``), only the fields the answer had
    (``exclude_unset``, so a missing key stays missing) and Python values (``Decimal``
    money stays exact). The dump is already plain all the way down (pydantic dumps nested
    models, and extra fields hold decoded JSON), so it is not walked again: this runs on
    every Clopos answer.
    """
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(by_alias=True, exclude_unset=True, mode="python")
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


# Members of an Open API success envelope besides ``data`` (spec §4.1).
_ENVELOPE_KEYS: Final = frozenset(
    {"success", "message", "time", "timestamp", "unix", "total", "sorts", "pagination"}
)


def data_of(result: Any) -> Any:
    """The ``data`` of an Open API envelope (``{success, data, …}``), else ``result`` as is."""
    return _unwrap(plain(result))


def _unwrap(body: Any) -> Any:
    if isinstance(body, dict) and "data" in body and body.keys() - {"data"} <= _ENVELOPE_KEYS:
        return body["data"]
    return body


# --- errors -------------------------------------------------------------------------------


def _downstream(error: APIStatusError) -> list[dict[str, Any]]:
    body = error.body if isinstance(error.body, dict) else {}
    details = body.get("details")
    if details is None and isinstance(body.get("error"), list):
        details = body["error"]
    # Apideck types ``downstream_errors[].detail`` as a string (apideck-unify models).
    detail = None if details is None else json.dumps(plain(details), default=str)
    return [
        {
            "message": error.message,
            "detail": detail,
            "code": error.code if error.code is not None else str(error.status_code),
        }
    ]


def error_from_sdk(error: CloposError) -> UnifiedError:
    """The unified error for a failed Clopos call (spec §4, last paragraph)."""
    if isinstance(error, APIStatusError):
        status = error.status_code
        downstream = _downstream(error)
        text = f"Clopos answered {status}: {error.message}"
        if status >= 500 or status < 400:
            return UnifiedError(
                502,
                "ConnectorExecutionError",
                f"Clopos failed ({status}): {error.message}",
                "The Clopos server could not process the request; try again later",
                downstream_errors=downstream,
            )
        if status == 401:
            # Clopos refused the connection's own credentials: nothing the caller sent.
            return UnifiedError(
                401,
                "ConnectorCredentialsError",
                "Clopos refused the connection's credentials; update the connection",
                text,
                downstream_errors=downstream,
            )
        if status == 429:
            return UnifiedError(
                429,
                "ConnectorRateLimitError",
                "Clopos rate limit reached; retry later",
                {"context": "clopos", "error": error.message},
                downstream_errors=downstream,
            )
        return UnifiedError(
            status, "ConnectorExecutionError", text, error.message, downstream_errors=downstream
        )
    if isinstance(error, APIConnectionError):
        return UnifiedError(
            502,
            "ConnectorExecutionError",
            "Clopos could not be reached",
            str(error),
            downstream_errors=[{"message": str(error), "detail": None, "code": "unreachable"}],
        )
    return UnifiedError(
        502,
        "ConnectorExecutionError",
        "Clopos gave an answer the connector could not use",
        str(error),
        downstream_errors=[{"message": str(error), "detail": None, "code": "invalid_answer"}],
    )


# --- timestamps for merging ---------------------------------------------------------------


def instant(value: Any) -> float:
    """Seconds since the epoch of a Clopos timestamp, for newest-first merging.

    Orders say ``2026-02-02T13:45:53.000000Z``; receipts ``2026-02-02 13:45:53`` without a
    zone (read as UTC, as the mapping does) or Unix milliseconds. Unreadable → 0 (oldest).
    """
    if isinstance(value, bool) or value is None:
        return 0.0
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number / 1000.0 if number > 1e11 else number
    if not isinstance(value, str) or not value.strip():
        return 0.0
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return 0.0
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


# --- merging newest-first lists -----------------------------------------------------------

Fetch = Callable[[int, int], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Stream:
    """One newest-first Clopos list, read page by page.

    ``fetch(page, size)`` returns that page's records; ``expand(record)`` the entries it
    contributes (none: filtered out, e.g. a receipt that belongs to an order; several: a
    receipt's payments); ``when(record)`` its time, used to interleave streams.
    """

    key: str
    fetch: Fetch
    expand: Callable[[dict[str, Any]], Sequence[Any]]
    when: Callable[[dict[str, Any]], float]
    page_size: int


class _Reader:
    """A position in one stream: record offset plus entry offset inside that record."""

    def __init__(self, stream: Stream, record: int, entry: int) -> None:
        self.stream = stream
        self.record = record
        self.entry = entry
        self._pages: dict[int, list[dict[str, Any]]] = {}
        self._expanded: dict[int, Sequence[Any]] = {}
        self._end: int | None = None  # record count, once a short page showed it

    async def _record(self, index: int) -> dict[str, Any] | None:
        if self._end is not None and index >= self._end:
            return None
        size = self.stream.page_size
        page = index // size
        if page not in self._pages:
            rows = await self.stream.fetch(page + 1, size)
            self._pages[page] = rows
            if len(rows) < size:
                self._end = page * size + len(rows)
        rows = self._pages[page]
        position = index - page * size
        return rows[position] if position < len(rows) else None

    async def head(self) -> tuple[dict[str, Any], Any] | None:
        """The next ``(record, entry)``, skipping records that contribute nothing."""
        while True:
            record = await self._record(self.record)
            if record is None:
                return None
            if self.record not in self._expanded:
                self._expanded = {self.record: self.stream.expand(record)}
            entries = self._expanded[self.record]
            if self.entry < len(entries):
                return record, entries[self.entry]
            self.record += 1
            self.entry = 0

    def advance(self) -> None:
        """Step past the current head (called right after ``head`` returned one)."""
        self.entry += 1
        if self.entry >= len(self._expanded.get(self.record, ())):
            self.record += 1
            self.entry = 0

    def position(self) -> dict[str, int]:
        key = self.stream.key
        return {key: self.record, f"{key}#": self.entry} if self.entry else {key: self.record}


async def merge_page(
    streams: Sequence[Stream], offsets: Mapping[str, int], limit: int
) -> tuple[list[Any], dict[str, int], bool]:
    """One page of ``limit`` entries, newest first across ``streams``.

    Starts at ``offsets`` (from the cursor; absent streams start at 0) and returns the
    entries, the offsets after them and whether anything is left. Ties on time go to the
    stream listed first, so the order is stable from page to page.
    """
    readers = [_Reader(s, offsets.get(s.key, 0), offsets.get(f"{s.key}#", 0)) for s in streams]
    taken: list[Any] = []
    while len(taken) < limit:
        heads = await asyncio.gather(*(reader.head() for reader in readers))
        best: int | None = None
        best_when = 0.0
        for index, head in enumerate(heads):
            if head is None:
                continue
            when = readers[index].stream.when(head[0])
            if best is None or when > best_when:
                best, best_when = index, when
        if best is None:
            break
        head = heads[best]
        assert head is not None
        taken.append(head[1])
        readers[best].advance()
    after: dict[str, int] = {}
    for reader in readers:
        after.update(reader.position())
    more = any(h is not None for h in await asyncio.gather(*(r.head() for r in readers)))
    return taken, after, more


# --- the calls ----------------------------------------------------------------------------


def _page_size(limit: int, maximum: int) -> int:
    # One more than a page, so a single fetch usually also tells whether a next page exists.
    return max(1, min(maximum, limit + 1))


class Upstream:
    """The Clopos side of one unified request, over the connection's pooled client.

    Every method returns plain dicts (see ``plain``) and raises ``UnifiedError``. With
    ``keep_raw`` the downstream answers are kept in ``raw`` (keyed by SDK method; a list
    when a method ran several times) for the envelope's ``_raw`` (spec §1.3).
    """

    def __init__(
        self,
        client: AsyncCloposClient,
        *,
        keep_raw: bool = False,
        catalog_ttl: float = CATALOG_TTL_SECONDS,
    ) -> None:
        self.client = client
        self.keep_raw = keep_raw
        self.catalog_ttl = catalog_ttl
        self.raw: dict[str, Any] = {}

    @property
    def api_version(self) -> str:
        """``v1`` or ``v2``: which Open API surface the connection talks to."""
        return self.client.version

    async def _call(
        self, label: str, call: Callable[[], Awaitable[Any]], *, missing_ok: bool = False
    ) -> Any:
        """Run one SDK call; its data as plain values, ``None`` for a 404 when
        ``missing_ok``; any failure as a ``UnifiedError``."""
        try:
            result = await call()
        except ValueError as exc:
            # The SDK checks arguments before sending; they come from the client's body.
            raise UnifiedError(400, "RequestValidationError", str(exc)) from None
        except APIStatusError as exc:
            if missing_ok and exc.status_code == 404:
                return None
            raise error_from_sdk(exc) from None
        except CloposError as exc:
            raise error_from_sdk(exc) from None
        body = plain(result)
        if self.keep_raw:
            if label in self.raw:
                previous = self.raw[label]
                earlier = previous if isinstance(previous, list) else [previous]
                self.raw[label] = [*earlier, body]
            else:
                self.raw[label] = body
        return _unwrap(body)

    @staticmethod
    def _venue(venue_id: int | str | None) -> dict[str, str] | None:
        return {"x-venue": str(venue_id)} if venue_id is not None else None

    async def _walk(
        self, label: str, fetch: Callable[[int, int], Awaitable[Any]], size: int
    ) -> list[dict[str, Any]]:
        """Every record of a short Clopos list (venues, sale types, payment methods)."""
        records: list[dict[str, Any]] = []
        for page in range(1, MAX_WALK_PAGES + 1):
            # Bind ``page`` now: the lambda runs inside _call, within this iteration.
            rows = await self._call(label, lambda p=page: fetch(p, size))  # type: ignore[misc]
            batch = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
            records.extend(batch)
            if len(batch) < size:
                break
        return records

    # -- catalog ------------------------------------------------------------------------

    async def _cached(
        self, name: str, load: Callable[[], Awaitable[list[dict[str, Any]]]]
    ) -> list[dict[str, Any]]:
        """``load()``, or its answer from less than ``catalog_ttl`` seconds ago for this
        connection's client. A ``raw=true`` call always asks Clopos (it wants the answer)."""
        if self.keep_raw or self.catalog_ttl <= 0:
            return await load()
        entries = _CATALOG_CACHE.setdefault(self.client, {})
        now = time.monotonic()
        hit = entries.get(name)
        if hit is not None and hit[0] > now:
            return list(hit[1])
        rows = await load()
        entries[name] = (now + self.catalog_ttl, rows)
        return list(rows)

    def peek(self, name: str) -> list[dict[str, Any]] | None:
        """What ``name`` (``"venues"``, ``"sale_types"``, ``"payment_methods"``,
        ``"products"``) would return now without asking Clopos; ``None`` when it would ask
        (nothing fresh kept, or a ``raw=true`` call)."""
        if self.keep_raw or self.catalog_ttl <= 0:
            return None
        hit = _CATALOG_CACHE.get(self.client, {}).get(name)
        if hit is None or hit[0] <= time.monotonic():
            return None
        return list(hit[1])

    async def venues(self) -> list[dict[str, Any]]:
        """The brand's venues (``GET venues``)."""
        return await self._cached(
            "venues",
            lambda: self._walk(
                "get_venues",
                lambda page, size: self.client.get_venues(page=page, limit=size),
                CATALOG_PAGE_SIZE,
            ),
        )

    async def venue_ids(self) -> list[int]:
        """The brand's venue ids, ascending."""
        ids = {int(v["id"]) for v in await self.venues() if _is_id(v.get("id"))}
        return sorted(ids)

    async def sale_types(self) -> list[dict[str, Any]]:
        """``GET sale-types``: the unified order types."""
        return await self._cached(
            "sale_types",
            lambda: self._walk(
                "get_sale_types",
                lambda page, size: self.client.get_sale_types(page=page, limit=size),
                CATALOG_PAGE_SIZE,
            ),
        )

    async def payment_methods(self) -> list[dict[str, Any]]:
        """``GET payment-methods``: the unified tenders."""
        return await self._cached(
            "payment_methods",
            lambda: self._walk(
                "get_payment_methods",
                lambda page, size: self.client.get_payment_methods(page=page, limit=size),
                CATALOG_PAGE_SIZE,
            ),
        )

    async def products_page(
        self,
        page: int,
        size: int,
        *,
        relations: Sequence[str] = CATALOG_RELATIONS,
        types: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """One page of ``GET products`` with ``relations``, optionally of some ``types``."""
        rows = await self._call(
            "get_products",
            lambda: self.client.get_products(
                page=page,
                limit=size,
                with_=list(relations),
                filters={"type": list(types)} if types else None,
            ),
        )
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    async def products(self) -> list[dict[str, Any]]:
        """The whole catalog with variants, categories and modifier groups (Clopos keeps
        modifier groups only on products; creates match line items by name in it)."""
        return await self._cached("products", self._all_products)

    async def _all_products(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for page in range(1, MAX_WALK_PAGES + 1):
            batch = await self.products_page(page, PRODUCT_PAGE_MAX)
            records.extend(batch)
            if len(batch) < PRODUCT_PAGE_MAX:
                break
        return records

    async def product(self, product_id: int) -> dict[str, Any] | None:
        """``GET products/{id}`` with categories and modifier groups; ``None`` when absent."""
        found = await self._call(
            "get_product_by_id",
            lambda: self.client.get_product_by_id(product_id, with_=list(CATALOG_RELATIONS)),
            missing_ok=True,
        )
        return found if isinstance(found, dict) else None

    async def customer(self, customer_id: int) -> dict[str, Any] | None:
        """``GET customers/{id}`` (its name and phone go onto a receipt); ``None`` if absent."""
        found = await self._call(
            "get_customer_by_id",
            lambda: self.client.get_customer_by_id(customer_id),
            missing_ok=True,
        )
        return found if isinstance(found, dict) else None

    # -- orders and receipts ------------------------------------------------------------

    async def orders_page(
        self,
        venue_id: int,
        page: int,
        size: int,
        *,
        status: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """One newest-first page of the venue's orders, each with its receipt link."""
        rows = await self._call(
            "get_orders",
            lambda: self.client.get_orders(
                page=page,
                limit=size,
                status=status,
                with_=[ORDER_RECEIPT_WITH],
                filters={"venue_id": [venue_id]},
                sort_by="created_at",
                sort_order=-1,
                date_from=date_from,
                date_to=date_to,
                headers=self._venue(venue_id),
            ),
        )
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    async def receipts_page(
        self,
        venue_id: int,
        page: int,
        size: int,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """One newest-first page of the venue's receipts, with lines and modifiers."""
        rows = await self._call(
            "get_receipts",
            lambda: self.client.get_receipts(
                page=page,
                limit=size,
                sort_by="created_at",
                sort_order=-1,
                with_=list(RECEIPT_RELATIONS),
                date_from=date_from,
                date_to=date_to,
                headers=self._venue(venue_id),
            ),
        )
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []

    async def order(self, order_id: int, venue_ids: Sequence[int] = ()) -> dict[str, Any] | None:
        """``GET orders/{id}`` with its receipt link; ``None`` when no venue has it.

        v2 sees the whole brand (unless the connection pins a venue); v1 only ``x-venue``'s
        venue, so the other venues are asked in turn.
        """
        found = await self._call(
            "get_order_by_id",
            lambda: self.client.get_order_by_id(order_id, with_receipt=True),
            missing_ok=True,
        )
        if isinstance(found, dict):
            return found
        pinned = self.client.settings.venue_id
        if pinned is None and self.api_version == "v2":
            return None  # v2 without x-venue already saw the whole brand
        for venue in venue_ids:
            if pinned is not None and str(venue) == pinned:
                continue  # the first call already asked this venue
            found = await self._call(
                "get_order_by_id",
                lambda v=venue: self.client.get_order_by_id(  # type: ignore[misc]
                    order_id, with_receipt=True, headers=self._venue(v)
                ),
                missing_ok=True,
            )
            if isinstance(found, dict):
                return found
        return None

    async def receipt(self, receipt_id: int, venue_ids: Sequence[int]) -> dict[str, Any] | None:
        """``GET receipts/{id}`` with lines, asking each of ``venue_ids`` in turn (Clopos
        shows a receipt only to its own venue); ``None`` when none has it."""
        for venue in venue_ids:
            found = await self._call(
                "get_receipt_by_id",
                lambda v=venue: self.client.get_receipt_by_id(  # type: ignore[misc]
                    receipt_id, with_=list(RECEIPT_RELATIONS), headers=self._venue(v)
                ),
                missing_ok=True,
            )
            if isinstance(found, dict):
                return found
        return None

    async def create_order(
        self, payload: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """``POST orders`` with the body built by the mapping (v2 flat or v1 nested).

        ``idempotency_key`` goes out as ``Idempotency-Key``, so a create retried after a
        crash between Clopos' answer and our bookkeeping replays the same order.
        """
        known = {
            "sale_type_id", "venue_id", "customer", "products", "auto_accept_terminal",
            "auto_order_accept", "auto_order_sent_to_station", "delivery_fee", "comment",
            "discount", "service_charge", "order_number", "customer_id", "payload", "meta",
        }  # fmt: skip
        arguments = {k: v for k, v in payload.items() if k in known}
        extra = {k: v for k, v in payload.items() if k not in known}
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        created = await self._call(
            "create_order",
            lambda: self.client.create_order(**arguments, extra=extra or None, headers=headers),
        )
        if not isinstance(created, dict) or not _is_id(created.get("id")):
            raise UnifiedError(
                502,
                "ConnectorExecutionError",
                "Clopos created the order but returned no id",
                None,
            )
        return created

    async def ignore_order(self, order_id: int, venue_id: int | None) -> Any:
        """``PUT orders/{id}`` ``{"status": "IGNORE"}``: the one order change Clopos allows."""
        return await self._call(
            "update_order",
            lambda: self.client.update_order(
                order_id, status="IGNORE", headers=self._venue(venue_id)
            ),
        )

    async def patch_receipt(self, receipt_id: int, venue_id: int | None, **fields: Any) -> Any:
        """``PATCH receipts/{id}`` (``order_status``, ``order_number``, ``fiscal_id``, ``lock``)."""
        return await self._call(
            "update_closed_receipt",
            lambda: self.client.update_closed_receipt(
                receipt_id, headers=self._venue(venue_id), **fields
            ),
        )

    async def put_receipt(
        self, receipt_id: int, venue_id: int | None, cid: str, **fields: Any
    ) -> Any:
        """``PUT receipts/{id}`` (v1): ``description``, ``customer_id`` + ``meta_customer``…"""
        return await self._call(
            "update_receipt",
            lambda: self.client.update_receipt(
                receipt_id, cid, headers=self._venue(venue_id), **fields
            ),
        )

    async def close_receipt(
        self,
        receipt_id: int,
        venue_id: int | None,
        payment_methods: Sequence[Mapping[str, Any]],
        *,
        cid: str | None = None,
        closed_at: str | None = None,
    ) -> Any:
        """Close an open receipt with ``payment_methods`` (v2 close, or v1 ``PUT``)."""
        if self.api_version == "v1" and closed_at is None:
            closed_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return await self._call(
            "close_receipt",
            lambda: self.client.close_receipt(
                receipt_id,
                list(payment_methods),
                cid=cid if self.api_version == "v1" else None,
                closed_at=closed_at,
                headers=self._venue(venue_id),
            ),
        )

    async def delete_receipt(self, receipt_id: int, venue_id: int | None) -> Any:
        """``DELETE receipts/{id}`` (v1 only; on v2 the caller cancels instead)."""
        return await self._call(
            "delete_receipt",
            lambda: self.client.delete_receipt(receipt_id, headers=self._venue(venue_id)),
        )


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0
