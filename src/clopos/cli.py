"""The ``clopos`` command line: serve the API and administer brands and credentials.

Bad input ends with a one-line error on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from clopos.reporting.cli import register as register_reporting_commands
from clopos.server.events.cli import register as register_event_commands
from clopos.settings import Settings
from clopos.unified.cli import register as register_unified_commands

if TYPE_CHECKING:
    from clopos.server.demo import DemoSummary
    from clopos.server.till import Tender

app = typer.Typer(
    help="Clopos POS Open API toolkit.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo brand.", no_args_is_help=True)
brand_app = typer.Typer(help="Brands (tenants).", no_args_is_help=True)
integrator_app = typer.Typer(help="Integrators (partner systems).", no_args_is_help=True)
client_app = typer.Typer(help="API client credentials.", no_args_is_help=True)
till_app = typer.Typer(
    help="The till (POS side): accept orders, close receipts, keep the stop list.",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(brand_app, name="brand")
app.add_typer(integrator_app, name="integrator")
app.add_typer(client_app, name="client")
app.add_typer(till_app, name="till")
# Feature packages own their commands; each adds them here.
register_unified_commands(app)
register_event_commands(app)
register_reporting_commands(app)

# soft_wrap: a message is never broken over lines, whatever the terminal width, so that
# errors stay one line and secrets can be copied (or grepped from a pipe) whole.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ASYNC_DRIVER_HINT = (
    "use an async driver, e.g. sqlite+aiosqlite:///./clopos.db or postgresql+asyncpg://…"
)


def fail(message: str) -> typer.Exit:
    """Print a one-line error and return the exit to raise (code 2)."""
    # escape(): messages quote user input and driver errors, which may contain [brackets].
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=2)


def _first_line(exc: BaseException) -> str:
    """A one-line description of an exception, preferring the database driver's own words."""
    cause: BaseException = exc
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        cause = exc.orig  # skips SQLAlchemy's "[SQL: …]" and "(Background on this error…)"
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:  # a bad CLOPOS_* value
        first = exc.errors()[0]
        name = "CLOPOS_" + "_".join(str(part) for part in first["loc"]).upper()
        raise fail(f"invalid {name}: {first['msg']}") from None
    _check_database_url(settings.database_url)
    return settings


def _check_database_url(url: str) -> None:
    """Fail early, with a hint, on a URL SQLAlchemy cannot parse or a synchronous driver."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        # Not echoed: an unparsable URL may still contain a password.
        raise fail(f"CLOPOS_DATABASE_URL is not a database URL; {ASYNC_DRIVER_HINT}") from None
    if "+" not in parsed.drivername:
        # "sqlite://" and "postgresql://" pick synchronous drivers; the server is async.
        raise fail(f"CLOPOS_DATABASE_URL names no async driver; {ASYNC_DRIVER_HINT}")
    database = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:"):
        # Checked here because aiosqlite, failing to open the file, leaves a worker thread
        # that prints its own traceback after the event loop has closed.
        folder = Path(database).expanduser().parent
        if not database.startswith("file:") and not folder.is_dir():
            raise fail(f"cannot create the SQLite database: no directory {folder}")


def _upgrade(settings: Settings) -> None:
    from clopos.server.store.migrate import upgrade

    try:
        upgrade(settings.database_url)
    except Exception as exc:
        where = _safe_url(settings.database_url)
        raise fail(f"cannot migrate {where}: {_first_line(exc)}") from None


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid database url>"


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a session; a database failure becomes a one-line error (exit 2)."""
    from clopos.server.store.db import create_engine, session_factory

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session:
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except (typer.Exit, click.exceptions.Exit):  # a `fail(...)` raised inside ``work``
        raise
    except Exception as exc:
        where = _safe_url(settings.database_url)
        raise fail(f"database error on {where}: {_first_line(exc)}") from None


def _cell(text: str) -> str:
    """Table cell text shown literally (names are user input and may hold [brackets])."""
    return escape(text)


