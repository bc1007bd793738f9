"""Nesting nested-set rows into ``children`` trees (clopos.server.domain.category_tree)."""

from __future__ import annotations

from dataclasses import dataclass

from clopos.server.domain.category_tree import Place, TreeNode, attach_descendants, subtree_span


@dataclass(frozen=True)
class Row:
    id: int
    parent_id: int | None
    lft: int
    rgt: int


def place(row: Row) -> Place:
    return Place(row.id, row.parent_id, row.lft, row.rgt)


# 1 Food [1,10]: 2 Pizza [2,7] (3 Classic [3,4], 4 Gourmet [5,6]), 5 Burgers [8,9]
# 6 Drinks [11,14]: 7 Coffee [12,13]
FOOD = Row(1, None, 1, 10)
PIZZA = Row(2, 1, 2, 7)
CLASSIC = Row(3, 2, 3, 4)
GOURMET = Row(4, 2, 5, 6)
BURGERS = Row(5, 1, 8, 9)
DRINKS = Row(6, None, 11, 14)
COFFEE = Row(7, 6, 12, 13)
ALL = [FOOD, PIZZA, CLASSIC, GOURMET, BURGERS, DRINKS, COFFEE]


def names(node: TreeNode[Row]) -> object:
    """A tree as nested ``(id, [children…])`` tuples, easy to compare."""
    return (node.row.id, [names(c) for c in node.children])


def test_nests_three_levels_in_lft_order_whatever_the_input_order() -> None:
    forest = attach_descendants([FOOD, DRINKS], list(reversed(ALL)), place)
    assert [names(n) for n in forest] == [
        (1, [(2, [(3, []), (4, [])]), (5, [])]),
        (6, [(7, [])]),
    ]


def test_one_node_per_top_in_the_given_order() -> None:
    forest = attach_descendants([DRINKS, FOOD], ALL, place)
    assert [n.row.id for n in forest] == [6, 1]


def test_a_missing_parent_drops_its_whole_subtree() -> None:
    # Pizza filtered out (e.g. inactive): Classic and Gourmet must not climb up to Food.
    forest = attach_descendants([FOOD], [BURGERS, CLASSIC, GOURMET], place)
    assert [names(n) for n in forest] == [(1, [(5, [])])]


def test_rows_outside_every_top_are_ignored() -> None:
    forest = attach_descendants([PIZZA], ALL, place)
    assert [names(n) for n in forest] == [(2, [(3, []), (4, [])])]


def test_no_tops_gives_an_empty_forest() -> None:
    assert attach_descendants([], ALL, place) == []


def test_subtree_span_covers_every_top() -> None:
    assert subtree_span([place(PIZZA), place(DRINKS)]) == (2, 14)
    assert subtree_span([place(COFFEE)]) == (12, 13)
    assert subtree_span([]) is None
