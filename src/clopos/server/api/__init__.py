"""HTTP routes, one module per resource. ``catalog_routers()`` lists those served on both
prefixes; ``auth`` is mounted separately because its paths differ per version."""

from __future__ import annotations

from fastapi import APIRouter


def catalog_routers() -> list[APIRouter]:
    """Routers mounted under both ``/open-api`` and ``/open-api/v2``."""
    from clopos.server.api import venues

    return [venues.router]
