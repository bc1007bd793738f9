"""``clopos unified …``: applications, consumers and the standalone unified server.

    clopos unified app add APP_ID [--name N]           # prints the API key once
    clopos unified app list
    clopos unified consumer add CONSUMER_ID --app APP --brand B --client-id C \\
        [--integrator-id I] [--venue V] [--api-version v2] [--base-url self|URL] [--replace]
    clopos unified consumer list [--app APP]
    clopos unified consumer remove CONSUMER_ID --app APP
    clopos unified webhook add|list|remove …           # see clopos.unified.webhook_cli
    clopos unified serve --upstream URL [--host H] [--port P]

The client secret of ``consumer add`` comes from ``CLOPOS_UNIFIED_CLIENT_SECRET``, a hidden
prompt, or a pipe — never from the command line, where it would end up in the shell history
and the process list. Helpers of ``clopos.cli`` are imported inside the commands, because
``clopos.cli`` imports this module.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import click
import typer

from clopos.unified.webhook_cli import webhooks_app

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.ext.asyncio import AsyncSession

    from clopos.server.demo import DemoSummary
    from clopos.settings import Settings
    from clopos.unified.connections import AppInfo, ConsumerInfo, ConsumerSpec
    from clopos.unified.errors import UnifiedError

SECRET_ENV = "CLOPOS_UNIFIED_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
# Field names in error messages → the option a person typed.
_OPTION_OF = {
    "app_id": "--app",
    "consumer_id": "CONSUMER_ID",
    "client_id": "--client-id",
    "client_secret": f"the client secret ({SECRET_ENV} or the prompt)",
    "brand": "--brand",
    "integrator_id": "--integrator-id",
    "venue_id": "--venue",
    "api_version": "--api-version",
    "base_url": "--base-url",
    "name": "--name",
}

unified_app = typer.Typer(
    help="The unified POS API (Apideck-compatible /pos/*): apps, consumers, serve.",
    no_args_is_help=True,
)
apps_app = typer.Typer(help="Applications that call /pos (API keys).", no_args_is_help=True)
consumers_app = typer.Typer(help="Consumers and their Clopos connections.", no_args_is_help=True)
unified_app.add_typer(apps_app, name="app")
unified_app.add_typer(consumers_app, name="consumer")
unified_app.add_typer(webhooks_app, name="webhook")


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main `clopos` app."""
    app.add_typer(unified_app, name="unified")


def _refusal(error: UnifiedError) -> typer.Exit:
    """A one-line error (exit 2) from a ``UnifiedError``, naming options, not fields."""
    from clopos.cli import fail

    message = error.message
    for field, option in _OPTION_OF.items():
        if message.startswith(field + " "):
            message = option + message[len(field) :]
            break
    return fail(message)


def _ready() -> Settings:
    """Settings from the environment and a migrated database, or a one-line error."""
    from clopos.cli import _settings, _upgrade

    settings = _settings()
    _upgrade(settings)
    return settings


# --- apps ----------------------------------------------------------------------------------


