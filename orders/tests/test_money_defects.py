"""The seven money defects an independent check found (issue 11), each a class with several
cases, end to end through the seller's own forms against the sandbox: the figure on the review,
what is recorded, what the sandbox received and what it reports back.

Each case failed on the code before the order-money module (orders.money.ledger) replaced the
four copies of the arithmetic; the figures in the comments are worked by hand from Meta's rules
(docs/money.md).
"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from kernel.money import Money
from orders.models import Refund
from orders.tests.seller import Seller, errors_of


def minor(text, currency: str) -> int:
    return Money.from_decimal(str(text), currency).minor


@pytest.fixture
def seller(meta_shop, owner):
    return Seller(meta_shop, owner)


def assert_errors_shown(response) -> list[str]:
    """Every error of the form is on the page the seller sees."""
    messages = errors_of(response)
    assert messages, "expected the form to refuse"
    page = response.content.decode()
    for message in messages:
        assert html.escape(message, quote=True) in page or message in page, message
    return messages


# --- 1. every refusal is visible where the seller acts --------------------------------------------------


def test_1_a_refund_above_what_is_left_on_an_order_level_offer_says_so(seller):
    s = seller.place([("A", 3, "10.00")], discounts=[{"type": "order", "amount_off": "1.00"}])
    s.ship({0: 3})
    response = s.refund(amounts={0: "29.01"}, confirm=False)
    [message] = assert_errors_shown(response)
    assert "29.00" in message


def test_1_a_quantity_refund_of_an_order_refunded_by_amount_only_says_so(seller):
    s = seller.place([("A", 2, "10.00")], discounts=[{"type": "order", "amount_off": "1.00"}])
    s.ship({0: 2})
    response = s.refund(units={0: 1}, confirm=False)
    assert_errors_shown(response)
    assert Refund.objects.count() == 0


def test_1_a_return_shipping_deduction_larger_than_the_refund_says_so(seller):
    s = seller.place([("A", 1, "10.00")])
    s.ship({0: 1})
    response = s.post("refund", {"mode": "quantity", f"item_{s.items[0].pk}": "1", "reason_code": "QUALITY_ISSUE",
                                 "reason_text": "", "shipping": "", "deduction": "11.00"}, confirm=False)
    assert "larger than the refund" in " ".join(assert_errors_shown(response))


def test_1_shipping_or_cancelling_nothing_or_too_much_says_so(seller):
    s = seller.place([("A", 2, "10.00")])
    assert_errors_shown(s.ship({0: 0}, confirm=False))
    assert_errors_shown(s.ship({0: 3}, confirm=False))
    assert_errors_shown(s.cancel({0: 0}, confirm=False))
    assert_errors_shown(s.cancel({0: 5}, confirm=False))


# --- 2. after a partial shipment, all Meta's formula gives is refundable ---------------------------------


@pytest.mark.parametrize("price, quantity, off, ship, paid", [
    # 3 × 10.00, 1.00 off: 2 shipped carry cum(100, 3, 2) = 66 → 20.00 − 0.66 = 19.34 (the old
    # figure cum(2900, 3, 2) = 19.33 was a cent short).
    ("10.00", 3, "1.00", 2, 1934),
    # 7 × 1.000 KWD, 0.500 off: 3 shipped carry floor(500·3/7) = 214 → 3.000 − 0.214 = 2.786.
    ("1.000", 7, "0.500", 3, 2786),
    # ¥1000 × 3, ¥100 off: 1 shipped carries 33 → 967.
    ("1000", 3, "100", 1, 967),
])
def test_2_the_shipped_units_refund_what_meta_says_and_nothing_is_lost_after_a_cancel(
        seller, price, quantity, off, ship, paid):
    currency = {"10.00": "USD", "1.000": "KWD", "1000": "JPY"}[price]
    s = seller.place([("A", quantity, price)], currency=currency, discounts=[{"type": "order", "amount_off": off}])
    s.ship({0: ship})
    assert minor(s.meta_item(0)["available_for_refund"], currency) == paid
    text = Money(paid, currency).to_decimal_str()
    assert text in s.refundable_on_form(0)
    review = s.refund(amounts={0: text})
    assert review.context["plan"].subtotal_minor == paid
    s.cancel({0: quantity - ship})
    # Every minor unit went back: refunded for the shipped units, not charged for the cancelled.
    meta = s.meta()
    assert minor(meta["refunded"]["subtotal"], currency) == paid
    assert minor(s.meta_item(0)["available_for_refund"], currency) == 0
    cancelled_alloc = sum(_alloc(a, currency) for c in meta["cancellations"] for i in c["items"]
                          for a in i["promotion_allocations"])
    line_total = minor(price, currency) * quantity
    assert paid + (line_total - minor(price, currency) * ship) - cancelled_alloc == line_total - minor(off, currency)


# --- 3 and 4. the cancel review: the buyer's part, Meta's part, unit by unit ------------------------------


def _alloc(entry, currency) -> int:
    value = entry["allocation_amount"]
    return minor(value["amount"] if isinstance(value, dict) else value, currency)


@pytest.mark.parametrize("spec, cancel_first, ship_first, buyer, meta_back", [
    # ¥1000 × 2, 10 % Meta-funded (200): cancelling 1 returns ¥900 to the buyer; ¥100 is Meta's.
    ({"items": [("A", 2, "1000")], "currency": "JPY",
      "discounts": [{"type": "order", "percent_off": "10", "sponsor": "facebook"}]}, 1, 0, 900, 100),
    # 3 × 9.99, 10 % Meta-funded (2.99): the first unit carries floor(299/3) = 99 → buyer 9.00.
    ({"items": [("A", 3, "9.99")], "currency": "USD",
      "discounts": [{"type": "order", "percent_off": "10", "sponsor": "facebook"}]}, 1, 0, 900, 99),
    # Same, one unit shipped first: the cancelled unit is the 2nd, cum(299,3,2) − 99 = 100 → 8.99.
    ({"items": [("A", 3, "9.99")], "currency": "USD",
      "discounts": [{"type": "order", "percent_off": "10", "sponsor": "facebook"}]}, 1, 1, 899, 100),
    # 3 × 10.00, 1.00 seller-funded: after 1 shipped (33), the 2nd unit carries 33 → 9.67, Meta 0.
    ({"items": [("A", 3, "10.00")], "currency": "USD", "discounts": [{"type": "order", "amount_off": "1.00"}]},
     1, 1, 967, 0),
    # Two units cancelled after one shipped: cum(100,3,3) − 33 = 67 → 20.00 − 0.67 = 19.33.
    ({"items": [("A", 3, "10.00")], "currency": "USD", "discounts": [{"type": "order", "amount_off": "1.00"}]},
     2, 1, 1933, 0),
    # Seller 1.00 and Meta 10 % on 2 × 10.00 + tax 10 %: the 1st unit: seller 50, Meta 100, tax
    # floor(190·1/2) = 95 (tax on 19.00 after the seller's offer) → 10.00 − 0.50 − 1.00 + 0.95 = 9.45.
    ({"items": [("A", 2, "10.00")], "currency": "USD", "tax_rate": "10",
      "discounts": [{"type": "order", "amount_off": "1.00"}, {"type": "order", "percent_off": "10",
                                                              "sponsor": "facebook"}]}, 1, 0, 945, 100),
])
def test_3_4_the_cancel_review_shows_what_meta_returns_to_the_buyer_and_to_meta(
        seller, spec, cancel_first, ship_first, buyer, meta_back):
    spec = dict(spec)
    s = seller.place(spec.pop("items"), **spec)
    currency = s.order.currency
    if ship_first:
        s.ship({0: ship_first})
    review = s.cancel({0: cancel_first})
    plan = review.context["cancel"]
    assert (plan.buyer.minor, plan.meta.minor) == (buyer, meta_back)
    page = review.content.decode()
    assert Money(buyer, currency).to_decimal_str() in page.split('id="cancel-buyer"')[1][:200]
    if meta_back:
        assert Money(meta_back, currency).to_decimal_str() in page.split('id="cancel-meta"')[1][:200]
    # What the sandbox allocated to the cancelled units is what the review said.
    [cancellation] = s.meta()["cancellations"][-1:]
    [entry] = cancellation["items"]
    sponsors = {p["promotion_id"]: p.get("sponsor") for p in s.placed["promotions"]}
    meta_alloc = sum(_alloc(a, currency) for a in entry["promotion_allocations"]
                     if sponsors.get(a["promotion_id"]) == "facebook")
    seller_alloc = sum(_alloc(a, currency) for a in entry["promotion_allocations"]
                       if sponsors.get(a["promotion_id"]) != "facebook")
    [line] = plan.lines
    assert (line.meta_discount.minor, line.seller_discount.minor) == (meta_alloc, seller_alloc)


# --- 5. after a partial cancel, refunding the rest returns all the tax Meta captured ------------------


@pytest.mark.parametrize("items, rate, cancel, ship", [
    # 3 × 3.33 at 8.25 %: tax on 9.99 = 0.82. Cancel 1 first (27), then the 2 shipped capture 55.
    ([("A", 3, "3.33")], "8.25", 1, 2),
    # 7 × 1.000 KWD at 5 %: 0.350; cancel 3 (150), ship 4 (200).
    ([("A", 7, "1.000")], "5", 3, 4),
    # 3 × 10.00 at 10 % with 1.00 off: tax on 29.00 = 2.90; cancel 1 (96), ship 2 (194).
    ([("A", 3, "10.00")], "10", 1, 2),
])
def test_5_refunding_the_rest_after_a_partial_cancel_returns_every_minor_unit_of_tax(seller, items, rate, cancel,
                                                                                     ship):
    discounts = [{"type": "order", "amount_off": "1.00"}] if items[0][2] == "10.00" else []
    currency = "KWD" if items[0][2] == "1.000" else "USD"
    s = seller.place(items, currency=currency, tax_rate=rate, discounts=discounts)
    s.cancel({0: cancel})
    s.ship({0: ship})
    captured = s.meta_item(0)["captured_tax"]
    line_tax = minor(s.meta_item(0)["tax"], currency)
    left = minor(s.meta_item(0)["available_for_refund"], currency)
    if s.order.has_order_level_offers:
        review = s.refund(amounts={0: Money(left, currency).to_decimal_str()})
    else:
        review = s.refund(units={0: ship})
    assert review.context["plan"].tax_minor == captured
    [refund] = s.meta()["refunds"]
    assert minor(refund["tax"], currency) == captured
    s.m.poll()
    s.order.refresh_from_db()
    # Nothing left to refund, and the cancelled units' tax plus the refunded tax is the whole.
    assert minor(s.meta_item(0)["available_for_refund"], currency) == 0
    item = s.order.items.get()
    from orders.money.ledger import ledger_of

    book = ledger_of(item)
    assert book.refundable_minor == 0 and book.refunded_tax_minor == captured
    assert book.next_units(0).tax_minor == 0
    cancelled_tax = line_tax - book.captured_tax_minor
    assert cancelled_tax + book.refunded_tax_minor == line_tax


# --- 6. a quantity refund after an amount refund is sent as the amount left -----------------------------


@pytest.mark.parametrize("first, then_units, sent", [
    ("5.00", 3, "25.00"),   # 3 units are worth 30.00; 25.00 is left
    ("5.00", 1, "10.00"),   # one unit's worth, within what is left
    ("29.99", 2, "0.01"),
])
def test_6_a_quantity_refund_after_an_amount_refund_sends_the_amount_meta_accepts(seller, first, then_units, sent):
    s = seller.place([("A", 3, "10.00")])
    s.ship({0: 3})
    s.refund(amounts={0: first})
    review = s.refund(units={0: then_units})
    [line] = review.context["plan"].lines
    assert line.by_amount and line.amount_minor == minor(sent, "USD")
    body = s.refund_bodies()[-1]["items"][0]
    assert "item_refund_quantity" not in body
    assert minor(body["item_refund_amount"]["amount"], "USD") == minor(sent, "USD")
    meta = s.meta()
    assert len(meta["refunds"]) == 2 and minor(meta["refunds"][-1]["subtotal"], "USD") == minor(sent, "USD")
    s.m.poll()
    refunds = list(s.order.refunds.order_by("pk"))
    assert [r.total_minor for r in refunds] == [minor(first, "USD"), minor(sent, "USD")]
    assert all(r.meta_refund_id for r in refunds)
    page = s.client.get(reverse("orders:detail", args=[s.shop.pk, s.order.pk])).content.decode()
    assert Money(minor(first, "USD") + minor(sent, "USD"), "USD").to_decimal_str() in page
    assert s.order.failed_pushes == 0


# --- 7. nothing to refund is refused; the free unit can still be returned --------------------------------


@pytest.mark.parametrize("spec", [
    {"items": [("A", 1, "20.00")], "discounts": [{"type": "bxgy", "retailer_id": "A", "get_quantity": 1,
                                                  "percent_off": "100"}]},
    {"items": [("A", 2, "1000")], "currency": "JPY",
     "discounts": [{"type": "bxgy", "retailer_id": "A", "get_quantity": 1, "percent_off": "100"}]},
])
def test_7_the_free_unit_cannot_be_refunded_for_nothing_but_can_be_returned(seller, spec):
    spec = dict(spec)
    s = seller.place(spec.pop("items"), **spec)
    free = len(s.items) - 1
    assert s.items[free].price_per_unit_minor == 0
    s.ship({i: it.quantity for i, it in enumerate(s.items)})
    response = s.refund(units={free: 1}, confirm=False)
    assert "Nothing is left to refund" in " ".join(assert_errors_shown(response))
    assert Refund.objects.count() == 0 and not s.meta()["refunds"]
    # The buyer returns the free unit; the seller accepts the return without a refund.
    s.m.buyer.request_return(s.placed["id"], [{"item_id": s.items[free].meta_item_id, "quantity": 1}])
    import time

    time.sleep(1.1)
    s.m.poll()
    ret = s.order.returns.get()
    from orders import services

    services.decide_return(s.shop, s.order.pk, ret.pk, event="ACCEPT_RETURN", merchant_return_id="RMA-FREE")
    assert s.meta()["returns"][0]["status"] == "APPROVED"
