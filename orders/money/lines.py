"""One order line's figures (`figures_of(item)` → `LineFigures`), all in minor units
(DESIGN §7, META_API §3.5):

- list price × quantity, minus item-level offers (already inside Meta's `price_per_unit`) =
  the line total;
- minus the seller-funded share of order-level offers = the line's **value** (what the seller
  earns; Meta-funded offers are paid to the seller by Meta);
- minus the Meta-funded share = what the buyer paid (before tax).

Free shipping lowers shipping, never items: it is not an order-level offer on items. What
shipping, cancelling or refunding units of the line carries is `orders.money.ledger`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernel.money import Money
from orders.money.rules import cumulative, units_share

__all__ = ["LineFigures", "figures_of"]


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
