"""PHP/Laravel bracket query parsing (spec §4.2, §4.3) — pure, no I/O.

The Open API encodes arrays and tuples as bracketed keys: ``with[0]=a``, ``with[]=b``,
``filters[0][0]=type&filters[0][1][0]=GOODS``, ``sort[0]=created_at&sort[1]=-1``,
``date[0]=2026-01-01``. Starlette already percent-decodes keys, so encoded brackets
(``filters%5B0%5D%5B0%5D``) arrive as plain brackets here.

Tolerated quirks of the existing Python client (existing-python-client.md §8.3): the
JSON-object query key on products, ``filter[i][1]`` beside ``filters[i][0]``, ``with_``,
``sort_by/sort_order/date_from/date_to``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from clopos.server.errors import InvalidParameter

_BRACKET_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

Nested = dict[str, Any]

# Ids are PostgreSQL INTEGER columns: a larger number names no row, and sending it to the
# database would fail with an out-of-range error instead of a clear answer.
MAX_ID = 2**31 - 1


def id_from_text(raw: str) -> int | None:
    """``" 2 "`` → ``2``; ``None`` unless the text is ASCII digits only.

    ``str.isdigit`` alone is not enough: it accepts ``"²"`` and Arabic-Indic digits.
    """
    text = raw.strip()
    if not text or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def path_id(raw: str) -> int | None:
    """A ``/{id}`` path segment as an id that can exist (1…MAX_ID), else ``None`` (→ 404)."""
    number = id_from_text(raw)
    return number if number is not None and 1 <= number <= MAX_ID else None


def parse_brackets(items: Iterable[tuple[str, str]]) -> Nested:
    """Turn ``[("filters[0][1][]", "a")]`` into ``{"filters": {"0": {"1": {"0": "a"}}}}``.

    Keys are kept as strings; ``[]`` appends the next free integer index (one more than the
    largest integer key so far, as PHP does). A key given twice keeps the last value.
    """
    root: Nested = {}
    # Next ``[]`` index per dict, by identity, so appending stays O(1) per value. The dict is
    # kept in the entry too: a replaced dict must not be freed and its id reused.
    next_index: dict[int, tuple[Nested, int]] = {}

    def child_key(node: Nested, segment: str) -> str:
        current = next_index.get(id(node), (node, 0))[1]
        if segment == "":
            index = current
        elif segment.isascii() and segment.isdigit():
            index = int(segment)
        else:
            return segment
        next_index[id(node)] = (node, max(current, index + 1))
        return str(index) if segment == "" else segment

    for raw_key, value in items:
        match = _BRACKET_KEY.match(raw_key)
        segments = _SEGMENT.findall(match.group(2)) if match else []
        if not match or not segments:  # a plain key, or one that is not bracket syntax
            root[raw_key] = value
            continue
        name = match.group(1)
        node = root.get(name)
        if not isinstance(node, dict):
            node = {}
            root[name] = node
        for i, segment in enumerate(segments):
            key = child_key(node, segment)
            if i == len(segments) - 1:
                node[key] = value
            else:
                child = node.get(key)
                if not isinstance(child, dict):
                    child = {}
                    node[key] = child
                node = child
    return root


def as_list(value: Any) -> list[Any]:
    """A bracket dict with numeric keys as a list ordered by index; a scalar as ``[scalar]``."""
    if value is None:
        return []
    if isinstance(value, dict):
        if all(k.isascii() and k.isdigit() for k in value):
            return [value[k] for k in sorted(value, key=int)]
        return [value]
    if isinstance(value, list):
        return value
    return [value]


@dataclass(frozen=True)
class Filter:
    """One ``filters[N]`` tuple: field name and a scalar or list value."""

    field: str
    value: str | list[str]

    def values(self) -> list[str]:
        """The value as a list (a scalar becomes a one-item list)."""
        return list(self.value) if isinstance(self.value, list) else [self.value]


@dataclass(frozen=True)
class Sort:
    """``sort[0]`` field and ``sort[1]`` direction (1 ascending, -1 descending)."""

    field: str
    direction: int


@dataclass(frozen=True)
class LimitRule:
    """Per-resource page size bounds (spec §4.2)."""

    default: int = 50
    maximum: int = 100


@dataclass
class ListQuery:
    """Everything a list endpoint reads from its query string."""

    page: int = 1
    limit: int = 50
    with_: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    sort: Sort | None = None
    date_from: date | None = None
    date_to: date | None = None
    selects: list[str] | None = None
    params: Nested = field(default_factory=dict)

    @property
    def offset(self) -> int:
        """Rows to skip for the current page."""
        return (self.page - 1) * self.limit

    def filter_values(self, name: str) -> list[str] | None:
        """All values given for filter ``name`` (``None`` when not filtered on)."""
        found: list[str] | None = None
        for f in self.filters:
            if f.field == name:
                found = (found or []) + f.values()
        return found

    def reject_filters(self) -> None:
        """400 ``invalid_parameter`` for a list that has no filters: ignoring one would
        silently return rows the caller asked to exclude."""
        if self.filters:
            raise InvalidParameter(
                "Invalid filter parameters",
                details={"parameter": "filters", "provided_value": self.filters[0].field},
            )

    def has_with(self, name: str) -> bool:
        """Whether ``with[]`` asked for relation ``name``."""
        return name in self.with_

    def date_bounds(self) -> tuple[datetime | None, datetime | None]:
        """``date[0]``/``date[1]`` as ``[start, end)`` datetimes: both days inclusive (§4.3).

        Filter with ``column >= start`` and ``column < end``; ``end`` is midnight after
        ``date[1]``, so every moment of the last day matches.
        """
        start = datetime.combine(self.date_from, time.min) if self.date_from else None
        end = datetime.combine(self.date_to, time.min) + timedelta(days=1) if self.date_to else None
        return start, end

    def scalar(self, name: str) -> str | None:
        """A plain (non-bracket) parameter as a string, or ``None``."""
        value = self.params.get(name)
        return value if isinstance(value, str) else None


def _json_key_query(items: list[tuple[str, str]]) -> Nested | None:
    """The old client's products query: one key holding a JSON object, empty value."""
    if len(items) != 1 or not items[0][0].lstrip().startswith("{"):
        return None
    try:
        decoded = json.loads(items[0][0])
    except ValueError as exc:
        raise InvalidParameter(
            "The query string looks like a JSON object but is not valid JSON",
            details={"parameter": "query"},
        ) from exc
    if not isinstance(decoded, dict):
        return None
    params: Nested = {}
    for key in ("page", "limit"):
        if key in decoded and decoded[key] is not None:
            params[key] = str(decoded[key])
    selects = decoded.get("selects[]", decoded.get("selects"))
    if isinstance(selects, list):
        selects = ",".join(str(s) for s in selects)
    if isinstance(selects, str):
        params["selects"] = selects
    raw_filters = decoded.get("filters") or {}
    filters: Nested = {}
    if isinstance(raw_filters, dict):
        for index, (name, pair) in enumerate(raw_filters.items()):
            value = pair[1] if isinstance(pair, list) and len(pair) == 2 else pair
            filters[str(index)] = {"0": str(name), "1": _stringify(value)}
    params["filters"] = filters
    return params


