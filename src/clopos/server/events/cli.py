"""CLI commands of this package, registered on the main `clopos` app by `register`.

* ``clopos webhook add URL --brand B [--type order.created …]`` — prints the id and the
  signing secret (shown once);
* ``clopos webhook list --brand B`` and ``clopos webhook remove ID --brand B``;
* ``clopos worker`` — deliver webhooks in this process until SIGTERM/Ctrl-C (for servers
  started with ``CLOPOS_WEBHOOK_WORKER=false``, or to add delivery capacity).
* ``clopos events prune [--days N]`` — delete events older than the retention window
  (``CLOPOS_EVENT_RETENTION_DAYS``) with their finished deliveries; prints the counts.

Helpers of ``clopos.cli`` are imported inside the commands: that module imports this one.
"""

from __future__ import annotations

from typing import Annotated

import typer

webhook_app = typer.Typer(help="Webhook endpoints (signed event deliveries).", no_args_is_help=True)
events_app = typer.Typer(help="The event outbox (feed and webhooks).", no_args_is_help=True)
BrandOption = Annotated[str, typer.Option("--brand", help="Brand slug.")]
DEFAULT_BRAND = "openapitest"


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main `clopos` app."""
    app.add_typer(webhook_app, name="webhook")
    app.add_typer(events_app, name="events")
    app.command("worker")(worker)


@webhook_app.command("add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="http(s) URL that receives a POST per event.")],
    brand: BrandOption = DEFAULT_BRAND,
    event_type: Annotated[
        list[str],
        typer.Option(
            "--type",
            help="Event type, `<resource>.*` or `*` (repeatable; default: every event).",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    description: Annotated[str, typer.Option(help="A note for people.")] = "",
) -> None:
    """Subscribe a URL to a brand's events; prints the signing secret once."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from clopos.cli import _settings, _upgrade, _with_session, fail, out
    from clopos.server.events import subscriptions as store
    from clopos.server.events.secrets import load_secret_box
    from clopos.server.events.types import UnknownEventType, check_selectors
    from clopos.server.store.repositories import tenancy

    try:
        checked_url = store.check_url(url)
    except ValueError as exc:
        raise fail(f"URL {exc}") from None
    try:
        selectors = check_selectors(event_type or ["*"])
    except UnknownEventType as exc:
        raise fail(f"--type: {exc}") from None
    try:
        note = store.check_description(description)
    except ValueError as exc:
        raise fail(f"--description {exc}") from None
    settings = _settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> tuple[int, str]:
        found = await tenancy.brand_by_slug(session, brand)
        if found is None:
            raise fail(f"no brand {brand!r}; see `clopos brand list`")
        box = await load_secret_box(session, settings)
        try:
            endpoint, secret = await store.create_endpoint(
                session,
                box,
                brand_id=found.id,
                url=checked_url,
                types=selectors,
                description=note,
                created_by="cli",
            )
        except store.TooManyEndpoints as exc:
            raise fail(str(exc)) from None
        await session.commit()
        return endpoint.id, secret

    endpoint_id, secret = _with_session(settings, work)
    out.print(f"webhook        {endpoint_id}", highlight=False)
    out.print(f"url            {checked_url}", highlight=False)
    out.print(f"types          {', '.join(selectors)}", highlight=False)
    out.print(f"secret         {secret}", highlight=False)
    out.print("store the secret now: it is not shown again", style="yellow")


@webhook_app.command("list")
def webhook_list(brand: BrandOption = DEFAULT_BRAND) -> None:
    """List a brand's webhook endpoints with their queue."""
    from rich.table import Table
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import AsyncSession

    from clopos.cli import _cell, _print_table, _settings, _upgrade, _with_session, fail
    from clopos.server.events import subscriptions as store
    from clopos.server.events.tables import WebhookDelivery, WebhookEndpoint
    from clopos.server.store.repositories import tenancy

    settings = _settings()
    _upgrade(settings)

    async def work(
        session: AsyncSession,
    ) -> list[tuple[WebhookEndpoint, dict[str, int]]]:
        found = await tenancy.brand_by_slug(session, brand)
        if found is None:
            raise fail(f"no brand {brand!r}; see `clopos brand list`")
        endpoints = await store.endpoints_of(session, found.id)
        counts: dict[int, dict[str, int]] = {e.id: {} for e in endpoints}
        rows = await session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
            .where(WebhookDelivery.brand_id == found.id)
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
        )
        for endpoint_id, status, count in rows:
            counts.setdefault(endpoint_id, {})[status] = count
        return [(e, counts[e.id]) for e in endpoints]

    table = Table("id", "url", "types", "enabled", "pending", "delivered", "failed")
    for endpoint, counts in _with_session(settings, work):
        table.add_row(
            str(endpoint.id),
            _cell(endpoint.url),
            _cell(", ".join(endpoint.types or []) or "*"),
            "yes" if endpoint.enabled else "no",
            str(counts.get("pending", 0)),
            str(counts.get("delivered", 0)),
            str(counts.get("failed", 0)),
        )
    _print_table(table)


