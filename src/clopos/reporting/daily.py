"""``clopos report daily``: one day's sales by sale type and by payment method.

The day's receipts are the ones the API returns for ``date[0] = date[1] = DAY`` (spec §12.2:
an inclusive range on ``created_at``, in UTC). Only closed receipts (``status`` 2) are sales;
open ones are counted apart. :func:`summarize_day` is the whole computation, pure and fed
one receipt at a time, so a day of any size is summed in constant memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.table import Table

from clopos._json import dumps
from clopos.client import APIStatusError, AsyncCloposClient
from clopos.reporting.paging import all_items
from clopos.reporting.records import RecordError, dig, money_text, to_int, to_money
from clopos.reporting.upstream import ReportingError

CLOSED = 2  # spec §12.1: 1 open, 2 closed
NO_SALE_TYPE = "(no sale type)"
_ZERO = Decimal(0)
RECEIPT_PAGE_SIZE = 200  # spec §12.2: receipts take limit 1–200
LOOKUP_PAGE_SIZE = 100  # sale types, payment methods: 1–100 (spec §10.10, §10.11)


@dataclass(frozen=True)
class Line:
    """One row of a breakdown: who (``id``, ``name``), how many, how much."""

    id: int | None
    name: str
    count: int
    amount: Decimal


@dataclass(frozen=True)
class DailyReport:
    """A day's closed sales, broken down two ways."""

    day: date
    receipts: int
    total: Decimal
    open_receipts: int
    by_sale_type: tuple[Line, ...]
    by_payment_method: tuple[Line, ...]
    payments_total: Decimal

    def as_json(self) -> bytes:
        """The report as JSON, amounts as exact numbers."""
        return dumps(
            {
                "date": self.day.isoformat(),
                "receipts": self.receipts,
                "open_receipts": self.open_receipts,
                "total": self.total,
                "payments_total": self.payments_total,
                "by_sale_type": [
                    {"id": x.id, "name": x.name, "receipts": x.count, "total": x.amount}
                    for x in self.by_sale_type
                ],
                "by_payment_method": [
                    {"id": x.id, "name": x.name, "payments": x.count, "amount": x.amount}
                    for x in self.by_payment_method
                ],
            }
        )


@dataclass
class _Tally:
    name: str
    count: int = 0
    amount: Decimal = field(default_factory=lambda: _ZERO)


def _label(known: Mapping[int, str], ident: int | None, *fallbacks: Any) -> str:
    if ident is not None and ident in known:
        return known[ident]
    for candidate in fallbacks:
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return f"#{ident}" if ident is not None else NO_SALE_TYPE


def _lines(tallies: Mapping[int | None, _Tally]) -> tuple[Line, ...]:
    lines = [Line(key, t.name, t.count, t.amount) for key, t in tallies.items()]
    # Biggest first; equal amounts in name order, so the output is stable.
    return tuple(sorted(lines, key=lambda line: (-line.amount, line.name)))


class DayTally:
    """Receipts of one day, added one at a time; :meth:`report` sums them up.

    Closed receipts are summed by sale type (receipt ``total``) and by payment method
    (``payment_methods[].amount``); names come from the lookup tables, else the receipt.
    An amount that is not a number raises ``RecordError`` naming the receipt: a report that
    silently skipped it would be wrong.
    """

    def __init__(
        self,
        day: date,
        *,
        sale_types: Mapping[int, str] | None = None,
        payment_methods: Mapping[int, str] | None = None,
    ) -> None:
        self.day = day
        self.sale_names = dict(sale_types or {})
        self.method_names = dict(payment_methods or {})
        self.by_sale: dict[int | None, _Tally] = {}
        self.by_method: dict[int | None, _Tally] = {}
        self.count = 0
        self.open_count = 0
        self.total = _ZERO
        self.paid = _ZERO

    def add(self, receipt: Mapping[str, Any]) -> None:
        """Count one receipt (open ones only in ``open_receipts``)."""
        try:
            status = to_int(receipt.get("status"), "status")
            if status != CLOSED:
                self.open_count += 1
                return
            amount = to_money(receipt.get("total"), "total") or _ZERO
            sale_id = to_int(receipt.get("sale_type_id"), "sale_type_id")
            payments = receipt.get("payment_methods") or []
            if not isinstance(payments, list):
                raise RecordError("payment_methods is not a list")
            tenders = []
            for index, payment in enumerate(payments):
                if not isinstance(payment, Mapping):
                    raise RecordError(f"payment_methods[{index}] is not an object")
                method_id = to_int(payment.get("id"), f"payment_methods[{index}].id")
                value = to_money(payment.get("amount"), f"payment_methods[{index}].amount")
                tenders.append((method_id, payment.get("name"), value or _ZERO))
        except RecordError as exc:
            raise RecordError(f"receipt {receipt.get('id')!r}: {exc}") from None
        self.count += 1
        self.total += amount
        sale_name = _label(self.sale_names, sale_id, dig(receipt, "meta", "sale_type", "name"))
        tally = self.by_sale.setdefault(sale_id, _Tally(sale_name))
        tally.count += 1
        tally.amount += amount
        for method_id, name, value in tenders:
            label = _label(self.method_names, method_id, name)
            method = self.by_method.setdefault(method_id, _Tally(label))
            method.count += 1
            method.amount += value
            self.paid += value

    def report(self) -> DailyReport:
        """The totals so far."""
        return DailyReport(
            day=self.day,
            receipts=self.count,
            total=self.total,
            open_receipts=self.open_count,
            by_sale_type=_lines(self.by_sale),
            by_payment_method=_lines(self.by_method),
            payments_total=self.paid,
        )


