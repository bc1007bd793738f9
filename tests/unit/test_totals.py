"""The totals engine (spec §4.5, §12.4): hand-computed examples per rule, then properties."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, localcontext
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clopos.server.domain.totals import (
    MONEY_PLACES,
    Adjustments,
    Line,
    LineTotals,
    ModifierLine,
    PaymentsMismatch,
    Totals,
    check_payments,
    compute_totals,
    money,
)

D = Decimal


def line(price: str, count: str = "1", **kw: object) -> Line:
    return Line(price=D(price), count=D(count), **kw)  # type: ignore[arg-type]


def money_fields(totals: Totals) -> dict[str, Decimal]:
    return {name: value for name, value in vars(totals).items() if name != "lines"}


# --- rule 1: line subtotal ----------------------------------------------------------------


def test_single_line_decimal_money() -> None:
    totals = compute_totals([line("8.5", "2")])
    assert totals == Totals(
        lines=(LineTotals(D("17.00"), D("0.00"), D("0.00"), D("0.00"), D("17.00")),),
        original_subtotal=D("17.00"),
        subtotal=D("17.00"),
        gift_total=D("0.00"),
        total_discount=D("0.00"),
        discount_rate=D("0.00"),
        service_charge_value=D("0.00"),
        delivery_fee=D("0.00"),
        i_tax=D("0.00"),
        e_tax=D("0.00"),
        total_tax=D("0.00"),
        total=D("17.00"),
    )


def test_integer_scale_money_like_the_receipt_example() -> None:
    # spec §12.4 example: product lines of 22000 and 8000 make total 30000.
    totals = compute_totals([line("22000"), line("8000")])
    assert totals.subtotal == totals.total == D("30000")
    assert [lt.total for lt in totals.lines] == [D("22000"), D("8000")]


def test_modifiers_times_their_count_then_times_line_count() -> None:
    # (10 + 1.5×2 + 0.75×1) × 3 = 13.75 × 3 = 41.25
    mods = (ModifierLine(D("1.5"), D(2)), ModifierLine(D("0.75")))
    totals = compute_totals([line("10", "3", modifiers=mods)])
    assert totals.lines[0].subtotal == D("41.25")
    assert totals.total == D("41.25")


def test_modifier_count_defaults_to_one() -> None:
    assert ModifierLine(D("2")).count == D(1)
    assert compute_totals([line("1", modifiers=(ModifierLine(D("2")),))]).total == D("3.00")


def test_portion_size_scales_price_and_modifiers() -> None:
    assert compute_totals([line("30000", portion_size=D("0.5"))]).total == D("15000.00")
    # (8 + 2) × 2 × 0.5 = 10
    half = line("8", "2", portion_size=D("0.5"), modifiers=(ModifierLine(D(2)),))
    assert compute_totals([half]).total == D("10.00")


def test_fractional_count_for_weighed_goods() -> None:
    assert compute_totals([line("8.5", "0.5")]).total == D("4.25")
    assert compute_totals([line("10", "0.333")]).total == D("3.33")


def test_no_lines_totals_only_the_delivery_fee() -> None:
    totals = compute_totals([], Adjustments(delivery_fee=D("2.5")))
    assert totals.lines == ()
    assert totals.subtotal == D("0.00")
    assert totals.discount_rate == D("0.00")
    assert totals.total == D("2.50")


# --- rule 2: gifts ------------------------------------------------------------------------


def test_gift_line_counts_in_original_subtotal_and_gift_total_only() -> None:
    totals = compute_totals([line("10", "2"), line("5", is_gift=True)])
    assert totals.original_subtotal == D("25.00")
    assert totals.subtotal == D("20.00")
    assert totals.gift_total == D("5.00")
    assert totals.total == D("20.00")
    # The gift line shows its value but adds nothing.
    assert totals.lines[1] == LineTotals(D("5.00"), D("0.00"), D("0.00"), D("0.00"), D("0.00"))


def test_gift_line_takes_no_discount_service_charge_or_tax() -> None:
    adjustments = Adjustments(
        discount_type=1, discount_value=D(10), service_charge_rate=D(10), delivery_fee=D(1)
    )
    gift = line("50", is_gift=True, tax_rates=(D(18),))
    totals = compute_totals([line("20"), gift], adjustments, taxes_included=False)
    assert totals.total_discount == D("2.00")  # 10 % of 20, not of 70
    assert totals.service_charge_value == D("1.80")  # 10 % of 18
    assert totals.total_tax == D("0.00")
    assert totals.total == D("20.80")  # 20 − 2 + 1.80 + 1
    assert totals.lines[1].total == D("0.00")


# --- rule 3: discounts --------------------------------------------------------------------


def test_percent_discount_spread_proportionally() -> None:
    totals = compute_totals([line("20"), line("30")], Adjustments(1, D(10)))
    assert totals.total_discount == D("5.00")
    assert [lt.discount for lt in totals.lines] == [D("2.00"), D("3.00")]
    assert [lt.total for lt in totals.lines] == [D("18.00"), D("27.00")]
    assert totals.discount_rate == D("10.00")
    assert totals.total == D("45.00")


def test_amount_discount_spread_proportionally() -> None:
    totals = compute_totals([line("20"), line("30")], Adjustments(2, D(7)))
    assert [lt.discount for lt in totals.lines] == [D("2.80"), D("4.20")]
    assert totals.total_discount == D("7.00")
    assert totals.discount_rate == D("14.00")
    assert totals.total == D("43.00")


def test_amount_discount_larger_than_subtotal_is_clamped() -> None:
    totals = compute_totals([line("20"), line("30")], Adjustments(2, D(100)))
    assert totals.total_discount == D("50.00")
    assert totals.discount_rate == D("100.00")
    assert totals.total == D("0.00")


def test_negative_amount_discount_is_clamped_to_zero() -> None:
    totals = compute_totals([line("20")], Adjustments(2, D(-5)))
    assert totals.total_discount == D("0.00")
    assert totals.total == D("20.00")


@pytest.mark.parametrize(
    ("percent", "discount"), [("150", "50.00"), ("100", "50.00"), ("-10", "0.00")]
)
def test_percent_discount_is_clamped_to_0_100(percent: str, discount: str) -> None:
    totals = compute_totals([line("20"), line("30")], Adjustments(1, D(percent)))
    assert totals.total_discount == D(discount)
    assert totals.total == D("50.00") - D(discount)


def test_type_zero_ignores_the_discount_value() -> None:
    totals = compute_totals([line("20")], Adjustments(0, D(10)))
    assert totals.total_discount == D("0.00")


def test_non_discountable_line_is_left_out_of_the_discount() -> None:
    lines = [line("20"), line("30", discountable=False)]
    totals = compute_totals(lines, Adjustments(1, D(10)))
    assert [lt.discount for lt in totals.lines] == [D("2.00"), D("0.00")]
    # The effective rate is measured against the whole subtotal: 2 / 50.
    assert totals.discount_rate == D("4.00")
    # An amount discount is capped by the discountable part only.
    capped = compute_totals(lines, Adjustments(2, D(25)))
    assert capped.total_discount == D("20.00")
    assert capped.total == D("30.00")


def test_customer_discount_applies_after_the_order_discount() -> None:
    adjustments = Adjustments(1, D(10), customer_discount_rate=D(5))
    totals = compute_totals([line("100")], adjustments)
    # 10 % of 100 = 10; then 5 % of the remaining 90 = 4.50.
    assert totals.total_discount == D("14.50")
    assert totals.lines[0].discount == D("14.50")
    assert totals.discount_rate == D("14.50")
    assert totals.total == D("85.50")


def test_customer_discount_alone_skips_non_discountable_lines() -> None:
    lines = [line("40"), line("60"), line("100", discountable=False)]
    totals = compute_totals(lines, Adjustments(customer_discount_rate=D(10)))
    assert [lt.discount for lt in totals.lines] == [D("4.00"), D("6.00"), D("0.00")]
    assert totals.total == D("190.00")


def test_customer_discount_rate_is_clamped_to_100() -> None:
    totals = compute_totals([line("100")], Adjustments(2, D(30), customer_discount_rate=D(250)))
    assert totals.total_discount == D("100.00")
    assert totals.total == D("0.00")


def test_three_way_split_sums_exactly_to_the_discount() -> None:
    # 10 over three equal lines: 3.33 each leaves one cent; the first line (tie) takes it.
    totals = compute_totals([line("10"), line("10"), line("10")], Adjustments(2, D(10)))
    parts = [lt.discount for lt in totals.lines]
    assert parts == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(parts) == totals.total_discount == D("10.00")
    assert totals.total == D("20.00")


def test_uneven_split_gives_the_cent_to_the_largest_remainder() -> None:
    # 1.00 over 1 : 2 : 3 → 0.1666…, 0.3333…, 0.5 → floors 0.16, 0.33, 0.50; the spare cent
    # goes to the first line, whose remainder (0.0066…) is the largest.
    totals = compute_totals([line("1"), line("2"), line("3")], Adjustments(2, D(1)))
    assert [lt.discount for lt in totals.lines] == [D("0.17"), D("0.33"), D("0.50")]


def test_split_never_discounts_a_line_below_zero() -> None:
    # A tiny line next to a big one: its share (0.0099…) rounds to its whole value, not more.
    totals = compute_totals([line("0.01"), line("100")], Adjustments(2, D(100)))
    assert [lt.discount for lt in totals.lines] == [D("0.01"), D("99.99")]
    assert all(lt.total >= 0 for lt in totals.lines)


# --- rule 4: service charge ---------------------------------------------------------------


def test_service_charge_skips_lines_that_ignore_it() -> None:
    lines = [line("100"), line("50", ignore_service_charge=True)]
    totals = compute_totals(lines, Adjustments(service_charge_rate=D(10)))
    assert totals.service_charge_value == D("10.00")
    assert [lt.service_charge for lt in totals.lines] == [D("10.00"), D("0.00")]
    assert totals.total == D("160.00")


def test_service_charge_is_on_the_discounted_amount() -> None:
    lines = [line("100"), line("50", ignore_service_charge=True)]
    totals = compute_totals(lines, Adjustments(1, D(10), service_charge_rate=D(10)))
    # discounted: 90 and 45; service 10 % of 90 = 9
    assert totals.service_charge_value == D("9.00")
    assert totals.total == D("144.00")


def test_service_charge_split_sums_exactly() -> None:
    totals = compute_totals(
        [line("0.10"), line("0.10"), line("0.10")], Adjustments(service_charge_rate=D(10))
    )
    # 10 % of 0.30 = 0.03, one cent per line.
    assert [lt.service_charge for lt in totals.lines] == [D("0.01")] * 3
    assert totals.total == D("0.33")


# --- rule 5: taxes ------------------------------------------------------------------------


def test_inclusive_taxes_are_extracted_and_do_not_change_the_total() -> None:
    lines = [line("118", tax_rates=(D(18),)), line("60", tax_rates=(D(18), D(2)))]
    totals = compute_totals(lines)
    # 118 × 18/118 = 18; 60 × 20/120 = 10
    assert [lt.tax for lt in totals.lines] == [D("18.00"), D("10.00")]
    assert totals.i_tax == totals.total_tax == D("28.00")
    assert totals.e_tax == D("0.00")
    assert totals.total == D("178.00")


def test_exclusive_taxes_with_two_rates_are_added_on_top() -> None:
    totals = compute_totals([line("100", tax_rates=(D(18), D(2)))], taxes_included=False)
    assert totals.e_tax == totals.total_tax == D("20.00")
    assert totals.i_tax == D("0.00")
    assert totals.lines[0].total == D("120.00")
    assert totals.total == D("120.00")


def test_tax_is_on_the_discounted_amount() -> None:
    totals = compute_totals(
        [line("100", tax_rates=(D(18),))], Adjustments(1, D(10)), taxes_included=False
    )
    assert totals.e_tax == D("16.20")  # 18 % of 90
    assert totals.total == D("106.20")


def test_tax_is_not_charged_on_the_service_charge() -> None:
    totals = compute_totals(
        [line("100", tax_rates=(D(10),))],
        Adjustments(service_charge_rate=D(10)),
        taxes_included=False,
    )
    assert totals.e_tax == D("10.00")  # not 11.00
    assert totals.total == D("120.00")


def test_inclusive_tax_is_rounded_half_up() -> None:
    # 10 × 18/118 = 1.5254… → 1.53
    assert compute_totals([line("10", tax_rates=(D(18),))]).i_tax == D("1.53")


# --- rules 6–7: delivery fee and total ----------------------------------------------------


def test_delivery_fee_is_added_as_is() -> None:
    # spec §11 order example: price 8.5, delivery_fee 2.5.
    totals = compute_totals([line("8.5")], Adjustments(delivery_fee=D("2.5")))
    assert totals.delivery_fee == D("2.50")
    assert totals.total == D("11.00")
    assert sum(lt.total for lt in totals.lines) == D("8.50")


def test_all_adjustments_together() -> None:
    lines = [
        line("20", "2", tax_rates=(D(18),)),  # 40
        line("15", modifiers=(ModifierLine(D(5)),), ignore_service_charge=True),  # 20
        line("30", discountable=False, tax_rates=(D(2),)),  # 30
        line("9", is_gift=True),  # gift 9
    ]
    adjustments = Adjustments(
        discount_type=2,
        discount_value=D(6),
        customer_discount_rate=D(10),
        service_charge_rate=D(5),
        delivery_fee=D(3),
    )
    totals = compute_totals(lines, adjustments, taxes_included=False)
    # order discount 6 over 40 : 20 → 4, 2; customer 10 % of 54 = 5.40 over 36 : 18 → 3.60, 1.80
    assert [lt.discount for lt in totals.lines] == [D("7.60"), D("3.80"), D(0), D(0)]
    # service 5 % of (32.40 + 30) = 3.12 over 32.40 : 30 → 1.62, 1.50
    assert totals.service_charge_value == D("3.12")
    assert [lt.service_charge for lt in totals.lines] == [D("1.62"), D(0), D("1.50"), D(0)]
    # taxes: 18 % of 32.40 = 5.832 → 5.83; 2 % of 30 = 0.60
    assert [lt.tax for lt in totals.lines] == [D("5.83"), D(0), D("0.60"), D(0)]
    assert money_fields(totals) == {
        "original_subtotal": D("99.00"),
        "subtotal": D("90.00"),
        "gift_total": D("9.00"),
        "total_discount": D("11.40"),
        "discount_rate": D("12.67"),  # 11.40 / 90 = 12.666…
        "service_charge_value": D("3.12"),
        "delivery_fee": D("3.00"),
        "i_tax": D("0.00"),
        "e_tax": D("6.43"),
        "total_tax": D("6.43"),
        "total": D("91.15"),  # 90 − 11.40 + 3.12 + 6.43 + 3
    }


# --- rounding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "expected"),
    [("0.005", "0.01"), ("0.004", "0.00"), ("2.125", "2.13"), ("2.124", "2.12"), ("8.5", "8.50")],
)
def test_line_subtotal_rounds_half_up(price: str, expected: str) -> None:
    assert compute_totals([line(price)]).total == D(expected)


def test_percent_discount_rounds_half_up() -> None:
    # 15 % of 33.33 = 4.9995 → 5.00
    assert compute_totals([line("33.33")], Adjustments(1, D(15))).total_discount == D("5.00")
    # 12.5 % of 0.10 = 0.0125 → 0.01
    assert compute_totals([line("0.10")], Adjustments(1, D("12.5"))).total_discount == D("0.01")


def test_amount_discount_value_is_rounded_to_cents() -> None:
    assert compute_totals([line("10")], Adjustments(2, D("2.125"))).total_discount == D("2.13")


def test_money_rounds_half_up_to_cents() -> None:
    assert D("0.01") == MONEY_PLACES
    assert money(D("0.005")) == D("0.01")
    assert money(D("1.115")) == D("1.12")
    assert str(money(D("30000"))) == "30000.00"


def test_every_money_result_has_two_places() -> None:
    totals = compute_totals(
        [line("8.5", tax_rates=(D(18),)), line("3", is_gift=True)],
        Adjustments(1, D("7.5"), service_charge_rate=D(3), delivery_fee=D(2)),
    )
    values = [*money_fields(totals).values()]
    values += [v for lt in totals.lines for v in vars(lt).values()]
    assert all(v.as_tuple().exponent == -2 for v in values), values


# --- invalid inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_line",
    [
        Line(D("-1"), D(1)),
        Line(D(1), D("-1")),
        Line(D(1), D(1), portion_size=D("-0.5")),
        Line(D(1), D(1), modifiers=(ModifierLine(D("-2")),)),
        Line(D(1), D(1), tax_rates=(D("-18"),)),
        Line(D("NaN"), D(1)),
        Line(D("Infinity"), D(1)),
    ],
)
def test_negative_or_non_finite_inputs_are_rejected(bad_line: Line) -> None:
    with pytest.raises(ValueError, match="must be a finite"):
        compute_totals([bad_line])


def test_unknown_discount_type_and_negative_fee_are_rejected() -> None:
    with pytest.raises(ValueError, match="discount_type must be 0, 1 or 2, got 3"):
        compute_totals([line("1")], Adjustments(3, D(1)))
    with pytest.raises(ValueError, match="delivery_fee"):
        compute_totals([line("1")], Adjustments(delivery_fee=D(-1)))


def test_result_does_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as context:
        context.prec = 3
        context.rounding = ROUND_DOWN
        totals = compute_totals([line("12345.675", "3")], Adjustments(1, D("12.5")))
    assert totals.subtotal == D("37037.03")  # 37037.025 → .03 half up
    assert totals.total_discount == D("4629.63")  # 4629.62875


# --- check_payments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "amounts"),
    [
        ("30000", ["30000"]),
        ("8.50", ["8.5"]),
        ("8.5", ["4.25", "4.25"]),
        ("10", ["3.33", "3.33", "3.34"]),
        ("0", ["0"]),
    ],
)
def test_check_payments_accepts_an_exact_sum(total: str, amounts: list[str]) -> None:
    check_payments(D(total), [D(a) for a in amounts])


def test_check_payments_mismatch_names_both_numbers() -> None:
    with pytest.raises(PaymentsMismatch) as caught:
        check_payments(D("8.5"), [D(5), D(3)])
    assert str(caught.value) == "The sum of payment amounts (8.00) does not equal the total (8.50)"
    assert isinstance(caught.value, ValueError)


def test_check_payments_rejects_overpayment_by_a_cent() -> None:
    with pytest.raises(PaymentsMismatch, match=r"\(30000.01\).*\(30000.00\)"):
        check_payments(D(30000), [D("30000.01")])


def test_check_payments_requires_at_least_one_amount() -> None:
    with pytest.raises(PaymentsMismatch, match="At least one payment"):
        check_payments(D(0), [])


def test_check_payments_rejects_a_negative_amount_even_if_the_sum_matches() -> None:
    with pytest.raises(PaymentsMismatch, match="must not be negative, got -1"):
        check_payments(D("8.5"), [D("9.5"), D(-1)])


# --- properties ---------------------------------------------------------------------------

prices = st.one_of(
    st.decimals(min_value=0, max_value=100_000, places=0),
    st.decimals(min_value=0, max_value=10_000, places=2),
    st.decimals(min_value=0, max_value=1_000, places=3),
)
counts = st.one_of(
    st.integers(min_value=0, max_value=20).map(Decimal),
    st.decimals(min_value=0, max_value=10, places=3),
)
rates = st.decimals(min_value=-20, max_value=150, places=2)
line_strategy = st.builds(
    Line,
    price=prices,
    count=counts,
    portion_size=st.sampled_from([D(1), D("0.5"), D("0.25"), D("1.5"), D(2)]),
    modifiers=st.lists(
        st.builds(ModifierLine, price=prices, count=st.integers(1, 3).map(Decimal)), max_size=3
    ).map(tuple),
    tax_rates=st.lists(st.sampled_from([D(0), D(2), D(5), D(18), D("7.5")]), max_size=2).map(tuple),
    is_gift=st.booleans(),
    discountable=st.booleans(),
    ignore_service_charge=st.booleans(),
)
adjustment_strategy = st.builds(
    Adjustments,
    discount_type=st.sampled_from([0, 1, 2]),
    discount_value=st.decimals(min_value=-100, max_value=200_000, places=2),
    customer_discount_rate=rates,
    service_charge_rate=rates,
    delivery_fee=st.decimals(min_value=0, max_value=100, places=2),
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(line_strategy, max_size=8),
    adjustments=adjustment_strategy,
    included=st.booleans(),
)
def test_totals_invariants(lines: list[Line], adjustments: Adjustments, included: bool) -> None:
    t = compute_totals(lines, adjustments, taxes_included=included)
    assert t.total >= 0
    assert 0 <= t.total_discount <= t.subtotal
    assert 0 <= t.discount_rate <= 100
    assert t.original_subtotal == t.subtotal + t.gift_total
    assert t.total_tax == t.i_tax + t.e_tax
    assert (t.i_tax if included else t.e_tax) == t.total_tax
    # No cent lost or invented: the line parts add up exactly to the order amounts.
    assert sum(lt.discount for lt in t.lines) == t.total_discount
    assert sum(lt.service_charge for lt in t.lines) == t.service_charge_value
    assert sum(lt.tax for lt in t.lines) == t.total_tax
    line_sum = sum((lt.total for lt in t.lines), D(0))
    assert line_sum == t.subtotal - t.total_discount + t.service_charge_value + t.e_tax
    assert t.total == line_sum + t.delivery_fee
    for source, lt in zip(lines, t.lines, strict=True):
        assert 0 <= lt.discount <= lt.subtotal
        assert lt.total >= 0
        if source.is_gift:
            assert lt.total == 0
        if source.is_gift or not source.discountable:
            assert lt.discount == 0
        if source.is_gift or source.ignore_service_charge:
            assert lt.service_charge == 0
    for value in [*money_fields(t).values(), *(v for lt in t.lines for v in vars(lt).values())]:
        assert value == value.quantize(MONEY_PLACES)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(line_strategy, max_size=6), adjustments=adjustment_strategy)
def test_inclusive_and_exclusive_differ_only_by_the_added_tax(
    lines: list[Line], adjustments: Adjustments
) -> None:
    included = compute_totals(lines, adjustments, taxes_included=True)
    excluded = compute_totals(lines, adjustments, taxes_included=False)
    assert included.total == excluded.total - excluded.e_tax
    # Extracting r/(100+r) takes less than adding r/100 on the same amount.
    assert included.i_tax <= excluded.e_tax


@st.composite
def split_total(draw: st.DrawFn) -> tuple[Decimal, list[Decimal]]:
    """A total in cents and a random split of it into 1–6 non-negative parts."""
    cents = draw(st.integers(min_value=1, max_value=10_000_000))
    cuts = sorted(draw(st.lists(st.integers(0, cents), max_size=5)))
    bounds = [0, *cuts, cents]
    parts = [D(b - a) / 100 for a, b in pairwise(bounds)]
    return D(cents) / 100, parts


@settings(max_examples=300, deadline=None)
@given(case=split_total(), data=st.data())
def test_check_payments_accepts_an_exact_split_and_rejects_a_cent_off(
    case: tuple[Decimal, list[Decimal]], data: st.DataObject
) -> None:
    total, parts = case
    check_payments(total, parts)
    # Move one cent off a part that has one: the sum is now short by a cent.
    payable = [i for i, part in enumerate(parts) if part >= D("0.01")]
    short = list(parts)
    short[data.draw(st.sampled_from(payable))] -= D("0.01")
    with pytest.raises(PaymentsMismatch):
        check_payments(total, short)
    over = list(parts)
    over[data.draw(st.integers(0, len(parts) - 1))] += D("0.01")
    with pytest.raises(PaymentsMismatch):
        check_payments(total, over)
