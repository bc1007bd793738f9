"""Authentication on both prefixes (spec §3): every documented failure mode, token use,
test/production gating, venue override and token storage."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr
from sqlalchemy import select, update

from clopos.server.app import create_app
from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_INTEGRATOR
from clopos.server.security import V2Claims, mint_v2_token, token_digest
from clopos.server.store.models import ApiClient, Brand, Integrator, V1Token, Venue
from clopos.server.store.repositories import tenancy
from clopos.settings import Settings

FAST_HASH_N = 2**8
DEMO_V2_AUTH = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "integrator_id": DEMO_INTEGRATOR,
}
DEMO_V1_AUTH = {
    "client_id": DEMO_CLIENT_ID,
    "client_secret": DEMO_CLIENT_SECRET,
    "brand": DEMO_BRAND,
    "venue_id": "1",
}
V2_AUTH = "/open-api/v2/auth"
V1_AUTH = "/open-api/auth"
MISSING = "Missing client_id, client_secret, brand, or integrator_id"
TEST_MODE = "Integrator is in test mode. But brand is not in test mode"


async def _set(app: Any, model: Any, where: Any, **values: Any) -> None:
    """Change rows behind the API's back (an operator toggling things in the back office)."""
    async with app.state.clopos.sessions() as session:
        await session.execute(update(model).where(where).values(**values))
        await session.commit()


async def _production_brand(app: Any, slug: str = "prodbrand") -> None:
    """A production (non-test) brand with one venue and a client ``prod-client``."""
    async with app.state.clopos.sessions() as session:
        brand = await tenancy.create_brand(session, slug, "Production", is_test=False)
        session.add(Venue(brand_id=brand.id, name="Prod Main", is_main=1))
        await session.commit()
        await tenancy.create_client(
            session, brand, "prod-client", secret="prod-secret", hash_n=FAST_HASH_N
        )


async def _production_integrator(app: Any, integrator_id: str = "prod-integrator") -> None:
    async with app.state.clopos.sessions() as session:
        await tenancy.create_integrator(session, integrator_id, "Live", is_test=False)


def _v2_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert body["error"] == error
    assert isinstance(body["message"], str) and body["message"]
    return body


def _v1_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The v1 list-shaped error (existing-python-client.md §5)."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["error"], list) and len(body["error"]) == 1
    entry = body["error"][0]
    assert set(entry) == {"message", "type", "exception", "code", "http_code"}
    assert entry["http_code"] == status
    assert isinstance(entry["code"], int)
    return body


# --- v2 POST /auth ------------------------------------------------------------------------


async def test_v2_auth_success_body_and_jwt_claims(app: Any, client: httpx.AsyncClient) -> None:
    before = int(time.time())
    response = await client.post(V2_AUTH, json=DEMO_V2_AUTH)
    after = int(time.time())
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "token", "token_type", "expires_in", "expires_at", "message"}
    assert body["success"] is True
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["message"] == "Authentication successful"
    assert type(body["expires_at"]) is int
    assert before + 3600 <= body["expires_at"] <= after + 3600

    claims = jwt.decode(body["token"], app.state.clopos.jwt_key, algorithms=["HS256"])
    assert claims["brand"] == "openapitest"
    assert claims["integrator_id"] == "demo-integrator"
    assert claims["venue_id"] == 1  # the main venue
    assert claims["exp"] == body["expires_at"]
    assert jwt.get_unverified_header(body["token"])["alg"] == "HS256"


@pytest.mark.parametrize("field", ["client_id", "client_secret", "brand", "integrator_id"])
@pytest.mark.parametrize("mode", ["missing", "empty", "blank", "null", "object"])
async def test_v2_auth_missing_field(client: httpx.AsyncClient, field: str, mode: str) -> None:
    body: dict[str, Any] = dict(DEMO_V2_AUTH)
    if mode == "missing":
        del body[field]
    else:
        body[field] = {"empty": "", "blank": "   ", "null": None, "object": {"a": 1}}[mode]
    response = await client.post(V2_AUTH, json=body)
    assert _v2_error(response, 400, MISSING)["message"] == MISSING


async def test_v2_auth_empty_body_is_missing_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(V2_AUTH, content=b"", headers={"content-type": "application/json"})
    _v2_error(response, 400, MISSING)


async def test_v2_auth_unknown_integrator(client: httpx.AsyncClient) -> None:
    response = await client.post(V2_AUTH, json={**DEMO_V2_AUTH, "integrator_id": "nobody"})
    _v2_error(response, 400, "Invalid integrator_id")