def _stringify(value: Any) -> Any:
    if isinstance(value, list):
        return {str(i): _stringify(v) for i, v in enumerate(value)}
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def parse_int(params: Nested, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """An integer parameter within ``[minimum, maximum]``, else 400 ``invalid_parameter``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    valid_range = f"{minimum}-{maximum}" if maximum < 10**9 else f">={minimum}"
    if not isinstance(raw, str) or not re.fullmatch(r"[+-]?\d+", raw.strip()):
        raise InvalidParameter(
            f"The '{name}' parameter must be an integer ({valid_range})",
            details={"parameter": name, "provided_value": raw, "valid_range": valid_range},
        )
    number = int(raw)
    if not minimum <= number <= maximum:
        if maximum < 10**9:
            message = f"The '{name}' parameter must be between {minimum} and {maximum}"
        else:
            message = f"The '{name}' parameter must be at least {minimum}"
        raise InvalidParameter(
            message,
            details={"parameter": name, "provided_value": number, "valid_range": valid_range},
        )
    return number


def parse_bool(params: Nested, name: str, *, default: bool) -> bool:
    """``true/false/1/0/yes/no`` (case-insensitive), else 400 ``invalid_parameter``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, str):
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
    raise InvalidParameter(
        f"The '{name}' parameter must be a boolean (true/false or 1/0)",
        details={"parameter": name, "provided_value": raw},
    )


_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](.+))?", re.ASCII)


