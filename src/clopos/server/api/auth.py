"""``POST /open-api/v2/auth`` (JWT) and ``POST /open-api/auth`` (opaque v1 token), spec §3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from clopos.server.api.deps import TEST_MODE_MISMATCH, SessionDep, StateDep
from clopos.server.domain.query import MAX_ID, id_from_text
from clopos.server.domain.timestamps import unix_seconds, utcnow
from clopos.server.errors import ApiError, AuthFailed, ValidationFailed
from clopos.server.middleware import client_ip
from clopos.server.responses import ClopoJSONResponse
from clopos.server.security import (
    V2Claims,
    dummy_hash,
    mint_v2_token,
    new_v1_token,
    verify_secret,
)
from clopos.server.state import AppState
from clopos.server.store.models import ApiClient, Brand
from clopos.server.store.repositories import tenancy

router = APIRouter(tags=["auth"])

MISSING_FIELDS = "Missing client_id, client_secret, brand, or integrator_id"
_V2_FIELDS = ("client_id", "client_secret", "brand", "integrator_id")
_V1_FIELDS = ("client_id", "client_secret", "brand", "venue_id")


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson names the place: "unexpected character: line 1 column 2 (char 1)".
        raise ValidationFailed(
            f"The request body is not valid JSON: {exc}", details={"field": "body"}
        ) from None
    if not isinstance(body, dict):
        raise ValidationFailed("The request body must be a JSON object", details={"field": "body"})
    return body


def _text_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, str] | None:
    """The named fields as non-empty strings (numbers accepted), or ``None`` if any is absent."""
    values: dict[str, str] = {}
    for name in names:
        value = body.get(name)
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int | float):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            return None
        values[name] = value.strip() if name != "client_secret" else value
    return values


async def _check_credentials(
    session: SessionDep, state: AppState, client_id: str, secret: str, brand_slug: str
) -> tuple[ApiClient, Brand]:
    """The client and its brand, if the secret matches and the brand is the client's."""
    n = state.settings.secret_hash_n
    # PostgreSQL text cannot hold NUL; such an id names no client (and must not reach the DB).
    client = None if "\x00" in client_id else await tenancy.client_by_id(session, client_id)
    secret_ok = verify_secret(secret, client.secret_hash if client else dummy_hash(n))
    brand = await tenancy.brand_by_id(session, client.brand_id) if client else None
    if client is None or brand is None or not secret_ok or brand.slug != brand_slug:
        raise AuthFailed("Invalid credentials", code="authentication_failed")
    if not client.enabled:
        raise AuthFailed("Client is disabled", code="Client is disabled")
    return client, brand


def _credentials_body(fields: tuple[str, ...]) -> dict[str, Any]:
    """``openapi_extra`` documenting the JSON body the route reads by hand."""
    schema = {
        "type": "object",
        "required": list(fields),
        "properties": {name: {"type": "string"} for name in fields},
    }
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "security": [],
    }


@router.post(
    "/v2/auth",
    summary="Exchange client credentials for a JWT (v2)",
    openapi_extra=_credentials_body(_V2_FIELDS),
)
async def auth_v2(request: Request, session: SessionDep, state: StateDep) -> Response:
    """Body ``{client_id, client_secret, brand, integrator_id}`` → a one-hour JWT."""
    window = await state.limiter.hit_auth(client_ip(request.scope))
    if window is not None:
        request.state.ratelimit.append(window)
    fields = _text_fields(await _json_object(request), _V2_FIELDS)
    if fields is None:
        raise ApiError(MISSING_FIELDS, code=MISSING_FIELDS, status_code=400)
    integrator_id = fields["integrator_id"]
    integrator = (
        None if "\x00" in integrator_id else await tenancy.integrator_by_id(session, integrator_id)
    )
    if integrator is None or not integrator.enabled:
        raise ApiError("Invalid integrator_id", code="Invalid integrator_id", status_code=400)
    client, brand = await _check_credentials(
        session, state, fields["client_id"], fields["client_secret"], fields["brand"]
    )
    if integrator.is_test and not brand.is_test:
        # A legacy quirk the docs acknowledge: HTTP 200 with success:false (spec §3.4).
        raise ApiError(TEST_MODE_MISMATCH, code=TEST_MODE_MISMATCH, status_code=200)
    venue_id = await tenancy.default_venue_id(session, brand.id)
    if venue_id is None:
        raise ValidationFailed("The brand has no venues yet; create one first")
    now = unix_seconds(utcnow())
    ttl = state.settings.token_ttl_seconds
    claims = V2Claims(
        brand=brand.slug,
        integrator_id=integrator.integrator_id,
        client_id=client.client_id,
        venue_id=venue_id,
        stage="test" if brand.is_test else "production",
        expires_at=now + ttl,
    )
    token = mint_v2_token(claims, key=state.jwt_key, issued_at=now)
    return ClopoJSONResponse(
        {
            "success": True,
            "token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "expires_at": claims.expires_at,
            "message": "Authentication successful",
        }
    )


@router.post(
    "/auth",
    summary="Exchange client credentials for an access token (v1)",
    openapi_extra=_credentials_body(_V1_FIELDS),
)
async def auth_v1(request: Request, session: SessionDep, state: StateDep) -> Response:
    """Body ``{client_id, client_secret, brand, venue_id}`` → an opaque one-hour token."""
    window = await state.limiter.hit_auth(client_ip(request.scope))
    if window is not None:
        request.state.ratelimit.append(window)
    body = await _json_object(request)
    fields = _text_fields(body, _V1_FIELDS)
    if fields is None:
        missing = [n for n in _V1_FIELDS if _text_fields(body, (n,)) is None]
        raise ValidationFailed(
            f"The {', '.join(missing)} field(s) are required",
            details={"fields": missing},
        )
    client, brand = await _check_credentials(
        session, state, fields["client_id"], fields["client_secret"], fields["brand"]
    )
    venue_text = fields["venue_id"]
    venue_number = id_from_text(venue_text)
    venue = (
        await tenancy.venue_of_brand(session, brand.id, venue_number)
        if venue_number is not None and venue_number <= MAX_ID
        else None
    )
    if venue is None:
        raise ValidationFailed(
            f"venue_id {venue_text!r} is not a venue of brand {brand.slug!r}",
            details={"field": "venue_id"},
        )
    token = new_v1_token()
    ttl = state.settings.token_ttl_seconds
    await tenancy.store_v1_token(
        session,
        token=token,
        client=client,
        venue_id=venue.id,
        expires_at=utcnow() + timedelta(seconds=ttl),
    )
    return ClopoJSONResponse(
        {
            "success": True,
            "token": token,
            "token_type": "Bearer",
            "expires_in": ttl,
            "message": "Authentication successful",
        }
    )
