"""HTTP routes, one module per resource.

``shared_routers()`` are served under both ``/open-api`` and ``/open-api/v2``; a few receipt
routes exist on one prefix only (spec §18 of the open questions: v1 create/PUT/DELETE, v2
close and stock operations). ``auth`` and the till's ``sandbox`` are mounted separately.
"""

from __future__ import annotations

from fastapi import APIRouter


def shared_routers() -> list[APIRouter]:
    """Routers mounted under both ``/open-api`` and ``/open-api/v2``."""
    from clopos.server.api import (
        categories,
        customer_groups,
        customers,
        orders,
        price_lists,
        products,
        receipts,
        sales,
        stations,
        users,
        venues,
    )
    from clopos.server.events import api as events

    return [
        venues.router,
        users.router,
        customers.router,
        customer_groups.router,
        categories.router,
        stations.router,
        # products declares /products/stop-list before /products/{id} so the literal wins
        products.router,
        price_lists.router,
        sales.router,
        orders.router,
        receipts.router,
        # GET /events and /webhooks (docs/events.md)
        events.router,
    ]


def v2_only_routers() -> list[APIRouter]:
    """Routers mounted under ``/open-api/v2`` only."""
    from clopos.server.api import receipts

    return [receipts.v2_router]


def v1_only_routers() -> list[APIRouter]:
    """Routers mounted under ``/open-api`` only."""
    from clopos.server.api import receipts

    return [receipts.v1_router]
