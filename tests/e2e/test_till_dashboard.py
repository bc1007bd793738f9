"""End to end: the till dashboard at /till, in Debian's chromium, against ``clopos serve``.

A real server process (SQLite, and PostgreSQL when reachable) with ``CLOPOS_ADMIN_TOKEN``
set; Playwright drives /usr/bin/chromium. What a clerk sees and does: sign in (admin
token, brand credentials, wrong ones), an order pushed through the Open API appearing
without a reload, Accept / Ignore / Delivered, closing a receipt with Cash, the stop-list
toggles, the sales chart updating live, a keyboard-only accept, and a 768 px tablet.
Every check of an action reads the result back over the Open API, as an integration
would. A screenshot of each screen goes to ``tests/artifacts/`` (git-ignored).

The HTTP-level checks at the end (CSRF, brand scoping, sessions) need no browser and run
even where chromium is missing; the browser tests then skip, naming the reason.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from clopos.server.dashboard.chart import money_text
from conftest import _pg_exec, _pg_url, postgres_unreachable

from . import conftest as e2e
from .conftest import CLOPOS, ServerProcess

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN_TOKEN = "till-e2e-" + uuid.uuid4().hex
BRAND = "openapitest"
DEMO_AUTH = {
    "client_id": "demo-client",
    "client_secret": "demo-secret",
    "brand": BRAND,
    "integrator_id": "demo-integrator",
}
MARGHERITA = 11  # demo DISH, 8.50
WAIT_MS = 10_000
T = TypeVar("T")


# --- the server -----------------------------------------------------------------------------


@dataclass
class Till:
    """The running server and an Open API token for the demo brand."""

    server: ServerProcess
    database: str
    token: str = ""
    other_secret: str = field(default="", repr=False)

    @property
    def base(self) -> str:
        return self.server.base_url

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An Open API v2 call as the demo integration."""
        headers = {"x-token": self.token, **kwargs.pop("headers", {})}
        return httpx.request(
            method, f"{self.base}/open-api/v2{path}", headers=headers, timeout=15, **kwargs
        )

    def create_order(self, count: int = 2) -> dict[str, Any]:
        response = self.api(
            "POST",
            "/orders",
            json={
                "sale_type_id": 2,
                "venue_id": 1,
                "customer": {"id": 0, "name": "Walk-in " + uuid.uuid4().hex[:6]},
                "products": [{"product_id": MARGHERITA, "count": count}],
            },
        )
        assert response.status_code in (200, 201), response.text
        order: dict[str, Any] = response.json()["data"]
        assert order["status"] == "PENDING"
        return order

    def order_status(self, order_id: int) -> str:
        response = self.api("GET", f"/orders/{order_id}")
        assert response.status_code == 200, response.text
        status: str = response.json()["data"]["status"]
        return status

    def receipt(self, receipt_id: int) -> dict[str, Any]:
        response = self.api("GET", f"/receipts/{receipt_id}")
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        return data

    def accept_at_sandbox(self, order_id: int) -> int:
        """Accept through the /sandbox till API; the id of the receipt it opened."""
        response = httpx.post(
            f"{self.base}/sandbox/brands/{BRAND}/orders/{order_id}/accept",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=15,
        )
        assert response.status_code == 200, response.text
        receipt_id: int = response.json()["data"]["receipt"]["id"]
        return receipt_id

    def stop_list(self, venue_id: int) -> dict[int, int]:
        response = self.api("GET", "/products/stop-list", headers={"x-venue": str(venue_id)})
        assert response.status_code == 200, response.text
        return {entry["id"]: entry["limit"] for entry in response.json()["data"]}