@webhook_app.command("remove")
def webhook_remove(
    webhook_id: Annotated[str, typer.Argument(help="Webhook id (see `clopos webhook list`).")],
    brand: BrandOption = DEFAULT_BRAND,
) -> None:
    """Delete a webhook endpoint with its queue and delivery log."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from clopos.cli import _id_argument, _settings, _upgrade, _with_session, fail, out
    from clopos.server.events import subscriptions as store
    from clopos.server.store.repositories import tenancy

    number = _id_argument(webhook_id, "WEBHOOK_ID")
    settings = _settings()
    _upgrade(settings)

    async def work(session: AsyncSession) -> None:
        found = await tenancy.brand_by_slug(session, brand)
        if found is None:
            raise fail(f"no brand {brand!r}; see `clopos brand list`")
        endpoint = await store.endpoint_of_brand(session, found.id, number)
        if endpoint is None:
            raise fail(f"no webhook {number} in brand {brand!r}; see `clopos webhook list`")
        await store.delete_endpoint(session, endpoint)
        await session.commit()

    _with_session(settings, work)
    out.print(f"webhook {number} removed", highlight=False)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Deliver what is due now, then exit.")
    ] = False,
) -> None:
    """Deliver webhooks until stopped (SIGTERM or Ctrl-C); several may run at once."""
    import asyncio
    import signal

    from clopos.cli import _first_line, _safe_url, _settings, _upgrade, fail, out
    from clopos.server.events.delivery import WebhookWorker
    from clopos.server.store.db import create_engine, session_factory

    settings = _settings()
    _upgrade(settings)

    async def run() -> int:
        engine = create_engine(settings.database_url)
        delivery = WebhookWorker(session_factory(engine), settings)
        try:
            if once:
                total = 0
                while handled := await delivery.run_once():
                    total += handled
                return total
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            out.print(
                f"webhook worker {delivery.name} delivering from "
                f"{_safe_url(settings.database_url)}",
                highlight=False,
            )
            await delivery.run(stop)
            return 0
        finally:
            await delivery.aclose()
            await engine.dispose()

    try:
        handled = asyncio.run(run())
    except Exception as exc:
        where = _safe_url(settings.database_url)
        raise fail(f"worker stopped: database error on {where}: {_first_line(exc)}") from None
    if once:
        out.print(f"{handled} delivery attempt(s) made", highlight=False)


@events_app.command("prune")
def events_prune(
    days: Annotated[
        str | None,
        typer.Option(
            "--days",
            help="Keep this many days of events (default: CLOPOS_EVENT_RETENTION_DAYS; "
            "0 keeps everything).",
        ),
    ] = None,
) -> None:
    """Delete old events with their delivered or failed deliveries; prints the counts.

    Events still owed to a receiver (a pending delivery, or not yet translated for a
    unified subscription) are kept whatever their age."""
    import asyncio

    from clopos.cli import _first_line, _safe_url, _settings, _upgrade, fail, out
    from clopos.server.events.retention import Pruned, prune_events
    from clopos.server.store.db import create_engine, session_factory

    keep_days: int | None = None
    if days is not None:
        text = days.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise fail(f"--days must be a whole number of days, 0 or more; got {days!r}")
        keep_days = int(text)
    settings = _settings()
    if keep_days is None:
        keep_days = settings.event_retention_days
    _upgrade(settings)

    async def run() -> Pruned:
        engine = create_engine(settings.database_url)
        try:
            return await prune_events(session_factory(engine), days=keep_days)
        finally:
            await engine.dispose()

    try:
        pruned = asyncio.run(run())
    except Exception as exc:
        where = _safe_url(settings.database_url)
        raise fail(f"prune stopped: database error on {where}: {_first_line(exc)}") from None
    if keep_days == 0:
        out.print("retention is 0 days: every event is kept", highlight=False)
    for line in pruned.lines():
        out.print(line, highlight=False)
