"""A seller's refund validated and its money computed (`plan_refund`), what is left to refund,
and what a cancellation gives back: the way Meta computes it, so the preview a seller confirms is
what Meta applies, to the minor unit. Meta's own figures win once it reports them.

- A line's value (before tax) is its total minus its share of seller-funded order-level offers;
  refunding all of it returns exactly that. Parts of a line follow Meta's cumulative per-unit
  rule (`orders.money.rules.refund_share`): after k of n units, floor(value·k/n), the rest on
  the last unit.
- Tax comes back in proportion to the value refunded, cumulatively (exact once the line is
  refunded in full). Shipping tax likewise, in proportion to the shipping refunded.
- A Meta-funded offer (Meta paid part of the line) goes back to Meta in proportion
  (`refund_amount_split`); the buyer gets the rest.
- Orders with order-level offers on items are refunded by amount only (META_API §3.10).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kernel.money import Money, format_money
from orders.errors import ActionError
from orders.models import Order, OrderItem
from orders.money.rules import cumulative, refund_amount_split, refund_share


def value_of_units(item: OrderItem, units: int) -> int:
    """Value of the first `units` units of a line (Meta's cumulative rule)."""
    if units <= 0:
        return 0
    return refund_share(item.value_minor, item.quantity, min(units, item.quantity))


def refundable(item: OrderItem) -> int:
    """Value of the line's shipped units not refunded yet (Meta's amount_available_for_refund)."""
    return max(0, value_of_units(item, item.quantity_shipped) - item.refunded_minor)


def refundable_units(item: OrderItem) -> int:
    return max(0, item.quantity_shipped - item.quantity_refunded)


def tax_share(line_tax: int, value: int, before: int, amount: int) -> int:
    return cumulative(line_tax, value, before + amount) - cumulative(line_tax, value, before)


@dataclass
class Line:
    item: OrderItem
    quantity: int = 0
    amount_minor: int = 0
    tax_minor: int = 0
    meta_minor: int = 0


@dataclass
class RefundPlan:
    currency: str
    by_amount: bool
    lines: list[Line] = field(default_factory=list)
    shipping_minor: int = 0
    shipping_tax_minor: int = 0
    deduction_minor: int = 0

    @property
    def subtotal_minor(self) -> int:
        return sum(line.amount_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        return sum(line.tax_minor for line in self.lines) + self.shipping_tax_minor

    @property
    def meta_minor(self) -> int:
        return sum(line.meta_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return self.subtotal_minor + self.shipping_minor + self.tax_minor - self.deduction_minor

    @property
    def buyer_minor(self) -> int:
        return self.total_minor - self.meta_minor

    def m(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def subtotal(self) -> Money:
        return self.m(self.subtotal_minor)

    @property
    def shipping(self) -> Money:
        return self.m(self.shipping_minor)

    @property
    def tax(self) -> Money:
        return self.m(self.tax_minor)

    @property
    def deduction(self) -> Money:
        return self.m(self.deduction_minor)

    @property
    def total(self) -> Money:
        return self.m(self.total_minor)

    @property
    def meta_part(self) -> Money:
        return self.m(self.meta_minor)

    @property
    def buyer_part(self) -> Money:
        return self.m(self.buyer_minor)


def shipping_refunded(order: Order) -> int:
    return sum(r.shipping_minor for r in order.refunds.all())


def refunded_total(order: Order) -> int:
    return sum(r.total_minor for r in order.refunds.all())


def plan_refund(order: Order, items: list[OrderItem], *, quantities: dict[int, int] | None = None,
                amounts: dict[int, int] | None = None, shipping_minor: int = 0, deduction_minor: int = 0) -> RefundPlan:
    """Validate a refund and compute its money. `quantities` or `amounts` ({item pk: n}) name
    what is refunded; raises ActionError with the seller's reason when it is not possible."""
    by_amount = amounts is not None
    if not by_amount and order.has_order_level_offers:
        raise ActionError(_("This order has an offer on the whole order: Meta refunds it by amount only."), "mode")
    plan = RefundPlan(currency=order.currency, by_amount=by_amount)
    wanted = amounts if by_amount else (quantities or {})
    for item in items:
        n = wanted.get(item.pk, 0)
        if n < 0:
            raise ActionError(_("Amounts and quantities cannot be negative."), f"item_{item.pk}")
        if not n:
            continue
        if by_amount:
            available = refundable(item)
            if n > available:
                raise ActionError(_("At most %(amount)s can be refunded for %(title)s.") % {
                    "amount": format_money(Money(available, order.currency)), "title": item.title}, f"item_{item.pk}")
            amount, quantity = n, 0
        else:
            if n > refundable_units(item):
                raise ActionError(_("Only %(n)d unit(s) of %(title)s are shipped and not refunded.") % {
                    "n": refundable_units(item), "title": item.title}, f"item_{item.pk}")
            amount = refund_share(item.value_minor, item.quantity, n, already=min(item.quantity_refunded,
                                                                               item.quantity - n))
            amount, quantity = min(amount, refundable(item)), n
        split = refund_amount_split(amount, item.value_minor - item.meta_discount_minor, item.meta_discount_minor,
                                    already=min(item.refunded_minor, item.value_minor - amount))
        plan.lines.append(Line(item=item, quantity=quantity, amount_minor=amount,
                               tax_minor=tax_share(item.tax_minor, item.value_minor, item.refunded_minor, amount),
                               meta_minor=split.meta))
    shipped_any = any(item.quantity_shipped for item in items)
    shipping_left = order.shipping_minor - shipping_refunded(order)
    if shipping_minor < 0 or deduction_minor < 0:
        raise ActionError(_("Amounts and quantities cannot be negative."))
    if shipping_minor > shipping_left:
        raise ActionError(_("At most %(amount)s of shipping can be refunded.") % {
            "amount": format_money(Money(max(shipping_left, 0), order.currency))}, "shipping")
    if shipping_minor and not shipped_any:
        raise ActionError(_("Shipping can be refunded once something has shipped."), "shipping")
    plan.shipping_minor = shipping_minor
    shipping_tax = int((order.shipping_option or {}).get("tax_minor") or 0)
    plan.shipping_tax_minor = tax_share(shipping_tax, order.shipping_minor, shipping_refunded(order), shipping_minor)
    if not plan.lines and not shipping_minor:
        raise ActionError(_("Choose what to refund: units or amounts of shipped items, or shipping."))
    plan.deduction_minor = deduction_minor
    if plan.total_minor < 0:
        raise ActionError(_("The return shipping deduction is larger than the refund."), "deduction")
    if refunded_total(order) + plan.total_minor > order.total_minor:
        raise ActionError(_("That would refund more than the buyer paid for the order (%(amount)s).") % {
            "amount": format_money(order.total)})
    return plan


def cancellation_refund(order: Order, items: list[OrderItem], quantities: dict[int, int]) -> Money:
    """What cancelling these units gives back (value and tax, before any Meta-funded part)."""
    total = 0
    for item in items:
        k = quantities.get(item.pk, 0)
        if not k:
            continue
        start = item.quantity_shipped + item.quantity_cancelled
        value = refund_share(item.value_minor, item.quantity, k, already=min(start, item.quantity - k))
        before = value_of_units(item, start)
        total += value + tax_share(item.tax_minor, item.value_minor, before, value)
    return Money(total, order.currency)
