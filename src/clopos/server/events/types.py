"""Event type names and the patterns that select them (pure; see docs/events.md).

A name is ``<resource>.<what happened>``. A *selector* — in the feed's ``types`` parameter
and in a webhook endpoint's ``types`` — is a name, ``<resource>.*`` (every event of that
resource) or ``*`` (every event). Selectors are checked against the known names so that a
typo is a 400 naming it rather than a subscription that silently never fires.

Other packages add their own names with :func:`register_event_types` before recording them.
(The unified layer's ``pos.*`` webhooks are not recorded here: they are derived from these
events by ``clopos.server.events.unified_bridge``.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

ORDER_CREATED = "order.created"
ORDER_ACCEPTED = "order.accepted"
ORDER_IGNORED = "order.ignored"
ORDER_DELIVERED = "order.delivered"
RECEIPT_CREATED = "receipt.created"
RECEIPT_UPDATED = "receipt.updated"
RECEIPT_CLOSED = "receipt.closed"
RECEIPT_DELETED = "receipt.deleted"
STOP_LIST_CHANGED = "stop_list.changed"
CUSTOMER_CREATED = "customer.created"

CORE_TYPES: tuple[str, ...] = (
    ORDER_CREATED,
    ORDER_ACCEPTED,
    ORDER_IGNORED,
    ORDER_DELIVERED,
    RECEIPT_CREATED,
    RECEIPT_UPDATED,
    RECEIPT_CLOSED,
    RECEIPT_DELETED,
    STOP_LIST_CHANGED,
    CUSTOMER_CREATED,
)
ALL = "*"
MAX_TYPE_LENGTH = 64
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_extra_types: set[str] = set()


class UnknownEventType(ValueError):
    """A selector names no known event type."""


def register_event_types(names: Iterable[str]) -> None:
    """Make more event names known (e.g. ``pos.order.created``); idempotent."""
    for name in names:
        if not _NAME.fullmatch(name) or len(name) > MAX_TYPE_LENGTH:
            raise ValueError(f"{name!r} is not an event type name (lowercase.dotted)")
        _extra_types.add(name)


def known_types() -> tuple[str, ...]:
    """Every event name this server can emit, core names first."""
    return CORE_TYPES + tuple(sorted(_extra_types - set(CORE_TYPES)))


def selects_any(selector: str, names: Sequence[str]) -> bool:
    """Whether ``selector`` (a name, ``<prefix>.*`` or ``*``) selects one of ``names``."""
    if selector == ALL or selector in names:
        return True
    return selector.endswith(".*") and any(name.startswith(selector[:-1]) for name in names)


def check_selector(selector: str) -> str:
    """``selector`` stripped, if it selects at least one known type; else ``UnknownEventType``."""
    text = selector.strip()
    names = known_types()
    if selects_any(text, names):
        return text
    raise UnknownEventType(
        f"{selector!r} is not an event type; use one of {', '.join(names)}, '<resource>.*' or '*'"
    )


def check_selectors(selectors: Sequence[str]) -> list[str]:
    """Each selector checked, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for selector in selectors:
        seen[check_selector(selector)] = None
    return list(seen)


def matches(selectors: Sequence[str], event_type: str) -> bool:
    """Whether ``event_type`` is selected; an empty list selects everything."""
    if not selectors:
        return True
    for selector in selectors:
        if selector in (ALL, event_type):
            return True
        if selector.endswith(".*") and event_type.startswith(selector[:-1]):
            return True
    return False
