"""Properties of the refund math (orders.money.lines): any sequence of refunds that covers every
unit returns exactly what the line is worth, split between buyer and Meta exactly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.money.lines import LineFigures, amount_for_units, cancel_units, refund_of_amount, units_covered


@st.composite
def lines(draw):
    quantity = draw(st.integers(min_value=1, max_value=12))
    unit = draw(st.integers(min_value=0, max_value=100_000))
    total = unit * quantity
    seller = draw(st.integers(min_value=0, max_value=total))
    meta = draw(st.integers(min_value=0, max_value=total - seller))
    tax = draw(st.integers(min_value=0, max_value=10_000)) if total > seller else 0  # tax is on the value
    return LineFigures(quantity=quantity, list_unit_minor=unit, seller_shares={"s": seller} if seller else {},
                       meta_shares={"m": meta} if meta else {}, tax_minor=tax)


@settings(deadline=None)
@given(lines(), st.data())
def test_units_refunded_by_amount_in_any_steps_return_exactly_the_line(line, data):
    refunded = meta = tax = 0
    left = line.quantity
    while left:
        k = data.draw(st.integers(min_value=1, max_value=left))
        amount = amount_for_units(line, k, refunded_minor=refunded)
        assert amount == line.value_of_units(units_covered(line, refunded) + k) - refunded
        r = refund_of_amount(line, amount, refunded_minor=refunded)
        assert r.amount_minor >= 0 and r.tax_minor >= 0 and 0 <= r.meta_minor <= r.amount_minor
        refunded, meta, tax, left = refunded + amount, meta + r.meta_minor, tax + r.tax_minor, left - k
    assert (refunded, meta, tax) == (line.value_minor, line.meta_discount_minor, line.tax_minor)


@settings(deadline=None)
@given(lines(), st.data())
def test_an_odd_partial_amount_is_topped_up_to_the_unit(line, data):
    odd = data.draw(st.integers(min_value=0, max_value=line.value_minor))
    rest = amount_for_units(line, line.quantity, refunded_minor=odd)
    assert odd + rest == line.value_minor


@settings(deadline=None)
@given(lines(), st.data())
def test_cancelling_every_unit_gives_the_buyer_back_what_they_paid(line, data):
    start = back = meta = 0
    while start < line.quantity:
        k = data.draw(st.integers(min_value=1, max_value=line.quantity - start))
        c = cancel_units(line, k, start=start)
        back, meta, start = back + c.buyer_minor, meta + c.meta_minor, start + k
    assert (back, meta) == (line.net_paid_minor + line.tax_minor, line.meta_discount_minor)