def _create_other_brand(server: ServerProcess) -> str:
    """A second brand with its own client, made with the CLI on the server's database."""
    env = e2e.server_env(server.database_url)
    outputs = []
    for command in (
        ["brand", "create", "otherbrand", "--test", "--venue", "Main"],
        ["client", "create", "--brand", "otherbrand", "--client-id", "other-client"],
    ):
        done = subprocess.run(
            [str(CLOPOS), *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"clopos {' '.join(command)}: {done.stdout}{done.stderr}"
        outputs.append(done.stdout)
    found = re.search(r"client_secret\s+(\S+)", outputs[-1])
    assert found, outputs[-1]
    return found.group(1)


def _off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` in a thread of its own: Playwright's sync API keeps an event loop
    running in this one, where ``asyncio.run`` (the PostgreSQL helpers) is refused."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def till_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Till]:
    """One ``clopos serve --seed-demo`` with the admin token set, for the whole module."""
    tmp = tmp_path_factory.mktemp(f"till-{request.param}")
    pg_name = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'till.db'}"
    else:
        problem = _off_the_loop(postgres_unreachable)
        if problem:
            pytest.skip(problem)
        pg_name = f"clopos_till_{uuid.uuid4().hex[:12]}"
        _off_the_loop(asyncio.run, _pg_exec(f'CREATE DATABASE "{pg_name}"'))
        url = _pg_url(pg_name)
    server = ServerProcess(url, tmp, {"CLOPOS_ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        server.start()
        till = Till(server, request.param)
        auth = httpx.post(f"{server.base_url}/open-api/v2/auth", json=DEMO_AUTH, timeout=15)
        assert auth.status_code == 200, auth.text
        till.token = auth.json()["token"]
        till.other_secret = _create_other_brand(server)
        yield till
    finally:
        server.kill()
        if pg_name is not None:
            drop = _pg_exec(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
            _off_the_loop(asyncio.run, drop)


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium under Playwright, or a loud skip saying why there is none."""
    if not CHROMIUM.exists():
        pytest.skip(
            "BROWSER TESTS NOT RUN: /usr/bin/chromium is missing. Install Debian's chromium "
            "(`apt-get install chromium`; `make test` does it when run as root)."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - playwright is a dev dependency
        pytest.skip(f"BROWSER TESTS NOT RUN: playwright is not installed ({exc})")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) with a laptop-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    try:
        yield opened
    finally:
        context.close()


def _shot(page: Any, till: Till, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"till-{till.database}-{name}.png"), full_page=True)


def _sign_in_with_client(page: Any, till: Till) -> None:
    from playwright.sync_api import expect

    page.goto(f"{till.base}/till/login")
    page.get_by_label("Client id", exact=True).fill("demo-client")
    page.get_by_label("Client secret", exact=True).fill("demo-secret")
    page.get_by_role("button", name="Sign in with client credentials").click()
    expect(page).to_have_url(re.compile(r"/till/orders$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")


def _flash(page: Any) -> str:
    text: str = page.locator(".flash").first.inner_text()
    return text


# --- browser tests --------------------------------------------------------------------------


def test_wrong_credentials_show_an_error(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    page.goto(f"{till_server.base}/till/login")
    page.get_by_label("Client id", exact=True).fill("demo-client")
    page.get_by_label("Client secret", exact=True).fill("not-the-secret")
    page.get_by_role("button", name="Sign in with client credentials").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong client id or client secret.")
    expect(page).to_have_url(re.compile(r"/till/login$"))
    _shot(page, till_server, "login-error")

    page.get_by_label("Admin token", exact=True).fill("wrong-token")
    page.get_by_label("Brand", exact=True).fill(BRAND)
    page.get_by_role("button", name="Sign in with admin token").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong admin token.")
    # Still signed out: the orders screen sends us back to sign in.
    page.goto(f"{till_server.base}/till/orders")
    expect(page).to_have_url(re.compile(r"/till/login$"))


def test_sign_in_with_admin_token_opens_the_brand(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    page.goto(f"{till_server.base}/till/login")
    page.get_by_label("Admin token", exact=True).fill(ADMIN_TOKEN)
    page.get_by_label("Brand", exact=True).fill(BRAND)
    page.get_by_role("button", name="Sign in with admin token").click()
    expect(page).to_have_url(re.compile(r"/till/orders$"))
    expect(page.locator(".who")).to_have_text("Signed in as admin")
    expect(page.locator(".brand-name")).to_contain_text(BRAND)
    _shot(page, till_server, "orders-admin")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/till/login$"))
    page.goto(f"{till_server.base}/till/receipts")
    expect(page).to_have_url(re.compile(r"/till/login$"))


def test_order_appears_without_reload_and_accept_receives_it(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    _sign_in_with_client(page, till_server)
    expect(page.locator(".who")).to_have_text("Signed in as demo-client")
    page.evaluate("window.__sameDocument = 'yes'")

    order = till_server.create_order()
    card = page.locator(f"#order-{order['id']}")
    expect(card).to_be_visible()
    expect(card).to_contain_text("Margherita")
    expect(card).to_contain_text(money_text(Decimal(str(order["total_amount"]))))
    # The card arrived in the same document: no navigation, no reload.
    assert page.evaluate("window.__sameDocument") == "yes"
    expect(page.locator("#live-status")).to_contain_text("waiting")
    _shot(page, till_server, "orders")

    page.get_by_role("button", name=f"Accept order {order['id']}").click()
    expect(page.locator(".flash")).to_contain_text(f"Order {order['id']} accepted")
    assert till_server.order_status(order["id"]) == "RECEIVED"
    accepted = page.locator(f"#order-{order['id']}")
    expect(accepted).to_have_attribute("data-status", "RECEIVED")

    page.get_by_role("button", name=f"Deliver order {order['id']}").click()
    expect(page.locator(".flash")).to_contain_text(f"Order {order['id']} delivered")
    assert till_server.order_status(order["id"]) == "DELIVERED"

    ignored = till_server.create_order(count=1)
    expect(page.locator(f"#order-{ignored['id']}")).to_be_visible()
    page.get_by_role("button", name=f"Ignore order {ignored['id']}").click()
    expect(page.locator(".flash")).to_contain_text(f"Order {ignored['id']} ignored")
    assert till_server.order_status(ignored["id"]) == "IGNORE"
    expect(page.locator(f"#order-{ignored['id']}")).to_have_count(0)


def test_accepting_an_order_twice_shows_the_conflict(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    order = till_server.create_order()
    _sign_in_with_client(page, till_server)
    expect(page.locator(f"#order-{order['id']}")).to_be_visible()
    # Another till accepts it first; this page still shows the Accept button.
    till_server.accept_at_sandbox(order["id"])
    page.locator(f"#accept-{order['id']}").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Order {order['id']} is RECEIVED; only a PENDING order can be accepted"
    )


def test_close_receipt_with_cash(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    order = till_server.create_order()
    receipt_id = till_server.accept_at_sandbox(order["id"])
    before = till_server.receipt(receipt_id)
    assert before["status"] == 1
    total = money_text(Decimal(str(before["total"])))

    _sign_in_with_client(page, till_server)
    page.get_by_role("link", name="Receipts").click()
    card = page.locator(f"#receipt-{receipt_id}")
    expect(card).to_be_visible()
    expect(card.locator("tbody")).to_contain_text("Margherita")
    expect(card.locator("[data-total]")).to_have_text(total)
    _shot(page, till_server, "receipts")

    page.get_by_role("button", name=f"Close receipt {receipt_id} with Cash").click()
    expect(page.locator(".flash")).to_have_text(f"Receipt {receipt_id} closed: Cash {total}.")
    closed = till_server.receipt(receipt_id)
    assert closed["status"] == 2
    assert [(p["name"], Decimal(str(p["amount"]))) for p in closed["payment_methods"]] == [
        ("Cash", Decimal(str(before["total"])))
    ]
    expect(page.locator(f"#receipt-{receipt_id}")).to_have_count(0)
    expect(page.locator(f"#closed-{receipt_id}")).to_contain_text("Cash")


def test_split_payment_that_does_not_add_up_is_refused(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    order = till_server.create_order()
    receipt_id = till_server.accept_at_sandbox(order["id"])
    _sign_in_with_client(page, till_server)
    page.goto(f"{till_server.base}/till/receipts")
    card = page.locator(f"#receipt-{receipt_id}")
    card.locator("summary").click()
    card.get_by_role("textbox", name="Cash", exact=True).fill("1.00")
    card.get_by_role("textbox", name="Card", exact=True).fill("2.00")
    card.get_by_role("button", name="Close with split payment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert till_server.receipt(receipt_id)["status"] == 1

    total = Decimal(str(till_server.receipt(receipt_id)["total"]))
    card = page.locator(f"#receipt-{receipt_id}")
    card.locator("summary").click()
    card.get_by_role("textbox", name="Cash", exact=True).fill(str(total - Decimal("5.00")))
    card.get_by_role("textbox", name="Card", exact=True).fill("5.00")
    card.get_by_role("button", name="Close with split payment").click()
    expect(page.locator(".flash")).to_contain_text(f"Receipt {receipt_id} closed")
    paid = {
        p["name"]: Decimal(str(p["amount"]))
        for p in till_server.receipt(receipt_id)["payment_methods"]
    }
    assert paid == {"Cash": total - Decimal("5.00"), "Card": Decimal("5.00")}


def test_live_updates_wait_while_the_clerk_types(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    first = till_server.accept_at_sandbox(till_server.create_order()["id"])
    _sign_in_with_client(page, till_server)
    page.goto(f"{till_server.base}/till/receipts")
    card = page.locator(f"#receipt-{first}")
    card.locator("summary").click()
    field = card.get_by_role("textbox", name="Cash", exact=True)
    field.fill("12.3")
    second = till_server.accept_at_sandbox(till_server.create_order()["id"])
    page.wait_for_timeout(2500)  # more than one poll of the event stream
    # Nothing was swapped under the clerk's fingers.
    assert field.input_value() == "12.3"
    expect(page.locator(f"#receipt-{second}")).to_have_count(0)
    # Leaving the field lets the update in; the split form stays open.
    page.keyboard.press("Escape")
    page.locator("h1").click()
    expect(page.locator(f"#receipt-{second}")).to_be_visible()
    expect(page.locator(f"#split-{first}")).to_have_attribute("open", "")


def test_stop_list_toggles_show_in_the_api(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    _sign_in_with_client(page, till_server)
    page.get_by_role("link", name="Stop list").click()
    page.get_by_label("Venue", exact=True).select_option(label="Airport")
    page.get_by_label("Find a product", exact=True).fill("Margherita")
    page.get_by_role("button", name="Show").click()
    row = page.locator(f"#product-{MARGHERITA}")
    expect(row).to_contain_text("Available")
    assert MARGHERITA not in till_server.stop_list(2)

    page.get_by_role("button", name="Mark Margherita sold out").click()
    expect(page.locator(".flash")).to_have_text("Margherita is sold out.")
    expect(page.locator(f"#product-{MARGHERITA}")).to_contain_text("Sold out")
    assert till_server.stop_list(2)[MARGHERITA] == 0
    assert MARGHERITA not in till_server.stop_list(1)  # only the chosen venue
    _shot(page, till_server, "stop-list")

    page.get_by_role("spinbutton", name="Units of Margherita left").fill("4")
    page.get_by_role("button", name="Set units of Margherita left").click()
    expect(page.locator(f"#product-{MARGHERITA}")).to_contain_text("4 left")
    assert till_server.stop_list(2)[MARGHERITA] == 4

    page.get_by_role("button", name="Put Margherita back on sale").click()
    expect(page.locator(f"#product-{MARGHERITA}")).to_contain_text("Available")
    assert MARGHERITA not in till_server.stop_list(2)


def test_sales_chart_renders_and_follows_new_sales(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    _sign_in_with_client(page, till_server)
    page.get_by_role("link", name="Sales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sales")
    chart = page.get_by_role("img", name="Receipts closed by hour (UTC)")
    expect(chart).to_be_visible()
    receipts_before = int(page.locator("#sales-receipts").inner_text())
    bars_before = sum(
        int(n)
        for n in page.locator("#hours-chart rect").evaluate_all(
            "els => els.map(e => e.dataset.receipts)"
        )
    )
    assert bars_before == receipts_before

    order = till_server.create_order(count=3)
    receipt_id = till_server.accept_at_sandbox(order["id"])
    total = till_server.receipt(receipt_id)["total"]
    closed = till_server.api(
        "POST",
        f"/receipts/{receipt_id}/close",
        json={"payment_methods": [{"id": 2, "name": "Card", "amount": total}]},
    )
    assert closed.status_code == 200, closed.text

    # The figures follow without a reload.
    expect(page.locator("#sales-receipts")).to_have_text(str(receipts_before + 1))
    bars = page.locator("#hours-chart rect").evaluate_all(
        "els => els.map(e => Number(e.dataset.receipts))"
    )
    assert sum(bars) == receipts_before + 1
    expect(page.locator("#methods-table")).to_contain_text("Card")
    expect(page.get_by_role("img", name="Takings by payment method")).to_be_visible()
    _shot(page, till_server, "sales")


def test_keyboard_only_accept(page: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    order = till_server.create_order()
    _sign_in_with_client(page, till_server)
    target = f"accept-{order['id']}"
    expect(page.locator(f"#{target}")).to_be_visible()
    for _press in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == target:
            break
    else:
        pytest.fail(f"Tab never reached the Accept button of order {order['id']}")
    # A new order arriving re-renders the list; the keyboard focus stays where it was.
    newer = till_server.create_order(count=1)
    expect(page.locator(f"#order-{newer['id']}")).to_be_visible()
    assert page.evaluate("document.activeElement.id") == target
    page.keyboard.press("Enter")
    expect(page.locator(".flash")).to_contain_text(f"Order {order['id']} accepted")
    assert till_server.order_status(order["id"]) == "RECEIVED"


def test_tablet_width_has_no_sideways_scrolling(browser: Any, till_server: Till) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    try:
        order = till_server.create_order()
        till_server.accept_at_sandbox(till_server.create_order()["id"])
        _sign_in_with_client(page, till_server)
        for screen, name in (
            ("orders", "orders-tablet"),
            ("receipts", "receipts-tablet"),
            ("stop-list", "stop-list-tablet"),
            ("sales", "sales-tablet"),
        ):
            page.goto(f"{till_server.base}/till/{screen}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 768, f"/till/{screen} is {width}px wide at a 768px viewport"
            _shot(page, till_server, name)
        page.goto(f"{till_server.base}/till/orders")
        accept = page.locator(f"#accept-{order['id']}")
        expect(accept).to_be_visible()
        box = accept.bounding_box()
        assert box is not None and box["height"] >= 44, box  # a finger-sized target
    finally:
        context.close()


# --- HTTP-level checks (no browser) ---------------------------------------------------------


@contextmanager
def _session(till: Till, client_id: str, secret: str) -> Iterator[tuple[httpx.Client, str]]:
    """A signed-in httpx client and the CSRF token of its session."""
    client = httpx.Client(base_url=till.base, timeout=15)
    login = client.get("/till/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token, login.text
    signed = client.post(
        "/till/login",
        data={
            "csrf_token": token.group(1),
            "method": "client",
            "client_id": client_id,
            "client_secret": secret,
        },
    )
    assert signed.status_code == 303, signed.text
    page = client.get("/till/orders")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    try:
        yield client, csrf.group(1)
    finally:
        client.close()


def test_actions_without_the_csrf_token_are_refused(till_server: Till) -> None:
    order = till_server.create_order()
    with _session(till_server, "demo-client", "demo-secret") as (client, csrf):
        for sent in ({}, {"csrf_token": "forged"}, {"csrf_token": csrf + "x"}):
            refused = client.post(f"/till/orders/{order['id']}/accept", data=sent)
            assert refused.status_code == 403
            assert "CSRF" in refused.text
        assert till_server.order_status(order["id"]) == "PENDING"
        # The sign-in form is protected too (a login CSRF).
        fresh = httpx.post(
            f"{till_server.base}/till/login",
            data={"method": "client", "client_id": "demo-client", "client_secret": "demo-secret"},
        )
        assert fresh.status_code == 403
        assert "clopos_till=" not in fresh.headers.get("set-cookie", "")


def test_another_brand_cannot_see_or_touch_this_brand(till_server: Till) -> None:
    order = till_server.create_order()
    with _session(till_server, "other-client", till_server.other_secret) as (client, csrf):
        orders = client.get("/till/orders")
        assert f'id="order-{order["id"]}"' not in orders.text
        assert "otherbrand" in orders.text
        tried = client.post(f"/till/orders/{order['id']}/accept", data={"csrf_token": csrf})
        assert tried.status_code == 303
        shown = client.get(tried.headers["location"])
        assert "Order not found" in shown.text
        assert till_server.order_status(order["id"]) == "PENDING"
        unstop = client.post(
            f"/till/stop-list/{MARGHERITA}",
            data={"csrf_token": csrf, "venue_id": "1", "action": "sold_out"},
        )
        assert "Product not found" in client.get(unstop.headers["location"]).text
        assert MARGHERITA not in till_server.stop_list(1)


def test_sessions_are_signed_and_required(till_server: Till) -> None:
    with _session(till_server, "demo-client", "demo-secret") as (client, _csrf):
        cookie = client.cookies.get("clopos_till")
        assert cookie
        payload, signature = cookie.split(".")
        forged = httpx.get(
            f"{till_server.base}/till/orders",
            cookies={"clopos_till": payload + "." + signature[::-1]},
        )
        assert forged.status_code == 303
        assert forged.headers["location"].endswith("/till/login")
    # No session: pages redirect, fragments and the event stream answer 401.
    assert httpx.get(f"{till_server.base}/till/orders?partial=1").status_code == 401
    assert httpx.get(f"{till_server.base}/till/events").status_code == 401
    login = httpx.get(f"{till_server.base}/till/login")
    assert "default-src 'self'" in login.headers["content-security-policy"]
    set_cookie = login.headers["set-cookie"].lower()
    assert "httponly" in set_cookie
    assert "samesite=strict" in set_cookie


def test_bad_input_is_answered_on_the_page(till_server: Till) -> None:
    order = till_server.create_order()
    receipt_id = till_server.accept_at_sandbox(order["id"])
    with _session(till_server, "demo-client", "demo-secret") as (client, csrf):

        def outcome(path: str, **fields: str) -> str:
            posted = client.post(path, data={"csrf_token": csrf, **fields})
            assert posted.status_code == 303, posted.text
            shown = client.get(posted.headers["location"])
            assert shown.status_code == 200
            found = re.search(r'class="flash flash-(\w+)"[^>]*>([^<]*)<', shown.text)
            assert found, shown.text
            return f"{found.group(1)}: {found.group(2)}"

        receipt = f"/till/receipts/{receipt_id}/close"
        assert outcome(receipt, pay="1", total="ten") == (
            "error: The amount for the total is not a number: &#39;ten&#39;"
        )
        assert outcome(receipt, pay="99999999999999999999", total="1").startswith("error: ")
        assert outcome(receipt, amount_1="-1") == (
            "error: The amount for Cash must be zero or more"
        )
        assert outcome(receipt) == (
            "error: Enter the amount taken with at least one payment method"
        )
        assert till_server.receipt(receipt_id)["status"] == 1
        assert outcome("/till/orders/abc/accept") == "error: Order not found"
        assert outcome("/till/receipts/0/close", pay="1", total="1") == ("error: Receipt not found")
        stop = f"/till/stop-list/{MARGHERITA}"
        assert outcome(stop, venue_id="1", action="limit", limit="-3").startswith(
            "error: Units left must be a whole number"
        )
        assert outcome(stop, venue_id="999", action="sold_out").startswith(
            "error: The venue_id field is invalid"
        )
        assert outcome(stop, venue_id="1", action="explode") == "error: Unknown stop-list action"
        assert outcome("/till/stop-list/999999", venue_id="1", action="sold_out") == (
            "error: Product not found"
        )
        for day in ("yesterday", "9999-12-31", "2026-02-30"):
            sales = client.get("/till/sales", params={"day": day})
            assert sales.status_code == 400
            assert "The day must be a date like" in sales.text
