"""The unified API's wire format (unified-pos.md §1.3, §3, §4): envelopes, query parameters,
cursors, links and the ``fields`` projection — pure functions, no server."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clopos.unified.errors import UnifiedError
from clopos.unified.wire import (
    Cursor,
    decode_cursor,
    encode_cursor,
    error_body,
    not_found,
    page_links,
    page_meta,
    parse_query,
    project,
    success_body,
    unsupported_operation,
)

# --- envelopes ----------------------------------------------------------------------------


def test_success_body_has_the_six_required_members_and_no_raw_by_default() -> None:
    body = success_body(status_code=200, resource="orders", operation="one", data={"id": "1"})
    assert body == {
        "status_code": 200,
        "status": "OK",
        "service": "clopos",
        "resource": "orders",
        "operation": "one",
        "data": {"id": "1"},
    }


def test_success_body_for_a_create_says_created_and_carries_raw_when_asked() -> None:
    body = success_body(
        status_code=201,
        resource="orders",
        operation="add",
        data={"id": "108"},
        raw={"success": True},
        include_raw=True,
    )
    assert body["status"] == "Created"
    assert body["_raw"] == {"success": True}


def test_raw_is_present_even_when_the_downstream_answer_is_null() -> None:
    body = success_body(
        status_code=200, resource="orders", operation="delete", data={}, include_raw=True
    )
    assert "_raw" in body and body["_raw"] is None


def test_error_body_matches_the_spec_example() -> None:
    body = error_body(not_found("order", "108"))
    assert body == {
        "status_code": 404,
        "error": "Not Found",
        "type_name": "EntityNotFoundError",
        "message": "Unknown Order",
        "detail": {"not_found": {"entity": "order", "id": "108"}},
        "ref": "https://developers.apideck.com/errors#entitynotfounderror",
    }


def test_error_body_carries_downstream_errors_only_when_given() -> None:
    plain = error_body(UnifiedError(422, "InvalidStateError", "frozen"))
    assert "downstream_errors" not in plain and plain["detail"] is None
    downstream = [{"message": "Order not found", "detail": None, "code": "resource_not_found"}]
    body = error_body(
        UnifiedError(404, "ConnectorExecutionError", "m", downstream_errors=downstream)
    )
    assert body["downstream_errors"] == downstream
    assert body["error"] == "Not Found"


def test_unsupported_operation_is_a_501() -> None:
    body = error_body(unsupported_operation("items", "add"))
    assert body["status_code"] == 501
    assert body["error"] == "Not Implemented"
    assert body["type_name"] == "ConnectorOperationUnsupportedError"
    assert body["ref"].endswith("#connectoroperationunsupportederror")


# --- query parameters ---------------------------------------------------------------------


def _error(items: list[tuple[str, str]], **kwargs: object) -> UnifiedError:
    with pytest.raises(UnifiedError) as caught:
        parse_query(items, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_defaults_when_nothing_is_sent() -> None:
    query = parse_query([])
    assert (query.raw, query.fields, query.limit, query.cursor) == (False, None, 20, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("false", False), ("true", True), ("TRUE", True), ("1", True), ("0", False), ("", False)],
)
def test_raw_accepts_booleans(text: str, expected: bool) -> None:
    assert parse_query([("raw", text)]).raw is expected


def test_raw_rejects_other_words() -> None:
    error = _error([("raw", "yes please")])
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert "raw" in error.message


@pytest.mark.parametrize("limit", ["1", "20", "200"])
def test_limit_in_range(limit: str) -> None:
    assert parse_query([("limit", limit)]).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "201", "-1", "abc", "1.5", "", "２０"])
def test_limit_out_of_range_is_a_400_naming_limit(limit: str) -> None:
    error = _error([("limit", limit)])
    assert (error.status_code, error.type_name) == (400, "RequestValidationError")
    assert "limit" in error.message


def test_fields_are_split_trimmed_and_deduplicated() -> None:
    query = parse_query([("fields", " id, line_items.name,,id ")])
    assert query.fields == ("id", "line_items.name")
    assert parse_query([("fields", " , ")]).fields is None


def test_fields_with_odd_characters_are_a_400() -> None:
    error = _error([("fields", "id,na$me")])
    assert error.type_name == "RequestValidationError" and "na$me" in error.message


def test_supported_filter_is_kept_and_others_are_refused() -> None:
    query = parse_query([("filter[modifier_group_id]", "7")], filters={"modifier_group_id"})
    assert query.filters == {"modifier_group_id": "7"}
    error = _error([("filter[email]", "a@b.c")], filters={"modifier_group_id"})
    assert (error.status_code, error.type_name) == (400, "UnsupportedFiltersError")
    assert "email" in error.message
    assert error.detail["unsupported_filters"] == ["email"]  # type: ignore[index]


def test_sort_on_an_unsupported_field_is_refused() -> None:
    error = _error([("sort[by]", "name")])
    assert (error.status_code, error.type_name) == (400, "UnsupportedSortFieldError")
    assert "name" in error.message
    error = _error([("sort[weird]", "x")], sorts={"created_at"})
    assert error.type_name == "UnsupportedSortFieldError"


def test_sort_on_a_supported_field_and_direction() -> None:
    query = parse_query(
        [("sort[by]", "created_at"), ("sort[direction]", "desc")], sorts={"created_at"}
    )
    assert query.sorts == {"by": "created_at", "direction": "desc"}
    error = _error([("sort[by]", "created_at"), ("sort[direction]", "up")], sorts={"created_at"})
    assert error.type_name == "RequestValidationError"


def test_pass_through_and_plain_parameters_are_extracted() -> None:
    query = parse_query(
        [("pass_through[status]", "PENDING"), ("location_id", "1"), ("cursor", "abc")]
    )
    assert query.pass_through == {"status": "PENDING"}
    assert query.params == {"location_id": "1"}
    assert query.cursor == "abc"


def test_empty_brackets_are_a_400() -> None:
    assert _error([("filter[]", "x")]).type_name == "RequestValidationError"


# --- cursors ------------------------------------------------------------------------------


def test_cursor_round_trip_and_readable_prefix() -> None:
    cursor = Cursor(resource="orders", page=3, offsets={"o:1": 40, "r:1": 7})
    text = encode_cursor(cursor)
    assert decode_cursor(text, resource="orders") == cursor
    decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    assert decoded.startswith("clopos::page::3::")
    # URL-safe: no characters that need escaping in a query string.
    assert all(c.isalnum() or c in "-_" for c in text)


def test_cursor_accepts_standard_base64_with_padding() -> None:
    text = "clopos::page::2::" + json.dumps({"r": "items", "o": {"all": 20}})
    standard = base64.b64encode(text.encode()).decode()
    assert decode_cursor(standard, resource="items").offsets == {"all": 20}


@pytest.mark.parametrize(
    "text",
    [
        "not base64 !!",
        base64.b64encode(b"zoho-crm::page::3").decode(),  # Apideck's example: not ours
        base64.b64encode(b"clopos::page::x::{}").decode(),
        base64.b64encode(b"clopos::page::2::[1]").decode(),
        base64.b64encode(b'clopos::page::2::{"r":"orders","o":{"a":-1}}').decode(),
        base64.b64encode(b'clopos::page::2::{"r":"orders","o":{"a":1.5}}').decode(),
        base64.b64encode(b'clopos::page::2::{"r":"orders","o":{"a":true}}').decode(),
        base64.b64encode(b'clopos::page::0::{"r":"orders","o":{}}').decode(),
        base64.b64encode(b"\xff\xfe").decode(),
        "A" * 5000,
    ],
)
def test_cursors_we_did_not_issue_are_a_400(text: str) -> None:
    with pytest.raises(UnifiedError) as caught:
        decode_cursor(text, resource="orders")
    assert (caught.value.status_code, caught.value.type_name) == (400, "InvalidCursorError")


def test_a_cursor_of_another_list_is_refused() -> None:
    text = encode_cursor(Cursor(resource="items", page=2, offsets={"all": 20}))
    with pytest.raises(UnifiedError) as caught:
        decode_cursor(text, resource="orders")
    assert caught.value.type_name == "InvalidCursorError"


@given(
    page=st.integers(min_value=1, max_value=10**6),
    offsets=st.dictionaries(
        st.text(min_size=1, max_size=8), st.integers(min_value=0, max_value=10**9), max_size=6
    ),
)
def test_any_cursor_we_issue_decodes_back(page: int, offsets: dict[str, int]) -> None:
    cursor = Cursor(resource="orders", page=page, offsets=offsets)
    assert decode_cursor(encode_cursor(cursor), resource="orders") == cursor


@given(st.text(max_size=60))
def test_arbitrary_text_is_either_a_cursor_or_a_400(text: str) -> None:
    try:
        decode_cursor(text, resource="orders")
    except UnifiedError as error:
        assert error.status_code == 400 and error.type_name == "InvalidCursorError"


# --- meta and links -----------------------------------------------------------------------


def test_meta_and_links_of_a_first_page() -> None:
    meta = page_meta(1, current=None, next_cursor="Y2xv", previous=None)
    assert meta == {
        "items_on_page": 1,
        "cursors": {"previous": None, "current": None, "next": "Y2xv"},
    }
    links = page_links(
        "http://127.0.0.1:8000/pos/orders",
        [("raw", "false"), ("limit", "1")],
        current=None,
        next_cursor="Y2xv",
        previous=None,
    )
    assert links == {
        "previous": None,
        "current": "http://127.0.0.1:8000/pos/orders?raw=false&limit=1",
        "next": "http://127.0.0.1:8000/pos/orders?raw=false&limit=1&cursor=Y2xv",
    }


def test_links_replace_the_cursor_and_end_with_null_next() -> None:
    links = page_links(
        "http://h/pos/items",
        [("cursor", "old"), ("fields", "id,name")],
        current="old",
        next_cursor=None,
        previous="prev",
    )
    assert links["current"] == "http://h/pos/items?fields=id%2Cname&cursor=old"
    assert links["previous"] == "http://h/pos/items?fields=id%2Cname&cursor=prev"
    assert links["next"] is None
    assert (
        page_links("http://h/pos/items", [], current=None, next_cursor=None, previous=None)[
            "current"
        ]
        == "http://h/pos/items"
    )


# --- fields -------------------------------------------------------------------------------

ORDER = {
    "id": "1",
    "status": "open",
    "customers": None,
    "note": "hi",
    "line_items": [
        {"id": "1-0", "name": "Pizza", "modifiers": [{"id": "5", "name": "Cheese"}]},
        {"id": "1-1", "name": "Cola", "modifiers": []},
    ],
    "fulfillments": [{"pickup_details": {"recipient": {"display_name": "Ada", "phone": "1"}}}],
}


def test_project_top_level_fields() -> None:
    assert project(ORDER, ("id", "status", "missing")) == {"id": "1", "status": "open"}


def test_project_dot_paths_through_arrays() -> None:
    assert project(ORDER, ("line_items.name", "line_items.modifiers.name")) == {
        "line_items": [
            {"name": "Pizza", "modifiers": [{"name": "Cheese"}]},
            {"name": "Cola", "modifiers": []},
        ]
    }
    assert project(ORDER, ("fulfillments.pickup_details.recipient.display_name",)) == {
        "fulfillments": [{"pickup_details": {"recipient": {"display_name": "Ada"}}}]
    }


def test_a_whole_field_wins_over_its_sub_paths_in_any_order() -> None:
    for fields in (("line_items", "line_items.name"), ("line_items.name", "line_items")):
        assert project(ORDER, fields) == {"line_items": ORDER["line_items"]}


def test_sub_path_into_null_or_scalar_keeps_the_value() -> None:
    assert project(ORDER, ("customers.id", "note.x")) == {"customers": None, "note": "hi"}


def test_project_a_list_and_no_projection() -> None:
    assert project([ORDER, {"id": "2"}], ("id",)) == [{"id": "1"}, {"id": "2"}]
    assert project(ORDER, None) is ORDER
