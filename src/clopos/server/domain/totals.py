"""The totals engine for orders and receipts — pure ``Decimal`` arithmetic, no I/O.

The Clopos docs name the receipt's money fields (spec §12.4: ``subtotal``,
``original_subtotal``, ``gift_total``, ``discount_type/value/rate``, ``total_discount``,
``service_charge(_value)``, ``i_tax``, ``e_tax``, ``total_tax``, ``delivery_fee``, ``total``)
but give no formula for any of them and no rounding rule (spec §4.5, §15.1). The rules
below are this server's choice; each is written where it is applied and recorded in
docs/decisions.md. In order:

1. **Line subtotal** = (price + Σ modifier.price × modifier.count) × count × portion_size,
   rounded to the cent. Counts may be fractional (weighed goods).
2. **Gifts**: a gift line keeps its value in its own ``subtotal`` (so the receipt line can
   show what was given away) and counts in ``original_subtotal`` and ``gift_total``, but
   adds nothing to the receipt ``subtotal`` and its ``total`` is 0.
3. **Order discount** on the *discountable* lines (non-gift, ``discountable=True``):
   type 1 = percentage (clamped to 0–100) of their sum, type 2 = fixed amount (clamped to
   0–their sum). Then the **customer discount** rate (%) applies to what is left of them.
4. **Service charge** = rate % of the discounted amounts of the non-gift lines that do not
   ignore it.
5. **Taxes** per line on its discounted amount (before service charge — a service charge
   is a fee, not a sale of goods): the line's rates are summed; with ``taxes_included``
   the tax is extracted from the price (``i_tax``), otherwise it is added on top
   (``e_tax``).
6. **Delivery fee** is added to the total unchanged.
7. ``total = subtotal − total_discount + service_charge_value + e_tax + delivery_fee``.

Every money result is rounded to :data:`MONEY_PLACES` with ``ROUND_HALF_UP``. Order-level
amounts (discounts, service charge) are rounded once, then split over the lines in
whole cents so the line parts always add up exactly to the order amount — no cent is ever
lost or invented. Discount values and rates are clamped to their meaningful range
(0–100 %, 0–the discountable amount); a negative or non-finite price, count, portion,
modifier, tax rate or delivery fee, or an unknown ``discount_type``, raises ``ValueError``:
request bodies are validated before they reach this module, so that is a programming
error, not a user error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

__all__ = [
    "DISCOUNT_AMOUNT",
    "DISCOUNT_NONE",
    "DISCOUNT_PERCENT",
    "MONEY_PLACES",
    "Adjustments",
    "Line",
    "LineTotals",
    "ModifierLine",
    "PaymentsMismatch",
    "Totals",
    "check_payments",
    "compute_totals",
    "money",
]

MONEY_PLACES = Decimal("0.01")
"""Every money result is rounded to cents, half up (spec §4.5 gives no rule; decisions.md)."""

# ``discount_type`` vocabulary of spec §12.4: 0 none, 1 percent, 2 amount.
DISCOUNT_NONE = 0
DISCOUNT_PERCENT = 1
DISCOUNT_AMOUNT = 2

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
# Our own arithmetic context, whatever the caller's: enough digits for any product of sane
# inputs to stay exact (only the inclusive-tax division is inexact, far below a cent).
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModifierLine:
    """One chosen modifier of a line: its unit price and how many of it per portion."""

    price: Decimal
    count: Decimal = Decimal(1)


@dataclass(frozen=True)
class Line:
    """One product line of an order or receipt.

    ``tax_rates`` are the percentages of the product's taxes (``[18]`` = 18 %); they are
    summed. ``discountable=False`` keeps the line out of both discounts;
    ``ignore_service_charge=True`` keeps it out of the service charge.
    """

    price: Decimal
    count: Decimal
    portion_size: Decimal = Decimal(1)
    modifiers: tuple[ModifierLine, ...] = ()
    tax_rates: tuple[Decimal, ...] = ()
    is_gift: bool = False
    discountable: bool = True
    ignore_service_charge: bool = False


@dataclass(frozen=True)
class Adjustments:
    """Order-level adjustments. Rates are percentages (10 = 10 %).

    ``discount_type`` 0 none, 1 percent (``discount_value`` is the %), 2 amount
    (``discount_value`` is money) — spec §12.4.
    """

    discount_type: int = DISCOUNT_NONE
    discount_value: Decimal = Decimal(0)
    customer_discount_rate: Decimal = Decimal(0)
    service_charge_rate: Decimal = Decimal(0)
    delivery_fee: Decimal = Decimal(0)


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineTotals:
    """The money of one line, in input order.

    ``subtotal`` is the line's value before adjustments (a gift line keeps its value here);
    ``discount`` is its share of the order + customer discounts; ``service_charge`` its
    share of the service charge; ``tax`` its tax (extracted or added, see ``taxes_included``);
    ``total`` what the line adds to the receipt total (0 for a gift).
    """

    subtotal: Decimal
    discount: Decimal
    service_charge: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    """The receipt/order money fields of spec §12.4, plus the per-line breakdown.

    Invariants (all exact, in cents): ``original_subtotal = subtotal + gift_total``;
    Σ ``lines[].discount`` = ``total_discount``; Σ ``lines[].service_charge`` =
    ``service_charge_value``; Σ ``lines[].tax`` = ``total_tax``; Σ ``lines[].total`` +
    ``delivery_fee`` = ``total``.
    """

    lines: tuple[LineTotals, ...]
    original_subtotal: Decimal
    subtotal: Decimal
    gift_total: Decimal
    total_discount: Decimal
    discount_rate: Decimal
    service_charge_value: Decimal
    delivery_fee: Decimal
    i_tax: Decimal
    e_tax: Decimal
    total_tax: Decimal
    total: Decimal


class PaymentsMismatch(ValueError):
    """The payment amounts do not settle the total (spec §4.5: Σ amounts must equal total)."""


# --- helpers -----------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    """Round an amount to cents, half up (0.005 → 0.01, 2.125 → 2.13)."""
    return value.quantize(MONEY_PLACES, rounding=ROUND_HALF_UP)


def _require(value: Decimal, name: str) -> Decimal:
    """Reject NaN, infinities and negative numbers — the engine only sees sane inputs."""
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative number, got {value}")
    return value


def _percent(value: Decimal, name: str) -> Decimal:
    """A rate in percent, clamped to 0–100 (no discount beyond the amount, no negative fee)."""
    if not value.is_finite():
        raise ValueError(f"{name} must be a finite number, got {value}")
    return min(max(value, _ZERO), _HUNDRED)


def _cents(amount: Decimal) -> int:
    """An amount already rounded to cents, as an integer number of cents."""
    return int(amount * 100)


def _split(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` over ``weights`` proportionally, in whole cents, summing exactly.

    Largest-remainder method: every part first gets the floor of its exact share; the cents
    left over go one each to the parts with the largest remainders (ties: earliest line).
    Unlike "the last line takes the remainder", this never gives a line more than its exact
    share rounded up — so a discount part never exceeds the line it discounts, and a line
    never gets a negative part. ``amount`` and ``weights`` are non-negative cent amounts.
    """
    whole = sum((_cents(w) for w in weights), 0)
    if whole == 0:
        return [_ZERO] * len(weights)
    total = _cents(amount)
    floors: list[int] = []
    remainders: list[tuple[int, int]] = []
    for index, weight in enumerate(weights):
        share, remainder = divmod(total * _cents(weight), whole)
        floors.append(share)
        remainders.append((-remainder, index))
    for _, index in sorted(remainders)[: total - sum(floors)]:
        floors[index] += 1
    return [money(Decimal(share) / 100) for share in floors]


