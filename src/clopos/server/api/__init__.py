"""HTTP routes, one module per resource. ``catalog_routers()`` lists those served on both
prefixes; ``auth`` is mounted separately because its paths differ per version."""

from __future__ import annotations

from fastapi import APIRouter


def catalog_routers() -> list[APIRouter]:
    """Routers mounted under both ``/open-api`` and ``/open-api/v2``."""
    from clopos.server.api import (
        categories,
        customer_groups,
        customers,
        price_lists,
        products,
        sales,
        stations,
        users,
        venues,
    )

    return [
        venues.router,
        users.router,
        customers.router,
        customer_groups.router,
        categories.router,
        stations.router,
        # products before anything else under /products: /products/stop-list must win over
        # /products/{id}; the products module declares stop-list first.
        products.router,
        price_lists.router,
        sales.router,
    ]
