"""``GET /sale-types`` and ``GET /payment-methods`` on both prefixes (spec §10.10, §10.11)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from clopos.server.domain.timestamps import utcnow
from clopos.server.store.models import Brand, PaymentMethod, SaleType

Api = tuple[str, dict[str, str]]
ISO_MICRO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
ENVELOPE = {"success", "data", "total", "time", "timestamp", "unix"}


async def get(client: httpx.AsyncClient, api: Api, path: str, **params: Any) -> httpx.Response:
    prefix, headers = api
    return await client.get(f"{prefix}{path}", headers=headers, params=params)


async def test_sale_types(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/sale-types")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == ENVELOPE
    assert body["total"] == 3
    assert [s["name"] for s in body["data"]] == ["Dine-in", "Takeaway", "Delivery"]
    dine_in, _takeaway, delivery = body["data"]
    assert set(dine_in) == {
        "id",
        "name",
        "system_type",
        "channel",
        "status",
        "service_charge_rate",
        "position",
        "payment_method_id",
        "payment_method",
        "media",
        "created_at",
        "updated_at",
        "deleted_at",
    }
    assert dine_in["system_type"] == "IN"
    assert dine_in["channel"] == "POS"
    assert dine_in["status"] == {"1": 1, "2": 1}  # venue map object, not an int
    assert dine_in["service_charge_rate"] == 10
    assert dine_in["position"] == 1
    assert dine_in["payment_method_id"] is None and dine_in["payment_method"] is None
    assert dine_in["media"] == [] and dine_in["deleted_at"] is None
    assert ISO_MICRO.match(dine_in["created_at"]) and ISO_MICRO.match(dine_in["updated_at"])
    assert delivery["system_type"] == "DELIVERY"
    assert delivery["status"] == {"1": 1, "2": 0}  # disabled at the airport
    assert delivery["service_charge_rate"] is None


async def test_payment_methods(client: httpx.AsyncClient, api: Api) -> None:
    response = await get(client, api, "/payment-methods")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == ENVELOPE
    assert [m["name"] for m in body["data"]] == ["Cash", "Card", "Customer Balance"]
    cash, card, customer_balance = body["data"]
    assert set(cash) == {
        "id",
        "name",
        "status",
        "split",
        "position",
        "customer_required",
        "is_system",
        "balance_id",
        "balance",
        "service",
        "created_at",
        "updated_at",
        "deleted_at",
    }
    assert cash["status"] == {"1": 1, "2": 1}
    assert (cash["split"], cash["customer_required"], cash["is_system"]) == (1, 0, 1)
    assert cash["balance"]["id"] == cash["balance_id"]
    assert cash["balance"]["system_type"] == "CASH"
    assert cash["balance"]["type"] == "CASH"
    assert cash["balance"]["name"] == "Cash drawer"
    assert {"id", "system_type", "name", "type", "created_at", "updated_at"} <= set(cash["balance"])
    assert card["balance"]["system_type"] == "CARD"
    assert customer_balance["customer_required"] == 1
    assert customer_balance["is_system"] == 0
    assert customer_balance["split"] == 0
    assert customer_balance["status"] == {"1": 1, "2": 0}
    assert customer_balance["balance_id"] is None and customer_balance["balance"] is None
    assert customer_balance["service"] == {"name": "loyalty", "type": "BALANCE"}
    assert ISO_MICRO.match(cash["created_at"])


@pytest.mark.parametrize("path", ["/sale-types", "/payment-methods"])
async def test_limit_bounds_and_paging(client: httpx.AsyncClient, api: Api, path: str) -> None:
    one = (await get(client, api, path, limit=1, page=3)).json()
    assert len(one["data"]) == 1 and one["data"][0]["position"] == 3
    assert one["total"] == 3
    assert len((await get(client, api, path, limit=100)).json()["data"]) == 3
    default = (await get(client, api, path)).json()
    assert len(default["data"]) == 3
    for bad in ("0", "101", "x"):
        response = await get(client, api, path, limit=bad)
        assert response.status_code == 400, bad
        assert response.json()["success"] is False
    message = (await get(client, api, path, limit=101)).json()["message"]
    assert message == "The 'limit' parameter must be between 1 and 100"


async def test_sale_type_embeds_its_payment_method_and_deleted_rows_are_hidden(
    app: Any, client: httpx.AsyncClient, api: Api
) -> None:
    async with app.state.clopos.sessions() as session:
        brand_id = await session.scalar(select(Brand.id).where(Brand.slug == "openapitest"))
        card = await session.scalar(
            select(PaymentMethod).where(
                PaymentMethod.brand_id == brand_id, PaymentMethod.name == "Card"
            )
        )
        assert brand_id is not None and card is not None
        session.add_all(
            [
                SaleType(
                    brand_id=brand_id,
                    name="Kiosk",
                    system_type="TAKEAWAY",
                    channel="KIOSK",
                    status={"1": 1},
                    position=4,
                    payment_method_id=card.id,
                ),
                SaleType(brand_id=brand_id, name="Old", status={"1": 0}, deleted_at=utcnow()),
                PaymentMethod(brand_id=brand_id, name="Voucher", status={}, deleted_at=utcnow()),
            ]
        )
        await session.commit()
    sale_types = (await get(client, api, "/sale-types")).json()
    assert [s["name"] for s in sale_types["data"]] == ["Dine-in", "Takeaway", "Delivery", "Kiosk"]
    kiosk = sale_types["data"][-1]
    assert kiosk["payment_method_id"] == card.id
    assert kiosk["payment_method"]["name"] == "Card"
    assert kiosk["payment_method"]["status"] == {"1": 1, "2": 1}
    assert kiosk["payment_method"]["balance"]["system_type"] == "CARD"
    methods = (await get(client, api, "/payment-methods")).json()
    assert "Voucher" not in [m["name"] for m in methods["data"]]
    assert methods["total"] == 3


async def test_other_brand_sees_only_its_own(
    client: httpx.AsyncClient, v2: dict[str, str], other_v2: dict[str, str]
) -> None:
    for path in ("/sale-types", "/payment-methods"):
        ours = (await client.get(f"/open-api/v2{path}", headers=v2)).json()["data"]
        theirs = (await client.get(f"/open-api/v2{path}", headers=other_v2)).json()
        assert theirs["total"] == 3
        assert {r["id"] for r in ours}.isdisjoint({r["id"] for r in theirs["data"]})
    their_methods = (await client.get("/open-api/v2/payment-methods", headers=other_v2)).json()
    our_methods = (await client.get("/open-api/v2/payment-methods", headers=v2)).json()
    their_balances = {m["balance_id"] for m in their_methods["data"]} - {None}
    our_balances = {m["balance_id"] for m in our_methods["data"]} - {None}
    assert their_balances and their_balances.isdisjoint(our_balances)
    # venue maps name the other brand's own venues
    their_venues = {
        v["id"] for v in (await client.get("/open-api/v2/venues", headers=other_v2)).json()["data"]
    }
    assert {int(k) for k in their_methods["data"][0]["status"]} == their_venues
