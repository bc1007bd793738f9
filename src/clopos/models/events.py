"""The event feed's answers (``GET events``, a clopos server extension; docs/events.md).

Every state change the server makes is recorded as an :class:`Event` — ``{id, type, brand,
venue_id, occurred_at, data}`` — where ``data`` is the changed resource exactly as the API
answers it (an order, a receipt, a customer, a stop-list entry), decoded with money as
``Decimal``. ``data_as`` reads it as a typed model::

    page = clopos.get_events(after=0, types="order.*")      # EventPage
    for event in page.data:
        order = event.data_as(Order)                          # Order, typed
    page.next_after, page.has_more                            # the cursor to send next
"""

from __future__ import annotations

import builtins
from typing import Any, TypeVar

from pydantic import BaseModel

from clopos.models._base import WireModel
from clopos.models.envelopes import ListResponse

M = TypeVar("M", bound=BaseModel)


class Event(WireModel):
    """One recorded change: ``id`` (increasing within a brand; the feed's cursor and the
    key to de-duplicate on), ``type`` (``order.created`` …), ``brand``, ``venue_id``,
    ``occurred_at`` (UTC ISO-8601 with microseconds) and ``data`` (the resource)."""

    id: int
    type: str
    brand: str | None = None
    venue_id: int | None = None
    occurred_at: str | None = None
    data: Any = None

    @property
    def resource(self) -> str:
        """What the event is about: ``order`` for ``order.created``, ``pos.order`` for
        ``pos.order.updated``."""
        return self.type.rpartition(".")[0]

    # ``builtins.type``: the field ``type`` shadows the builtin inside this class.
    def data_as(self, model: builtins.type[M]) -> M:
        """``data`` validated as ``model`` (``Order``, ``Receipt``, ``Customer``,
        ``StopListEntry`` …); raises pydantic's ``ValidationError`` when it does not fit."""
        return model.model_validate(self.data)


class EventPage(ListResponse[Event]):
    """A ``GET events`` answer: ``data`` (events, oldest first), ``next_after`` (the cursor
    for the next call: the last event's id, or the ``after`` sent when there were none) and
    ``has_more`` (more events are already waiting)."""

    next_after: int | None = None
    has_more: bool | None = None
