"""Inline SVG charts of a :class:`~clopos.server.dashboard.stats.DaySales` (pure, no I/O).

Server-rendered so the page needs no chart library: each chart is an ``<svg role="img">``
with a title and a one-sentence description for screen readers, and a ``<title>`` on every
bar (the tooltip). The page puts the same numbers in a table next to each chart. Colours
come from CSS classes (``chart-bar``, ``chart-axis``…), so the stylesheet decides them and
the page's Content-Security-Policy needs no inline styles.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from markupsafe import Markup

from clopos.server.dashboard.stats import DaySales

__all__ = ["hours_chart", "methods_chart", "money_text"]

_CENT = Decimal("0.01")

# Hours chart geometry (viewBox units; the SVG scales to the page width).
_H_WIDTH, _H_HEIGHT = 720, 260
_H_LEFT, _H_RIGHT, _H_TOP, _H_BOTTOM = 40, 10, 16, 36
# Payment methods chart: one row per method.
_M_WIDTH, _M_ROW, _M_LABEL, _M_AMOUNT = 720, 40, 170, 120


def money_text(amount: Decimal) -> str:
    """An amount for people: two decimals, or all of them when the amount has more."""
    if amount == amount.quantize(_CENT):
        return f"{amount.quantize(_CENT):f}"
    return f"{amount.normalize():f}"


def _n(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _receipts_word(count: int) -> str:
    return "1 receipt" if count == 1 else f"{count} receipts"


def hours_chart(sales: DaySales, *, chart_id: str = "hours-chart") -> Markup:
    """Bars of receipts closed per hour (0–23 UTC); each bar's tooltip gives the takings."""
    peak = max((h.receipts for h in sales.hours), default=0)
    plot_w = _H_WIDTH - _H_LEFT - _H_RIGHT
    plot_h = _H_HEIGHT - _H_TOP - _H_BOTTOM
    slot = plot_w / 24
    bar_w = slot * 0.72
    busiest = sales.busiest_hour
    if busiest is None:
        summary = f"No receipts were closed on {sales.day.isoformat()}."
    else:
        summary = (
            f"{_receipts_word(sales.receipts)} closed on {sales.day.isoformat()}; the busiest "
            f"hour was {busiest.hour:02d}:00 UTC with {_receipts_word(busiest.receipts)}."
        )
    parts = [
        f'<svg class="chart chart-hours" viewBox="0 0 {_H_WIDTH} {_H_HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Receipts closed by hour (UTC)</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    baseline = _H_TOP + plot_h
    parts.append(
        f'<line class="chart-axis" x1="{_H_LEFT}" y1="{baseline}" '
        f'x2="{_H_WIDTH - _H_RIGHT}" y2="{baseline}"/>'
    )
    if peak:
        parts.append(
            f'<line class="chart-grid" x1="{_H_LEFT}" y1="{_H_TOP}" '
            f'x2="{_H_WIDTH - _H_RIGHT}" y2="{_H_TOP}"/>'
            f'<text class="chart-label" x="{_H_LEFT - 6}" y="{_H_TOP + 4}" '
            f'text-anchor="end">{peak}</text>'
        )
    parts.append(
        f'<text class="chart-label" x="{_H_LEFT - 6}" y="{baseline + 4}" text-anchor="end">0</text>'
    )
    for hour in sales.hours:
        x = _H_LEFT + hour.hour * slot + (slot - bar_w) / 2
        if hour.hour % 3 == 0:
            parts.append(
                f'<text class="chart-label" x="{_n(x + bar_w / 2)}" y="{baseline + 18}" '
                f'text-anchor="middle">{hour.hour:02d}</text>'
            )
        if hour.receipts == 0:
            continue
        height = plot_h * hour.receipts / peak
        tooltip = (
            f"{hour.hour:02d}:00–{(hour.hour + 1) % 24:02d}:00 UTC: "
            f"{_receipts_word(hour.receipts)}, {money_text(hour.total)}"
        )
        parts.append(
            f'<rect class="chart-bar" data-hour="{hour.hour}" data-receipts="{hour.receipts}" '
            f'x="{_n(x)}" y="{_n(baseline - height)}" width="{_n(bar_w)}" '
            f'height="{_n(height)}"><title>{escape(tooltip)}</title></rect>'
        )
    parts.append(
        f'<text class="chart-label" x="{_n(_H_LEFT + plot_w / 2)}" y="{_H_HEIGHT - 2}" '
        f'text-anchor="middle">hour (UTC)</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above


def methods_chart(sales: DaySales, *, chart_id: str = "methods-chart") -> Markup:
    """Horizontal bars of the day's takings by payment method, largest first."""
    rows = sales.methods
    height = max(1, len(rows)) * _M_ROW + 8
    if rows:
        listing = "; ".join(f"{m.name} {money_text(m.amount)}" for m in rows)
        summary = f"Takings by payment method on {sales.day.isoformat()}: {listing}."
    else:
        summary = f"No payments were taken on {sales.day.isoformat()}."
    parts = [
        f'<svg class="chart chart-methods" viewBox="0 0 {_M_WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">Takings by payment method</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    largest = max((m.amount for m in rows), default=Decimal(0))
    bar_space = _M_WIDTH - _M_LABEL - _M_AMOUNT
    for index, method in enumerate(rows):
        y = 4 + index * _M_ROW
        share = float(method.amount / largest) if largest > 0 else 0.0
        width = max(0.0, bar_space * share)
        tooltip = f"{method.name}: {money_text(method.amount)} ({_receipts_word(method.receipts)})"
        parts.append(
            f'<text class="chart-label chart-method-name" x="{_M_LABEL - 10}" '
            f'y="{y + _M_ROW / 2 + 1}" text-anchor="end" dominant-baseline="middle">'
            f"{escape(method.name)}</text>"
            f'<rect class="chart-bar chart-method-bar" data-method="{escape(method.name)}" '
            f'x="{_M_LABEL}" y="{y + 6}" width="{_n(width)}" height="{_M_ROW - 12}">'
            f"<title>{escape(tooltip)}</title></rect>"
            f'<text class="chart-label chart-amount" x="{_n(_M_LABEL + width + 8)}" '
            f'y="{y + _M_ROW / 2 + 1}" dominant-baseline="middle">'
            f"{escape(money_text(method.amount))}</text>"
        )
    if not rows:
        parts.append(
            f'<text class="chart-label" x="{_M_WIDTH / 2:.0f}" y="{_M_ROW / 2 + 4}" '
            f'text-anchor="middle">No payments yet</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
