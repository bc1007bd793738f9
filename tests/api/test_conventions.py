"""Cross-cutting conventions (spec §4, §5, §16): JSON everywhere, 404/405/413/400/500 shapes
per prefix, the success envelope's clock fields, bracket queries on a real route."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.app import create_app
from clopos.server.store.models import Venue
from clopos.settings import Settings

ONE_MB = 1_048_576
PREFIXES = ["/open-api/v2", "/open-api"]


def _json_body(response: httpx.Response) -> dict[str, Any]:
    """Every answer is JSON, never an HTML error page."""
    assert response.headers["content-type"].startswith("application/json"), response.text
    assert "<html" not in response.text.lower()
    body: dict[str, Any] = response.json()
    return body


def _error(response: httpx.Response, status: int, prefix: str) -> tuple[str, str]:
    """``(error code, message)`` of an error in the prefix's shape."""
    assert response.status_code == status, response.text
    body = _json_body(response)
    assert body["success"] is False
    if prefix == "/open-api/v2":
        assert isinstance(body["error"], str)
        return body["error"], body["message"]
    assert isinstance(body["error"], list)
    assert body["error"][0]["http_code"] == status
    return body["error"][0]["type"], body["message"]


# --- a locally built app with test-only routes ----------------------------------------------


class Thing(BaseModel):
    name: str
    count: int = 1


