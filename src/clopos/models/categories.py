"""Categories (spec §10.4, §10.5): a tree, each node with its ``children``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from clopos.models._base import Media, WireModel


class Category(WireModel):
    """A category; ``children`` (same shape, recursive) unless ``include_children=false``.

    ``lft``/``rgt`` are the wire's ``_lft``/``_rgt`` nested-set bounds.
    """

    id: int
    name: str
    status: int | None = None
    hidden: bool | None = None
    type: str | None = None
    position: int | None = None
    parent_id: int | None = None
    lft: int | None = Field(default=None, alias="_lft")
    rgt: int | None = Field(default=None, alias="_rgt")
    depth: int | None = None
    color: str | None = None
    slug: str | None = None
    code: str | None = None
    image: Any = None
    media: list[Media] | None = None
    meta: dict[str, Any] | None = None
    emenu_position: int | None = None
    emenu_hidden: bool | None = None
    created_at: str | None = None
    updated_at: str | None = None
    children: list[Category] | None = None
