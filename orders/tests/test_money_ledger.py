"""Properties of a line's ledger (orders.money.ledger) over random sequences of shipments,
cancellations and refunds in any order: the parts always add up to the whole line, to the minor
unit; refunds never exceed what was paid; refunding everything shipped returns exactly what the
buyer and Meta paid for it, tax included."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from orders.money.ledger import LineLedger
from orders.money.lines import LineFigures


@st.composite
def lines(draw):
    quantity = draw(st.integers(min_value=1, max_value=7))
    unit = draw(st.integers(min_value=0, max_value=100_000))
    total = unit * quantity
    seller = draw(st.integers(min_value=0, max_value=total))
    # Two offers are split over the units each on its own (Meta's rule), so a unit can carry one
    # minor unit more of them together than its price when they take (almost) all of it; leave at
    # least a minor unit per unit when both are there.
    room = total - seller - (quantity if seller else 0)
    meta = draw(st.integers(min_value=0, max_value=room)) if room > 0 else 0
    tax = draw(st.integers(min_value=0, max_value=10_000)) if total > seller else 0
    return LineFigures(quantity=quantity, list_unit_minor=unit, seller_shares={"s": seller} if seller else {},
                       meta_shares={"m": meta} if meta else {}, tax_minor=tax)


def play(line: LineFigures, data) -> tuple[LineLedger, dict]:
    """Ship, cancel and refund the line at random until every unit went and all is refunded."""
    book = LineLedger(line)
    cancelled = {"value": 0, "tax": 0, "meta": 0, "buyer": 0}
    refunded = {"amount": 0, "tax": 0, "meta": 0}
    # Tax of units worth nothing shipped when nothing was left to refund: no refund has carried it yet.
    unrefundable_tax = 0
    while book.open_units or book.refundable_minor:
        moves = (["ship", "cancel"] if book.open_units else []) + (["refund"] if book.refundable_minor else [])
        move = data.draw(st.sampled_from(moves))
        if move == "refund":
            amount = data.draw(st.integers(min_value=1, max_value=book.refundable_minor))
            r = book.refund_of_amount(amount)
            assert 0 <= r.meta_minor <= r.amount_minor and r.tax_minor >= 0
            book.refund(r)
            unrefundable_tax = 0
            refunded = {"amount": refunded["amount"] + r.amount_minor, "tax": refunded["tax"] + r.tax_minor,
                        "meta": refunded["meta"] + r.meta_minor}
            assert book.refunded_minor <= book.paid_minor
            assert book.refunded_tax_minor <= book.captured_tax_minor
            continue
        k = data.draw(st.integers(min_value=1, max_value=book.open_units))
        units = book.ship(k) if move == "ship" else book.cancel(k)
        if move == "ship" and units.value_minor == 0 and book.refundable_minor == 0:
            unrefundable_tax += units.tax_minor
        assert units.units == k and units.net_minor >= 0
        if move == "cancel":
            cancelled = {"value": cancelled["value"] + units.value_minor, "tax": cancelled["tax"] + units.tax_minor,
                         "meta": cancelled["meta"] + units.meta_minor, "buyer": cancelled["buyer"] + units.buyer_minor}
    return book, {"cancelled": cancelled, "refunded": refunded, "unrefundable_tax": unrefundable_tax}


@settings(deadline=None)
@given(lines(), st.data())
def test_no_minor_unit_is_stranded(line, data):
    book, seen = play(line, data)
    cancelled, refunded = seen["cancelled"], seen["refunded"]
    # Shipped and cancelled units together carry exactly the whole line.
    assert book.paid_minor + cancelled["value"] == line.value_minor
    assert book.captured_tax_minor + cancelled["tax"] == line.tax_minor
    assert book.meta_fulfilled_minor + cancelled["meta"] == line.meta_discount_minor
    # Everything shipped was refunded: exactly what was paid for it, tax and Meta's part included.
    assert refunded["amount"] == book.paid_minor
    # Shipped units the offers took to nothing can still carry tax (tax is split by units): Meta
    # refunds such lines by amount only (pre-tax, above zero), so when nothing else is left to
    # refund that tax has no refund to ride on; see test_tax_on_units_worth_nothing_cannot_be_refunded.
    stranded_tax = seen["unrefundable_tax"]
    assert refunded["tax"] == book.captured_tax_minor - stranded_tax
    assert refunded["meta"] == min(book.meta_fulfilled_minor, book.paid_minor)
    # So the buyer got back exactly what they paid: on cancelled units and on refunds.
    buyer_paid_for_shipped = book.paid_minor - book.meta_fulfilled_minor + book.captured_tax_minor
    assert refunded["amount"] + refunded["tax"] - refunded["meta"] + stranded_tax == buyer_paid_for_shipped
    assert cancelled["buyer"] + buyer_paid_for_shipped == line.net_paid_minor + line.tax_minor


def test_tax_on_units_worth_nothing_cannot_be_refunded():
    """Found by the property above: 3 × 2.70 with 8.08 off and 0.01 tax; two units cancelled take
    5.38 of the offer (value 0.02, tax 0.00), the last unit shipped takes the other 2.70 (value 0,
    tax 0.01). Nothing is refundable by amount, so no refund returns that tax."""
    book = LineLedger(LineFigures(quantity=3, list_unit_minor=270, seller_shares={"s": 808}, tax_minor=1))
    gone = book.cancel(2)
    assert (gone.value_minor, gone.tax_minor) == (2, 0)
    book.ship(1)
    assert (book.paid_minor, book.captured_tax_minor, book.refundable_minor) == (0, 1, 0)
    assert book.refund_of_amount(0).tax_minor == 0


@settings(deadline=None)
@given(lines(), st.data())
def test_units_refunded_by_amount_return_exactly_the_shipped_units(line, data):
    book = LineLedger(line)
    book.ship(line.quantity)
    left = line.quantity
    while left:
        k = data.draw(st.integers(min_value=1, max_value=left))
        amount = book.amount_for_units(k)
        book.refund(book.refund_of_amount(amount))
        left -= k
    assert (book.refunded_minor, book.refunded_tax_minor) == (line.value_minor, line.tax_minor)
    assert book.refundable_minor == 0


def test_metas_documented_refundable_amount_after_a_partial_shipment():
    """Build Offers Integration, Step 4: (Price Per Unit) x (Quantity Fulfilled) - (Sum of
    Fulfilled Order Level Promotions) - (Total Refunded). 3 × 10.00 with 1.00 off the order:
    one unit shipped carries 0.33 of the offer, so 9.67 is refundable (not floor(29.00/3) = 9.66)."""
    book = LineLedger(LineFigures(quantity=3, list_unit_minor=1000, seller_shares={"o": 100}))
    shipped = book.ship(1)
    assert shipped.allocations == {"o": 33}
    assert book.refundable_minor == 967
    cancelled = book.cancel(2)
    assert cancelled.allocations == {"o": 67} and cancelled.value_minor == 1933
    # KWD: 3 × 1.000 with 0.001 off, one shipped: 1.000 - floor(0.001/3) = 1.000.
    kwd = LineLedger(LineFigures(quantity=3, list_unit_minor=1000, seller_shares={"o": 1}))
    kwd.ship(1)
    assert kwd.refundable_minor == 1000


def test_units_count_in_the_order_they_went():
    """A cancellation first takes the first units' shares; the shipment after it takes the rest."""
    book = LineLedger(LineFigures(quantity=3, list_unit_minor=1000, seller_shares={"o": 100}, tax_minor=100))
    first = book.cancel(1)
    assert (first.allocations, first.tax_minor) == ({"o": 33}, 33)
    book.ship(2)
    assert book.fulfilled_offers == {"o": 67} and book.captured_tax_minor == 67
    assert book.refundable_minor == 2000 - 67
    # Refunding all of it returns all the captured tax (a partial cancel strands nothing).
    r = book.refund_of_amount(book.refundable_minor)
    assert r.tax_minor == 67