async def test_v2_auth_disabled_integrator(app: Any, client: httpx.AsyncClient) -> None:
    await _set(app, Integrator, Integrator.integrator_id == "demo-integrator", enabled=False)
    response = await client.post(V2_AUTH, json=DEMO_V2_AUTH)
    _v2_error(response, 400, "Invalid integrator_id")


@pytest.mark.parametrize(
    "override",
    [
        {"client_secret": "wrong-secret"},
        {"client_id": "no-such-client"},
        {"brand": "some-other-brand"},
        {"client_id": "nul\x00client"},
    ],
    ids=["wrong-secret", "unknown-client", "wrong-brand", "nul-in-client-id"],
)
async def test_v2_auth_bad_credentials(client: httpx.AsyncClient, override: dict[str, str]) -> None:
    response = await client.post(V2_AUTH, json={**DEMO_V2_AUTH, **override})
    body = _v2_error(response, 401, "authentication_failed")
    assert body["message"] == "Invalid credentials"
    assert "token" not in body


async def test_v2_auth_disabled_client(app: Any, client: httpx.AsyncClient) -> None:
    await _set(app, ApiClient, ApiClient.client_id == "demo-client", enabled=False)
    response = await client.post(V2_AUTH, json=DEMO_V2_AUTH)
    _v2_error(response, 401, "Client is disabled")
    # A wrong secret still says only "Invalid credentials": the disabled state is not leaked.
    response = await client.post(V2_AUTH, json={**DEMO_V2_AUTH, "client_secret": "nope"})
    _v2_error(response, 401, "authentication_failed")


async def test_v2_auth_test_integrator_on_production_brand_is_200_failure(
    app: Any, client: httpx.AsyncClient
) -> None:
    await _production_brand(app)
    response = await client.post(
        V2_AUTH,
        json={
            "client_id": "prod-client",
            "client_secret": "prod-secret",
            "brand": "prodbrand",
            "integrator_id": "demo-integrator",  # a test integrator
        },
    )
    body = _v2_error(response, 200, TEST_MODE)  # the documented legacy quirk (spec §3.4)
    assert "token" not in body


async def test_v2_auth_production_integrator_on_test_brand_works(
    app: Any, client: httpx.AsyncClient
) -> None:
    await _production_integrator(app)
    response = await client.post(V2_AUTH, json={**DEMO_V2_AUTH, "integrator_id": "prod-integrator"})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    listed = await client.get("/open-api/v2/venues", headers={"x-token": token})
    assert listed.status_code == 200, listed.text


async def test_v2_auth_production_integrator_on_production_brand(
    app: Any, client: httpx.AsyncClient
) -> None:
    await _production_brand(app)
    await _production_integrator(app)
    response = await client.post(
        V2_AUTH,
        json={
            "client_id": "prod-client",
            "client_secret": "prod-secret",
            "brand": "prodbrand",
            "integrator_id": "prod-integrator",
        },
    )
    assert response.status_code == 200, response.text
    claims = jwt.decode(response.json()["token"], app.state.clopos.jwt_key, algorithms=["HS256"])
    async with app.state.clopos.sessions() as session:
        main = await session.scalar(select(Venue.id).where(Venue.name == "Prod Main"))
    assert claims["venue_id"] == main
    venues = await client.get("/open-api/v2/venues", headers={"x-token": response.json()["token"]})
    assert [v["name"] for v in venues.json()["data"]] == ["Prod Main"]


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'{"client_id": "a",}', b"\xff\xfe", b"[1, 2]", b'"text"'],
    ids=["syntax", "trailing-comma", "not-utf8", "array", "string"],
)
async def test_v2_auth_malformed_body_is_400(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(V2_AUTH, content=raw, headers={"content-type": "application/json"})
    body = _v2_error(response, 400, "validation_failed")
    assert "JSON" in body["message"]


async def test_v2_auth_syntax_error_names_the_place(client: httpx.AsyncClient) -> None:
    response = await client.post(
        V2_AUTH, content=b'{"client_id": }', headers={"content-type": "application/json"}
    )
    message = _v2_error(response, 400, "validation_failed")["message"]
    assert message.startswith("The request body is not valid JSON")
    assert "column" in message


async def test_v2_auth_numeric_integrator_id_is_looked_up(client: httpx.AsyncClient) -> None:
    # venue/integrator ids are often numbers in integrators' configs; "1" and 1 are one id.
    response = await client.post(V2_AUTH, json={**DEMO_V2_AUTH, "integrator_id": 12345})
    _v2_error(response, 400, "Invalid integrator_id")


# --- v2 token use -------------------------------------------------------------------------

VENUES = "/open-api/v2/venues"


async def test_v2_call_without_token(client: httpx.AsyncClient) -> None:
    _v2_error(await client.get(VENUES), 401, "Headers are missing")
    _v2_error(await client.get(VENUES, headers={"x-token": ""}), 401, "Headers are missing")


async def test_v2_token_in_authorization_header_is_not_enough(
    client: httpx.AsyncClient, v2_token: str
) -> None:
    # token_type says Bearer, but the transport is x-token (spec §2).
    response = await client.get(VENUES, headers={"Authorization": f"Bearer {v2_token}"})
    _v2_error(response, 401, "Headers are missing")


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "a.b.c",
        jwt.encode(
            {
                "brand": "openapitest",
                "integrator_id": "demo-integrator",
                "venue_id": 1,
                "exp": int(time.time()) + 3600,
            },
            "another-key-that-is-long-enough-for-hs256-0123456789",
            algorithm="HS256",
        ),
        jwt.encode(
            {
                "brand": "openapitest",
                "integrator_id": "demo-integrator",
                "venue_id": 1,
                "exp": int(time.time()) + 3600,
            },
            None,
            algorithm="none",
        ),
    ],
    ids=["garbage", "three-dots", "other-key", "alg-none"],
)
async def test_v2_invalid_token(client: httpx.AsyncClient, token: str) -> None:
    _v2_error(await client.get(VENUES, headers={"x-token": token}), 401, "Invalid token")


