"""PHP-bracket query parsing and list-query rules (spec §4.2, §4.3), without HTTP."""

from __future__ import annotations

import json
from datetime import date, datetime
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clopos.server.domain.query import (
    Filter,
    LimitRule,
    ListQuery,
    Sort,
    as_list,
    parse_bool,
    parse_brackets,
    parse_int,
    parse_list_query,
)
from clopos.server.errors import InvalidParameter

RULE = LimitRule(default=50, maximum=100)


def q(text: str, **kw: object) -> ListQuery:
    """Parse a raw query string the way Starlette does (percent-decoding keys and values)."""
    items = parse_qsl(text, keep_blank_values=True)
    return parse_list_query(items, limit_rule=kw.pop("limit_rule", RULE), **kw)  # type: ignore[arg-type]


def bad(text: str, **kw: object) -> InvalidParameter:
    with pytest.raises(InvalidParameter) as caught:
        q(text, **kw)
    assert caught.value.status_code == 400
    assert caught.value.code == "invalid_parameter"
    return caught.value


# --- parse_brackets -------------------------------------------------------------------------


def test_indexed_and_appended_arrays() -> None:
    assert parse_brackets([("with[0]", "a"), ("with[1]", "b")]) == {"with": {"0": "a", "1": "b"}}
    assert parse_brackets([("with[]", "a"), ("with[]", "b")]) == {"with": {"0": "a", "1": "b"}}


def test_append_continues_after_the_largest_index() -> None:
    parsed = parse_brackets([("x[5]", "a"), ("x[]", "b"), ("x[2]", "c"), ("x[]", "d")])
    assert parsed == {"x": {"5": "a", "6": "b", "2": "c", "7": "d"}}
    assert as_list(parsed["x"]) == ["c", "a", "b", "d"]


def test_nested_filter_lists() -> None:
    parsed = parse_brackets(
        [
            ("filters[0][0]", "type"),
            ("filters[0][1][0]", "GOODS"),
            ("filters[0][1][1]", "DISH"),
            ("filters[1][0]", "id"),
            ("filters[1][1][]", "1"),
            ("filters[1][1][]", "332"),
        ]
    )
    assert parsed == {
        "filters": {
            "0": {"0": "type", "1": {"0": "GOODS", "1": "DISH"}},
            "1": {"0": "id", "1": {"0": "1", "1": "332"}},
        }
    }


def test_encoded_brackets_decode_to_the_same_thing() -> None:
    encoded = "filters%5B0%5D%5B0%5D=type&filters%5B0%5D%5B1%5D%5B%5D=GOODS&with%5B%5D=tags"
    plain = "filters[0][0]=type&filters[0][1][]=GOODS&with[]=tags"
    assert parse_brackets(parse_qsl(encoded)) == parse_brackets(parse_qsl(plain))
    assert parse_brackets(parse_qsl(encoded))["filters"]["0"]["1"] == {"0": "GOODS"}


def test_duplicate_keys_keep_the_last_value() -> None:
    assert parse_brackets([("page", "1"), ("page", "3")]) == {"page": "3"}
    assert parse_brackets([("with[0]", "a"), ("with[0]", "b")]) == {"with": {"0": "b"}}
    # A plain key and a bracket key with one name: the later one wins, as in PHP.
    assert parse_brackets([("with", "a"), ("with[]", "b")]) == {"with": {"0": "b"}}
    assert parse_brackets([("with[]", "a"), ("with", "b")]) == {"with": "b"}


def test_keys_that_are_not_bracket_syntax_stay_plain() -> None:
    parsed = parse_brackets([("a]b", "1"), ("[0]", "2"), ("x[0]y", "3"), ("sort_by", "id")])
    assert parsed == {"a]b": "1", "[0]": "2", "x[0]y": "3", "sort_by": "id"}


def test_many_appended_values_parse_quickly() -> None:
    items = [("ids[]", str(i)) for i in range(20_000)]
    parsed = parse_brackets(items)
    assert as_list(parsed["ids"]) == [str(i) for i in range(20_000)]


@given(st.lists(st.text(max_size=20)))
def test_appended_values_round_trip(values: list[str]) -> None:
    """Any list sent as ``x[]=…`` (encoded like httpx does) comes back in order."""
    query = urlencode([("x[]", v) for v in values])
    parsed = parse_brackets(parse_qsl(query, keep_blank_values=True))
    assert as_list(parsed.get("x")) == values


