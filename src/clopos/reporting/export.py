"""Streaming, resumable export of receipts and orders to CSV, JSON Lines or Parquet.

How it works (docs/reporting.md has the user's view):

* A one-item probe request learns ``total`` (for the progress bar) and ``sorts``. The date
  range (``--from``/``--to``, else the first and last ``created_at``) is then read one day
  at a time, because the API pages by offset and counts its matches on every page: one long
  range would cost the server time growing with the square of its size.
* Within a day, pages are read in a stable order — ``id`` ascending when the server can
  sort by it, else ``created_at`` ascending — at most ``concurrency`` at a time, and handed
  over strictly in page order (:func:`pages_in_order`). Only those few pages are ever in
  memory.
* Each page is appended to ``FILE.partial`` as soon as it is its turn; then
  ``FILE.state.json`` records the day, the page number, the row count and the byte length
  of the partial file (written to a temporary file and renamed, so it is never half-written).
* Re-running the same command finds the state, cuts the partial file back to the recorded
  length (dropping a page that was being written when the process died) and continues with
  the next page. The options that shape the data are fingerprinted into the state; other
  options are refused until ``--restart``.
* At the end the partial file is renamed over ``FILE`` (Parquet: converted into a temporary
  file first, in bounded batches), and the state file is removed.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from clopos._json import dumps
from clopos.client import AsyncCloposClient, ClientSettings
from clopos.reporting.paging import pages_in_order
from clopos.reporting.records import (
    ORDER_COLUMNS,
    RECEIPT_COLUMNS,
    Column,
    RecordError,
    as_plain,
    cell_text,
    envelope_items,
    envelope_sorts,
    envelope_total,
    flatten,
)
from clopos.reporting.upstream import ReportingError

FORMATS = ("csv", "jsonl", "parquet")
SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
#: Bumped whenever the columns or the staging layout change: an old partial file is then
#: not continued with rows of a different shape.
LAYOUT_VERSION = 2
#: Rows per Parquet row group (and per conversion batch): bounds memory, not file size.
PARQUET_BATCH_ROWS = 4096
#: Parquet money type: 38 digits, 9 after the point. An amount with more decimals is refused.
MONEY_PRECISION, MONEY_SCALE = 38, 9
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

Envelope = Mapping[str, Any]
Item = dict[str, Any]


@dataclass(frozen=True)
class Dataset:
    """What can be exported: the SDK list method, its columns, its page-size limit."""

    name: str
    method: str
    columns: tuple[Column, ...]
    max_page_size: int


DATASETS: dict[str, Dataset] = {
    # spec §12.2: receipts take limit 1–200; §11.2 gives orders no maximum, the old OAS 100.
    "receipts": Dataset("receipts", "get_receipts", RECEIPT_COLUMNS, 200),
    "orders": Dataset("orders", "get_orders", ORDER_COLUMNS, 100),
}


# --- options ------------------------------------------------------------------------------


def parse_day(text: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option value (the API's ``date[0]``/``date[1]`` format)."""
    if text is None:
        return None
    value = text.strip()
    if not _DAY.fullmatch(value):
        raise ReportingError(f"{option} must be a date as YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReportingError(f"{option} is not a calendar date: {text!r}") from None


def check_range(start: date | None, end: date | None) -> None:
    """``--from`` must not come after ``--to`` (both days are inclusive)."""
    if start is not None and end is not None and start > end:
        raise ReportingError(f"--from {start} is after --to {end}")


def choose_format(fmt: str | None, out: Path) -> str:
    """``--format``, else the one the file name ends with."""
    if fmt is not None:
        name = fmt.strip().lower()
        if name not in FORMATS:
            raise ReportingError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return name
    found = SUFFIXES.get(out.suffix.lower())
    if found is None:
        raise ReportingError(
            f"cannot tell the format from {out.name!r}; pass --format {'|'.join(FORMATS)}"
        )
    return found


def choose_sort(sorts: Iterable[str]) -> str:
    """``id`` gives pages that do not move when rows are added; ``created_at`` is the
    documented default sort, so every deployment has it."""
    return "id" if "id" in set(sorts) else "created_at"


@dataclass(frozen=True)
class ExportRequest:
    """One ``clopos export`` invocation, validated."""

    dataset: Dataset
    fmt: str
    out: Path
    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    page_size: int = 200
    concurrency: int = 4
    restart: bool = False

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for every page request besides paging and sorting."""
        params: dict[str, Any] = {}
        if self.date_from is not None:
            params["date_from"] = self.date_from
        if self.date_to is not None:
            params["date_to"] = self.date_to
        if self.status is not None:
            params["status"] = self.status
        return params


def export_params(request: ExportRequest, settings: ClientSettings, sort: str) -> dict[str, Any]:
    """What decides which rows land in the file and how: kept in the state file (no
    credentials) so a resumed run can prove it continues the same export."""
    return {
        "layout": LAYOUT_VERSION,
        "dataset": request.dataset.name,
        "format": request.fmt,
        "base_url": settings.base_url.rstrip("/"),
        "api_version": settings.api_version,
        "brand": settings.brand,
        "venue_id": settings.venue_id,
        "date_from": None if request.date_from is None else request.date_from.isoformat(),
        "date_to": None if request.date_to is None else request.date_to.isoformat(),
        "status": request.status,
        "page_size": request.page_size,
        "sort": sort,
    }


def fingerprint(params: Mapping[str, Any]) -> str:
    """A short hash of ``params`` (canonical JSON)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


# --- the state file -----------------------------------------------------------------------


@dataclass(frozen=True)
class ExportPaths:
    """The output file and its two companions, side by side."""

    final: Path
    partial: Path
    state: Path
    converting: Path

    @classmethod
    def for_output(cls, out: Path) -> ExportPaths:
        """``FILE``, ``FILE.partial``, ``FILE.state.json`` and ``FILE.partial.tmp``."""
        return cls(
            final=out,
            partial=out.with_name(out.name + ".partial"),
            state=out.with_name(out.name + ".state.json"),
            converting=out.with_name(out.name + ".partial.tmp"),
        )


@dataclass(frozen=True)
class ExportState:
    """Progress as of the last page written in full."""

    fingerprint: str
    params: dict[str, Any]
    pages_done: int = 0
    rows: int = 0
    bytes: int = 0
    last_id: int | None = None
    #: The day being read (``YYYY-MM-DD``); days before it are in the file.
    window: str | None = None

    def window_day(self) -> date | None:
        """``window`` as a date (``None`` before the first day)."""
        return date.fromisoformat(self.window) if self.window else None

    def enter_window(self, day: str) -> ExportState:
        """The state on starting day ``day``: its pages are counted from 1."""
        return replace(self, window=day, pages_done=0, last_id=None)

    def after_page(self, page: int, rows: int, size: int, last_id: int | None) -> ExportState:
        """The state once ``page`` (with ``rows`` rows) is in the file, now ``size`` bytes."""
        return replace(
            self,
            pages_done=page,
            rows=self.rows + rows,
            bytes=size,
            last_id=last_id if last_id is not None else self.last_id,
        )


def read_state(path: Path) -> ExportState | None:
    """The saved state, or ``None`` when there is none or it is unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = ExportState(
            fingerprint=str(raw["fingerprint"]),
            params=dict(raw["params"]),
            pages_done=int(raw["pages_done"]),
            rows=int(raw["rows"]),
            bytes=int(raw["bytes"]),
            last_id=None if raw.get("last_id") is None else int(raw["last_id"]),
            window=None if raw.get("window") is None else str(raw["window"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state


def write_state(path: Path, state: ExportState) -> None:
    """Replace the state file in one step (a crash leaves the old one or the new one)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")
    os.replace(temporary, path)


@dataclass(frozen=True)
class Start:
    """Where an export begins: ``resume`` to continue, else from scratch (``note`` says why
    an existing partial file was not continued)."""

    resume: ExportState | None
    note: str | None = None


def plan_start(
    state: ExportState | None,
    partial_size: int | None,
    params: Mapping[str, Any],
    *,
    restart: bool,
    state_path: Path,
) -> Start:
    """Continue the saved export, start over, or refuse when the options changed."""
    if restart or state is None:
        return Start(None)
    if partial_size is None:
        return Start(None, "the partial file is gone; starting over")
    if state.fingerprint != fingerprint(params):
        changed = [
            f"{key} {state.params.get(key)!s} -> {params.get(key)!s}"
            for key in sorted(set(params) | set(state.params))
            if state.params.get(key) != params.get(key)
        ]
        raise ReportingError(
            f"{state_path} is an unfinished export with other options "
            f"({'; '.join(changed) or 'unknown'}); run it again with the same options "
            "to resume, or add --restart to start over"
        )
    if partial_size < state.bytes:
        # The state was saved but the data never reached the disk (power loss): the rows
        # it counts are not all there, so nothing in the file can be trusted.
        return Start(None, "the partial file is shorter than its saved state; starting over")
    return Start(state)


# --- sinks --------------------------------------------------------------------------------


class Sink(Protocol):
    """Where pages go, in order; ``size`` is the partial file's length after a page."""

    def write(self, items: list[Item]) -> int: ...

    def finish(self, paths: ExportPaths, on_phase: Callable[[str], None]) -> None: ...

    def close(self) -> None: ...


def _open_partial(path: Path, resume_at: int | None) -> IO[bytes]:
    """The partial file, cut back to ``resume_at`` bytes, or created empty."""
    if resume_at is None:
        return path.open("wb")
    handle = path.open("r+b")
    handle.truncate(resume_at)
    handle.seek(resume_at)
    return handle


def _publish(source: Path, target: Path) -> None:
    """Flush ``source`` to disk and rename it over ``target`` in one step."""
    with source.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(source, target)


class CsvSink:
    """One flat row per item, UTF-8, a header line first, ``\\n`` line ends."""

    def __init__(self, path: Path, columns: tuple[Column, ...], resume_at: int | None) -> None:
        self.columns = columns
        self.handle = _open_partial(path, resume_at)
        if resume_at is None:
            self.handle.write(self._lines([[c.name for c in columns]]))

    @staticmethod
    def _lines(rows: Iterable[list[str]]) -> bytes:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerows(rows)
        return text.getvalue().encode("utf-8")

    def write(self, items: list[Item]) -> int:
        rows = ([cell_text(cell) for cell in flatten(item, self.columns)] for item in items)
        self.handle.write(self._lines(rows))
        self.handle.flush()
        return self.handle.tell()

    def finish(self, paths: ExportPaths, on_phase: Callable[[str], None]) -> None:
        self.handle.close()
        _publish(paths.partial, paths.final)

    def close(self) -> None:
        self.handle.close()


class JsonlSink:
    """Each item as the API sent it, one JSON object per line, numbers exact."""

    def __init__(self, path: Path, resume_at: int | None) -> None:
        self.handle = _open_partial(path, resume_at)

    def write(self, items: list[Item]) -> int:
        self.handle.write(b"".join(dumps(item) + b"\n" for item in items))
        self.handle.flush()
        return self.handle.tell()

    def finish(self, paths: ExportPaths, on_phase: Callable[[str], None]) -> None:
        self.handle.close()
        _publish(paths.partial, paths.final)

    def close(self) -> None:
        self.handle.close()


def _import_pyarrow() -> Any:
    try:
        import pyarrow  # type: ignore[import-untyped]
        import pyarrow.parquet  # type: ignore[import-untyped]
    except ImportError:
        raise ReportingError(
            "Parquet needs pyarrow: pip install 'clopos[reports]' (or use --format csv)"
        ) from None
    return pyarrow


def parquet_schema(columns: tuple[Column, ...]) -> Any:
    """The Arrow schema of the flat rows: money as ``decimal128(38, 9)``, each column's
    description in its field metadata."""
    pa = _import_pyarrow()
    types = {
        "int": pa.int64(),
        "str": pa.string(),
        "json": pa.string(),
        "money": pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
    }
    return pa.schema(
        [pa.field(c.name, types[c.kind], metadata={"doc": c.doc}) for c in columns],
        metadata={"generator": "clopos export"},
    )


class ParquetSink(JsonlSink):
    """Parquet cannot be appended to, so pages are staged as JSON Lines in the partial file
    (resumable like ``jsonl``) and converted at the end, ``PARQUET_BATCH_ROWS`` at a time."""

    def __init__(self, path: Path, columns: tuple[Column, ...], resume_at: int | None) -> None:
        _import_pyarrow()  # fail before any request when pyarrow is missing
        super().__init__(path, resume_at)
        self.columns = columns

    def finish(self, paths: ExportPaths, on_phase: Callable[[str], None]) -> None:
        self.handle.close()
        on_phase("writing parquet")
        write_parquet(paths.partial, paths.converting, self.columns)
        _publish(paths.converting, paths.final)
        paths.partial.unlink()


def _staged_items(path: Path) -> Iterable[Item]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line, parse_float=Decimal)


