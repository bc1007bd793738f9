"""integrify-clopos 0.0.1 (Open API v1) requests, replayed byte for byte against ``/open-api/``.

0.0.1 cannot be installed beside 0.1.0 (same ``integrify.clopos`` package), so its traffic
is replayed with plain httpx — the same library and defaults the package uses
(``Accept: */*``, ``User-Agent: python-httpx/…``) — with exactly the headers it adds
(existing-python-client.md §2 step 4.3, §4.1): ``Content-Type: application/json`` even on
GET, ``x-brand`` and ``x-venue`` from its env vars, and the caller's ``x-token``. Query
strings are written already percent-encoded, as httpx encodes the package's parameters.

Responses are validated with the package's models. The shared response models of 0.0.1 are
identical to 0.1.0's (§5.1; checked against both wheels), so 0.1.0's classes are used; the
two 0.0.1-only models (auth, which requires ``message``, and errors, which allow ``null``)
are copied below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import httpx
import pytest
from integrify.clopos.schemas.categories.object import Category
from integrify.clopos.schemas.common.response import Errors, ObjectListResponse, ObjectResponse
from integrify.clopos.schemas.customers.object import Customer, Group
from integrify.clopos.schemas.products.object import Product, StopList
from integrify.clopos.schemas.sales.object import PaymentMethod, SaleType
from integrify.clopos.schemas.stations.object import Station
from integrify.clopos.schemas.users.object import User
from integrify.clopos.schemas.venues.object import Venue
from pydantic import BaseModel

from clopos.server.demo import DEMO_BRAND, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

# ---------------------------------------------------------------------------------------------
# the 0.0.1-only response models, as shipped in its wheel


class AuthResponseV001(BaseModel):
    """``integrify.clopos.schemas.auth.response.AuthResponse`` of 0.0.1."""

    success: Literal[True]
    token: str
    token_type: str
    expires_in: int
    message: str


class ErrorResponseV001(BaseModel):
    """``integrify.clopos.schemas.common.response.ErrorResponse`` of 0.0.1."""

    success: Literal[False]
    error: list[Errors] | None = None
    message: str | None = None


# ---------------------------------------------------------------------------------------------
# wire helpers

# What 0.0.1's AuthedAPIPayloadHandler.headers adds when CLOPOS_BRAND / CLOPOS_VENUE_ID are set.
PACKAGE_HEADERS = {"Content-Type": "application/json", "x-brand": DEMO_BRAND, "x-venue": "1"}

# ``products``: the request model is json.dumps'ed and httpx sends that string as the raw query,
# so the whole JSON object becomes one key with an empty value (§4).
PRODUCTS_NO_ARGS = "/open-api/products?%7B%7D="
PRODUCTS_LIMIT_100 = "/open-api/products?%7B%22limit%22%3A+100%7D="
# {"page": 1, "limit": 20, "selects[]": "id,name,price", "filters": {"type": ["type", ["GOODS"]]}}
PRODUCTS_GOODS = (
    "/open-api/products?%7B%22page%22%3A+1%2C+%22limit%22%3A+20%2C+%22selects%5B%5D%22%3A+"
    "%22id%2Cname%2Cprice%22%2C+%22filters%22%3A+%7B%22type%22%3A+%5B%22type%22%2C+"
    "%5B%22GOODS%22%5D%5D%7D%7D="
)


def send(
    http: httpx.Client,
    method: str,
    target: str,
    token: str,
    *,
    body: dict[str, Any] | None = None,
    venue: str = "1",
) -> httpx.Response:
    """One request as 0.0.1 sends it: package headers, then the caller's ``x-token``."""
    headers = {**PACKAGE_HEADERS, "x-venue": venue, "x-token": token}
    return http.request(method, target, headers=headers, json=body)


def check_envelope(body: dict[str, Any]) -> None:
    """The envelope fields 0.0.1 requires, with the JSON types it accepts (§5)."""
    assert body["success"] is True
    assert type(body["time"]) is int
    assert type(body["timestamp"]) is str
    assert type(body["unix"]) is int
    assert "data" in body
    if "total" in body:
        assert type(body["total"]) is int
    if "sorts" in body:
        assert all(isinstance(s, str) for s in body["sorts"])


