"""``/till``: the till dashboard — server-rendered pages for the person playing the POS.

Screens: orders (live list; accept, ignore, deliver), receipts (open receipts with lines
and totals; close with chosen payment methods), stop list (per venue), sales (the day's
chart). Every action is a plain HTML form POST that calls ``clopos.server.till`` — the
same functions as the ``/sandbox`` routes and ``clopos till`` — then redirects back
(post/redirect/get) with a one-time message. ``static/till.js`` adds the live part: it
listens to ``/till/events`` (server-sent events) and re-fetches the screen's live region
(``?partial=1``) when its topic changes, so the page never reloads.

Sign-in: the admin token (``CLOPOS_ADMIN_TOKEN``) and a brand slug, or an Open API
client's id and secret (its brand). The session is a signed cookie (HttpOnly,
SameSite=Strict, path ``/till``); every POST carries a CSRF token; every query is scoped
to the signed-in brand.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.server import till
from clopos.server.api.deps import SessionDep
from clopos.server.dashboard import session as cookies
from clopos.server.dashboard.chart import hours_chart, methods_chart, money_text
from clopos.server.dashboard.feed import changes_since
from clopos.server.dashboard.session import Identity
from clopos.server.dashboard.stats import ClosedSale, payments_from_json, summarize_day
from clopos.server.dashboard.views import (
    order_view,
    receipt_view,
    stop_rows,
)
from clopos.server.domain.query import MAX_ID, id_from_text
from clopos.server.domain.receipts import CLOSED, OPEN
from clopos.server.domain.timestamps import unix_seconds, utcnow
from clopos.server.errors import ApiError
from clopos.server.middleware import client_ip
from clopos.server.security import dummy_hash, verify_secret
from clopos.server.state import AppState
from clopos.server.store.models import (
    Brand,
    PaymentMethod,
    Product,
    Receipt,
    StopListEntry,
    Venue,
)
from clopos.server.store.repositories import receipts as receipts_repo
from clopos.server.store.repositories import tenancy

__all__ = ["router"]


class _SignInFirst(Exception):
    """No valid session (raised by the ``TillDep`` dependency)."""


def _sign_in_first(request: Request) -> Response:
    """A page or a form post goes to the sign-in page; a live fragment answers 401 (the
    script then reloads the page, which goes to sign-in)."""
    if request.query_params.get("partial") != "1":
        return _redirect(f"{COOKIE_PATH}/login")
    return Response("Sign in at /till/login", status_code=401, media_type="text/plain")


class _TillRoute(APIRoute):
    """A dashboard route: a request without a valid session is sent to sign in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except _SignInFirst:
                return _sign_in_first(request)

        return guarded


router = APIRouter(include_in_schema=False, route_class=_TillRoute)

