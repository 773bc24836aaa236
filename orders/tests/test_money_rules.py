"""Discount allocation over lines and units, and refund shares (META_API §3.5, §3.10; STYLE §18)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel.money import CurrencyMismatch, Money
from orders.money.rules import (
    allocate_order_discount_to_lines,
    allocate_per_unit_meta,
    refund_share,
)

amounts = st.integers(min_value=0, max_value=10**12)
quantities = st.integers(min_value=1, max_value=60)


@st.composite
def refund_steps(draw, quantity_strategy=quantities):
    """A quantity and a sequence of partial refunds (unit counts > 0) that together refund all of it."""
    quantity = draw(quantity_strategy)
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=quantity - 1))) if quantity > 1 else set())
    bounds = [0, *cuts, quantity]
    return quantity, [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def m(minor: int, currency: str = "USD") -> Money:
    return Money(minor, currency)


# --- Meta's per-unit allocation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount", "quantity", "parts"),
    [
        ("USD", 100, 3, [33, 33, 34]),  # META_API §3.5's example: 1.00 over 3 units
        ("USD", 200, 3, [66, 67, 67]),  # cumulative 0.66, 1.33, 2.00
        ("USD", 5, 10, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),  # cumulative floor(0.5 k)
        ("USD", 1000, 1, [1000]),
        ("USD", 0, 4, [0, 0, 0, 0]),
        ("USD", 999, 3, [333, 333, 333]),
        ("JPY", 100, 3, [33, 33, 34]),
        ("JPY", 10, 4, [2, 3, 2, 3]),  # cumulative 2, 5, 7, 10
        ("JPY", 1, 3, [0, 0, 1]),
        ("KWD", 1000, 7, [142, 143, 143, 143, 143, 143, 143]),  # cumulative 142, 285, 428, ...
        ("KWD", 10000, 3, [3333, 3333, 3334]),
        ("USD", -100, 3, [-33, -33, -34]),  # a negative adjustment mirrors a positive one
    ],
)
def test_allocate_per_unit_meta_table(currency, amount, quantity, parts):
    assert allocate_per_unit_meta(amount, quantity) == parts
    assert allocate_per_unit_meta(Money(amount, currency), quantity) == [Money(p, currency) for p in parts]


def test_allocate_per_unit_meta_matches_metas_documented_example():
    parts = allocate_per_unit_meta(Money.from_decimal("1.00", "USD"), 3)
    assert [p.to_decimal_str() for p in parts] == ["0.33", "0.33", "0.34"]


@pytest.mark.parametrize(
    ("amount", "quantity", "error"),
    [(100, 0, ValueError), (100, -1, ValueError), (100, 1.0, TypeError), (1.0, 3, TypeError), (100, True, TypeError)],
)
def test_allocate_per_unit_meta_rejects(amount, quantity, error):
    with pytest.raises(error):
        allocate_per_unit_meta(amount, quantity)


@settings(deadline=None)  # shared CI machines: judge results, not speed
@given(amounts, quantities)
def test_per_unit_parts_sum_and_each_is_floor_or_ceil_of_the_average(amount, quantity):
    parts = allocate_per_unit_meta(amount, quantity)
    assert len(parts) == quantity
    assert sum(parts) == amount
    low, high = amount // quantity, -(-amount // quantity)
    assert all(low <= p <= high for p in parts)
    # Cumulative: the first k units hold floor(amount * k / n).
    for k in range(1, quantity):
        assert sum(parts[:k]) == amount * k // quantity
    assert allocate_per_unit_meta(amount, quantity) == parts


# --- order discount over lines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "discount", "lines", "parts"),
    [
        ("USD", 400, [200, 200, 200], [134, 133, 133]),  # STYLE §18
        ("USD", 1000, [2999, 1, 7000], [300, 0, 700]),  # 299.9 / 0.1 / 700.0: .9 wins
        ("USD", 6000, [6000, 0], [6000, 0]),  # the whole line may be discounted, never more
        ("JPY", 1000, [3000, 2000, 1000], [500, 333, 167]),
        ("JPY", 0, [100, 200], [0, 0]),
        ("KWD", 1000, [500, 250, 250], [500, 250, 250]),
        ("KWD", 2, [1000, 1000, 1000], [1, 1, 0]),
    ],
)
def test_allocate_order_discount_to_lines_table(currency, discount, lines, parts):
    assert allocate_order_discount_to_lines(discount, lines) == parts
    result = allocate_order_discount_to_lines(Money(discount, currency), [Money(x, currency) for x in lines])
    assert result == [Money(p, currency) for p in parts]


@pytest.mark.parametrize(
    ("discount", "lines", "error"),
    [
        (601, [200, 200, 200], ValueError),  # more than the order
        (-1, [200], ValueError),
        (100, [200, -50], ValueError),
        (100, [0, 0], ValueError),
        (m(100), [m(200), m(200, "EUR")], CurrencyMismatch),
        (m(100), [200, 200], TypeError),
        (100, [], ValueError),
    ],
)
def test_allocate_order_discount_to_lines_rejects(discount, lines, error):
    with pytest.raises(error):
        allocate_order_discount_to_lines(discount, lines)


@settings(deadline=None)  # shared CI machines: judge results, not speed
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=10).filter(any), st.data())
def test_line_discounts_sum_and_never_exceed_their_line(lines, data):
    discount = data.draw(st.integers(min_value=0, max_value=sum(lines)))
    parts = allocate_order_discount_to_lines(discount, lines)
    assert sum(parts) == discount
    assert all(0 <= p <= b for p, b in zip(parts, lines, strict=True))
    assert allocate_order_discount_to_lines(discount, lines) == parts


# --- refunds -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "paid", "quantity", "k", "already", "share"),
    [
        ("USD", 1000, 3, 1, 0, 333),
        ("USD", 1000, 3, 1, 1, 333),
        ("USD", 1000, 3, 1, 2, 334),  # the last unit returns the rounding remainder
        ("USD", 1000, 3, 2, 0, 666),
        ("USD", 1000, 3, 3, 0, 1000),
        ("USD", 1000, 3, 0, 1, 0),
        ("JPY", 1000, 3, 1, 0, 333),
        ("JPY", 1000, 3, 2, 1, 667),
        ("KWD", 10000, 3, 2, 0, 6666),
        ("KWD", 10000, 3, 1, 2, 3334),
    ],
)
def test_refund_share_table(currency, paid, quantity, k, already, share):
    assert refund_share(paid, quantity, k, already=already) == share
    assert refund_share(Money(paid, currency), quantity, k, already=already) == Money(share, currency)


@pytest.mark.parametrize(
    ("quantity", "k", "already", "error"),
    [(3, 4, 0, ValueError), (3, 2, 2, ValueError), (3, -1, 0, ValueError), (3, 1, -1, ValueError),
     (0, 0, 0, ValueError), (3, 1.0, 0, TypeError), (3, 1, None, TypeError)],
)  # fmt: skip
def test_refund_share_rejects(quantity, k, already, error):
    with pytest.raises(error):
        refund_share(1000, quantity, k, already=already)


@settings(deadline=None)  # shared CI machines: judge results, not speed
@given(amounts, refund_steps())
def test_partial_refunds_always_return_exactly_the_line_total(paid, plan):
    quantity, steps = plan
    refunded, already = [], 0
    for k in steps:
        refunded.append(refund_share(paid, quantity, k, already=already))
        already += k
    assert sum(refunded) == paid
    assert all(r >= 0 for r in refunded)
    # Refunding unit by unit returns what Meta allocates to each unit.
    assert [refund_share(paid, quantity, 1, already=i) for i in range(quantity)] == allocate_per_unit_meta(
        paid, quantity
    )
