"""The refund preview a seller confirms on an order page: per line what the buyer paid and what
this refund returns, with its tax and who gets it back (the buyer or Meta)."""

from __future__ import annotations

from dataclasses import dataclass

from kernel.money import Money
from orders.money.ledger import ledgers
from orders.money.lines import figures_of


@dataclass
class PreviewLine:
    title: str
    quantity: int
    list_price: Money
    seller_discount: Money
    meta_discount: Money
    net_paid: Money
    refund: Money
    refund_units: int
    tax: Money
    meta_part: Money
    buyer_part: Money
    left: Money


@dataclass
class RefundPreview:
    currency: str
    by_amount: bool
    lines: list[PreviewLine]
    shipping: Money
    shipping_tax: Money
    deduction: Money
    items: Money
    tax: Money
    total: Money
    meta_part: Money
    buyer_part: Money


def refund_preview(order, plan) -> RefundPreview:
    """The seller's confirmation table for an orders.money.refunds.RefundPlan: per line the list price,
    the seller's and Meta's discounts, what the buyer paid and what this refund returns (with its
    tax and who gets it back), then shipping and the totals."""
    cur = order.currency

    def m(minor: int) -> Money:
        return Money(minor, cur)

    lines = []
    for line in plan.lines:
        f = figures_of(line.item)
        lines.append(PreviewLine(
            title=line.item.title, quantity=f.quantity, list_price=m(f.list_minor),
            seller_discount=m(f.seller_discount_minor), meta_discount=m(f.meta_discount_minor),
            net_paid=m(f.net_paid_minor), refund=m(line.amount_minor), refund_units=line.quantity,
            tax=m(line.tax_minor), meta_part=m(line.meta_minor),
            buyer_part=m(line.buyer_minor), left=m(line.left_minor)))
    return RefundPreview(
        currency=cur, by_amount=plan.by_amount, lines=lines, shipping=m(plan.shipping_minor),
        shipping_tax=m(plan.shipping_tax_minor), deduction=m(plan.deduction_minor), items=m(plan.subtotal_minor),
        tax=m(plan.tax_minor), total=m(plan.total_minor), meta_part=m(plan.meta_minor),
        buyer_part=m(plan.total_minor - plan.meta_minor))


def refund_amounts_for_units(order, units: dict[int, int]) -> dict[int, int]:
    """{item pk: amount} refunding the chosen units of each line by amount (orders with
    order-level offers, which Meta refunds by amount only)."""
    books = ledgers(order)
    return {pk: books[pk].amount_for_units(k) for pk, k in units.items() if k and pk in books}