@apps_app.command("add")
def app_add(
    app_id: Annotated[str, typer.Argument(help="Public application id (x-apideck-app-id).")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Register an application; its API key is printed once and stored only as a digest."""
    from clopos.cli import _with_session, out
    from clopos.unified import connections
    from clopos.unified.errors import UnifiedError

    try:
        app_id = connections.check_app_id(app_id)
    except UnifiedError as error:
        raise _refusal(error) from None
    settings = _ready()

    async def work(session: AsyncSession) -> str:
        try:
            return await connections.add_app(session, app_id, name=name)
        except UnifiedError as error:
            raise _refusal(error) from None

    key = _with_session(settings, work)
    out.print(f"app_id   {app_id}", highlight=False)
    out.print(f"api_key  {key}", highlight=False)
    out.print("store the API key now: it is not shown again", style="yellow")


@apps_app.command("list")
def app_list() -> None:
    """List applications with their number of consumers."""
    from rich.table import Table

    from clopos.cli import _cell, _print_table, _with_session
    from clopos.unified import connections

    settings = _ready()

    async def work(session: AsyncSession) -> list[AppInfo]:
        return await connections.list_apps(session)

    table = Table("app_id", "name", "consumers", "created")
    for info in _with_session(settings, work):
        table.add_row(
            _cell(info.app_id),
            _cell(info.name),
            str(info.consumers),
            info.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    _print_table(table)


# --- consumers -----------------------------------------------------------------------------


def _read_secret() -> str:
    """The client secret: ``CLOPOS_UNIFIED_CLIENT_SECRET``, else a hidden prompt at a
    terminal, else the first line of standard input (``… | clopos unified consumer add``)."""
    from clopos.cli import fail

    from_env = os.environ.get(SECRET_ENV)
    if from_env is not None and from_env.strip():
        return from_env.strip()
    missing = f"no client secret: set {SECRET_ENV}, type it at the prompt or pipe it in"
    stdin = sys.stdin
    if not stdin.isatty():
        line = stdin.readline()
        if not line:
            raise fail(missing)
        return line.strip()
    try:
        # err=True: the prompt goes to stderr, so stdout stays the command's result.
        typed: str = typer.prompt("client secret", hide_input=True, err=True)
    except (typer.Abort, click.exceptions.Abort, EOFError):
        raise fail(missing) from None
    return typed.strip()


@consumers_app.command("add")
def consumer_add(
    consumer_id: Annotated[str, typer.Argument(help="Consumer id (x-apideck-consumer-id).")],
    app_id: Annotated[str, typer.Option("--app", help="Application id the consumer uses.")],
    brand: Annotated[str, typer.Option(help="Clopos brand the connection acts for.")],
    client_id: Annotated[str, typer.Option(help="Clopos client_id of the connection.")],
    integrator_id: Annotated[
        str | None, typer.Option(help="Clopos integrator_id (required for v2).")
    ] = None,
    venue: Annotated[
        str | None, typer.Option(help="Clopos venue id (required for v1; v2 default venue).")
    ] = None,
    api_version: Annotated[str, typer.Option(help="Clopos API version: v1 or v2.")] = "v2",
    base_url: Annotated[
        str,
        typer.Option(
            help="Clopos server URL, or 'self': the server the unified layer runs in "
            "(clopos serve) or fronts (clopos unified serve --upstream)."
        ),
    ] = "self",
    replace: Annotated[
        bool, typer.Option("--replace", help="Overwrite an existing connection.")
    ] = False,
) -> None:
    """Connect a consumer to a Clopos upstream; the secret is read from
    CLOPOS_UNIFIED_CLIENT_SECRET or a hidden prompt and stored encrypted."""
    from clopos.cli import _with_session, out
    from clopos.unified import connections
    from clopos.unified.errors import UnifiedError

    def spec_with(secret: str) -> ConsumerSpec:
        try:
            return connections.check_consumer(
                app_id=app_id,
                consumer_id=consumer_id,
                client_id=client_id,
                client_secret=secret,
                brand=brand,
                integrator_id=integrator_id,
                venue_id=venue,
                api_version=api_version,
                base_url=base_url,
            )
        except UnifiedError as error:
            raise _refusal(error) from None

    spec_with("checked-before-asking")  # refuse bad options before asking for the secret
    spec = spec_with(_read_secret())
    settings = _ready()

    async def work(session: AsyncSession) -> ConsumerInfo:
        try:
            cipher = await connections.load_cipher(session, settings.secret_key)
            return await connections.add_consumer(session, cipher, spec, replace=replace)
        except UnifiedError as error:
            raise _refusal(error) from None

    info = _with_session(settings, work)
    where = "this server" if info.base_url == "self" else info.base_url
    out.print(
        f"consumer {info.consumer_id} of app {info.app_id} "
        f"{'replaced' if replace else 'connected'}: brand {info.brand} on {where} "
        f"({info.api_version})",
        highlight=False,
    )


@consumers_app.command("list")
def consumer_list(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this application's.")] = None,
) -> None:
    """List connections (never their secrets); `secret` says whether the configured
    CLOPOS_SECRET_KEY can decrypt each one."""
    from rich.table import Table

    from clopos.cli import _cell, _print_table, _with_session
    from clopos.unified import connections

    settings = _ready()

    async def work(session: AsyncSession) -> list[ConsumerInfo]:
        cipher = await connections.find_cipher(session, settings.secret_key)
        return await connections.list_consumers(session, app_id=app_id, cipher=cipher)

    table = Table(
        "app", "consumer", "service", "upstream", "api", "brand", "integrator", "venue",
        "client_id", "secret",
    )  # fmt: skip
    found = _with_session(settings, work)
    for info in found:
        secret = {True: "ok", False: "unreadable (wrong CLOPOS_SECRET_KEY?)", None: "no key"}
        table.add_row(
            _cell(info.app_id),
            _cell(info.consumer_id),
            info.service_id,
            _cell(info.base_url),
            info.api_version,
            _cell(info.brand),
            _cell(info.integrator_id or ""),
            "" if info.venue_id is None else str(info.venue_id),
            _cell(info.client_id),
            secret[info.secret_readable],
        )
    _print_table(table)


@consumers_app.command("remove")
def consumer_remove(
    consumer_id: Annotated[str, typer.Argument(help="Consumer id.")],
    app_id: Annotated[str, typer.Option("--app", help="Application id.")],
) -> None:
    """Remove a consumer's connection, with its tombstones and idempotency keys."""
    from clopos.cli import _with_session, out
    from clopos.unified import connections
    from clopos.unified.errors import UnifiedError

    settings = _ready()

    async def work(session: AsyncSession) -> None:
        try:
            await connections.remove_consumer(session, app_id=app_id, consumer_id=consumer_id)
        except UnifiedError as error:
            raise _refusal(error) from None

    _with_session(settings, work)
    out.print(f"consumer {consumer_id} of app {app_id} removed", highlight=False)


# --- serve ---------------------------------------------------------------------------------


@unified_app.command("serve")
def serve(
    upstream: Annotated[
        str, typer.Option(help="Base URL of the Clopos server, e.g. http://127.0.0.1:8000.")
    ],
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8001,
) -> None:
    """Serve only the unified layer (/pos/*, /pos/admin/*, /health) in front of --upstream;
    connections with base URL 'self' use it."""
    from clopos.cli import _safe_url, fail, out
    from clopos.unified import connections
    from clopos.unified.errors import UnifiedError
    from clopos.unified.tables import SELF_UPSTREAM

    try:
        url = connections.check_base_url(upstream)
    except UnifiedError:
        url = SELF_UPSTREAM
    if url == SELF_UPSTREAM:
        raise fail(
            f"--upstream must be an http(s) URL such as http://127.0.0.1:8000, got {upstream!r}"
        )
    settings = _ready()
    from clopos.unified.app import create_unified_app

    application = create_unified_app(settings, upstream_url=url)
    base = f"http://{host}:{port}"
    out.print(
        f"serving the unified API on [bold]{base}/pos/[/] in front of {url}  "
        f"(database {_safe_url(settings.database_url)})",
        highlight=False,
    )
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level="info")


def print_demo_curl(out: Console, base: str, summary: DemoSummary) -> None:
    """What ``make run`` shows a newcomer about the unified API: credentials and a curl."""
    host = base.split("://", 1)[1].rsplit(":", 1)[0]
    if host in ("0.0.0.0", "::", "[::]"):  # noqa: S104 - reading the bind address, not binding
        base = base.replace(host, "127.0.0.1", 1)
    out.print(
        f"  unified API  {base}/pos/   api key {summary.unified_api_key}  "
        f"app {summary.unified_app_id}  consumer {summary.unified_consumer_id}",
        highlight=False,
    )
    out.print(
        f"  curl -H 'Authorization: Bearer {summary.unified_api_key}' "
        f"-H 'x-apideck-app-id: {summary.unified_app_id}' "
        f"-H 'x-apideck-consumer-id: {summary.unified_consumer_id}' {base}/pos/orders",
        highlight=False,
    )
