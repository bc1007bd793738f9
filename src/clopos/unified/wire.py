"""Apideck's wire format for the unified POS API, as pure functions (unified-pos.md §1, §3, §4).

Nothing here does I/O: the routes (``api.py``) hand in the query string, the data and the
request URL, and get back the bodies to send.

* Envelopes: ``success_body`` (§3) and ``error_body`` (§4, from ``UnifiedError``).
* Query parameters: ``parse_query`` reads ``raw``, ``fields``, ``limit``, ``cursor``,
  ``filter[...]``, ``sort[...]`` and ``pass_through[...]`` (§1.3) and rejects what we cannot
  honour with the documented 400s.
* Paging: opaque cursors (``Cursor``, ``encode_cursor``, ``decode_cursor``), ``page_meta``
  and ``page_links``.
* ``project``: the ``fields`` projection, dot paths into nested objects and arrays.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import urlencode

from clopos.unified.errors import UnifiedError

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SERVICE_ID",
    "Cursor",
    "QueryParams",
    "decode_cursor",
    "encode_cursor",
    "error_body",
    "error_ref",
    "invalid_request",
    "not_found",
    "page_links",
    "page_meta",
    "parse_query",
    "project",
    "reason_phrase",
    "success_body",
    "unsupported_operation",
]

SERVICE_ID: Final = "clopos"
DEFAULT_LIMIT: Final = 20
MIN_LIMIT: Final = 1
MAX_LIMIT: Final = 200
ERROR_DOCS: Final = "https://developers.apideck.com/errors#"

# Apideck's own cursors decode to ``<service>::page::<n>`` (spec §3); ours add the state a
# page needs after a third ``::`` so the text stays recognisable when decoded.
CURSOR_PREFIX: Final = f"{SERVICE_ID}::page::"
# A cursor is small: anything longer was not issued by us.
MAX_CURSOR_CHARS: Final = 2048
MAX_OFFSET: Final = 10**9
MAX_FIELDS: Final = 100
_FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_BRACKETED = re.compile(r"^(filter|sort|pass_through)\[([^\[\]]*)\]$")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0", ""})


# --- envelopes ----------------------------------------------------------------------------


def reason_phrase(status_code: int) -> str:
    """The HTTP reason phrase (``"OK"``, ``"Created"``, ``"Not Found"``)."""
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def success_body(
    *,
    status_code: int,
    resource: str,
    operation: str,
    data: Any,
    meta: Mapping[str, Any] | None = None,
    links: Mapping[str, Any] | None = None,
    raw: Any = None,
    include_raw: bool = False,
) -> dict[str, Any]:
    """The success envelope of spec §3.

    ``status`` is the reason phrase of ``status_code`` (``"Created"`` for 201, our reading of
    §3); ``_raw`` is added only when the caller asked with ``raw=true`` (``include_raw``).
    """
    body: dict[str, Any] = {
        "status_code": status_code,
        "status": reason_phrase(status_code),
        "service": SERVICE_ID,
        "resource": resource,
        "operation": operation,
        "data": data,
    }
    if meta is not None:
        body["meta"] = dict(meta)
    if links is not None:
        body["links"] = dict(links)
    if include_raw:
        body["_raw"] = raw
    return body


def error_ref(type_name: str) -> str:
    """The documentation link of an error type (spec §4: ``…/errors#<typename lowercased>``)."""
    return f"{ERROR_DOCS}{type_name.lower()}"


def error_body(error: UnifiedError) -> dict[str, Any]:
    """The error envelope of spec §4 for ``error``.

    ``detail`` is always present (``null`` when there is nothing to add) so clients can read
    it without a key check; ``downstream_errors`` only when the error carries them.
    """
    body: dict[str, Any] = {
        "status_code": error.status_code,
        "error": error.error,
        "type_name": error.type_name,
        "message": error.message,
        "detail": error.detail,
        "ref": error_ref(error.type_name),
    }
    if error.downstream_errors is not None:
        body["downstream_errors"] = [dict(item) for item in error.downstream_errors]
    return body


def invalid_request(message: str, detail: Any = None) -> UnifiedError:
    """400 ``RequestValidationError``: the request itself is malformed."""
    return UnifiedError(400, "RequestValidationError", message, detail)


def not_found(entity: str, entity_id: str) -> UnifiedError:
    """404 ``EntityNotFoundError`` in the shape of the spec's example (§4)."""
    return UnifiedError(
        404,
        "EntityNotFoundError",
        f"Unknown {entity.replace('_', ' ').title()}",
        {"not_found": {"entity": entity, "id": entity_id}},
    )


def unsupported_operation(resource: str, operation: str) -> UnifiedError:
    """501 ``ConnectorOperationUnsupportedError`` for a write Clopos cannot do (spec §2, §7)."""
    return UnifiedError(
        501,
        "ConnectorOperationUnsupportedError",
        f"The clopos connector does not support {operation} on {resource}",
        {"service": SERVICE_ID, "resource": resource, "operation": operation},
    )


# --- cursors ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where the next page of a list starts.

    ``page`` is the 1-based number of the page the cursor opens (what Apideck's own cursors
    carry); ``offsets`` is the position reached in each upstream stream (one stream for a
    catalog list, one per venue and kind for the orders union of spec §6.2). ``resource``
    ties the cursor to its list, so a cursor of ``/pos/items`` is refused by ``/pos/orders``.
    """

    resource: str
    page: int
    offsets: Mapping[str, int] = field(default_factory=dict)


def _invalid_cursor(reason: str) -> UnifiedError:
    return UnifiedError(
        400,
        "InvalidCursorError",
        "The cursor is not one this API issued; use meta.cursors.next of the previous page",
        reason,
    )


def encode_cursor(cursor: Cursor) -> str:
    """Opaque URL-safe base64 of ``clopos::page::<n>::{"r": resource, "o": offsets}``."""
    state = json.dumps(
        {"r": cursor.resource, "o": dict(sorted(cursor.offsets.items()))},
        separators=(",", ":"),
    )
    text = f"{CURSOR_PREFIX}{cursor.page}::{state}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str, *, resource: str) -> Cursor:
    """The cursor ``text`` stands for; 400 ``InvalidCursorError`` unless we issued it for
    ``resource``. Both base64 alphabets and missing padding are accepted."""
    if len(text) > MAX_CURSOR_CHARS:
        raise _invalid_cursor("too long")
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid_cursor("not base64") from None
    if not raw.startswith(CURSOR_PREFIX):
        raise _invalid_cursor("unknown format")
    page_text, sep, state_text = raw[len(CURSOR_PREFIX) :].partition("::")
    if not sep or not page_text.isascii() or not page_text.isdigit():
        raise _invalid_cursor("unknown format")
    page = int(page_text)
    try:
        state = json.loads(state_text)
    except ValueError:
        raise _invalid_cursor("unknown format") from None
    if not isinstance(state, dict) or not isinstance(state.get("o"), dict):
        raise _invalid_cursor("unknown format")
    if state.get("r") != resource:
        raise _invalid_cursor(f"issued for another list ({state.get('r')!r})")
    offsets: dict[str, int] = {}
    for key, value in state["o"].items():
        valid = type(value) is int and 0 <= value <= MAX_OFFSET
        if not valid:
            raise _invalid_cursor("bad position")
        offsets[str(key)] = value
    if not 1 <= page <= MAX_OFFSET:
        raise _invalid_cursor("bad page")
    return Cursor(resource=resource, page=page, offsets=offsets)


# --- query parameters ---------------------------------------------------------------------


@dataclass(frozen=True)
class QueryParams:
    """The query parameters of one unified request, checked.

    ``params`` keeps the other plain parameters by name (``location_id``); ``filters``,
    ``sorts`` and ``pass_through`` hold the bracketed ones by their inner name.
    """

    raw: bool = False
    fields: tuple[str, ...] | None = None
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    sorts: dict[str, str] = field(default_factory=dict)
    pass_through: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def _parse_raw(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise invalid_request(
        f"raw must be true or false, got {value!r}", {"invalid": [{"raw": "boolean"}]}
    )


def _parse_limit(value: str) -> int:
    text = value.strip()
    number = int(text) if text.isascii() and text.lstrip("-").isdigit() and text else None
    if number is None or not MIN_LIMIT <= number <= MAX_LIMIT:
        raise invalid_request(
            f"limit must be an integer from {MIN_LIMIT} to {MAX_LIMIT}, got {value!r}",
            {"invalid": [{"limit": f"integer {MIN_LIMIT}-{MAX_LIMIT}"}]},
        )
    return number


def _parse_fields(value: str) -> tuple[str, ...] | None:
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        return None
    if len(names) > MAX_FIELDS:
        raise invalid_request(f"fields may name at most {MAX_FIELDS} fields")
    for name in names:
        if not _FIELD_PATH.match(name):
            raise invalid_request(
                f"fields: {name!r} is not a field name (letters, digits, _ and dots)",
                {"invalid": [{"fields": name}]},
            )
    return tuple(dict.fromkeys(names))


def parse_query(
    items: Iterable[tuple[str, str]],
    *,
    filters: Collection[str] = (),
    sorts: Collection[str] = (),
) -> QueryParams:
    """Read the query string (``request.query_params.multi_items()``) of one operation.

    ``filters`` / ``sorts`` name the ``filter[...]`` / ``sort[...]`` keys this operation
    supports; any other → 400 ``UnsupportedFiltersError`` / ``UnsupportedSortFieldError``
    (spec §1.3). ``sort[by]`` names the field and ``sort[direction]`` is ``asc``/``desc``
    (Apideck's deepObject form). Unknown plain parameters are kept in ``params`` for the
    route to ignore, as HTTP APIs do. A repeated parameter: the last value wins.
    """
    raw = False
    fields: tuple[str, ...] | None = None
    limit = DEFAULT_LIMIT
    cursor: str | None = None
    found_filters: dict[str, str] = {}
    found_sorts: dict[str, str] = {}
    pass_through: dict[str, str] = {}
    params: dict[str, str] = {}
    for name, value in items:
        bracketed = _BRACKETED.match(name)
        if bracketed is not None:
            kind, key = bracketed.groups()
            if not key:
                raise invalid_request(f"{name} needs a name inside the brackets")
            if kind == "filter":
                if key not in filters:
                    raise UnifiedError(
                        400,
                        "UnsupportedFiltersError",
                        f"Unsupported filter {key!r}"
                        + (f"; supported: {', '.join(sorted(filters))}" if filters else ""),
                        {"unsupported_filters": [key], "supported_filters": sorted(filters)},
                    )
                found_filters[key] = value
            elif kind == "sort":
                found_sorts[key] = value
            else:
                pass_through[key] = value
            continue
        if name == "raw":
            raw = _parse_raw(value)
        elif name == "fields":
            fields = _parse_fields(value)
        elif name == "limit":
            limit = _parse_limit(value)
        elif name == "cursor":
            cursor = value.strip() or None
        else:
            params[name] = value
    _check_sort(found_sorts, sorts)
    return QueryParams(
        raw=raw,
        fields=fields,
        limit=limit,
        cursor=cursor,
        filters=found_filters,
        sorts=found_sorts,
        pass_through=pass_through,
        params=params,
    )


def _check_sort(found: Mapping[str, str], supported: Collection[str]) -> None:
    if not found:
        return
    unknown_keys = [key for key in found if key not in ("by", "direction")]
    field_name = found.get("by")
    if unknown_keys or (field_name is not None and field_name not in supported):
        shown = field_name if field_name is not None and not unknown_keys else unknown_keys[0]
        raise UnifiedError(
            400,
            "UnsupportedSortFieldError",
            f"Unsupported sort field {shown!r}"
            + (f"; supported: {', '.join(sorted(supported))}" if supported else ""),
            {"unsupported_sort_field": shown, "supported_sort_fields": sorted(supported)},
        )
    direction = found.get("direction")
    if direction is not None and direction.lower() not in ("asc", "desc"):
        raise invalid_request(
            f"sort[direction] must be asc or desc, got {direction!r}",
            {"invalid": [{"sort[direction]": "asc|desc"}]},
        )


# --- paging -------------------------------------------------------------------------------


def page_meta(
    items_on_page: int, *, current: str | None, next_cursor: str | None, previous: str | None
) -> dict[str, Any]:
    """``meta`` of a list (spec §3): the item count and the three cursors."""
    return {
        "items_on_page": items_on_page,
        "cursors": {"previous": previous, "current": current, "next": next_cursor},
    }


def page_links(
    base_url: str,
    query: Sequence[tuple[str, str]],
    *,
    current: str | None,
    next_cursor: str | None,
    previous: str | None,
) -> dict[str, str | None]:
    """``links`` of a list: the same call with each cursor (spec §3).

    ``base_url`` is the request URL without its query; ``query`` the parameters as sent.
    The ``cursor`` parameter is replaced (and dropped for the first page).
    """
    kept = [(name, value) for name, value in query if name != "cursor"]

    def url(cursor: str | None) -> str:
        pairs = [*kept, ("cursor", cursor)] if cursor is not None else kept
        return f"{base_url}?{urlencode(pairs)}" if pairs else base_url

    return {
        "previous": url(previous) if previous is not None else None,
        "current": url(current),
        "next": url(next_cursor) if next_cursor is not None else None,
    }


# --- the fields projection ----------------------------------------------------------------

_WHOLE: Final[dict[str, Any]] = {}


def _field_tree(fields: Iterable[str]) -> dict[str, Any]:
    """``["id", "line_items.name"]`` → ``{"id": WHOLE, "line_items": {"name": WHOLE}}``;
    a whole field wins over any of its sub-paths."""
    tree: dict[str, Any] = {}
    for path in fields:
        node = tree
        parts = path.split(".")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            existing = node.get(part)
            if existing is _WHOLE:
                break
            if last:
                node[part] = _WHOLE
                break
            if existing is None:
                existing = {}
                node[part] = existing
            node = existing
    return tree


def _apply(tree: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, list):
        return [_apply(tree, item) for item in value]
    if not isinstance(value, Mapping):
        # A sub-path into a scalar or null: keep null (the field exists, empty), the scalar
        # too — the client asked for something under it and the whole value is the answer.
        return value
    out: dict[str, Any] = {}
    for key, sub in tree.items():
        if key not in value:
            continue
        out[key] = value[key] if sub is _WHOLE else _apply(sub, value[key])
    return out


def project(data: Any, fields: Sequence[str] | None) -> Any:
    """Keep only ``fields`` (dot paths) of ``data``: an object, or a list of objects.

    ``line_items.name`` keeps ``name`` in every element of the ``line_items`` array; a
    field the object does not have is left out. ``None`` means no projection.
    """
    if not fields:
        return data
    return _apply(_field_tree(fields), data)
