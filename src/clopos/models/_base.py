"""What every wire model shares: the lenient base, a few small types and field paths.

Response models (``WireModel``) read what a server sends and lose nothing: keys this
package does not declare are kept in ``model_extra`` and written back by ``model_dump``,
fields the answer leaves out stay unset (and out of ``model_dump(exclude_unset=True)``),
and ``model_dump()`` writes the wire names (``totalCost``, ``_lft``). Request models are
strict instead; they live beside the resource they create (``orders``, ``receipts``,
``customers``) and are shared by the server, which validates with them, and the SDK,
which checks a body with them before sending it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: Ids are 32-bit integers in the store (the same bound as ``clopos.server.domain.query``).
MAX_ID = 2**31 - 1


class WireModel(BaseModel):
    """An object as the server sent it: unknown keys kept, absent keys left unset.

    Build or read fields by their Python names; ``model_dump()`` writes wire names.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, serialize_by_alias=True)


class Media(WireModel):
    """A media item (spec §10.2): ``uuid, mime_type, size, urls{…}, blur_hash, dimensions``."""

    uuid: str | None = None
    mime_type: str | None = None
    size: int | None = None
    urls: dict[str, Any] | None = None
    blur_hash: str | None = None
    dimensions: dict[str, Any] | None = None


class Named(WireModel):
    """A reference ``{id, name}`` (a station on a receipt line, a stock operation's product)."""

    id: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with a request body: the dotted ``field`` path and a ``message``."""

    field: str
    message: str


def field_path(location: Sequence[int | str]) -> str:
    """``("body", "products", 2, "product_id")`` → ``products.2.product_id``."""
    parts = [str(p) for p in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_problems(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    """Each error of ``error`` as ``(field path, message)`` (``Value error, `` dropped)."""
    return [
        FieldProblem(
            prefix + field_path(tuple(item["loc"])),
            str(item.get("msg", "invalid value")).removeprefix("Value error, "),
        )
        for item in error.errors(include_url=False)
    ]
