"""The answers around the resources: success envelopes, auth, messages (spec §3, §4.1).

``ListResponse[T]`` and ``ItemResponse[T]`` are what ``clopos.client`` methods return::

    resp = clopos.get_venues()          # ListResponse[Venue]
    resp.data[0].name, resp.total       # typed; resp.model_extra keeps unknown keys

Every envelope field but ``data`` is optional: the docs' examples omit ``time``,
``timestamp`` or ``success`` here and there, and some lists carry a ``pagination`` block
instead of (or beside) ``total`` (spec §4.1).
"""

from __future__ import annotations

from typing import Generic, TypeVar

from clopos.models._base import WireModel

T = TypeVar("T")


class Envelope(WireModel):
    """The keys every success answer may carry (spec §4.1)."""

    success: bool | None = None
    message: str | None = None
    time: int | None = None
    timestamp: str | None = None
    unix: int | None = None


class Pagination(WireModel):
    """The ``pagination`` block of customers, orders, price lists and prices (spec §4.1)."""

    page: int | None = None
    per_page: int | None = None
    total: int | None = None
    total_pages: int | None = None


class ListResponse(Envelope, Generic[T]):
    """A list answer: ``data`` (one page of items), ``total`` before paging, ``sorts``."""

    data: list[T]
    total: int | None = None
    sorts: list[str] | None = None
    pagination: Pagination | None = None

    @property
    def total_count(self) -> int | None:
        """``total``, else ``pagination.total``; ``None`` when the answer has neither."""
        if self.total is not None:
            return self.total
        return self.pagination.total if self.pagination is not None else None


class ItemResponse(Envelope, Generic[T]):
    """A single-resource answer: ``data`` is the object."""

    data: T


class MessageResponse(Envelope):
    """An answer with no ``data``, only a ``message`` (``DELETE /receipts/{id}``, §12.9)."""


class AuthResponse(WireModel):
    """``POST auth`` (spec §3): v2 sends ``expires_at`` (Unix seconds), v1 only
    ``expires_in`` (seconds from now); both carry ``token`` and ``token_type``. Whole
    seconds stay ``int``; a server sending fractions gets ``float``."""

    token: str
    success: bool | None = None
    token_type: str | None = None
    expires_in: int | float | None = None
    expires_at: int | float | None = None
    message: str | None = None
