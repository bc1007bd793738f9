"""CLI commands of this package, registered on the main `clopos` app by `register`.

* ``clopos export receipts|orders --out FILE [--from D] [--to D] [--format F]``
* ``clopos orders watch [--once]``
* ``clopos report daily [--date D] [--png FILE] [--json]``

All three talk to any Clopos API through the SDK (see :mod:`clopos.reporting.upstream`).
Refusals are one line on stderr with exit code 2, as everywhere in ``clopos``; Ctrl-C ends
an export with exit code 130 and a hint to resume, and ends a watch quietly.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clopos.reporting.upstream import (
    ApiVersionOption,
    BaseUrlOption,
    BrandOption,
    ClientIdOption,
    ClientSecretOption,
    IntegratorOption,
    ReportingError,
    Upstream,
    VenueOption,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from clopos.reporting.daily import DailyReport
    from clopos.reporting.export import ExportRequest, ExportResult

export_app = typer.Typer(
    help="Export receipts or orders to CSV, JSON Lines or Parquet (resumable).",
    no_args_is_help=True,
)
orders_app = typer.Typer(help="Orders, live from any Clopos API.", no_args_is_help=True)
report_app = typer.Typer(help="Sales reports.", no_args_is_help=True)

ORDER_STATUSES = ("PENDING", "RECEIVED", "IGNORE", "DELIVERED")
MAX_CONCURRENCY = 16


def register(app: typer.Typer) -> None:
    """Add this package's commands to the main `clopos` app."""
    app.add_typer(export_app, name="export")
    app.add_typer(orders_app, name="orders")
    app.add_typer(report_app, name="report")


# --- shared -------------------------------------------------------------------------------


def _upstream(
    base_url: str | None,
    client_id: str | None,
    client_secret: str | None,
    brand: str | None,
    integrator_id: str | None,
    venue_id: str | None,
    api_version: str | None,
) -> Upstream:
    return Upstream(
        base_url=base_url,
        client_id=client_id,
        client_secret=client_secret,
        brand=brand,
        integrator_id=integrator_id,
        venue_id=venue_id,
        api_version=api_version,
    )


def _status(raw: str | None) -> str | None:
    if raw is None:
        return None
    value = raw.strip().upper()
    if value not in ORDER_STATUSES:
        raise ReportingError(f"--status must be one of {', '.join(ORDER_STATUSES)}, got {raw!r}")
    return value


def _refusal(exc: Exception, upstream: Upstream) -> typer.Exit:
    """The one-line error (exit 2) for anything a command cannot get past."""
    from clopos.cli import fail
    from clopos.client import CloposError
    from clopos.reporting.upstream import describe

    if isinstance(exc, CloposError):
        try:
            base_url = upstream.settings().base_url
        except ReportingError:
            base_url = upstream.base_url or "the API"
        return fail(describe(exc, base_url))
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{exc.strerror or exc}")
    return fail(str(exc))


# --- export -------------------------------------------------------------------------------


class _RichProgress:
    """The export's progress bar on stderr (only when stderr is a terminal)."""

    def __init__(self, console: Console, noun: str) -> None:
        self.console = console
        self.noun = noun
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.started = time.monotonic()
        self.first = 0

    def begin(self, total: int | None, done: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.console.is_terminal,
        )
        self.progress.start()
        self.started = time.monotonic()
        self.first = done
        self.task = self.progress.add_task(self.noun, total=total, completed=done, rate="")

    def advance(self, rows: int) -> None:
        if self.progress is None or self.task is None:
            return
        self.progress.advance(self.task, rows)
        done = self.progress.tasks[0].completed - self.first
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.progress.update(self.task, rate=f"{done / elapsed:,.0f} rows/s")

    def phase(self, text: str) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=text)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


async def _export_with(upstream: Upstream, request: ExportRequest, progress: Any) -> ExportResult:
    from clopos.reporting.export import run_export

    client = upstream.async_client()
    try:
        return await run_export(client, request, progress)
    finally:
        await client.aclose()