def _parse_date(raw: Any, name: str) -> date | None:
    """``YYYY-MM-DD``, or a datetime string starting with one (the SDK sends
    ``YYYY-MM-DDTHH:MM:SS`` for ``date_from``/``date_to``); only the day counts."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        match = _DATE_PREFIX.fullmatch(raw.strip())
        if match:
            try:
                day = date.fromisoformat(match.group(1))
                if match.group(2) is not None:
                    datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
                return day
            except ValueError:
                pass
    raise InvalidParameter(
        f"The '{name}' parameter must be a date in YYYY-MM-DD format",
        details={"parameter": name, "provided_value": raw},
    )


def _parse_filters(raw: Any) -> list[Filter]:
    filters: list[Filter] = []
    for index, entry in enumerate(as_list(raw)):
        if not isinstance(entry, dict) or "0" not in entry or not isinstance(entry["0"], str):
            raise InvalidParameter(
                "Invalid filter parameters",
                details={"parameter": f"filters[{index}]", "provided_value": entry},
            )
        value = entry.get("1", "")
        if isinstance(value, dict):
            items = as_list(value)
            if not all(isinstance(v, str) for v in items):
                raise InvalidParameter(
                    "Invalid filter parameters",
                    details={"parameter": f"filters[{index}][1]", "provided_value": value},
                )
            filters.append(Filter(entry["0"], [str(v) for v in items]))
        else:
            filters.append(Filter(entry["0"], str(value)))
    return filters


def _parse_sort(params: Nested, sortable: Sequence[str], default: Sort | None) -> Sort | None:
    raw = params.get("sort")
    field_name: Any = None
    direction_raw: Any = None
    if isinstance(raw, dict):
        first = raw.get("0")
        if isinstance(first, dict):  # price lists: sort[0][0]=name&sort[0][1]=asc
            field_name, direction_raw = first.get("0"), first.get("1")
        else:
            field_name, direction_raw = first, raw.get("1")
    elif isinstance(raw, str):
        field_name = raw
    if field_name is None and "sort_by" in params:
        field_name, direction_raw = params.get("sort_by"), params.get("sort_order")
    if field_name is None or field_name == "":
        return default
    if not isinstance(field_name, str) or field_name not in sortable:
        raise InvalidParameter(
            f"The sort field must be one of: {', '.join(sortable)}",
            details={"parameter": "sort[0]", "provided_value": field_name},
        )
    direction = default.direction if default else -1
    if direction_raw not in (None, ""):
        normalized = str(direction_raw).strip().lower()
        if normalized in {"1", "asc"}:
            direction = 1
        elif normalized in {"-1", "desc"}:
            direction = -1
        else:
            raise InvalidParameter(
                "The sort direction must be 1 (ascending) or -1 (descending)",
                details={"parameter": "sort[1]", "provided_value": direction_raw},
            )
    return Sort(field_name, direction)


def parse_list_query(
    items: Iterable[tuple[str, str]],
    *,
    limit_rule: LimitRule,
    sortable: Sequence[str] = (),
    default_sort: Sort | None = None,
) -> ListQuery:
    """Read paging, ``with``, ``filters``, ``sort``, ``date`` and ``selects`` from a query."""
    pairs = list(items)
    for key, value in pairs:
        if "\x00" in key or "\x00" in value:
            # PostgreSQL text cannot hold NUL; refuse it here rather than fail in the store.
            raise InvalidParameter(
                "Query parameters must not contain NUL characters",
                details={"parameter": key.replace("\x00", "\\0")},
            )
    params = _json_key_query(pairs)
    if params is None:
        params = parse_brackets(pairs)
    # existing client: filters[i][0] + filter[i][1] on customers
    if isinstance(params.get("filter"), dict):
        merged = params.setdefault("filters", {})
        if isinstance(merged, dict):
            for key, part in params["filter"].items():
                target = merged.setdefault(key, {})
                if isinstance(target, dict) and isinstance(part, dict):
                    for sub_key, sub_value in part.items():
                        target.setdefault(sub_key, sub_value)
    query = ListQuery(params=params)
    query.page = parse_int(params, "page", default=1, minimum=1, maximum=10**9)
    query.limit = parse_int(
        params, "limit", default=limit_rule.default, minimum=1, maximum=limit_rule.maximum
    )
    withs: list[str] = []
    for key in ("with", "with_"):
        for value in as_list(params.get(key)):
            if isinstance(value, str):
                withs.extend(v.strip() for v in _split_with(value) if v.strip())
    query.with_ = withs
    query.filters = _parse_filters(params.get("filters"))
    query.sort = _parse_sort(params, sortable, default_sort)
    date_range = params.get("date")
    if isinstance(date_range, dict):
        query.date_from = _parse_date(date_range.get("0"), "date[0]")
        query.date_to = _parse_date(date_range.get("1"), "date[1]")
    if query.date_from is None:
        query.date_from = _parse_date(params.get("date_from"), "date_from")
    if query.date_to is None:
        query.date_to = _parse_date(params.get("date_to"), "date_to")
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise InvalidParameter(
            "date[0] must not be after date[1]",
            details={
                "parameter": "date",
                "provided_value": [str(query.date_from), str(query.date_to)],
            },
        )
    # ``selects=id,name`` (docs) or ``selects[]=id&selects[]=name`` (httpx lists).
    selects = [
        part.strip()
        for value in as_list(params.get("selects"))
        if isinstance(value, str)
        for part in value.split(",")
        if part.strip()
    ]
    query.selects = selects or None
    return query


def _split_with(value: str) -> list[str]:
    """``receipt:id,service_notification_id,status`` is one relation with columns, not three."""
    if ":" in value:
        return [value]
    return value.split(",")
