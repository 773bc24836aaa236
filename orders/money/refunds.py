"""A seller's refund or cancellation validated and its money computed (`plan_refund` →
`RefundPlan`, `plan_cancel` → `CancelPlan`), on each line's ledger (`orders.money.ledger`: its
units in the order they shipped or were cancelled), so the review a seller confirms is what Meta
applies, to the minor unit. Meta's own figures win once it reports them.

- Refundable: Meta's amount_available_for_refund (what was paid for the shipped units, less
  the seller-funded offers allocated to them, less what was refunded).
- A refund's tax and Meta part: in proportion to what was paid for the shipped units,
  cumulatively, all of it once everything paid is refunded (no minor unit stranded).
- Orders with order-level offers on items are refunded by amount only (META_API §3.10); a
  line that an amount refund touched is refunded by amount from then on.
- A refund of nothing (a free unit, a line refunded already) is refused with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from kernel.money import Money, format_money
from orders.errors import ActionError
from orders.models import Order, OrderItem
from orders.money.ledger import Units, ledgers
from orders.money.rules import cumulative


def tax_share(line_tax: int, value: int, before: int, amount: int) -> int:
    return cumulative(line_tax, value, before + amount) - cumulative(line_tax, value, before)


@dataclass
class Line:
    item: OrderItem
    quantity: int = 0
    amount_minor: int = 0
    tax_minor: int = 0
    meta_minor: int = 0
    #: sent to Meta as an amount (orders refunded by amount, or a line an amount refund touched)
    by_amount: bool = False
    #: what stays refundable on the line after this refund
    left_minor: int = 0

    @property
    def buyer_minor(self) -> int:
        return self.amount_minor + self.tax_minor - self.meta_minor


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
    what is refunded; raises ActionError with the seller's reason, on the field the seller
    filled in, when it is not possible."""
    by_amount = amounts is not None
    if not by_amount and order.has_order_level_offers:
        raise ActionError(_("This order has an offer on the whole order: Meta refunds it by amount only."), "mode")
    plan = RefundPlan(currency=order.currency, by_amount=by_amount)
    wanted = amounts if by_amount else (quantities or {})
    books = ledgers(order, items)
    for item in items:
        n = wanted.get(item.pk, 0)
        where = f"amount_{item.pk}" if by_amount else f"item_{item.pk}"
        if n < 0:
            raise ActionError(_("Amounts and quantities cannot be negative."), where)
        if not n:
            continue
        book = books[item.pk]
        available = book.refundable_minor
        if by_amount:
            if n > available:
                raise ActionError(_("At most %(amount)s can be refunded for %(title)s.") % {
                    "amount": format_money(Money(available, order.currency)), "title": item.title}, where)
            amount, quantity, as_amount = n, 0, True
        else:
            if n > book.refundable_units:
                raise ActionError(_("Only %(n)d unit(s) of %(title)s are shipped and not refunded.") % {
                    "n": book.refundable_units, "title": item.title}, where)
            amount = book.amount_of_units(n)
            # After an amount refund of the line, Meta no longer takes units of it: the units
            # are sent as the amount they are worth, within what is left (never a silent cap
            # that the push does not match).
            as_amount = book.refunded_minor != book.amount_of_units_refunded() or amount > available
            if as_amount:
                amount, quantity = min(amount, available), 0
            else:
                quantity = n
        if amount == 0:
            raise ActionError(_("Nothing is left to refund for %(title)s: it was free or is refunded already. "
                                "(A free unit can still be returned.)") % {"title": item.title}, where)
        line = book.refund_of_amount(amount, quantity=quantity)
        plan.lines.append(Line(item=item, quantity=quantity, amount_minor=amount, tax_minor=line.tax_minor,
                               meta_minor=line.meta_minor, by_amount=as_amount, left_minor=available - amount))
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


@dataclass
class CancelLine:
    item: OrderItem
    units: Units

    @property
    def quantity(self) -> int:
        return self.units.units

    def _m(self, minor: int) -> Money:
        return Money(minor, self.item.order.currency)

    @property
    def price(self) -> Money:
        return self._m(self.units.list_minor)

    @property
    def seller_discount(self) -> Money:
        return self._m(self.units.seller_minor)

    @property
    def meta_discount(self) -> Money:
        return self._m(self.units.meta_minor)

    @property
    def tax(self) -> Money:
        return self._m(self.units.tax_minor)

    @property
    def buyer(self) -> Money:
        return self._m(self.units.buyer_minor)


@dataclass
class CancelPlan:
    """What cancelling units returns: per line the buyer's price net of every offer, its tax,
    and Meta's own offers on them (which Meta stops paying; they never reach the buyer)."""

    currency: str
    lines: list[CancelLine]

    def m(self, minor: int) -> Money:
        return Money(minor, self.currency)

    @property
    def buyer(self) -> Money:
        return self.m(sum(line.units.buyer_minor for line in self.lines))

    @property
    def tax(self) -> Money:
        return self.m(sum(line.units.tax_minor for line in self.lines))

    @property
    def meta(self) -> Money:
        return self.m(sum(line.units.meta_minor for line in self.lines))

    @property
    def value(self) -> Money:
        return self.m(sum(line.units.value_minor for line in self.lines))


def plan_cancel(order: Order, items: list[OrderItem], quantities: dict[int, int]) -> CancelPlan:
    """What cancelling these units returns, unit by unit in the order Meta counts them."""
    books = ledgers(order, items)
    lines = [CancelLine(item=item, units=books[item.pk].next_units(quantities[item.pk]))
             for item in items if quantities.get(item.pk)]
    return CancelPlan(currency=order.currency, lines=lines)

