"""Apideck's own Python SDKs against our unified POS API (apideck-sdk-wire.md).

* **apideck 1.4.7** (legacy, openapi-generator, urllib3): the only official Python SDK with
  POS methods (``PosApi``). It validates answers strictly (enums, integer amounts, dates),
  so every order it decodes proves our envelopes and Order objects are what the spec says.
* **apideck-unify 0.52.0** (Speakeasy, httpx + pydantic): it has **no POS namespace**
  (apideck-sdk-wire.md §1). Following that document, ``UnifyPos`` below is a POS client
  built on the SDK's own machinery — ``BaseSDK._build_request``/``do_request``, its
  ``Security``, hooks, typed errors, ``match_response`` and JSONPath auto-pagination — with
  paths and body types from Apideck's POS spec, exactly as its generated operations are
  written. Its wire format (``raw=false`` on every call, compact JSON, header order) is the
  SDK's, not ours.

The server is ``create_app`` under uvicorn on a free port (the compat tests' way), over a
migrated, demo-seeded SQLite file; the till (``/sandbox``) accepts orders in between.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import apideck
import httpx
import pydantic
import pytest
import uvicorn
from apideck.api import pos_api
from apideck.exceptions import ApiException
from apideck.model.order import Order as LegacyOrder
from apideck.model.order_line_items import OrderLineItems as LegacyLineItem
from apideck.model.order_tenders import OrderTenders as LegacyTender
from apideck_unify import Apideck, models
from apideck_unify._hooks import HookContext
from apideck_unify.basesdk import BaseSDK
from apideck_unify.types import BaseModel
from apideck_unify.utils import (
    BackoffStrategy,
    FieldMetadata,
    HeaderMetadata,
    PathParamMetadata,
    QueryParamMetadata,
    RequestMetadata,
    RetryConfig,
    get_security_from_env,
    match_response,
    serialize_request_body,
    unmarshal_json,
)
from apideck_unify.utils.unmarshal_json_response import unmarshal_json_response
from jsonpath import JSONPath
from pydantic import SecretStr

from clopos.server.app import create_app
from clopos.server.store.migrate import upgrade
from clopos.settings import Settings
from compat.conftest import FAST_HASH_N, _free_socket, _seed

API_KEY = "demo-unified-key"
APP_ID = "demo-app"
CONSUMER_ID = "demo-consumer"
BRAND = "openapitest"
TILL_TOKEN = "compat-till-token"
STARTUP_TIMEOUT_SECONDS = 15.0


# --- the server -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``create_app`` under uvicorn, with the till switched on."""
    path: Path = tmp_path_factory.mktemp("apideck") / "clopos.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    settings = Settings(
        database_url=url,
        secret_hash_n=FAST_HASH_N,
        redis_url=None,
        admin_token=SecretStr(TILL_TOKEN),
        rate_limit_tenant_per_minute=100_000,
    )
    sock = _free_socket()
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start; see the uvicorn log above")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def accept_at_till(server: str, order_id: str) -> None:
    response = httpx.post(
        f"{server}/sandbox/brands/{BRAND}/orders/{order_id}/accept",
        headers={"Authorization": f"Bearer {TILL_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


# --- the legacy apideck 1.4.7 PosApi --------------------------------------------------------


@pytest.fixture(scope="module")
def legacy(server: str) -> Iterator[pos_api.PosApi]:
    config = apideck.Configuration(host=server)
    config.api_key["apiKey"] = API_KEY
    config.api_key_prefix["apiKey"] = "Bearer"
    with apideck.ApiClient(config) as client:
        yield pos_api.PosApi(client)


WHO = {"consumer_id": CONSUMER_ID, "app_id": APP_ID, "service_id": "clopos"}


def legacy_order(**extra: Any) -> LegacyOrder:
    return LegacyOrder(
        merchant_id=BRAND,
        location_id="1",
        customer_id="1",
        note="legacy sdk",
        line_items=[LegacyLineItem(name="Margherita", quantity=2.0, item={})],
        **extra,
    )


def test_legacy_sdk_runs_the_whole_order_life(legacy: pos_api.PosApi, server: str) -> None:
    created = legacy.orders_add(legacy_order(), **WHO)
    assert created.status_code == 201 and created.operation == "add"
    order_id = created.data.id

    one = legacy.orders_one(order_id, **WHO)
    order = one.data
    assert (order.id, order.status, order.payment_status) == (order_id, "open", "open")
    assert order.total_amount == 1700 and isinstance(order.total_amount, int)
    assert isinstance(order.created_at, datetime)
    assert order.line_items[0].name == "Margherita"

    accept_at_till(server, order_id)
    updated = legacy.orders_update(
        order_id, LegacyOrder(merchant_id=BRAND, location_id="1", order_number="L1"), **WHO
    )
    assert updated.status_code == 200 and updated.data.id == order_id
    assert legacy.orders_one(order_id, **WHO).data.order_number == "L1"

    paid = legacy.orders_pay(
        order_id,
        LegacyOrder(
            merchant_id=BRAND,
            location_id="1",
            tenders=[LegacyTender(type="cash", amount=1700.0)],
        ),
        **WHO,
    )
    assert paid.status_code == 201 and paid.data.id == order_id
    assert legacy.orders_one(order_id, **WHO).data.payment_status == "paid"

    deleted = legacy.orders_delete(order_id, **WHO)
    assert deleted.status_code == 200 and deleted.data.id == order_id
    with pytest.raises(ApiException) as caught:
        legacy.orders_one(order_id, **WHO)
    assert caught.value.status == 404
    assert '"EntityNotFoundError"' in caught.value.body


def test_legacy_sdk_pages_through_every_order(legacy: pos_api.PosApi) -> None:
    mine = {legacy.orders_add(legacy_order(), **WHO).data.id for _ in range(3)}
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"limit": 2, **WHO}
        if cursor is not None:
            kwargs["cursor"] = cursor
        page = legacy.orders_all(**kwargs)
        pages += 1
        assert page.meta.items_on_page == len(page.data) <= 2
        seen.extend(o.id for o in page.data)
        cursor = page.meta.cursors.next
        if not cursor:
            break
    assert mine <= set(seen)
    assert len(seen) == len(set(seen)) and pages >= 2


def test_legacy_sdk_reads_the_catalog(legacy: pos_api.PosApi) -> None:
    assert [m.id for m in legacy.merchants_all(**WHO).data] == [BRAND]
    assert [loc.id for loc in legacy.locations_all(**WHO).data] == ["1", "2"]
    item = legacy.items_one("11", **WHO).data
    assert item.name == "Margherita"
    assert legacy.order_types_all(**WHO).data
    assert legacy.tenders_all(**WHO).data
    assert legacy.modifier_groups_all(**WHO).data


# --- apideck-unify 0.52.0: a POS client on the SDK's own machinery --------------------------

NO_RETRIES = RetryConfig("none", BackoffStrategy(0, 0, 1.0, 0), False)
Model = TypeVar("Model", bound=BaseModel)


class ItemRef(BaseModel):
    """``line_items[].item``: its only field is read-only, so it goes out as ``{}``."""


class LineItemInput(BaseModel):
    name: str | None = None
    quantity: float | None = None
    item: ItemRef | None = None


class TenderInput(BaseModel):
    name: str | None = None
    type: str | None = None
    amount: float | None = None


class FulfillmentInput(BaseModel):
    status: str | None = None


class OrderInput(BaseModel):
    """The POS ``Order`` request body (unified-pos.md §5), the members these tests send."""

    merchant_id: str
    location_id: str
    idempotency_key: str | None = None
    order_number: str | None = None
    status: str | None = None
    customer_id: str | None = None
    note: str | None = None
    version: str | None = None
    line_items: list[LineItemInput] | None = None
    fulfillments: list[FulfillmentInput] | None = None
    tenders: list[TenderInput] | None = None


class PosOrder(BaseModel):
    id: str | None = None
    status: str | None = None
    payment_status: str | None = None
    order_number: str | None = None
    total_amount: int | None = None
    version: str | None = None
    merchant_id: str | None = None
    location_id: str | None = None
    created_at: datetime | None = None
    line_items: list[dict[str, Any]] | None = None
    fulfillments: list[dict[str, Any]] | None = None


class IdResponse(BaseModel):
    status_code: int
    status: str
    service: str
    resource: str
    operation: str
    data: models.UnifiedID


class OrderResponse(BaseModel):
    status_code: int
    status: str
    service: str
    resource: str
    operation: str
    data: PosOrder


class OrdersResponse(BaseModel):
    status_code: int
    status: str
    service: str
    resource: str
    operation: str
    data: list[PosOrder]
    meta: models.Meta | None = None
    links: models.Links | None = None


class Headers(BaseModel):
    raw: Annotated[
        bool | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = False
    consumer_id: Annotated[
        str | None,
        pydantic.Field(alias="x-apideck-consumer-id"),
        FieldMetadata(header=HeaderMetadata(style="simple", explode=False)),
    ] = None
    app_id: Annotated[
        str | None,
        pydantic.Field(alias="x-apideck-app-id"),
        FieldMetadata(header=HeaderMetadata(style="simple", explode=False)),
    ] = None
    service_id: Annotated[
        str | None,
        pydantic.Field(alias="x-apideck-service-id"),
        FieldMetadata(header=HeaderMetadata(style="simple", explode=False)),
    ] = None


class Globals(BaseModel):
    consumer_id: Annotated[
        str | None,
        pydantic.Field(alias="x-apideck-consumer-id"),
        FieldMetadata(header=HeaderMetadata(style="simple", explode=False)),
    ] = None
    app_id: Annotated[
        str | None,
        pydantic.Field(alias="x-apideck-app-id"),
        FieldMetadata(header=HeaderMetadata(style="simple", explode=False)),
    ] = None


class ListRequest(Headers):
    cursor: Annotated[
        str | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = None
    limit: Annotated[
        int | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = 20
    location_id: Annotated[
        str | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = None
    fields: Annotated[
        str | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = None
    filter_: Annotated[
        dict[str, Any] | None,
        pydantic.Field(alias="filter"),
        FieldMetadata(query=QueryParamMetadata(style="deepObject", explode=True)),
    ] = None


class OneRequest(Headers):
    id: Annotated[str, FieldMetadata(path=PathParamMetadata(style="simple", explode=False))]
    fields: Annotated[
        str | None, FieldMetadata(query=QueryParamMetadata(style="form", explode=True))
    ] = None


class AddRequest(Headers):
    order: Annotated[
        OrderInput, FieldMetadata(request=RequestMetadata(media_type="application/json"))
    ]


class WithIdRequest(AddRequest):
    id: Annotated[str, FieldMetadata(path=PathParamMetadata(style="simple", explode=False))]


class Answer(BaseModel):
    """What a generated operation returns: the typed body for the documented status, else
    ``unexpected`` (the SDK's ``unexpected_error_response``), plus ``next`` for lists."""

    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    body: Any | None = None
    unexpected: Any | None = None
    http_res: httpx.Response | None = None
    next: Callable[[], Answer | None] | None = None


class UnifyPos(BaseSDK):
    """``/pos/orders`` operations written the way Speakeasy writes apideck-unify's."""

    def _run(
        self,
        *,
        method: str,
        path: str,
        operation_id: str,
        request: BaseModel,
        success: str,
        body_type: type[BaseModel],
        with_body: bool = False,
        path_params: bool = False,
        next_func: Callable[[httpx.Response], Answer | None] | None = None,
    ) -> Answer:
        base_url = self._get_url(None, None)
        req = self._build_request(
            method=method,
            path=path,
            base_url=base_url,
            url_variables=None,
            request=request,
            request_body_required=with_body,
            request_has_path_params=path_params,
            request_has_query_params=True,
            user_agent_header="user-agent",
            accept_header_value="application/json",
            _globals=Globals(
                consumer_id=self.sdk_configuration.globals.consumer_id,
                app_id=self.sdk_configuration.globals.app_id,
            ),
            security=self.sdk_configuration.security,
            get_serialized_body=(
                (
                    lambda: serialize_request_body(
                        request.order,
                        False,
                        False,
                        "json",
                        OrderInput,
                    )
                )
                if with_body
                else None
            ),
            timeout_ms=self.sdk_configuration.timeout_ms,
        )
        http_res = self.do_request(
            hook_ctx=HookContext(
                config=self.sdk_configuration,
                base_url=base_url or "",
                operation_id=operation_id,
                oauth2_scopes=None,
                security_source=get_security_from_env(
                    self.sdk_configuration.security, models.Security
                ),
            ),
            request=req,
            error_status_codes=["400", "401", "402", "404", "422", "4XX", "5XX"],
            retry_config=None,
        )
        follow = (lambda: next_func(http_res)) if next_func is not None else None
        if match_response(http_res, success, "application/json"):
            return Answer(
                body=unmarshal_json_response(body_type, http_res),
                http_res=http_res,
                next=follow,
            )
        for status, data_type, error_type in (
            ("400", models.BadRequestResponseData, models.BadRequestResponse),
            ("401", models.UnauthorizedResponseData, models.UnauthorizedResponse),
            ("402", models.PaymentRequiredResponseData, models.PaymentRequiredResponse),
            ("404", models.NotFoundResponseData, models.NotFoundResponse),
            ("422", models.UnprocessableResponseData, models.UnprocessableResponse),
        ):
            if match_response(http_res, status, "application/json"):
                raise error_type(unmarshal_json_response(data_type, http_res), http_res)
        if match_response(http_res, ["4XX", "5XX"], "*"):
            raise models.APIError("API error occurred", http_res, http_res.text)
        if match_response(http_res, "default", "application/json"):
            return Answer(
                unexpected=unmarshal_json_response(models.UnexpectedErrorResponse | None, http_res),
                http_res=http_res,
            )
        raise models.APIError("Unexpected response received", http_res)

    def orders_add(self, order: OrderInput, service_id: str | None = None) -> Answer:
        return self._run(
            method="POST",
            path="/pos/orders",
            operation_id="pos.ordersAdd",
            request=AddRequest(order=order, service_id=service_id),
            success="201",
            body_type=IdResponse,
            with_body=True,
        )

    def orders_one(self, order_id: str, fields: str | None = None) -> Answer:
        return self._run(
            method="GET",
            path="/pos/orders/{id}",
            operation_id="pos.ordersOne",
            request=OneRequest(id=order_id, fields=fields),
            success="200",
            body_type=OrderResponse,
            path_params=True,
        )

    def orders_all(self, *, limit: int = 20, cursor: str | None = None, **query: Any) -> Answer:
        def next_func(http_res: httpx.Response) -> Answer | None:
            body = unmarshal_json(http_res.text, dict[Any, Any])
            found = JSONPath("$.meta.cursors.next").parse(body)
            if not found or found[0] is None or str(found[0]).strip() == "":
                return None
            return self.orders_all(limit=limit, cursor=found[0], **query)

        return self._run(
            method="GET",
            path="/pos/orders",
            operation_id="pos.ordersAll",
            request=ListRequest(limit=limit, cursor=cursor, **query),
            success="200",
            body_type=OrdersResponse,
            next_func=next_func,
        )

    def orders_update(self, order_id: str, order: OrderInput) -> Answer:
        return self._run(
            method="PATCH",
            path="/pos/orders/{id}",
            operation_id="pos.ordersUpdate",
            request=WithIdRequest(id=order_id, order=order),
            success="200",
            body_type=IdResponse,
            with_body=True,
            path_params=True,
        )

    def orders_pay(self, order_id: str, order: OrderInput) -> Answer:
        return self._run(
            method="POST",
            path="/pos/orders/{id}/pay",
            operation_id="pos.ordersPay",
            request=WithIdRequest(id=order_id, order=order),
            success="201",
            body_type=IdResponse,
            with_body=True,
            path_params=True,
        )

    def orders_delete(self, order_id: str) -> Answer:
        return self._run(
            method="DELETE",
            path="/pos/orders/{id}",
            operation_id="pos.ordersDelete",
            request=OneRequest(id=order_id),
            success="200",
            body_type=IdResponse,
            path_params=True,
        )


class Recorder:
    """An httpx transport that keeps every request the SDK sent (to check its wire format)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.inner = httpx.HTTPTransport()

    def handle(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


@pytest.fixture(scope="module")
def unify(server: str) -> Iterator[tuple[UnifyPos, Recorder]]:
    recorder = Recorder()
    client = httpx.Client(transport=httpx.MockTransport(recorder.handle), timeout=10)
    sdk = Apideck(
        api_key=API_KEY,
        consumer_id=CONSUMER_ID,
        app_id=APP_ID,
        server_url=server,
        client=client,
        retry_config=NO_RETRIES,
        timeout_ms=10_000,
    )
    yield UnifyPos(sdk.sdk_configuration), recorder
    client.close()


def new_order(**extra: Any) -> OrderInput:
    fields: dict[str, Any] = {
        "merchant_id": BRAND,
        "location_id": "1",
        "customer_id": "1",
        "line_items": [LineItemInput(name="Margherita", quantity=2, item=ItemRef())],
        **extra,
    }
    return OrderInput(**fields)


def test_unify_sdk_runs_the_whole_order_life(unify: tuple[UnifyPos, Recorder], server: str) -> None:
    pos, recorder = unify
    created = pos.orders_add(new_order(note="unify sdk"))
    assert created.unexpected is None, "a create must answer exactly 201 + JSON"
    order_id = created.body.data.id
    sent = recorder.requests[-1]
    assert sent.url.params["raw"] == "false"
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    assert b'"item":{}' in sent.content  # read-only members leave as an empty object

    order = pos.orders_one(order_id).body.data
    assert (order.status, order.total_amount, order.merchant_id) == ("open", 1700, BRAND)

    accept_at_till(server, order_id)
    version = pos.orders_one(order_id).body.data.version
    updated = pos.orders_update(
        order_id,
        OrderInput(
            merchant_id=BRAND,
            location_id="1",
            version=version,
            fulfillments=[FulfillmentInput(status="prepared")],
        ),
    )
    assert updated.body.data.id == order_id
    stale = OrderInput(merchant_id=BRAND, location_id="1", version=version, order_number="X")
    with pytest.raises(models.APIError) as conflict:  # 409 is not a declared status
        pos.orders_update(order_id, stale)
    assert conflict.value.status_code == 409

    with pytest.raises(models.UnprocessableResponse) as short:
        pos.orders_pay(
            order_id,
            OrderInput(
                merchant_id=BRAND, location_id="1", tenders=[TenderInput(type="cash", amount=1)]
            ),
        )
    assert short.value.data.type_name == "InvalidStateError"
    paid = pos.orders_pay(
        order_id,
        OrderInput(
            merchant_id=BRAND, location_id="1", tenders=[TenderInput(type="cash", amount=1700)]
        ),
    )
    assert paid.unexpected is None and paid.body.status_code == 201
    assert pos.orders_one(order_id).body.data.payment_status == "paid"

    assert pos.orders_delete(order_id).body.data.id == order_id
    assert recorder.requests[-1].url.params["raw"] == "false"  # raw=false on DELETE too
    with pytest.raises(models.NotFoundResponse) as gone:
        pos.orders_one(order_id)
    assert gone.value.data.type_name == "EntityNotFoundError"
    assert str(gone.value) == gone.value.data.message


def test_unify_sdk_auto_paginates(unify: tuple[UnifyPos, Recorder]) -> None:
    pos, _ = unify
    mine = {pos.orders_add(new_order()).body.data.id for _ in range(3)}
    seen: list[str] = []
    page: Answer | None = pos.orders_all(limit=2, fields="id,status")
    count = 0
    while page is not None:
        count += 1
        body = page.body
        assert body.meta.items_on_page == len(body.data) <= 2
        seen.extend(order.id for order in body.data)
        page = page.next()
    assert mine <= set(seen) and len(seen) == len(set(seen)) and count >= 2


def test_unify_sdk_typed_errors(unify: tuple[UnifyPos, Recorder]) -> None:
    pos, _ = unify
    with pytest.raises(models.BadRequestResponse) as bad:
        pos.orders_all(limit=500)
    assert bad.value.data.type_name == "RequestValidationError"
    with pytest.raises(models.BadRequestResponse) as filters:
        pos.orders_all(filter_={"email": "a@b.c"})
    assert filters.value.data.type_name == "UnsupportedFiltersError"
    with pytest.raises(models.NotFoundResponse) as connector:
        pos.orders_add(new_order(), service_id="square")
    assert connector.value.data.type_name == "ConnectorNotFoundError"
    with pytest.raises(models.BadRequestResponse) as downstream:
        pos.orders_add(new_order(customer_id="999999"))
    assert downstream.value.data.type_name == "ConnectorExecutionError"
    assert downstream.value.data.downstream_errors[0].code == "validation_failed"