NO_NUL = st.characters(
    exclude_characters="\x00", exclude_categories=("Cs",)
)  # NUL is refused on purpose (see below)


@given(st.lists(st.text(NO_NUL, min_size=1, max_size=10), min_size=1, max_size=5))
def test_indexed_filter_values_round_trip(values: list[str]) -> None:
    query = "filters[0][0]=name&" + "&".join(
        f"filters[0][1][{i}]={quote(v, safe='')}" for i, v in enumerate(values)
    )
    parsed = q(query)
    assert parsed.filters == [Filter("name", values)]


def test_as_list() -> None:
    assert as_list(None) == []
    assert as_list("a") == ["a"]
    assert as_list(["a"]) == ["a"]
    assert as_list({"10": "b", "2": "a"}) == ["a", "b"]  # numeric order, not text order
    assert as_list({"x": "1"}) == [{"x": "1"}]


# --- paging ---------------------------------------------------------------------------------


def test_defaults() -> None:
    query = q("")
    assert (query.page, query.limit, query.offset) == (1, 50, 0)
    assert query.with_ == [] and query.filters == [] and query.sort is None
    assert query.date_from is None and query.date_to is None and query.selects is None


def test_page_and_limit() -> None:
    query = q("page=3&limit=20")
    assert (query.page, query.limit, query.offset) == (3, 20, 40)


@pytest.mark.parametrize(
    ("rule", "limit", "message"),
    [
        (LimitRule(50, 100), "101", "The 'limit' parameter must be between 1 and 100"),
        (LimitRule(50, 100), "0", "The 'limit' parameter must be between 1 and 100"),
        (LimitRule(50, 200), "201", "The 'limit' parameter must be between 1 and 200"),
        (LimitRule(50, 999), "1000", "The 'limit' parameter must be between 1 and 999"),
        (LimitRule(50, 999), "-5", "The 'limit' parameter must be between 1 and 999"),
    ],
)
def test_limit_out_of_range(rule: LimitRule, limit: str, message: str) -> None:
    error = bad(f"limit={limit}", limit_rule=rule)
    assert error.message == message
    assert error.details == {
        "parameter": "limit",
        "provided_value": int(limit),
        "valid_range": f"1-{rule.maximum}",
    }


@pytest.mark.parametrize("maximum", [100, 200, 999])
def test_limit_at_the_maximum_is_allowed(maximum: int) -> None:
    assert q(f"limit={maximum}", limit_rule=LimitRule(50, maximum)).limit == maximum


def test_limit_default_per_rule() -> None:
    assert q("", limit_rule=LimitRule(default=20, maximum=100)).limit == 20


def test_limit_must_be_an_integer() -> None:
    assert bad("limit=abc").message == "The 'limit' parameter must be an integer (1-100)"
    assert "must be an integer" in bad("limit=1.5").message
    assert q("limit=").limit == 50  # empty means "not given"
    assert q("limit=%207%20").limit == 7  # surrounding spaces are tolerated


@pytest.mark.parametrize("page", ["0", "-1"])
def test_page_below_one(page: str) -> None:
    assert bad(f"page={page}").message == "The 'page' parameter must be at least 1"


def test_limit_given_as_array_is_rejected() -> None:
    assert "limit" in bad("limit[]=5").message


def test_parse_int_and_bool_helpers() -> None:
    params = {"n": "5", "flag": "TRUE", "off": "no", "junk": "maybe"}
    assert parse_int(params, "n", default=1, minimum=1, maximum=10) == 5
    assert parse_int(params, "absent", default=7, minimum=1, maximum=10) == 7
    assert parse_bool(params, "flag", default=False) is True
    assert parse_bool(params, "off", default=True) is False
    assert parse_bool(params, "absent", default=True) is True
    with pytest.raises(InvalidParameter, match="must be a boolean"):
        parse_bool(params, "junk", default=False)


# --- sort ---------------------------------------------------------------------------------------

SORTABLE = ("id", "name", "created_at")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort[0]=name&sort[1]=1", Sort("name", 1)),
        ("sort[0]=name&sort[1]=-1", Sort("name", -1)),
        ("sort[0][0]=name&sort[0][1]=asc", Sort("name", 1)),
        ("sort[0][0]=name&sort[0][1]=desc", Sort("name", -1)),
        ("sort[0][0]=name&sort[0][1]=DESC", Sort("name", -1)),
        ("sort_by=id&sort_order=1", Sort("id", 1)),
        ("sort_by=id&sort_order=-1", Sort("id", -1)),
        ("sort=name", Sort("name", -1)),  # direction defaults to the default sort's
        ("sort[0]=name", Sort("name", -1)),
        ("sort%5B0%5D=id&sort%5B1%5D=1", Sort("id", 1)),
    ],
)
def test_sort_forms(query: str, expected: Sort) -> None:
    parsed = q(query, sortable=SORTABLE, default_sort=Sort("created_at", -1))
    assert parsed.sort == expected


