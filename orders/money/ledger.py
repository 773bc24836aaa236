"""A line's money in the order its units went: shipments, cancellations and refunds replayed in
time order, so every figure is the one Meta computes (Build Offers Integration, Requirement 1;
META_API §3.5, §3.6, §3.10; docs/money.md "Units in the order they went").

Meta allocates an order-level offer to a line's units "for cumulative number of units fulfilled
or canceled": the units are counted in the order they were shipped or cancelled, whatever the
kind. The ledger applies that one rule to every part of a line (its price after item-level
offers, each order-level offer, its tax), so the units that shipped and the units that were
cancelled always add up to the whole line, to the minor unit.

- What a shipment or cancellation of k units carries: `LineLedger.next_units(k)` → `Units`.
- What is refundable: Meta's `amount_available_for_refund`, "(Price Per Unit) x (Quantity
  Fulfilled) - (Sum of Fulfilled Order Level Promotions) - (Total Refunded Amount for Line
  Item)" (Step 4), with the seller-funded offers only (Meta pays the seller a Meta-funded one).
- A refund's Meta part: in proportion to what the buyer and Meta paid for the fulfilled units
  (Step 6), cumulatively, the odd minor unit to the buyer, all of Meta's part once everything
  paid is refunded. Its tax: in proportion to the tax captured for the fulfilled units, the same
  way, so refunding every shipped unit returns exactly the tax the buyer paid for them (Meta
  documents no rounding for either: these are our conventions, and the sandbox's).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orders.money.lines import LineFigures, figures_of
from orders.money.rules import cumulative, units_share

__all__ = ["LineLedger", "LineRefund", "Units", "ledger_of", "ledgers"]


@dataclass(frozen=True)
class Units:
    """What k units of a line carry, taken at unit `start` of the line's shipped-or-cancelled count."""

    units: int
    start: int
    #: the units' price after item-level offers (price per unit × units)
    list_minor: int
    #: {promotion id: amount} of the order-level offers on items Meta allocates to the units
    allocations: dict
    seller_minor: int
    meta_minor: int
    tax_minor: int

    @property
    def value_minor(self) -> int:
        """What the seller is paid for the units (by the buyer and Meta), before tax."""
        return self.list_minor - self.seller_minor

    @property
    def net_minor(self) -> int:
        """What the buyer pays for the units net of every offer, before tax."""
        return self.value_minor - self.meta_minor

    @property
    def buyer_minor(self) -> int:
        """What the buyer pays for the units (or gets back when they are cancelled), tax included."""
        return self.net_minor + self.tax_minor


@dataclass(frozen=True)
class LineRefund:
    """A refund of part of a line: its amount (before tax), tax, and Meta's part of the amount."""

    amount_minor: int
    tax_minor: int
    meta_minor: int
    quantity: int = 0

    @property
    def buyer_minor(self) -> int:
        return self.amount_minor + self.tax_minor - self.meta_minor


def _so_far(total: int, whole: int, part: int) -> int:
    """`total` in proportion part/whole, rounded down, all of it once part reaches whole."""
    if whole <= 0:
        return 0
    if part >= whole:
        return total
    return total * max(part, 0) // whole