SESSION_COOKIE = "clopos_till"
LOGIN_COOKIE = "clopos_till_login"
FLASH_COOKIE = "clopos_till_flash"
COOKIE_PATH = "/till"
LOGIN_SECONDS = 3600
# One event stream lasts this long, then the browser reconnects (``retry``) and resumes
# from its last event id. Bounded so a server stopping gracefully is not held open by
# dashboards: uvicorn waits for running responses before it exits.
STREAM_SECONDS = 15.0
POLL_SECONDS = 1.0
LIST_LIMIT = 100
PRODUCT_LIMIT = 300
NOT_SOLD_ALONE = ("INGREDIENT", "PREPARATION")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_templates = Environment(
    loader=PackageLoader("clopos.server.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_templates.filters["money"] = money_text


# --- static files (served by us: the till may run with no internet) --------------------------

_STATIC_TYPES = {"till.css": "text/css; charset=utf-8", "till.js": "text/javascript; charset=utf-8"}
_static_cache: dict[str, tuple[bytes, str]] = {}


def _static(name: str) -> tuple[bytes, str]:
    """The file's bytes and a short content hash (its version in URLs)."""
    if name not in _static_cache:
        data = (resources.files("clopos.server.dashboard") / "static" / name).read_bytes()
        _static_cache[name] = (data, hashlib.sha256(data).hexdigest()[:12])
    return _static_cache[name]


def static_url(name: str) -> str:
    """``/till/static/till.css?v=<hash>``: a new file gets a new URL, so it can be cached."""
    return f"{COOKIE_PATH}/static/{name}?v={_static(name)[1]}"


_templates.globals["static_url"] = static_url


@router.get("/static/{name}")
async def till_static(name: str) -> Response:
    """The dashboard's stylesheet and script."""
    if name not in _STATIC_TYPES:
        return Response("Not found", status_code=404, media_type="text/plain")
    data, version = _static(name)
    return Response(
        data,
        media_type=_STATIC_TYPES[name],
        headers={
            "Cache-Control": "public, max-age=86400",
            "ETag": f'"{version}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


# --- responses ----------------------------------------------------------------------------


def _secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(template: str, context: Mapping[str, Any], *, status_code: int = 200) -> Response:
    html = _templates.get_template(template).render(**context)
    return _secure_headers(HTMLResponse(html, status_code=status_code))


def _redirect(url: str) -> Response:
    return _secure_headers(RedirectResponse(url, status_code=303))


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _drop_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


# --- who is signed in ---------------------------------------------------------------------


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.clopos
    return state


def _key(request: Request) -> bytes:
    return cookies.derive_key(_state(request).jwt_key)


def _admin_token(request: Request) -> str:
    configured = _state(request).settings.admin_token
    return configured.get_secret_value() if configured is not None else ""


@dataclass(frozen=True)
class Till:
    """The signed-in till: its brand, who signed in, and the CSRF token of the session."""

    identity: Identity
    brand: Brand
    who: str
    csrf: str


async def _signed_in(request: Request, session: AsyncSession) -> Till | None:
    """The till of the session cookie, re-checked against the database on every request:
    a deleted brand, a disabled or deleted client, or a changed admin token ends it."""
    key = _key(request)
    identity = cookies.read_session(
        key, request.cookies.get(SESSION_COOKIE), now=unix_seconds(utcnow())
    )
    if identity is None:
        return None
    brand = await tenancy.brand_by_id(session, identity.brand_id)
    if brand is None:
        return None
    if identity.kind == "admin":
        expected = _admin_token(request)
        if not expected or not hmac.compare_digest(
            identity.subject.encode(), cookies.fingerprint(key, expected).encode()
        ):
            return None
        who = "admin"
    else:
        client = await tenancy.client_by_id(session, identity.subject)
        if client is None or not client.enabled or client.brand_id != brand.id:
            return None
        who = client.client_id
    return Till(identity, brand, who, cookies.csrf_token(key, identity.nonce))


async def _form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body, first value of each field."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


def _csrf_refused(till_: Till | None = None) -> Response:
    return _render(
        "error.html",
        {
            "title": "Form expired",
            "message": "This form is no longer valid (a missing or wrong CSRF token). "
            "Go back, reload the page and try again.",
            "till": till_,
        },
        status_code=403,
    )


# --- flash messages -----------------------------------------------------------------------


def _flash(request: Request, response: Response, kind: str, message: str) -> Response:
    sealed = cookies.seal(_key(request), "flash", {"k": kind, "m": message[:500]})
    _set_cookie(request, response, FLASH_COOKIE, sealed, 60)
    return response


def _take_flash(request: Request) -> dict[str, str] | None:
    document = cookies.open_signed(_key(request), "flash", request.cookies.get(FLASH_COOKIE))
    if document is None:
        return None
    kind, message = document.get("k"), document.get("m")
    if kind not in ("ok", "error") or not isinstance(message, str):
        return None
    return {"kind": kind, "message": message}


# --- sign-in ------------------------------------------------------------------------------


def _login_nonce(request: Request) -> str | None:
    document = cookies.open_signed(_key(request), "login", request.cookies.get(LOGIN_COOKIE))
    nonce = document.get("n") if document else None
    expires = document.get("e") if document else None
    if not isinstance(nonce, str) or not isinstance(expires, int):
        return None
    return nonce if expires > unix_seconds(utcnow()) else None


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    status_code: int = 200,
    form: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    key = _key(request)
    nonce = _login_nonce(request) or cookies.new_nonce()
    response = _render(
        "login.html",
        {
            "till": None,
            "error": error,
            "csrf": cookies.csrf_token(key, nonce),
            "admin_enabled": bool(_admin_token(request)),
            "form": {
                "client_id": (form or {}).get("client_id", ""),
                "brand": (form or {}).get("brand", ""),
                "method": (form or {}).get("method", ""),
            },
        },
        status_code=status_code,
    )
    expires = unix_seconds(utcnow()) + LOGIN_SECONDS
    sealed = cookies.seal(key, "login", {"n": nonce, "e": expires})
    _set_cookie(request, response, LOGIN_COOKIE, sealed, LOGIN_SECONDS)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("")
async def till_home() -> Response:
    """The dashboard opens on the orders screen."""
    return _redirect(f"{COOKIE_PATH}/orders")


@router.get("/login")
async def till_login_form(request: Request, session: SessionDep) -> Response:
    """The sign-in page (straight to the orders when already signed in)."""
    if await _signed_in(request, session) is not None:
        return _redirect(f"{COOKIE_PATH}/orders")
    return _login_page(request)


class _LoginRefused(Exception):
    """A sign-in refused, with the sentence the page shows and its status code."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


async def _admin_identity(
    request: Request, session: AsyncSession, form: dict[str, str]
) -> Identity:
    """The admin token (constant-time), then the brand it opens."""
    expected = _admin_token(request)
    if not expected:
        raise _LoginRefused(
            "Admin sign-in is off: start the server with CLOPOS_ADMIN_TOKEN set, "
            "or sign in with the brand's client credentials.",
            403,
        )
    if not hmac.compare_digest(form.get("admin_token", "").encode(), expected.encode()):
        raise _LoginRefused("Wrong admin token.", 401)
    slug = form.get("brand", "").strip()
    if not slug:
        raise _LoginRefused("Enter the brand to open (its slug, e.g. openapitest).", 400)
    brand = None if "\x00" in slug else await tenancy.brand_by_slug(session, slug)
    if brand is None:
        raise _LoginRefused(f"No brand {slug!r}; see `clopos brand list`.", 400)
    key = _key(request)
    return Identity(
        kind="admin",
        brand_id=brand.id,
        subject=cookies.fingerprint(key, expected),
        nonce=cookies.new_nonce(),
        expires_at=unix_seconds(utcnow()) + cookies.SESSION_SECONDS,
    )


async def _client_identity(
    request: Request, session: AsyncSession, form: dict[str, str]
) -> Identity:
    """An Open API client's id and secret; the session opens the client's brand."""
    client_id = form.get("client_id", "").strip()
    secret = form.get("client_secret", "")
    if not client_id or not secret:
        raise _LoginRefused("Enter the client id and the client secret.", 400)
    client = None if "\x00" in client_id else await tenancy.client_by_id(session, client_id)
    # Always one scrypt check (against a dummy hash for an unknown id): timing does not
    # tell unknown ids from wrong secrets. Off the event loop: it takes tens of ms.
    stored = client.secret_hash if client else dummy_hash(_state(request).settings.secret_hash_n)
    secret_ok = await asyncio.to_thread(verify_secret, secret, stored)
    if client is None or not secret_ok:
        raise _LoginRefused("Wrong client id or client secret.", 401)
    if not client.enabled:
        raise _LoginRefused("This client is disabled.", 401)
    return Identity(
        kind="client",
        brand_id=client.brand_id,
        subject=client.client_id,
        nonce=cookies.new_nonce(),
        expires_at=unix_seconds(utcnow()) + cookies.SESSION_SECONDS,
    )


@router.post("/login")
async def till_login(request: Request, session: SessionDep) -> Response:
    """Check the credentials; on success set the session cookie and open the orders."""
    form = await _form(request)
    nonce = _login_nonce(request)
    if nonce is None or not cookies.csrf_matches(_key(request), nonce, form.get("csrf_token")):
        return _login_page(
            request,
            error="The sign-in form expired (or cookies are off). Try again.",
            status_code=403,
            form=form,
        )
    try:
        await _state(request).limiter.hit_auth(client_ip(request.scope))
    except ApiError as error:
        return _login_page(
            request,
            error="Too many sign-in attempts from this address; wait a minute.",
            status_code=error.status_code,
            form=form,
            headers=error.headers,
        )
    try:
        if form.get("method") == "admin":
            identity = await _admin_identity(request, session, form)
        else:
            identity = await _client_identity(request, session, form)
    except _LoginRefused as refused:
        return _login_page(
            request, error=refused.message, status_code=refused.status_code, form=form
        )
    response = _redirect(f"{COOKIE_PATH}/orders")
    _set_cookie(
        request,
        response,
        SESSION_COOKIE,
        cookies.write_session(_key(request), identity),
        cookies.SESSION_SECONDS,
    )
    _drop_cookie(request, response, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def till_logout(request: Request, session: SessionDep) -> Response:
    """End the session (the cookie is dropped)."""
    current = await _signed_in(request, session)
    form = await _form(request)
    if current is not None and not cookies.csrf_matches(
        _key(request), current.identity.nonce, form.get("csrf_token")
    ):
        return _csrf_refused(current)
    response = _redirect(f"{COOKIE_PATH}/login")
    _drop_cookie(request, response, SESSION_COOKIE)
    return response


# --- pages --------------------------------------------------------------------------------


async def _page_till(request: Request, session: SessionDep) -> Till:
    current = await _signed_in(request, session)
    if current is None:
        raise _SignInFirst
    return current


TillDep = Annotated[Till, Depends(_page_till)]


def _partial(request: Request) -> bool:
    return request.query_params.get("partial") == "1"


async def _screen(
    request: Request,
    session: AsyncSession,
    current: Till,
    *,
    screen: str,
    title: str,
    fragment: str,
    context: dict[str, Any],
    topics: str,
    live_src: str,
    status_code: int = 200,
) -> Response:
    """A whole page (header, navigation, message, live region), or its live region alone."""
    if _partial(request):
        return _render(fragment, {"till": current, **context}, status_code=status_code)
    _changed, cursor = await changes_since(session, current.brand.id, None)
    response = _render(
        f"{screen}.html",
        {
            "till": current,
            "screen": screen,
            "title": title,
            "fragment": fragment,
            "flash": _take_flash(request),
            "cursor": cursor,
            "topics": topics,
            "live_src": live_src,
            **context,
        },
        status_code=status_code,
    )
    if request.cookies.get(FLASH_COOKIE):
        _drop_cookie(request, response, FLASH_COOKIE)
    return response


async def _venue_names(session: AsyncSession, brand_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Venue.id, Venue.name).where(Venue.brand_id == brand_id).order_by(Venue.id)
    )
    return {venue_id: name for venue_id, name in rows.all()}


@router.get("/orders")
async def till_orders(request: Request, session: SessionDep, current: TillDep) -> Response:
    """Orders waiting for the clerk (accept / ignore) and accepted ones (deliver)."""
    brand_id = current.brand.id
    venues = await _venue_names(session, brand_id)
    pending = await till.orders_at_till(session, brand_id, status="PENDING", limit=LIST_LIMIT)
    received = await till.orders_at_till(session, brand_id, status="RECEIVED", limit=LIST_LIMIT)
    linked = await till.linked_receipts(session, brand_id, received)
    context = {
        "pending": [order_view(o, venues) for o in pending],
        "received": [order_view(o, venues, linked.get(o.id)) for o in received],
    }
    return await _screen(
        request,
        session,
        current,
        screen="orders",
        title="Orders",
        fragment="_orders.html",
        context=context,
        topics="orders receipts",
        live_src=f"{COOKIE_PATH}/orders?partial=1",
    )


async def _act(
    request: Request,
    session: AsyncSession,
    current: Till,
    form: dict[str, str],
    action: Callable[[], Awaitable[str]],
    back: str,
) -> Response:
    """Check the CSRF token, run one till action, and go back with its outcome."""
    if not cookies.csrf_matches(_key(request), current.identity.nonce, form.get("csrf_token")):
        return _csrf_refused(current)
    try:
        kind, message = "ok", await action()
    except ApiError as error:
        await session.rollback()
        kind, message = "error", error.message
    return _flash(request, _redirect(back), kind, message)


def _path_number(raw: str) -> int | None:
    number = id_from_text(raw)
    return number if number is not None and 1 <= number <= MAX_ID else None


async def _order_action(
    request: Request, session: AsyncSession, current: Till, raw_id: str, verb: str
) -> Response:
    number = _path_number(raw_id)
    form = await _form(request)

    async def run() -> str:
        if number is None:
            raise ApiError("Order not found", code="resource_not_found", status_code=404)
        if verb == "accept":
            _accepted, receipt = await till.accept_order(session, current.brand.id, number)
            return f"Order {number} accepted; receipt {receipt.id} is open."
        if verb == "ignore":
            await till.ignore_order(session, current.brand.id, number)
            return f"Order {number} ignored."
        await till.deliver_order(session, current.brand.id, number)
        return f"Order {number} delivered."

    back = f"{COOKIE_PATH}/orders" + (f"#order-{number}" if number is not None else "")
    return await _act(request, session, current, form, run, back)


@router.post("/orders/{order_id}/accept")
async def till_accept(
    order_id: str, request: Request, session: SessionDep, current: TillDep
) -> Response:
    """PENDING → RECEIVED, opening the receipt."""
    return await _order_action(request, session, current, order_id, "accept")


@router.post("/orders/{order_id}/ignore")
async def till_ignore(
    order_id: str, request: Request, session: SessionDep, current: TillDep
) -> Response:
    """PENDING → IGNORE."""
    return await _order_action(request, session, current, order_id, "ignore")


@router.post("/orders/{order_id}/deliver")
async def till_deliver(
    order_id: str, request: Request, session: SessionDep, current: TillDep
) -> Response:
    """RECEIVED → DELIVERED."""
    return await _order_action(request, session, current, order_id, "deliver")


# --- receipts -----------------------------------------------------------------------------


async def _payment_methods(session: AsyncSession, brand_id: int) -> list[PaymentMethod]:
    return list(
        (
            await session.scalars(
                select(PaymentMethod)
                .where(PaymentMethod.brand_id == brand_id, PaymentMethod.deleted_at.is_(None))
                .order_by(PaymentMethod.position, PaymentMethod.id)
            )
        ).all()
    )


def _today_start() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, now.day)


@router.get("/receipts")
async def till_receipts(request: Request, session: SessionDep, current: TillDep) -> Response:
    """Open receipts with their lines and totals, and the ones closed today."""
    brand_id = current.brand.id
    venues = await _venue_names(session, brand_id)
    open_receipts = list(
        (
            await session.scalars(
                select(Receipt)
                .where(
                    Receipt.brand_id == brand_id,
                    Receipt.status == OPEN,
                    Receipt.deleted_at.is_(None),
                )
                .order_by(Receipt.created_at.desc(), Receipt.id.desc())
                .limit(LIST_LIMIT)
            )
        ).all()
    )
    closed_today = list(
        (
            await session.scalars(
                select(Receipt)
                .where(
                    Receipt.brand_id == brand_id,
                    Receipt.status == CLOSED,
                    Receipt.deleted_at.is_(None),
                    Receipt.closed_at >= _today_start(),
                )
                .order_by(Receipt.closed_at.desc(), Receipt.id.desc())
                .limit(10)
            )
        ).all()
    )
    lines = await receipts_repo.lines_of(session, [r.id for r in open_receipts + closed_today])
    methods = await _payment_methods(session, brand_id)
    context: dict[str, Any] = {
        "open_receipts": [receipt_view(r, lines[r.id], venues, methods) for r in open_receipts],
        "closed_receipts": [receipt_view(r, lines[r.id], venues) for r in closed_today],
    }
    return await _screen(
        request,
        session,
        current,
        screen="receipts",
        title="Receipts",
        fragment="_receipts.html",
        context=context,
        topics="receipts",
        live_src=f"{COOKIE_PATH}/receipts?partial=1",
    )


def _amount(raw: str, label: str) -> Decimal:
    try:
        amount = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        raise ApiError(
            f"The amount for {label} is not a number: {raw!r}",
            code="validation_failed",
            status_code=400,
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ApiError(
            f"The amount for {label} must be zero or more",
            code="validation_failed",
            status_code=400,
        )
    return amount


def _tenders(form: dict[str, str], names: Mapping[int, str]) -> list[till.Tender]:
    """The payments of the close form: one method for the whole ``total``, or a split."""
    if form.get("pay"):
        method = id_from_text(form["pay"])
        if method is None or method > MAX_ID:
            raise ApiError("Choose a payment method", code="validation_failed", status_code=400)
        return [till.Tender(method=method, amount=_amount(form.get("total", ""), "the total"))]
    tenders = []
    for method_id, name in names.items():
        raw = form.get(f"amount_{method_id}", "").strip()
        if raw:
            amount = _amount(raw, name)
            if amount > 0:
                tenders.append(till.Tender(method=method_id, amount=amount))
    if not tenders:
        raise ApiError(
            "Enter the amount taken with at least one payment method",
            code="validation_failed",
            status_code=400,
        )
    return tenders


@router.post("/receipts/{receipt_id}/close")
async def till_close(
    receipt_id: str, request: Request, session: SessionDep, current: TillDep
) -> Response:
    """Close an open receipt with the chosen payment methods."""
    number = _path_number(receipt_id)
    form = await _form(request)

    async def run() -> str:
        if number is None:
            raise ApiError("Receipt not found", code="not_found", status_code=404)
        methods = await _payment_methods(session, current.brand.id)
        tenders = _tenders(form, {m.id: m.name for m in methods})
        receipt = await till.close_receipt(session, current.brand.id, number, tenders)
        names = {m.id: m.name for m in methods}
        paid = ", ".join(
            f"{names.get(int(t.method), t.method)} {money_text(t.amount)}" for t in tenders
        )
        return f"Receipt {receipt.id} closed: {paid}."

    back = f"{COOKIE_PATH}/receipts" + (f"#receipt-{number}" if number is not None else "")
    return await _act(request, session, current, form, run, back)


# --- stop list ----------------------------------------------------------------------------


async def _venues(session: AsyncSession, brand_id: int) -> list[Venue]:
    return list(
        (
            await session.scalars(
                select(Venue)
                .where(Venue.brand_id == brand_id)
                .order_by(Venue.is_main.desc(), Venue.id)
            )
        ).all()
    )


def _chosen_venue(raw: str | None, venues: list[Venue]) -> Venue | None:
    number = id_from_text(raw or "")
    for venue in venues:
        if venue.id == number:
            return venue
    return venues[0] if venues else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _stop_list_url(venue_id: int | None, query: str, product_id: int | None = None) -> str:
    params = {"venue": str(venue_id or ""), "q": query}
    anchor = f"#product-{product_id}" if product_id is not None else ""
    return f"{COOKIE_PATH}/stop-list?{urlencode(params)}{anchor}"


@router.get("/stop-list")
async def till_stop_list(request: Request, session: SessionDep, current: TillDep) -> Response:
    """The products of the brand and their stop-list state at one venue."""
    brand_id = current.brand.id
    venues = await _venues(session, brand_id)
    venue = _chosen_venue(request.query_params.get("venue"), venues)
    query = (request.query_params.get("q") or "").strip()[:100].replace("\x00", "")
    statement = select(Product).where(
        Product.brand_id == brand_id,
        Product.deleted_at.is_(None),
        Product.type.not_in(NOT_SOLD_ALONE),
    )
    if query:
        statement = statement.where(Product.name.ilike(_like(query), escape="\\"))
    products = list(
        await session.scalars(statement.order_by(Product.name, Product.id).limit(PRODUCT_LIMIT))
    )
    entries: list[StopListEntry] = []
    if venue is not None:
        entries = list(
            (
                await session.scalars(
                    select(StopListEntry).where(
                        StopListEntry.brand_id == brand_id, StopListEntry.venue_id == venue.id
                    )
                )
            ).all()
        )
    venue_id = venue.id if venue else None
    context: dict[str, Any] = {
        "venues": venues,
        "venue": venue,
        "query": query,
        "rows": stop_rows(products, entries),
        "truncated": len(products) >= PRODUCT_LIMIT,
    }
    return await _screen(
        request,
        session,
        current,
        screen="stop_list",
        title="Stop list",
        fragment="_stop_list.html",
        context=context,
        topics="stop_list",
        live_src=f"{COOKIE_PATH}/stop-list?{urlencode({'venue': venue_id or '', 'q': query})}"
        "&partial=1",
    )


@router.post("/stop-list/{product_id}")
async def till_stop_toggle(
    product_id: str, request: Request, session: SessionDep, current: TillDep
) -> Response:
    """Mark a product sold out, set how many are left, or put it back on sale."""
    number = _path_number(product_id)
    form = await _form(request)
    venue_id = id_from_text(form.get("venue_id", "")) or 0

    async def run() -> str:
        if number is None:
            raise ApiError("Product not found", code="resource_not_found", status_code=404)
        action = form.get("action", "")
        name = await session.scalar(
            select(Product.name).where(Product.id == number, Product.brand_id == current.brand.id)
        )
        label = name or f"Product {number}"
        if action == "available":
            removed = await till.unstop_product(
                session, current.brand.id, number, venue_id=venue_id
            )
            return f"{label} is back on sale." if removed else f"{label} had no limit."
        if action == "sold_out":
            limit = 0
        elif action == "limit":
            raw = form.get("limit", "").strip()
            parsed = 0 if raw == "0" else id_from_text(raw)
            if parsed is None or parsed > MAX_ID:
                raise ApiError(
                    f"Units left must be a whole number from 0 to {MAX_ID}",
                    code="validation_failed",
                    status_code=400,
                )
            limit = parsed
        else:
            raise ApiError("Unknown stop-list action", code="validation_failed", status_code=400)
        await till.stop_product(session, current.brand.id, number, venue_id=venue_id, limit=limit)
        return f"{label} is sold out." if limit == 0 else f"{label}: {limit} left."

    back = _stop_list_url(venue_id or None, form.get("q", ""), number)
    return await _act(request, session, current, form, run, back)


# --- sales --------------------------------------------------------------------------------


def _day(raw: str | None) -> date | None:
    if not raw:
        return utcnow().date()
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        return None
    return day if day < date.max else None  # the day after must exist


@router.get("/sales")
async def till_sales(request: Request, session: SessionDep, current: TillDep) -> Response:
    """The day's receipts by hour and takings by payment method (UTC days)."""
    brand_id = current.brand.id
    venues = await _venues(session, brand_id)
    raw_day = request.query_params.get("day")
    day = _day(raw_day)
    error = None
    status_code = 200
    if day is None:
        error = f"The day must be a date like {utcnow().date().isoformat()}; showing today."
        status_code = 400
        day = utcnow().date()
    venue_raw = request.query_params.get("venue") or ""
    venue_id = id_from_text(venue_raw) if venue_raw else None
    venue = next((v for v in venues if v.id == venue_id), None)
    start = datetime(day.year, day.month, day.day)
    statement = select(Receipt.closed_at, Receipt.total, Receipt.payment_methods).where(
        Receipt.brand_id == brand_id,
        Receipt.status == CLOSED,
        Receipt.deleted_at.is_(None),
        Receipt.closed_at >= start,
        Receipt.closed_at < start + timedelta(days=1),
    )
    if venue is not None:
        statement = statement.where(Receipt.venue_id == venue.id)
    sales = [
        ClosedSale(closed_at=closed_at, total=total, payments=payments_from_json(payments))
        for closed_at, total, payments in (await session.execute(statement)).all()
        if closed_at is not None
    ]
    summary = summarize_day(sales, day)
    context: dict[str, Any] = {
        "venues": venues,
        "venue": venue,
        "day": day.isoformat(),
        "error": error,
        "sales": summary,
        "hours_svg": hours_chart(summary),
        "methods_svg": methods_chart(summary),
    }
    params = urlencode({"day": day.isoformat(), "venue": venue.id if venue else ""})
    return await _screen(
        request,
        session,
        current,
        screen="sales",
        title="Sales",
        fragment="_sales.html",
        context=context,
        topics="receipts",
        live_src=f"{COOKIE_PATH}/sales?{params}&partial=1",
        status_code=status_code,
    )


# --- live updates -------------------------------------------------------------------------


def _event(cursor: str, topics: frozenset[str]) -> str:
    return f"id: {cursor}\nevent: change\ndata: {json.dumps({'topics': sorted(topics)})}\n\n"


@router.get("/events")
async def till_events(request: Request) -> Response:
    """Server-sent events: ``change`` with the topics that changed since the last event id
    (``Last-Event-ID`` on a reconnect, else ``?cursor=`` from the page)."""
    state = _state(request)
    async with state.sessions() as session:
        current = await _signed_in(request, session)
    if current is None:
        return Response("Sign in at /till/login", status_code=401, media_type="text/plain")
    brand_id = current.brand.id
    start = request.headers.get("last-event-id") or request.query_params.get("cursor") or None

    async def stream() -> AsyncIterator[str]:
        cursor = start
        yield f"retry: {int(POLL_SECONDS * 1000)}\n\n"
        deadline = time.monotonic() + STREAM_SECONDS
        while time.monotonic() < deadline:
            # A fresh session per look: a stream never holds a database connection
            # while it sleeps.
            async with state.sessions() as session:
                changed, cursor = await changes_since(session, brand_id, cursor)
            if changed:
                yield _event(cursor, changed)
            if await request.is_disconnected():
                return
            await asyncio.sleep(POLL_SECONDS)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
