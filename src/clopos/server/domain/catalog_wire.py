"""Wire shapes of categories and stations, shared by their own endpoints and by the
products endpoint's ``with[]=category`` / ``with[]=station`` (pure functions)."""

from __future__ import annotations

from typing import Any

from clopos.server.domain.timestamps import iso_micro
from clopos.server.store.models import Category, Station


def present_category(category: Category) -> dict[str, Any]:
    """One category without ``children`` (spec §10.4; union of v2, v1 and SDK fields).

    ``_lft``/``_rgt`` keep their underscore: the existing client requires those wire keys.
    """
    return {
        "id": category.id,
        "name": category.name,
        "status": category.status,
        "hidden": category.hidden,
        "type": category.type,
        "position": category.position,
        "parent_id": category.parent_id,
        "_lft": category.lft,
        "_rgt": category.rgt,
        "depth": category.depth,
        "color": category.color,
        "slug": category.slug,
        "code": category.code,
        "image": category.image,
        "media": category.media or [],
        "meta": category.meta,
        "emenu_position": category.emenu_position,
        "emenu_hidden": category.emenu_hidden,
        "created_at": iso_micro(category.created_at),
        "updated_at": iso_micro(category.updated_at),
    }


def present_station(station: Station) -> dict[str, Any]:
    """The union of the v2 and v1 station objects (spec §10.6, §14.14).

    v2 says ``printable`` (0/1), v1 said ``can_print`` (bool); both describe one fact and
    are sent together so clients of either generation read what they expect.
    """
    return {
        "id": station.id,
        "name": station.name,
        "status": station.status,
        "type": station.type,
        "printable": station.printable,
        "can_print": bool(station.printable),
        "reminder_enabled": station.reminder_enabled,
        "description": station.description,
        "created_at": iso_micro(station.created_at),
        "updated_at": iso_micro(station.updated_at),
    }