@pytest.fixture(scope="module")
def token(http: httpx.Client) -> str:
    """A v1 token, requested exactly as 0.0.1's ``auth()`` does (venue_id as a string)."""
    response = http.post(
        "/open-api/auth",
        headers={"Content-Type": "application/json"},
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "brand": DEMO_BRAND,
            "venue_id": "1",
        },
    )
    assert response.status_code == 200, response.text
    return AuthResponseV001.model_validate(response.json()).token


def data_of(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    body = response.json()
    check_envelope(body)
    return body["data"]


@pytest.fixture(scope="module")
def ids(http: httpx.Client, token: str) -> dict[str, int]:
    """Ids of the demo rows the by-id requests name, looked up over v1 itself."""

    def lookup(target: str, key: str, value: str) -> int:
        rows = data_of(send(http, "GET", target, token))
        return int(next(row["id"] for row in rows if row[key] == value))

    return {
        "owner": lookup("/open-api/users", "username", "Owner"),
        "john": lookup(
            "/open-api/customers?filters%5B0%5D%5B0%5D=name&filter%5B0%5D%5B1%5D=John",
            "name",
            "John Smith",
        ),
        "drinks": lookup("/open-api/categories?type=PRODUCT", "name", "Drinks"),
        "kitchen": lookup("/open-api/stations", "name", "Kitchen"),
        "margherita": lookup(PRODUCTS_LIMIT_100, "name", "Margherita"),
        "truffle": lookup(PRODUCTS_LIMIT_100, "name", "Truffle Mushroom"),
        "cheesecake": lookup(PRODUCTS_LIMIT_100, "name", "Cheesecake"),
        "tiramisu": lookup(PRODUCTS_LIMIT_100, "name", "Tiramisu"),
    }


# ---------------------------------------------------------------------------------------------
# auth


def test_auth_body_and_response_as_0_0_1_expects(http: httpx.Client) -> None:
    response = http.post(
        "/open-api/auth",
        headers={"Content-Type": "application/json"},
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
            "brand": DEMO_BRAND,
            "venue_id": "1",
        },
    )
    assert response.status_code == 200
    raw = response.json()
    parsed = AuthResponseV001.model_validate(raw)
    assert parsed.message == "Authentication successful"
    assert parsed.token_type == "Bearer"
    assert type(raw["expires_in"]) is int
    assert raw["expires_in"] == 3600


def test_auth_failure_is_a_list_shaped_error(http: httpx.Client) -> None:
    response = http.post(
        "/open-api/auth",
        headers={"Content-Type": "application/json"},
        json={
            "client_id": DEMO_CLIENT_ID,
            "client_secret": "wrong",
            "brand": DEMO_BRAND,
            "venue_id": "1",
        },
    )
    assert response.status_code == 401
    error = ErrorResponseV001.model_validate(response.json())
    assert error.error is not None
    assert error.error[0].http_code == 401


# ---------------------------------------------------------------------------------------------
# every read endpoint 0.0.1 has, with its exact query string


@dataclass(frozen=True)
class Case:
    """One replayed request: target (``{name}`` filled from ``ids``), model, value check."""

    name: str
    target: str
    model: type[BaseModel]
    many: bool
    check: Callable[[Any, dict[str, int]], None]


def _names(data: Any) -> list[str]:
    return [item.name for item in data]