def _export(
    dataset_name: str,
    *,
    out: Path,
    date_from: str | None,
    date_to: str | None,
    fmt: str | None,
    status: str | None,
    page_size: int | None,
    concurrency: int,
    restart: bool,
    upstream: Upstream,
) -> None:
    from clopos.cli import err, fail
    from clopos.cli import out as stdout
    from clopos.reporting.export import (
        DATASETS,
        ExportPaths,
        ExportRequest,
        check_range,
        choose_format,
        parse_day,
        read_state,
    )

    dataset = DATASETS[dataset_name]
    try:
        start, end = parse_day(date_from, "--from"), parse_day(date_to, "--to")
        check_range(start, end)
        size = dataset.max_page_size if page_size is None else page_size
        if not 1 <= size <= dataset.max_page_size:
            raise ReportingError(
                f"--page-size must be 1 to {dataset.max_page_size} for {dataset.name}, got {size}"
            )
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ReportingError(f"--concurrency must be 1 to {MAX_CONCURRENCY}, got {concurrency}")
        request = ExportRequest(
            dataset=dataset,
            fmt=choose_format(fmt, out),
            out=out,
            date_from=start,
            date_to=end,
            status=_status(status),
            page_size=size,
            concurrency=concurrency,
            restart=restart,
        )
        if not out.parent.is_dir():
            raise ReportingError(f"--out: no directory {out.parent}")
        if out.is_dir():
            raise ReportingError(f"--out: {out} is a directory")
        upstream.settings()  # a bad --api-version or --venue-id, before anything is sent
    except ReportingError as exc:
        raise fail(str(exc)) from None

    progress = _RichProgress(err, dataset.name)
    try:
        result = asyncio.run(_export_with(upstream, request, progress))
    except KeyboardInterrupt:
        progress.stop()
        state = read_state(ExportPaths.for_output(out).state)
        done = f" after {state.rows} {dataset.name}" if state is not None else ""
        err.print(f"interrupted{done}; run the same command again to resume", highlight=False)
        raise typer.Exit(130) from None
    except Exception as exc:
        progress.stop()
        raise _refusal(exc, upstream) from None
    finally:
        progress.stop()
    message = f"exported {result.rows} {dataset.name} to {result.path} ({request.fmt})"
    if result.resumed_rows:
        message += f", resuming after {result.resumed_rows}"
    if result.note:
        err.print(f"note: {result.note}", highlight=False)
    if result.expected is not None and result.expected != result.rows:
        err.print(
            f"note: the server counted {result.expected} {dataset.name} when the export "
            f"began and {result.rows} were written; the data changed meanwhile",
            highlight=False,
        )
    stdout.print(message, highlight=False, markup=False)


OutOption = Annotated[
    Path,
    typer.Option("--out", "-o", help="File to write; FILE.partial and FILE.state.json meanwhile."),
]
FromOption = Annotated[
    str | None,
    typer.Option("--from", help="First day, YYYY-MM-DD (by created_at, UTC; inclusive)."),
]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")]
FormatOption = Annotated[
    str | None,
    typer.Option("--format", "-f", help="csv, jsonl or parquet (default: from --out's suffix)."),
]
PageSizeOption = Annotated[
    int | None,
    typer.Option(help="Rows per request (default: the endpoint's maximum).", show_default=False),
]
ConcurrencyOption = Annotated[int, typer.Option(help="Requests in flight at once (1–16).")]
RestartOption = Annotated[
    bool, typer.Option("--restart", help="Discard an unfinished export of FILE; start over.")
]


@export_app.command("receipts")
def export_receipts(
    out: OutOption,
    date_from: FromOption = None,
    date_to: ToOption = None,
    fmt: FormatOption = None,
    page_size: PageSizeOption = None,
    concurrency: ConcurrencyOption = 4,
    restart: RestartOption = False,
    base_url: BaseUrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: ClientSecretOption = None,
    brand: BrandOption = None,
    integrator_id: IntegratorOption = None,
    venue_id: VenueOption = None,
    api_version: ApiVersionOption = None,
) -> None:
    """Export the venue's receipts, one row (or JSON line) per receipt."""
    _export(
        "receipts",
        out=out,
        date_from=date_from,
        date_to=date_to,
        fmt=fmt,
        status=None,
        page_size=page_size,
        concurrency=concurrency,
        restart=restart,
        upstream=_upstream(
            base_url, client_id, client_secret, brand, integrator_id, venue_id, api_version
        ),
    )


@export_app.command("orders")
def export_orders(
    out: OutOption,
    date_from: FromOption = None,
    date_to: ToOption = None,
    fmt: FormatOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only PENDING, RECEIVED, IGNORE or DELIVERED orders.")
    ] = None,
    page_size: PageSizeOption = None,
    concurrency: ConcurrencyOption = 4,
    restart: RestartOption = False,
    base_url: BaseUrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: ClientSecretOption = None,
    brand: BrandOption = None,
    integrator_id: IntegratorOption = None,
    venue_id: VenueOption = None,
    api_version: ApiVersionOption = None,
) -> None:
    """Export orders, one row (or JSON line) per order."""
    _export(
        "orders",
        out=out,
        date_from=date_from,
        date_to=date_to,
        fmt=fmt,
        status=status,
        page_size=page_size,
        concurrency=concurrency,
        restart=restart,
        upstream=_upstream(
            base_url, client_id, client_secret, brand, integrator_id, venue_id, api_version
        ),
    )


# --- orders watch -------------------------------------------------------------------------


def _print_wide(console: Console, renderable: Any) -> None:
    from rich.console import Console as RichConsole

    if console.is_terminal:
        console.print(renderable)
    else:
        # Piped output: room enough that no cell wraps (one line per order).
        RichConsole(file=console.file, width=1000, soft_wrap=True).print(renderable)