def test_sort_default_when_absent() -> None:
    assert q("", sortable=SORTABLE, default_sort=Sort("created_at", -1)).sort == Sort(
        "created_at", -1
    )
    assert q("", sortable=SORTABLE).sort is None


def test_sort_field_must_be_listed() -> None:
    error = bad("sort[0]=password", sortable=SORTABLE)
    assert error.message == "The sort field must be one of: id, name, created_at"
    assert error.details == {"parameter": "sort[0]", "provided_value": "password"}
    bad("sort_by=password", sortable=SORTABLE)
    bad("sort[0][0]=password&sort[0][1]=asc", sortable=SORTABLE)


@pytest.mark.parametrize("direction", ["up", "2", "0", "ascending"])
def test_sort_direction_must_be_known(direction: str) -> None:
    error = bad(f"sort[0]=id&sort[1]={direction}", sortable=SORTABLE)
    assert error.message == "The sort direction must be 1 (ascending) or -1 (descending)"


# --- dates ----------------------------------------------------------------------------------


def test_date_range_inclusive_bounds() -> None:
    parsed = q("date[0]=2026-01-01&date[1]=2026-01-31")
    assert (parsed.date_from, parsed.date_to) == (date(2026, 1, 1), date(2026, 1, 31))
    start, end = parsed.date_bounds()
    # Every moment of both named days is inside [start, end).
    assert start == datetime(2026, 1, 1, 0, 0, 0)
    assert end == datetime(2026, 2, 1, 0, 0, 0)


def test_single_day_range_is_allowed() -> None:
    parsed = q("date[0]=2026-01-05&date[1]=2026-01-05")
    assert parsed.date_bounds() == (datetime(2026, 1, 5), datetime(2026, 1, 6))


def test_open_ended_ranges() -> None:
    assert q("date[0]=2026-01-05").date_bounds() == (datetime(2026, 1, 5), None)
    assert q("date[1]=2026-01-05").date_bounds() == (None, datetime(2026, 1, 6))
    assert q("").date_bounds() == (None, None)


def test_reversed_range_is_400() -> None:
    error = bad("date[0]=2026-02-01&date[1]=2026-01-01")
    assert error.message == "date[0] must not be after date[1]"


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2026-01-01&date_to=2026-01-31",
        "date_from=2026-01-01T08:30:00&date_to=2026-01-31T23:59:59",
        "date_from=2026-01-01 08:30:00&date_to=2026-01-31",
        "date%5B0%5D=2026-01-01&date%5B1%5D=2026-01-31",
    ],
)
def test_date_aliases(query: str) -> None:
    parsed = q(query)
    assert (parsed.date_from, parsed.date_to) == (date(2026, 1, 1), date(2026, 1, 31))


def test_reversed_alias_range_is_400() -> None:
    bad("date_from=2026-02-01&date_to=2026-01-01")


@pytest.mark.parametrize(
    "value",
    ["yesterday", "2026-13-01", "2026-02-30", "2026-01-01garbage", "20260101", "01/02/2026"],
)
def test_bad_dates(value: str) -> None:
    error = bad(f"date[0]={quote(value)}")
    assert error.message == "The 'date[0]' parameter must be a date in YYYY-MM-DD format"


# --- with / selects / filters ---------------------------------------------------------------


def test_with_forms() -> None:
    assert q("with[0]=category&with[1]=station").with_ == ["category", "station"]
    assert q("with[]=taxes&with[]=modifications").with_ == ["taxes", "modifications"]
    assert q("with=group").with_ == ["group"]
    assert q("with[0]=group,balance").with_ == ["group", "balance"]
    assert q("with_=receipt%3Aid").with_ == ["receipt:id"]
    assert q("with_=status").has_with("status")


def test_with_relation_columns_stay_one_value() -> None:
    parsed = q("with[0]=receipt:id,service_notification_id,status")
    assert parsed.with_ == ["receipt:id,service_notification_id,status"]
    assert not parsed.has_with("status")


