"""The ``Idempotency-Key`` header on creating POSTs (spec §6; clopos.server.idempotency).

Shown on ``POST /customers`` on both prefixes and on ``POST /open-api/v2/orders``: a retried
request answers the first response again, byte for byte, and writes nothing twice. Keys
are scoped per brand and API client; a request refused before or during its work does not
use its key up; a key whose first request is still running makes the second one wait, then
409; a claim left by a crashed request is taken over after 30 seconds; keys expire after
24 hours.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import APIRouter, Request
from sqlalchemy import func, select, update

from clopos.server import idempotency
from clopos.server.api.deps import CallerDep, SessionDep
from clopos.server.domain.timestamps import utcnow
from clopos.server.errors import ValidationFailed
from clopos.server.idempotency import idempotent
from clopos.server.responses import respond
from clopos.server.store.models import Balance, Brand, Customer, IdempotencyKey, Order

Api = tuple[str, dict[str, str]]


def error_code(prefix: str, body: dict[str, Any]) -> str:
    """The error code in either rendering (v2 string, v1 list of one)."""
    if prefix == "/open-api/v2":
        code: str = body["error"]
    else:
        code = body["error"][0]["type"]
    return code


def new_customer() -> dict[str, Any]:
    """A customer body with a phone no other test uses."""
    digits = str(uuid.uuid4().int)[:9]
    return {"name": "Idem Potent", "phone": f"+99477{digits}", "email": "idem@example.com"}


async def count_customers(app: Any, phone: str) -> int:
    async with app.state.clopos.sessions() as session:
        found: int = await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.phone == phone)
        )
    return found


async def brand_id(app: Any, slug: str = "openapitest") -> int:
    async with app.state.clopos.sessions() as session:
        found: int = await session.scalar(select(Brand.id).where(Brand.slug == slug))
    return found


async def store_key(app: Any, **values: Any) -> None:
    """Put an ``idempotency_keys`` row straight into the database."""
    async with app.state.clopos.sessions() as session:
        session.add(IdempotencyKey(**values))
        await session.commit()


def key_headers(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


# --- replay and reuse ---------------------------------------------------------------------


async def test_same_key_same_body_replays_the_first_answer(
    client: httpx.AsyncClient, api: Api, app: Any
) -> None:
    prefix, headers = api
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    first = await client.post(f"{prefix}/customers", json=body, headers=key_headers(headers, key))
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    await asyncio.sleep(1.1)  # a fresh answer would carry a later envelope timestamp
    second = await client.post(f"{prefix}/customers", json=body, headers=key_headers(headers, key))
    assert second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["content-type"] == "application/json"
    assert second.content == first.content
    assert second.json()["data"]["phone"] == body["phone"]
    assert await count_customers(app, body["phone"]) == 1


async def test_without_a_key_every_post_is_a_new_request(
    client: httpx.AsyncClient, api: Api
) -> None:
    prefix, headers = api
    body = new_customer()
    first = await client.post(f"{prefix}/customers", json=body, headers=headers)
    again = await client.post(f"{prefix}/customers", json=body, headers=headers)
    assert first.status_code == 200
    # No key: the second request runs, and the unique phone refuses it.
    assert again.status_code == 409
    assert "idempotent-replayed" not in again.headers


async def test_same_key_different_body_is_refused(
    client: httpx.AsyncClient, api: Api, app: Any
) -> None:
    prefix, headers = api
    key = f"key-{uuid.uuid4()}"
    first_body = new_customer()
    other_body = new_customer()
    first = await client.post(
        f"{prefix}/customers", json=first_body, headers=key_headers(headers, key)
    )
    assert first.status_code == 200
    reused = await client.post(
        f"{prefix}/customers", json=other_body, headers=key_headers(headers, key)
    )
    assert reused.status_code == 422
    assert error_code(prefix, reused.json()) == "idempotency_key_reused"
    assert "different request body" in reused.json()["message"]
    assert await count_customers(app, other_body["phone"]) == 0


async def test_json_key_order_and_spacing_do_not_matter(
    client: httpx.AsyncClient, api: Api, app: Any
) -> None:
    prefix, headers = api
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    compact = orjson.dumps(body)
    reordered = orjson.dumps(dict(reversed(list(body.items())))).replace(b",", b", ")
    assert compact != reordered
    content_type = {"content-type": "application/json"}
    first = await client.post(
        f"{prefix}/customers",
        content=compact,
        headers={**key_headers(headers, key), **content_type},
    )
    second = await client.post(
        f"{prefix}/customers",
        content=reordered,
        headers={**key_headers(headers, key), **content_type},
    )
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert await count_customers(app, body["phone"]) == 1


async def test_a_key_belongs_to_one_endpoint(
    client: httpx.AsyncClient, v1: dict[str, str], v2: dict[str, str]
) -> None:
    # v1 and v2 share the demo client; the same key on the other prefix is another request.
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    first = await client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
    assert first.status_code == 200
    other = await client.post("/open-api/customers", json=body, headers=key_headers(v1, key))
    assert other.status_code == 422
    assert error_code("/open-api", other.json()) == "idempotency_key_reused"


async def test_keys_are_scoped_per_brand_and_client(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str], app: Any
) -> None:
    body = new_customer()
    key = f"shared-{uuid.uuid4()}"
    ours = await client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
    theirs = await client.post(
        "/open-api/v2/customers", json=body, headers=key_headers(other_v2, key)
    )
    assert ours.status_code == theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"]["id"] != ours.json()["data"]["id"]
    assert await count_customers(app, body["phone"]) == 2  # one per brand
    async with app.state.clopos.sessions() as session:
        brands = set(
            (
                await session.scalars(
                    select(Customer.brand_id).where(Customer.phone == body["phone"])
                )
            ).all()
        )
    assert brands == {await brand_id(app), await brand_id(app, "otherbrand")}


# --- failures do not use a key up ----------------------------------------------------------


async def test_a_body_refused_by_validation_does_not_burn_the_key(
    client: httpx.AsyncClient, api: Api, app: Any
) -> None:
    prefix, headers = api
    key = f"key-{uuid.uuid4()}"
    body = new_customer()
    missing_name = {k: v for k, v in body.items() if k != "name"}
    refused = await client.post(
        f"{prefix}/customers", json=missing_name, headers=key_headers(headers, key)
    )
    assert refused.status_code == 400
    # The route itself refuses an unknown group (after the key was claimed): released too.
    unknown_group = await client.post(
        f"{prefix}/customers", json={**body, "group_id": 999999}, headers=key_headers(headers, key)
    )
    assert unknown_group.status_code == 400
    assert "group_id" in unknown_group.json()["message"]
    fixed = await client.post(f"{prefix}/customers", json=body, headers=key_headers(headers, key))
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers
    again = await client.post(f"{prefix}/customers", json=body, headers=key_headers(headers, key))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == fixed.content
    assert await count_customers(app, body["phone"]) == 1


async def test_a_conflict_is_not_stored_either(
    client: httpx.AsyncClient, v2: dict[str, str]
) -> None:
    taken = new_customer()
    assert (await client.post("/open-api/v2/customers", json=taken, headers=v2)).status_code == 200
    key = f"key-{uuid.uuid4()}"
    clash = {**new_customer(), "phone": taken["phone"]}
    first = await client.post("/open-api/v2/customers", json=clash, headers=key_headers(v2, key))
    assert first.status_code == 409
    # The same request again runs again (and is refused again), rather than being replayed.
    second = await client.post("/open-api/v2/customers", json=clash, headers=key_headers(v2, key))
    assert second.status_code == 409
    assert "idempotent-replayed" not in second.headers


# --- in progress, stale, expired -----------------------------------------------------------


async def test_a_key_in_progress_makes_the_second_request_wait_then_409(
    client: httpx.AsyncClient, api: Api, app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix, headers = api
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.4)
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    now = utcnow()
    await store_key(
        app,
        brand_id=await brand_id(app),
        client_id="demo-client",
        key=key,
        request_hash=idempotency.request_fingerprint(
            "POST", f"{prefix}/customers", orjson.dumps(body)
        ),
        status="in_progress",
        created_at=now,
        expires_at=now + timedelta(hours=24),
    )
    started = time.monotonic()
    response = await client.post(
        f"{prefix}/customers", json=body, headers=key_headers(headers, key)
    )
    assert time.monotonic() - started >= 0.4
    assert response.status_code == 409
    assert error_code(prefix, response.json()) == "idempotency_key_in_progress"
    assert await count_customers(app, body["phone"]) == 0


async def test_a_waiting_request_gets_the_answer_once_the_first_completes(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    now = utcnow()
    await store_key(
        app,
        brand_id=await brand_id(app),
        client_id="demo-client",
        key=key,
        request_hash=idempotency.request_fingerprint(
            "POST", "/open-api/v2/customers", orjson.dumps(body)
        ),
        status="in_progress",
        created_at=now,
        expires_at=now + timedelta(hours=24),
    )
    stored = b'{"success":true,"data":{"id":424242},"message":"Customer created"}'

    async def finish_first() -> None:
        await asyncio.sleep(0.3)
        async with app.state.clopos.sessions() as session:
            await session.execute(
                update(IdempotencyKey)
                .where(IdempotencyKey.key == key)
                .values(status="completed", response_status=200, response_body=stored.decode())
            )
            await session.commit()

    waiting, _ = await asyncio.gather(
        client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key)),
        finish_first(),
    )
    assert waiting.status_code == 200
    assert waiting.headers["idempotent-replayed"] == "true"
    assert waiting.content == stored
    assert await count_customers(app, body["phone"]) == 0


async def test_a_stale_claim_is_taken_over(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    body = new_customer()
    key = f"key-{uuid.uuid4()}"
    minute_ago = utcnow() - timedelta(minutes=1)
    await store_key(
        app,
        brand_id=await brand_id(app),
        client_id="demo-client",
        key=key,
        request_hash=idempotency.request_fingerprint(
            "POST", "/open-api/v2/customers", orjson.dumps(body)
        ),
        status="in_progress",
        created_at=minute_ago,
        expires_at=minute_ago + timedelta(hours=24),
    )
    taken = await client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
    assert taken.status_code == 200, taken.text
    assert "idempotent-replayed" not in taken.headers
    again = await client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == taken.content
    assert await count_customers(app, body["phone"]) == 1


async def test_an_expired_key_is_used_as_new(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    key = f"key-{uuid.uuid4()}"
    long_ago = utcnow() - timedelta(days=2)
    await store_key(
        app,
        brand_id=await brand_id(app),
        client_id="demo-client",
        key=key,
        request_hash="0" * 64,  # another body: would be 422 if the key were still alive
        status="completed",
        response_status=200,
        response_body='{"success":true,"data":{"id":1}}',
        created_at=long_ago,
        expires_at=long_ago + timedelta(hours=24),
    )
    body = new_customer()
    fresh = await client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
    assert fresh.status_code == 200, fresh.text
    assert "idempotent-replayed" not in fresh.headers
    assert fresh.json()["data"]["phone"] == body["phone"]
    assert await count_customers(app, body["phone"]) == 1


@pytest.mark.parametrize(("length", "status"), [(255, 200), (256, 400)])
async def test_key_length_limit(
    client: httpx.AsyncClient, api: Api, app: Any, length: int, status: int
) -> None:
    prefix, headers = api
    body = new_customer()
    response = await client.post(
        f"{prefix}/customers", json=body, headers=key_headers(headers, "k" * length)
    )
    assert response.status_code == status, response.text
    if status == 400:
        assert error_code(prefix, response.json()) == "invalid_parameter"
        assert "Idempotency-Key" in response.json()["message"]
        assert await count_customers(app, body["phone"]) == 0


# --- concurrency ----------------------------------------------------------------------------


async def test_twenty_concurrent_requests_with_one_key_write_once(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    body = new_customer()
    key = f"race-{uuid.uuid4()}"
    answers = await asyncio.gather(
        *(
            client.post("/open-api/v2/customers", json=body, headers=key_headers(v2, key))
            for _ in range(20)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {200, 409}, [a.text for a in answers if a.status_code not in (200, 409)]
    ok = [a for a in answers if a.status_code == 200]
    originals = [a for a in ok if "idempotent-replayed" not in a.headers]
    assert len(originals) == 1
    assert all(a.content == originals[0].content for a in ok)
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"] == "idempotency_key_in_progress"
    assert await count_customers(app, body["phone"]) == 1


# --- orders ---------------------------------------------------------------------------------


def new_order() -> dict[str, Any]:
    """A v2 flat order body (spec §11.4) for Margherita (demo product, 8.50)."""
    return {
        "sale_type_id": 3,
        "venue_id": 1,
        "customer": {
            "id": 1,
            "name": "Idem Potent",
            "phone": "+994501112233",
            "address": "1 Main St",
            "customer_discount_type": 1,
        },
        "products": [
            {
                "product_id": 1,
                "product_name": "Margherita",
                "count": 1,
                "price": 8.5,
                "status": "new",
                "product_hash": f"h-{uuid.uuid4().hex[:8]}",
            }
        ],
        "comment": "idempotency",
    }


async def count_orders(app: Any) -> int:
    async with app.state.clopos.sessions() as session:
        found: int = await session.scalar(select(func.count()).select_from(Order))
    return found


async def test_order_creation_is_replayed_not_repeated(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    body = await order_body(client, v2)
    key = f"order-{uuid.uuid4()}"
    before = await count_orders(app)
    first = await client.post("/open-api/v2/orders", json=body, headers=key_headers(v2, key))
    assert first.status_code in (200, 201), first.text
    second = await client.post("/open-api/v2/orders", json=body, headers=key_headers(v2, key))
    assert second.status_code == first.status_code
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert await count_orders(app) == before + 1
    changed = {**body, "comment": "another"}
    reused = await client.post("/open-api/v2/orders", json=changed, headers=key_headers(v2, key))
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"
    assert await count_orders(app) == before + 1


async def order_body(client: httpx.AsyncClient, v2: dict[str, str]) -> dict[str, Any]:
    """``new_order()`` with the real ids of Margherita and of the Delivery sale type."""
    products = await client.get("/open-api/v2/products", params={"limit": 100}, headers=v2)
    margherita = next(p for p in products.json()["data"] if p["name"] == "Margherita")
    sale_types = await client.get("/open-api/v2/sale-types", headers=v2)
    delivery = next(s for s in sale_types.json()["data"] if s["name"] == "Delivery")
    body = new_order()
    body["sale_type_id"] = delivery["id"]
    body["products"][0]["product_id"] = margherita["id"]
    return body


# --- a route that fails after writing -------------------------------------------------------


async def test_a_route_failing_after_its_write_releases_the_key_promptly(
    client: httpx.AsyncClient, v2: dict[str, str], app: Any
) -> None:
    """The guard undoes the route's writes before releasing the claim; otherwise the
    release would wait on the lock the route's own session still holds (SQLite's write
    lock, PostgreSQL's row lock on the completed key) and the request would hang."""
    router = APIRouter()

    @router.post("/open-api/v2/test-only/fail-after-write")
    async def fail_after_write(request: Request, caller: CallerDep, session: SessionDep) -> Any:
        async with idempotent(request, caller, session) as guard:
            session.add(Balance(brand_id=caller.brand_id, name="x", type="CUSTOMER", amount=0))
            await session.flush()
            await guard.complete(respond(request, {"id": 1}))
            raise ValidationFailed("The total field is invalid: refused after the write")

    app.include_router(router)
    key = f"key-{uuid.uuid4()}"
    for _ in range(2):  # the second attempt runs again: the key was released
        response = await asyncio.wait_for(
            client.post(
                "/open-api/v2/test-only/fail-after-write",
                json={"n": 1},
                headers=key_headers(v2, key),
            ),
            timeout=10,
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "validation_failed"
    async with app.state.clopos.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Balance).where(Balance.name == "x")
            )
            == 0
        )
        assert (
            await session.scalar(
                select(func.count()).select_from(IdempotencyKey).where(IdempotencyKey.key == key)
            )
            == 0
        )