@orders_app.command("watch")
def orders_watch(
    status: Annotated[
        str | None, typer.Option(help="Only orders in this status (PENDING, RECEIVED, …).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Orders on screen (newest first, 1–100).")] = 20,
    interval: Annotated[
        float, typer.Option(help="Seconds between polls when the server has no event feed.")
    ] = 5.0,
    feed: Annotated[
        bool, typer.Option("--feed/--no-feed", help="Use the event feed where the server has it.")
    ] = True,
    once: Annotated[bool, typer.Option("--once", help="Print the table once and exit.")] = False,
    base_url: BaseUrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: ClientSecretOption = None,
    brand: BrandOption = None,
    integrator_id: IntegratorOption = None,
    venue_id: VenueOption = None,
    api_version: ApiVersionOption = None,
) -> None:
    """A live table of orders and their status (Ctrl-C to stop).

    On a terminal the table redraws in place; piped, one line is printed per new order or
    status change.
    """
    from clopos.cli import fail
    from clopos.cli import out as stdout
    from clopos.reporting.watch import Change, OrderBoard, follow, orders_table, snapshot

    upstream = _upstream(
        base_url, client_id, client_secret, brand, integrator_id, venue_id, api_version
    )
    try:
        wanted = _status(status)
        if not 1 <= limit <= 100:
            raise ReportingError(f"--limit must be 1 to 100, got {limit}")
        if not 0.2 <= interval <= 3600:
            raise ReportingError(f"--interval must be 0.2 to 3600 seconds, got {interval}")
        client = upstream.sync_client()
    except ReportingError as exc:
        raise fail(str(exc)) from None
    board = OrderBoard(limit=limit, status=wanted)
    try:
        if once:
            snapshot(client, board)
            rows = board.visible()
            _print_wide(stdout, orders_table(rows))
            stdout.print(f"{len(rows)} order(s)", highlight=False)
            return
        if stdout.is_terminal:
            from rich.live import Live

            with Live(orders_table([]), console=stdout, refresh_per_second=4) as live:

                def redraw(changes: list[Change], source: str) -> None:
                    stamp = datetime.now(UTC).strftime("%H:%M:%S")
                    caption = f"{source} · {stamp} UTC · Ctrl-C to stop"
                    live.update(orders_table(board.visible(), caption=caption))

                follow(client, board, interval=interval, use_feed=feed, on_change=redraw)
        else:
            announced: list[str] = []

            def log(changes: list[Change], source: str) -> None:
                if not announced:
                    announced.append(source)
                    stdout.print(f"watching orders ({source}); Ctrl-C to stop", highlight=False)
                stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
                for change in sorted(changes, key=lambda c: c.order_id):
                    stdout.print(f"{stamp} {change.describe()}", highlight=False, markup=False)
                stdout.file.flush()

            follow(client, board, interval=interval, use_feed=feed, on_change=log)
    except KeyboardInterrupt:
        stdout.print("stopped", highlight=False)
    except Exception as exc:
        raise _refusal(exc, upstream) from None
    finally:
        client.close()


# --- report daily -------------------------------------------------------------------------


async def _daily_with(upstream: Upstream, day: date) -> DailyReport:
    from clopos.reporting.daily import fetch_day

    client = upstream.async_client()
    try:
        return await fetch_day(client, day)
    finally:
        await client.aclose()


@report_app.command("daily")
def report_daily(
    day: Annotated[
        str | None, typer.Option("--date", help="The day, YYYY-MM-DD (UTC); default today.")
    ] = None,
    png: Annotated[
        Path | None, typer.Option(help="Also draw the totals as a bar chart into this PNG.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON instead of tables.")
    ] = False,
    base_url: BaseUrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: ClientSecretOption = None,
    brand: BrandOption = None,
    integrator_id: IntegratorOption = None,
    venue_id: VenueOption = None,
    api_version: ApiVersionOption = None,
) -> None:
    """Totals of one day's closed receipts by sale type and by payment method."""
    from clopos.cli import fail
    from clopos.cli import out as stdout
    from clopos.reporting.daily import report_tables, write_chart
    from clopos.reporting.export import parse_day

    upstream = _upstream(
        base_url, client_id, client_secret, brand, integrator_id, venue_id, api_version
    )
    try:
        when = parse_day(day, "--date") or datetime.now(UTC).date()
        if png is not None and not png.parent.is_dir():
            raise ReportingError(f"--png: no directory {png.parent}")
        upstream.settings()  # a bad --api-version or --venue-id, before anything is sent
    except ReportingError as exc:
        raise fail(str(exc)) from None
    try:
        report = asyncio.run(_daily_with(upstream, when))
        if png is not None:
            write_chart(report, png)
    except Exception as exc:
        raise _refusal(exc, upstream) from None
    if as_json:
        stdout.file.write(report.as_json().decode() + "\n")
        return
    sales, payments = report_tables(report)
    _print_wide(stdout, sales)
    _print_wide(stdout, payments)
    open_note = f"; {report.open_receipts} still open" if report.open_receipts else ""
    stdout.print(f"{report.receipts} closed receipts on {when.isoformat()}{open_note}")
    if png is not None:
        stdout.print(f"chart written to {png}", highlight=False, markup=False)