def _print_table(table: Table) -> None:
    if out.is_terminal:
        out.print(table)
        return
    # Piped output gets room so that no cell wraps and `clopos brand list | grep` sees one
    # line per row. (Console.print(width=…) cannot exceed the console's own width.)
    Console(file=out.file, width=1000, soft_wrap=True).print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to CLOPOS_DATABASE_URL."""
    settings = _settings()
    _upgrade(settings)
    out.print(f"database {_safe_url(settings.database_url)} is up to date")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo brand `openapitest` with its catalog (idempotent)."""
    settings = _settings()
    _upgrade(settings)
    _print_demo(_seed(settings))


def _seed(settings: Settings) -> DemoSummary:
    from clopos.server.demo import seed_demo

    return _with_session(
        settings,
        lambda s: seed_demo(s, hash_n=settings.secret_hash_n, secret_key=settings.secret_key),
    )


def _print_demo(summary: DemoSummary) -> None:
    """The demo credentials, as `make run` shows them to a newcomer."""
    state = "created" if summary.created else "already present"
    out.print(f"demo brand [bold]{summary.brand}[/] {state}", highlight=False)
    table = Table(show_header=False, box=None)
    table.add_row("brand", summary.brand)
    table.add_row("integrator_id", summary.integrator_id)
    table.add_row("client_id", summary.client_id)
    table.add_row("client_secret", summary.client_secret)
    table.add_row("venues", ", ".join(str(v) for v in summary.venue_ids))
    table.add_row("unified_api_key", summary.unified_api_key)
    table.add_row("unified_app_id", summary.unified_app_id)
    table.add_row("unified_consumer_id", summary.unified_consumer_id)
    _print_table(table)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes (development).")] = False,
    seed_demo: Annotated[
        bool, typer.Option("--seed-demo", help="Seed the demo brand first.")
    ] = False,
) -> None:
    """Migrate the database and serve the Open API."""
    settings = _settings()
    if workers > 1 and not settings.redis_url:
        raise fail(
            "--workers > 1 needs CLOPOS_REDIS_URL: rate-limit windows must be shared "
            "between workers (spec §8)"
        )
    if workers > 1 and reload:
        raise fail("--reload and --workers cannot be combined")
    _upgrade(settings)
    summary = _seed(settings) if seed_demo else None
    if summary is not None:
        _print_demo(summary)
    base = f"http://{host}:{port}"
    out.print(
        f"serving on [bold]{base}[/]  (database {_safe_url(settings.database_url)})",
        highlight=False,
    )
    out.print(
        f"  v2 API  {base}/open-api/v2/   v1 API  {base}/open-api/   docs  {base}/docs",
        highlight=False,
    )
    if summary is not None:
        from clopos.unified.cli import print_demo_curl

        print_demo_curl(out, base, summary)
    import uvicorn

    uvicorn.run(
        "clopos.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        log_level="info",
    )


