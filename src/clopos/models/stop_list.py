"""The stop list — products with limited or no availability at a venue (spec §10.3)."""

from __future__ import annotations

from clopos.models._base import WireModel


class StopListEntry(WireModel):
    """``id`` is the **product** id, ``limit`` what is left (0 = unavailable), ``timestamp``
    the last change in Unix **milliseconds**. A product not listed is not limited."""

    id: int
    limit: int
    timestamp: int