def _line_subtotal(line: Line) -> Decimal:
    """Rule 1: (price + Σ modifier price × count) × count × portion_size, to the cent."""
    unit = _require(line.price, "price")
    for modifier in line.modifiers:
        unit += _require(modifier.price, "modifier price") * _require(
            modifier.count, "modifier count"
        )
    return money(unit * _require(line.count, "count") * _require(line.portion_size, "portion_size"))


def _order_discount(adjustments: Adjustments, base: Decimal) -> Decimal:
    """Rule 3: the order discount on the discountable ``base``, never more than ``base``."""
    kind = adjustments.discount_type
    if kind == DISCOUNT_NONE:
        return _ZERO
    if kind == DISCOUNT_PERCENT:
        return money(base * _percent(adjustments.discount_value, "discount_value") / _HUNDRED)
    if kind == DISCOUNT_AMOUNT:
        value = adjustments.discount_value
        if not value.is_finite():
            raise ValueError(f"discount_value must be a finite number, got {value}")
        return min(max(money(value), _ZERO), base)
    raise ValueError(f"discount_type must be 0, 1 or 2, got {kind}")


def _tax(amount: Decimal, rates: Sequence[Decimal], *, included: bool) -> Decimal:
    """Rule 5: tax of one line's discounted amount; the line's rates are summed.

    Included: the price already holds the tax, tax = amount × r / (100 + r).
    Excluded: the tax comes on top, tax = amount × r / 100.
    """
    rate = sum((_require(r, "tax rate") for r in rates), _ZERO)
    if rate == 0:
        return _ZERO
    if included:
        return money(amount * rate / (_HUNDRED + rate))
    return money(amount * rate / _HUNDRED)


# --- the engine --------------------------------------------------------------------------