@brand_app.command("create")
def brand_create(
    slug: Annotated[str, typer.Argument(help="Brand slug used in auth, e.g. `mycafe`.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    test: Annotated[
        bool, typer.Option("--test/--production", help="Test (sandbox) brand?")
    ] = False,
    venue: Annotated[list[str], typer.Option(help="Venue name to create (repeatable).")] = [],  # noqa: B006
) -> None:
    """Create a brand and its venues."""
    if not SLUG.match(slug):
        raise fail("slug must be lowercase letters, digits, '-' or '_' (max 64)")
    venue_names = [v.strip() for v in venue] or ["Main"]
    if not all(venue_names):
        raise fail("venue names must not be empty")
    settings = _settings()
    _upgrade(settings)
    from clopos.server.store.models import Venue
    from clopos.server.store.repositories import tenancy

    async def work(session: AsyncSession) -> list[int]:
        try:
            brand = await tenancy.create_brand(session, slug, name or slug, is_test=test)
        except tenancy.AlreadyExists as exc:
            raise fail(str(exc)) from None
        # The first venue is the main one: v2 tokens default to it (docs/decisions.md).
        venues = [
            Venue(brand_id=brand.id, name=v, is_main=1 if i == 0 else 0, media=[])
            for i, v in enumerate(venue_names)
        ]
        session.add_all(venues)
        await session.commit()
        return [v.id for v in venues]

    ids = _with_session(settings, work)
    kind = "test" if test else "production"
    out.print(
        f"created {kind} brand {slug} with venues {', '.join(map(str, ids))}", highlight=False
    )


@brand_app.command("list")
def brand_list() -> None:
    """List brands with their venues and clients."""
    settings = _settings()
    _upgrade(settings)
    from clopos.server.store.models import ApiClient, Brand, Venue

    async def work(session: AsyncSession) -> list[tuple[Brand, list[str], list[str]]]:
        rows = []
        for brand in (await session.scalars(select(Brand).order_by(Brand.id))).all():
            venues = (
                await session.scalars(
                    select(Venue).where(Venue.brand_id == brand.id).order_by(Venue.id)
                )
            ).all()
            clients = (
                await session.scalars(
                    select(ApiClient.client_id).where(ApiClient.brand_id == brand.id)
                )
            ).all()
            rows.append((brand, [f"{v.id} {v.name}" for v in venues], list(clients)))
        return rows

    table = Table("slug", "name", "mode", "venues", "clients")
    for brand, venues, clients in _with_session(settings, work):
        table.add_row(
            _cell(brand.slug),
            _cell(brand.name),
            "test" if brand.is_test else "production",
            _cell(", ".join(venues)),
            _cell(", ".join(clients)),
        )
    _print_table(table)


@integrator_app.command("create")
def integrator_create(
    integrator_id: Annotated[str, typer.Argument(help="Public integrator id.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    test: Annotated[bool, typer.Option("--test/--production", help="Test integrator?")] = True,
) -> None:
    """Register an integrator (test integrators may only call test brands)."""
    # Stripped because /v2/auth strips the integrator_id it receives.
    integrator_id = integrator_id.strip()
    if not integrator_id:
        raise fail("integrator id must not be empty")
    settings = _settings()
    _upgrade(settings)
    from clopos.server.store.repositories import tenancy

    async def work(session: AsyncSession) -> None:
        try:
            await tenancy.create_integrator(session, integrator_id, name, is_test=test)
        except tenancy.AlreadyExists as exc:
            raise fail(str(exc)) from None

    _with_session(settings, work)
    out.print(
        f"created {'test' if test else 'production'} integrator {integrator_id}", highlight=False
    )


@client_app.command("create")
def client_create(
    brand: Annotated[str, typer.Option(help="Brand slug the client belongs to.")],
    client_id: Annotated[str, typer.Option(help="Public client id.")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create API credentials; the secret is printed once and stored only hashed."""
    # Stripped because both auth endpoints strip the client_id they receive.
    client_id = client_id.strip()
    if not client_id:
        raise fail("client id must not be empty")
    settings = _settings()
    _upgrade(settings)
    from clopos.server.store.repositories import tenancy

    async def work(session: AsyncSession) -> str:
        found = await tenancy.brand_by_slug(session, brand)
        if found is None:
            raise fail(f"no brand {brand!r}; see `clopos brand list`")
        try:
            issued = await tenancy.create_client(
                session, found, client_id, name=name, hash_n=settings.secret_hash_n
            )
        except tenancy.AlreadyExists as exc:
            raise fail(str(exc)) from None
        return issued.secret

    secret = _with_session(settings, work)
    out.print(f"client_id      {client_id}", highlight=False)
    out.print(f"client_secret  {secret}", highlight=False)
    out.print("store the secret now: it is not shown again", style="yellow")


# --- the till -----------------------------------------------------------------------------
# The same actions as the /sandbox routes (clopos.server.till), straight on the database.

BrandOption = Annotated[str, typer.Option("--brand", help="Brand slug.")]
DEFAULT_BRAND = "openapitest"


def _id_argument(raw: str, what: str) -> int:
    """A positive id typed on the command line, else a one-line error."""
    from clopos.server.domain.query import path_id

    number = path_id(raw)
    if number is None:
        raise fail(f"{what} must be a positive integer, got {raw!r}")
    return number


def _till(doing: str, action: Callable[[AsyncSession, int], Awaitable[T]], brand: str) -> T:
    """Run a till action for ``brand``; a refusal (unknown id, wrong state, bad amount)
    becomes one line naming what was being done."""
    from clopos.server import till
    from clopos.server.errors import ApiError

    settings = _settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> T:
        try:
            found = await till.brand_named(session, brand)
            return await action(session, found.id)
        except ApiError as error:
            raise fail(f"{doing}: {error.message}") from None

    return _with_session(settings, work)


def _money(value: Decimal) -> str:
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else str(value)


@till_app.command("orders")
def till_orders(
    brand: BrandOption = DEFAULT_BRAND,
    status: Annotated[
        str, typer.Option(help="PENDING, RECEIVED, IGNORE or DELIVERED.")
    ] = "PENDING",
    venue: Annotated[int | None, typer.Option(help="Only this venue's orders.", min=1)] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=500)] = 100,
) -> None:
    """List the orders in a status (default: waiting for the clerk), newest first."""
    from clopos.server import till
    from clopos.server.domain.timestamps import plain
    from clopos.server.store.models import Order

    async def action(session: AsyncSession, brand_id: int) -> list[Order]:
        return await till.orders_at_till(
            session, brand_id, status=status, venue_id=venue, limit=limit
        )

    orders = _till("cannot list orders", action, brand)
    table = Table(
        "id", "venue", "status", "customer", "phone", "items", "total", "created", "receipt"
    )
    for order in orders:
        payload: dict[str, Any] = order.payload if isinstance(order.payload, dict) else {}
        customer = payload.get("customer")
        if not isinstance(customer, dict):
            customer = {}
        products = [p for p in payload.get("products") or [] if isinstance(p, dict)]
        items = sum((Decimal(str(p.get("count", 0))) for p in products), Decimal(0))
        table.add_row(
            str(order.id),
            str(order.venue_id),
            order.status,
            _cell(str(customer.get("name") or "")),
            _cell(str(customer.get("phone") or "")),
            str(items),
            _money(order.total),
            plain(order.created_at) or "",
            str(order.receipt_id or ""),
        )
    _print_table(table)
    out.print(f"{len(orders)} {status.strip().upper()} order(s)", highlight=False)


@till_app.command("accept")
def till_accept(
    order_id: Annotated[str, typer.Argument(help="Order id.")], brand: BrandOption = DEFAULT_BRAND
) -> None:
    """Accept a PENDING order: it becomes RECEIVED and its receipt opens."""
    from clopos.server import till

    number = _id_argument(order_id, "ORDER_ID")

    async def action(session: AsyncSession, brand_id: int) -> tuple[int, Decimal]:
        _order, receipt = await till.accept_order(session, brand_id, number)
        return receipt.id, receipt.total

    receipt_id, total = _till(f"cannot accept order {number}", action, brand)
    out.print(
        f"order {number} accepted: receipt {receipt_id} is open, total {_money(total)}",
        highlight=False,
    )


@till_app.command("ignore")
def till_ignore(
    order_id: Annotated[str, typer.Argument(help="Order id.")], brand: BrandOption = DEFAULT_BRAND
) -> None:
    """Ignore (decline) a PENDING order."""
    from clopos.server import till

    number = _id_argument(order_id, "ORDER_ID")

    async def action(session: AsyncSession, brand_id: int) -> None:
        await till.ignore_order(session, brand_id, number)

    _till(f"cannot ignore order {number}", action, brand)
    out.print(f"order {number} ignored", highlight=False)


@till_app.command("deliver")
def till_deliver(
    order_id: Annotated[str, typer.Argument(help="Order id.")], brand: BrandOption = DEFAULT_BRAND
) -> None:
    """Mark a RECEIVED order delivered."""
    from clopos.server import till

    number = _id_argument(order_id, "ORDER_ID")

    async def action(session: AsyncSession, brand_id: int) -> None:
        await till.deliver_order(session, brand_id, number)

    _till(f"cannot deliver order {number}", action, brand)
    out.print(f"order {number} delivered", highlight=False)


def _tender(raw: str) -> Tender:
    """``cash=12.50`` or ``2=12.50`` (payment method name or id, then the amount)."""
    from clopos.server.till import Tender

    method, sep, amount_text = raw.rpartition("=")
    method = method.strip()
    problem = f"--pay expects METHOD=AMOUNT such as cash=12.50 or 2=12.50, got {raw!r}"
    if not sep or not method:
        raise fail(problem)
    try:
        amount = Decimal(amount_text.strip())
    except ArithmeticError:
        raise fail(problem) from None
    if not amount.is_finite() or amount < 0:
        raise fail(f"--pay amount must be a number of 0 or more, got {amount_text.strip()!r}")
    reference: int | str = int(method) if method.isascii() and method.isdigit() else method
    return Tender(method=reference, amount=amount)


@till_app.command("close")
def till_close(
    receipt_id: Annotated[str, typer.Argument(help="Receipt id.")],
    pay: Annotated[
        list[str],
        typer.Option(
            "--pay", help="METHOD=AMOUNT, method by name or id (repeatable): --pay cash=12.50"
        ),
    ] = [],  # noqa: B006
    closed_at: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD HH:MM:SS (UTC); default now.")
    ] = None,
    brand: BrandOption = DEFAULT_BRAND,
) -> None:
    """Take payment and close an open receipt (amounts must add up to its total)."""
    from clopos.server import till
    from clopos.server.domain.receipts import parse_closed_at

    number = _id_argument(receipt_id, "RECEIPT_ID")
    if not pay:
        raise fail("give at least one --pay METHOD=AMOUNT, e.g. --pay cash=12.50")
    tenders = [_tender(raw) for raw in pay]
    when = None
    if closed_at is not None:
        try:
            when = parse_closed_at(closed_at)
        except ValueError as exc:
            raise fail(f"--closed-at {exc}") from None

    async def action(session: AsyncSession, brand_id: int) -> tuple[Decimal, str]:
        receipt = await till.close_receipt(session, brand_id, number, tenders, when)
        paid = ", ".join(
            f"{p['name']} {_money(Decimal(str(p['amount'])))}" for p in receipt.payment_methods
        )
        return receipt.total, paid

    total, paid = _till(f"cannot close receipt {number}", action, brand)
    out.print(
        f"receipt {number} closed: total {_money(total)}, paid {escape(paid)}", highlight=False
    )


@till_app.command("stop")
def till_stop(
    product_id: Annotated[str, typer.Argument(help="Product id.")],
    venue: Annotated[int, typer.Option(help="Venue id.", min=1)],
    limit: Annotated[int, typer.Option(help="Units left; 0 = sold out.", min=0)] = 0,
    brand: BrandOption = DEFAULT_BRAND,
) -> None:
    """Put a product on the venue's stop list (0 = sold out)."""
    from clopos.server import till

    number = _id_argument(product_id, "PRODUCT_ID")

    async def action(session: AsyncSession, brand_id: int) -> None:
        await till.stop_product(session, brand_id, number, venue_id=venue, limit=limit)

    _till(f"cannot stop product {number}", action, brand)
    out.print(f"product {number} limited to {limit} at venue {venue}", highlight=False)


@till_app.command("unstop")
def till_unstop(
    product_id: Annotated[str, typer.Argument(help="Product id.")],
    venue: Annotated[int, typer.Option(help="Venue id.", min=1)],
    brand: BrandOption = DEFAULT_BRAND,
) -> None:
    """Take a product off the venue's stop list."""
    from clopos.server import till

    number = _id_argument(product_id, "PRODUCT_ID")

    async def action(session: AsyncSession, brand_id: int) -> bool:
        return await till.unstop_product(session, brand_id, number, venue_id=venue)

    removed = _till(f"cannot unstop product {number}", action, brand)
    state = "is no longer limited" if removed else "had no limit"
    out.print(f"product {number} {state} at venue {venue}", highlight=False)


def main() -> None:
    """Entry point of the ``clopos`` script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