@dataclass
class LineLedger:
    figures: LineFigures
    shipped: int = 0
    cancelled: int = 0
    #: the fulfilled units' price after item-level offers, their offers by id, their tax
    fulfilled_list_minor: int = 0
    fulfilled_offers: dict = field(default_factory=dict)
    captured_tax_minor: int = 0
    refunded_minor: int = 0
    refunded_meta_minor: int = 0
    refunded_tax_minor: int = 0
    refunded_units: int = 0
    #: Meta's `amount_available_for_refund` less ours, for the records Meta has (0: none reported
    #: or they agree). Meta's figure wins: it is applied to what is refundable.
    meta_correction_minor: int = 0

    @property
    def quantity(self) -> int:
        return self.figures.quantity

    @property
    def done(self) -> int:
        """Units shipped or cancelled so far (Meta's count for the cumulative rule)."""
        return self.shipped + self.cancelled

    @property
    def open_units(self) -> int:
        return self.quantity - self.done

    def next_units(self, k: int) -> Units:
        """What the next `k` units to ship or cancel carry (nothing is recorded)."""
        f = self.figures
        k = max(0, min(k, self.open_units))
        allocations = f.allocations(self.done, k)
        seller = sum(v for pid, v in allocations.items() if pid in f.seller_shares)
        meta = sum(v for pid, v in allocations.items() if pid in f.meta_shares)
        return Units(units=k, start=self.done, list_minor=units_share(f.line_total_minor, f.quantity, self.done, k),
                     allocations=allocations, seller_minor=seller, meta_minor=meta,
                     tax_minor=units_share(f.tax_minor, f.quantity, self.done, k))

    def ship(self, k: int) -> Units:
        units = self.next_units(k)
        self.shipped += units.units
        self.fulfilled_list_minor += units.list_minor
        for pid, v in units.allocations.items():
            self.fulfilled_offers[pid] = self.fulfilled_offers.get(pid, 0) + v
        self.captured_tax_minor += units.tax_minor
        return units

    def cancel(self, k: int) -> Units:
        units = self.next_units(k)
        self.cancelled += units.units
        return units

    # --- what the fulfilled units were paid, and what is left to refund --------------------------

    @property
    def seller_fulfilled_minor(self) -> int:
        return sum(v for pid, v in self.fulfilled_offers.items() if pid in self.figures.seller_shares)

    @property
    def meta_fulfilled_minor(self) -> int:
        return sum(v for pid, v in self.fulfilled_offers.items() if pid in self.figures.meta_shares)

    @property
    def paid_minor(self) -> int:
        """What the buyer and Meta together paid for the fulfilled units, before tax."""
        return self.fulfilled_list_minor - self.seller_fulfilled_minor

    @property
    def refundable_minor(self) -> int:
        """Meta's `amount_available_for_refund` for the line (Step 4); where Meta reported its own
        figure and it differs from ours, Meta's (see `ledgers`)."""
        return max(0, self.paid_minor - self.refunded_minor + self.meta_correction_minor)

    @property
    def refundable_units(self) -> int:
        return max(0, self.shipped - self.refunded_units)

    def refund_of_amount(self, amount: int, *, quantity: int = 0) -> LineRefund:
        """What refunding `amount` (before tax) of the line returns, and to whom (nothing recorded)."""
        paid, after = self.paid_minor, self.refunded_minor + amount
        meta = _so_far(min(self.meta_fulfilled_minor, paid), paid, after) - self.refunded_meta_minor
        tax = _so_far(self.captured_tax_minor, paid, after) - self.refunded_tax_minor
        return LineRefund(amount_minor=amount, tax_minor=max(0, tax), meta_minor=max(0, min(amount, meta)),
                          quantity=quantity)

    def amount_of_units(self, k: int) -> int:
        """The amount Meta refunds for `k` more units by quantity: their share of the line's value
        (orders without order-level offers on items: the price per unit × k)."""
        f = self.figures
        k = max(0, min(k, f.quantity - self.refunded_units))
        return units_share(f.value_minor, f.quantity, self.refunded_units, k)

    def amount_of_units_refunded(self) -> int:
        """What the units refunded by quantity so far were worth (an amount refund of the line
        makes `refunded_minor` differ from it)."""
        return cumulative(self.figures.value_minor, self.figures.quantity, self.refunded_units)

    def units_covered(self) -> int:
        """Whole fulfilled units that earlier amount refunds returned."""
        units = 0
        while units < self.shipped and cumulative(self.paid_minor, self.shipped, units + 1) <= self.refunded_minor:
            units += 1
        return units

    def amount_for_units(self, k: int) -> int:
        """The amount that refunds `k` more fulfilled units of a line refunded by amount: their
        cumulative share of what was paid for the fulfilled units, within what is available."""
        end = min(self.shipped, self.units_covered() + k)
        return max(0, min(cumulative(self.paid_minor, self.shipped, end) - self.refunded_minor,
                          self.refundable_minor))

    def refund(self, refund: LineRefund) -> None:
        """Record a refund of the line."""
        self.refunded_minor += refund.amount_minor
        self.refunded_meta_minor += refund.meta_minor
        self.refunded_tax_minor += refund.tax_minor
        self.refunded_units += refund.quantity


