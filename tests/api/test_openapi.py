"""``/openapi.json`` and ``/docs``: the machine-readable description must match the server.

Route modules are still being added, so most checks are generic over whatever the document
lists (every list route documents ``page`` and ``limit``, and the documented bounds are the
ones the server enforces); the routes that exist from the start are named explicitly.
"""

from __future__ import annotations

from typing import Any

import httpx

from clopos import __version__

V2 = "/open-api/v2"
V1 = "/open-api"
# GET routes without a path parameter that are not paginated lists (spec §1 row 16: the
# stop list is filtered by product id and returns every matching entry).
NOT_PAGINATED = {"/products/stop-list"}


async def _schema(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    schema: dict[str, Any] = response.json()
    return schema


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation)`` for every documented operation."""
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _relative(path: str, prefix: str) -> str | None:
    """``path`` below ``prefix`` (``/venues``), or None if it belongs to the other prefix."""
    if prefix == V1 and path.startswith(V2 + "/"):
        return None
    return path[len(prefix) :] if path.startswith(prefix + "/") else None


def _list_routes(schema: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
    """Relative path → GET operation, for the paginated list routes under ``prefix``."""
    routes = {}
    for method, path, operation in _operations(schema):
        relative = _relative(path, prefix)
        if method == "GET" and relative and "{" not in relative and relative not in NOT_PAGINATED:
            routes[relative] = operation
    return routes


def _parameters(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation.get("parameters", [])}


async def test_schema_describes_this_server(client: httpx.AsyncClient) -> None:
    schema = await _schema(client)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["version"] == __version__
    assert "bracket notation" in schema["info"]["description"]
    # Operational endpoints are not part of the Open API.
    assert "/health" not in schema["paths"]


async def test_auth_and_venues_are_listed_on_both_prefixes(client: httpx.AsyncClient) -> None:
    operations = {(m, p): op for m, p, op in _operations(await _schema(client))}
    for key in [
        ("POST", "/open-api/v2/auth"),
        ("POST", "/open-api/auth"),
        ("GET", "/open-api/v2/venues"),
        ("GET", "/open-api/venues"),
    ]:
        assert key in operations, key
    assert operations[("POST", "/open-api/v2/auth")]["operationId"].startswith("v2_")
    assert operations[("POST", "/open-api/auth")]["operationId"].startswith("v1_")
    assert operations[("GET", "/open-api/v2/venues")]["operationId"] == "v2_list_venues"
    assert operations[("GET", "/open-api/venues")]["operationId"] == "v1_list_venues"


async def test_every_resource_route_is_served_on_both_prefixes(client: httpx.AsyncClient) -> None:
    operations = _operations(await _schema(client))
    below = {
        prefix: {(m, _relative(p, prefix)) for m, p, _ in operations if _relative(p, prefix)}
        for prefix in (V1, V2)
    }
    # Auth differs (v1 and v2 exchange different credentials, spec §3), and a few receipt
    # routes exist on one prefix only (spec §12.5–§12.10, docs/decisions.md).
    only_v2 = {
        ("POST", "/auth"),
        ("POST", "/receipts/{receipt_id}/close"),
        ("GET", "/receipts/{receipt_id}/stock-operations"),
    }
    only_v1 = {
        ("POST", "/auth"),
        ("POST", "/receipts"),
        ("PUT", "/receipts/{receipt_id}"),
        ("DELETE", "/receipts/{receipt_id}"),
    }
    assert only_v2 <= below[V2]
    assert only_v1 <= below[V1]
    assert not (only_v2 - only_v1) & below[V1]
    assert not (only_v1 - only_v2) & below[V2]
    assert below[V2] - only_v2 == below[V1] - only_v1
    # Nothing documented outside the two prefixes, the till's /sandbox and the unified /pos.
    assert all(p.startswith((V1 + "/", "/sandbox/", "/pos/")) for _, p, _ in operations)


async def test_operation_ids_are_unique(client: httpx.AsyncClient) -> None:
    ids = [operation["operationId"] for _, _, operation in _operations(await _schema(client))]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == []
    for method, path, operation in _operations(await _schema(client)):
        if path.startswith("/sandbox/"):
            expected = "sandbox_"
        elif path.startswith("/pos/admin/"):
            expected = "unified_admin_"
        elif path.startswith("/pos/"):
            # Apideck's own operationIds (ordersAll, ordersAdd, ...): SDK generators key on them.
            expected = ""
        else:
            expected = "v2_" if path.startswith(V2 + "/") else "v1_"
        assert operation["operationId"].startswith(expected), (method, path)


async def test_venues_document_page_and_limit(client: httpx.AsyncClient) -> None:
    schema = await _schema(client)
    for prefix in (V1, V2):
        params = _parameters(_list_routes(schema, prefix)["/venues"])
        assert params["page"]["in"] == "query"
        assert params["page"]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
        assert params["limit"]["in"] == "query"
        assert params["limit"]["schema"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": 100,
            "default": 50,
        }


async def test_every_list_route_documents_page_and_limit(client: httpx.AsyncClient) -> None:
    schema = await _schema(client)
    for prefix in (V1, V2):
        routes = _list_routes(schema, prefix)
        assert "/venues" in routes
        for path, operation in routes.items():
            params = _parameters(operation)
            assert {"page", "limit"} <= set(params), (prefix, path, sorted(params))
            limit = params["limit"]["schema"]
            assert limit["minimum"] == 1, (prefix, path)
            assert 1 <= limit["default"] <= limit["maximum"], (prefix, path)
            # Bracket parameters are spelled as sent on the wire, never as a bare "filters".
            for name in params:
                assert name not in {"filters", "sort", "with", "date"}, (prefix, path, name)


async def test_documented_limit_bounds_are_enforced(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    """The schema is truthful: its maximum is accepted, one more is a 400 (spec §4.2)."""
    prefix, headers = api
    routes = _list_routes(await _schema(client), prefix)
    checked = []
    for path, operation in sorted(routes.items()):
        maximum = _parameters(operation)["limit"]["schema"]["maximum"]
        at_max = await client.get(f"{prefix}{path}", params={"limit": maximum}, headers=headers)
        assert at_max.status_code == 200, (prefix, path, at_max.text)
        over = await client.get(f"{prefix}{path}", params={"limit": maximum + 1}, headers=headers)
        assert over.status_code == 400, (prefix, path, over.text)
        assert f"between 1 and {maximum}" in over.text, (prefix, path, over.text)
        page_zero = await client.get(f"{prefix}{path}", params={"page": 0}, headers=headers)
        assert page_zero.status_code == 400, (prefix, path, page_zero.text)
        checked.append(path)
    assert "/venues" in checked


async def test_docs_page_is_html(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger-ui" in response.text
    assert "/openapi.json" in response.text


async def test_auth_bodies_and_token_header_are_documented(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["xToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "x-token",
        "description": schema["components"]["securitySchemes"]["xToken"]["description"],
    }
    v2_auth = schema["paths"]["/open-api/v2/auth"]["post"]
    body = v2_auth["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["client_id", "client_secret", "brand", "integrator_id"]
    assert v2_auth["security"] == []
    v1_auth = schema["paths"]["/open-api/auth"]["post"]
    v1_body = v1_auth["requestBody"]["content"]["application/json"]["schema"]
    assert v1_body["required"] == ["client_id", "client_secret", "brand", "venue_id"]


async def test_till_routes_document_their_bearer_token(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["tillToken"]["scheme"] == "bearer"
    till = [
        (p, op)
        for p, item in schema["paths"].items()
        if p.startswith("/sandbox/")
        for op in item.values()
    ]
    assert till
    assert all(op["security"] == [{"tillToken": []}] for _, op in till)
