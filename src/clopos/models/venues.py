"""Venues — a brand's branches (spec §9.1)."""

from __future__ import annotations

from clopos.models._base import Media, WireModel


class Venue(WireModel):
    """A branch; its ``id`` is what ``x-venue`` names. The union of the prose and OAS
    objects: ``address``/``phone``/``email`` (prose), ``is_main``/``media`` (OAS)."""

    id: int
    name: str
    address: str | None = None
    status: int | None = None
    phone: str | None = None
    email: str | None = None
    is_main: int | None = None
    media: list[Media] | None = None
