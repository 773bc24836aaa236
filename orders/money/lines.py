"""One order line's money: its figures, and what cancelling or refunding units of it returns
(DESIGN §7, META_API §3.5, §3.9, §3.10).

A line's figures (`LineFigures`), all in minor units:

- list price × quantity, minus item-level offers (already inside Meta's `price_per_unit`) =
  the line total;
- minus the seller-funded share of order-level offers = the line's **value** (what the seller
  earns and can refund in full; Meta-funded offers are paid to the seller by Meta);
- minus the Meta-funded share = what the buyer paid (before tax).

Rules, each Meta's (so our preview and Meta agree to the minor unit):

- Order-level offers reach units by Meta's cumulative rule (after k of n units, floor(share·k/n);
  the remainder on the last unit): `promotion_allocations` of payments and cancellations.
- Refunding k more units returns cumulative(value, already + k) − cumulative(value, already), so
  refunding every unit in any number of steps returns exactly the value. Orders with an
  order-level offer on items are refunded by amount only (META_API §3.10): the units a seller
  picks become that same amount (`amount_for_units`), within the amount available for refund.
- A refund's Meta part follows `refund_amount_split` (cumulative on Meta's share), the buyer
  gets the rest; tax comes back in proportion to the value refunded (cumulative, exact in full).
- Free shipping lowers shipping, never items: it is not an order-level offer on items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.money import Money
from orders.money.rules import cumulative, refund_amount_split, units_share

__all__ = ["LineCancel", "LineFigures", "LineRefund", "amount_for_units", "cancel_units", "cumulative", "figures_of",
           "refund_of_amount", "refund_of_units", "units_covered", "units_share"]


@dataclass(frozen=True)
class LineFigures:
    quantity: int
    list_unit_minor: int
    item_discount_minor: int = 0
    #: {promotion id: share} of order-level offers on items, by who funds them
    seller_shares: dict = field(default_factory=dict)
    meta_shares: dict = field(default_factory=dict)
    tax_minor: int = 0

    @property
    def list_minor(self) -> int:
        return self.list_unit_minor * self.quantity

    @property
    def line_total_minor(self) -> int:
        return self.list_minor - self.item_discount_minor

    @property
    def order_seller_minor(self) -> int:
        return sum(self.seller_shares.values())

    @property
    def meta_discount_minor(self) -> int:
        return sum(self.meta_shares.values())

    @property
    def seller_discount_minor(self) -> int:
        return self.item_discount_minor + self.order_seller_minor

    @property
    def value_minor(self) -> int:
        return self.line_total_minor - self.order_seller_minor

    @property
    def net_paid_minor(self) -> int:
        return self.value_minor - self.meta_discount_minor

    def value_of_units(self, units: int) -> int:
        return cumulative(self.value_minor, self.quantity, units)

    def allocations(self, start: int, count: int) -> dict:
        """{promotion id: amount} Meta allocates to units start .. start+count."""
        shares = {**self.seller_shares, **self.meta_shares}
        return {pid: units_share(share, self.quantity, start, count) for pid, share in shares.items()}


@dataclass(frozen=True)
class LineRefund:
    amount_minor: int
    tax_minor: int
    meta_minor: int
    quantity: int = 0

    @property
    def buyer_minor(self) -> int:
        return self.amount_minor + self.tax_minor - self.meta_minor


def refund_of_amount(line: LineFigures, amount: int, *, refunded_minor: int = 0, quantity: int = 0) -> LineRefund:
    """The money of refunding `amount` of a line's value after `refunded_minor` was refunded."""
    meta = line.meta_discount_minor
    split = refund_amount_split(amount, line.value_minor - meta, meta, already=refunded_minor)
    tax = cumulative(line.tax_minor, line.value_minor, refunded_minor + amount) - cumulative(
        line.tax_minor, line.value_minor, refunded_minor)
    return LineRefund(amount_minor=amount, tax_minor=tax, meta_minor=split.meta, quantity=quantity)


def refund_of_units(line: LineFigures, k: int, *, refunded_units: int = 0, refunded_minor: int = 0) -> LineRefund:
    """Refund `k` more units of a line (orders without order-level offers on items)."""
    amount = units_share(line.value_minor, line.quantity, refunded_units, k)
    return refund_of_amount(line, amount, refunded_minor=refunded_minor, quantity=k)


def units_covered(line: LineFigures, refunded_minor: int) -> int:
    """How many whole units earlier amount refunds of the line returned."""
    units = 0
    while units < line.quantity and line.value_of_units(units + 1) <= refunded_minor:
        units += 1
    return units


def amount_for_units(line: LineFigures, k: int, *, refunded_minor: int = 0, shipped: int | None = None) -> int:
    """The amount that refunds `k` more units of a line refunded by amount: the units' cumulative
    share (topping up a unit an odd amount left half refunded), within what is available."""
    start = units_covered(line, refunded_minor)
    end = min(line.quantity, start + k)
    amount = line.value_of_units(end) - refunded_minor
    available = line.value_of_units(line.quantity if shipped is None else shipped) - refunded_minor
    return max(0, min(amount, available))


@dataclass(frozen=True)
class LineCancel:
    #: the buyer's price of the units net of every offer, before tax
    value_minor: int
    #: {promotion id: amount} Meta allocates to the units
    allocations: dict
    tax_minor: int
    #: Meta-funded offers on the units, which Meta no longer pays the seller
    meta_minor: int

    @property
    def buyer_minor(self) -> int:
        return self.value_minor + self.tax_minor


def cancel_units(line: LineFigures, k: int, *, start: int) -> LineCancel:
    """Cancelling `k` units (after `start` units were shipped or cancelled): Meta's allocations
    of each offer to them, and what the buyer gets back (their price net of every offer, plus
    tax), each component by the cumulative rule."""
    allocations = line.allocations(start, k)
    value = units_share(line.line_total_minor, line.quantity, start, k) - sum(allocations.values())
    tax = units_share(line.tax_minor, line.quantity, start, k)
    meta = sum(v for pid, v in allocations.items() if pid in line.meta_shares)
    return LineCancel(value_minor=value, allocations=allocations, tax_minor=tax, meta_minor=meta)


def figures_of(item) -> LineFigures:
    """The LineFigures of an orders.OrderItem (Meta's `price_per_unit` and promotion details)."""
    item_off = 0
    seller: dict[str, int] = {}
    meta: dict[str, int] = {}
    for promo in item.promotions or []:
        amount = promo.get("applied_amount")
        try:
            minor = Money.from_meta_amount(amount).minor if isinstance(amount, dict) else 0
        except (TypeError, ValueError):
            minor = 0
        pid = str(promo.get("promotion_id") or "")
        if promo.get("target_granularity") == "order_level" and promo.get("target_type") != "shipping":
            (meta if promo.get("sponsor") == "facebook" else seller)[pid] = seller.get(pid, 0) + minor
        elif promo.get("target_granularity") == "item_level":
            item_off += minor
    if not seller and item.order_discount_minor:
        seller = {"": item.order_discount_minor}
    if not meta and item.meta_discount_minor:
        meta = {"": item.meta_discount_minor}
    list_unit, rest = divmod(item.price_per_unit_minor * item.quantity + item_off, item.quantity)
    if rest:  # an item-level offer that is not a whole amount per unit: keep the line exact
        list_unit, item_off = item.price_per_unit_minor, 0
    return LineFigures(quantity=item.quantity, list_unit_minor=list_unit, item_discount_minor=item_off,
                       seller_shares=seller, meta_shares=meta, tax_minor=item.tax_minor)
