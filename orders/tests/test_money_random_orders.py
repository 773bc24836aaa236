"""Random orders against the sandbox (issue 11, "Done when"): 1-7 lines of 1-5 units in JPY, USD or
KWD, with every kind of offer (seller- and Meta-funded order offers, item offers, buy X get Y,
free shipping), tax and shipping, then shipments, cancellations and refunds in a random order
through the order services and their pushes. After every step our figures equal the sandbox's
(which computes Meta's side with its own code), and at the end:

- the buyer's refunds never exceed what the buyer paid;
- every line whose shipped units are refunded returned exactly what was paid for them, tax and
  Meta's part included, and the cancelled units carried the rest: no minor unit is stranded;
- the next poll finds no disagreement (`MoneyCheck`) between Meta's figures and ours.

Seeded, so a failure names the seed that reproduces it.
"""

from __future__ import annotations

import random

import pytest

from kernel.money import Money
from orders import services
from orders.models import MoneyCheck, Order
from orders.money.ledger import ledgers

CURRENCIES = {"USD": (2, ["10.00", "9.99", "0.01", "3.33", "19.99", "1.50"]),
              "JPY": (0, ["1000", "980", "1", "333", "1501"]),
              "KWD": (3, ["1.234", "0.999", "5.003", "10.000", "0.001"])}


def minor(text, currency: str) -> int:
    return Money.from_decimal(str(text), currency).minor


def random_order(rng: random.Random) -> dict:
    currency = rng.choice(sorted(CURRENCIES))
    _, prices = CURRENCIES[currency]
    n = rng.randint(1, 7)
    items = [{"retailer_id": f"R{i}", "quantity": rng.randint(1, 5), "price": rng.choice(prices),
              "product_name": f"Product {i}"} for i in range(n)]
    discounts = []
    big = {"USD": "1.00", "JPY": "100", "KWD": "0.500"}[currency]
    if rng.random() < 0.5:
        discounts.append({"type": "order", "amount_off": rng.choice([big, {"USD": "0.01", "JPY": "1",
                                                                           "KWD": "0.001"}[currency]]),
                          "sponsor": "merchant"})
    if rng.random() < 0.4:
        discounts.append({"type": "order", "percent_off": rng.choice(["10", "15", "5"]), "sponsor": "facebook"})
    if rng.random() < 0.3:
        discounts.append({"type": "item", "retailer_id": items[0]["retailer_id"], "percent_off": "15"})
    if rng.random() < 0.3 and items[-1]["quantity"] >= 2:
        discounts.append({"type": "bxgy", "retailer_id": items[-1]["retailer_id"], "get_quantity": 1,
                          "percent_off": rng.choice(["50", "100"])})
    if rng.random() < 0.2:
        discounts.append({"type": "free_shipping"})
    total = sum(minor(i["price"], currency) * i["quantity"] for i in items)
    discounts = [d for d in discounts if d.get("amount_off") is None or minor(d["amount_off"], currency) <= total // 2]
    return {"currency": currency, "items": items, "discounts": discounts,
            "tax_rate": rng.choice(["0", "5", "8.25", "10"]),
            "shipping": {"name": "Standard", "reference_id": "std", "price": rng.choice(["0", big])}}


def sandbox_items(meta_shop, placed) -> dict:
    return {i["id"]: i for i in meta_shop.meta(placed["id"])["items"]}


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(16))
def test_random_orders_agree_with_meta_and_strand_nothing(meta_shop, seed):
    rng = random.Random(seed)
    spec = random_order(rng)
    cur = spec["currency"]
    placed = meta_shop.place(**spec)
    meta_shop.poll()
    order = meta_shop.local(placed["id"])
    shop = order.shop
    by_amount = order.has_order_level_offers
    for step in range(40):
        order = Order.objects.get(pk=order.pk)
        items = list(order.items.order_by("position"))
        books = ledgers(order, items)
        open_lines = [it for it in items if books[it.pk].open_units]
        refundable = [it for it in items if books[it.pk].refundable_minor]
        choices = (["ship", "cancel"] if open_lines else []) + (["refund"] if refundable else [])
        if not choices:
            break
        move = rng.choice(choices)
        if move in ("ship", "cancel"):
            item = rng.choice(open_lines)
            k = rng.randint(1, books[item.pk].open_units)
            if move == "ship":
                services.ship(shop, order.pk, quantities={item.pk: k}, carrier="UPS", tracking_number=f"1Z{step}")
            else:
                services.cancel(shop, order.pk, quantities={item.pk: k}, reason_code="OUT_OF_STOCK", restock=False)
        else:
            item = rng.choice(refundable)
            book = books[item.pk]
            left = book.refundable_minor
            if by_amount or book.refunded_minor != book.amount_of_units_refunded() or rng.random() < 0.4:
                amount = left if rng.random() < 0.4 else rng.randint(1, left)
                kwargs = {"amounts": {item.pk: amount}}
            else:
                kwargs = {"quantities": {item.pk: rng.randint(1, book.refundable_units)}}
            plan = services.preview_refund(order, **kwargs)
            services.refund(shop, order.pk, reason_code="QUALITY_ISSUE", **kwargs)
            [at_meta] = meta_shop.meta(placed["id"])["refunds"][-1:]
            [line] = plan.lines
            [entry] = [e for e in at_meta["items"] if e["id"] == item.meta_item_id]
            assert (minor(entry["subtotal"], cur), minor(entry["tax"], cur), minor(entry["meta"], cur)) == (
                line.amount_minor, line.tax_minor, line.meta_minor), (seed, step, spec)
        # After every step: what is refundable is Meta's figure.
        order = Order.objects.get(pk=order.pk)
        books = ledgers(order)
        at_meta = sandbox_items(meta_shop, placed)
        for item in order.items.all():
            assert books[item.pk].refundable_minor == minor(at_meta[item.meta_item_id]["available_for_refund"], cur), (
                seed, step, item.title, spec)
    # Everything shipped is refunded: each line returned exactly what was paid for its shipped
    # units, tax and Meta's part included; the cancelled units carried the rest.
    order = Order.objects.get(pk=order.pk)
    books = ledgers(order)
    at_meta = sandbox_items(meta_shop, placed)
    buyer_back = 0
    for item in order.items.all():
        book, meta_item = books[item.pk], at_meta[item.meta_item_id]
        assert book.open_units == 0 and book.refundable_minor == 0
        assert book.refunded_minor == book.paid_minor
        assert book.refunded_tax_minor == book.captured_tax_minor == meta_item.get("captured_tax", 0), (seed, spec)
        assert book.refunded_meta_minor == min(book.meta_fulfilled_minor, book.paid_minor)
        assert minor(meta_item["refunded_meta"], cur) == book.refunded_meta_minor
        buyer_back += book.refunded_minor + book.refunded_tax_minor - book.refunded_meta_minor
    assert order.buyer_paid_minor is not None and buyer_back <= order.buyer_paid_minor, (seed, spec)
    # The next poll brings Meta's figures: no disagreement with ours.
    meta_shop.poll()
    assert not MoneyCheck.objects.filter(order=order).exists(), list(MoneyCheck.objects.filter(order=order))
    assert order.refunds.count() == len(meta_shop.meta(placed["id"])["refunds"])
