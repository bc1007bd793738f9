"""``clopos orders watch``: a live table of orders and their status.

Updates come from the event feed (the SDK's ``get_events(after=…, wait=…)``, a long poll
that answers as soon as something happens) where the server has one, and from polling
``GET /orders`` every ``interval`` seconds where it does not (the Clopos cloud: the feed
answers 404 there). The board itself (:class:`OrderBoard`) and the reading of feed pages
(:func:`read_feed_page`) are pure; the loop around them does the I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rich.markup import escape
from rich.table import Table

from clopos.client import APIStatusError, CloposClient, ResponseValidationError
from clopos.reporting.records import as_plain, dig, envelope_items, money_text, order_item_count

ORDER_EVENT_PREFIX = "order."
STATUS_STYLES = {
    "PENDING": "bold yellow",
    "RECEIVED": "bold cyan",
    "DELIVERED": "bold green",
    "IGNORE": "dim",
}
# The feed holds a request open this long when nothing happens (our server allows 30).
FEED_WAIT_SECONDS = 25
LATEST = "latest"
ORDER_EVENT_TYPES = "order.*"


@dataclass(frozen=True)
class OrderRow:
    """What the table shows of one order."""

    id: int
    venue_id: Any
    status: str
    customer: str
    items: Decimal
    total: Decimal | None
    created_at: str
    updated_at: str


def order_row(order: Mapping[str, Any]) -> OrderRow | None:
    """The row for an Order object; ``None`` when it has no integer id."""
    ident = order.get("id")
    if not isinstance(ident, int) or isinstance(ident, bool):
        return None
    customer = dig(order, "payload", "customer")
    name = phone = ""
    if isinstance(customer, Mapping):
        name = str(customer.get("name") or "")
        phone = str(customer.get("phone") or "")
    total = order.get("total_amount")
    try:
        items = order_item_count(order)
        amount = Decimal(repr(total)) if isinstance(total, float) else total
        amount = Decimal(amount) if isinstance(amount, int | str) else amount
    except (ArithmeticError, ValueError):
        items, amount = Decimal(0), None
    return OrderRow(
        id=ident,
        venue_id=order.get("venue_id"),
        status=str(order.get("status") or "?"),
        customer=" ".join(part for part in (name, phone) if part),
        items=items,
        total=amount if isinstance(amount, Decimal) else None,
        created_at=_short_time(order.get("created_at")),
        updated_at=_short_time(order.get("updated_at")),
    )


def _short_time(value: Any) -> str:
    """``2026-02-02T13:45:53.000000Z`` → ``2026-02-02 13:45:53`` (UTC either way)."""
    text = str(value or "")
    if len(text) >= 19 and text[10] in "T ":
        return f"{text[:10]} {text[11:19]}"
    return text


@dataclass(frozen=True)
class Change:
    """One thing the board learned: a new order, or a status that moved."""

    order_id: int
    before: str | None
    after: str

    def describe(self) -> str:
        """``order 7 PENDING`` or ``order 7 PENDING -> RECEIVED``."""
        if self.before is None:
            return f"order {self.order_id} {self.after}"
        return f"order {self.order_id} {self.before} -> {self.after}"


class OrderBoard:
    """The orders on screen, newest first; ``status`` keeps only orders in that status."""

    def __init__(self, *, limit: int, status: str | None = None) -> None:
        self.limit = limit
        self.status = status
        self.rows: dict[int, OrderRow] = {}

    def upsert(self, order: Mapping[str, Any]) -> Change | None:
        """Take an Order object; the change it makes to the board, if any."""
        row = order_row(order)
        if row is None:
            return None
        before = self.rows.get(row.id)
        if self.status is not None and row.status != self.status:
            if before is not None:
                del self.rows[row.id]
                return Change(row.id, before.status, row.status)
            return None
        self.rows[row.id] = row
        if before is None:
            return Change(row.id, None, row.status)
        if before.status != row.status:
            return Change(row.id, before.status, row.status)
        return None

    def visible(self) -> list[OrderRow]:
        """The newest ``limit`` orders (by id), newest first."""
        newest = sorted(self.rows.values(), key=lambda r: r.id, reverse=True)[: self.limit]
        # Forget what scrolled off, so a long watch stays small.
        self.rows = {r.id: r for r in newest}
        return newest


def orders_table(rows: Iterable[OrderRow], *, caption: str | None = None) -> Table:
    """The board as a rich table."""
    table = Table(
        "id",
        "venue",
        "status",
        "customer",
        "items",
        "total",
        "created",
        "updated",
        caption=caption,
    )
    for row in rows:
        table.add_row(
            str(row.id),
            "" if row.venue_id is None else str(row.venue_id),
            f"[{STATUS_STYLES.get(row.status, 'bold')}]{escape(row.status)}[/]",
            escape(row.customer),
            money_text(row.items),
            "" if row.total is None else money_text(row.total),
            escape(row.created_at),
            escape(row.updated_at),
        )
    return table


# --- the event feed -----------------------------------------------------------------------


class FeedUnavailable(Exception):
    """The server has no event feed (404/405): poll instead."""


@dataclass(frozen=True)
class FeedPage:
    """Order events of one feed answer and the cursor to ask from next."""

    orders: list[dict[str, Any]]
    order_ids: list[int]
    cursor: Any


def _event_cursor(event: Mapping[str, Any]) -> Any:
    for key in ("id", "sequence", "cursor"):
        if event.get(key) is not None:
            return event[key]
    return None


def read_feed_page(envelope: Mapping[str, Any], cursor: Any) -> FeedPage:
    """The order events of a feed answer: full Order objects where the event carries one,
    bare ids (to fetch) where it does not, and the next ``after`` cursor."""
    events = envelope_items(envelope) if "data" in envelope else []
    if not events and isinstance(envelope.get("events"), list):
        events = [e for e in envelope["events"] if isinstance(e, dict)]
    orders: list[dict[str, Any]] = []
    order_ids: list[int] = []
    for event in events:
        found = _event_cursor(event)
        if found is not None:
            cursor = found
        kind = str(event.get("type") or event.get("event") or "")
        if not kind.startswith(ORDER_EVENT_PREFIX):
            continue
        body = event.get("data", event.get("payload", event.get("object")))
        if isinstance(body, Mapping) and isinstance(body.get("object"), Mapping):
            body = body["object"]  # {"data": {"object": {...}}}, the Stripe layout
        if isinstance(body, Mapping) and "status" in body and "id" in body:
            orders.append(dict(body))
        elif isinstance(body, Mapping) and isinstance(body.get("id"), int):
            order_ids.append(body["id"])
        elif isinstance(event.get("order_id"), int):
            order_ids.append(event["order_id"])
    for key in ("next_after", "next_cursor", "cursor", "last_id"):
        if envelope.get(key) is not None:
            cursor = envelope[key]
            break
    return FeedPage(orders, order_ids, cursor)


class EventFeed:
    """Long polls of ``GET events`` for order events, through the SDK's ``get_events`` (which
    lengthens the read timeout of each call by its ``wait``)."""

    def __init__(self, client: CloposClient, *, wait: int = FEED_WAIT_SECONDS) -> None:
        self.client = client
        self.wait = wait

    def close(self) -> None:
        """Nothing to release: the feed shares the client's connection pool."""

    def fetch(self, after: Any, wait: int) -> Mapping[str, Any]:
        """One feed answer for order events after ``after`` (waiting up to ``wait`` s)."""
        try:
            page = self.client.get_events(after=after, types=ORDER_EVENT_TYPES, wait=wait)
        except APIStatusError as exc:
            if exc.status_code in (400, 404, 405):
                # No feed here (the Clopos cloud), or one that does not know `latest`.
                raise FeedUnavailable() from None
            raise
        except ResponseValidationError:
            raise FeedUnavailable() from None  # a feed of another shape: poll instead
        answer = as_plain(page)
        if not isinstance(answer, Mapping):
            raise FeedUnavailable()
        return answer

    def start(self) -> Any:
        """The cursor of the newest event (``after=latest``): older events are not
        replayed, the snapshot of ``GET /orders`` stands for them."""
        return read_feed_page(self.fetch(LATEST, 0), None).cursor


