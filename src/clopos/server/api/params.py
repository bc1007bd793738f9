"""OpenAPI descriptions of the bracket query parameters, which FastAPI cannot infer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from clopos.server.domain.query import LimitRule


def _param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def list_params(
    limits: LimitRule,
    *,
    with_values: Sequence[str] = (),
    filter_fields: Sequence[str] = (),
    sorts: Sequence[str] = (),
    dates: bool = False,
    selects: bool = False,
    extra: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """``openapi_extra`` for a list route: page, limit and its bracket parameters."""
    params = [
        _param("page", "Page number, 1-based.", {"type": "integer", "minimum": 1, "default": 1}),
        _param(
            "limit",
            f"Page size, 1–{limits.maximum}.",
            {"type": "integer", "minimum": 1, "maximum": limits.maximum, "default": limits.default},
        ),
    ]
    if with_values:
        params.append(
            _param(
                "with[]",
                "Related resources to include (repeatable; `with[0]`, `with[1]` also accepted).",
                {"type": "array", "items": {"type": "string", "enum": list(with_values)}},
            )
        )
    if filter_fields:
        params.append(
            _param(
                "filters[0][0]",
                "Filter field; pair with `filters[0][1]` (value) or `filters[0][1][0]`, "
                "`filters[0][1][1]`… (list). Increment the first index for more filters (AND).",
                {"type": "string", "enum": list(filter_fields)},
            )
        )
        params.append(_param("filters[0][1]", "Filter value.", {"type": "string"}))
    if sorts:
        params.append(_param("sort[0]", "Sort field.", {"type": "string", "enum": list(sorts)}))
        params.append(
            _param("sort[1]", "1 ascending, -1 descending.", {"type": "integer", "enum": [1, -1]})
        )
    if dates:
        params.append(
            _param(
                "date[0]",
                "From date (inclusive), YYYY-MM-DD, on created_at.",
                {"type": "string", "format": "date"},
            )
        )
        params.append(
            _param(
                "date[1]", "To date (inclusive), YYYY-MM-DD.", {"type": "string", "format": "date"}
            )
        )
    if selects:
        params.append(
            _param(
                "selects",
                "Comma-separated fields; id, name, type always returned.",
                {"type": "string"},
            )
        )
    params.extend(extra)
    return {"parameters": params}


def query_param(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """One extra documented query parameter."""
    return _param(name, description, schema)


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` inlined: a ``#/$defs/…`` reference would
    resolve against the OpenAPI document's root, where there are no ``$defs``."""
    schema: dict[str, Any] = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(definitions[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    inlined: dict[str, Any] = inline(schema)
    return inlined


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a route that reads its JSON body by hand (to keep exact
    decimals), so ``/docs`` still shows and sends it."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