def write_parquet(source: Path, target: Path, columns: tuple[Column, ...]) -> None:
    """Convert staged JSON Lines into one Parquet file, in bounded batches."""
    pa = _import_pyarrow()
    schema = parquet_schema(columns)
    writer = pa.parquet.ParquetWriter(str(target), schema, compression="zstd")
    try:
        batch: list[list[Any]] = []
        for item in _staged_items(source):
            batch.append(flatten(item, columns))
            if len(batch) >= PARQUET_BATCH_ROWS:
                writer.write_batch(_record_batch(pa, schema, columns, batch))
                batch = []
        if batch:
            writer.write_batch(_record_batch(pa, schema, columns, batch))
    finally:
        writer.close()


def _record_batch(pa: Any, schema: Any, columns: tuple[Column, ...], rows: list[list[Any]]) -> Any:
    arrays = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        try:
            arrays.append(pa.array(values, type=schema.field(index).type))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise RecordError(f"column {column.name}: {exc}") from None
    return pa.record_batch(arrays, schema=schema)


def open_sink(fmt: str, path: Path, columns: tuple[Column, ...], resume_at: int | None) -> Sink:
    """The sink for ``fmt``, appending to ``path`` from ``resume_at`` bytes (or fresh)."""
    if fmt == "csv":
        return CsvSink(path, columns, resume_at)
    if fmt == "parquet":
        return ParquetSink(path, columns, resume_at)
    return JsonlSink(path, resume_at)


