"""The money of one order line: totals, shares of order-level offers, units left, refundable value
(the splits themselves are meta_sandbox/allocation.py)."""

from __future__ import annotations

from ... import allocation
from ...models import Node
from .common import amount, currency_of

# --- money of one order ---------------------------------------------------------------------------


def line_total(item: dict) -> int:
    return item["ppu"] * item["quantity"]


def seller_share(item: dict) -> int:
    return sum(v for pid, v in item.get("order_shares", {}).items() if item.get("share_sponsor", {}).get(pid) != "facebook")


def meta_share(item: dict) -> int:
    return sum(v for pid, v in item.get("order_shares", {}).items() if item.get("share_sponsor", {}).get(pid) == "facebook")


def line_value(item: dict) -> int:
    """What the line is worth to the seller before tax: refundable in full."""
    return line_total(item) - seller_share(item)


def units_share(total: int, quantity: int, start: int, count: int) -> int:
    """Meta's cumulative per-unit split of `total`: the part units start+1..start+count carry."""
    return allocation.units_share(total, quantity, start, count)


def fulfilled_offers(item: dict) -> dict[str, int]:
    """{promotion_id: minor} of the order-level offers allocated to the line's fulfilled units
    (what its payments report in `promotion_allocations`)."""
    if "fulfilled_offers" in item:
        return item["fulfilled_offers"]
    # Orders stored before the sandbox kept this: as if every fulfilment came first.
    return {pid: units_share(share, item["quantity"], 0, item["shipped"])
            for pid, share in item.get("order_shares", {}).items()}


def _by_sponsor(item: dict, offers: dict[str, int], *, meta: bool) -> int:
    sponsors = item.get("share_sponsor", {})
    return sum(v for pid, v in offers.items() if (sponsors.get(pid) == "facebook") == meta)


def paid_for_fulfilled(item: dict) -> int:
    """What the buyer and Meta together paid, before tax, for the line's fulfilled units: the
    price per unit times the units fulfilled, less the seller-funded order-level offers
    allocated to them (a Meta-funded offer is paid to the seller by Meta)."""
    return item["ppu"] * item["shipped"] - _by_sponsor(item, fulfilled_offers(item), meta=False)


def meta_paid_for_fulfilled(item: dict) -> int:
    """Meta's part of `paid_for_fulfilled`: its funded offers allocated to the fulfilled units."""
    return min(_by_sponsor(item, fulfilled_offers(item), meta=True), paid_for_fulfilled(item))


def refunded_to_meta(item: dict) -> int:
    """What the line's refunds returned to Meta so far."""
    if "refunded_meta" in item:
        return item["refunded_meta"]
    # Orders stored before the sandbox kept this: the whole line's proportion.
    return allocation.proportional(meta_share(item), line_value(item), item["refunded_amount"])


def available_for_refund(item: dict) -> int:
    """Meta's `amount_available_for_refund`: "(Price Per Unit) x (Quantity Fulfilled) - (Sum of
    Fulfilled Order Level Promotions) - (Total Refunded Amount for Line Item)" (Build Offers
    Integration, Requirement 1, Step 4)."""
    return paid_for_fulfilled(item) - item["refunded_amount"]


def has_order_level_item_offers(order: Node) -> bool:
    return any(p["target_granularity"] == "order_level" and p.get("target_type") != "shipping"
               for p in order.data.get("promotions", []))


def is_bxgy(order: Node) -> bool:
    retailer_ids = [item["retailer_id"] for item in order.data["items"]]
    return len(retailer_ids) != len(set(retailer_ids))


def remaining(item: dict) -> int:
    return item["quantity"] - item["shipped"] - item["cancelled"]


def all_done(order: Node) -> bool:
    return all(remaining(item) == 0 for item in order.data["items"])


def allocate_units(order: Node, item: dict, count: int) -> list[dict]:
    """Allocate order-level offers to the next `count` units of the line (fulfilment or
    cancellation): Meta's `promotion_allocations`."""
    out = []
    for pid, share in item.get("order_shares", {}).items():
        part = units_share(share, item["quantity"], item["allocated"], count)
        out.append({"promotion_id": pid, "allocation_amount": amount(part, currency_of(order)), "_minor": part,
                    "_sponsor": item.get("share_sponsor", {}).get(pid, "merchant")})
    item["allocated"] += count
    return out


def captured_tax(item: dict) -> int:
    """The tax captured for the line's fulfilled units: each fulfilment's cumulative share of the
    line's tax, counting units in the order they were fulfilled or cancelled (the same count as
    the offers), so the units fulfilled and the units cancelled carry the whole tax between them."""
    if "captured_tax" in item:
        return item["captured_tax"]
    # Orders stored before the sandbox kept this: as if every fulfilment came first.
    return units_share(item["tax"], item["quantity"], 0, item["shipped"])


def refunded_tax(item: dict) -> int:
    """The tax the line's refunds returned so far."""
    if "refunded_tax" in item:
        return item["refunded_tax"]
    return allocation.proportional(item["tax"], line_value(item), item["refunded_amount"])


def refund_tax(item: dict, refund: int) -> int:
    """The tax a refund of `refund` (before tax) returns: the captured tax in proportion to what
    was paid for the fulfilled units, cumulatively, so refunding everything paid returns exactly
    the tax captured (Meta documents no rounding: the sandbox's choice, the odd minor unit on the
    last refund)."""
    so_far = allocation.proportional(captured_tax(item), paid_for_fulfilled(item), item["refunded_amount"] + refund)
    return max(0, so_far - refunded_tax(item))


def complete_if_done(order: Node) -> None:
    if order.data["state"] == "IN_PROGRESS" and all_done(order):
        order.data["state"] = "COMPLETED"