def _check_venues(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["Main", "Airport"]


def _check_users(data: Any, ids: dict[str, int]) -> None:
    assert len(data) == 6
    owner = next(u for u in data if u.username == "Owner")
    assert (owner.pin, owner.owner, owner.status) == ("1111", 1, True)


def _check_user(data: Any, ids: dict[str, int]) -> None:
    assert (data.id, data.username) == (ids["owner"], "Owner")


def _check_customers(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["John Smith"]
    john = data[0]
    assert john.group is not None and john.group.id == john.group_id
    assert john.balance is not None and john.balance.id == john.balance_id


def _check_customer(data: Any, ids: dict[str, int]) -> None:
    assert (data.id, data.name) == (ids["john"], "John Smith")


def _check_groups(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["My Customers", "VIP", "Staff"]


def _check_categories(data: Any, ids: dict[str, int]) -> None:
    assert {"Food", "Drinks", "Entertainment"} <= set(_names(data))
    assert all(c.type == "PRODUCT" for c in data)


def _check_category(data: Any, ids: dict[str, int]) -> None:
    assert data.name == "Drinks"
    assert {c.name for c in data.children or []} == {"Hot Drinks", "Cold Drinks"}


def _check_stations(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["Kitchen", "Bar"]


def _check_station(data: Any, ids: dict[str, int]) -> None:
    assert (data.id, data.name, data.printable) == (ids["kitchen"], "Kitchen", 1)


def _check_products(data: Any, ids: dict[str, int]) -> None:
    margherita = next(p for p in data if p.id == ids["margherita"])
    assert margherita.price == Decimal("8.50")


def _check_goods(data: Any, ids: dict[str, int]) -> None:
    assert len(data) == 8
    assert all(p.type == "GOODS" for p in data)
    water = next(p for p in data if p.name == "Mineral Water")
    assert water.price == Decimal("1.20")


def _check_product(data: Any, ids: dict[str, int]) -> None:
    assert (data.id, data.name, data.price) == (ids["margherita"], "Margherita", Decimal("8.50"))
    assert [t.name for t in data.taxes or []] == ["VAT 18%"]
    assert [g.name for g in data.modificator_groups or []] == ["Pizza size", "Extra toppings"]


def _check_stop_list(data: Any, ids: dict[str, int]) -> None:
    limits = {entry.id: entry.limit for entry in data}
    assert limits[ids["truffle"]] == 0
    assert limits[ids["cheesecake"]] == 3
    assert ids["tiramisu"] not in limits  # stopped at Airport only
    assert all(entry.timestamp > 10**12 for entry in data)  # Unix ms


def _check_stop_list_limit(data: Any, ids: dict[str, int]) -> None:
    assert sorted(entry.limit for entry in data) == [3, 12]


def _check_sale_types(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["Dine-in", "Takeaway", "Delivery"]
    assert data[2].status == {"1": 1, "2": 0}


def _check_payment_methods(data: Any, ids: dict[str, int]) -> None:
    assert _names(data) == ["Cash", "Card", "Customer Balance"]
    assert [m.customer_required for m in data] == [0, 0, 1]


CASES = [
    Case("venues", "/open-api/venues?page=1&limit=10", Venue, True, _check_venues),
    Case("users", "/open-api/users?page=1&limit=10", User, True, _check_users),
    Case("user", "/open-api/users/{owner}", User, False, _check_user),
    Case(
        "customers",
        "/open-api/customers?with%5B0%5D=group&with%5B1%5D=balance"
        "&filters%5B0%5D%5B0%5D=name&filter%5B0%5D%5B1%5D=John",
        Customer,
        True,
        _check_customers,
    ),
    Case("customer", "/open-api/customers/{john}", Customer, False, _check_customer),
    Case("groups", "/open-api/customer-groups?page=1&limit=10", Group, True, _check_groups),
    Case(
        "categories",
        "/open-api/categories?page=1&limit=50&type=PRODUCT"
        "&include_children=true&include_inactive=false",
        Category,
        True,
        _check_categories,
    ),
    Case(
        "category",
        "/open-api/categories/{drinks}?include_children=true",
        Category,
        False,
        _check_category,
    ),
    Case("stations", "/open-api/stations?status=1&can_print=true", Station, True, _check_stations),
    Case("station", "/open-api/stations/{kitchen}", Station, False, _check_station),
    Case("products", PRODUCTS_NO_ARGS, Product, True, _check_products),
    Case("products-goods", PRODUCTS_GOODS, Product, True, _check_goods),
    Case(
        "product",
        "/open-api/products/{margherita}?with%5B%5D=taxes&with%5B%5D=modificator_groups",
        Product,
        False,
        _check_product,
    ),
    Case("stop-list", "/open-api/products/stop-list", StopList, True, _check_stop_list),
    Case(
        "stop-list-limit",
        "/open-api/products/stop-list?filters%5B0%5D%5B0%5D=limit&filters%5B0%5D%5B1%5D%5B0%5D=1",
        StopList,
        True,
        _check_stop_list_limit,
    ),
    Case("sale-types", "/open-api/sale-types?page=1&limit=20", SaleType, True, _check_sale_types),
    Case(
        "payment-methods",
        "/open-api/payment-methods?page=1&limit=20",
        PaymentMethod,
        True,
        _check_payment_methods,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_read_endpoint_replayed(
    http: httpx.Client, token: str, ids: dict[str, int], case: Case
) -> None:
    response = send(http, "GET", case.target.format(**ids), token)
    assert response.status_code == 200, response.text
    body = response.json()
    check_envelope(body)
    envelope = (ObjectListResponse if case.many else ObjectResponse)[case.model]  # type: ignore[index]
    parsed = envelope.model_validate(body)
    case.check(parsed.data, ids)


def test_requests_carry_the_package_headers(http: httpx.Client, token: str) -> None:
    """The replay really sends what 0.0.1 sends, including ``Content-Type`` on a GET."""
    response = send(http, "GET", PRODUCTS_NO_ARGS, token)
    sent = response.request.headers
    assert sent["content-type"] == "application/json"
    assert sent["accept"] == "*/*"
    assert sent["x-brand"] == DEMO_BRAND
    assert sent["x-venue"] == "1"
    assert response.request.url.raw_path == b"/open-api/products?%7B%7D="
    assert response.status_code == 200


def test_x_venue_selects_the_venue(http: httpx.Client, token: str, ids: dict[str, int]) -> None:
    response = send(http, "GET", "/open-api/products/stop-list", token, venue="2")
    parsed = ObjectListResponse[StopList].model_validate(response.json())
    assert [(e.id, e.limit) for e in parsed.data] == [(ids["tiramisu"], 0)]


def test_create_customer(http: httpx.Client, token: str) -> None:
    # 0.0.1's CreateCustomerRequest: only the passed keys; gender an int, date in ISO form.
    body = {
        "name": "Wire V1",
        "phone": "+994507770002",
        "code": "WIRE-V1",
        "gender": 1,
        "date_of_birth": "1985-01-02",
    }
    response = send(http, "POST", "/open-api/customers", token, body=body)
    assert response.status_code == 200, response.text
    check_envelope(response.json())
    created = ObjectResponse[Customer].model_validate(response.json()).data
    assert (created.name, created.phone, created.code) == ("Wire V1", "+994507770002", "WIRE-V1")
    assert (created.gender, created.date_of_birth) == (1, "1985-01-02")
    assert created.cid


# ---------------------------------------------------------------------------------------------
# errors 0.0.1 turns into resp.ok == False instead of raising


def test_unknown_id_is_a_list_shaped_404(http: httpx.Client, token: str) -> None:
    response = send(http, "GET", "/open-api/users/987654321", token)
    assert response.status_code == 404
    parsed = ErrorResponseV001.model_validate(response.json())
    assert parsed.error is not None
    first = parsed.error[0]
    assert first.http_code == 404
    assert first.type == "resource_not_found"
    assert first.exception == "NotFoundHttpException"
    assert first.code == 0


def test_missing_headers_is_a_list_shaped_401(http: httpx.Client) -> None:
    response = http.get("/open-api/venues", headers={"Content-Type": "application/json"})
    assert response.status_code == 401
    parsed = ErrorResponseV001.model_validate(response.json())
    assert parsed.error is not None
    assert parsed.error[0].http_code == 401


def test_wrong_brand_header_is_a_list_shaped_401(http: httpx.Client, token: str) -> None:
    response = http.get(
        "/open-api/venues", headers={**PACKAGE_HEADERS, "x-brand": "otherbrand", "x-token": token}
    )
    assert response.status_code == 401
    assert ErrorResponseV001.model_validate(response.json()).error is not None


def test_bad_limit_is_a_list_shaped_400(http: httpx.Client, token: str) -> None:
    response = send(http, "GET", "/open-api/users?page=1&limit=1000", token)
    assert response.status_code == 400
    parsed = ErrorResponseV001.model_validate(response.json())
    assert parsed.error is not None
    assert parsed.error[0].type == "invalid_parameter"
    assert parsed.error[0].http_code == 400
