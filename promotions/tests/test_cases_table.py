"""Promotions and money, table-driven: 32 hand-computed cases (JPY, USD, KWD; one to seven lines;
remainders; partial refunds in several steps; seller- and Meta-funded offers; free shipping; buy X
get Y), each checked twice:

- `test_case_by_hand`: our own math (orders.money) gives exactly
  the figures written by hand;
- `test_case_end_to_end`: the sandbox's buyer places the order, the orders app ingests it,
  ships, cancels and refunds it through its services and push task, and the sandbox's own
  figures (order totals, `promotion_allocations` of payments and cancellations, refunds and
  their Meta part) and ours (the refund preview, the stored refunds after the next poll, the
  recorded line allocations and Meta's allocations against our preview) all equal the hand
  figures to the minor unit.
The hand-computed money cases (promotions/tests/test_cases_table.py runs them).

Each case is an order a buyer places in the sandbox (`items`, `discounts`, `tax_rate`,
`shipping`: the sandbox's buyer spec) and the figures worked out by hand, in minor units:

- `lines`: per order line (the sandbox appends a buy-X-get-Y line after the others)
  `L(quantity, list unit price, item-level discount on the line, shares, tax, net paid)`, where
  `shares` are the line's shares of the order-level offers on items in the order they are listed
  (funded by `sponsors`), split over lines by largest remainder;
- `totals`: `T(items, seller order discount, shipping charged, tax, total, buyer paid, Meta paid)`;
- `steps`, in order:
  `Ship(units, alloc)` — `alloc[line]` is Meta's `promotion_allocations` for those units, one
  amount per order-level offer (cumulative rule, remainder on the last unit);
  `Cancel(units, alloc, back)` — `back[line]` is what the buyer gets back (price net of every
  offer, plus tax);
  `Refund(units= | amounts=, lines, ship, total)` — `lines[line] = (amount, tax, Meta's part)`;
  `ship = (shipping refunded, its tax)`; `total` the whole refund. Orders with an order-level
  offer on items are refunded by amount (Meta's rule): `units` there become the units' amount.

How each figure was worked out is noted beside the case (cum(T, n, k) = floor(T·k/n), T at k = n).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kernel.money import Money
from orders import services as order_services
from orders.models import Order
from orders.money.ledger import LineLedger, LineRefund
from orders.money.lines import LineFigures, figures_of
from orders.money.preview import refund_amounts_for_units, refund_preview
from orders.money.rules import allocate_order_discount_to_lines, cumulative
from promotions.models import LineAllocation, MetaAllocation
from promotions.orders import pull_meta_allocations, record_order_promotions


@dataclass(frozen=True)
class L:
    quantity: int
    list_unit: int
    item_off: int = 0
    shares: tuple = ()
    tax: int = 0
    net: int = 0


@dataclass(frozen=True)
class T:
    items: int
    discount: int
    shipping: int
    tax: int
    total: int
    buyer: int
    meta: int


@dataclass(frozen=True)
class Ship:
    units: dict
    alloc: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Cancel:
    units: dict
    alloc: dict
    back: dict


@dataclass(frozen=True)
class Refund:
    lines: dict
    total: int
    units: dict | None = None
    amounts: dict | None = None
    ship: tuple = (0, 0)


@dataclass(frozen=True)
class Case:
    id: str
    currency: str
    items: list
    lines: list
    totals: T
    steps: list
    discounts: list = field(default_factory=list)
    sponsors: tuple = ()
    tax_rate: str = "0"
    shipping: str = "0"
    shipping_tax: int = 0


def item(rid: str, quantity: int, price: str) -> dict:
    return {"retailer_id": rid, "quantity": quantity, "price": price, "product_name": f"Product {rid}"}


def order_off(amount: str | None = None, percent: str | None = None, sponsor: str = "merchant") -> dict:
    d = {"type": "order", "sponsor": sponsor}
    d.update({"amount_off": amount} if amount else {"percent_off": percent})
    return d


FREE_SHIPPING = {"type": "free_shipping"}
M, F = "merchant", "facebook"

CASES = [
    # 1.00 over 3 units of 10.00: value 2900; units by cum(2900, 3, k): 966, 1933, 2900.
    Case("usd-order-amount-unit-by-unit", "USD", [item("A", 3, "10.00")], discounts=[order_off("1.00")], sponsors=(M,),
         lines=[L(3, 1000, shares=(100,), net=2900)], totals=T(3000, 100, 0, 0, 2900, 2900, 0),
         steps=[Ship({0: 3}, {0: [100]}), Refund({0: (966, 0, 0)}, 966, units={0: 1}),
                Refund({0: (967, 0, 0)}, 967, units={0: 1}), Refund({0: (967, 0, 0)}, 967, units={0: 1})]),
    # Same in yen, two steps: cum(2900, 3, 2) = 1933, then 967.
    Case("jpy-order-amount-two-steps", "JPY", [item("A", 3, "1000")], discounts=[order_off("100")], sponsors=(M,),
         lines=[L(3, 1000, shares=(100,), net=2900)], totals=T(3000, 100, 0, 0, 2900, 2900, 0),
         steps=[Ship({0: 3}, {0: [100]}), Refund({0: (1933, 0, 0)}, 1933, units={0: 2}),
                Refund({0: (967, 0, 0)}, 967, units={0: 1})]),
    # 10% of 8.638 = 0.863 (down); cum(863,7,3) = 369 then 494; value 7775: cum 3 → 3332, 5 → 5553.
    Case("kwd-order-percent-seven-units", "KWD", [item("A", 7, "1.234")], discounts=[order_off(percent="10")],
         sponsors=(M,), lines=[L(7, 1234, shares=(863,), net=7775)], totals=T(8638, 863, 0, 0, 7775, 7775, 0),
         steps=[Ship({0: 3}, {0: [369]}), Ship({0: 4}, {0: [494]}), Refund({0: (3332, 0, 0)}, 3332, units={0: 3}),
                Refund({0: (2221, 0, 0)}, 2221, units={0: 2}), Refund({0: (2222, 0, 0)}, 2222, units={0: 2})]),
    # STYLE §18: 4.00 over three lines of 2.00 → 134/133/133.
    Case("usd-three-lines-largest-remainder", "USD", [item("A", 1, "2.00"), item("B", 1, "2.00"), item("C", 1, "2.00")],
         discounts=[order_off("4.00")], sponsors=(M,),
         lines=[L(1, 200, shares=(134,), net=66), L(1, 200, shares=(133,), net=67), L(1, 200, shares=(133,), net=67)],
         totals=T(600, 400, 0, 0, 200, 200, 0),
         steps=[Ship({0: 1, 1: 1, 2: 1}, {0: [134], 1: [133], 2: [133]}), Refund({0: (66, 0, 0)}, 66, units={0: 1}),
                Refund({1: (67, 0, 0), 2: (67, 0, 0)}, 134, units={1: 1, 2: 1})]),
    # Meta funds 10% of 29.97 = 2.99; each unit refunds 9.99, Meta's part cum(299·r/2997): 99, 199, 299.
    Case("usd-meta-percent-three-steps", "USD", [item("A", 3, "9.99")], discounts=[order_off(percent="10", sponsor=F)],
         sponsors=(F,), lines=[L(3, 999, shares=(299,), net=2698)], totals=T(2997, 0, 0, 0, 2997, 2698, 299),
         steps=[Ship({0: 3}, {0: [299]}), Refund({0: (999, 0, 99)}, 999, units={0: 1}),
                Refund({0: (999, 0, 100)}, 999, units={0: 1}), Refund({0: (999, 0, 100)}, 999, units={0: 1})]),
    # 300 (seller) → 225/75 and 10% = 400 (Meta) → 300/100 over 3000/1000; A's value 2775:
    # cum(2775,2,1) = 1387, Meta's part floor(300·1387/2775) = 149.
    Case("jpy-seller-and-meta-two-lines", "JPY", [item("A", 2, "1500"), item("B", 1, "1000")],
         discounts=[order_off("300"), order_off(percent="10", sponsor=F)], sponsors=(M, F),
         lines=[L(2, 1500, shares=(225, 300), net=2475), L(1, 1000, shares=(75, 100), net=825)],
         totals=T(4000, 300, 0, 0, 3700, 3300, 400),
         steps=[Ship({0: 1}, {0: [112, 150]}), Ship({0: 1, 1: 1}, {0: [113, 150], 1: [75, 100]}),
                Refund({0: (1387, 0, 149)}, 1387, units={0: 1}), Refund({1: (925, 0, 100)}, 925, units={1: 1}),
                Refund({0: (1388, 0, 151)}, 1388, units={0: 1})]),
    # Free shipping lowers shipping only: items refund by quantity, no shipping to refund.
    Case("usd-free-shipping-quantity-refunds", "USD", [item("A", 2, "12.50")], discounts=[FREE_SHIPPING],
         shipping="5.00", lines=[L(2, 1250, net=2500)], totals=T(2500, 0, 0, 0, 2500, 2500, 0),
         steps=[Ship({0: 2}), Refund({0: (1250, 0, 0)}, 1250, units={0: 1}),
                Refund({0: (1250, 0, 0)}, 1250, units={0: 1})]),
    # Buy 2 get 1 half price: 9.99 − floor(4.995) = 5.00 on a second line of the same product.
    Case("usd-bxgy-half-price", "USD", [item("A", 2, "9.99")],
         discounts=[{"type": "bxgy", "retailer_id": "A", "get_quantity": 1, "percent_off": "50"}],
         lines=[L(2, 999, net=1998), L(1, 999, item_off=499, net=500)], totals=T(2498, 0, 0, 0, 2498, 2498, 0),
         steps=[Ship({0: 2, 1: 1}), Refund({1: (500, 0, 0)}, 500, units={1: 1}),
                Refund({0: (999, 0, 0)}, 999, units={0: 1})]),
    # 30% off the third: 2.500 − 0.750; tax 5%: 0.250 and half-up(87.5) = 0.088.
    Case("kwd-bxgy-thirty-percent-with-tax", "KWD", [item("A", 2, "2.500")], tax_rate="5",
         discounts=[{"type": "bxgy", "retailer_id": "A", "get_quantity": 1, "percent_off": "30"}],
         lines=[L(2, 2500, tax=250, net=5000), L(1, 2500, item_off=750, tax=88, net=1750)],
         totals=T(6750, 0, 0, 338, 7088, 7088, 0),
         steps=[Ship({0: 2, 1: 1}), Refund({1: (1750, 88, 0)}, 1838, units={1: 1}),
                Refund({0: (2500, 125, 0)}, 2625, units={0: 1})]),
    # Tax 8.25%: half-up(247.5) = 2.48 on items, half-up(41.25) = 0.41 on shipping; refunded tax
    # cum(248, 3000, 1000·k): 82, 165, 248.
    Case("usd-tax-and-shipping-three-steps", "USD", [item("A", 3, "10.00")], tax_rate="8.25", shipping="5.00",
         shipping_tax=41, lines=[L(3, 1000, tax=248, net=3000)], totals=T(3000, 0, 500, 289, 3789, 3789, 0),
         steps=[Ship({0: 3}), Refund({0: (1000, 82, 0)}, 1082, units={0: 1}),
                Refund({0: (1000, 83, 0)}, 1083, units={0: 1}),
                Refund({0: (1000, 83, 0)}, 1624, units={0: 1}, ship=(500, 41))]),
    # 1000 over 100..700 (2800): floors 35,71,107,142,178,214,250 (997); the 3 left go to the
    # largest remainders 2400, 2000, 1600 (lines 4, 1, 5).
    Case("jpy-seven-lines", "JPY", [item(f"P{i}", 1, str(100 * i)) for i in range(1, 8)],
         discounts=[order_off("1000")], sponsors=(M,),
         lines=[L(1, 100, shares=(36,), net=64), L(1, 200, shares=(71,), net=129), L(1, 300, shares=(107,), net=193),
                L(1, 400, shares=(143,), net=257), L(1, 500, shares=(179,), net=321),
                L(1, 600, shares=(214,), net=386), L(1, 700, shares=(250,), net=450)],
         totals=T(2800, 1000, 0, 0, 1800, 1800, 0),
         steps=[Ship({i: 1 for i in range(7)}, {0: [36], 1: [71], 2: [107], 3: [143], 4: [179], 5: [214], 6: [250]}),
                Refund({3: (257, 0, 0)}, 257, units={3: 1}),
                Refund({6: (450, 0, 0), 0: (64, 0, 0)}, 514, units={6: 1, 0: 1})]),
    # 15% of 64.98 = 9.74 over 19.99/29.99/4.99/10.00/0.01: floors 299,449,74,149,0, remainders
    # 4124,3424,5174,5798,974 → +1 to lines 4, 3, 1. A partial amount, then the rest by units.
    Case("usd-five-lines-partial-then-rest", "USD",
         [item("A", 1, "19.99"), item("B", 1, "29.99"), item("C", 1, "4.99"), item("D", 1, "10.00"),
          item("E", 1, "0.01")], discounts=[order_off(percent="15")], sponsors=(M,),
         lines=[L(1, 1999, shares=(300,), net=1699), L(1, 2999, shares=(449,), net=2550),
                L(1, 499, shares=(75,), net=424), L(1, 1000, shares=(150,), net=850), L(1, 1, shares=(0,), net=1)],
         totals=T(6498, 974, 0, 0, 5524, 5524, 0),
         steps=[Ship({i: 1 for i in range(5)}, {0: [300], 1: [449], 2: [75], 3: [150], 4: [0]}),
                Refund({1: (1000, 0, 0)}, 1000, amounts={1: 1000}), Refund({1: (1550, 0, 0)}, 1550, units={1: 1}),
                Refund({4: (1, 0, 0)}, 1, units={4: 1})]),
    # 5.00 over 7 units: cum 71,142,214,285,357,428,500. Ship 2 (142), cancel 1 (72; the buyer
    # gets 10.00 − 0.72), ship 4 (286). Paid for the 6 shipped units (Meta, Step 4): 6000 − 428 =
    # 5572; refunds by twos: cum(5572, 6, k) = 1857, 3714, then the 1858 left (issue 11, defect 2:
    # this case used to stop at 5571, a minor unit short of Meta's figure).
    Case("usd-seven-units-ship-cancel-refund", "USD", [item("A", 7, "10.00")], discounts=[order_off("5.00")],
         sponsors=(M,), lines=[L(7, 1000, shares=(500,), net=6500)], totals=T(7000, 500, 0, 0, 6500, 6500, 0),
         steps=[Ship({0: 2}, {0: [142]}), Cancel({0: 1}, {0: [72]}, {0: 928}), Ship({0: 4}, {0: [286]}),
                Refund({0: (1857, 0, 0)}, 1857, units={0: 2}), Refund({0: (1857, 0, 0)}, 1857, units={0: 2}),
                Refund({0: (1858, 0, 0)}, 1858, units={0: 2})]),
    # 1.100 (seller) over 3000/2997/5003 = 300, 299.7, 500.3 → 300/300/500; 5% (Meta) = 0.550 →
    # 150, 149.85, 250.15 → 150/150/250. B's value 2697: cum 899, Meta floor(150·899/2697) = 50.
    Case("kwd-three-lines-seller-and-meta", "KWD", [item("A", 2, "1.500"), item("B", 3, "0.999"), item("C", 1, "5.003")],
         discounts=[order_off("1.100"), order_off(percent="5", sponsor=F)], sponsors=(M, F),
         lines=[L(2, 1500, shares=(300, 150), net=2550), L(3, 999, shares=(300, 150), net=2547),
                L(1, 5003, shares=(500, 250), net=4253)], totals=T(11000, 1100, 0, 0, 9900, 9350, 550),
         steps=[Ship({0: 2, 1: 3, 2: 1}, {0: [300, 150], 1: [300, 150], 2: [500, 250]}),
                Refund({1: (899, 0, 50)}, 899, units={1: 1}), Refund({1: (1798, 0, 100)}, 1798, units={1: 2}),
                Refund({2: (4503, 0, 250)}, 4503, units={2: 1}), Refund({0: (1350, 0, 75)}, 1350, units={0: 1})]),
    # Item-level 15%: floor(2.9985) = 2.99 off each unit, inside price_per_unit (17.00).
    Case("usd-item-percent", "USD", [item("A", 3, "19.99")],
         discounts=[{"type": "item", "retailer_id": "A", "percent_off": "15"}],
         lines=[L(3, 1999, item_off=897, net=5100)], totals=T(5100, 0, 0, 0, 5100, 5100, 0),
         steps=[Ship({0: 3}), Refund({0: (3400, 0, 0)}, 3400, units={0: 2}),
                Refund({0: (1700, 0, 0)}, 1700, units={0: 1})]),
    # Item 200 off each A (1000 each), then 150 over 2000/500 = 120/30.
    Case("jpy-item-amount-and-order-amount", "JPY", [item("A", 2, "1200"), item("B", 1, "500")],
         discounts=[{"type": "item", "retailer_id": "A", "amount_off": "200"}, order_off("150")], sponsors=(M,),
         lines=[L(2, 1200, item_off=400, shares=(120,), net=1880), L(1, 500, shares=(30,), net=470)],
         totals=T(2500, 150, 0, 0, 2350, 2350, 0),
         steps=[Ship({0: 2, 1: 1}, {0: [120], 1: [30]}), Refund({0: (940, 0, 0)}, 940, units={0: 1}),
                Refund({1: (470, 0, 0)}, 470, units={1: 1}), Refund({0: (940, 0, 0)}, 940, units={0: 1})]),
    # Tax 10% on the value 29.00 = 2.90 (shipping 3.00: 0.30); 966 refunds floor(290·966/2900) = 96.
    Case("usd-order-amount-tax-and-shipping", "USD", [item("A", 3, "10.00")], discounts=[order_off("1.00")],
         sponsors=(M,), tax_rate="10", shipping="3.00", shipping_tax=30,
         lines=[L(3, 1000, shares=(100,), tax=290, net=2900)], totals=T(3000, 100, 300, 320, 3520, 3520, 0),
         steps=[Ship({0: 3}, {0: [100]}), Refund({0: (966, 96, 0)}, 1062, units={0: 1}),
                Refund({0: (1934, 194, 0)}, 2458, units={0: 2}, ship=(300, 30))]),
    # Meta 20% of 9.999 = 1.999; tax 5% on 9.999 = half-up(499.95) = 0.500; one unit: Meta
    # floor(1999/3) = 666, tax floor(500/3) = 166.
    Case("kwd-meta-percent-with-tax", "KWD", [item("A", 3, "3.333")], discounts=[order_off(percent="20", sponsor=F)],
         sponsors=(F,), tax_rate="5", lines=[L(3, 3333, shares=(1999,), tax=500, net=8000)],
         totals=T(9999, 0, 0, 500, 10499, 8500, 1999),
         steps=[Ship({0: 3}, {0: [1999]}), Refund({0: (3333, 166, 666)}, 3499, units={0: 1}),
                Refund({0: (6666, 334, 1333)}, 7000, units={0: 2})]),
    Case("usd-cancel-then-refund-no-offer", "USD", [item("A", 4, "2.50")], lines=[L(4, 250, net=1000)],
         totals=T(1000, 0, 0, 0, 1000, 1000, 0),
         steps=[Cancel({0: 1}, {0: []}, {0: 250}), Ship({0: 3}), Refund({0: (750, 0, 0)}, 750, units={0: 3})]),
    # Cancelling the first unit takes cum(100,3,1) = 33 of the offer; the 2 shipped get 67.
    Case("usd-cancel-with-order-offer", "USD", [item("A", 3, "10.00")], discounts=[order_off("1.00")], sponsors=(M,),
         lines=[L(3, 1000, shares=(100,), net=2900)], totals=T(3000, 100, 0, 0, 2900, 2900, 0),
         steps=[Cancel({0: 1}, {0: [33]}, {0: 967}), Ship({0: 2}, {0: [67]}),
                Refund({0: (1933, 0, 0)}, 1933, units={0: 2})]),
    Case("jpy-meta-funded-cancel-and-refund", "JPY", [item("A", 2, "1000")],
         discounts=[order_off(percent="10", sponsor=F)], sponsors=(F,), lines=[L(2, 1000, shares=(200,), net=1800)],
         totals=T(2000, 0, 0, 0, 2000, 1800, 200),
         steps=[Cancel({0: 1}, {0: [100]}, {0: 900}), Ship({0: 1}, {0: [100]}),
                Refund({0: (1000, 0, 100)}, 1000, units={0: 1})]),
    Case("kwd-free-shipping-with-tax", "KWD", [item("A", 1, "10.000")], discounts=[FREE_SHIPPING], shipping="2.000",
         tax_rate="5", lines=[L(1, 10000, tax=500, net=10000)], totals=T(10000, 0, 0, 500, 10500, 10500, 0),
         steps=[Ship({0: 1}), Refund({0: (10000, 500, 0)}, 10500, units={0: 1})]),
    # Free shipping and 2.00 over 3000/500: 171.43/28.57 → floors 171/28, remainder 2000 > 1500 → B.
    Case("usd-free-shipping-and-order-amount", "USD", [item("A", 2, "15.00"), item("B", 1, "5.00")],
         discounts=[FREE_SHIPPING, order_off("2.00")], sponsors=(M,), shipping="4.99",
         lines=[L(2, 1500, shares=(171,), net=2829), L(1, 500, shares=(29,), net=471)],
         totals=T(3500, 200, 0, 0, 3300, 3300, 0),
         steps=[Ship({0: 2, 1: 1}, {0: [171], 1: [29]}), Refund({0: (1414, 0, 0)}, 1414, units={0: 1}),
                Refund({1: (471, 0, 0)}, 471, units={1: 1}), Refund({0: (1415, 0, 0)}, 1415, units={0: 1})]),
    # The free line is worth nothing, so the order offer lands on the paid line whole.
    Case("usd-bxgy-free-and-order-amount", "USD", [item("A", 1, "20.00")],
         discounts=[{"type": "bxgy", "retailer_id": "A", "get_quantity": 1, "percent_off": "100"}, order_off("5.00")],
         sponsors=(M,), lines=[L(1, 2000, shares=(500,), net=1500), L(1, 2000, item_off=2000, shares=(0,), net=0)],
         totals=T(2000, 500, 0, 0, 1500, 1500, 0),
         steps=[Ship({0: 1, 1: 1}, {0: [500], 1: [0]}), Refund({0: (1500, 0, 0)}, 1500, units={0: 1})]),
    Case("jpy-bxgy-half", "JPY", [item("A", 2, "1001")],
         discounts=[{"type": "bxgy", "retailer_id": "A", "get_quantity": 1, "percent_off": "50"}],
         lines=[L(2, 1001, net=2002), L(1, 1001, item_off=500, net=501)], totals=T(2503, 0, 0, 0, 2503, 2503, 0),
         steps=[Ship({0: 2, 1: 1}), Refund({1: (501, 0, 0)}, 501, units={1: 1}),
                Refund({0: (2002, 0, 0)}, 2002, units={0: 2})]),
    # 1.00 over six 1.00 lines: 16 each and 4 left, ties to the first lines; Meta 10% = 0.10 each.
    Case("usd-six-lines-seller-and-meta", "USD", [item(f"S{i}", 1, "1.00") for i in range(6)],
         discounts=[order_off("1.00"), order_off(percent="10", sponsor=F)], sponsors=(M, F),
         lines=[L(1, 100, shares=(17, 10), net=73)] * 4 + [L(1, 100, shares=(16, 10), net=74)] * 2,
         totals=T(600, 100, 0, 0, 500, 440, 60),
         steps=[Ship({i: 1 for i in range(6)}, {i: [17 if i < 4 else 16, 10] for i in range(6)}),
                Refund({0: (83, 0, 10)}, 83, units={0: 1}), Refund({5: (84, 0, 10)}, 84, units={5: 1})]),
    # 25% of 2.000 = 0.500 over 0.333/0.333/0.334/1.000: 83.25/83.25/83.5/250 → the one left to line 3.
    Case("kwd-four-lines-percent-partial", "KWD",
         [item("A", 1, "0.333"), item("B", 1, "0.333"), item("C", 1, "0.334"), item("D", 1, "1.000")],
         discounts=[order_off(percent="25")], sponsors=(M,),
         lines=[L(1, 333, shares=(83,), net=250), L(1, 333, shares=(83,), net=250), L(1, 334, shares=(84,), net=250),
                L(1, 1000, shares=(250,), net=750)], totals=T(2000, 500, 0, 0, 1500, 1500, 0),
         steps=[Ship({i: 1 for i in range(4)}, {0: [83], 1: [83], 2: [84], 3: [250]}),
                Refund({3: (300, 0, 0)}, 300, amounts={3: 300}), Refund({3: (450, 0, 0)}, 450, units={3: 1}),
                Refund({0: (250, 0, 0)}, 250, units={0: 1})]),
    # One cent over 2 units: cum(1,2,1) = 0, the cent on the last unit; amounts 5.00 + 4.99 cover
    # the first unit (cum(1999,2,1) = 999), the second unit is the 10.00 left.
    Case("usd-one-cent-offer-amount-steps", "USD", [item("A", 2, "10.00")], discounts=[order_off("0.01")],
         sponsors=(M,), lines=[L(2, 1000, shares=(1,), net=1999)], totals=T(2000, 1, 0, 0, 1999, 1999, 0),
         steps=[Ship({0: 2}, {0: [1]}), Refund({0: (500, 0, 0)}, 500, amounts={0: 500}),
                Refund({0: (499, 0, 0)}, 499, amounts={0: 499}), Refund({0: (1000, 0, 0)}, 1000, units={0: 1})]),
    Case("jpy-tax-and-shipping", "JPY", [item("A", 3, "980")], tax_rate="10", shipping="500", shipping_tax=50,
         lines=[L(3, 980, tax=294, net=2940)], totals=T(2940, 0, 500, 344, 3784, 3784, 0),
         steps=[Ship({0: 3}), Refund({0: (980, 98, 0)}, 1078, units={0: 1}),
                Refund({0: (1960, 196, 0)}, 2706, units={0: 2}, ship=(500, 50))]),
    # Meta funds 0.500 of 7.000: Meta's part cum(500·r/7000): 3000 → 214, 5000 → 357, all → 500.
    Case("kwd-meta-amount-seven-units", "KWD", [item("A", 7, "1.000")], discounts=[order_off("0.500", sponsor=F)],
         sponsors=(F,), lines=[L(7, 1000, shares=(500,), net=6500)], totals=T(7000, 0, 0, 0, 7000, 6500, 500),
         steps=[Ship({0: 7}, {0: [500]}), Refund({0: (3000, 0, 214)}, 3000, units={0: 3}),
                Refund({0: (2000, 0, 143)}, 2000, units={0: 2}), Refund({0: (2000, 0, 143)}, 2000, units={0: 2})]),
    # Two seller offers: 1.00 → 66.67/33.33 → 67/33; 10% = 3.00 → 200/100. A's value 1733.
    Case("usd-two-seller-order-offers", "USD", [item("A", 2, "10.00"), item("B", 1, "10.00")],
         discounts=[order_off("1.00"), order_off(percent="10")], sponsors=(M, M),
         lines=[L(2, 1000, shares=(67, 200), net=1733), L(1, 1000, shares=(33, 100), net=867)],
         totals=T(3000, 400, 0, 0, 2600, 2600, 0),
         steps=[Ship({0: 1}, {0: [33, 100]}), Ship({0: 1, 1: 1}, {0: [34, 100], 1: [33, 100]}),
                Refund({0: (866, 0, 0)}, 866, units={0: 1}), Refund({1: (867, 0, 0)}, 867, units={1: 1}),
                Refund({0: (867, 0, 0)}, 867, units={0: 1})]),
    # Free shipping with a Meta-funded 10% and tax 8% on 50.00 = 4.00.
    Case("usd-meta-funded-free-shipping-tax", "USD", [item("A", 2, "25.00")],
         discounts=[FREE_SHIPPING, order_off(percent="10", sponsor=F)], sponsors=(F,), shipping="6.00", tax_rate="8",
         lines=[L(2, 2500, shares=(500,), tax=400, net=4500)], totals=T(5000, 0, 0, 400, 5400, 4900, 500),
         steps=[Ship({0: 2}, {0: [500]}), Refund({0: (2500, 200, 250)}, 2700, units={0: 1}),
                Refund({0: (2500, 200, 250)}, 2700, units={0: 1})]),
]


# --- runners ------------------------------------------------------------------------------------------


def test_there_are_at_least_thirty_cases_in_three_currencies():
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)
    assert {c.currency for c in CASES} == {"JPY", "USD", "KWD"}
    assert max(len(c.lines) for c in CASES) >= 7 and min(len(c.lines) for c in CASES) == 1


def hand_figures(case: Case) -> list[LineFigures]:
    def shares(line, sponsor):
        return {j: s for j, (s, sp) in enumerate(zip(line.shares, case.sponsors, strict=False)) if sp == sponsor and s}

    return [LineFigures(quantity=line.quantity, list_unit_minor=line.list_unit, item_discount_minor=line.item_off,
                        seller_shares=shares(line, M), meta_shares=shares(line, F), tax_minor=line.tax)
            for line in case.lines]


def aligned(allocations: dict, n: int) -> list[int]:
    return [allocations.get(j, 0) for j in range(n)]


def refund_line(case: Case, book: LineLedger, i: int, step: Refund) -> LineRefund:
    """What the step refunds of line i, on the line's ledger (orders.money.ledger)."""
    if step.amounts is not None:
        return book.refund_of_amount(step.amounts[i])
    k = step.units[i]
    if case.sponsors:  # an order-level offer on items: Meta refunds by amount only
        return book.refund_of_amount(book.amount_for_units(k))
    return book.refund_of_amount(book.amount_of_units(k), quantity=k)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_by_hand(case: Case):
    lines = hand_figures(case)
    n = len(case.sponsors)
    assert [f.net_paid_minor for f in lines] == [line.net for line in case.lines]
    items = sum(f.line_total_minor for f in lines)
    discount = sum(f.order_seller_minor for f in lines)
    meta = sum(f.meta_discount_minor for f in lines)
    tax = sum(f.tax_minor for f in lines) + case.shipping_tax
    total = items - discount + case.totals.shipping + tax
    assert T(items, discount, case.totals.shipping, tax, total, total - meta, meta) == case.totals
    # Our own splits across lines are by largest remainder, and agree with Meta's line shares.
    for j in range(n):
        shares = [line.shares[j] for line in case.lines]
        assert allocate_order_discount_to_lines(sum(shares), [f.line_total_minor for f in lines]) == shares
    books = [LineLedger(f) for f in lines]
    shipping_refunded = 0
    for step in case.steps:
        if isinstance(step, Ship):
            for i, k in step.units.items():
                assert aligned(books[i].ship(k).allocations, n) == step.alloc.get(i, [0] * n), (step, i)
        elif isinstance(step, Cancel):
            for i, k in step.units.items():
                c = books[i].cancel(k)
                assert aligned(c.allocations, n) == step.alloc[i] and c.buyer_minor == step.back[i], (step, i)
        else:
            total = 0
            for i in step.lines:
                r = refund_line(case, books[i], i, step)
                assert (r.amount_minor, r.tax_minor, r.meta_minor) == step.lines[i], (step, i)
                books[i].refund(r)
                total += r.amount_minor + r.tax_minor
            amount = step.ship[0]
            charged = case.totals.shipping
            ship_tax = cumulative(case.shipping_tax, charged, shipping_refunded + amount) - cumulative(
                case.shipping_tax, charged, shipping_refunded)
            assert (amount, ship_tax) == step.ship
            shipping_refunded += amount
            assert total + amount + ship_tax == step.total
    # Refunding a line never returns more than was paid for its shipped units, and a line whose
    # shipped units are all refunded has nothing stranded.
    for book in books:
        assert book.refunded_minor <= book.paid_minor
        if book.refunded_minor == book.paid_minor:
            assert book.refunded_tax_minor == book.captured_tax_minor
            assert book.refunded_meta_minor == min(book.meta_fulfilled_minor, book.paid_minor)