def compute_totals(
    lines: Sequence[Line],
    adjustments: Adjustments = Adjustments(),
    *,
    taxes_included: bool = True,
) -> Totals:
    """Compute every money field of an order/receipt from its lines and adjustments.

    ``taxes_included=True`` (the default) means prices already contain their taxes, as on
    a Clopos menu in Azerbaijan: the tax is only reported (``i_tax``) and the total does not
    change. ``taxes_included=False`` adds the tax on top (``e_tax``). See the module
    docstring for the rules; raises ``ValueError`` on negative or non-finite inputs or an
    unknown ``discount_type``.
    """
    with localcontext(_CONTEXT):
        return _compute(lines, adjustments, taxes_included)


def _compute(lines: Sequence[Line], adjustments: Adjustments, taxes_included: bool) -> Totals:
    subtotals = [_line_subtotal(line) for line in lines]
    paid = [not line.is_gift for line in lines]  # rule 2: gifts are worth 0 to the total

    original_subtotal = sum(subtotals, _ZERO)
    subtotal = sum((s for s, p in zip(subtotals, paid, strict=True) if p), _ZERO)
    gift_total = original_subtotal - subtotal

    # Rule 3: both discounts only touch paid, discountable lines.
    discountable = [
        s if p and line.discountable else _ZERO
        for s, p, line in zip(subtotals, paid, lines, strict=True)
    ]
    base = sum(discountable, _ZERO)
    order_discount = _order_discount(adjustments, base)
    order_parts = _split(order_discount, discountable)
    after_order = [s - d for s, d in zip(discountable, order_parts, strict=True)]
    customer_rate = _percent(adjustments.customer_discount_rate, "customer_discount_rate")
    customer_discount = money((base - order_discount) * customer_rate / _HUNDRED)
    customer_parts = _split(customer_discount, after_order)
    discounts = [o + c for o, c in zip(order_parts, customer_parts, strict=True)]
    total_discount = order_discount + customer_discount
    discounted = [s - d if p else _ZERO for s, d, p in zip(subtotals, discounts, paid, strict=True)]

    # Rule 4: service charge on the discounted amounts of the lines that accept it.
    serviced = [
        amount if not line.ignore_service_charge else _ZERO
        for amount, line in zip(discounted, lines, strict=True)
    ]
    service_rate = _percent(adjustments.service_charge_rate, "service_charge_rate")
    service_charge_value = money(sum(serviced, _ZERO) * service_rate / _HUNDRED)
    service_parts = _split(service_charge_value, serviced)

    # Rule 5: taxes per line, on the discounted amount, before the service charge.
    taxes = [
        _tax(amount, line.tax_rates, included=taxes_included)
        for amount, line in zip(discounted, lines, strict=True)
    ]
    total_tax = sum(taxes, _ZERO)
    i_tax, e_tax = (total_tax, _ZERO) if taxes_included else (_ZERO, total_tax)

    line_totals = tuple(
        LineTotals(
            subtotal=money(s),
            discount=money(d),
            service_charge=money(c),
            tax=money(t),
            total=money(amount + c + (_ZERO if taxes_included else t)),
        )
        for s, d, c, t, amount in zip(
            subtotals, discounts, service_parts, taxes, discounted, strict=True
        )
    )

    # Rules 6–7. Every term is already in cents, so the sum is exact; the max() only
    # documents the guarantee (discounts never exceed the subtotal, the rest is ≥ 0).
    delivery_fee = money(_require(adjustments.delivery_fee, "delivery_fee"))
    total = subtotal - total_discount + service_charge_value + e_tax + delivery_fee
    discount_rate = money(total_discount * _HUNDRED / subtotal if subtotal else _ZERO)

    return Totals(
        lines=line_totals,
        original_subtotal=money(original_subtotal),
        subtotal=money(subtotal),
        gift_total=money(gift_total),
        total_discount=money(total_discount),
        discount_rate=discount_rate,
        service_charge_value=money(service_charge_value),
        delivery_fee=delivery_fee,
        i_tax=money(i_tax),
        e_tax=money(e_tax),
        total_tax=money(total_tax),
        total=money(max(total, _ZERO)),
    )


# --- payments ----------------------------------------------------------------------------


def check_payments(total: Decimal, amounts: Sequence[Decimal]) -> None:
    """Check that the payment amounts settle ``total`` exactly (spec §4.5, §12.5, §12.6).

    Both sides are rounded to cents first, so ``8.5`` pays ``8.50``. Raises
    :class:`PaymentsMismatch` when there is no payment, an amount is negative or not a
    number, or the sum differs from the total; the message names both numbers.
    """
    if not amounts:
        raise PaymentsMismatch("At least one payment method amount is required")
    for amount in amounts:
        if not amount.is_finite() or amount < 0:
            raise PaymentsMismatch(f"Payment amount must not be negative, got {amount}")
    paid = money(sum(amounts, _ZERO))
    expected = money(total)
    if paid != expected:
        raise PaymentsMismatch(
            f"The sum of payment amounts ({paid}) does not equal the total ({expected})"
        )