# --- the export ---------------------------------------------------------------------------


class ExportProgress(Protocol):
    """What the export reports as it goes (a rich progress bar on the command line)."""

    def begin(self, total: int | None, done: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def phase(self, text: str) -> None: ...


class NoProgress:
    """Reports nothing (library use, tests)."""

    def begin(self, total: int | None, done: int) -> None:
        """Nothing to show."""

    def advance(self, rows: int) -> None:
        """Nothing to show."""

    def phase(self, text: str) -> None:
        """Nothing to show."""


@dataclass(frozen=True)
class ExportResult:
    """What an export did."""

    rows: int
    pages: int
    expected: int | None
    resumed_rows: int
    note: str | None
    path: Path


def _item_id(item: Mapping[str, Any]) -> int | None:
    value = item.get("id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def created_day(item: Mapping[str, Any]) -> date | None:
    """The day of ``created_at`` (``2026-03-01 12:00:00`` or ``2026-03-01T12:00:00.000000Z``)."""
    value = item.get("created_at")
    if not isinstance(value, str) or not _DAY.match(value[:10]):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def day_windows(first: date, last: date, resume_from: date | None) -> list[date]:
    """The days to read, one request window each, from ``resume_from`` when resuming."""
    begin = max(first, resume_from) if resume_from is not None else first
    return [begin + timedelta(days=n) for n in range((last - begin).days + 1)]


async def _bounds(
    method: Callable[..., Awaitable[Any]], request: ExportRequest, filters: Mapping[str, Any]
) -> tuple[date, date] | None:
    """The days to cover: ``--from``/``--to``, else the first and last ``created_at`` the
    API reports, widened by a day each way in case the server counts days in another time
    zone than the one it writes timestamps in. ``None`` when they cannot be told."""
    first, last = request.date_from, request.date_to
    for direction in (1, -1):
        if (first if direction == 1 else last) is not None:
            continue
        envelope = as_plain(
            await method(page=1, limit=1, sort_by="created_at", sort_order=direction, **filters)
        )
        items = envelope_items(envelope) if isinstance(envelope, Mapping) else []
        day = created_day(items[0]) if items else None
        if day is None:
            return None
        if direction == 1:
            first = day - timedelta(days=1)
        else:
            last = day + timedelta(days=1)
    assert first is not None and last is not None
    return first, last


async def run_export(
    client: AsyncCloposClient,
    request: ExportRequest,
    progress: ExportProgress | None = None,
) -> ExportResult:
    """Export ``request.dataset`` into ``request.out``, resuming a matching partial export
    (see the module docstring for how)."""
    progress = progress or NoProgress()
    dataset = request.dataset
    paths = ExportPaths.for_output(request.out)
    method: Callable[..., Awaitable[Any]] = getattr(client, dataset.method)
    filters = request.filters()

    probe = as_plain(await method(page=1, limit=1, **filters))
    if not isinstance(probe, Mapping):
        raise RecordError("the list endpoint did not answer a JSON object")
    total = envelope_total(probe)
    sort = choose_sort(envelope_sorts(probe))
    params = export_params(request, client.settings, sort)
    partial_size = paths.partial.stat().st_size if paths.partial.exists() else None
    start = plan_start(
        read_state(paths.state),
        partial_size,
        params,
        restart=request.restart,
        state_path=paths.state,
    )
    state = start.resume or ExportState(fingerprint=fingerprint(params), params=params)
    bounds = await _bounds(method, request, filters) if total != 0 else None
    windows: list[date | None]
    if bounds is None:
        windows = [None] if total != 0 else []
    else:
        windows = list(day_windows(*bounds, state.window_day()))
    if start.resume is None:
        paths.state.unlink(missing_ok=True)
    sink = open_sink(
        request.fmt,
        paths.partial,
        dataset.columns,
        state.bytes if start.resume is not None else None,
    )
    if start.resume is None:
        # A fresh partial file (with its CSV header) is the state's starting point.
        state = replace(state, bytes=paths.partial.stat().st_size)
        write_state(paths.state, state)

    progress.begin(total, state.rows)
    pages = 0
    try:
        for window in windows:
            window_filters = dict(filters)
            if window is not None:
                window_filters.update(date_from=window, date_to=window)
                if state.window != window.isoformat():
                    state = state.enter_window(window.isoformat())
                    write_state(paths.state, state)

            def fetch(page: int, where: dict[str, Any] = window_filters) -> Awaitable[Any]:
                return method(
                    page=page, limit=request.page_size, sort_by=sort, sort_order=1, **where
                )

            async with contextlib.aclosing(
                pages_in_order(
                    fetch,
                    start=state.pages_done + 1,
                    page_size=request.page_size,
                    concurrency=request.concurrency,
                    total=None if window is not None else total,
                    # A day's own total arrives with its first page.
                    first_alone=window is not None,
                )
            ) as stream:
                async for page, items in stream:
                    if sort == "id" and state.last_id is not None:
                        # Safety net: a row already written is never written twice, even
                        # if the server's order moved it onto a later page.
                        seen = state.last_id
                        items = [i for i in items if (_item_id(i) or seen + 1) > seen]
                    size = sink.write(items) if items else state.bytes
                    last_id = _item_id(items[-1]) if items else None
                    state = state.after_page(page, len(items), size, last_id)
                    write_state(paths.state, state)
                    pages += 1
                    progress.advance(len(items))
        sink.finish(paths, progress.phase)
    finally:
        sink.close()
    paths.state.unlink(missing_ok=True)
    return ExportResult(
        rows=state.rows,
        pages=pages,
        expected=total,
        resumed_rows=start.resume.rows if start.resume is not None else 0,
        note=start.note,
        path=paths.final,
    )
