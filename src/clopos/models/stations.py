"""Stations — where products are prepared (spec §10.6, §10.7)."""

from __future__ import annotations

from clopos.models._base import WireModel


class Station(WireModel):
    """A preparation station: v2 ``printable`` (0/1) and v1 ``can_print`` (bool) together."""

    id: int
    name: str
    status: int | None = None
    type: int | None = None
    printable: int | None = None
    can_print: bool | None = None
    reminder_enabled: bool | None = None
    description: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
