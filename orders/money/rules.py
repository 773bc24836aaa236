"""The splitting rules of order money, to the minor unit: how discounts and refunds are split.

Two rules, each used where it belongs (DESIGN §7):

- **Ours, across lines: largest remainder** (`kernel.money.allocate`, STYLE §18). An order-level
  discount is spread over the lines in proportion to their base totals:
  `allocate_order_discount_to_lines`.
- **Meta's, across units: cumulative, remainder on the last unit** (META_API §3.5). Meta does not
  put order-level offers into `price_per_unit`; it allocates them when units are fulfilled or
  cancelled and reports `promotion_allocations` on `/payments` and `/cancellations` items
  (META_API §3.5, §3.6). Meta's own figures are the truth; `allocate_per_unit_meta` only
  previews them. The same cumulative rule splits refunds of part of a line (`refund_share`;
  META_API §3.10), so refunding every unit, in any number of steps, returns exactly what was
  paid for the line. A refund's tax and Meta part are `orders.money.ledger`.

The cumulative rule: after k of n units, the amount allocated so far is
`floor(amount * k / n)` (rounded toward zero for negative amounts), and all of it once k == n.
One unit's share is the difference between consecutive cumulative figures, so the rounding
remainder lands on the last unit: 1.00 over 3 units is 0.33, 0.33, 0.34. Meta documents only
"cumulative allocation, remainder on last unit" and that example; this is the reading that
matches both (a flat floor per unit with the whole remainder on the last unit agrees for 1.00/3
but is not cumulative, and differs for 2.00/3: 0.66, 0.66, 0.68 instead of 0.66, 0.67, 0.67).

The allocation functions take `Money` or plain ints (minor units) and return the same kind;
`cumulative` and `units_share` work on plain ints (the figures stored on order rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, overload

from kernel.money import CurrencyMismatch, Money, allocate

Amount = TypeVar("Amount", Money, int)


def _minor(amount: Money | int, what: str) -> int:
    if isinstance(amount, Money):
        return amount.minor
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be Money or an int of minor units, not {type(amount).__name__}")
    return amount


def _like(template: Money | int, minor: int) -> Money | int:
    return Money(minor, template.currency) if isinstance(template, Money) else minor


def _check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"quantity must be an int, not {type(quantity).__name__}")
    if quantity < 1:
        raise ValueError(f"quantity must be at least 1, got {quantity}.")
    return quantity


def cumulative(total: int, whole: int, part: int) -> int:
    """`total` × part/whole rounded down; exactly `total` once part reaches whole (non-negative
    amounts: a line's value, its tax, an offer's share of it)."""
    if whole <= 0:
        return 0
    if part >= whole:
        return total
    return total * max(part, 0) // whole


def units_share(total: int, quantity: int, start: int, count: int) -> int:
    """Meta's per-unit share of `total` for units start .. start+count (0-based) of `quantity`."""
    if count <= 0:
        return 0
    return cumulative(total, quantity, start + count) - cumulative(total, quantity, start)


def _cumulative(minor: int, quantity: int, units: int) -> int:
    """Amount allocated to the first `units` of `quantity` units (toward zero; exact at the end)."""
    if units == quantity:
        return minor
    share = abs(minor) * units // quantity
    return -share if minor < 0 else share


@overload
def allocate_per_unit_meta(amount: Money, quantity: int) -> list[Money]: ...
@overload
def allocate_per_unit_meta(amount: int, quantity: int) -> list[int]: ...
def allocate_per_unit_meta(amount: Money | int, quantity: int) -> list[Money] | list[int]:
    """Meta's per-unit split of an order-level promotion over a line's units (META_API §3.5).

    "Cumulative allocation, remainder on last unit": unit i (1-based) gets
    floor(amount*i/n) - floor(amount*(i-1)/n), and the last unit whatever completes the amount.
    `allocate_per_unit_meta(Money.from_decimal("1.00", "USD"), 3)` → 0.33, 0.33, 0.34.
    Use it to preview what Meta will report in `promotion_allocations`; Meta's figures win.
    """
    minor = _minor(amount, "amount")
    _check_quantity(quantity)
    parts = [_cumulative(minor, quantity, k) - _cumulative(minor, quantity, k - 1) for k in range(1, quantity + 1)]
    return [_like(amount, part) for part in parts]  # type: ignore[return-value]


@overload
def allocate_order_discount_to_lines(discount: Money, line_totals: Sequence[Money]) -> list[Money]: ...
@overload
def allocate_order_discount_to_lines(discount: int, line_totals: Sequence[int]) -> list[int]: ...
def allocate_order_discount_to_lines(
    discount: Money | int, line_totals: Sequence[Money] | Sequence[int]
) -> list[Money] | list[int]:
    """Spread an order-level discount over lines by largest remainder of their base totals.

    STYLE §18: 400 over three lines of 200 gives 134/133/133. Needs 0 <= discount <= sum of the
    line totals and no negative line, so every line's part lies between 0 and its own total
    (a part never exceeds ceil(share) <= line total). Ties go to the earlier line: pass the lines
    in a stable order (by line id).
    """
    discount_minor = _minor(discount, "discount")
    if isinstance(discount, Money):
        for line in line_totals:
            if not isinstance(line, Money):
                raise TypeError("line_totals must be Money when the discount is Money.")
            if line.currency != discount.currency:
                raise CurrencyMismatch(f"Line total in {line.currency}, discount in {discount.currency}.")
    weights = [_minor(line, "line total") for line in line_totals]
    if any(w < 0 for w in weights):
        raise ValueError("Line totals must not be negative.")
    if not 0 <= discount_minor <= sum(weights):
        raise ValueError("An order discount must lie between zero and the sum of the line totals.")
    return allocate(discount, weights)


def refund_share(line_paid_total: Amount, quantity: int, k: int, *, already: int = 0) -> Amount:
    """What refunding (or cancelling) `k` more of a line's `quantity` units returns.

    `already` is how many units of the line earlier refunds covered. The result is
    cumulative(already + k) - cumulative(already), so any sequence of partial refunds that ends
    with every unit refunded returns exactly `line_paid_total`, and refunding units one by one
    returns what `allocate_per_unit_meta` gives each unit. Example: a line of 3 units paid 10.00:
    refund 1 → 3.33, then 1 more → 3.33, then the last → 3.34.
    """
    minor = _minor(line_paid_total, "line_paid_total")
    _check_quantity(quantity)
    for name, value in (("k", k), ("already", already)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if k < 0 or already < 0 or already + k > quantity:
        raise ValueError(f"Cannot refund {k} more of {quantity} units after {already} were refunded.")
    share = _cumulative(minor, quantity, already + k) - _cumulative(minor, quantity, already)
    return _like(line_paid_total, share)  # type: ignore[return-value]