async def test_v2_token_missing_claims_is_invalid(app: Any, client: httpx.AsyncClient) -> None:
    token = jwt.encode(
        {"brand": "openapitest", "exp": int(time.time()) + 60},
        app.state.clopos.jwt_key,
        algorithm="HS256",
    )
    _v2_error(await client.get(VENUES, headers={"x-token": token}), 401, "Invalid token")


async def test_v2_expired_token(app: Any, client: httpx.AsyncClient) -> None:
    expired_at = int(time.time()) - 10
    token = mint_v2_token(
        V2Claims(
            brand="openapitest",
            integrator_id="demo-integrator",
            client_id="demo-client",
            venue_id=1,
            stage="test",
            expires_at=expired_at,
        ),
        key=app.state.clopos.jwt_key,
        issued_at=expired_at - 3600,
    )
    body = _v2_error(await client.get(VENUES, headers={"x-token": token}), 401, "Token expired")
    # The expiry comes back as an ISO-8601 string here (spec §14.30), not epoch seconds.
    assert isinstance(body["expires_at"], str)
    parsed = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert parsed == datetime.fromtimestamp(expired_at, UTC)


async def test_v2_integrator_disabled_after_issuing(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    assert (await client.get(VENUES, headers=v2)).status_code == 200
    await _set(app, Integrator, Integrator.integrator_id == "demo-integrator", enabled=False)
    _v2_error(await client.get(VENUES, headers=v2), 401, "Invalid integrator_id")


async def test_v2_brand_switched_to_production_after_issuing(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    await _set(app, Brand, Brand.slug == "openapitest", is_test=False)
    # 401 on authenticated endpoints, unlike the 200 at /v2/auth (spec §3.3, §3.4).
    body = _v2_error(await client.get(VENUES, headers=v2), 401, TEST_MODE)
    assert body["message"] == TEST_MODE


async def test_v2_client_disabled_after_issuing(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    await _set(app, ApiClient, ApiClient.client_id == "demo-client", enabled=False)
    _v2_error(await client.get(VENUES, headers=v2), 401, "Client is disabled")


@pytest.mark.parametrize("venue", ["2", " 2 ", "1"])
async def test_v2_x_venue_of_the_brand_is_accepted(
    client: httpx.AsyncClient, v2: dict[str, str], venue: str
) -> None:
    response = await client.get(VENUES, headers={**v2, "x-venue": venue})
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


async def test_v2_x_venue_of_another_brand_is_forbidden(
    app: Any, client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    async with app.state.clopos.sessions() as session:
        other_venue = await session.scalar(
            select(Venue.id)
            .join(Brand, Brand.id == Venue.brand_id)
            .where(Brand.slug == "otherbrand")
        )
    assert other_venue is not None
    response = await client.get(VENUES, headers={**v2, "x-venue": str(other_venue)})
    _v2_error(response, 403, "forbidden")
    # ... and the other brand may use it.
    assert (await client.get(VENUES, headers={**other_v2, "x-venue": str(other_venue)})).is_success


@pytest.mark.parametrize("venue", ["99999", "99999999999999999999"])
async def test_v2_x_venue_unknown_is_forbidden(
    client: httpx.AsyncClient, v2: dict[str, str], venue: str
) -> None:
    _v2_error(await client.get(VENUES, headers={**v2, "x-venue": venue}), 403, "forbidden")


@pytest.mark.parametrize("venue", ["abc", "-1", "1.5", "²", "١"])
async def test_v2_x_venue_not_an_id(
    client: httpx.AsyncClient, v2: dict[str, str], venue: str
) -> None:
    # Sent as UTF-8 bytes: headers are bytes on the wire, whatever the characters.
    response = await client.get(VENUES, headers={**v2, "x-venue": venue.encode()})
    body = _v2_error(response, 400, "invalid_parameter")
    assert "x-venue" in body["message"]


async def test_v1_token_is_not_a_v2_token(client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    _v2_error(await client.get(VENUES, headers={"x-token": v1["x-token"]}), 401, "Invalid token")


async def test_jwt_key_survives_restart(settings: Settings, v2_token: str) -> None:
    """A second app over the same database (a restart, or another worker) accepts the token."""
    second = create_app(settings)
    async with LifespanManager(second):
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://second") as other:
            response = await other.get(VENUES, headers={"x-token": v2_token})
            assert response.status_code == 200, response.text
            issued = await other.post(V2_AUTH, json=DEMO_V2_AUTH)
            token_from_second = issued.json()["token"]
    # ...and the first app accepts the second one's tokens.
    third = create_app(settings)
    async with LifespanManager(third):
        transport = httpx.ASGITransport(app=third)
        async with httpx.AsyncClient(transport=transport, base_url="http://third") as again:
            response = await again.get(VENUES, headers={"x-token": token_from_second})
            assert response.status_code == 200, response.text


async def test_configured_jwt_secret_is_used(settings: Settings) -> None:
    key = "configured-secret-0123456789-0123456789-abcdef"
    application = create_app(settings.model_copy(update={"jwt_secret": SecretStr(key)}))
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://cfg") as http:
            token = (await http.post(V2_AUTH, json=DEMO_V2_AUTH)).json()["token"]
    assert jwt.decode(token, key, algorithms=["HS256"])["brand"] == "openapitest"


# --- v1 -----------------------------------------------------------------------------------

V1_VENUES = "/open-api/venues"


async def test_v1_auth_success_and_token_stored_hashed(app: Any, client: httpx.AsyncClient) -> None:
    response = await client.post(V1_AUTH, json=DEMO_V1_AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "token", "token_type", "expires_in", "message"}
    assert body["success"] is True
    assert body["token"].startswith("oauth_") and len(body["token"]) > 30
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["message"] == "Authentication successful"

    async with app.state.clopos.sessions() as session:
        rows = (await session.scalars(select(V1Token))).all()
    stored = [row.token_hash for row in rows]
    assert token_digest(body["token"]) in stored
    assert all(body["token"] not in value for value in stored)
    row = next(r for r in rows if r.token_hash == token_digest(body["token"]))
    lifetime = row.expires_at - datetime.now(UTC).replace(tzinfo=None)
    assert timedelta(minutes=59) < lifetime <= timedelta(hours=1)


async def test_v1_auth_accepts_numeric_venue_id(client: httpx.AsyncClient) -> None:
    response = await client.post(V1_AUTH, json={**DEMO_V1_AUTH, "venue_id": 2})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "override",
    [{"client_secret": "wrong"}, {"client_id": "nobody"}, {"brand": "otherbrand"}],
    ids=["wrong-secret", "unknown-client", "wrong-brand"],
)
async def test_v1_auth_bad_credentials(client: httpx.AsyncClient, override: dict[str, str]) -> None:
    body = _v1_error(await client.post(V1_AUTH, json={**DEMO_V1_AUTH, **override}), 401)
    assert body["error"][0]["type"] == "authentication_failed"
    assert body["message"] == "Invalid credentials"


@pytest.mark.parametrize("field", ["client_id", "client_secret", "brand", "venue_id"])
async def test_v1_auth_missing_field(client: httpx.AsyncClient, field: str) -> None:
    body = {k: v for k, v in DEMO_V1_AUTH.items() if k != field}
    error = _v1_error(await client.post(V1_AUTH, json=body), 400)
    assert field in error["message"]
    assert error["error"][0]["type"] == "validation_failed"


async def test_v1_auth_malformed_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        V1_AUTH, content=b"{oops", headers={"content-type": "application/json"}
    )
    assert "not valid JSON" in _v1_error(response, 400)["message"]


@pytest.mark.parametrize("venue", ["abc", "99999", "99999999999999999999"])
async def test_v1_auth_venue_not_of_brand(client: httpx.AsyncClient, venue: str) -> None:
    body = _v1_error(await client.post(V1_AUTH, json={**DEMO_V1_AUTH, "venue_id": venue}), 400)
    assert "venue_id" in body["message"]


async def test_v1_auth_venue_of_another_brand(
    app: Any, client: httpx.AsyncClient, other_v2: dict[str, str]
) -> None:
    async with app.state.clopos.sessions() as session:
        other_venue = await session.scalar(
            select(Venue.id)
            .join(Brand, Brand.id == Venue.brand_id)
            .where(Brand.slug == "otherbrand")
        )
    response = await client.post(V1_AUTH, json={**DEMO_V1_AUTH, "venue_id": str(other_venue)})
    _v1_error(response, 400)


async def test_v1_auth_disabled_client(app: Any, client: httpx.AsyncClient) -> None:
    await _set(app, ApiClient, ApiClient.client_id == "demo-client", enabled=False)
    body = _v1_error(await client.post(V1_AUTH, json=DEMO_V1_AUTH), 401)
    assert body["message"] == "Client is disabled"


@pytest.mark.parametrize("drop", ["x-token", "x-brand", "x-venue"])
async def test_v1_missing_headers(client: httpx.AsyncClient, v1: dict[str, str], drop: str) -> None:
    headers = {k: v for k, v in v1.items() if k != drop}
    body = _v1_error(await client.get(V1_VENUES, headers=headers), 401)
    assert body["message"] == "Missing authentication headers"
    assert body["error"][0]["type"] == "unauthorized"
    assert body["details"]["missing_headers"] == [drop]


async def test_v1_call_with_no_headers(client: httpx.AsyncClient) -> None:
    body = _v1_error(await client.get(V1_VENUES), 401)
    assert body["message"] == "Missing authentication headers"


async def test_v1_wrong_brand_header(client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    _v1_error(await client.get(V1_VENUES, headers={**v1, "x-brand": "otherbrand"}), 401)


async def test_v1_unknown_token(client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    _v1_error(await client.get(V1_VENUES, headers={**v1, "x-token": "oauth_forged"}), 401)


async def test_v2_token_is_not_a_v1_token(
    client: httpx.AsyncClient, v1: dict[str, str], v2_token: str
) -> None:
    _v1_error(await client.get(V1_VENUES, headers={**v1, "x-token": v2_token}), 401)


async def test_v1_expired_token(app: Any, client: httpx.AsyncClient, v1: dict[str, str]) -> None:
    assert (await client.get(V1_VENUES, headers=v1)).status_code == 200
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    await _set(app, V1Token, V1Token.token_hash == token_digest(v1["x-token"]), expires_at=past)
    body = _v1_error(await client.get(V1_VENUES, headers=v1), 401)
    assert "expired" in body["message"]


async def test_v1_client_disabled_after_issuing(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str]
) -> None:
    await _set(app, ApiClient, ApiClient.client_id == "demo-client", enabled=False)
    _v1_error(await client.get(V1_VENUES, headers=v1), 401)


async def test_v1_x_venue_switch_and_forbidden(
    app: Any, client: httpx.AsyncClient, v1: dict[str, str], other_v2: dict[str, str]
) -> None:
    assert (await client.get(V1_VENUES, headers={**v1, "x-venue": "2"})).status_code == 200
    async with app.state.clopos.sessions() as session:
        other_venue = await session.scalar(
            select(Venue.id)
            .join(Brand, Brand.id == Venue.brand_id)
            .where(Brand.slug == "otherbrand")
        )
    body = _v1_error(await client.get(V1_VENUES, headers={**v1, "x-venue": str(other_venue)}), 403)
    assert body["error"][0]["type"] == "forbidden"
    _v1_error(await client.get(V1_VENUES, headers={**v1, "x-venue": "abc"}), 400)


async def test_x_venue_switches_the_active_venue(
    client: httpx.AsyncClient, api: tuple[str, dict[str, str]]
) -> None:
    """The stop list is per venue: the demo has 3 entries at Main (1) and 1 at Airport (2)."""
    prefix, headers = api
    default = await client.get(f"{prefix}/products/stop-list", headers=headers)
    assert default.status_code == 200, default.text
    assert len(default.json()["data"]) == 3  # v2: the JWT's main venue; v1: x-venue 1
    airport = await client.get(f"{prefix}/products/stop-list", headers={**headers, "x-venue": "2"})
    assert airport.status_code == 200, airport.text
    assert len(airport.json()["data"]) == 1