def test_selects() -> None:
    assert q("selects=id,name,%20price").selects == ["id", "name", "price"]
    assert q("selects[]=id&selects[]=name").selects == ["id", "name"]
    assert q("selects=").selects is None


def test_filters_scalar_and_list() -> None:
    parsed = q(
        "filters[0][0]=type&filters[0][1][0]=GOODS&filters[0][1][1]=DISH"
        "&filters[1][0]=name&filters[1][1]=Latte"
    )
    assert parsed.filters == [Filter("type", ["GOODS", "DISH"]), Filter("name", "Latte")]
    assert parsed.filter_values("type") == ["GOODS", "DISH"]
    assert parsed.filter_values("name") == ["Latte"]
    assert parsed.filter_values("id") is None


def test_filters_on_one_field_accumulate() -> None:
    parsed = q("filters[0][0]=id&filters[0][1]=1&filters[1][0]=id&filters[1][1][]=2")
    assert parsed.filter_values("id") == ["1", "2"]


def test_filter_value_defaults_to_empty_string() -> None:
    assert q("filters[0][0]=name").filters == [Filter("name", "")]


def test_existing_client_filter_and_filters_merge() -> None:
    # integrify sends filters[i][0] for the field and filter[i][1] for the value (§4 table).
    parsed = q("with[0]=group&filters[0][0]=name&filter[0][1]=John")
    assert parsed.filters == [Filter("name", "John")]
    only_filter = q("filter[0][0]=phones&filter[0][1]=%2B994")
    assert only_filter.filters == [Filter("phones", "+994")]


@pytest.mark.parametrize(
    "query",
    [
        "filters[0][1]=x",
        "filters=name",
        "filters[0][0][0]=name",
        "filters[0][0]=id&filters[0][1][0][0]=1",
    ],
)
def test_malformed_filters(query: str) -> None:
    assert bad(query).message == "Invalid filter parameters"


def test_nul_characters_are_refused() -> None:
    assert "NUL" in bad("filters[0][0]=name&filters[0][1]=a%00b").message
    bad("pa%00ge=1")


def test_scalar_helper() -> None:
    parsed = q("status=1&ids[]=2")
    assert parsed.scalar("status") == "1"
    assert parsed.scalar("ids") is None
    assert parsed.scalar("missing") is None


# --- the existing client's JSON-key query on products -----------------------------------------


def test_json_key_query() -> None:
    payload = {
        "page": 2,
        "limit": 20,
        "selects[]": "id,name,price",
        "filters": {"type": ["type", ["GOODS", "DISH"]], "hidden": ["hidden", True]},
    }
    raw = urlencode({json.dumps(payload): ""})  # what httpx puts on the wire
    parsed = q(raw)
    assert (parsed.page, parsed.limit) == (2, 20)
    assert parsed.selects == ["id", "name", "price"]
    assert parsed.filters == [Filter("type", ["GOODS", "DISH"]), Filter("hidden", "1")]


def test_json_key_query_empty_object() -> None:
    parsed = q(urlencode({"{}": ""}))
    assert (parsed.page, parsed.limit, parsed.filters, parsed.selects) == (1, 50, [], None)


def test_json_key_query_limits_still_apply() -> None:
    assert bad(urlencode({json.dumps({"limit": 500}): ""})).message == (
        "The 'limit' parameter must be between 1 and 100"
    )


def test_broken_json_key_query_is_400() -> None:
    assert "JSON" in bad(urlencode({'{"page": ': ""})).message


def test_append_index_is_per_array_even_after_replacements() -> None:
    # Each x{i} array is replaced by a scalar, freeing its dict; the y{i} arrays made next
    # must still start at index 0 (a counter keyed only by id() would be reused).
    items: list[tuple[str, str]] = []
    for i in range(50):
        items += [(f"x{i}[]", "a"), (f"x{i}", "s"), (f"y{i}[]", "c")]
    parsed = parse_brackets(items)
    assert all(parsed[f"x{i}"] == "s" for i in range(50))
    assert [parsed[f"y{i}"] for i in range(50)] == [{"0": "c"}] * 50


def test_non_ascii_digit_indexes_are_not_list_positions() -> None:
    # "²".isdigit() is True but int("²") fails: such keys must not be read as indexes.
    assert as_list({"²": "a"}) == [{"²": "a"}]
    query = parse_list_query([("with[²]", "group")], limit_rule=LimitRule())
    assert query.with_ == []