def snapshot(client: CloposClient, board: OrderBoard) -> list[Change]:
    """Load the newest orders (one ``GET /orders`` page) into ``board``."""
    envelope = as_plain(client.get_orders(limit=min(board.limit, 100), status=board.status))
    changes = []
    for order in envelope_items(envelope):
        change = board.upsert(order)
        if change is not None:
            changes.append(change)
    return changes


def follow(
    client: CloposClient,
    board: OrderBoard,
    *,
    interval: float,
    use_feed: bool,
    on_change: Callable[[list[Change], str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Keep ``board`` current until interrupted; ``on_change(changes, source)`` after each
    round (``source`` is ``"events"`` or ``"polling"``)."""
    feed = EventFeed(client) if use_feed else None
    cursor: Any = None
    try:
        if feed is not None:
            try:
                cursor = feed.start()
            except FeedUnavailable:
                feed.close()
                feed = None
        on_change(snapshot(client, board), "events" if feed else "polling")
        while True:
            if feed is not None:
                try:
                    page = read_feed_page(feed.fetch(cursor, feed.wait), cursor)
                except FeedUnavailable:
                    feed.close()
                    feed = None
                    continue
                cursor = page.cursor
                changes = [c for c in map(board.upsert, page.orders) if c is not None]
                for order_id in page.order_ids:
                    order = as_plain(client.get_order_by_id(order_id)).get("data")
                    change = board.upsert(order) if isinstance(order, Mapping) else None
                    if change is not None:
                        changes.append(change)
                on_change(changes, "events")
            else:
                sleep(interval)
                on_change(snapshot(client, board), "polling")
    finally:
        if feed is not None:
            feed.close()