# --- end to end -------------------------------------------------------------------------------------------


def minor(text: str, currency: str) -> int:
    return Money.from_decimal(str(text), currency).minor


def allocations_of(entries: list[dict], index: dict, n: int, currency: str) -> list[int]:
    out = [0] * n
    for entry in entries:
        out[index[entry["promotion_id"]]] = Money.from_meta_amount(entry["allocation_amount"]).minor
    return out


@pytest.fixture
def live_shop(meta_shop):
    meta_shop.poll()  # registers the order management app: orders wait for our acknowledgement
    return meta_shop


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_end_to_end(case: Case, live_shop):
    cur, n = case.currency, len(case.sponsors)
    shop = live_shop.shop
    placed = live_shop.buyer.place(live_shop.cms, currency=cur, items=case.items, discounts=case.discounts,
                                   tax_rate=case.tax_rate,
                                   shipping={"name": "Standard", "reference_id": "std", "price": case.shipping})
    live_shop.poll()
    order = live_shop.local(placed["id"])
    assert order.state == Order.State.IN_PROGRESS
    assert (order.items_subtotal_minor, order.order_discount_minor, order.shipping_minor, order.tax_minor,
            order.total_minor, order.buyer_paid_minor, order.meta_paid_minor) == tuple(vars(case.totals).values())
    items = list(order.items.order_by("position"))
    assert len(items) == len(case.lines)
    for item, line, f in zip(items, case.lines, hand_figures(case), strict=True):
        ours = figures_of(item)
        assert (ours.list_minor, ours.seller_discount_minor, ours.meta_discount_minor, ours.net_paid_minor,
                ours.tax_minor) == (f.list_minor, f.seller_discount_minor, f.meta_discount_minor, line.net, line.tax)
    # The promotions are kept on the order, per line and per unit.
    rows = record_order_promotions(order)
    offers = [p["promotion_id"] for p in placed["promotions"]
              if p["target_granularity"] == "order_level" and p.get("target_type") != "shipping"]
    index = {pid: j for j, pid in enumerate(offers)}
    assert len(offers) == n and len(rows) == len(placed["promotions"])
    for item, line in zip(items, case.lines, strict=True):
        for j, pid in enumerate(offers):
            stored = LineAllocation.objects.filter(promotion__order=order, promotion__promotion_id=pid,
                                                   item=item).first()
            assert (stored.amount_minor if stored else 0) == line.shares[j]
            if stored:
                assert sum(stored.unit_minor) == line.shares[j] and len(stored.unit_minor) == line.quantity
    refund_totals = []
    for number, step in enumerate(case.steps):
        order = Order.objects.get(pk=order.pk)
        items = list(order.items.order_by("position"))
        if isinstance(step, Ship):
            order_services.ship(shop, order.pk, quantities={items[i].pk: k for i, k in step.units.items()},
                                carrier="UPS", tracking_number=f"1Z{number}")
            [payment] = live_shop.meta(placed["id"])["payments"][-1:]
            by_id = {entry["id"]: entry for entry in payment["items"]}
            for i in step.units:
                got = allocations_of(by_id[items[i].meta_item_id]["promotion_allocations"], index, n, cur)
                assert got == step.alloc.get(i, [0] * n), (number, i)
        elif isinstance(step, Cancel):
            order_services.cancel(shop, order.pk, quantities={items[i].pk: k for i, k in step.units.items()},
                                  reason_code="OUT_OF_STOCK", restock=False)
            [cancellation] = live_shop.meta(placed["id"])["cancellations"][-1:]
            by_id = {entry["id"]: entry for entry in cancellation["items"]}
            for i in step.units:
                got = allocations_of(by_id[items[i].meta_item_id]["promotion_allocations"], index, n, cur)
                assert got == step.alloc[i], (number, i)
        else:
            if step.amounts is not None:
                kwargs = {"amounts": {items[i].pk: a for i, a in step.amounts.items()}}
            elif n:
                kwargs = {"amounts": refund_amounts_for_units(order, {items[i].pk: k for i, k in step.units.items()})}
            else:
                kwargs = {"quantities": {items[i].pk: k for i, k in step.units.items()}}
            kwargs["shipping_minor"] = step.ship[0]
            plan = order_services.preview_refund(order, **kwargs)
            preview = refund_preview(order, plan)
            assert preview.total.minor == step.total, number
            by_title = {line.title: line for line in preview.lines}
            for i, (amount, tax, meta) in step.lines.items():
                line = by_title[items[i].title] if len(set(it.title for it in items)) == len(items) else \
                    preview.lines[sorted(step.lines).index(i)]
                assert (line.refund.minor, line.tax.minor, line.meta_part.minor) == (amount, tax, meta), (number, i)
            order_services.refund(shop, order.pk, reason_code="QUALITY_ISSUE", **kwargs)
            [at_meta] = live_shop.meta(placed["id"])["refunds"][-1:]
            assert minor(at_meta["total"], cur) == step.total, number
            assert (minor(at_meta["shipping"], cur), minor(at_meta["meta"], cur)) == (
                step.ship[0], sum(meta for _, _, meta in step.lines.values()))
            by_id = {entry["id"]: entry for entry in at_meta["items"]}
            for i, (amount, tax, meta) in step.lines.items():
                entry = by_id[items[i].meta_item_id]
                assert (minor(entry["subtotal"], cur), minor(entry["tax"], cur), minor(entry["meta"], cur)) == (
                    amount, tax, meta), (number, i)
            refund_totals.append(step.total)
    # After the next poll our records carry Meta's figures: the same, to the minor unit.
    live_shop.poll()
    order = Order.objects.get(pk=order.pk)
    assert [r.total_minor for r in order.refunds.order_by("pk")] == refund_totals
    assert all(r.meta_refund_id for r in order.refunds.all())
    # Meta's promotion_allocations are kept, and agree with our preview of the same units.
    pull_meta_allocations(order)
    kept = list(MetaAllocation.objects.filter(promotion__order=order))
    assert all(a.agrees for a in kept), [(a.amount_minor, a.preview_minor) for a in kept]
    expected_rows = sum(1 for step in case.steps if isinstance(step, (Ship, Cancel)) for i in step.units
                        for j in range(n) if case.lines[i].shares[j])
    assert len(kept) == expected_rows