def _test_router() -> APIRouter:
    router = APIRouter()

    @router.post("/test-only/things")
    async def create_thing(thing: Thing, caller: CallerDep) -> dict[str, Any]:
        return {"success": True, "data": thing.model_dump()}

    @router.get("/test-only/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @router.get("/test-only/venue/{venue_id}")
    async def venue(venue_id: int, session: SessionDep) -> dict[str, Any]:
        found = await session.scalar(select(Venue.id).where(Venue.id == venue_id))
        return {"success": True, "data": found}

    return router


@pytest.fixture
async def local(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus test-only routes; app exceptions are not re-raised into the test."""
    app = create_app(settings)
    router = _test_router()
    app.include_router(router, prefix="/open-api/v2")
    app.include_router(router, prefix="/open-api")
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            yield client


async def _headers_for(client: httpx.AsyncClient, prefix: str) -> dict[str, str]:
    credentials = {"client_id": "demo-client", "client_secret": "demo-secret"}
    if prefix == "/open-api/v2":
        response = await client.post(
            f"{prefix}/auth",
            json={**credentials, "brand": "openapitest", "integrator_id": "demo-integrator"},
        )
        return {"x-token": response.json()["token"]}
    response = await client.post(
        f"{prefix}/auth", json={**credentials, "brand": "openapitest", "venue_id": "1"}
    )
    return {"x-token": response.json()["token"], "x-brand": "openapitest", "x-venue": "1"}


# --- 404 / 405 ----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_unknown_route_is_json_404(client: httpx.AsyncClient, prefix: str) -> None:
    code, message = _error(await client.get(f"{prefix}/no-such-thing"), 404, prefix)
    assert code == "route_not_found"
    assert f"{prefix}/no-such-thing" in message


async def test_unknown_route_outside_the_api_is_json_404(client: httpx.AsyncClient) -> None:
    code, _ = _error(await client.get("/nowhere"), 404, "/open-api/v2")
    assert code == "route_not_found"


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_wrong_method_is_json_405(client: httpx.AsyncClient, prefix: str) -> None:
    response = await client.delete(f"{prefix}/venues")
    code, message = _error(response, 405, prefix)
    assert code == "method_not_allowed"
    assert "DELETE" in message
    assert "GET" in response.headers["allow"]
    code, _ = _error(await client.get(f"{prefix}/auth"), 405, prefix)
    assert code == "method_not_allowed"


# --- 413 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_body_over_1mb_with_content_length_is_413(
    client: httpx.AsyncClient, prefix: str
) -> None:
    response = await client.post(
        f"{prefix}/auth",
        content=b"{" + b" " * ONE_MB + b"}",
        headers={"content-type": "application/json"},
    )
    code, message = _error(response, 413, prefix)
    assert code == "payload_too_large"
    assert str(ONE_MB) in message


async def _chunks(total: int, size: int = 65536) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("path", ["/auth", "/test-only/things"])
async def test_streamed_body_over_1mb_without_content_length_is_413(
    local: httpx.AsyncClient, prefix: str, path: str
) -> None:
    headers = await _headers_for(local, prefix)
    request = local.build_request(
        "POST",
        f"{prefix}{path}",
        content=_chunks(ONE_MB + 1),
        headers={**headers, "content-type": "application/json"},
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    response = await local.send(request)
    code, _ = _error(response, 413, prefix)
    assert code == "payload_too_large"


async def test_body_of_exactly_1mb_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"client_id": "demo-client"}'
    padded = body + b" " * (ONE_MB - len(body))
    response = await client.post(
        "/open-api/v2/auth", content=padded, headers={"content-type": "application/json"}
    )
    # Read and parsed: the answer is about the missing fields, not the size.
    code, _ = _error(response, 400, "/open-api/v2")
    assert code == "Missing client_id, client_secret, brand, or integrator_id"


# --- 400 on bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_malformed_json_on_a_model_route_names_the_problem(
    local: httpx.AsyncClient, prefix: str
) -> None:
    headers = await _headers_for(local, prefix)
    response = await local.post(
        f"{prefix}/test-only/things",
        content=b'{"name": "x",, }',
        headers={**headers, "content-type": "application/json"},
    )
    code, message = _error(response, 400, prefix)
    assert code == "validation_failed"
    assert message.startswith("The request body is not valid JSON: ")
    assert "at character 13" in message


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_missing_and_invalid_body_fields_are_named(
    local: httpx.AsyncClient, prefix: str
) -> None:
    headers = await _headers_for(local, prefix)
    response = await local.post(f"{prefix}/test-only/things", json={}, headers=headers)
    code, message = _error(response, 400, prefix)
    assert (code, message) == ("validation_failed", "The name field is required")

    response = await local.post(
        f"{prefix}/test-only/things", json={"name": "a", "count": "many"}, headers=headers
    )
    code, message = _error(response, 400, prefix)
    assert code == "validation_failed"
    assert message.startswith("The count field is invalid")


# --- 500 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_unhandled_exception_is_json_500_without_internals(
    local: httpx.AsyncClient, prefix: str
) -> None:
    response = await local.get(f"{prefix}/test-only/boom")
    code, _ = _error(response, 500, prefix)
    assert code == "internal_error"
    for leaked in ("Traceback", "RuntimeError", "hunter2", "secret internals", ".py"):
        assert leaked not in response.text


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_value_the_database_cannot_hold_is_400(local: httpx.AsyncClient, prefix: str) -> None:
    # 2**70 fits neither PostgreSQL INTEGER nor SQLite's 64-bit integers.
    response = await local.get(f"{prefix}/test-only/venue/{2**70}")
    code, _ = _error(response, 400, prefix)
    assert code == "validation_failed"
    assert (await local.get(f"{prefix}/test-only/venue/1")).json()["data"] == 1


# --- requests real clients send ----------------------------------------------------------------


async def test_content_type_json_on_get_is_accepted(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    prefix, headers = api
    response = await client.get(
        f"{prefix}/venues",
        headers={**headers, "content-type": "application/json", "accept": "*/*"},
    )
    assert response.status_code == 200, response.text


async def test_envelope_clock_fields(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    prefix, headers = api
    before = datetime.now(UTC).replace(microsecond=0)
    body = _json_body(await client.get(f"{prefix}/venues", headers=headers))
    after = datetime.now(UTC)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", body["timestamp"])
    stamp = datetime.strptime(body["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before <= stamp <= after  # UTC, not local time
    assert type(body["unix"]) is int
    assert body["unix"] == int(stamp.timestamp())
    assert type(body["time"]) is int and body["time"] >= 0


async def test_encoded_brackets_and_limits_on_a_real_route(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    prefix, headers = api
    # Percent-encoded brackets, as httpx and curl without --globoff send them.
    response = await client.get(f"{prefix}/venues?sort%5B0%5D=name&sort%5B1%5D=1", headers=headers)
    assert [v["name"] for v in _json_body(response)["data"]] == ["Airport", "Main"]
    response = await client.get(f"{prefix}/venues?sort[0]=name&sort[1]=-1", headers=headers)
    assert [v["name"] for v in _json_body(response)["data"]] == ["Main", "Airport"]

    code, message = _error(
        await client.get(f"{prefix}/venues?limit=101", headers=headers), 400, prefix
    )
    assert (code, message) == (
        "invalid_parameter",
        "The 'limit' parameter must be between 1 and 100",
    )
    code, _ = _error(await client.get(f"{prefix}/venues?page=0", headers=headers), 400, prefix)
    assert code == "invalid_parameter"
    code, _ = _error(
        await client.get(f"{prefix}/venues?sort[0]=password", headers=headers), 400, prefix
    )
    assert code == "invalid_parameter"
    code, _ = _error(await client.get(f"{prefix}/venues?page=%00", headers=headers), 400, prefix)
    assert code == "invalid_parameter"


async def test_v2_errors_carry_details_for_bad_parameters(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    response = await client.get("/open-api/v2/venues?limit=150", headers=v2)
    body = _json_body(response)
    assert body["details"] == {"parameter": "limit", "provided_value": 150, "valid_range": "1-100"}
