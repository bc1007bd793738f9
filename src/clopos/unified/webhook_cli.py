"""``clopos unified webhook …``: consumers' unified webhook subscriptions.

    clopos unified webhook add URL --app APP --consumer C [--type pos.order.*]… \\
        [--api-url http://127.0.0.1:8000] [--description D]     # prints the secret once
    clopos unified webhook list [--app APP] [--consumer C]
    clopos unified webhook remove ID

``--api-url`` is where consumers reach this server's ``/pos`` (the events' ``entity_url``
starts with it; a connection whose base URL is this URL counts as this server). Helpers of
``clopos.cli`` and ``clopos.unified.cli`` are imported inside the commands: those modules
import this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from clopos.unified.errors import UnifiedError

DEFAULT_API_URL = "http://127.0.0.1:8000"

webhooks_app = typer.Typer(
    help="Unified webhooks: pos.order.* and pos.payment.created in Apideck's format.",
    no_args_is_help=True,
)


@webhooks_app.command("add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="http(s) URL that receives a POST per event.")],
    app_id: Annotated[str, typer.Option("--app", help="Application id of the consumer.")],
    consumer_id: Annotated[str, typer.Option("--consumer", help="Consumer id.")],
    event_type: Annotated[
        list[str],
        typer.Option(
            "--type",
            help="pos.order.created|updated|deleted, pos.payment.created, pos.order.*, "
            "pos.payment.* or * (repeatable; default: every unified event).",
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    api_url: Annotated[
        str, typer.Option("--api-url", help="Where consumers reach this server's /pos.")
    ] = DEFAULT_API_URL,
    description: Annotated[str, typer.Option(help="A note for people.")] = "",
) -> None:
    """Subscribe a consumer's URL to its unified events; prints the signing secret once."""
    from clopos.cli import _with_session, out
    from clopos.server.events.secrets import load_secret_box
    from clopos.unified import webhooks as store
    from clopos.unified.cli import _ready, _refusal
    from clopos.unified.errors import UnifiedError

    try:
        store.check_url(url)
        store.check_event_types(event_type or None)
        store.check_api_base_url(api_url)
    except UnifiedError as error:
        raise _refusal(_with_option(error)) from None
    settings = _ready()

    async def work(session: AsyncSession) -> dict[str, Any]:
        box = await load_secret_box(session, settings)
        try:
            return await store.create_webhook(
                session,
                box,
                app_id=app_id,
                consumer_id=consumer_id,
                url=url,
                event_types=event_type or None,
                description=description,
                api_base_url=api_url,
            )
        except UnifiedError as error:
            raise _refusal(_with_option(error)) from None

    data = _with_session(settings, work)
    out.print(f"webhook        {data['id']}", highlight=False)
    out.print(f"consumer       {data['consumer_id']} of app {data['app_id']}", highlight=False)
    out.print(f"url            {data['url']}", highlight=False)
    out.print(f"event types    {', '.join(data['event_types'])}", highlight=False)
    out.print(f"secret         {data['secret']}", highlight=False)
    out.print("store the secret now: it is not shown again", style="yellow")


def _with_option(error: UnifiedError) -> UnifiedError:
    """The error with its leading field name as the option a person typed."""
    options = {
        "url ": "URL ",
        "event_types ": "--type ",
        "api_base_url ": "--api-url ",
        "consumer_id ": "--consumer ",
        "description ": "--description ",
    }
    for field, option in options.items():
        if error.message.startswith(field):
            error.message = option + error.message[len(field) :]
            break
    return error


@webhooks_app.command("list")
def webhook_list(
    app_id: Annotated[str | None, typer.Option("--app", help="Only this application's.")] = None,
    consumer_id: Annotated[
        str | None, typer.Option("--consumer", help="Only this consumer's.")
    ] = None,
) -> None:
    """List subscriptions with their queue (pending / delivered / failed)."""
    from rich.table import Table

    from clopos.cli import _cell, _print_table, _with_session
    from clopos.unified import webhooks as store
    from clopos.unified.cli import _ready

    settings = _ready()

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        return await store.list_webhooks(session, app_id=app_id, consumer_id=consumer_id)

    table = Table(
        "id", "app", "consumer", "url", "event types", "enabled", "pending", "delivered",
        "failed",
    )  # fmt: skip
    for hook in _with_session(settings, work):
        counts = hook["deliveries"]
        table.add_row(
            str(hook["id"]),
            _cell(hook["app_id"]),
            _cell(hook["consumer_id"]),
            _cell(hook["url"]),
            _cell(", ".join(hook["event_types"])),
            "yes" if hook["enabled"] else "no",
            str(counts["pending"]),
            str(counts["delivered"]),
            str(counts["failed"]),
        )
    _print_table(table)


@webhooks_app.command("remove")
def webhook_remove(
    webhook_id: Annotated[str, typer.Argument(help="Subscription id (see `list`).")],
) -> None:
    """Remove a subscription with its queue and delivery log."""
    from clopos.cli import _id_argument, _with_session, out
    from clopos.unified import webhooks as store
    from clopos.unified.cli import _ready, _refusal
    from clopos.unified.errors import UnifiedError

    number = _id_argument(webhook_id, "WEBHOOK_ID")
    settings = _ready()

    async def work(session: AsyncSession) -> None:
        try:
            await store.delete_webhook(session, number)
        except UnifiedError as error:
            raise _refusal(error) from None

    _with_session(settings, work)
    out.print(f"webhook {number} removed", highlight=False)
