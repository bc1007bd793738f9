"""The day's sales for the till's chart: pure aggregation over closed receipts (no I/O).

The routes load the closed receipts of a day (``closed_at``, ``total``, the stored
``payment_methods``) and hand them here as :class:`ClosedSale`; :func:`summarize_day`
returns receipts and takings by hour and totals by payment method. Hours are those of the
stored timestamps, which are UTC (``clopos.server.domain.timestamps``): the brand has no
time zone in the Open API, so the dashboard labels its hours "UTC" rather than guess one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "NOT_RECORDED",
    "ClosedSale",
    "DaySales",
    "HourSales",
    "MethodTotal",
    "Payment",
    "payments_from_json",
    "summarize_day",
]

_ZERO = Decimal(0)
_CENT = Decimal("0.01")
# Shown for the part of a receipt's total that no stored payment covers (a v1 import may
# carry a total without payment lines): the day's methods then still add up to its takings.
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class Payment:
    """One tender of a closed receipt: the method's id (when known), name and amount."""

    method_id: int | None
    name: str
    amount: Decimal


@dataclass(frozen=True)
class ClosedSale:
    """What the chart needs of one closed receipt."""

    closed_at: datetime
    total: Decimal
    payments: tuple[Payment, ...] = ()


@dataclass(frozen=True)
class HourSales:
    """Receipts closed in one hour ``[hour:00, hour+1:00)`` and their takings."""

    hour: int
    receipts: int
    total: Decimal


@dataclass(frozen=True)
class MethodTotal:
    """Takings by one payment method, and how many receipts used it."""

    method_id: int | None
    name: str
    amount: Decimal
    receipts: int


@dataclass(frozen=True)
class DaySales:
    """The day's figures: every hour 0–23 (empty ones too) and every method used."""

    day: date
    receipts: int
    total: Decimal
    average: Decimal
    hours: tuple[HourSales, ...]
    methods: tuple[MethodTotal, ...]

    @property
    def busiest_hour(self) -> HourSales | None:
        """The hour with the most receipts (the earliest on a tie); ``None`` on an empty day."""
        if self.receipts == 0:
            return None
        return max(self.hours, key=lambda h: (h.receipts, -h.hour))


def _amount(raw: Any) -> Decimal | None:
    """A stored amount as a Decimal (numbers come back as int, Decimal or text)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, int | float | str):
        try:
            number = Decimal(str(raw))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def payments_from_json(raw: Any) -> tuple[Payment, ...]:
    """The ``payment_methods`` a receipt stores (``[{id, name, amount}]``) as payments.

    Entries that are not objects or have no usable amount are skipped: the chart shows
    what can be read rather than failing on one odd receipt.
    """
    if not isinstance(raw, list):
        return ()
    found = []
    for entry in raw:
        if not isinstance(entry, dict):
            continue
        amount = _amount(entry.get("amount"))
        if amount is None:
            continue
        method_id = entry.get("id")
        if isinstance(method_id, bool) or not isinstance(method_id, int):
            method_id = None
        name = entry.get("name")
        label = name.strip() if isinstance(name, str) and name.strip() else ""
        if not label:
            label = f"Method {method_id}" if method_id is not None else NOT_RECORDED
        found.append(Payment(method_id=method_id, name=label, amount=amount))
    return tuple(found)


def _method_key(payment: Payment) -> tuple[str, int | str]:
    """Tenders of one method are grouped by its id; nameless ids never merge by name."""
    if payment.method_id is not None:
        return ("id", payment.method_id)
    return ("name", payment.name.casefold())


def summarize_day(sales: Iterable[ClosedSale], day: date) -> DaySales:
    """Aggregate the receipts closed on ``day``; receipts closed on other days are ignored.

    The average is the takings divided by the receipts, rounded half-up to the cent (0 on a
    day without sales). Methods come largest amount first, then by name; a receipt whose
    payments fall short of its total adds the difference to :data:`NOT_RECORDED`.
    """
    counts = [0] * 24
    totals = [_ZERO] * 24
    method_amounts: dict[tuple[str, int | str], Decimal] = {}
    method_receipts: dict[tuple[str, int | str], int] = {}
    method_names: dict[tuple[str, int | str], str] = {}
    method_ids: dict[tuple[str, int | str], int | None] = {}
    receipts = 0
    total = _ZERO
    for sale in sales:
        if sale.closed_at.date() != day:
            continue
        receipts += 1
        total += sale.total
        counts[sale.closed_at.hour] += 1
        totals[sale.closed_at.hour] += sale.total
        payments = list(sale.payments)
        shortfall = sale.total - sum((p.amount for p in payments), _ZERO)
        if shortfall > 0:
            payments.append(Payment(method_id=None, name=NOT_RECORDED, amount=shortfall))
        used: set[tuple[str, int | str]] = set()
        for payment in payments:
            key = _method_key(payment)
            method_amounts[key] = method_amounts.get(key, _ZERO) + payment.amount
            method_names.setdefault(key, payment.name)
            method_ids.setdefault(key, payment.method_id)
            used.add(key)
        for key in used:
            method_receipts[key] = method_receipts.get(key, 0) + 1
    average = (total / receipts).quantize(_CENT, rounding=ROUND_HALF_UP) if receipts else _ZERO
    methods = sorted(
        (
            MethodTotal(
                method_id=method_ids[key],
                name=method_names[key],
                amount=amount,
                receipts=method_receipts[key],
            )
            for key, amount in method_amounts.items()
        ),
        key=lambda m: (-m.amount, m.name.casefold()),
    )
    return DaySales(
        day=day,
        receipts=receipts,
        total=total,
        average=average,
        hours=tuple(HourSales(hour, counts[hour], totals[hour]) for hour in range(24)),
        methods=tuple(methods),
    )
