"""``CloposClient`` and ``AsyncCloposClient``: the send loop over the shared core.

Everything else (URLs, headers, parsing, retry decisions) is in ``_base.BaseClopos``; the
two classes differ only in how they send, sleep and lock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, overload

import httpx
from pydantic import BaseModel

from clopos.client import _endpoints, _parsing
from clopos.client._base import (
    ApiVersion,
    AttemptHook,
    BaseClopos,
    CallState,
    Prepared,
    RetryPolicy,
    TokenStore,
)
from clopos.client._endpoints import EventCursor, EventTypes, Filters, RequestSpec, WithArg
from clopos.client._errors import APIConnectionError, APITimeoutError, CloposError
from clopos.client._pagination import (
    PAGED_METHODS,
    aiterate_events,
    aiterate_pages,
    fetch_pages_concurrently,
    follow_wait,
    iterate_events,
    iterate_pages,
)
from clopos.models import (
    AuthResponse,
    Category,
    ClosedReceipt,
    Customer,
    CustomerGroup,
    Event,
    EventPage,
    ItemResponse,
    ListResponse,
    MessageResponse,
    Order,
    PaymentMethod,
    Price,
    PriceList,
    Product,
    Receipt,
    SaleType,
    Station,
    StockOperation,
    StopListEntry,
    User,
    Venue,
    Webhook,
    WebhookDeleted,
    WebhookDelivery,
    WebhookDeliveryDetail,
)

# The decoded envelope of one attempt, before it is parsed into the method's model.
Envelope = dict[str, Any]
R = TypeVar("R", bound=BaseModel)
T = TypeVar("T")


def _transport_error(exc: httpx.TransportError, request: httpx.Request) -> APIConnectionError:
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"Request timed out: {exc}", request=request)
    return APIConnectionError(f"Connection error: {exc!r}", request=request)


def _extend_read_timeout(request: httpx.Request, seconds: float) -> None:
    """Give a long poll its ``wait`` on top of the configured read timeout, so httpx does
    not time out while the server is, as asked, still holding the answer. A request
    without a read timeout keeps none."""
    timeout = dict(request.extensions.get("timeout") or {})
    read = timeout.get("read")
    if read is not None:
        timeout["read"] = float(read) + seconds
        request.extensions["timeout"] = timeout


class CloposClient(BaseClopos):
    """Synchronous Clopos Open API client (``httpx.Client``).

    Settings not passed are read from ``CLOPOS_*`` environment variables when the client is
    built. The token is obtained, cached and refreshed for you; failed requests are retried
    per ``retry``. Use as a context manager or call ``close()``.
    """

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
        base_url: str | None = None,
        api_version: ApiVersion | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_attempt: AttemptHook | None = None,
        token_store: TokenStore | None = None,
        http_client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            brand=brand,
            integrator_id=integrator_id,
            venue_id=venue_id,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            retry=retry,
            on_attempt=on_attempt,
            token_store=token_store,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self.settings.timeout)
        self._sleep = sleep
        self._token_lock = threading.Lock()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (not an ``http_client`` passed in by the caller)."""
        if self._owns_http:
            self._http.close()

    def auth(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
    ) -> AuthResponse:
        """``POST auth``: obtain a token (settings, or ``client_id=`` … overrides) and cache it.

        Other methods call this for you; call it directly to check credentials early.
        Returns ``AuthResponse`` (``token``; ``expires_at`` on v2, ``expires_in`` on both).
        """
        body = self._authenticate(
            client_id=client_id,
            client_secret=client_secret,
            brand=brand,
            integrator_id=integrator_id,
            venue_id=venue_id,
        )
        return _parsing.parse_response(_parsing.AUTH, body)

    def _authenticate(self, **overrides: Any) -> Envelope:
        """Authenticate and cache the token; the answer as decoded (token management does
        not depend on the answer fitting ``AuthResponse``)."""
        body = self._send(self._prepare_auth(**overrides))
        self._store_token(body)
        return body

    def _ensure_token(self) -> str:
        token = self._token_if_fresh()
        if token is not None:
            return token
        # Single-flight: threads that find the token stale wait here, and only the first
        # authenticates; the rest reuse its token (issue 5 item 4).
        with self._token_lock:
            token = self._token_if_fresh()
            if token is None:
                self._authenticate()
                token = self._token_if_fresh() or self.token
            assert token is not None
            return token

    def _call(self, spec: RequestSpec[R], headers: Mapping[str, str] | None = None) -> R:
        """Send ``spec`` with auth and retries; its answer as the model the spec names (the
        envelope dict when it names none), or a typed error."""
        prepared = self._prepare(spec, headers)
        return self._typed(spec, self._send(prepared, hold=spec.hold_seconds))

    def _send(self, prepared: Prepared, *, hold: float = 0.0) -> Envelope:
        """Send with auth and retries; ``hold`` seconds (a long poll) extend the read timeout."""
        state = CallState(prepared)
        while True:
            state.attempt += 1
            token = self._ensure_token() if prepared.managed_token else None
            request = prepared.build(self._http, token)
            if hold:
                _extend_read_timeout(request, hold)
            response: httpx.Response | None = None
            try:
                response = self._http.send(request)
                return self._finish(state, response)
            except httpx.TransportError as exc:
                error: CloposError = _transport_error(exc, request)
            except CloposError as exc:
                error = exc
            if self._should_reauth(state, error):
                state.reauthed = True
                self._report(state, response, error, 0.0)
                with self._token_lock:
                    self._forget_token(token)
                continue
            delay = self._retry_delay(state, error)
            self._report(state, response, error, delay)
            if delay is None:
                raise error
            self._sleep(delay)

    # -- endpoints ----------------------------------------------------------------------

    def get_venues(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Venue]:
        """``GET venues`` (spec §9.1).

        Returns ``ListResponse[Venue]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_venues(page=page, limit=limit, version=self.version), headers
        )

    def get_users(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[User]:
        """``GET users`` (spec §9.2).

        Returns ``ListResponse[User]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_users(page=page, limit=limit, version=self.version), headers
        )

    def get_user_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[User]:
        """``GET users/{id}`` (spec §9.3).

        Returns ``ItemResponse[User]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.get_user_by_id(id=id, version=self.version), headers)

    def get_customers(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Customer]:
        """``GET customers`` with ``with[N]`` and ``filters[N]`` on name/phones/group_id (§9.4).

        Returns ``ListResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_customers(
                page=page, limit=limit, with_=with_, filters=filters, version=self.version
            ),
            headers,
        )

    def get_customer_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Customer]:
        """``GET customers/{id}`` (spec §9.5).

        Returns ``ItemResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.get_customer_by_id(id=id, version=self.version), headers)

    def create_customer(
        self,
        name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        code: str | None = None,
        cid: str | None = None,
        description: str | None = None,
        group_id: int | None = None,
        gender: int | None = None,
        date_of_birth: date | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Customer]:
        """``POST customers`` with only the given fields (spec §9.6).

        Returns ``ItemResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.create_customer(
                name=name,
                email=email,
                phone=phone,
                code=code,
                cid=cid,
                description=description,
                group_id=group_id,
                gender=gender,
                date_of_birth=date_of_birth,
                version=self.version,
            ),
            headers,
        )

    def get_customer_groups(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[CustomerGroup]:
        """``GET customer-groups`` (spec §9.7).

        Returns ``ListResponse[CustomerGroup]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_customer_groups(page=page, limit=limit, version=self.version), headers
        )

    def get_categories(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        parent_id: int | None = None,
        type: str | None = None,
        include_children: bool | None = None,
        include_inactive: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Category]:
        """``GET categories`` with the plain query parameters of spec §10.4.

        Returns ``ListResponse[Category]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_categories(
                page=page,
                limit=limit,
                parent_id=parent_id,
                type=type,
                include_children=include_children,
                include_inactive=include_inactive,
                version=self.version,
            ),
            headers,
        )

    def get_category_by_id(
        self,
        id: int,
        *,
        include_children: bool | None = None,
        include_inactive: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Category]:
        """``GET categories/{id}`` (spec §10.5).

        Returns ``ItemResponse[Category]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_category_by_id(
                id=id,
                include_children=include_children,
                include_inactive=include_inactive,
                version=self.version,
            ),
            headers,
        )

    def get_stations(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        status: int | None = None,
        can_print: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Station]:
        """``GET stations`` with ``status`` (1/0) and ``can_print`` (spec §10.6).

        Returns ``ListResponse[Station]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_stations(
                page=page, limit=limit, status=status, can_print=can_print, version=self.version
            ),
            headers,
        )

    def get_station_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Station]:
        """``GET stations/{id}`` (spec §10.7).

        Returns ``ItemResponse[Station]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.get_station_by_id(id=id, version=self.version), headers)

    def get_products(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        selects: str | Sequence[str] | None = None,
        filters: Filters | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Product]:
        """``GET products`` as ordinary bracket parameters, not the old JSON key (spec §10.1).

        Returns ``ListResponse[Product]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_products(
                page=page,
                limit=limit,
                with_=with_,
                selects=selects,
                filters=filters,
                sort_by=sort_by,
                sort_order=sort_order,
                version=self.version,
            ),
            headers,
        )

    def get_product_by_id(
        self,
        id: int | str,
        *,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Product]:
        """``GET products/{id}`` (id or UUID) with ``with[N]`` relations (spec §10.2).

        Returns ``ItemResponse[Product]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_product_by_id(id=id, with_=with_, version=self.version), headers
        )

    def get_stop_list(
        self, *, filters: Filters | None = None, headers: Mapping[str, str] | None = None
    ) -> ListResponse[StopListEntry]:
        """``GET products/stop-list``; ``id`` takes a list, ``limit``/``timestamp`` a
        ``[from]`` or ``[from, to]`` range, always sent as ``filters[N][1][M]`` (spec §10.3).

        Returns ``ListResponse[StopListEntry]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.get_stop_list(filters=filters, version=self.version), headers)

    def get_sale_types(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[SaleType]:
        """``GET sale-types`` (spec §10.10).

        Returns ``ListResponse[SaleType]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_sale_types(page=page, limit=limit, version=self.version), headers
        )

    def get_payment_methods(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[PaymentMethod]:
        """``GET payment-methods`` (spec §10.11).

        Returns ``ListResponse[PaymentMethod]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_payment_methods(page=page, limit=limit, version=self.version), headers
        )

    def get_price_lists(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        selects: str | Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[PriceList]:
        """``GET price-lists``; sort is ``sort[0][0]=field&sort[0][1]=asc|desc`` here (§10.8).

        Returns ``ListResponse[PriceList]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_price_lists(
                page=page,
                limit=limit,
                with_=with_,
                sort_by=sort_by,
                sort_order=sort_order,
                selects=selects,
                version=self.version,
            ),
            headers,
        )

    def get_price_list_prices(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Price]:
        """``GET price-lists/prices``, filters on id/product_id/list_id (spec §10.9).

        Returns ``ListResponse[Price]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_price_list_prices(
                page=page, limit=limit, with_=with_, filters=filters, version=self.version
            ),
            headers,
        )

    def get_orders(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        status: str | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        date_from: date | datetime | str | None = None,
        date_to: date | datetime | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Order]:
        """``GET orders`` with status, ``with[N]``, ``filters[N]``, sort and dates (spec §11.2).

        Returns ``ListResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_orders(
                page=page,
                limit=limit,
                status=status,
                with_=with_,
                filters=filters,
                sort_by=sort_by,
                sort_order=sort_order,
                date_from=date_from,
                date_to=date_to,
                version=self.version,
            ),
            headers,
        )

    def get_order_by_id(
        self,
        id: int,
        *,
        with_receipt: bool = False,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Order]:
        """``GET orders/{id}``; ``with_receipt`` sends ``with[0]=receipt:id,service_notification_id,
        status`` so ``data.receipt`` is returned (spec §11.3). The old client's ``with_`` tokens
        (``receipt:id``, ``service_notification_id``, ``status``) mean the same one value.

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_order_by_id(
                id=id, with_receipt=with_receipt, with_=with_, version=self.version
            ),
            headers,
        )

    def create_order(
        self,
        *,
        sale_type_id: int | None = None,
        venue_id: int | None = None,
        customer: Mapping[str, Any] | None = None,
        products: Sequence[Mapping[str, Any]] | None = None,
        auto_accept_terminal: int | None = None,
        auto_order_accept: bool | None = None,
        auto_order_sent_to_station: bool | None = None,
        delivery_fee: Decimal | int | float | str | None = None,
        comment: str | None = None,
        discount: Mapping[str, Any] | None = None,
        service_charge: Mapping[str, Any] | None = None,
        order_number: str | None = None,
        customer_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Order]:
        """``POST orders``: the v2 flat body or the v1 nested ``{customer_id, payload, meta}``,
        sent exactly as given — nothing is null-padded (spec §11.4; existing client §7.5).

        The form is chosen by what is passed, not by ``version``: the server takes both.
        ``extra`` adds further top-level keys (the old client forwarded unknown kwargs).

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.create_order(
                sale_type_id=sale_type_id,
                venue_id=venue_id,
                customer=customer,
                products=products,
                auto_accept_terminal=auto_accept_terminal,
                auto_order_accept=auto_order_accept,
                auto_order_sent_to_station=auto_order_sent_to_station,
                delivery_fee=delivery_fee,
                comment=comment,
                discount=discount,
                service_charge=service_charge,
                order_number=order_number,
                customer_id=customer_id,
                payload=payload,
                meta=meta,
                extra=extra,
                version=self.version,
            ),
            headers,
        )

    def update_order(
        self, id: int, *, status: str = "IGNORE", headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Order]:
        """``PUT orders/{id}`` with only ``{"status": "IGNORE"}`` — the one allowed value (§11.5).

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.update_order(id=id, status=status, version=self.version), headers
        )

    def get_receipts(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        date_from: date | datetime | str | None = None,
        date_to: date | datetime | str | None = None,
        filters: Filters | None = None,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Receipt]:
        """``GET receipts``: ``sort[0]/sort[1]``, ``date[0]/date[1]``, ``with[N]``, ``filters[N]``
        (spec §12.2) — the old client's argument names, the documented keys.

        Returns ``ListResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_receipts(
                page=page,
                limit=limit,
                sort_by=sort_by,
                sort_order=sort_order,
                date_from=date_from,
                date_to=date_to,
                filters=filters,
                with_=with_,
                version=self.version,
            ),
            headers,
        )

    def get_receipt_by_id(
        self, id: int, *, with_: WithArg | None = None, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Receipt]:
        """``GET receipts/{id}`` with optional ``with[N]`` relations (spec §12.3).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_receipt_by_id(id=id, with_=with_, version=self.version), headers
        )

    def create_receipt(
        self,
        cid: str,
        payment_methods: Sequence[Any],
        *,
        user_id: int | None = None,
        by_cash: Any = None,
        by_card: Any = None,
        customer_discount_type: int | None = None,
        discount_rate: Any = None,
        discount_type: int | None = None,
        discount_value: Any = None,
        delivery_fee: Any = None,
        gift_total: Any = None,
        guests: int | None = None,
        original_subtotal: Any = None,
        printed: bool | None = None,
        receipt_products: Sequence[Mapping[str, Any]] | None = None,
        remaining: Any = None,
        rps_discount: Any = None,
        sale_type_id: int | None = None,
        service_charge: Any = None,
        service_charge_value: Any = None,
        status: int | None = None,
        subtotal: Any = None,
        terminal_id: int | None = None,
        total: Any = None,
        total_tax: Any = None,
        created_at: datetime | str | int | None = None,
        closed_at: datetime | str | int | None = None,
        address: str | None = None,
        courier_id: int | None = None,
        meta: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``POST receipts`` (v1 only) — a closed receipt; money kept exact (spec §12.5).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.create_receipt(
                cid=cid,
                payment_methods=payment_methods,
                user_id=user_id,
                by_cash=by_cash,
                by_card=by_card,
                customer_discount_type=customer_discount_type,
                discount_rate=discount_rate,
                discount_type=discount_type,
                discount_value=discount_value,
                delivery_fee=delivery_fee,
                gift_total=gift_total,
                guests=guests,
                original_subtotal=original_subtotal,
                printed=printed,
                receipt_products=receipt_products,
                remaining=remaining,
                rps_discount=rps_discount,
                sale_type_id=sale_type_id,
                service_charge=service_charge,
                service_charge_value=service_charge_value,
                status=status,
                subtotal=subtotal,
                terminal_id=terminal_id,
                total=total,
                total_tax=total_tax,
                created_at=created_at,
                closed_at=closed_at,
                address=address,
                courier_id=courier_id,
                meta=meta,
                extra=extra,
                version=self.version,
            ),
            headers,
        )

    def update_receipt(
        self,
        id: int,
        cid: str,
        *,
        delivery_fee: Any = None,
        description: str | None = None,
        order_number: str | None = None,
        order_status: str | None = None,
        guests: int | None = None,
        discount_rate: Any = None,
        discount_type: int | None = None,
        discount_value: Any = None,
        customer_id: int | None = None,
        closed_at: datetime | str | None = None,
        payment_methods: Sequence[Any] | None = None,
        meta_customer: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``PUT receipts/{id}`` (v1 only), body ``{id, cid, …given fields}`` (spec §12.7).

        ``meta_customer`` (the old client's name) is sent as ``meta.customer`` — where the docs
        put it — not nested as ``meta_customer.meta.customer`` (existing client §7.5).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.update_receipt(
                id=id,
                cid=cid,
                delivery_fee=delivery_fee,
                description=description,
                order_number=order_number,
                order_status=order_status,
                guests=guests,
                discount_rate=discount_rate,
                discount_type=discount_type,
                discount_value=discount_value,
                customer_id=customer_id,
                closed_at=closed_at,
                payment_methods=payment_methods,
                meta_customer=meta_customer,
                meta=meta,
                version=self.version,
            ),
            headers,
        )

    def update_closed_receipt(
        self,
        id: int,
        *,
        order_status: str | None = None,
        order_number: str | None = None,
        fiscal_id: str | None = None,
        lock: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``PATCH receipts/{id}`` with any of the four fields — never ``id`` (spec §12.6).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.update_closed_receipt(
                id=id,
                order_status=order_status,
                order_number=order_number,
                fiscal_id=fiscal_id,
                lock=lock,
                version=self.version,
            ),
            headers,
        )

    def close_receipt(
        self,
        id: int,
        payment_methods: Sequence[Any],
        *,
        closed_at: datetime | str | None = None,
        cid: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[ClosedReceipt]:
        """Close an open receipt: v2 ``POST receipts/{id}/close`` with ``payment_methods``
        (+ ``closed_at``) only (spec §12.8); v1 ``PUT receipts/{id}`` with ``id, cid,
        payment_methods, closed_at``, all required there (spec §12.7).

        Returns ``ItemResponse[ClosedReceipt]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.close_receipt(
                id=id,
                payment_methods=payment_methods,
                closed_at=closed_at,
                cid=cid,
                version=self.version,
            ),
            headers,
        )

    def delete_receipt(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> MessageResponse:
        """``DELETE receipts/{id}`` (v1 only), no body (spec §12.9).

        Returns ``MessageResponse``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.delete_receipt(id=id, version=self.version), headers)

    def get_receipt_stock_operations(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ListResponse[StockOperation]:
        """``GET receipts/{id}/stock-operations`` (v2 only, spec §12.10).

        Returns ``ListResponse[StockOperation]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_receipt_stock_operations(id=id, version=self.version), headers
        )

    # -- events and webhooks: clopos server extensions (docs/events.md) -----------------

    def get_events(
        self,
        *,
        after: EventCursor | None = None,
        types: EventTypes | None = None,
        limit: int | None = None,
        wait: int | None = None,
        page: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EventPage:
        """``GET events``: the brand's events after the cursor ``after`` (an event id,
        default 0; ``"latest"``: only events from now on), oldest first.

        ``types`` selects event types (``"order.*,receipt.closed"`` or a list; default all);
        ``limit`` is 1–200 (default 50). ``wait`` long-polls: an empty answer is held up to
        that many seconds (0–30) and comes back as soon as an event is recorded; the read
        timeout of this call grows by ``wait``. Send the answer's ``next_after`` as the next
        ``after``; ``has_more`` says more events are already waiting. A clopos server
        extension: the Clopos cloud has no feed and answers 404 (``NotFoundError``).

        Returns ``EventPage``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_events(
                after=after,
                types=types,
                limit=limit,
                wait=wait,
                page=page,
                version=self.version,
            ),
            headers,
        )

    def get_webhooks(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Webhook]:
        """``GET webhooks``: the brand's webhook endpoints, oldest first (never a secret).

        Returns ``ListResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_webhooks(page=page, limit=limit, version=self.version), headers
        )

    def get_webhook_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Webhook]:
        """``GET webhooks/{id}``: one endpoint of the brand (``NotFoundError`` otherwise).

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.get_webhook_by_id(id=id, version=self.version), headers)

    def create_webhook(
        self,
        url: str,
        *,
        types: EventTypes | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Webhook]:
        """``POST webhooks``: deliver the events selected by ``types`` (default all) to
        ``url``. The answer's ``data.secret`` (``whsec_…``) signs every delivery and is
        shown only here: store it. Never retried (a retry could add the endpoint twice).

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.create_webhook(
                url=url,
                types=types,
                description=description,
                enabled=enabled,
                version=self.version,
            ),
            headers,
        )

    def update_webhook(
        self,
        id: int,
        *,
        url: str | None = None,
        types: EventTypes | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Webhook]:
        """``PATCH webhooks/{id}`` with only the given fields (at least one);
        ``description=""`` clears it, ``enabled=False`` pauses deliveries.

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.update_webhook(
                id=id,
                url=url,
                types=types,
                description=description,
                enabled=enabled,
                version=self.version,
            ),
            headers,
        )

    def delete_webhook(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeleted]:
        """``DELETE webhooks/{id}``: the endpoint with its queue and delivery log.

        Returns ``ItemResponse[WebhookDeleted]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.delete_webhook(id=id, version=self.version), headers)

    def rotate_webhook_secret(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Webhook]:
        """``POST webhooks/{id}/rotate-secret``: a new ``data.secret``, shown once; the old
        secret stops working at once. Not retried.

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return self._call(_endpoints.rotate_webhook_secret(id=id, version=self.version), headers)

    def get_webhook_deliveries(
        self,
        webhook_id: int,
        *,
        status: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[WebhookDelivery]:
        """``GET webhooks/{id}/deliveries``: the delivery log, newest event first;
        ``status`` is ``pending``, ``delivered`` or ``failed``.

        Returns ``ListResponse[WebhookDelivery]``; ``headers`` are sent as given (they win).
        """
        return self._call(
            _endpoints.get_webhook_deliveries(
                webhook_id=webhook_id,
                status=status,
                page=page,
                limit=limit,
                version=self.version,
            ),
            headers,
        )

    def get_webhook_delivery_by_id(
        self, webhook_id: int, delivery_id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeliveryDetail]:
        """``GET webhooks/{id}/deliveries/{delivery_id}``: the delivery with its
        ``attempt_log`` (every HTTP attempt) and the ``event`` it carries.

        Returns ``ItemResponse[WebhookDeliveryDetail]``; ``headers`` are sent as given.
        """
        return self._call(
            _endpoints.get_webhook_delivery_by_id(
                webhook_id=webhook_id, delivery_id=delivery_id, version=self.version
            ),
            headers,
        )

    def redeliver_webhook_delivery(
        self, webhook_id: int, delivery_id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeliveryDetail]:
        """``POST webhooks/{id}/deliveries/{delivery_id}/redeliver``: send the event again,
        due now, with a fresh 24-hour retry window (``ConflictError`` while a worker is
        sending it). Not retried: each call queues it once more.

        Returns ``ItemResponse[WebhookDeliveryDetail]``; ``headers`` are sent as given.
        """
        return self._call(
            _endpoints.redeliver_webhook_delivery(
                webhook_id=webhook_id, delivery_id=delivery_id, version=self.version
            ),
            headers,
        )

    # -- end endpoints ------------------------------------------------------------------

    # -- auto-paging (issue 5 item 7) ---------------------------------------------------

    def _iterate(
        self,
        method: Callable[..., ListResponse[T]],
        page: int | None,
        limit: int | None,
        params: Any,
    ) -> Iterator[T]:
        return iterate_pages(
            lambda number: method(page=number, limit=limit, **params), page=page, limit=limit
        )

    def iter_venues(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Venue]:
        """Every item of ``get_venues`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_venues, page, limit, params)

    def iter_users(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[User]:
        """Every item of ``get_users`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_users, page, limit, params)

    def iter_customers(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Customer]:
        """Every item of ``get_customers`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_customers, page, limit, params)

    def iter_customer_groups(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[CustomerGroup]:
        """Every item of ``get_customer_groups`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_customer_groups, page, limit, params)

    def iter_categories(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Category]:
        """Every item of ``get_categories`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_categories, page, limit, params)

    def iter_stations(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Station]:
        """Every item of ``get_stations`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_stations, page, limit, params)

    def iter_products(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Product]:
        """Every item of ``get_products`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_products, page, limit, params)

    def iter_sale_types(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[SaleType]:
        """Every item of ``get_sale_types`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_sale_types, page, limit, params)

    def iter_payment_methods(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[PaymentMethod]:
        """Every item of ``get_payment_methods`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_payment_methods, page, limit, params)

    def iter_orders(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Order]:
        """Every item of ``get_orders`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_orders, page, limit, params)

    def iter_receipts(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Receipt]:
        """Every item of ``get_receipts`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_receipts, page, limit, params)

    def iter_price_lists(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[PriceList]:
        """Every item of ``get_price_lists`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_price_lists, page, limit, params)

    def iter_price_list_prices(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Price]:
        """Every item of ``get_price_list_prices`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_price_list_prices, page, limit, params)

    def iter_webhooks(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> Iterator[Webhook]:
        """Every item of ``get_webhooks`` (same keyword arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_webhooks, page, limit, params)

    def iter_webhook_deliveries(
        self,
        webhook_id: int,
        *,
        page: int | None = None,
        limit: int | None = None,
        **params: Any,
    ) -> Iterator[WebhookDelivery]:
        """Every item of ``get_webhook_deliveries`` (same arguments), page by page.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(
            self.get_webhook_deliveries, page, limit, {"webhook_id": webhook_id, **params}
        )

    def iter_events(
        self,
        *,
        after: EventCursor | None = None,
        types: EventTypes | None = None,
        limit: int | None = None,
        wait: int | None = None,
        follow: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Iterator[Event]:
        """Every event after ``after`` (default 0; ``"latest"``: from now on), oldest first,
        following ``next_after`` lazily (one ``get_events`` call per answer).

        Without ``follow`` it stops once the feed has nothing more (``has_more`` false).
        With ``follow=True`` it never stops: once caught up each request long-polls
        (``wait``, default 25 s) and every event is yielded as soon as it is recorded —
        for watchers; ``break`` (or close the iterator) to stop. Keep the last event's ``id``
        to resume after a restart with ``after=<id>``.
        """
        held = follow_wait(wait, follow)
        return iterate_events(
            lambda cursor: self.get_events(
                after=cursor, types=types, limit=limit, wait=held, headers=headers
            ),
            after=after,
            follow=follow,
        )


class AsyncCloposClient(BaseClopos):
    """Asynchronous Clopos Open API client (``httpx.AsyncClient``); same methods, awaited.

    Concurrent calls share one token: with a stale token, exactly one of them authenticates.
    Use as an async context manager or call ``aclose()``.
    """

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
        base_url: str | None = None,
        api_version: ApiVersion | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        on_attempt: AttemptHook | None = None,
        token_store: TokenStore | None = None,
        http_client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            brand=brand,
            integrator_id=integrator_id,
            venue_id=venue_id,
            base_url=base_url,
            api_version=api_version,
            timeout=timeout,
            retry=retry,
            on_attempt=on_attempt,
            token_store=token_store,
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self.settings.timeout)
        self._sleep = sleep
        self._token_lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (not an ``http_client`` passed in by the caller)."""
        if self._owns_http:
            await self._http.aclose()

    async def auth(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        brand: str | None = None,
        integrator_id: str | None = None,
        venue_id: str | int | None = None,
    ) -> AuthResponse:
        """``POST auth``: obtain a token (settings, or ``client_id=`` … overrides) and cache it.

        Other methods call this for you; call it directly to check credentials early.
        Returns ``AuthResponse`` (``token``; ``expires_at`` on v2, ``expires_in`` on both).
        """
        body = await self._authenticate(
            client_id=client_id,
            client_secret=client_secret,
            brand=brand,
            integrator_id=integrator_id,
            venue_id=venue_id,
        )
        return _parsing.parse_response(_parsing.AUTH, body)

    async def _authenticate(self, **overrides: Any) -> Envelope:
        """Authenticate and cache the token; the answer as decoded (token management does
        not depend on the answer fitting ``AuthResponse``)."""
        body = await self._send(self._prepare_auth(**overrides))
        self._store_token(body)
        return body

    async def _ensure_token(self) -> str:
        token = self._token_if_fresh()
        if token is not None:
            return token
        # Single-flight: 50 concurrent calls with a stale token cause one auth (issue 5).
        async with self._token_lock:
            token = self._token_if_fresh()
            if token is None:
                await self._authenticate()
                token = self._token_if_fresh() or self.token
            assert token is not None
            return token

    async def _acall(self, spec: RequestSpec[R], headers: Mapping[str, str] | None = None) -> R:
        """Send ``spec`` with auth and retries; its answer as the model the spec names (the
        envelope dict when it names none), or a typed error."""
        prepared = self._prepare(spec, headers)
        return self._typed(spec, await self._send(prepared, hold=spec.hold_seconds))

    async def _send(self, prepared: Prepared, *, hold: float = 0.0) -> Envelope:
        """Send with auth and retries; ``hold`` seconds (a long poll) extend the read timeout."""
        state = CallState(prepared)
        while True:
            state.attempt += 1
            token = await self._ensure_token() if prepared.managed_token else None
            request = prepared.build(self._http, token)
            if hold:
                _extend_read_timeout(request, hold)
            response: httpx.Response | None = None
            try:
                response = await self._http.send(request)
                return self._finish(state, response)
            except httpx.TransportError as exc:
                error: CloposError = _transport_error(exc, request)
            except CloposError as exc:
                error = exc
            if self._should_reauth(state, error):
                state.reauthed = True
                self._report(state, response, error, 0.0)
                async with self._token_lock:
                    self._forget_token(token)
                continue
            delay = self._retry_delay(state, error)
            self._report(state, response, error, delay)
            if delay is None:
                raise error
            await self._sleep(delay)

    # -- endpoints ----------------------------------------------------------------------

    async def get_venues(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Venue]:
        """``GET venues`` (spec §9.1).

        Returns ``ListResponse[Venue]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_venues(page=page, limit=limit, version=self.version), headers
        )

    async def get_users(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[User]:
        """``GET users`` (spec §9.2).

        Returns ``ListResponse[User]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_users(page=page, limit=limit, version=self.version), headers
        )

    async def get_user_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[User]:
        """``GET users/{id}`` (spec §9.3).

        Returns ``ItemResponse[User]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(_endpoints.get_user_by_id(id=id, version=self.version), headers)

    async def get_customers(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Customer]:
        """``GET customers`` with ``with[N]`` and ``filters[N]`` on name/phones/group_id (§9.4).

        Returns ``ListResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_customers(
                page=page, limit=limit, with_=with_, filters=filters, version=self.version
            ),
            headers,
        )

    async def get_customer_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Customer]:
        """``GET customers/{id}`` (spec §9.5).

        Returns ``ItemResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_customer_by_id(id=id, version=self.version), headers
        )

    async def create_customer(
        self,
        name: str,
        *,
        email: str | None = None,
        phone: str | None = None,
        code: str | None = None,
        cid: str | None = None,
        description: str | None = None,
        group_id: int | None = None,
        gender: int | None = None,
        date_of_birth: date | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Customer]:
        """``POST customers`` with only the given fields (spec §9.6).

        Returns ``ItemResponse[Customer]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.create_customer(
                name=name,
                email=email,
                phone=phone,
                code=code,
                cid=cid,
                description=description,
                group_id=group_id,
                gender=gender,
                date_of_birth=date_of_birth,
                version=self.version,
            ),
            headers,
        )

    async def get_customer_groups(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[CustomerGroup]:
        """``GET customer-groups`` (spec §9.7).

        Returns ``ListResponse[CustomerGroup]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_customer_groups(page=page, limit=limit, version=self.version), headers
        )

    async def get_categories(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        parent_id: int | None = None,
        type: str | None = None,
        include_children: bool | None = None,
        include_inactive: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Category]:
        """``GET categories`` with the plain query parameters of spec §10.4.

        Returns ``ListResponse[Category]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_categories(
                page=page,
                limit=limit,
                parent_id=parent_id,
                type=type,
                include_children=include_children,
                include_inactive=include_inactive,
                version=self.version,
            ),
            headers,
        )

    async def get_category_by_id(
        self,
        id: int,
        *,
        include_children: bool | None = None,
        include_inactive: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Category]:
        """``GET categories/{id}`` (spec §10.5).

        Returns ``ItemResponse[Category]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_category_by_id(
                id=id,
                include_children=include_children,
                include_inactive=include_inactive,
                version=self.version,
            ),
            headers,
        )

    async def get_stations(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        status: int | None = None,
        can_print: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Station]:
        """``GET stations`` with ``status`` (1/0) and ``can_print`` (spec §10.6).

        Returns ``ListResponse[Station]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_stations(
                page=page, limit=limit, status=status, can_print=can_print, version=self.version
            ),
            headers,
        )

    async def get_station_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Station]:
        """``GET stations/{id}`` (spec §10.7).

        Returns ``ItemResponse[Station]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(_endpoints.get_station_by_id(id=id, version=self.version), headers)

    async def get_products(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        selects: str | Sequence[str] | None = None,
        filters: Filters | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Product]:
        """``GET products`` as ordinary bracket parameters, not the old JSON key (spec §10.1).

        Returns ``ListResponse[Product]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_products(
                page=page,
                limit=limit,
                with_=with_,
                selects=selects,
                filters=filters,
                sort_by=sort_by,
                sort_order=sort_order,
                version=self.version,
            ),
            headers,
        )

    async def get_product_by_id(
        self,
        id: int | str,
        *,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Product]:
        """``GET products/{id}`` (id or UUID) with ``with[N]`` relations (spec §10.2).

        Returns ``ItemResponse[Product]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_product_by_id(id=id, with_=with_, version=self.version), headers
        )

    async def get_stop_list(
        self, *, filters: Filters | None = None, headers: Mapping[str, str] | None = None
    ) -> ListResponse[StopListEntry]:
        """``GET products/stop-list``; ``id`` takes a list, ``limit``/``timestamp`` a
        ``[from]`` or ``[from, to]`` range, always sent as ``filters[N][1][M]`` (spec §10.3).

        Returns ``ListResponse[StopListEntry]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_stop_list(filters=filters, version=self.version), headers
        )

    async def get_sale_types(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[SaleType]:
        """``GET sale-types`` (spec §10.10).

        Returns ``ListResponse[SaleType]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_sale_types(page=page, limit=limit, version=self.version), headers
        )

    async def get_payment_methods(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[PaymentMethod]:
        """``GET payment-methods`` (spec §10.11).

        Returns ``ListResponse[PaymentMethod]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_payment_methods(page=page, limit=limit, version=self.version), headers
        )

    async def get_price_lists(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        selects: str | Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[PriceList]:
        """``GET price-lists``; sort is ``sort[0][0]=field&sort[0][1]=asc|desc`` here (§10.8).

        Returns ``ListResponse[PriceList]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_price_lists(
                page=page,
                limit=limit,
                with_=with_,
                sort_by=sort_by,
                sort_order=sort_order,
                selects=selects,
                version=self.version,
            ),
            headers,
        )

    async def get_price_list_prices(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Price]:
        """``GET price-lists/prices``, filters on id/product_id/list_id (spec §10.9).

        Returns ``ListResponse[Price]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_price_list_prices(
                page=page, limit=limit, with_=with_, filters=filters, version=self.version
            ),
            headers,
        )

    async def get_orders(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        status: str | None = None,
        with_: WithArg | None = None,
        filters: Filters | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        date_from: date | datetime | str | None = None,
        date_to: date | datetime | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Order]:
        """``GET orders`` with status, ``with[N]``, ``filters[N]``, sort and dates (spec §11.2).

        Returns ``ListResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_orders(
                page=page,
                limit=limit,
                status=status,
                with_=with_,
                filters=filters,
                sort_by=sort_by,
                sort_order=sort_order,
                date_from=date_from,
                date_to=date_to,
                version=self.version,
            ),
            headers,
        )

    async def get_order_by_id(
        self,
        id: int,
        *,
        with_receipt: bool = False,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Order]:
        """``GET orders/{id}``; ``with_receipt`` sends ``with[0]=receipt:id,service_notification_id,
        status`` so ``data.receipt`` is returned (spec §11.3). The old client's ``with_`` tokens
        (``receipt:id``, ``service_notification_id``, ``status``) mean the same one value.

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_order_by_id(
                id=id, with_receipt=with_receipt, with_=with_, version=self.version
            ),
            headers,
        )

    async def create_order(
        self,
        *,
        sale_type_id: int | None = None,
        venue_id: int | None = None,
        customer: Mapping[str, Any] | None = None,
        products: Sequence[Mapping[str, Any]] | None = None,
        auto_accept_terminal: int | None = None,
        auto_order_accept: bool | None = None,
        auto_order_sent_to_station: bool | None = None,
        delivery_fee: Decimal | int | float | str | None = None,
        comment: str | None = None,
        discount: Mapping[str, Any] | None = None,
        service_charge: Mapping[str, Any] | None = None,
        order_number: str | None = None,
        customer_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Order]:
        """``POST orders``: the v2 flat body or the v1 nested ``{customer_id, payload, meta}``,
        sent exactly as given — nothing is null-padded (spec §11.4; existing client §7.5).

        The form is chosen by what is passed, not by ``version``: the server takes both.
        ``extra`` adds further top-level keys (the old client forwarded unknown kwargs).

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.create_order(
                sale_type_id=sale_type_id,
                venue_id=venue_id,
                customer=customer,
                products=products,
                auto_accept_terminal=auto_accept_terminal,
                auto_order_accept=auto_order_accept,
                auto_order_sent_to_station=auto_order_sent_to_station,
                delivery_fee=delivery_fee,
                comment=comment,
                discount=discount,
                service_charge=service_charge,
                order_number=order_number,
                customer_id=customer_id,
                payload=payload,
                meta=meta,
                extra=extra,
                version=self.version,
            ),
            headers,
        )

    async def update_order(
        self, id: int, *, status: str = "IGNORE", headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Order]:
        """``PUT orders/{id}`` with only ``{"status": "IGNORE"}`` — the one allowed value (§11.5).

        Returns ``ItemResponse[Order]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.update_order(id=id, status=status, version=self.version), headers
        )

    async def get_receipts(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        sort_by: str | None = None,
        sort_order: int | str | None = None,
        date_from: date | datetime | str | None = None,
        date_to: date | datetime | str | None = None,
        filters: Filters | None = None,
        with_: WithArg | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Receipt]:
        """``GET receipts``: ``sort[0]/sort[1]``, ``date[0]/date[1]``, ``with[N]``, ``filters[N]``
        (spec §12.2) — the old client's argument names, the documented keys.

        Returns ``ListResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_receipts(
                page=page,
                limit=limit,
                sort_by=sort_by,
                sort_order=sort_order,
                date_from=date_from,
                date_to=date_to,
                filters=filters,
                with_=with_,
                version=self.version,
            ),
            headers,
        )

    async def get_receipt_by_id(
        self, id: int, *, with_: WithArg | None = None, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Receipt]:
        """``GET receipts/{id}`` with optional ``with[N]`` relations (spec §12.3).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_receipt_by_id(id=id, with_=with_, version=self.version), headers
        )

    async def create_receipt(
        self,
        cid: str,
        payment_methods: Sequence[Any],
        *,
        user_id: int | None = None,
        by_cash: Any = None,
        by_card: Any = None,
        customer_discount_type: int | None = None,
        discount_rate: Any = None,
        discount_type: int | None = None,
        discount_value: Any = None,
        delivery_fee: Any = None,
        gift_total: Any = None,
        guests: int | None = None,
        original_subtotal: Any = None,
        printed: bool | None = None,
        receipt_products: Sequence[Mapping[str, Any]] | None = None,
        remaining: Any = None,
        rps_discount: Any = None,
        sale_type_id: int | None = None,
        service_charge: Any = None,
        service_charge_value: Any = None,
        status: int | None = None,
        subtotal: Any = None,
        terminal_id: int | None = None,
        total: Any = None,
        total_tax: Any = None,
        created_at: datetime | str | int | None = None,
        closed_at: datetime | str | int | None = None,
        address: str | None = None,
        courier_id: int | None = None,
        meta: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``POST receipts`` (v1 only) — a closed receipt; money kept exact (spec §12.5).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.create_receipt(
                cid=cid,
                payment_methods=payment_methods,
                user_id=user_id,
                by_cash=by_cash,
                by_card=by_card,
                customer_discount_type=customer_discount_type,
                discount_rate=discount_rate,
                discount_type=discount_type,
                discount_value=discount_value,
                delivery_fee=delivery_fee,
                gift_total=gift_total,
                guests=guests,
                original_subtotal=original_subtotal,
                printed=printed,
                receipt_products=receipt_products,
                remaining=remaining,
                rps_discount=rps_discount,
                sale_type_id=sale_type_id,
                service_charge=service_charge,
                service_charge_value=service_charge_value,
                status=status,
                subtotal=subtotal,
                terminal_id=terminal_id,
                total=total,
                total_tax=total_tax,
                created_at=created_at,
                closed_at=closed_at,
                address=address,
                courier_id=courier_id,
                meta=meta,
                extra=extra,
                version=self.version,
            ),
            headers,
        )

    async def update_receipt(
        self,
        id: int,
        cid: str,
        *,
        delivery_fee: Any = None,
        description: str | None = None,
        order_number: str | None = None,
        order_status: str | None = None,
        guests: int | None = None,
        discount_rate: Any = None,
        discount_type: int | None = None,
        discount_value: Any = None,
        customer_id: int | None = None,
        closed_at: datetime | str | None = None,
        payment_methods: Sequence[Any] | None = None,
        meta_customer: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``PUT receipts/{id}`` (v1 only), body ``{id, cid, …given fields}`` (spec §12.7).

        ``meta_customer`` (the old client's name) is sent as ``meta.customer`` — where the docs
        put it — not nested as ``meta_customer.meta.customer`` (existing client §7.5).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.update_receipt(
                id=id,
                cid=cid,
                delivery_fee=delivery_fee,
                description=description,
                order_number=order_number,
                order_status=order_status,
                guests=guests,
                discount_rate=discount_rate,
                discount_type=discount_type,
                discount_value=discount_value,
                customer_id=customer_id,
                closed_at=closed_at,
                payment_methods=payment_methods,
                meta_customer=meta_customer,
                meta=meta,
                version=self.version,
            ),
            headers,
        )

    async def update_closed_receipt(
        self,
        id: int,
        *,
        order_status: str | None = None,
        order_number: str | None = None,
        fiscal_id: str | None = None,
        lock: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Receipt]:
        """``PATCH receipts/{id}`` with any of the four fields — never ``id`` (spec §12.6).

        Returns ``ItemResponse[Receipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.update_closed_receipt(
                id=id,
                order_status=order_status,
                order_number=order_number,
                fiscal_id=fiscal_id,
                lock=lock,
                version=self.version,
            ),
            headers,
        )

    async def close_receipt(
        self,
        id: int,
        payment_methods: Sequence[Any],
        *,
        closed_at: datetime | str | None = None,
        cid: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[ClosedReceipt]:
        """Close an open receipt: v2 ``POST receipts/{id}/close`` with ``payment_methods``
        (+ ``closed_at``) only (spec §12.8); v1 ``PUT receipts/{id}`` with ``id, cid,
        payment_methods, closed_at``, all required there (spec §12.7).

        Returns ``ItemResponse[ClosedReceipt]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.close_receipt(
                id=id,
                payment_methods=payment_methods,
                closed_at=closed_at,
                cid=cid,
                version=self.version,
            ),
            headers,
        )

    async def delete_receipt(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> MessageResponse:
        """``DELETE receipts/{id}`` (v1 only), no body (spec §12.9).

        Returns ``MessageResponse``; ``headers`` are sent as given (they win).
        """
        return await self._acall(_endpoints.delete_receipt(id=id, version=self.version), headers)

    async def get_receipt_stock_operations(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ListResponse[StockOperation]:
        """``GET receipts/{id}/stock-operations`` (v2 only, spec §12.10).

        Returns ``ListResponse[StockOperation]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_receipt_stock_operations(id=id, version=self.version), headers
        )

    # -- events and webhooks: clopos server extensions (docs/events.md) -----------------

    async def get_events(
        self,
        *,
        after: EventCursor | None = None,
        types: EventTypes | None = None,
        limit: int | None = None,
        wait: int | None = None,
        page: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> EventPage:
        """``GET events``: the brand's events after the cursor ``after`` (an event id,
        default 0; ``"latest"``: only events from now on), oldest first.

        ``types`` selects event types (``"order.*,receipt.closed"`` or a list; default all);
        ``limit`` is 1–200 (default 50). ``wait`` long-polls: an empty answer is held up to
        that many seconds (0–30) and comes back as soon as an event is recorded; the read
        timeout of this call grows by ``wait``. Send the answer's ``next_after`` as the next
        ``after``; ``has_more`` says more events are already waiting. A clopos server
        extension: the Clopos cloud has no feed and answers 404 (``NotFoundError``).

        Returns ``EventPage``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_events(
                after=after,
                types=types,
                limit=limit,
                wait=wait,
                page=page,
                version=self.version,
            ),
            headers,
        )

    async def get_webhooks(
        self,
        *,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[Webhook]:
        """``GET webhooks``: the brand's webhook endpoints, oldest first (never a secret).

        Returns ``ListResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_webhooks(page=page, limit=limit, version=self.version), headers
        )

    async def get_webhook_by_id(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Webhook]:
        """``GET webhooks/{id}``: one endpoint of the brand (``NotFoundError`` otherwise).

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(_endpoints.get_webhook_by_id(id=id, version=self.version), headers)

    async def create_webhook(
        self,
        url: str,
        *,
        types: EventTypes | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Webhook]:
        """``POST webhooks``: deliver the events selected by ``types`` (default all) to
        ``url``. The answer's ``data.secret`` (``whsec_…``) signs every delivery and is
        shown only here: store it. Never retried (a retry could add the endpoint twice).

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.create_webhook(
                url=url,
                types=types,
                description=description,
                enabled=enabled,
                version=self.version,
            ),
            headers,
        )

    async def update_webhook(
        self,
        id: int,
        *,
        url: str | None = None,
        types: EventTypes | None = None,
        description: str | None = None,
        enabled: bool | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ItemResponse[Webhook]:
        """``PATCH webhooks/{id}`` with only the given fields (at least one);
        ``description=""`` clears it, ``enabled=False`` pauses deliveries.

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.update_webhook(
                id=id,
                url=url,
                types=types,
                description=description,
                enabled=enabled,
                version=self.version,
            ),
            headers,
        )

    async def delete_webhook(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeleted]:
        """``DELETE webhooks/{id}``: the endpoint with its queue and delivery log.

        Returns ``ItemResponse[WebhookDeleted]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(_endpoints.delete_webhook(id=id, version=self.version), headers)

    async def rotate_webhook_secret(
        self, id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[Webhook]:
        """``POST webhooks/{id}/rotate-secret``: a new ``data.secret``, shown once; the old
        secret stops working at once. Not retried.

        Returns ``ItemResponse[Webhook]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.rotate_webhook_secret(id=id, version=self.version), headers
        )

    async def get_webhook_deliveries(
        self,
        webhook_id: int,
        *,
        status: str | None = None,
        page: int | None = None,
        limit: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ListResponse[WebhookDelivery]:
        """``GET webhooks/{id}/deliveries``: the delivery log, newest event first;
        ``status`` is ``pending``, ``delivered`` or ``failed``.

        Returns ``ListResponse[WebhookDelivery]``; ``headers`` are sent as given (they win).
        """
        return await self._acall(
            _endpoints.get_webhook_deliveries(
                webhook_id=webhook_id,
                status=status,
                page=page,
                limit=limit,
                version=self.version,
            ),
            headers,
        )

    async def get_webhook_delivery_by_id(
        self, webhook_id: int, delivery_id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeliveryDetail]:
        """``GET webhooks/{id}/deliveries/{delivery_id}``: the delivery with its
        ``attempt_log`` (every HTTP attempt) and the ``event`` it carries.

        Returns ``ItemResponse[WebhookDeliveryDetail]``; ``headers`` are sent as given.
        """
        return await self._acall(
            _endpoints.get_webhook_delivery_by_id(
                webhook_id=webhook_id, delivery_id=delivery_id, version=self.version
            ),
            headers,
        )

    async def redeliver_webhook_delivery(
        self, webhook_id: int, delivery_id: int, *, headers: Mapping[str, str] | None = None
    ) -> ItemResponse[WebhookDeliveryDetail]:
        """``POST webhooks/{id}/deliveries/{delivery_id}/redeliver``: send the event again,
        due now, with a fresh 24-hour retry window (``ConflictError`` while a worker is
        sending it). Not retried: each call queues it once more.

        Returns ``ItemResponse[WebhookDeliveryDetail]``; ``headers`` are sent as given.
        """
        return await self._acall(
            _endpoints.redeliver_webhook_delivery(
                webhook_id=webhook_id, delivery_id=delivery_id, version=self.version
            ),
            headers,
        )

    # -- end endpoints ------------------------------------------------------------------

    # -- auto-paging (issue 5 item 7) ---------------------------------------------------

    def _iterate(
        self,
        method: Callable[..., Awaitable[ListResponse[T]]],
        page: int | None,
        limit: int | None,
        params: Any,
    ) -> AsyncIterator[T]:
        return aiterate_pages(
            lambda number: method(page=number, limit=limit, **params), page=page, limit=limit
        )

    @overload
    async def fetch_all(
        self,
        method: Literal["get_venues"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Venue]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_users"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[User]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_customers"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Customer]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_customer_groups"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[CustomerGroup]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_categories"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Category]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_stations"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Station]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_products"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Product]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_sale_types"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[SaleType]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_payment_methods"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[PaymentMethod]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_orders"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Order]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_receipts"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Receipt]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_price_lists"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[PriceList]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_price_list_prices"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Price]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_webhooks"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[Webhook]: ...
    @overload
    async def fetch_all(
        self,
        method: Literal["get_webhook_deliveries"],
        *,
        limit: int | None = None,
        concurrency: int = 4,
        **params: Any,
    ) -> list[WebhookDelivery]: ...
    @overload
    async def fetch_all(
        self, method: str, *, limit: int | None = None, concurrency: int = 4, **params: Any
    ) -> list[Any]: ...
    async def fetch_all(
        self, method: str, *, limit: int | None = None, concurrency: int = 4, **params: Any
    ) -> list[Any]:
        """Every item of list method ``method`` (e.g. ``"get_receipts"`` → ``list[Receipt]``),
        for exports.

        Reads page 1 to learn ``total``, then the remaining pages at most ``concurrency``
        at a time; items are returned in page order. ``params`` go to every page request.
        """
        if method not in PAGED_METHODS:
            raise ValueError(f"{method!r} is not a paged list method: {', '.join(PAGED_METHODS)}")
        call: Callable[..., Awaitable[ListResponse[Any]]] = getattr(self, method)
        return await fetch_pages_concurrently(
            lambda number: call(page=number, limit=limit, **params),
            limit=limit,
            concurrency=concurrency,
        )

    def iter_venues(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Venue]:
        """Every item of ``get_venues`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_venues, page, limit, params)

    def iter_users(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[User]:
        """Every item of ``get_users`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_users, page, limit, params)

    def iter_customers(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Customer]:
        """Every item of ``get_customers`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_customers, page, limit, params)

    def iter_customer_groups(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[CustomerGroup]:
        """Every item of ``get_customer_groups`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_customer_groups, page, limit, params)

    def iter_categories(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Category]:
        """Every item of ``get_categories`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_categories, page, limit, params)

    def iter_stations(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Station]:
        """Every item of ``get_stations`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_stations, page, limit, params)

    def iter_products(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Product]:
        """Every item of ``get_products`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_products, page, limit, params)

    def iter_sale_types(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[SaleType]:
        """Every item of ``get_sale_types`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_sale_types, page, limit, params)

    def iter_payment_methods(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[PaymentMethod]:
        """Every item of ``get_payment_methods`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_payment_methods, page, limit, params)

    def iter_orders(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Order]:
        """Every item of ``get_orders`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_orders, page, limit, params)

    def iter_receipts(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Receipt]:
        """Every item of ``get_receipts`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_receipts, page, limit, params)

    def iter_price_lists(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[PriceList]:
        """Every item of ``get_price_lists`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_price_lists, page, limit, params)

    def iter_price_list_prices(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Price]:
        """Every item of ``get_price_list_prices`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_price_list_prices, page, limit, params)

    def iter_webhooks(
        self, *, page: int | None = None, limit: int | None = None, **params: Any
    ) -> AsyncIterator[Webhook]:
        """Every item of ``get_webhooks`` (same keyword arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(self.get_webhooks, page, limit, params)

    def iter_webhook_deliveries(
        self,
        webhook_id: int,
        *,
        page: int | None = None,
        limit: int | None = None,
        **params: Any,
    ) -> AsyncIterator[WebhookDelivery]:
        """Every item of ``get_webhook_deliveries`` (same arguments), for ``async for``.

        Starts at ``page`` (default 1); requests are made lazily; stops at ``total``.
        """
        return self._iterate(
            self.get_webhook_deliveries, page, limit, {"webhook_id": webhook_id, **params}
        )

    def iter_events(
        self,
        *,
        after: EventCursor | None = None,
        types: EventTypes | None = None,
        limit: int | None = None,
        wait: int | None = None,
        follow: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Event]:
        """Every event after ``after`` (default 0; ``"latest"``: from now on), oldest first,
        following ``next_after`` lazily (one ``get_events`` call per answer).

        Without ``follow`` it stops once the feed has nothing more (``has_more`` false).
        With ``follow=True`` it never stops: once caught up each request long-polls
        (``wait``, default 25 s) and every event is yielded as soon as it is recorded —
        for watchers; ``break`` (or ``aclose()`` the iterator) to stop. Keep the last
        event's ``id`` to resume after a restart with ``after=<id>``.
        """
        held = follow_wait(wait, follow)
        return aiterate_events(
            lambda cursor: self.get_events(
                after=cursor, types=types, limit=limit, wait=held, headers=headers
            ),
            after=after,
            follow=follow,
        )
