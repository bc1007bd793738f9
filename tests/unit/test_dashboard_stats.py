"""The till dashboard's sales aggregation and its SVG charts (pure functions)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from clopos.server.dashboard.chart import hours_chart, methods_chart, money_text
from clopos.server.dashboard.stats import (
    NOT_RECORDED,
    ClosedSale,
    Payment,
    payments_from_json,
    summarize_day,
)

DAY = date(2026, 3, 14)
D = Decimal


def at(hour: int, minute: int = 0, second: int = 0, *, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second)


def cash(amount: str) -> Payment:
    return Payment(method_id=1, name="Cash", amount=D(amount))


def card(amount: str) -> Payment:
    return Payment(method_id=2, name="Card", amount=D(amount))


def sale(when: datetime, total: str, *payments: Payment) -> ClosedSale:
    return ClosedSale(closed_at=when, total=D(total), payments=payments)


# --- summarize_day --------------------------------------------------------------------------


def test_an_empty_day_has_24_empty_hours_and_no_methods() -> None:
    summary = summarize_day([], DAY)
    assert summary.day == DAY
    assert (summary.receipts, summary.total, summary.average) == (0, D(0), D(0))
    assert [h.hour for h in summary.hours] == list(range(24))
    assert all(h.receipts == 0 and h.total == 0 for h in summary.hours)
    assert summary.methods == ()
    assert summary.busiest_hour is None


def test_receipts_fall_into_the_hour_they_were_closed_in() -> None:
    summary = summarize_day(
        [
            sale(at(9, 0, 0), "10.00", cash("10.00")),
            sale(at(9, 59, 59), "5.50", cash("5.50")),
            sale(at(10, 0, 0), "2.25", card("2.25")),
            sale(at(23, 30), "1.00", cash("1.00")),
        ],
        DAY,
    )
    by_hour = {h.hour: (h.receipts, h.total) for h in summary.hours if h.receipts}
    assert by_hour == {9: (2, D("15.50")), 10: (1, D("2.25")), 23: (1, D("1.00"))}
    assert summary.receipts == 4
    assert summary.total == D("18.75")
    assert summary.busiest_hour is not None and summary.busiest_hour.hour == 9


def test_receipts_closed_on_other_days_are_left_out() -> None:
    midnight = datetime(DAY.year, DAY.month, DAY.day)
    summary = summarize_day(
        [
            sale(midnight - timedelta(microseconds=1), "100", cash("100")),  # the day before
            sale(midnight, "3", cash("3")),  # the first instant of the day
            sale(midnight + timedelta(days=1), "200", cash("200")),  # the next day
        ],
        DAY,
    )
    assert (summary.receipts, summary.total) == (1, D(3))
    assert summary.hours[0].receipts == 1


def test_split_payments_count_for_each_method_and_sort_by_amount() -> None:
    summary = summarize_day(
        [
            sale(at(12), "20.00", cash("5.00"), card("15.00")),
            sale(at(13), "8.00", cash("8.00")),
            sale(at(14), "4.00", card("4.00")),
        ],
        DAY,
    )
    assert [(m.name, m.amount, m.receipts) for m in summary.methods] == [
        ("Card", D("19.00"), 2),
        ("Cash", D("13.00"), 2),
    ]


def test_equal_amounts_sort_by_name() -> None:
    summary = summarize_day(
        [
            sale(at(8), "2", Payment(7, "Wallet", D(1)), Payment(3, "bonus", D(1))),
        ],
        DAY,
    )
    assert [m.name for m in summary.methods] == ["bonus", "Wallet"]


def test_methods_are_grouped_by_id_even_when_renamed() -> None:
    summary = summarize_day(
        [
            sale(at(8), "1", Payment(1, "Cash", D(1))),
            sale(at(9), "2", Payment(1, "Nağd", D(2))),
            sale(at(10), "4", Payment(None, "Voucher", D(4))),
            sale(at(11), "8", Payment(None, "voucher", D(8))),
        ],
        DAY,
    )
    assert [(m.method_id, m.name, m.amount, m.receipts) for m in summary.methods] == [
        (None, "Voucher", D(12), 2),
        (1, "Cash", D(3), 2),
    ]


def test_a_total_not_covered_by_payments_shows_as_not_recorded() -> None:
    summary = summarize_day(
        [
            sale(at(15), "10.00"),  # imported without payment lines
            sale(at(16), "6.00", cash("4.00")),
        ],
        DAY,
    )
    assert {m.name: (m.amount, m.receipts) for m in summary.methods} == {
        NOT_RECORDED: (D("12.00"), 2),
        "Cash": (D("4.00"), 1),
    }
    assert sum(m.amount for m in summary.methods) == summary.total


def test_average_is_rounded_half_up_to_the_cent() -> None:
    thirds = summarize_day([sale(at(1), "10.00"), sale(at(2), "0"), sale(at(3), "0")], DAY)
    assert thirds.average == D("3.33")
    halves = summarize_day([sale(at(1), "0.05"), sale(at(2), "0")], DAY)
    assert halves.average == D("0.03")


hours = st.integers(min_value=0, max_value=23)
cents = st.integers(min_value=0, max_value=1_000_000).map(lambda n: D(n) / 100)


@st.composite
def sales_of_the_day(draw: st.DrawFn) -> ClosedSale:
    total = draw(cents)
    cash_part = draw(st.integers(min_value=0, max_value=int(total * 100))) / D(100)
    payments = [cash(str(cash_part))] if cash_part else []
    if total - cash_part:
        payments.append(card(str(total - cash_part)))
    when = at(draw(hours), draw(st.integers(0, 59)), draw(st.integers(0, 59)))
    return ClosedSale(closed_at=when, total=total, payments=tuple(payments))


@given(st.lists(sales_of_the_day(), max_size=40))
def test_hours_and_methods_add_up_to_the_day(sales: list[ClosedSale]) -> None:
    summary = summarize_day(sales, DAY)
    assert summary.receipts == len(sales)
    assert sum(h.receipts for h in summary.hours) == summary.receipts
    assert sum((h.total for h in summary.hours), D(0)) == summary.total
    assert sum((m.amount for m in summary.methods), D(0)) == summary.total
    assert summary.total == sum((s.total for s in sales), D(0))
    assert all(m.receipts <= summary.receipts for m in summary.methods)


# --- reading stored payment_methods ---------------------------------------------------------


def test_stored_payments_are_read_exactly_and_odd_entries_skipped() -> None:
    stored = [
        {"id": 1, "name": "Cash", "amount": D("8.50")},
        {"id": 2, "name": "Card", "amount": 3},
        {"id": 3, "name": "  ", "amount": "1.10"},
        {"id": 4, "name": "Float", "amount": 0.1},
        {"id": True, "name": "Bool id", "amount": 1},
        {"id": 5, "name": "No amount"},
        {"id": 6, "name": "Bool amount", "amount": True},
        {"id": 7, "name": "Not a number", "amount": "abc"},
        {"id": 8, "name": "Infinite", "amount": "Infinity"},
        "not an object",
    ]
    assert payments_from_json(stored) == (
        Payment(1, "Cash", D("8.50")),
        Payment(2, "Card", D(3)),
        Payment(3, "Method 3", D("1.10")),
        Payment(4, "Float", D("0.1")),
        Payment(None, "Bool id", D(1)),
    )


def test_anything_but_a_list_has_no_payments() -> None:
    assert payments_from_json(None) == ()
    assert payments_from_json({"id": 1, "amount": 2}) == ()
    assert payments_from_json("[]") == ()


# --- the charts -----------------------------------------------------------------------------


def _bars(svg: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<rect ([^>]*)>", svg)
    ]


def test_hours_chart_draws_one_bar_per_busy_hour_scaled_to_the_peak() -> None:
    summary = summarize_day(
        [sale(at(9), "1"), sale(at(9), "1"), sale(at(9), "1"), sale(at(17), "2.5")], DAY
    )
    svg = str(hours_chart(summary))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg
    assert "the busiest hour was 09:00 UTC with 3 receipts" in svg
    bars = _bars(svg)
    assert [(b["data-hour"], b["data-receipts"]) for b in bars] == [("9", "3"), ("17", "1")]
    heights = [float(b["height"]) for b in bars]
    assert abs(heights[0] - 3 * heights[1]) < 0.05
    # Each bar rests on the axis.
    assert len({round(float(b["y"]) + float(b["height"]), 1) for b in bars}) == 1
    assert "<title>17:00–18:00 UTC: 1 receipt, 2.50</title>" in svg


def test_an_empty_day_has_a_chart_without_bars() -> None:
    svg = str(hours_chart(summarize_day([], DAY)))
    assert _bars(svg) == []
    assert "No receipts were closed on 2026-03-14." in svg
    assert "No payments yet" in str(methods_chart(summarize_day([], DAY)))


def test_methods_chart_escapes_names_and_scales_to_the_largest() -> None:
    summary = summarize_day(
        [sale(at(10), "30", Payment(9, '<script>"x"</script>', D(10)), cash("20"))], DAY
    )
    svg = str(methods_chart(summary))
    assert "<script>" not in svg
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt;" in svg
    widths = [float(b["width"]) for b in _bars(svg)]
    assert widths[0] == 2 * widths[1]  # Cash 20 first, then 10


def test_money_text_shows_cents_and_keeps_finer_amounts() -> None:
    assert money_text(D("17")) == "17.00"
    assert money_text(D("8.5")) == "8.50"
    assert money_text(D("0.125")) == "0.125"
    assert money_text(D("1E+3")) == "1000.00"
    assert money_text(D("-2.5")) == "-2.50"