def summarize_day(
    day: date,
    receipts: Iterable[Mapping[str, Any]],
    *,
    sale_types: Mapping[int, str] | None = None,
    payment_methods: Mapping[int, str] | None = None,
) -> DailyReport:
    """The :class:`DailyReport` of ``receipts`` (see :class:`DayTally`)."""
    tally = DayTally(day, sale_types=sale_types, payment_methods=payment_methods)
    for receipt in receipts:
        tally.add(receipt)
    return tally.report()


async def fetch_day(client: AsyncCloposClient, day: date, *, concurrency: int = 4) -> DailyReport:
    """Read the day's receipts (and the names of sale types and payment methods) from the
    API and sum them, one page in memory at a time."""
    sale_types = await _names(client.get_sale_types)
    methods = await _names(client.get_payment_methods)
    tally = DayTally(day, sale_types=sale_types, payment_methods=methods)
    async with contextlib.aclosing(
        all_items(
            client.get_receipts,
            page_size=RECEIPT_PAGE_SIZE,
            concurrency=concurrency,
            date_from=day,
            date_to=day,
            sort_by="created_at",
            sort_order=1,
        )
    ) as receipts:
        async for receipt in receipts:
            tally.add(receipt)
    return tally.report()


async def _names(method: Callable[..., Awaitable[Any]]) -> dict[int, str]:
    """``{id: name}`` of a small list (sale types, payment methods); empty when the
    credentials may not read it (the receipts carry names of their own)."""
    names: dict[int, str] = {}
    try:
        async with contextlib.aclosing(
            all_items(method, page_size=LOOKUP_PAGE_SIZE, concurrency=1)
        ) as items:
            async for item in items:
                ident, name = item.get("id"), item.get("name")
                if isinstance(ident, int) and isinstance(name, str):
                    names[ident] = name
    except APIStatusError:
        return {}
    return names


def _share(part: Decimal, whole: Decimal) -> str:
    if whole == 0:
        return "-"
    return f"{(part * 100 / whole):.1f}%"


def report_tables(report: DailyReport) -> tuple[Table, Table]:
    """The two breakdowns as rich tables, each with a total row."""
    sales = Table(
        "sale type",
        "receipts",
        "total",
        "share",
        title=f"Sales on {report.day.isoformat()} by sale type",
        show_footer=False,
    )
    for line in report.by_sale_type:
        sales.add_row(
            _literal(line.name),
            str(line.count),
            money_text(line.amount),
            _share(line.amount, report.total),
        )
    sales.add_section()
    sales.add_row("all", str(report.receipts), money_text(report.total), "", style="bold")
    payments = Table(
        "payment method",
        "payments",
        "amount",
        "share",
        title=f"Payments on {report.day.isoformat()} by method",
    )
    for line in report.by_payment_method:
        payments.add_row(
            _literal(line.name),
            str(line.count),
            money_text(line.amount),
            _share(line.amount, report.payments_total),
        )
    payments.add_section()
    payments.add_row(
        "all",
        str(sum(x.count for x in report.by_payment_method)),
        money_text(report.payments_total),
        "",
        style="bold",
    )
    return sales, payments


def _literal(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def write_chart(report: DailyReport, path: Path) -> None:
    """A PNG with two horizontal bar charts (sale types, payment methods)."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: render to a file only
        import matplotlib.pyplot as plt
    except ImportError:
        raise ReportingError("--png needs matplotlib: pip install 'clopos[reports]'") from None
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    try:
        for axes, lines, title in (
            (left, report.by_sale_type, "By sale type"),
            (right, report.by_payment_method, "By payment method"),
        ):
            names = [line.name for line in reversed(lines)]
            # Floats only for drawing; every printed figure stays a Decimal.
            values = [float(line.amount) for line in reversed(lines)]
            bars = axes.barh(names, values, color="#3b7dd8")
            axes.bar_label(
                bars, labels=[money_text(line.amount) for line in reversed(lines)], padding=3
            )
            axes.set_title(title)
            axes.margins(x=0.2)
            if not lines:
                axes.text(0.5, 0.5, "no sales", ha="center", va="center", transform=axes.transAxes)
        figure.suptitle(
            f"Sales on {report.day.isoformat()}: {report.receipts} receipts, "
            f"total {money_text(report.total)}"
        )
        figure.savefig(path, format="png", dpi=100)
    finally:
        plt.close(figure)