def _replay(figures: LineFigures, events, *, confirmed_only: bool = False) -> LineLedger:
    ledger = LineLedger(figures)
    for _when, _order, kind, payload, confirmed in sorted(events, key=lambda e: (e[0], e[1])):
        if confirmed_only and not confirmed:
            continue
        if kind == "ship":
            ledger.ship(payload)
        elif kind == "cancel":
            ledger.cancel(payload)
        else:
            quantity, amount, tax = payload
            expected = ledger.refund_of_amount(amount, quantity=quantity)
            # Meta's own tax figure wins where it reported one.
            ledger.refund(LineRefund(amount, tax if tax is not None else expected.tax_minor, expected.meta_minor,
                                     quantity))
    return ledger


def _events(order, items) -> dict[int, list]:
    """Each line's shipments, cancellations and refunds: (when, tie-break, kind, payload, whether
    Meta has it: the record carries Meta's id)."""
    from orders.models import CancellationItem, RefundItem, ShipmentItem

    events: dict[int, list] = {item.pk: [] for item in items}
    for row in ShipmentItem.objects.filter(item__order_id=order.pk).values(
            "item_id", "quantity", "shipment__created_at", "shipment_id", "shipment__meta_shipment_id"):
        events.setdefault(row["item_id"], []).append(
            (row["shipment__created_at"], (0, row["shipment_id"]), "ship", row["quantity"],
             bool(row["shipment__meta_shipment_id"])))
    for row in CancellationItem.objects.filter(item__order_id=order.pk).values(
            "item_id", "quantity", "cancellation__created_at", "cancellation_id", "cancellation__meta_cancellation_id"):
        events.setdefault(row["item_id"], []).append(
            (row["cancellation__created_at"], (1, row["cancellation_id"]), "cancel", row["quantity"],
             bool(row["cancellation__meta_cancellation_id"])))
    for row in RefundItem.objects.filter(item__order_id=order.pk).values(
            "item_id", "quantity", "amount_minor", "tax_minor", "refund__created_at", "refund_id",
            "refund__meta_refund_id"):
        events.setdefault(row["item_id"], []).append(
            (row["refund__created_at"], (2, row["refund_id"]), "refund",
             (row["quantity"], row["amount_minor"], row["tax_minor"]), bool(row["refund__meta_refund_id"])))
    return events


def ledgers(order, items=None, *, confirmed_only: bool = False) -> dict[int, LineLedger]:
    """{item pk: LineLedger} of an order's lines, replaying its shipments, cancellations and
    refunds in the order they were recorded (three queries for the whole order).

    Where Meta reported a line's `amount_available_for_refund` (`OrderItem.meta_refundable_minor`)
    and it differs from ours for the records Meta has, Meta's figure wins: the difference is
    applied to what is refundable now, pending records included (`LineLedger.meta_correction_minor`;
    the difference is also a `MoneyCheck` for staff, orders.money.checks). `confirmed_only` replays
    only the records Meta has, without a correction (our side of that check)."""
    items = list(items if items is not None else order.items.all())
    events = _events(order, items)
    out = {}
    for item in items:
        figures = figures_of(item)
        book = _replay(figures, events[item.pk], confirmed_only=confirmed_only)
        meta = getattr(item, "meta_refundable_minor", None)
        if meta is not None and not confirmed_only:
            ours = _replay(figures, events[item.pk], confirmed_only=True).refundable_minor
            book.meta_correction_minor = meta - ours
        out[item.pk] = book
    return out
def ledger_of(item) -> LineLedger:
    """The ledger of one order line (prefer `ledgers(order)` for a whole order)."""
    return ledgers(item.order, [item])[item.pk]
