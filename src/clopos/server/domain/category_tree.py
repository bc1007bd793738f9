"""Nesting category rows into ``children`` trees (spec §10.4) — pure, no I/O.

Categories are stored as a nested set: every row has ``lft``/``rgt`` bounds (sent on the
wire as ``_lft``/``_rgt``), a descendant's bounds lie strictly inside its ancestor's, and
``parent_id`` names the direct parent. The route fetches a page of top-level rows plus
every row inside their bounds in one range query; this module links them back together.

Linking uses ``parent_id`` (the direct parent) rather than the bounds alone, so a row whose
parent was filtered out (an inactive category when ``include_inactive`` is false, or a
category of another ``type``) is dropped together with its whole subtree, instead of
silently moving up to its grandparent. Siblings are ordered by ``lft`` — tree order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, NamedTuple, TypeVar


class Place(NamedTuple):
    """Where a row sits in the tree: its id, direct parent and nested-set bounds."""

    id: int
    parent_id: int | None
    lft: int
    rgt: int


R = TypeVar("R")


@dataclass
class TreeNode(Generic[R]):
    """One row and its already-nested children (in ``lft`` order)."""

    row: R
    children: list[TreeNode[R]] = field(default_factory=list)


def attach_descendants(
    tops: Sequence[R], descendants: Iterable[R], place: Callable[[R], Place]
) -> list[TreeNode[R]]:
    """Nest ``descendants`` under ``tops`` by ``parent_id``; one node per top, in order.

    ``place`` tells where a row sits. ``descendants`` may also contain the tops themselves
    or unrelated rows: a row is kept only if its chain of parents reaches one of ``tops``
    through rows that are present.
    """
    nodes: dict[int, TreeNode[R]] = {place(top).id: TreeNode(top) for top in tops}
    # Processing in lft order guarantees a parent is placed before its children
    # (a parent's lft is always smaller than any of its descendants').
    for row in sorted(descendants, key=lambda r: (place(r).lft, place(r).id)):
        where = place(row)
        if where.id in nodes:
            continue
        parent = nodes.get(where.parent_id) if where.parent_id is not None else None
        if parent is None:
            continue  # parent filtered out (or not under any top): drop the subtree
        node = TreeNode(row)
        parent.children.append(node)
        nodes[where.id] = node
    return [nodes[place(top).id] for top in tops]


def subtree_span(places: Iterable[Place]) -> tuple[int, int] | None:
    """The smallest ``(lft, rgt)`` interval holding every given subtree (``None`` if empty).

    Used to fetch all descendants of a page of rows in one range query.
    """
    bounds = [(p.lft, p.rgt) for p in places]
    if not bounds:
        return None
    return min(lo for lo, _ in bounds), max(hi for _, hi in bounds)
